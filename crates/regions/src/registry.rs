//! The live region set of a running server. It is swapped atomically (a
//! request takes one snapshot and sees the old set or the new one, never a
//! mix) and only when the whole folder validates; a bad edit keeps the last
//! good set and its problems are logged and shown on the status endpoint.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::pack::RegionSet;
use crate::problem::Problem;
use crate::resolve::{load_texts, read_dir};

/// What the status endpoint shows.
#[derive(Debug, Clone)]
pub struct Status {
    /// When the active set was loaded.
    pub loaded_at: DateTime<Utc>,
    /// When the folder was last read and found changed.
    pub last_attempt_at: DateTime<Utc>,
    /// The problems of the last attempt, empty when it succeeded.
    pub last_errors: Vec<Problem>,
    /// Successful loads since start, including the first.
    pub reloads: u64,
}

pub struct Registry {
    dir: PathBuf,
    current: ArcSwap<RegionSet>,
    fingerprint: Mutex<String>,
    status: Mutex<Status>,
}

/// What one reload attempt did.
#[derive(Debug, PartialEq, Eq)]
pub enum Reload {
    Unchanged,
    Swapped,
    Rejected(usize),
}

fn fingerprint(files: &[(String, String)]) -> String {
    let mut hash = Sha256::new();
    for (name, text) in files {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hash.update([0]);
    }
    hex::encode(hash.finalize())
}

impl Registry {
    /// Load `dir`; fails with every problem when the folder is not valid
    /// (a server should not start without its rules).
    pub fn load(dir: &Path) -> Result<Arc<Self>, Vec<Problem>> {
        let files = read_dir(dir)?;
        let set = load_texts(&files)?;
        let now = Utc::now();
        Ok(Arc::new(Self {
            dir: dir.to_path_buf(),
            current: ArcSwap::from_pointee(set),
            fingerprint: Mutex::new(fingerprint(&files)),
            status: Mutex::new(Status {
                loaded_at: now,
                last_attempt_at: now,
                last_errors: Vec::new(),
                reloads: 1,
            }),
        }))
    }

    /// A registry serving `set` for `dir` (for tools and tests that build
    /// the set themselves).
    pub fn with_set(dir: &Path, set: RegionSet) -> Arc<Self> {
        let now = Utc::now();
        Arc::new(Self {
            dir: dir.to_path_buf(),
            current: ArcSwap::from_pointee(set),
            fingerprint: Mutex::new(String::new()),
            status: Mutex::new(Status {
                loaded_at: now,
                last_attempt_at: now,
                last_errors: Vec::new(),
                reloads: 1,
            }),
        })
    }

    /// The active set: hold on to it for the whole request.
    pub fn current(&self) -> Arc<RegionSet> {
        self.current.load_full()
    }

    pub fn status(&self) -> Status {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Read the folder; when it changed, validate it and swap it in if it
    /// is valid, or keep the current set and record the problems.
    pub fn reload(&self) -> Reload {
        let now = Utc::now();
        let files = match read_dir(&self.dir) {
            Ok(files) => files,
            Err(problems) => return self.reject(now, problems, String::new()),
        };
        let print = fingerprint(&files);
        if *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) == print {
            return Reload::Unchanged;
        }
        match load_texts(&files) {
            Ok(set) => {
                let count = set.regions.len();
                self.current.store(Arc::new(set));
                *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = print;
                let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
                status.loaded_at = now;
                status.last_attempt_at = now;
                status.last_errors.clear();
                status.reloads += 1;
                tracing::info!(regions.count = count, "region packs reloaded");
                Reload::Swapped
            }
            Err(problems) => self.reject(now, problems, print),
        }
    }

    fn reject(&self, now: DateTime<Utc>, problems: Vec<Problem>, print: String) -> Reload {
        for problem in &problems {
            tracing::error!(problem = %problem, "region pack rejected; keeping the last good set");
        }
        // Remember the bad content so it is not re-validated every poll.
        *self.fingerprint.lock().unwrap_or_else(|p| p.into_inner()) = print;
        let count = problems.len();
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        status.last_attempt_at = now;
        status.last_errors = problems;
        Reload::Rejected(count)
    }

    /// Poll the folder every `every` on a blocking thread for as long as
    /// the runtime lives.
    pub fn spawn_watcher(self: &Arc<Self>, every: Duration) {
        let registry = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let registry = Arc::clone(&registry);
                let _ = tokio::task::spawn_blocking(move || registry.reload()).await;
            }
        });
    }
}
