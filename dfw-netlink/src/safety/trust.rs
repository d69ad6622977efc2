//! Trust boundaries: the files dfw, running as root, reads its policy from and the directory
//! it writes its state into must be controlled by root (or the user running dfw) alone.
//!
//! Contract:
//! - [`read_trusted`] reads a policy file only if the file opened (symbolic links followed)
//!   is a regular file owned by root or the running user and not writable by group or
//!   others; the checks are made on the open file (`fstat`), so the file cannot be swapped
//!   between check and read.
//! - [`open_state_dir`] opens the state directory for use through its fd only: every
//!   directory on the way, symbolic links of the parent resolved first, is walked with
//!   `O_NOFOLLOW` from `/` and must be owned by root or the running user and not writable by
//!   group or others unless sticky (as `/tmp`); the directory itself must not be a symbolic
//!   link, must be owned by root or the running user and not writable by group or others.
//!   A missing directory is created with mode 0700 (when asked); one of ours with more than
//!   0700 is tightened through its fd (`fchmod`), never through a path.

use std::ffi::OsStr;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use super::fsys;

/// Why a file or directory is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Distrust {
    /// The state directory is a symbolic link.
    #[error(
        "is a symbolic link: dfw does not follow it for its state (name the directory itself)"
    )]
    Symlink,
    /// Not a directory (state) or not a regular file (policy).
    #[error("is not a {0}")]
    Kind(&'static str),
    /// Owned by another user.
    #[error("is owned by uid {uid}, not by root or the running user: chown root it")]
    Owner {
        /// The owner.
        uid: u32,
    },
    /// Writable by group or others.
    #[error("is writable by group or others (mode {mode:04o}): chmod go-w it")]
    Writable {
        /// Its permission bits.
        mode: u32,
    },
}

/// A policy or state path that is refused (see the module contract).
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The path is not trusted.
    #[error("{path}: {reason}")]
    Untrusted {
        /// The file or directory (an ancestor of the one asked for, if that is the culprit).
        path: String,
        /// Why.
        reason: Distrust,
    },
    /// It could not be opened, read or created.
    #[error("{path}: {op}: {source}")]
    Io {
        /// The path.
        path: String,
        /// What was done.
        op: &'static str,
        /// The error.
        source: std::io::Error,
    },
}

fn io_err<'a>(path: &'a Path, op: &'static str) -> impl FnOnce(std::io::Error) -> TrustError + 'a {
    move |source| TrustError::Io {
        path: path.display().to_string(),
        op,
        source,
    }
}

fn untrusted(path: &Path, reason: Distrust) -> TrustError {
    TrustError::Untrusted {
        path: path.display().to_string(),
        reason,
    }
}

/// Owner and mode rules: owned by root or the running user; not writable by group or others
/// (unless `sticky_ok` and the sticky bit is set).
fn owner_and_mode(
    path: &Path,
    meta: &std::fs::Metadata,
    sticky_ok: bool,
) -> Result<(), TrustError> {
    let uid = meta.uid();
    if uid != 0 && uid != fsys::euid() {
        return Err(untrusted(path, Distrust::Owner { uid }));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 && !(sticky_ok && mode & 0o1000 != 0) {
        return Err(untrusted(path, Distrust::Writable { mode }));
    }
    Ok(())
}

/// Reads a policy file (see the module contract).
///
/// # Errors
/// [`TrustError::Untrusted`] naming the file and the reason; [`TrustError::Io`] when it
/// cannot be opened or read.
pub fn read_trusted(path: &Path) -> Result<Vec<u8>, TrustError> {
    let mut f = File::open(path).map_err(io_err(path, "open"))?;
    let meta = f.metadata().map_err(io_err(path, "stat"))?;
    if !meta.is_file() {
        return Err(untrusted(path, Distrust::Kind("regular file")));
    }
    owner_and_mode(path, &meta, false)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out).map_err(io_err(path, "read"))?;
    Ok(out)
}

/// Opens (and with `create`, creates) the state directory `path` (see the module contract);
/// `Ok(None)` when it does not exist and `create` is false.
///
/// # Errors
/// [`TrustError`] naming the directory (or the ancestor) that is refused.
pub fn open_state_dir(path: &Path, create: bool) -> Result<Option<OwnedFd>, TrustError> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(io_err(path, "current directory"))?
            .join(path)
    };
    let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) else {
        return Err(untrusted(&abs, Distrust::Kind("directory dfw may own")));
    };
    if create && !parent.exists() {
        std::fs::create_dir_all(parent).map_err(io_err(parent, "create"))?;
    }
    let parent = match std::fs::canonicalize(parent) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(None),
        Err(e) => return Err(io_err(parent, "resolve")(e)),
    };
    let dir = walk(&parent)?;
    let at = parent.join(name);
    let fd = match fsys::open_dir(Some(dir.as_fd()), name) {
        Ok(fd) => fd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Ok(None);
            }
            match fsys::mkdir_at(dir.as_fd(), name, 0o700) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err(&at, "create")(e)),
            }
            fsys::open_dir(Some(dir.as_fd()), name).map_err(|e| kind_error(&at, e))?
        }
        Err(e) => return Err(kind_error(&at, e)),
    };
    let file = File::from(fd);
    let meta = file.metadata().map_err(io_err(&at, "stat"))?;
    owner_and_mode(&at, &meta, false)?;
    if meta.mode() & 0o077 != 0 && meta.uid() == fsys::euid() {
        file.set_permissions(std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(&at, "chmod 0700"))?;
    }
    Ok(Some(OwnedFd::from(file)))
}

/// Why the last component could not be opened as a directory.
fn kind_error(at: &Path, e: std::io::Error) -> TrustError {
    match e.raw_os_error() {
        Some(libc::ELOOP) => untrusted(at, Distrust::Symlink),
        Some(libc::ENOTDIR) => match std::fs::symlink_metadata(at) {
            Ok(m) if m.file_type().is_symlink() => untrusted(at, Distrust::Symlink),
            _ => untrusted(at, Distrust::Kind("directory")),
        },
        _ => io_err(at, "open")(e),
    }
}

/// Opens the canonical directory `canon` from `/`, checking every directory on the way.
fn walk(canon: &Path) -> Result<OwnedFd, TrustError> {
    let mut here = PathBuf::from("/");
    let mut fd = fsys::open_dir(None, OsStr::new("/")).map_err(io_err(&here, "open"))?;
    check_dir(&here, &fd)?;
    for c in canon.components() {
        let Component::Normal(name) = c else {
            continue;
        };
        here.push(name);
        fd = fsys::open_dir(Some(fd.as_fd()), name).map_err(|e| kind_error(&here, e))?;
        check_dir(&here, &fd)?;
    }
    Ok(fd)
}

fn check_dir(path: &Path, fd: &OwnedFd) -> Result<(), TrustError> {
    let f = File::from(fd.try_clone().map_err(io_err(path, "dup"))?);
    let meta = f.metadata().map_err(io_err(path, "stat"))?;
    owner_and_mode(path, &meta, true)
}
