//! Neighbours: rules dfw does not write never block it, and dfw never touches them. Real hosts
//! run ufw, fail2ban, CrowdSec, netfilter-persistent and admins' own rules next to Docker;
//! these kernel tests run the real tools (Debian 12's, installed by `.ci/setup`) inside
//! throwaway network namespaces, with their configuration and state in temporary directories,
//! and check that the machine's own ruleset never changes:
//! - `opaque`: rules dfw cannot decode (`-m string`, `-m u32`, `-m bpf`, `-m time`, native
//!   nftables rules) and the extensions it decodes (limit, hashlimit, NFLOG, set, ...) in
//!   DOCKER-USER, INPUT and above FORWARD's jump: commit, status, rollback, a flush repaired
//!   (directly and by the watch), a stray rule in dfw's own chain, `restore -n` around them;
//!   the neighbours' rules kept with their handles.
//! - `ufw`: ufw enabled with an allow and a limit rule, `ufw reload` under dfw's watch.
//! - `fail2ban`: fail2ban banning a source read from a log file (iptables-multiport on INPUT
//!   and DOCKER-USER, and the ipset action), and a CrowdSec-style set match in INPUT and
//!   DOCKER-USER, under dfw's watch.
//! - `reload`: `netfilter-persistent reload` and `iptables-restore` without `-n` under dfw's
//!   watch: the watch repairs dfw, the neighbours' rules stay as they were.
//!
//! Real connections from the simulated internet decide every verdict that matters, and
//! whatever `explain` says with certainty of them must be what happened.

mod fail2ban;
mod lab;
mod opaque;
mod reload;
mod ufw;
