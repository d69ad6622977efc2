//! dfw-cli's integration tests that need neither root nor a kernel (one test binary, `pure`):
//! `show` and config errors, and the systemd units. The kernel tests are in `tests/kernel/`.

#[path = "../support/mod.rs"]
pub mod support;

mod cli_policy;
mod systemd_units;
