//! dfw-netlink's kernel tests (one test binary, `kernel`): the transport, the firewall, the
//! policy commit, safety, the watch and the simulated Docker host against the running
//! kernel, checked with the real iptables-nft, nft and real connections. They need root;
//! each runs in its own private network namespaces and never touches the machine's own
//! ruleset. Without root they print `SKIPPED` and pass, unless `DFW_REQUIRE_KERNEL=1`, which
//! makes them fail. The tests without kernel are in `tests/pure/`.

#[path = "../support/mod.rs"]
pub mod support;

mod cache;
mod conformance;
mod eval;
mod ext_oracle;
mod firewall;
mod host;
mod ipset;
mod iptables_oracle;
mod native;
mod native_commit;
mod native_fib;
mod native_fwmark;
mod native_order;
mod native_packets;
mod native_redirect;
mod native_sources;
mod native_usernet;
mod neighbours;
mod policy_commit;
mod policy_kept;
mod policy_packets;
mod policy_segments;
mod policy_sets;
mod random_rules;
mod replace;
mod restore_long;
mod route;
mod safety_faults;
mod safety_noop;
mod safety_race;
mod sets_packets;
mod sim;
mod sim_restart;
mod sim_teardown;
mod transport;
mod watch;
