//! The confirm watchdog: a detached process that reverts a commit unless it is confirmed.
//!
//! Contract: [`spawn_watchdog`] is called holding the state lock, after the pending marker
//! ([`PENDING`]) naming commit `id` was written. It forks twice (the middle process calls
//! `setsid` and exits at once, so the watchdog has no controlling terminal, is not in the
//! committing process's session or process group, and is re-parented to init). It executes
//! no program: it is a copy of the committing process (the snapshot to restore is already
//! in its memory). It closes every descriptor it inherited but the state directory's (so it
//! never holds the committing process's locks or sockets), takes [`WATCHDOG_LOCK`] (held
//! until it exits: that is how others know it lives, whatever its pid) and only then
//! reports its pid, so a watchdog whose start was reported is armed. Its standard input and
//! output go to `/dev/null`; its standard error stays the committing terminal when that is
//! a terminal (so a revert is announced there if it is still open), else `/dev/null`. Its
//! directory is `/`, SIGHUP and SIGPIPE are ignored. Neither killing the committing
//! process (even SIGKILL) nor the SSH session dropping stops it.
//!
//! It polls the state directory every 100 ms. When the pending marker no longer names its
//! commit, it exits without reverting: [`CONFIRMED`] naming it means confirmed (outcome `ID
//! confirmed`), anything else dismissed (`ID dismissed`: the commit failed, was rolled back,
//! or the marker was never meant for it). At the deadline it takes the state lock, checks
//! the marker again, commits the snapshot (retrying for a few seconds if the kernel refuses),
//! records `ID reverted` or `ID revert-failed: reason` in [`OUTCOME`] and a `revert` in
//! [`super::record`]'s applied record, removes the marker, announces the revert (standard
//! error, and the system log through `/dev/log`) and exits. It stays in the network
//! namespace of the committing process.
//!
//! `fork` is only sound from a single-threaded process: [`spawn_watchdog`] checks
//! `/proc/self/status` and refuses otherwise ([`SafetyError::Threads`]).

use std::time::{Duration, SystemTime};

use super::record::{write_applied, Applied};
use super::store::{CONFIRMED, OUTCOME, PENDING, WATCHDOG_LOCK};
use super::{SafetyError, Snapshot, StateDir};
use crate::enforce::commit_compiled_unguarded;
use crate::firewall::Firewall;

/// How often the watchdog looks for the confirm marker.
const POLL: Duration = Duration::from_millis(100);

/// Starts the watchdog for commit `id` (see the module contract) and returns its pid.
///
/// # Errors
/// [`SafetyError::Threads`] when the process has more than one thread;
/// [`SafetyError::Fork`] when `pipe` or `fork` fails or the watchdog could not arm.
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
    let pid = i32::from_ne_bytes(buf);
    if n != 4 || pid <= 0 {
        return Err(SafetyError::Fork {
            errno: if n == 4 { -pid } else { libc::ECHILD },
        });
    }
    Ok(pid)
}

/// True when process `pid` exists (informational: liveness of a watchdog is its lock).
pub fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence and permission.
    pid > 0 && (unsafe { libc::kill(pid, 0) } == 0 || errno() == libc::EPERM)
}

/// The watchdog process: never returns.
fn watchdog(dir: &StateDir, id: &str, snapshot: &Snapshot, deadline: SystemTime, wr: i32) -> ! {
    let keep_stderr = {
        // SAFETY: isatty only inspects fd 2.
        unsafe { libc::isatty(2) == 1 }
    };
    close_inherited(&[wr, dir.raw_fd(), if keep_stderr { 2 } else { 0 }]);
    // The lock that says the watchdog lives, taken before its start is reported.
    let lock = match dir.take(WATCHDOG_LOCK) {
        Ok(Some(f)) => f,
        other => {
            let e = match other {
                Err(SafetyError::Io { source, .. }) => source.raw_os_error().unwrap_or(libc::EIO),
                _ => libc::EBUSY,
            };
            report(wr, -e);
            // SAFETY: ends the failed watchdog without running destructors.
            unsafe { libc::_exit(1) }
        }
    };
    // SAFETY: getpid cannot fail.
    report(wr, unsafe { libc::getpid() });
    // SAFETY: plain syscalls in the (single-threaded) watchdog; the paths are valid C
    // strings.
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            let last = if keep_stderr { 2 } else { 3 };
            for fd in 0..last {
                libc::dup2(null, fd);
            }
            if null > 2 {
                libc::close(null);
            }
        }
        libc::chdir(c"/".as_ptr());
    }
    let outcome = settle(dir, id, snapshot, deadline);
    if outcome != "reverted" && !outcome.starts_with("revert-failed") {
        if let Ok(_l) = dir.lock() {
            let _ = dir.write_atomic(OUTCOME, format!("{id} {outcome}\n").as_bytes());
        }
    }
    drop(lock);
    // SAFETY: ends the watchdog without running the parent's atexit handlers or destructors.
    unsafe { libc::_exit(0) }
}

