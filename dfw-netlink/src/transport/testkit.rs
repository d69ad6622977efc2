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

use std::process::Command;

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
