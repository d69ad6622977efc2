//! dfw-cli's kernel tests (one test binary, `kernel`): the built `dfw-cli` run against the
//! kernel as root, in private or named throwaway network namespaces (never the machine's own
//! ruleset), checked with the real iptables-nft, nft and real connections. Without root they
//! print `SKIPPED` and pass, unless `DFW_REQUIRE_KERNEL=1`, which makes them fail. The tests
//! without kernel are in `tests/pure/`.
//!
//! Modules: `restore` (restore/save), `policy` (plan/commit), `watch` (status/watch),
//! `confirm` (commit --confirm, confirm, rollback), `lockout` (the SSH guard), `faults` (bad
//! input, missing namespace, not root), `eval` (audit/explain), `init` (init and container names from the Docker API), `demo`; the safety rails:
//! `state` (state-directory and policy-file trust, stale pending, torn rollback point, the
//! state of another namespace, the visible revert, bounded errors), `crash` (full disk,
//! SIGKILL at every step), `ssh` (the SSH guard with a real sshd), `watch_guard` (watch and
//! the other commands), `watch_netns` (two watches in one network namespace), `neighbours`
//! (every command next to rules dfw cannot decode).

#[path = "../support/mod.rs"]
pub mod support;

mod confirm;
mod crash;
mod demo;
mod eval;
mod faults;
mod init;
mod lockout;
mod neighbours;
mod policy;
mod restore;
mod ssh;
mod state;
mod watch;
mod watch_guard;
mod watch_netns;
