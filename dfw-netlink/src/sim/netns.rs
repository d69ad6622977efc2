//! [`NetNs`]: an owned network namespace.
//!
//! Contract: [`NetNs::new`] creates an anonymous namespace from a short-lived thread that
//! calls `unshare(CLONE_NEWNET)` and keeps an fd to `/proc/thread-self/ns/net`; the handle owns
//! that fd and nothing else, so the namespace disappears once the handle is dropped and no
//! socket or thread is left in it. [`NetNs::named`] also bind-mounts it at `/run/netns/NAME`
//! (as `ip netns add` does) so other programs (`dfw-cli --netns NAME`, `ip netns exec`) can
//! enter it; dropping the handle unmounts and removes that file. Only the calling thread of
//! [`NetNs::run`]'s fresh thread ever changes namespace; the caller's thread never does.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use super::error::SimError;
use crate::transport::NETNS_RUN_DIR;

/// An owned network namespace (see the module contract).
#[derive(Debug)]
pub struct NetNs {
    fd: OwnedFd,
    label: String,
    bound: Option<PathBuf>,
}

impl NetNs {
    /// Creates a fresh, empty, anonymous network namespace; `label` names it in errors.
    ///
    /// # Errors
    /// [`SimError::Netns`] when `unshare` fails (`EPERM`: not root) or the namespace file
    /// cannot be opened; [`SimError::Thread`] when no thread can be started.
    pub fn new(label: &str) -> Result<Self, SimError> {
        let fd = std::thread::scope(|s| {
            let h = std::thread::Builder::new()
                .name(format!("netns-{label}"))
                .spawn_scoped(s, || -> Result<OwnedFd, SimError> {
                    // SAFETY: plain syscall; it only changes this short-lived thread's namespace.
                    if unsafe { libc::unshare(libc::CLONE_NEWNET) } < 0 {
                        return Err(errno_err(label, "unshare(CLONE_NEWNET)"));
                    }
                    let f =
                        File::open("/proc/thread-self/ns/net").map_err(|e| SimError::Netns {
                            ns: label.into(),
                            op: "open /proc/thread-self/ns/net",
                            errno: e.raw_os_error().unwrap_or(0),
                        })?;
                    Ok(OwnedFd::from(f))
                })
                .map_err(|source| SimError::Thread {
                    what: format!("creating namespace {label}"),
                    source,
                })?;
            match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })?;
        Ok(NetNs {
            fd,
            label: label.into(),
            bound: None,
        })
    }

