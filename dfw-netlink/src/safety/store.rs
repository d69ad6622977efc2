//! The state directory (`/var/lib/dfw/` by default): previous states and the markers of a
//! commit awaiting confirmation, every file written atomically.
//!
//! Contract:
//! - The directory is created with mode 0700 (and its mode tightened to 0700 if it exists).
//! - Every write goes to a temporary file in the same directory, is `fsync`ed, renamed over
//!   the target and the directory is `fsync`ed: a crash leaves the old file or the new one,
//!   never a torn one.
//! - Files: [`PREVIOUS`] (the dfw-owned objects before the last commit, see
//!   [`super::Snapshot`]); [`PENDING`] (`ID DEADLINE_UNIX_SECS WATCHDOG_PID` while a commit
//!   awaits confirmation); [`CONFIRMED`] (the ID a `confirm` or `rollback` settled);
//!   [`OUTCOME`] (`ID confirmed|reverted|revert-failed: reason`, what the watchdog did).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{Corruption, SafetyError, Snapshot};

/// The default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/dfw";
/// The previous state (iptables-save text per family).
pub const PREVIOUS: &str = "previous.rules";
/// A commit awaiting confirmation.
pub const PENDING: &str = "pending";
/// The id of the commit `confirm` settled.
pub const CONFIRMED: &str = "confirmed";
/// What the watchdog did.
pub const OUTCOME: &str = "watchdog.outcome";

/// A commit awaiting confirmation, as recorded in [`PENDING`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The commit's id.
    pub id: String,
    /// The deadline, seconds since the epoch.
    pub deadline: u64,
    /// The watchdog's process id (0 before it is started).
    pub pid: i32,
}

/// The state directory.
#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
}

fn io<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(std::io::Error) -> SafetyError + 'a {
    move |e| SafetyError::Io {
        path: path.display().to_string(),
        op,
        source: e,
    }
}

impl StateDir {
    /// The directory at `path`, created (mode 0700) if missing.
    ///
    /// # Errors
    /// [`SafetyError::Io`] naming the directory.
    pub fn open(path: impl Into<PathBuf>) -> Result<StateDir, SafetyError> {
        let path = path.into();
        fs::create_dir_all(&path).map_err(io(&path, "create"))?;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o700))
            .map_err(io(&path, "chmod 0700"))?;
        Ok(StateDir { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file of the directory.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Writes `name` atomically (temp file, fsync, rename, fsync of the directory).
    ///
    /// # Errors
    /// [`SafetyError::Io`] naming the file and the step.
    pub fn write_atomic(&self, name: &str, data: &[u8]) -> Result<(), SafetyError> {
        let target = self.file(name);
        let tmp = self
            .path
            .join(format!(".{name}.tmp.{}", std::process::id()));
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io(&tmp, "create"))?;
        f.write_all(data).map_err(io(&tmp, "write"))?;
        f.sync_all().map_err(io(&tmp, "fsync"))?;
        drop(f);
        fs::rename(&tmp, &target).map_err(io(&target, "rename"))?;
        File::open(&self.path)
            .and_then(|d| d.sync_all())
            .map_err(io(&self.path, "fsync"))
    }

    /// Reads `name`; `None` when it does not exist.
    ///
    /// # Errors
    /// [`SafetyError::Io`] for anything but a missing file.
    pub fn read(&self, name: &str) -> Result<Option<String>, SafetyError> {
        let p = self.file(name);
        match fs::read_to_string(&p) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&p, "read")(e)),
        }
    }

    /// Removes `name` (a missing file is fine).
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn remove(&self, name: &str) -> Result<(), SafetyError> {
        let p = self.file(name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&p, "remove")(e)),
        }
    }

    /// Saves the previous state.
    ///
    /// # Errors
    /// As [`StateDir::write_atomic`] and [`Snapshot::to_text`].
    pub fn save_previous(&self, snap: &Snapshot) -> Result<(), SafetyError> {
        self.write_atomic(PREVIOUS, snap.to_text()?.as_bytes())
    }

    /// The previous state; `None` when no commit was ever made through this directory.
    ///
    /// # Errors
    /// [`SafetyError::Io`], [`SafetyError::Corrupt`].
    pub fn previous(&self) -> Result<Option<Snapshot>, SafetyError> {
        let name = self.file(PREVIOUS).display().to_string();
        self.read(PREVIOUS)?
            .map(|t| Snapshot::from_text(&t, &name))
            .transpose()
    }

    /// Records a pending commit.
    ///
    /// # Errors
    /// As [`StateDir::write_atomic`].
    pub fn set_pending(&self, p: &Pending) -> Result<(), SafetyError> {
        let line = format!("{} {} {}\n", p.id, p.deadline, p.pid);
        self.write_atomic(PENDING, line.as_bytes())
    }

    /// The pending commit, if any.
    ///
    /// # Errors
    /// [`SafetyError::Io`], [`SafetyError::Corrupt`].
    pub fn pending(&self) -> Result<Option<Pending>, SafetyError> {
        let Some(text) = self.read(PENDING)? else {
            return Ok(None);
        };
        let mut w = text.split_whitespace();
        let parsed = (|| {
            Some(Pending {
                id: w.next()?.to_string(),
                deadline: w.next()?.parse().ok()?,
                pid: w.next()?.parse().ok()?,
            })
        })();
        parsed.map(Some).ok_or_else(|| SafetyError::Corrupt {
            path: self.file(PENDING).display().to_string(),
            reason: Corruption::Pending(text.trim().to_string()),
        })
    }

    /// The first word of a one-line marker file.
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn marker(&self, name: &str) -> Result<Option<String>, SafetyError> {
        Ok(self.read(name)?.map(|t| t.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_dir_atomic_files_mode_and_pending() {
        let base = std::env::temp_dir().join(format!("dfw-state-test-{}", std::process::id()));
        let dir = StateDir::open(base.join("state")).unwrap();
        let mode = fs::metadata(dir.path()).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        assert_eq!(dir.read("x").unwrap(), None);
        dir.write_atomic("x", b"one").unwrap();
        dir.write_atomic("x", b"two").unwrap();
        assert_eq!(dir.read("x").unwrap().as_deref(), Some("two"));
        let mode = fs::metadata(dir.file("x")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "no temp file left behind");
        let p = Pending {
            id: "abc".into(),
            deadline: 42,
            pid: 7,
        };
        dir.set_pending(&p).unwrap();
        assert_eq!(dir.pending().unwrap(), Some(p));
        dir.write_atomic(PENDING, b"garbage").unwrap();
        assert!(dir.pending().is_err());
        dir.remove(PENDING).unwrap();
        dir.remove(PENDING).unwrap();
        assert_eq!(dir.previous().unwrap(), None);
        fs::remove_dir_all(base).unwrap();
    }
}
