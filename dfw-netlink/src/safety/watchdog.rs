//! The confirm watchdog: a detached process that reverts a commit unless it is confirmed.
//!
//! Contract: [`spawn_watchdog`] forks twice (the middle process calls `setsid` and exits at
//! once, so the watchdog has no controlling terminal, is not in the committing process's
//! session or process group, and is re-parented to init). It executes no program: it is a
//! copy of the committing process (the snapshot to restore is already in its memory). Its
//! standard input, output and error go to `/dev/null`, its directory is `/`, SIGHUP and
//! SIGPIPE are ignored. So neither killing the committing process (even SIGKILL) nor the SSH
//! session dropping stops it. It polls the state directory every 100 ms: when
//! [`CONFIRMED`] holds the commit's id it writes `ID confirmed` to [`OUTCOME`] and exits;
//! at the deadline it commits the snapshot (retrying for a few seconds if the kernel
//! refuses), writes `ID reverted` or `ID revert-failed: reason` to [`OUTCOME`], removes
//! [`PENDING`] and exits. It stays in the network namespace of the committing process.
//!
//! `fork` is only sound from a single-threaded process: [`spawn_watchdog`] checks
//! `/proc/self/status` and refuses otherwise ([`SafetyError::Threads`]).

use std::time::{Duration, SystemTime};

use super::store::{CONFIRMED, OUTCOME, PENDING};
use super::{SafetyError, Snapshot, StateDir};
use crate::enforce::commit_compiled_unguarded;
use crate::firewall::Firewall;

/// How often the watchdog looks for the confirm marker.
const POLL: Duration = Duration::from_millis(100);

/// Starts the watchdog for commit `id` (see the module contract) and returns its pid.
///
/// # Errors
/// [`SafetyError::Threads`] when the process has more than one thread;
/// [`SafetyError::Fork`] when `pipe` or `fork` fails.
pub fn spawn_watchdog(
    dir: &StateDir,
    id: &str,
    snapshot: &Snapshot,
    deadline: SystemTime,
) -> Result<i32, SafetyError> {
    let threads = threads();
    if threads != Some(1) {
        return Err(SafetyError::Threads { threads });
    }
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(SafetyError::Fork { errno: errno() });
    }
    let [rd, wr] = fds;
    // SAFETY: the process is single-threaded (checked above), so the child is a full copy
    // that may allocate and run ordinary code.
    let child = unsafe { libc::fork() };
    if child < 0 {
        let e = errno();
        close(rd);
        close(wr);
        return Err(SafetyError::Fork { errno: e });
    }
    if child == 0 {
        // The middle process: new session, fork the watchdog, exit.
        close(rd);
        // SAFETY: plain syscalls in the single-threaded child.
        unsafe {
            libc::setsid();
            let grandchild = libc::fork();
            if grandchild == 0 {
                watchdog(dir, id, snapshot, deadline, wr);
            }
            libc::_exit(0);
        }
    }
    close(wr);
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out pointer.
    unsafe { libc::waitpid(child, &mut status, 0) };
    let mut buf = [0u8; 4];
    // SAFETY: reads at most 4 bytes into `buf`.
    let n = unsafe { libc::read(rd, buf.as_mut_ptr().cast(), buf.len()) };
    close(rd);
    if n != 4 {
        return Err(SafetyError::Fork {
            errno: libc::ECHILD,
        });
    }
    Ok(i32::from_ne_bytes(buf))
}

/// True when process `pid` exists.
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    pid > 0 && (unsafe { libc::kill(pid, 0) } == 0 || errno() == libc::EPERM)
}

/// The watchdog process: never returns.
fn watchdog(dir: &StateDir, id: &str, snapshot: &Snapshot, deadline: SystemTime, wr: i32) -> ! {
    // SAFETY: plain syscalls in the (single-threaded) watchdog; the path is a valid C
    // string; `pid` is a valid 4-byte buffer.
    unsafe {
        let pid = libc::getpid().to_ne_bytes();
        libc::write(wr, pid.as_ptr().cast(), pid.len());
        libc::close(wr);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
        libc::chdir(c"/".as_ptr());
    }
    let outcome = settle(dir, id, snapshot, deadline);
    let _ = dir.write_atomic(OUTCOME, format!("{id} {outcome}\n").as_bytes());
    if dir.pending().ok().flatten().is_some_and(|p| p.id == id) {
        let _ = dir.remove(PENDING);
    }
    // SAFETY: ends the watchdog without running the parent's atexit handlers or destructors.
    unsafe { libc::_exit(0) }
}

/// Waits for the confirm marker or the deadline; reverts at the deadline.
fn settle(dir: &StateDir, id: &str, snapshot: &Snapshot, deadline: SystemTime) -> String {
    loop {
        if confirmed(dir, id) {
            return "confirmed".into();
        }
        match deadline.duration_since(SystemTime::now()) {
            Ok(left) => std::thread::sleep(left.min(POLL)),
            Err(_) => break,
        }
    }
    let mut last = String::new();
    for _ in 0..10 {
        let result = Firewall::open()
            .map_err(SafetyError::from)
            .and_then(|mut fw| Ok(commit_compiled_unguarded(&mut fw, Vec::new(), &snapshot.0)?));
        match result {
            Ok(_) => return "reverted".into(),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    format!("revert-failed: {last}")
}

/// True when [`CONFIRMED`] holds `id`.
pub(super) fn confirmed(dir: &StateDir, id: &str) -> bool {
    dir.marker(CONFIRMED).ok().flatten().as_deref() == Some(id)
}

/// The process's thread count from `/proc/self/status`.
fn threads() -> Option<u32> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}

fn close(fd: i32) {
    // SAFETY: closes a descriptor this module opened.
    unsafe { libc::close(fd) };
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