    /// Creates a fresh namespace and binds it at `/run/netns/NAME`, so that
    /// `dfw-cli --netns NAME` and `ip netns exec NAME` reach it. Dropping the handle removes it.
    ///
    /// # Errors
    /// [`SimError::BadName`] for a name that is not a plain file name;
    /// [`SimError::NameTaken`] when `/run/netns/NAME` exists; [`SimError::Netns`] when the
    /// namespace cannot be created or bind-mounted.
    pub fn named(name: &str) -> Result<Self, SimError> {
        let plain = !name.is_empty()
            && name.len() <= 255
            && name != "."
            && name != ".."
            && !name.contains(['/', '\0']);
        if !plain {
            return Err(SimError::BadName { name: name.into() });
        }
        let mut ns = NetNs::new(name)?;
        let io_err = |op, e: std::io::Error| SimError::Netns {
            ns: name.into(),
            op,
            errno: e.raw_os_error().unwrap_or(0),
        };
        std::fs::create_dir_all(NETNS_RUN_DIR).map_err(|e| io_err("create /run/netns", e))?;
        let path: PathBuf = [NETNS_RUN_DIR, name].iter().collect();
        match File::options().write(true).create_new(true).open(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(SimError::NameTaken { name: name.into() })
            }
            Err(e) => return Err(io_err("create /run/netns/NAME", e)),
        }
        let src = format!("/proc/self/fd/{}", ns.fd.as_raw_fd());
        if let Err(e) = bind_mount(&src, &path) {
            let _ = std::fs::remove_file(&path);
            return Err(SimError::Netns {
                ns: name.into(),
                op: "bind mount at /run/netns",
                errno: e,
            });
        }
        ns.bound = Some(path);
        Ok(ns)
    }

    /// The label given at creation (the `/run/netns` name for a named namespace).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The `/run/netns` name, for a namespace made with [`NetNs::named`].
    pub fn name(&self) -> Option<&str> {
        self.bound.as_ref().map(|_| self.label.as_str())
    }

    /// The namespace file descriptor (for `IFLA_NET_NS_FD` or `setns`).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The namespace's identity: the inode number `readlink /proc/PID/ns/net` shows as
    /// `net:[INODE]`.
    ///
    /// # Errors
    /// [`SimError::Netns`] when `fstat` fails.
    pub fn inode(&self) -> Result<u64, SimError> {
        let f = File::from(self.fd.try_clone().map_err(|e| self.io("dup", e))?);
        Ok(f.metadata().map_err(|e| self.io("fstat", e))?.ino())
    }

    /// Runs `f` on a fresh thread inside this namespace and returns its result; a panic in `f`
    /// is propagated. Sockets `f` opens belong to this namespace even after it returns them.
    ///
    /// # Errors
    /// [`SimError::Netns`] when `setns` fails; [`SimError::Thread`] when no thread starts.
    pub fn run<R, F>(&self, f: F) -> Result<R, SimError>
    where
        R: Send,
        F: FnOnce() -> R + Send,
    {
        std::thread::scope(|s| {
            let h = std::thread::Builder::new()
                .name(format!("in-{}", self.label))
                .spawn_scoped(s, || -> Result<R, SimError> {
                    self.enter()?;
                    Ok(f())
                })
                .map_err(|source| SimError::Thread {
                    what: format!("running in namespace {}", self.label),
                    source,
                })?;
            match h.join() {
                Ok(r) => r,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        })
    }

    /// Moves the calling thread into this namespace (for threads the caller owns; prefer
    /// [`NetNs::run`]).
    ///
    /// # Errors
    /// [`SimError::Netns`] when `setns` fails.
    pub fn enter(&self) -> Result<(), SimError> {
        // SAFETY: `self.fd` is an open namespace fd for the duration of the call.
        let rc = unsafe { libc::setns(self.fd.as_raw_fd(), libc::CLONE_NEWNET) };
        if rc < 0 {
            return Err(errno_err(&self.label, "setns"));
        }
        Ok(())
    }

    fn io(&self, op: &'static str, e: std::io::Error) -> SimError {
        SimError::Netns {
            ns: self.label.clone(),
            op,
            errno: e.raw_os_error().unwrap_or(0),
        }
    }

    /// Unbinds a named namespace now, reporting failures that `Drop` has to ignore.
    ///
    /// # Errors
    /// [`SimError::Netns`] when unmounting or removing `/run/netns/NAME` fails.
    pub fn close(mut self) -> Result<(), SimError> {
        self.unbind()
    }

    fn unbind(&mut self) -> Result<(), SimError> {
        let Some(path) = self.bound.take() else {
            return Ok(());
        };
        if let Err(errno) = detach(&path) {
            return Err(SimError::Netns {
                ns: self.label.clone(),
                op: "umount /run/netns/NAME",
                errno,
            });
        }
        std::fs::remove_file(&path).map_err(|e| self.io("remove /run/netns/NAME", e))
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let _ = self.unbind();
    }
}

fn errno_err(ns: &str, op: &'static str) -> SimError {
    SimError::Netns {
        ns: ns.into(),
        op,
        errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
    }
}

fn cpath(p: &std::path::Path) -> Result<CString, i32> {
    CString::new(p.as_os_str().as_encoded_bytes()).map_err(|_| libc::EINVAL)
}

/// `mount --bind src target`; the positive errno on failure.
fn bind_mount(src: &str, target: &std::path::Path) -> Result<(), i32> {
    let src = CString::new(src).map_err(|_| libc::EINVAL)?;
    let target = cpath(target)?;
    // SAFETY: both paths are valid NUL-terminated strings alive for the call; no fs type or
    // data is passed for a bind mount.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND,
            std::ptr::null(),
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    Ok(())
}

/// `umount -l target`; the positive errno on failure.
fn detach(target: &std::path::Path) -> Result<(), i32> {
    let target = cpath(target)?;
    // SAFETY: `target` is a valid NUL-terminated string alive for the call.
    let rc = unsafe { libc::umount2(target.as_ptr(), libc::MNT_DETACH) };
    if rc < 0 {
        return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
    }
    Ok(())
}