/// Writes `value` to the start-up pipe and closes it.
fn report(wr: i32, value: i32) {
    let b = value.to_ne_bytes();
    // SAFETY: writes 4 bytes from a local array to the pipe this process holds.
    unsafe {
        libc::write(wr, b.as_ptr().cast(), b.len());
        libc::close(wr);
    }
}

/// Waits for the confirm marker or the deadline; reverts at the deadline, holding the state
/// lock (the outcome of a revert is written there too).
fn settle(dir: &StateDir, id: &str, snapshot: &Snapshot, deadline: SystemTime) -> String {
    loop {
        if !names_us(dir, id) {
            return gone(dir, id);
        }
        match deadline.duration_since(SystemTime::now()) {
            Ok(left) => std::thread::sleep(left.min(POLL)),
            Err(_) => break,
        }
    }
    let Ok(_lock) = dir.lock() else {
        return "revert-failed: cannot lock the state directory".into();
    };
    if !names_us(dir, id) {
        return gone(dir, id);
    }
    let mut last = String::new();
    let mut outcome = None;
    for _ in 0..10 {
        let result = Firewall::open()
            .map_err(SafetyError::from)
            .and_then(|mut fw| Ok(commit_compiled_unguarded(&mut fw, Vec::new(), &snapshot.0)?));
        match result {
            Ok(_) => {
                outcome = Some("reverted".to_string());
                break;
            }
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let outcome = outcome.unwrap_or_else(|| format!("revert-failed: {last}"));
    let _ = dir.write_atomic(OUTCOME, format!("{id} {outcome}\n").as_bytes());
    if outcome == "reverted" {
        let _ = write_applied(dir, &Applied::new("revert", "-", "-"));
    }
    let _ = dir.remove(PENDING);
    announce(&format!(
        "dfw: commit {id} was not confirmed in time: {outcome} (the rules before it are back; \
         see dfw-cli status)"
    ));
    outcome
}

/// True while the pending marker names commit `id` (an unreadable marker does not).
fn names_us(dir: &StateDir, id: &str) -> bool {
    matches!(dir.pending(), Ok(Some(p)) if p.id == id)
}

/// The outcome when the marker no longer names the commit.
fn gone(dir: &StateDir, id: &str) -> String {
    match dir.marker_file(CONFIRMED) {
        Ok(Some(p)) if p.id == id => "confirmed".into(),
        _ => "dismissed".into(),
    }
}

/// One line on standard error (the committing terminal, if kept) and in the system log.
fn announce(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Ok(s) = std::os::unix::net::UnixDatagram::unbound() {
        // <12>: facility user, severity warning.
        let _ = s.send_to(format!("<12>dfw-cli: {line}").as_bytes(), "/dev/log");
    }
}

/// Closes every descriptor but those in `keep` (and 0..=2, replaced later).
fn close_inherited(keep: &[i32]) {
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|d| {
            d.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    for fd in fds {
        if fd > 2 && !keep.contains(&fd) {
            close(fd);
        }
    }
}

/// The process's thread count from `/proc/self/status`.
fn threads() -> Option<u32> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|v| v.trim().parse().ok())
}

fn close(fd: i32) {
    // SAFETY: closes a descriptor this process owns and no longer uses.
    unsafe { libc::close(fd) };
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}
