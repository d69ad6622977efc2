//! The state directory (`/var/lib/dfw/` by default): rollback points and the markers of a
//! commit awaiting confirmation, every file written atomically, through the directory's fd.
//!
//! Contract:
//! - [`StateDir::open`] opens the directory as [`super::trust`] says (refused when another
//!   user could write to it or it is a symbolic link; created 0700 when missing) and keeps
//!   its fd: every file is opened, renamed and removed relative to that fd, never following
//!   a symbolic link.
//! - Every write goes to a new temporary file (`O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600) in
//!   the directory, is `fsync`ed, renamed over the target and the directory is `fsync`ed: a
//!   crash leaves the old file or the new one, never a torn one. A failed write removes its
//!   temporary file; those a killed process left are removed by the next [`StateDir::lock`].
//! - Every change of the directory's files is made holding [`StateDir::lock`] (a lock
//!   on [`LOCK`]), which every dfw process that changes the kernel's dfw objects holds too:
//!   commit, rollback, confirm, the confirm watchdog's revert and the watch's applies and
//!   repairs never interleave. Locks are open-file-description locks (`F_OFD_SETLK`):
//!   released when their holder dies, whatever happens, and testable without taking them.
//! - Files: [`PREVIOUS`] (the rollback point: dfw's objects before the last commit that
//!   changed them, see [`super::Snapshot`]); [`STAGED`] (the rollback point of a commit in
//!   progress: renamed to [`PREVIOUS`] once the commit landed, see
//!   [`super::recover_staged`]); [`PENDING`] (`ID DEADLINE_UNIX_SECS WATCHDOG_PID` while a
//!   commit awaits confirmation, written BEFORE the watchdog starts: the watchdog acts only
//!   while it names its commit); [`CONFIRMED`] (the pending file a `confirm` renamed);
//!   [`OUTCOME`] (`ID confirmed|reverted|dismissed|revert-failed: reason UNIX_SECS`, what the
//!   watchdog did); [`WATCHDOG_LOCK`] (held by the live watchdog: a pending commit whose
//!   watchdog does not hold it is stale, whatever its pid or deadline says); [`OWNER`] (the
//!   network namespace the state belongs to, see [`super::owner`]); [`APPLIED`] and
//!   [`WATCH`], [`WATCH_LOCK`] (what the last commit applied and which watch follows which
//!   file, see [`super::record`]).

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::{crash, fsys, trust, Corruption, SafetyError, Snapshot};

/// The default state directory.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/dfw";
/// The rollback point (iptables-save text per family, with an end marker).
pub const PREVIOUS: &str = "previous.rules";
/// The rollback point of a commit in progress.
pub const STAGED: &str = "previous.next";
/// A commit awaiting confirmation.
pub const PENDING: &str = "pending";
/// The pending marker of the commit `confirm` settled.
pub const CONFIRMED: &str = "confirmed";
/// What the watchdog did.
pub const OUTCOME: &str = "watchdog.outcome";
/// The lock every change of the directory and of dfw's kernel objects holds.
pub const LOCK: &str = "lock";
/// The lock the live confirm watchdog holds.
pub const WATCHDOG_LOCK: &str = "watchdog.lock";
/// The network namespace the state belongs to.
pub const OWNER: &str = "owner";
/// What the last commit applied.
pub const APPLIED: &str = "applied";
/// Which watch follows which policy.
pub const WATCH: &str = "watch";
/// The lock a running watch holds.
pub const WATCH_LOCK: &str = "watch.lock";

/// A commit awaiting confirmation, as recorded in [`PENDING`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The commit's id.
    pub id: String,
    /// The deadline, seconds since the epoch.
    pub deadline: u64,
    /// The watchdog's process id (0 when not known: the marker is written before it starts).
    pub pid: i32,
}

impl Pending {
    /// Parses the marker's text; `None` when it is not `ID DEADLINE [PID]`.
    pub fn parse(text: &str) -> Option<Pending> {
        let mut w = text.split_whitespace();
        let id = w.next()?.to_string();
        let deadline = w.next()?.parse().ok()?;
        let pid = match w.next() {
            Some(p) => p.parse().ok()?,
            None => 0,
        };
        w.next().is_none().then_some(Pending { id, deadline, pid })
    }

    /// The marker's text.
    pub fn to_line(&self) -> String {
        format!("{} {} {}\n", self.id, self.deadline, self.pid)
    }
}

/// The state directory (see the module contract).
#[derive(Debug, Clone)]
pub struct StateDir {
    path: PathBuf,
    fd: Arc<OwnedFd>,
}

/// The held state lock; released on drop.
#[derive(Debug)]
pub struct StateLock(#[allow(dead_code)] File);

fn io<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(std::io::Error) -> SafetyError + 'a {
    move |e| SafetyError::Io {
        path: path.display().to_string(),
        op,
        source: e,
    }
}

