//! The search directory on disk: one subdirectory per generation of the
//! index (`gen-000001`, `gen-000002`, ...) and a `CURRENT` file naming the
//! one to serve, replaced atomically when a rebuild is swapped in.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

const CURRENT: &str = "CURRENT";
const CURRENT_TMP: &str = "CURRENT.tmp";
const PREFIX: &str = "gen-";

pub(crate) fn generation_dir(root: &Path, generation: u64) -> PathBuf {
    root.join(format!("{PREFIX}{generation:06}"))
}

/// The generation `CURRENT` names, or `None` before the first one exists.
pub(crate) fn read_current(root: &Path) -> io::Result<Option<u64>> {
    match fs::read_to_string(root.join(CURRENT)) {
        Ok(content) => parse_generation(content.trim()).map(Some).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{CURRENT} does not name a generation: {content:?}"),
            )
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// Points `CURRENT` at `generation`: written aside, flushed, then renamed
/// over the old file, so a crash leaves either the old or the new name.
pub(crate) fn write_current(root: &Path, generation: u64) -> io::Result<()> {
    let tmp = root.join(CURRENT_TMP);
    let mut file = File::create(&tmp)?;
    writeln!(file, "{PREFIX}{generation:06}")?;
    file.sync_all()?;
    fs::rename(&tmp, root.join(CURRENT))?;
    File::open(root)?.sync_all()
}

/// The generations that have a directory under `root`.
pub(crate) fn generations(root: &Path) -> io::Result<Vec<u64>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(root)? {
        let entry = entry?;
        if entry.file_type()?.is_dir()
            && let Some(generation) = entry.file_name().to_str().and_then(parse_generation)
        {
            found.push(generation);
        }
    }
    found.sort_unstable();
    Ok(found)
}

fn parse_generation(name: &str) -> Option<u64> {
    let digits = name.strip_prefix(PREFIX)?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_names_round_trip() {
        let dir = generation_dir(Path::new("/x"), 42);
        let name = dir.file_name().and_then(|n| n.to_str());
        assert_eq!(name, Some("gen-000042"));
        assert_eq!(name.and_then(parse_generation), Some(42));
        assert_eq!(parse_generation("gen-"), None);
        assert_eq!(parse_generation("gen-+1"), None);
        assert_eq!(parse_generation("next-1"), None);
    }
}
