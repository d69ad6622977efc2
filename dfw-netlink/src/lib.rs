//! dfw-netlink: the nf_tables codec (model <-> nfnetlink bytes, pure) and the transport
//! (the only code in dfw that opens a socket).
//!
//! Layers, bottom up:
//! - [`wire`]: netlink framing, attributes and nf_tables constants (pure, no I/O).
//! - [`expr`]: nf_tables expressions as values, the contract between the rule codec and the wire.
//! - [`xt`]: xt extension info structs (pure encode/decode).
//! - [`rule_codec`]: model rules <-> expressions + compat attribute, in iptables-nft's form.
//! - [`nft`]: nf_tables objects, requests, replies and batches on the wire (pure, no I/O).
//! - [`transport`]: the netlink socket, batches, replies and network namespaces (the only I/O).
//! - [`route`]: rtnetlink look-ups (default-route interfaces, the host description).
//! - [`sockdiag`]: the socket table over sock_diag (listeners, sessions), codec and query.
//! - [`kernel_ruleset`]: the kernel's rules of a family as a model ruleset for the evaluator.
//! - [`firewall`]: the kernel-facing API: read iptables tables, chains and rules; plan and
//!   apply changes in one atomic batch; `iptables-restore` / `iptables-save` semantics.
//! - [`enforce`]: the Docker-host policy against the kernel (`Firewall::plan_policy`,
//!   `Firewall::commit`).
//! - [`watch`]: drift of the kernel from a policy (`Firewall::status`) and the self-healing
//!   watch loop over nf_tables events.
//! - [`safety`]: previous states and rollback, commit with confirmation (a detached
//!   watchdog reverts unless confirmed), the SSH lockout guard.
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
/// Checks shared by the fuzz targets and their replay tests (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod kernel_ruleset;
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
