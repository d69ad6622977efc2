//! Test support for kernel tests (cargo feature `test-support`; dfw-netlink's own tests turn it
//! on through a dev-dependency on itself). Not for production use.
//!
//! Contract:
//! - [`in_private_netns`] runs a closure on a new thread that has `unshare(CLONE_NEWNET)`ed
//!   into a fresh, empty network namespace, which disappears when the thread ends; the host's
//!   ruleset is never touched.
//! - [`run_cmd`] runs a program (the iptables / nft oracle) from the calling thread; a child
//!   inherits the network namespace of the *thread* that spawns it (the kernel copies the
//!   spawning task's namespaces; `tests/kernel/transport.rs` checks this), so inside
//!   [`in_private_netns`] it sees the private namespace.
//! - Policy: [`kernel_test`] runs a test body in a private namespace when root and namespaces
//!   are available. Otherwise it prints `SKIPPED <test>: <reason>` and returns `None`, unless
//!   the environment sets `DFW_REQUIRE_KERNEL=1`, in which case it panics (the test fails).
//! - [`wait_idle_in_poll`] waits until an event loop's thread (the watch) is asleep (its
//!   `stat` says `S`, read first) in `poll` with no timeout (its `syscall`, read after):
//!   everything it was woken for is handled and nothing is scheduled, a state tests can wait
//!   for instead of a quiet period. The syscall file alone is not enough: a thread woken but
//!   not yet running still shows the poll it slept in.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::conn::Transport;
use super::error::{last_errno, TransportError};
use super::NetlinkTransport;

/// The environment variable that turns skipped kernel tests into failures.
pub const REQUIRE_KERNEL_ENV: &str = "DFW_REQUIRE_KERNEL";

