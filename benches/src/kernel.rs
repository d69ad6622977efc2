//! Inputs for the kernel benchmarks and the side-by-side comparison: one user chain of `n`
//! rules in the IPv4 `filter` table, as iptables-save text, nft syntax and a change set, and
//! a firewall handle opened inside a fresh private network namespace.
//!
//! Contract: every rule is `-s 10.a.b.c/32 -p tcp -m tcp --dport P -m conntrack --ctstate
//! NEW -j ACCEPT` with distinct addresses (`variant` shifts the ports, so two variants differ
//! in every rule); the nft text is the native equivalent (`ip saddr ... tcp dport ... ct
//! state new counter accept`). Nothing here touches the caller's namespace: the handle's
//! socket belongs to a namespace created for it, which lives as long as the socket.

use std::fmt::Write;

use dfw_core::model::{ChainName, Family, Rule, TableName};
use dfw_core::syntax::parse_rule;
use dfw_netlink::firewall::{ChainTarget, ChangeSet, Firewall};
use dfw_netlink::transport::testkit::{in_private_netns, kernel_gate};
use dfw_netlink::transport::NetlinkTransport;

/// The user chain the benchmarks fill.
pub const CHAIN: &str = "DFWBENCH";

/// The source address of rule `i` (distinct for i < 2^24).
fn addr(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff)
}

/// The destination port of rule `i` in `variant`.
fn port(i: usize, variant: usize) -> usize {
    1024 + (i + variant * 7) % 60_000
}

/// The iptables-save spec (what follows `-A CHAIN`) of rule `i` in `variant`.
pub fn rule_spec(i: usize, variant: usize) -> String {
    format!(
        " -s {}/32 -p tcp -m tcp --dport {} -m conntrack --ctstate NEW -j ACCEPT",
        addr(i),
        port(i, variant)
    )
}

/// The rules `0..n` of `variant` as model rules.
///
/// # Panics
/// Never for the specs [`rule_spec`] writes (they are valid iptables syntax).
pub fn chain_rules(n: usize, variant: usize) -> Vec<Rule> {
    (0..n)
        .map(|i| parse_rule(Family::Ipv4, &rule_spec(i, variant)).expect("valid spec"))
        .collect()
}

/// The change making [`CHAIN`] hold exactly `rules` (created when missing).
pub fn chain_change(rules: Vec<Rule>) -> ChangeSet {
    ChangeSet {
        chains: vec![ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: ChainName::new(CHAIN).expect("valid name"),
            create: true,
            policy: None,
            rules: rules.into_iter().map(Into::into).collect(),
        }],
        delete_chains: Vec::new(),
    }
}

/// The change deleting [`CHAIN`].
pub fn delete_change() -> ChangeSet {
    ChangeSet {
        chains: Vec::new(),
        delete_chains: vec![(
            Family::Ipv4,
            TableName::Filter,
            ChainName::new(CHAIN).expect("valid name"),
        )],
    }
}

/// An `iptables-restore` script loading [`CHAIN`] with rules `0..n` of `variant` (the chain
/// is flushed by its declaration; `-n` keeps the rest of the table).
pub fn restore_script(n: usize, variant: usize) -> String {
    let mut s = String::with_capacity(80 * n + 64);
    s.push_str("*filter\n:");
    s.push_str(CHAIN);
    s.push_str(" - [0:0]\n");
    for i in 0..n {
        let _ = writeln!(s, "-A {CHAIN}{}", rule_spec(i, variant));
    }
    s.push_str("COMMIT\n");
    s
}

/// The native nft script with the same rules (iptables' `filter` table and chain names, so
/// the result is the same chain; the rules are native nft expressions, not xt matches).
pub fn nft_script(n: usize, variant: usize) -> String {
    let mut s = String::with_capacity(80 * n + 64);
    let _ = writeln!(s, "table ip filter {{\n  chain {CHAIN} {{");
    for i in 0..n {
        let _ = writeln!(
            s,
            "    ip saddr {} tcp dport {} ct state new counter accept",
            addr(i),
            port(i, variant)
        );
    }
    s.push_str("  }\n}\n");
    s
}

/// A firewall handle whose socket lives in a fresh private network namespace.
///
/// # Errors
/// Why the namespace or the socket could not be made.
pub fn private_firewall() -> Result<Firewall<NetlinkTransport>, String> {
    in_private_netns(Firewall::open)
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

/// Moves the calling thread into a fresh private network namespace (once per thread: a
/// second call is a no-op), so a benchmark's socket and the task using it share one
/// namespace, as for any process. Only for benchmark processes: the thread never returns to
/// the host namespace.
///
/// # Errors
/// The errno of `unshare(CLONE_NEWNET)` (`EPERM`: not root).
#[allow(unsafe_code)] // unshare(2), see SAFETY.
pub fn enter_private_netns() -> Result<(), String> {
    thread_local! {
        static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    if DONE.with(std::cell::Cell::get) {
        return Ok(());
    }
    // SAFETY: plain syscall with a constant flag; it only changes this thread's namespace.
    if unsafe { libc::unshare(libc::CLONE_NEWNET) } < 0 {
        return Err(format!(
            "unshare(CLONE_NEWNET): {}",
            std::io::Error::last_os_error()
        ));
    }
    DONE.with(|d| d.set(true));
    Ok(())
}

/// The kernel-benchmark policy ([`kernel_gate`]): `true` when `name` may run; otherwise
/// prints `SKIPPED name: reason` and returns `false`, or panics under
/// `DFW_REQUIRE_KERNEL=1`.
pub fn kernel_available(name: &str) -> bool {
    kernel_gate(name)
}
