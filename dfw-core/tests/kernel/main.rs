//! dfw-core's kernel tests (one test binary, `kernel`): they run the real iptables 1.8
//! (nf_tables) as root, each in its own private network namespace, never touching the
//! machine's own ruleset. Without root they print `SKIPPED` and pass, unless
//! `DFW_REQUIRE_KERNEL=1`, which makes them fail. The tests without kernel are in `tests/pure/`.

#[path = "../support/mod.rs"]
pub mod support;

mod policy_root_oracle;