/// Runs `f` on a new thread inside a fresh private network namespace and returns its result.
/// A panic in `f` is propagated to the caller.
///
/// # Errors
/// [`TransportError::Netns`] when `unshare(CLONE_NEWNET)` fails (`EPERM`: not root).
pub fn in_private_netns<R, F>(f: F) -> Result<R, TransportError>
where
    R: Send,
    F: FnOnce() -> R + Send,
{
    std::thread::scope(|s| {
        let handle = s.spawn(|| {
            // SAFETY: plain syscall; it only changes this (new, scoped) thread's namespace.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } < 0 {
                return Err(TransportError::Netns {
                    name: "<private>".into(),
                    op: "unshare",
                    errno: last_errno(),
                });
            }
            Ok(f())
        });
        match handle.join() {
            Ok(r) => r,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The calling thread's network namespace identity (`net:[inode]`).
///
/// # Errors
/// The I/O error of reading `/proc/thread-self/ns/net`.
pub fn netns_id() -> std::io::Result<String> {
    Ok(std::fs::read_link("/proc/thread-self/ns/net")?
        .to_string_lossy()
        .into_owned())
}

/// Runs `program args...` from the calling thread (so in its network namespace) and returns
/// its standard output.
///
/// # Errors
/// A description with the exit status and standard error when it cannot start or fails.
pub fn run_cmd(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Why kernel tests cannot run here, or `None` when they can (root, private network
/// namespaces, and nf_tables answering GETGEN inside one).
pub fn kernel_unavailable_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root (kernel tests need root for private network namespaces)".into());
    }
    let probe = in_private_netns(|| NetlinkTransport::open()?.generation());
    match probe {
        Err(e) => Some(format!("cannot create a private network namespace: {e}")),
        Ok(Err(e)) => Some(format!("nf_tables unusable in a private namespace: {e}")),
        Ok(Ok(_)) => None,
    }
}

/// The kernel-test policy: `true` when the test may run; otherwise prints why it is skipped
/// and returns `false`, or panics when `DFW_REQUIRE_KERNEL=1`.
pub fn kernel_gate(test: &str) -> bool {
    let Some(reason) = kernel_unavailable_reason() else {
        return true;
    };
    if std::env::var(REQUIRE_KERNEL_ENV).as_deref() == Ok("1") {
        panic!("{test}: {REQUIRE_KERNEL_ENV}=1 but kernel tests cannot run: {reason}");
    }
    println!("SKIPPED {test}: {reason}");
    false
}

/// Runs a kernel test body in its own private network namespace, under [`kernel_gate`]'s
/// policy. Returns `None` when the test was skipped.
pub fn kernel_test<R, F>(test: &str, f: F) -> Option<R>
where
    R: Send,
    F: FnOnce() -> R + Send,
{
    if !kernel_gate(test) {
        return None;
    }
    match in_private_netns(f) {
        Ok(r) => Some(r),
        Err(e) => panic!("{test}: {e}"),
    }
}

/// Waits until the thread whose `/proc` directory is `task` (`/proc/self/task/TID`,
/// `/proc/PID/task/TID`) is asleep in `poll` (or `ppoll`) with no timeout: an event loop
/// that has handled everything it was woken for and has nothing scheduled. Reads
/// `task/stat` and then `task/syscall` every 5 ms; idle when the first says `S` (asleep) and
/// the second shows the poll.
///
/// Why both, in that order: whatever wakes the thread (an nf_tables event queued, a file
/// renamed, an eventfd written) marks it `TASK_WAKING` before the waker's system call
/// returns, but it becomes runnable only when its CPU takes it (on an idle CPU, after an
/// inter-processor interrupt, which a loaded VM can delay). Meanwhile `task/syscall` still
/// shows the poll it slept in, so the syscall alone would call a thread idle that has not yet
/// seen the event; `task/stat` already says `R` (the waking state is not one it reports). A
/// stat of `S` read after the change proves the thread has since run and gone back to sleep;
/// the syscall read after it proves that sleep is the loop's poll with no timeout (a poll
/// with a timeout is a debounce still pending), which a thread enters only when none of its
/// fds is readable.
///
/// # Errors
/// What the thread was last seen doing, when it is not idle within `limit` (or has exited).
pub fn wait_idle_in_poll(task: &Path, limit: Duration) -> Result<(), String> {
    let read = |name: &str| {
        let file = task.join(name);
        std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))
    };
    let start = Instant::now();
    loop {
        // The order matters (see above): state first, then the syscall.
        let stat = read("stat")?;
        let syscall = read("syscall")?;
        if asleep(&stat) && idle_in_poll(&syscall) {
            return Ok(());
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{}: not idle in poll after {limit:?}: stat {}, syscall {}",
                task.display(),
                stat.trim(),
                syscall.trim()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `true` for a `/proc/.../stat` line whose state (the field after the command name in
/// parentheses, which may itself hold spaces and parentheses) is `S`: asleep, interruptibly.
fn asleep(stat: &str) -> bool {
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        == Some("S")
}

/// `true` for a `/proc/.../syscall` line of `poll(fds, nfds, -1)` or `ppoll(fds, nfds, NULL,
/// ...)`.
fn idle_in_poll(line: &str) -> bool {
    let mut f = line.split_whitespace();
    let nr = f.next().and_then(|n| n.parse::<i64>().ok());
    let arg = |s: Option<&str>| {
        s.and_then(|a| a.strip_prefix("0x"))
            .and_then(|h| u64::from_str_radix(h, 16).ok())
    };
    let timeout = arg(f.nth(2));
    match (nr, timeout) {
        #[cfg(target_arch = "x86_64")]
        (Some(libc::SYS_poll), Some(t)) => t as u32 == u32::MAX,
        (Some(libc::SYS_ppoll), Some(t)) => t == 0,
        _ => false,
    }
}

#[cfg(test)]
mod idle_tests {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::{asleep, idle_in_poll, wait_idle_in_poll};

    #[test]
    fn only_an_interruptible_sleep_is_asleep() {
        // Recorded from /proc/self/task/TID/stat; the command name may hold ") R (".
        assert!(asleep(
            "4242 (kernel-b003c2b) S 1 4242 4242 0 -1 4194368 0 0\n"
        ));
        assert!(asleep("4242 (a) R (b) S 1 4242\n"));
        // Running, or woken and waiting for its CPU (TASK_WAKING reads as R), while its
        // syscall file may still show the poll it slept in.
        assert!(!asleep(
            "4242 (kernel-b003c2b) R 1 4242 4242 0 -1 4194368 0 0\n"
        ));
        assert!(!asleep("4242 (kernel-b003c2b) D 1 4242\n"));
        assert!(!asleep(""));
    }

    /// How many wake-ups [`idle_means_every_wake_up_was_handled`] checks.
    const ROUNDS: usize = 1000;

    /// A thread asleep in `poll(-1)` on a pipe is woken by a write; once
    /// [`wait_idle_in_poll`] returns, it must have read the byte. With the syscall file
    /// alone (the old test) this failed 10 runs of 10, each within its first 93 wake-ups.
    #[test]
    fn idle_means_every_wake_up_was_handled() {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` is two writable ints, as pipe2 requires.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: both are fresh fds that nothing else owns.
        let (rd, wr) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let handled = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&handled);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                // `PID/task/TID`, relative to /proc.
                let me = std::fs::read_link("/proc/thread-self").unwrap();
                tx.send(PathBuf::from("/proc").join(me)).unwrap();
                loop {
                    let mut p = libc::pollfd {
                        fd: rd.as_raw_fd(),
                        events: libc::POLLIN,
                        revents: 0,
                    };
                    // SAFETY: one valid pollfd, count 1.
                    unsafe { libc::poll(&mut p, 1, -1) };
                    let mut b = [0u8; 1];
                    // SAFETY: `b` is one writable byte.
                    let n = unsafe { libc::read(rd.as_raw_fd(), b.as_mut_ptr().cast(), 1) };
                    if n != 1 || b[0] == b'q' {
                        return;
                    }
                    seen.fetch_add(1, Ordering::SeqCst);
                }
            });
            let task: PathBuf = rx.recv().unwrap();
            let send = |b: u8| {
                // SAFETY: writes one byte from a local.
                let n = unsafe { libc::write(wr.as_raw_fd(), (&b as *const u8).cast(), 1) };
                assert_eq!(n, 1);
            };
            let limit = Duration::from_secs(60);
            let outcome = std::panic::catch_unwind(|| {
                for i in 0..ROUNDS {
                    wait_idle_in_poll(&task, limit).unwrap();
                    send(b'x');
                    wait_idle_in_poll(&task, limit).unwrap();
                    assert_eq!(
                        handled.load(Ordering::SeqCst),
                        i + 1,
                        "wake-up {i}: called idle before the thread handled it"
                    );
                }
            });
            // The thread ends either way (else the scope would wait for it forever).
            send(b'q');
            if let Err(p) = outcome {
                std::panic::resume_unwind(p);
            }
        });
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn a_poll_without_timeout_is_idle() {
        // Recorded from a thread blocked in poll(fds, 3, -1) and poll(fds, 1, 100).
        assert!(idle_in_poll(
            "7 0x7f859e56d130 0x3 0xffffffff 0x20022 0x0 0x7f8598000048 0x7f859e56d0f0 0x7f859e677abf\n"
        ));
        assert!(!idle_in_poll(
            "7 0x7f859e56d130 0x1 0x64 0x20022 0x0 0x7f8598000048 0x7f859e56d0f0 0x7f859e677abf\n"
        ));
        assert!(!idle_in_poll("running\n"));
        assert!(!idle_in_poll(
            "0 0x6 0x7fffc9649ec0 0x20 0xfff 0x0 0x0 0x7fff 0x7f85\n"
        ));
    }
}
