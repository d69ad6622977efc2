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
//! - [`wait_idle_in_poll`] waits until an event loop's thread (the watch) is blocked in
//!   `poll` with no timeout: everything it was woken for is handled and nothing is scheduled,
//!   a state tests can wait for instead of a quiet period.

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
/// `/proc/PID/task/TID`) is blocked in `poll` (or `ppoll`) with no timeout: an event loop
/// that has handled everything it was woken for and has nothing scheduled. A wake-up (an
/// event queued, a file changed) makes the thread runnable at once, so once this returns
/// after a change, the loop has dealt with it. Reads `task/syscall` every 5 ms: the syscall
/// number and arguments of a blocked thread, `running` otherwise.
///
/// # Errors
/// What the thread was last seen doing, when it is not idle within `limit` (or has exited).
pub fn wait_idle_in_poll(task: &Path, limit: Duration) -> Result<(), String> {
    let file = task.join("syscall");
    let start = Instant::now();
    loop {
        let line =
            std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        if idle_in_poll(&line) {
            return Ok(());
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{}: not idle in poll after {limit:?}: {}",
                file.display(),
                line.trim()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
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
    use super::idle_in_poll;

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
