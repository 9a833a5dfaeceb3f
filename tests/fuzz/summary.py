"""The findings of one schemathesis run, compactly: per failure the
operation, the check that failed, the response's status and body, and the
curl line that reproduces it (scripts/fuzz prints this for a failed scope).

Usage: python summary.py <scope> <schemathesis output>

It reads the FAILURES section of `st run`'s plain output. Failures alike (the
same check, status and message, such as a missing `Allow` header on every
path) are grouped: the first few in full, then a count. A run that failed
without a FAILURES section (an error, a time-out) gets its last lines.
"""

import re
import sys
from dataclasses import dataclass, field

SHOWN_PER_GROUP = 3
HEADER = re.compile(r"^_{2,} (.+?) _{2,}$")
CHECK = re.compile(r"^- (ST\d+) (.+)$")
STATUS = re.compile(r"^\[(\d{3})\] ")
METHOD = re.compile(r"^(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|TRACE|QUERY|CONNECT) ")


@dataclass
class Failure:
    operation: str
    checks: list[tuple[str, str, str]] = field(default_factory=list)  # code, title, first message line
    status: str = ""
    body: str = ""
    curl: str = ""


def sections(lines: list[str], name: str) -> list[str]:
    """The lines of the `==== NAME ====` section, if there is one."""
    out: list[str] = []
    inside = False
    for line in lines:
        if re.match(r"^=+ [A-Z ]+ =+$", line):
            inside = f" {name} " in line
            continue
        if inside:
            out.append(line)
    return out


def parse(lines: list[str]) -> list[Failure]:
    failures: list[Failure] = []
    current: Failure | None = None
    expect: str | None = None
    for raw in lines:
        line = raw.rstrip("\n")
        if m := HEADER.match(line):
            current = Failure(m.group(1))
            failures.append(current)
            expect = None
            continue
        if current is None:
            continue
        stripped = line.strip()
        if m := CHECK.match(line):
            current.checks.append((m.group(1), m.group(2), ""))
            expect = "message"
        elif expect == "message" and stripped and line.startswith("    "):
            code, title, message = current.checks[-1]
            if not message:
                current.checks[-1] = (code, title, stripped)
        elif m := STATUS.match(line):
            current.status = m.group(1)
            expect = "body"
        elif expect == "body" and stripped.startswith("`"):
            current.body = stripped.strip("`")
            expect = None
        elif stripped == "Reproduce with:":
            expect = "curl"
        elif expect == "curl" and stripped.startswith("curl "):
            current.curl = stripped
            expect = None
    return [failure for failure in failures if failure.checks]


def main() -> None:
    scope, path = sys.argv[1:3]
    with open(path, errors="replace") as file:
        lines = file.readlines()
    failures = parse(sections(lines, "FAILURES"))
    errors = [line.rstrip("\n") for line in sections(lines, "ERRORS")]
    if not failures and not errors:
        print(f"[{scope}] no FAILURES section; the run's last lines:")
        for line in lines[-25:]:
            print("    " + line.rstrip("\n"))
        return
    groups: dict[tuple[str, ...], list[Failure]] = {}
    for failure in failures:
        key = tuple(f"{code}|{failure.status}|{METHOD.sub('', message)}" for code, _, message in failure.checks)
        groups.setdefault(key, []).append(failure)
    print(f"[{scope}] {len(failures)} failing test case(s):")
    for members in groups.values():
        for failure in members[:SHOWN_PER_GROUP]:
            print(f"  {failure.operation}")
            for code, title, message in failure.checks:
                print(f"    {code} {title}: {message}" if message else f"    {code} {title}")
            if failure.status:
                body = failure.body if len(failure.body) <= 300 else failure.body[:300] + "..."
                print(f"    -> {failure.status} {body}")
            if failure.curl:
                print(f"    {failure.curl}")
        if len(members) > SHOWN_PER_GROUP:
            rest = ", ".join(f.operation for f in members[SHOWN_PER_GROUP:])
            print(f"  ... and {len(members) - SHOWN_PER_GROUP} more alike: {rest}")
    if errors:
        print(f"[{scope}] errors:")
        for line in errors:
            if line.strip():
                print("    " + line)


if __name__ == "__main__":
    main()
