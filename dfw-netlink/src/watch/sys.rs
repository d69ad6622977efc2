//! The watch's kernel objects besides netlink: an inotify watch on the config file's
//! directory, a signalfd for SIGHUP/SIGTERM/SIGINT, an eventfd to stop the loop from another
//! thread, and `poll` over them. Every `unsafe` block is a plain libc call on owned fds and
//! local, correctly sized buffers.

use std::ffi::{CString, OsString};
use std::mem::{size_of, zeroed};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::time::Duration;

use super::WatchError;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn sys(op: &'static str) -> WatchError {
    WatchError::Sys { op, errno: errno() }
}

fn own(raw: i32, op: &'static str) -> Result<OwnedFd, WatchError> {
    if raw < 0 {
        return Err(sys(op));
    }
    // SAFETY: `raw` is a fresh, valid fd that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Reads whatever is available from a non-blocking fd into `buf`; 0 when nothing.
fn read_some(fd: &OwnedFd, buf: &mut [u8], op: &'static str) -> Result<usize, WatchError> {
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        match errno() {
            libc::EINTR => continue,
            libc::EAGAIN => return Ok(0),
            _ => return Err(sys(op)),
        }
    }
}

/// An inotify watch on one file, through its directory (editors replace files by rename).
#[derive(Debug)]
pub struct FileWatch {
    fd: OwnedFd,
    name: OsString,
}

impl FileWatch {
    /// Watches `path` for being closed after writing or renamed into place.
    ///
    /// # Errors
    /// [`WatchError::Sys`] when inotify cannot be set up.
    pub fn new(path: &Path) -> Result<Self, WatchError> {
        // SAFETY: plain syscall with constant flags.
        let fd = own(
            unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) },
            "inotify_init1",
        )?;
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let name = path.file_name().map(OsString::from).unwrap_or_default();
        let cdir = CString::new(dir.as_os_str().as_bytes()).map_err(|_| WatchError::Sys {
            op: "inotify_add_watch",
            errno: libc::EINVAL,
        })?;
        // Only a finished file: closed after writing, or renamed into place. Never on
        // creation or a write still in progress (a half-written file is never read).
        let mask = libc::IN_CLOSE_WRITE | libc::IN_MOVED_TO;
        // SAFETY: `cdir` is a valid NUL-terminated path for the duration of the call.
        let wd = unsafe { libc::inotify_add_watch(fd.as_raw_fd(), cdir.as_ptr(), mask) };
        if wd < 0 {
            return Err(sys("inotify_add_watch"));
        }
        Ok(FileWatch { fd, name })
    }

    /// The fd to poll.
    pub fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Drains the queued inotify events; true when one of them names the watched file.
    ///
    /// # Errors
    /// [`WatchError::Sys`] when reading fails.
    pub fn changed(&self) -> Result<bool, WatchError> {
        let mut hit = false;
        let mut buf = vec![0u8; 8192];
        loop {
            let n = read_some(&self.fd, &mut buf, "read inotify")?;
            if n == 0 {
                return Ok(hit);
            }
            let head = size_of::<libc::inotify_event>();
            let mut at = 0;
            while at + head <= n {
                let len =
                    u32::from_ne_bytes([buf[at + 12], buf[at + 13], buf[at + 14], buf[at + 15]])
                        as usize;
                let end = (at + head + len).min(n);
                let raw = &buf[at + head..end];
                let name = raw.split(|b| *b == 0).next().unwrap_or_default();
                if OsString::from_vec(name.to_vec()) == self.name {
                    hit = true;
                }
                at = end;
            }
        }
    }
}

/// A signalfd receiving SIGHUP, SIGTERM and SIGINT, which it blocks for the calling thread
/// (call it before starting other threads so every thread blocks them).
#[derive(Debug)]
pub struct Signals {
    fd: OwnedFd,
}

impl Signals {
    /// Blocks the three signals and opens the signalfd.
    ///
    /// # Errors
    /// [`WatchError::Sys`] when the mask or the signalfd cannot be set.
    pub fn new() -> Result<Self, WatchError> {
        // SAFETY: sigset_t is plain old data; sigemptyset initialises it.
        let mut set: libc::sigset_t = unsafe { zeroed() };
        // SAFETY: `set` is a valid sigset_t for all calls below.
        unsafe {
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGHUP);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
        }
        // SAFETY: `set` is initialised; the old mask is not wanted.
        let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
        if rc != 0 {
            return Err(WatchError::Sys {
                op: "pthread_sigmask",
                errno: rc,
            });
        }
        // SAFETY: `set` is initialised; -1 asks for a new fd.
        let fd = own(
            unsafe { libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC) },
            "signalfd",
        )?;
        Ok(Signals { fd })
    }

    /// The fd to poll.
    pub fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// The signals queued now, in order.
    ///
    /// # Errors
    /// [`WatchError::Sys`] when reading fails.
    pub fn take(&self) -> Result<Vec<i32>, WatchError> {
        let mut out = Vec::new();
        let size = size_of::<libc::signalfd_siginfo>();
        let mut buf = vec![0u8; size * 8];
        loop {
            let n = read_some(&self.fd, &mut buf, "read signalfd")?;
            if n == 0 {
                return Ok(out);
            }
            for info in buf[..n].chunks_exact(size) {
                // ssi_signo is the first u32 of signalfd_siginfo.
                out.push(u32::from_ne_bytes([info[0], info[1], info[2], info[3]]) as i32);
            }
        }
    }
}

/// An eventfd another thread writes to stop the loop.
#[derive(Debug)]
pub struct Wake {
    fd: OwnedFd,
}

impl Wake {
    /// A new eventfd.
    ///
    /// # Errors
    /// [`WatchError::Sys`] when `eventfd` fails.
    pub fn new() -> Result<Self, WatchError> {
        // SAFETY: plain syscall with constant flags.
        let fd = own(
            unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) },
            "eventfd",
        )?;
        Ok(Wake { fd })
    }

    /// The fd to poll.
    pub fn fd(&self) -> BorrowedFd<'_> {
        use std::os::fd::AsFd;
        self.fd.as_fd()
    }

    /// Makes the fd readable (and keeps it so).
    pub fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a local u64, as eventfd requires. A full counter
        // (EAGAIN) already means "woken".
        let _ = unsafe { libc::write(self.fd.as_raw_fd(), (&one as *const u64).cast(), 8) };
    }
}

/// Waits until one of `fds` is readable or `timeout` passes (`None`: forever); returns the
/// readable flags in the order given (all false on timeout). EINTR returns all false.
///
/// # Errors
/// [`WatchError::Sys`] when `poll` fails.
pub fn poll(fds: &[BorrowedFd<'_>], timeout: Option<Duration>) -> Result<Vec<bool>, WatchError> {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|f| libc::pollfd {
            fd: f.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    let ms = match timeout {
        None => -1,
        Some(d) => d.as_millis().min(i32::MAX as u128) as i32,
    };
    // SAFETY: `pfds` is a valid array of `pfds.len()` pollfds.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
    if rc < 0 {
        if errno() == libc::EINTR {
            return Ok(vec![false; fds.len()]);
        }
        return Err(sys("poll"));
    }
    Ok(pfds.iter().map(|p| p.revents != 0).collect())
}
