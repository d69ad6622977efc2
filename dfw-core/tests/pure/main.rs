//! dfw-core's integration tests that need neither root nor a kernel (one test binary, `pure`):
//! the iptables-save syntax (round trips, errors, restore semantics, properties), the policy
//! compiler (features, errors, goldens, properties, reconcile), the bad-input corpus and the
//! fuzz corpora replayed on stable. The kernel tests are in `tests/kernel/`.

#[path = "../support/mod.rs"]
pub mod support;

mod bad_input;
mod fuzz_replay;
mod policy_compile;
mod policy_errors;
mod policy_golden;
mod policy_props;
mod policy_reconcile_props;
mod policy_warnings;
mod syntax_apply;
mod syntax_errors;
mod syntax_errors_values;
mod syntax_ext;
mod syntax_noncanonical;
mod syntax_proptest;
mod syntax_roundtrip;
