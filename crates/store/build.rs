//! Embeds `migrations/control` and `migrations/tenant` into the binary, so a
//! deployed `bazaar` carries the exact schema it was built for.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    // Read at run time, not baked in with `env!`: one compiled build script
    // is reused by every checkout sharing a target directory (worktrees),
    // and each must embed its own migrations.
    let manifest = env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../../migrations");
    let mut out = String::new();
    for (konst, dir) in [("CONTROL", "control"), ("TENANT", "tenant")] {
        let dir = root.join(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut entries: Vec<_> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.path())
            .collect();
        entries.sort();
        writeln!(out, "pub static {konst}: &[Migration] = &[").ok();
        for path in entries {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_else(|| panic!("migration name is not UTF-8: {}", path.display()));
            // diesel's convention: the version is the part before the first
            // `_`, with the date's dashes removed.
            let version: String = name
                .split('_')
                .next()
                .unwrap_or(name)
                .chars()
                .filter(|c| c.is_ascii_digit())
                .collect();
            let up = path.join("up.sql");
            assert!(up.is_file(), "{} has no up.sql", path.display());
            println!("cargo:rerun-if-changed={}", up.display());
            writeln!(
                out,
                "    Migration {{ version: {version:?}, name: {name:?}, up: include_str!({up:?}) }},",
                up = up.canonicalize().unwrap_or(up.clone()).display().to_string()
            )
            .ok();
        }
        writeln!(out, "];").ok();
    }
    let dest = Path::new(&env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("migrations.rs");
    fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}
