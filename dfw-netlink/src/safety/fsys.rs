//! The few file-system calls the state directory needs that `std` does not offer: every
//! operation relative to an open directory fd (`openat`, `mkdirat`, `renameat`, `unlinkat`),
//! never following a symbolic link at the last component, and open-file-description locks.
//!
//! Contract: each function is one system call on fds the caller owns, with names checked to
//! be plain file names (no `/`, not `.` or `..`, no NUL); errors are the `std::io::Error` of
//! the errno. Every `unsafe` block is a plain libc call with a valid NUL-terminated name.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// A plain file name as a C string.
fn cname(name: &std::ffi::OsStr) -> io::Result<CString> {
    let b = name.as_bytes();
    if b.is_empty() || b == b"." || b == b".." || b.contains(&b'/') {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    CString::new(b).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(rc: libc::c_int) -> io::Result<libc::c_int> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

/// Opens directory `name` in `dir` (`None`: the root directory for an absolute walk) without
/// following a symbolic link: `ELOOP` or `ENOTDIR` when it is one.
pub fn open_dir(dir: Option<BorrowedFd<'_>>, name: &std::ffi::OsStr) -> io::Result<OwnedFd> {
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    let fd = match dir {
        Some(d) => {
            let c = cname(name)?;
            // SAFETY: `d` is an open directory fd; `c` is a valid C string.
            check(unsafe { libc::openat(d.as_raw_fd(), c.as_ptr(), flags) })?
        }
        None => {
            let c = CString::new(Path::new("/").as_os_str().as_bytes())
                .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            // SAFETY: `c` is a valid C string.
            check(unsafe { libc::open(c.as_ptr(), flags) })?
        }
    };
    // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Creates directory `name` in `dir` with `mode` (before the umask).
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &std::ffi::OsStr, mode: u32) -> io::Result<()> {
    let c = cname(name)?;
    // SAFETY: `dir` is an open directory fd; `c` is a valid C string.
    check(unsafe { libc::mkdirat(dir.as_raw_fd(), c.as_ptr(), mode as libc::mode_t) })?;
    Ok(())
}

/// Opens file `name` in `dir` with `flags` (`O_NOFOLLOW | O_CLOEXEC` are always added) and
/// `mode` for a created file.
pub fn open_at(dir: BorrowedFd<'_>, name: &str, flags: i32, mode: u32) -> io::Result<File> {
    let c = cname(std::ffi::OsStr::new(name))?;
    let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `dir` is an open directory fd; `c` is a valid C string.
    let fd = check(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags, mode) })?;
    // SAFETY: `fd` was just returned by the kernel and nothing else owns it.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

/// Renames `from` to `to`, both in `dir` (atomically replacing `to`).
pub fn rename_at(dir: BorrowedFd<'_>, from: &str, to: &str) -> io::Result<()> {
    let (a, b) = (
        cname(std::ffi::OsStr::new(from))?,
        cname(std::ffi::OsStr::new(to))?,
    );
    let d = dir.as_raw_fd();
    // SAFETY: `d` is an open directory fd; `a` and `b` are valid C strings.
    check(unsafe { libc::renameat(d, a.as_ptr(), d, b.as_ptr()) })?;
    Ok(())
}

/// Removes file `name` of `dir`.
pub fn unlink_at(dir: BorrowedFd<'_>, name: &str) -> io::Result<()> {
    let c = cname(std::ffi::OsStr::new(name))?;
    // SAFETY: `dir` is an open directory fd; `c` is a valid C string.
    check(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) })?;
    Ok(())
}

/// A write lock on the whole file, of the file description (an OFD lock, `F_OFD_SETLK`:
/// like `flock`, held until the last descriptor of this open goes; unlike `flock`, others
/// can test it without taking it, [`is_locked`]), waiting (`wait`) or not: `Ok(false)` when
/// another open file description holds it and `wait` is false.
pub fn lock_exclusive(file: &File, wait: bool) -> io::Result<bool> {
    let cmd = if wait {
        libc::F_OFD_SETLKW
    } else {
        libc::F_OFD_SETLK
    };
    let mut fl = whole(libc::F_WRLCK);
    loop {
        // SAFETY: `file` is an open fd; `fl` is a valid flock struct for the call.
        if unsafe { libc::fcntl(file.as_raw_fd(), cmd, &mut fl) } == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN | libc::EACCES) => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// True when another open file description holds a lock on `file` (`F_OFD_GETLK`: nothing
/// is taken).
pub fn is_locked(file: &File) -> io::Result<bool> {
    let mut fl = whole(libc::F_WRLCK);
    // SAFETY: `file` is an open fd; `fl` is a valid flock struct the kernel fills.
    check(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut fl) })?;
    Ok(fl.l_type != libc::F_UNLCK as libc::c_short)
}

/// A lock request of `kind` over the whole file.
fn whole(kind: i32) -> libc::flock {
    // SAFETY: flock is plain old data; all-zero is a valid value (l_pid must be 0).
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl
}

/// The effective user id of this process.
pub fn euid() -> u32 {
    // SAFETY: geteuid cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

/// The names in directory `dir` (without `.` and `..`).
pub fn names(dir: BorrowedFd<'_>) -> io::Result<Vec<String>> {
    let path = format!("/proc/self/fd/{}", dir.as_raw_fd());
    let mut out = Vec::new();
    for e in std::fs::read_dir(path)? {
        out.push(e?.file_name().to_string_lossy().into_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn names_must_be_plain() {
        for bad in ["", ".", "..", "a/b", "a\0b"] {
            assert!(cname(std::ffi::OsStr::new(bad)).is_err(), "{bad:?}");
        }
        assert!(cname(std::ffi::OsStr::new("previous.rules")).is_ok());
    }

    #[test]
    fn symlinks_are_not_followed() {
        let base = std::env::temp_dir().join(format!("dfw-fsys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(base.join("real")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        std::fs::write(base.join("real/f"), b"x").unwrap();
        std::os::unix::fs::symlink(base.join("real/f"), base.join("real/l")).unwrap();
        let top = File::open(&base).unwrap();
        assert!(open_dir(Some(top.as_fd()), "real".as_ref()).is_ok());
        let e = open_dir(Some(top.as_fd()), "link".as_ref()).unwrap_err();
        assert!(
            matches!(e.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)),
            "{e}"
        );
        let real = open_dir(Some(top.as_fd()), "real".as_ref()).unwrap();
        let e = open_at(real.as_fd(), "l", libc::O_RDONLY, 0).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
        let mut n = names(real.as_fd()).unwrap();
        n.sort();
        assert_eq!(n, ["f", "l"]);
        let f = open_at(real.as_fd(), "f", libc::O_RDWR, 0).unwrap();
        let g = open_at(real.as_fd(), "f", libc::O_RDWR, 0).unwrap();
        assert!(!is_locked(&g).unwrap());
        assert!(lock_exclusive(&f, false).unwrap());
        assert!(is_locked(&g).unwrap());
        assert!(
            !lock_exclusive(&g, false).unwrap(),
            "a second description waits"
        );
        drop(f);
        assert!(!is_locked(&g).unwrap());
        assert!(lock_exclusive(&g, false).unwrap());
        std::fs::remove_dir_all(base).unwrap();
    }
}
