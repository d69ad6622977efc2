//! The command line of a criterion bench binary, whoever runs it.
//!
//! `cargo test` passes every test target the libtest options given after `--`
//! (`cargo test --workspace --all-targets -- --test-threads 2`), bench binaries included, and
//! criterion's own parser exits on the ones it does not know. [`keep_criterion_args`] drops
//! them (with their values) and, when it dropped any, runs this binary again with the rest:
//! the benchmarks keep their quick test mode under `cargo test` (no `--bench`: each runs
//! once, at small sizes) and all of criterion's options under `cargo bench`.

use std::os::unix::process::CommandExt;

/// Criterion 0.5's options that take a value.
const CRITERION_VALUED: &[&str] = &[
    "-c",
    "--color",
    "--colour",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--format",
    "--profile-time",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--plotting-backend",
    "--output-format",
];

/// Criterion 0.5's flags (several of them libtest's too).
const CRITERION_FLAGS: &[&str] = &[
    "-v",
    "--verbose",
    "--quiet",
    "-n",
    "--noplot",
    "--discard-baseline",
    "--list",
    "--ignored",
    "--exact",
    "--load-baseline",
    "--quick",
    "--test",
    "--bench",
    "--nocapture",
    "--show-output",
    "-V",
    "--version",
    "-h",
    "--help",
];

/// libtest's options that take a value criterion does not know: dropped with their value.
const LIBTEST_VALUED: &[&str] = &[
    "--test-threads",
    "--skip",
    "--shuffle-seed",
    "--logfile",
    "-Z",
];

/// The arguments (without the program name) criterion accepts: its own options with their
/// values and the first filter. Every other option is dropped, with its value when it is a
/// libtest option that takes one, and so is a `--format` criterion has no such format for
/// (libtest's `json`, `junit`).
fn criterion_args(args: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut filter = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with('-') => (n, Some(v)),
            _ => (a.as_str(), None),
        };
        if CRITERION_VALUED.contains(&name) {
            let value = match inline {
                Some(v) => Some(v.to_string()),
                None => it.next().cloned(),
            };
            let Some(value) = value else { continue };
            if name == "--format" && !["pretty", "terse"].contains(&value.as_str()) {
                continue;
            }
            out.extend([name.to_string(), value]);
        } else if CRITERION_FLAGS.contains(&name) {
            out.push(a.clone());
        } else if LIBTEST_VALUED.contains(&name) {
            if inline.is_none() {
                it.next();
            }
        } else if !a.starts_with('-') && !filter {
            filter = true;
            out.push(a.clone());
        }
    }
    out
}

/// Runs this binary again with only the arguments criterion accepts, if it was given others
/// (see the module documentation); returns when there were none.
pub fn keep_criterion_args() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let kept = criterion_args(&args);
    if kept == args {
        return;
    }
    let exe = std::env::current_exe().expect("the bench binary's path");
    let err = std::process::Command::new(exe).args(&kept).exec();
    panic!("re-running the bench with {kept:?}: {err}");
}
