# A Bazaar server of a script's own, for scripts that speak HTTP to a real
# server (scripts/clients, scripts/fuzz). Source it from the repository's
# root, then:
#
#   server_init NAME    a scratch folder ($work) and the clean-up on exit
#   server_start        the server, ready: $base, $platform_key, $server_log
#
# The server is the binary $BAZAAR_BIN (default target/debug/bazaar, built
# with cargo when missing), with a database of its own (bazaar_NAME_<pid>)
# on the PostgreSQL at $BAZAAR_TEST_POSTGRES (default
# postgres://postgres@127.0.0.1:5432), a free port, a fresh data folder and a
# generated platform key; the database, the server and $work go however the
# script ends (databases of earlier runs whose process is gone go at the next
# start). The shipped region packs are served, with California delivering
# around the clock so checkout does not depend on the time of day (as the
# end-to-end tests do). No Redis: the server uses its in-process cache.
#
# A script that needs its own clean-up too defines server_cleanup_hook, which
# runs first.

server_init() {
  server_name="$1"
  postgres="${BAZAAR_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
  postgres="${postgres%/}"
  work=$(mktemp -d)
  database="bazaar_${server_name}_$$"
  server_pid=""
  trap server_cleanup EXIT
}

server_admin() { psql "$postgres/postgres" -v ON_ERROR_STOP=1 -qAtc "$1"; }

server_cleanup() {
  if declare -F server_cleanup_hook >/dev/null; then
    server_cleanup_hook || true
  fi
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_admin "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}

server_start() {
  local bin="${BAZAAR_BIN:-target/debug/bazaar}"
  if [ ! -x "$bin" ]; then
    if [ -n "${BAZAAR_BIN:-}" ]; then
      echo "BAZAAR_BIN=$BAZAAR_BIN is not an executable" >&2
      exit 1
    fi
    cargo build --workspace --locked
  fi
  pg_isready -q -d "$postgres/postgres" 2>/dev/null || {
    echo "PostgreSQL is not reachable at $postgres (scripts/test starts the machine's)" >&2
    exit 1
  }
  # Databases of earlier runs that died (their process is gone) go first.
  local stale
  for stale in $(server_admin "SELECT datname FROM pg_database WHERE datname LIKE 'bazaar\\_${server_name}\\_%'"); do
    [ -d "/proc/${stale#bazaar_"${server_name}"_}" ] ||
      server_admin "DROP DATABASE IF EXISTS \"$stale\" WITH (FORCE)" >/dev/null
  done
  server_admin "CREATE DATABASE \"$database\"" >/dev/null
  mkdir -p "$work/regions" "$work/data"
  cp regions/*.yaml "$work/regions/"
  sed -i 's/\["08:00-22:00"\]/["00:00-24:00"]/' "$work/regions/US-CA.yaml"
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  base="http://127.0.0.1:$port"
  platform_key="bz_pl_${server_name}-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  server_log="$work/server.log"
  (
    # The server refuses BAZAAR_* variables it does not know (BAZAAR_BIN,
    # BAZAAR_TEST_POSTGRES): it gets only its own.
    for name in $(compgen -e); do
      case "$name" in BAZAAR_*) unset "$name" ;; esac
    done
    export BAZAAR_DATABASE_URL="$postgres/$database" BAZAAR_PLATFORM_KEY="$platform_key" \
      BAZAAR_REGIONS_DIR="$work/regions" BAZAAR_SEARCH_POLL_MS=100 BAZAAR_LOG_FORMAT=text
    exec "$bin" serve --config /dev/null --listen "127.0.0.1:$port" --data-dir "$work/data"
  ) >"$server_log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    curl -sf "$base/readyz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.5
  done
  if ! curl -sf "$base/readyz" >/dev/null 2>&1; then
    echo "the server did not become ready at $base; its log:" >&2
    tail -n 40 "$server_log" >&2
    exit 1
  fi
  echo "bazaar serving at $base"
}

# The server's last warnings and errors, when it logged any.
server_problems() {
  sed 's/\x1b\[[0-9;]*m//g' "$server_log" | grep -E ' (WARN|ERROR) ' | tail -n "${1:-20}" >"$work/problems.log" || true
  if [ -s "$work/problems.log" ]; then
    echo "the server's last warnings and errors:" >&2
    cat "$work/problems.log" >&2
  fi
}
