//! Standard output and standard error that never panic.
//!
//! Contract: every byte dfw-cli prints goes through [`stdout`] or [`stderr`] (the macros
//! [`outln!`](crate::outln), [`out!`](crate::out) and [`errln!`](crate::errln)); `print!` and
//! `eprint!` panic when the stream is closed or full, these do not. A closed standard output
//! (`EPIPE`: `dfw-cli plan | head`) ends the output quietly: later writes are dropped and the
//! command finishes with the exit code it would have had (its result does not depend on who
//! reads it). Any other error writing standard output (`ENOSPC` on `> /dev/full`) is reported
//! once by [`finish`] and makes the exit code 1. Errors writing standard error are ignored: a
//! long-running `watch` whose log reader went away keeps repairing.

use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

/// Standard output accepts writes.
const OPEN: u8 = 0;
/// Its reader went away (`EPIPE`): writes are dropped.
const CLOSED: u8 = 1;
/// A write failed otherwise: writes are dropped and [`finish`] reports it.
const FAILED: u8 = 2;

static STDOUT: AtomicU8 = AtomicU8::new(OPEN);
static FAILURE: OnceLock<String> = OnceLock::new();

/// Writes `text` to standard output and flushes it (see the module contract).
pub fn stdout(text: &str) {
    stdout_bytes(text.as_bytes());
}

/// Writes `bytes` to standard output and flushes them (see the module contract).
pub fn stdout_bytes(bytes: &[u8]) {
    if STDOUT.load(Ordering::Relaxed) != OPEN {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        if e.kind() == ErrorKind::BrokenPipe {
            STDOUT.store(CLOSED, Ordering::Relaxed);
        } else {
            STDOUT.store(FAILED, Ordering::Relaxed);
            let _ = FAILURE.set(e.to_string());
        }
    }
}

/// Writes `text` to standard error; a failure is ignored (see the module contract).
pub fn stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
}

/// The exit code of a command that returned `code`: 1 when writing standard output failed
/// for another reason than a closed pipe (reported on standard error), else `code`.
pub fn finish(code: ExitCode) -> ExitCode {
    match FAILURE.get() {
        Some(e) => {
            stderr(&format!("dfw-cli: standard output: {e}\n"));
            ExitCode::FAILURE
        }
        None => code,
    }
}

/// `println!` to standard output without panicking (see [`crate::out`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::out::stdout("\n")
    };
    ($($arg:tt)*) => {{
        let mut line = format!($($arg)*);
        line.push('\n');
        $crate::out::stdout(&line)
    }};
}

/// `print!` to standard output without panicking (see [`crate::out`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::stdout(&format!($($arg)*))
    };
}

/// `eprintln!` without panicking (see [`crate::out`]).
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        let mut line = format!($($arg)*);
        line.push('\n');
        $crate::out::stderr(&line)
    }};
}
