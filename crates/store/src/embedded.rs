//! A private PostgreSQL for running Bazaar with nothing configured.
//!
//! It uses the PostgreSQL server binaries installed on the machine: `initdb`
//! on first run into `<data_dir>/pg`, then `pg_ctl start` on a free loopback
//! port (and a Unix socket inside the data directory only), as the
//! unprivileged `postgres` user when Bazaar runs as root, because PostgreSQL
//! refuses to run as root. [`EmbeddedPostgres::stop`] (or dropping it) stops
//! the server it started.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::{fs, io};

/// Why the embedded database could not start; every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries found (looked for initdb and pg_ctl in /usr/lib/postgresql/*/bin, \
         /usr/pgsql-*/bin and PATH): install them (Debian/Ubuntu: `apt-get install postgresql`; \
         Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql`) \
         or set BAZAAR_DATABASE_URL to an existing database"
    )]
    NoBinaries,
    #[error(
        "bazaar runs as root and PostgreSQL refuses to: create an unprivileged `postgres` user \
         (`useradd --system postgres`), run bazaar as another user, or set BAZAAR_DATABASE_URL"
    )]
    NoUnprivilegedUser,
    #[error("{action} failed: {detail}")]
    Command { action: String, detail: String },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// A running embedded PostgreSQL.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    bin_dir: PathBuf,
    data_dir: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
    /// False when a server from an earlier run was already up on this data
    /// directory: it is reused and left running.
    started_here: bool,
    stopped: bool,
}

impl EmbeddedPostgres {
    /// Initialise (first run) and start PostgreSQL under `root/pg`.
    pub fn start(root: &Path) -> Result<Self, EmbeddedError> {
        let bin_dir = find_bin_dir().ok_or(EmbeddedError::NoBinaries)?;
        let run_as = if is_root() {
            Some(lookup_user("postgres").ok_or(EmbeddedError::NoUnprivilegedUser)?)
        } else {
            None
        };
        fs::create_dir_all(root)?;
        let root = root.canonicalize()?;
        let data_dir = root.join("pg");
        let mut server = Self {
            bin_dir,
            data_dir,
            port: 0,
            run_as,
            started_here: false,
            stopped: false,
        };
        if !server.data_dir.join("PG_VERSION").exists() {
            server.initdb()?;
        }
        if let Some(port) = server.running_port() {
            tracing::info!(
                db.port = port,
                "reusing the embedded PostgreSQL already running on this data directory"
            );
            server.port = port;
            return Ok(server);
        }
        server.port = free_port()?;
        server.pg_ctl_start()?;
        server.started_here = true;
        Ok(server)
    }

    /// The URL of a database on this server.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid);
        }
        // The server's messages, not the caller's locale, decide the
        // errors we show; keep them predictable.
        cmd.env("LC_ALL", "C");
        cmd
    }

    fn initdb(&self) -> Result<(), EmbeddedError> {
        fs::create_dir_all(&self.data_dir)?;
        fs::set_permissions(&self.data_dir, fs::Permissions::from_mode(0o700))?;
        if let Some((uid, gid)) = self.run_as {
            std::os::unix::fs::chown(&self.data_dir, Some(uid), Some(gid))?;
        }
        tracing::info!(db.data_dir = %self.data_dir.display(), "initialising the embedded PostgreSQL");
        let output = self
            .command("initdb")
            .arg("-D")
            .arg(&self.data_dir)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            ])
            .output()?;
        check(output, "initdb").inspect_err(|_| {
            // A half-initialised directory would fail the same way forever.
            let _ = fs::remove_dir_all(&self.data_dir);
        })
    }

    fn pg_ctl_start(&self) -> Result<(), EmbeddedError> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories='{}'",
            self.port,
            self.data_dir.display()
        );
        let output = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-o", &options, "-l"])
            .arg(self.data_dir.join("server.log"))
            .args(["-w", "-t", "60", "start"])
            .output()?;
        check(output, "starting the embedded PostgreSQL").map_err(|err| match err {
            EmbeddedError::Command { action, detail } => EmbeddedError::Command {
                action,
                detail: format!(
                    "{detail} (server log: {})",
                    self.data_dir.join("server.log").display()
                ),
            },
            other => other,
        })?;
        tracing::info!(db.port = self.port, "embedded PostgreSQL started");
        Ok(())
    }

    /// The port of a server already running on this data directory.
    fn running_port(&self) -> Option<u16> {
        let status = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("status")
            .output()
            .ok()?;
        if !status.status.success() {
            return None;
        }
        // postmaster.pid: line 4 is the port.
        fs::read_to_string(self.data_dir.join("postmaster.pid"))
            .ok()?
            .lines()
            .nth(3)?
            .trim()
            .parse()
            .ok()
    }

    /// Stop the server now (fast: open connections are terminated) and
    /// keep it stopped until [`EmbeddedPostgres::resume`]: an outage, as a
    /// fault test makes one.
    pub fn pause(&mut self) -> Result<(), EmbeddedError> {
        let output = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "stop"])
            .output()?;
        check(output, "stopping the embedded PostgreSQL")
    }

    /// Start the server again after [`EmbeddedPostgres::pause`], on the same
    /// port.
    pub fn resume(&mut self) -> Result<(), EmbeddedError> {
        self.pg_ctl_start()
    }

    /// Stop the server if this process started it.
    pub fn stop(&mut self) -> Result<(), EmbeddedError> {
        if self.stopped || !self.started_here {
            return Ok(());
        }
        self.stopped = true;
        self.pause()?;
        tracing::info!("embedded PostgreSQL stopped");
        Ok(())
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        if let Err(err) = self.stop() {
            tracing::warn!(error = %err, "could not stop the embedded PostgreSQL");
        }
    }
}

fn check(output: Output, action: &str) -> Result<(), EmbeddedError> {
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    Err(EmbeddedError::Command {
        action: action.to_owned(),
        detail: format!("{} {}", stderr.trim(), stdout.trim())
            .trim()
            .to_owned(),
    })
}

/// The newest installed PostgreSQL's binary directory.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
    for (parent, prefix) in [("/usr/lib/postgresql", ""), ("/usr", "pgsql-")] {
        let Ok(entries) = fs::read_dir(parent) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = name.strip_prefix(prefix) else {
                continue;
            };
            let Ok(major) = version.split('.').next().unwrap_or("").parse::<u32>() else {
                continue;
            };
            let bin = entry.path().join("bin");
            if has_tools(&bin) {
                candidates.push((major, bin));
            }
        }
    }
    candidates.sort();
    if let Some((_, bin)) = candidates.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .find(|dir| has_tools(dir))
            .map(|dir| dir.canonicalize().unwrap_or(dir))
    })
}

fn is_root() -> bool {
    // /proc/self is owned by the effective user.
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let uid = fields.nth(1)?.parse().ok()?;
        let gid = fields.next()?.parse().ok()?;
        Some((uid, gid))
    })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}
