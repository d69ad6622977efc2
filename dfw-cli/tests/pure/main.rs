//! dfw-cli's integration tests that need neither root nor a kernel (one test binary, `pure`):
//! `show` and config errors, the exit codes and closed pipes (`cli_habits`), the systemd units, and the shipped policies keeping SSH open. The kernel tests are in `tests/kernel/`.

#[path = "../support/mod.rs"]
pub mod support;

mod cli_habits;
mod cli_policy;
mod shipped_policies;
mod systemd_units;
