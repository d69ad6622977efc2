//! dfw-netlink: dfw against the kernel. The nf_tables codec (model <-> nfnetlink bytes, pure),
//! the transport (the only code in dfw that opens a socket), the firewall engine, and the
//! policy, safety and watch layers on top of it.
//!
//! # Front door
//! [`Dfw`] is the one handle an embedding tool needs: open it, then [`Dfw::plan`],
//! [`Dfw::commit`] (guarded and with a rollback point, exactly as `dfw-cli commit`),
//! [`Dfw::status`], [`Dfw::confirm`], [`Dfw::rollback`]. Everything they take and return is
//! re-exported here, with the low-level [`Firewall`] engine (iptables tables read, planned,
//! applied, restored and saved) and the [`Watcher`] that keeps a policy true.
//!
//! ```no_run
//! use dfw_netlink::{CommitOptions, Dfw};
//!
//! let text = std::fs::read_to_string("/etc/dfw/dfw.toml")?;
//! let policy = dfw_core::Policy::from_toml(&text, "/etc/dfw/dfw.toml")?;
//! let mut dfw = Dfw::open()?;
//! print!("{}", dfw.plan(&policy)?.diff_text());
//! let done = dfw.commit(policy, &CommitOptions::default())?;
//! for family in done.report.summaries() {
//!     println!("{family}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The commit without the SSH guard and the rollback point exists for tools that bring their
//! own (and for the watch daemon's repairs): [`enforce::commit_unguarded`].
//!
//! # Layers, bottom up (see ARCHITECTURE.md)
//! - [`wire`]: netlink framing, attributes, nf_tables constants and the control messages
//!   (`NLMSG_ERROR`, `NLMSG_DONE`, GETGEN/NEWGEN) (pure, no I/O).
//! - [`expr`]: nf_tables expressions as values, the contract between the rule codec and the wire.
//! - [`xt`]: xt extension info structs (pure encode/decode).
//! - [`rule_codec`]: model rules <-> expressions + compat attribute, in iptables-nft's form.
//! - [`nft`]: nf_tables objects, requests, replies and batches on the wire (pure, no I/O).
//! - [`transport`]: the netlink socket, batches, replies and network namespaces (the only I/O).
//! - [`route`]: rtnetlink look-ups (default-route interfaces, the host description).
//! - [`firewall`]: the engine: read iptables tables, chains and rules; plan and apply changes
//!   in one atomic batch; `iptables-restore` / `iptables-save` semantics. Knows no policy.
//! - [`sockdiag`]: the socket table over sock_diag (listeners, sessions), codec and query.
//! - [`kernel_ruleset`]: the kernel's rules of a family as a model ruleset for the evaluator.
//! - [`enforce`]: a dfw policy against the kernel: plan, drift, the unguarded commit.
//! - [`safety`]: the guarded commit: previous states and rollback, commit with confirmation
//!   (a detached watchdog reverts unless confirmed), the SSH lockout guard.
//! - [`watch`]: the self-healing watch loop over nf_tables events.
//! - `sim` (feature `sim`): test and demo infrastructure, not the firewall: a simulated Docker
//!   host in throwaway network namespaces, built over rtnetlink, with servers and probes.
//!
//! Features: `sim` (the simulated host, for tests and `dfw-cli demo`), `test-support`
//! (kernel-test helpers and transport doubles; implies `sim`), `fuzzing` (fuzz checks). None is
//! needed to embed the firewall.
#![warn(missing_docs)]

pub mod enforce;
pub mod expr;
pub mod firewall;
mod front;
/// Checks shared by the fuzz targets and their replay tests (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod kernel_ruleset;
pub mod native;
pub mod nft;
pub mod route;
pub mod rule_codec;
pub mod safety;
#[cfg(feature = "sim")]
pub mod sim;
pub mod sockdiag;
pub mod transport;
pub mod watch;
pub mod wire;
pub mod xt;

pub use enforce::{CommitError, CommitReport, FamilySummary, PolicyPlan, StatusReport};
pub use firewall::{
    ApplyReport, ChainTarget, ChangeSet, Firewall, FirewallError, KernelChain, KernelRule,
    KernelTable, Plan, RestoreError, RestoreOptions, RestoreReport,
};
pub use front::Dfw;
pub use safety::{
    CommitOptions, Confirmed, Lockout, Pending, RollbackOptions, SafeCommit, SafetyError,
    SshConnection, SshGuard, StateDir, DEFAULT_STATE_DIR,
};
pub use transport::{enter_netns, NetlinkTransport, RetryPolicy, Transport, TransportError};
pub use watch::{Notice, StopHandle, WatchError, WatchOptions, Watcher};
