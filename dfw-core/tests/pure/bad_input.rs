//! The bad-input corpus (`tests/bad-input/`, see `cases.rs` there): every restore file and
//! config is refused without a panic, with an error naming the expected line (and, for
//! configs, the file) and the offending token.

use crate::support::bad_input as cases;

use std::panic::{catch_unwind, AssertUnwindSafe};

use cases::Case;
use dfw_core::policy::Policy;
use dfw_core::syntax::parse_ruleset;

/// Runs `check` on every case and reports every mismatch at once.
fn run_all(cases: &[Case], check: impl Fn(&Case) -> Result<(), String>) {
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let outcome = catch_unwind(AssertUnwindSafe(|| check(c)))
                .unwrap_or_else(|_| Err("panicked".to_string()));
            outcome.err().map(|why| format!("{}: {why}", c.label()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn restore_refused(c: &Case) -> Result<(), String> {
    match parse_ruleset(c.family, &c.text) {
        Ok(_) => Err("accepted".into()),
        Err(e) if e.line == c.line && e.to_string().contains(&c.expect) => {
            println!("{}: {e}", c.label());
            Ok(())
        }
        Err(e) => Err(format!(
            "want line {} with {:?}, got: {e}",
            c.line, c.expect
        )),
    }
}

fn config_refused(c: &Case) -> Result<(), String> {
    let label = c.label();
    match Policy::from_toml(&c.text, &label) {
        Ok(_) => Err("accepted".into()),
        Err(e) => {
            let msg = e.to_string();
            let at = format!("{label}:{}:", c.line);
            if msg.starts_with(&at) && msg.contains(&c.expect) {
                println!("{msg}");
                Ok(())
            } else {
                Err(format!("want {at} with {:?}, got: {msg}", c.expect))
            }
        }
    }
}

#[test]
fn the_corpus_has_at_least_50_files() {
    let n = cases::restore_cases().len() + cases::config_cases().len();
    assert!(n >= 50, "only {n} bad-input files");
}

#[test]
fn bad_restore_files_name_line_and_token() {
    run_all(&cases::restore_cases(), restore_refused);
}

#[test]
fn huge_restore_inputs_are_refused_at_their_line() {
    run_all(&cases::generated_restore_cases(), restore_refused);
}

#[test]
fn bad_configs_name_file_line_and_key() {
    run_all(&cases::config_cases(), config_refused);
}