/// Temporary-file names are unique within the process.
static TEMP: AtomicU64 = AtomicU64::new(0);

impl StateDir {
    /// The directory at `path`, created (mode 0700) if missing (see the module contract).
    ///
    /// # Errors
    /// [`SafetyError::Untrusted`] when another user controls it; [`SafetyError::Io`].
    pub fn open(path: impl Into<PathBuf>) -> Result<StateDir, SafetyError> {
        let path = path.into();
        let fd = trust::open_state_dir(&path, true)?.ok_or_else(|| SafetyError::Io {
            path: path.display().to_string(),
            op: "open",
            source: std::io::ErrorKind::NotFound.into(),
        })?;
        Ok(StateDir {
            path,
            fd: Arc::new(fd),
        })
    }

    /// The directory at `path` if it exists (nothing is created or changed: for `status`).
    ///
    /// # Errors
    /// As [`StateDir::open`].
    pub fn open_existing(path: impl Into<PathBuf>) -> Result<Option<StateDir>, SafetyError> {
        let path = path.into();
        Ok(trust::open_state_dir(&path, false)?.map(|fd| StateDir {
            path,
            fd: Arc::new(fd),
        }))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The directory's device and inode (through its fd): what a watch's marker names.
    ///
    /// # Errors
    /// [`SafetyError::Io`] when `fstat` fails.
    pub fn id(&self) -> Result<super::marker::DirId, SafetyError> {
        use std::os::unix::fs::MetadataExt;
        let meta = self
            .fd
            .try_clone()
            .map(File::from)
            .and_then(|f| f.metadata())
            .map_err(io(&self.path, "stat"))?;
        Ok(super::marker::DirId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// A file of the directory (for messages; files are opened through the directory's fd).
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Waits for and takes the state lock (see the module contract), then removes the
    /// temporary files a killed writer left.
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn lock(&self) -> Result<StateLock, SafetyError> {
        let p = self.file(LOCK);
        let f = fsys::open_at(self.fd.as_fd(), LOCK, libc::O_RDWR | libc::O_CREAT, 0o600)
            .map_err(io(&p, "open"))?;
        fsys::lock_exclusive(&f, true).map_err(io(&p, "lock"))?;
        let lock = StateLock(f);
        for name in fsys::names(self.fd.as_fd()).map_err(io(&self.path, "list"))? {
            if name.starts_with('.') && name.contains(".tmp.") {
                let _ = fsys::unlink_at(self.fd.as_fd(), &name);
            }
        }
        Ok(lock)
    }

    /// True while a process holds lock file `name` ([`WATCHDOG_LOCK`], [`WATCH_LOCK`]); the
    /// test takes nothing (nor creates the file), so it never disturbs the holder.
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn held(&self, name: &str) -> Result<bool, SafetyError> {
        let p = self.file(name);
        let f = match fsys::open_at(self.fd.as_fd(), name, libc::O_RDWR, 0) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(io(&p, "open")(e)),
        };
        fsys::is_locked(&f).map_err(io(&p, "test lock"))
    }

    /// Opens lock file `name` and takes it, without waiting: `None` when another process
    /// holds it. The lock lasts as long as the returned file is open.
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn take(&self, name: &str) -> Result<Option<File>, SafetyError> {
        let p = self.file(name);
        let f = fsys::open_at(self.fd.as_fd(), name, libc::O_RDWR | libc::O_CREAT, 0o600)
            .map_err(io(&p, "open"))?;
        Ok(fsys::lock_exclusive(&f, false)
            .map_err(io(&p, "lock"))?
            .then_some(f))
    }

    /// The directory's fd (the watchdog keeps it across its fork).
    pub(super) fn raw_fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.fd.as_raw_fd()
    }

    /// Writes `name` atomically (see the module contract).
    ///
    /// # Errors
    /// [`SafetyError::Io`] naming the file and the step; the temporary file is removed.
    pub fn write_atomic(&self, name: &str, data: &[u8]) -> Result<(), SafetyError> {
        let tmp = format!(
            ".{name}.tmp.{}.{}",
            std::process::id(),
            TEMP.fetch_add(1, Ordering::Relaxed)
        );
        let result = self.write_temp(&tmp, data).and_then(|()| {
            crash::point(&format!("write-{name}-renaming"));
            fsys::rename_at(self.fd.as_fd(), &tmp, name).map_err(io(&self.file(name), "rename"))
        });
        if result.is_err() {
            let _ = fsys::unlink_at(self.fd.as_fd(), &tmp);
        }
        result?;
        self.sync()
    }

    fn write_temp(&self, tmp: &str, data: &[u8]) -> Result<(), SafetyError> {
        let p = self.file(tmp);
        let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL;
        let mut f = fsys::open_at(self.fd.as_fd(), tmp, flags, 0o600).map_err(io(&p, "create"))?;
        f.write_all(data).map_err(io(&p, "write"))?;
        f.sync_all().map_err(io(&p, "fsync"))
    }

    /// `fsync` of the directory (after a rename or removal that must last).
    fn sync(&self) -> Result<(), SafetyError> {
        let d = self.fd.try_clone().map_err(io(&self.path, "dup"))?;
        File::from(d).sync_all().map_err(io(&self.path, "fsync"))
    }

    /// Renames `from` to `to` (atomic; needs no free space).
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn rename(&self, from: &str, to: &str) -> Result<(), SafetyError> {
        fsys::rename_at(self.fd.as_fd(), from, to).map_err(io(&self.file(from), "rename"))?;
        self.sync()
    }

    /// Reads `name`; `None` when it does not exist.
    ///
    /// # Errors
    /// [`SafetyError::Io`] for anything but a missing file.
    pub fn read(&self, name: &str) -> Result<Option<String>, SafetyError> {
        let p = self.file(name);
        let mut f = match fsys::open_at(self.fd.as_fd(), name, libc::O_RDONLY, 0) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io(&p, "open")(e)),
        };
        let mut t = String::new();
        f.read_to_string(&mut t).map_err(io(&p, "read"))?;
        Ok(Some(t))
    }

    /// Removes `name` (a missing file is fine; needs no free space).
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn remove(&self, name: &str) -> Result<(), SafetyError> {
        match fsys::unlink_at(self.fd.as_fd(), name) {
            Ok(()) => self.sync(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(&self.file(name), "remove")(e)),
        }
    }

    /// Writes the rollback point of a commit in progress ([`STAGED`]).
    ///
    /// # Errors
    /// As [`StateDir::write_atomic`] and [`Snapshot::to_text`].
    pub fn stage_previous(&self, snap: &Snapshot) -> Result<(), SafetyError> {
        self.write_atomic(STAGED, snap.to_text()?.as_bytes())
    }

    /// Makes the staged rollback point the rollback point (a rename).
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn promote_staged(&self) -> Result<(), SafetyError> {
        self.rename(STAGED, PREVIOUS)
    }

    /// Saves a rollback point at once.
    ///
    /// # Errors
    /// As [`StateDir::write_atomic`] and [`Snapshot::to_text`].
    pub fn save_previous(&self, snap: &Snapshot) -> Result<(), SafetyError> {
        self.write_atomic(PREVIOUS, snap.to_text()?.as_bytes())
    }

    /// The rollback point; `None` when no commit was ever made through this directory.
    ///
    /// # Errors
    /// [`SafetyError::Io`], [`SafetyError::Corrupt`] (a truncated file among them).
    pub fn previous(&self) -> Result<Option<Snapshot>, SafetyError> {
        self.snapshot(PREVIOUS)
    }

    /// A snapshot file ([`PREVIOUS`] or [`STAGED`]).
    ///
    /// # Errors
    /// As [`StateDir::previous`].
    pub fn snapshot(&self, name: &str) -> Result<Option<Snapshot>, SafetyError> {
        let path = self.file(name).display().to_string();
        self.read(name)?
            .map(|t| Snapshot::from_text(&t, &path))
            .transpose()
    }

    /// Records a pending commit.
    ///
    /// # Errors
    /// As [`StateDir::write_atomic`].
    pub fn set_pending(&self, p: &Pending) -> Result<(), SafetyError> {
        self.write_atomic(PENDING, p.to_line().as_bytes())
    }

    /// The pending commit, if any.
    ///
    /// # Errors
    /// [`SafetyError::Io`], [`SafetyError::Corrupt`].
    pub fn pending(&self) -> Result<Option<Pending>, SafetyError> {
        self.marker_file(PENDING)
    }

    /// A pending-commit marker file ([`PENDING`] or [`CONFIRMED`]).
    ///
    /// # Errors
    /// As [`StateDir::pending`].
    pub fn marker_file(&self, name: &str) -> Result<Option<Pending>, SafetyError> {
        let Some(text) = self.read(name)? else {
            return Ok(None);
        };
        Pending::parse(&text)
            .map(Some)
            .ok_or_else(|| SafetyError::Corrupt {
                path: self.file(name).display().to_string(),
                reason: Corruption::Pending(excerpt(text.trim())),
            })
    }

    /// The first word of a one-line marker file.
    ///
    /// # Errors
    /// [`SafetyError::Io`].
    pub fn marker(&self, name: &str) -> Result<Option<String>, SafetyError> {
        Ok(self
            .read(name)?
            .map(|t| t.split_whitespace().next().unwrap_or_default().to_string()))
    }
}

/// At most 80 characters of a bad value, for an error message.
pub fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if out.len() < text.len() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
#[path = "store_tests.rs"]
mod tests;
