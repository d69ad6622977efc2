//! `dfw-cli restore [-6] [-n] [-t] [-c] [FILE]`: iptables-restore compatible input (stdin
//! without FILE), applied as one atomic batch. Exit 0 on success; on a parse error or a
//! kernel rejection prints `FILE:LINE: the input line` and the reason, exits 1, and the
//! kernel is unchanged.

use std::ffi::OsString;
use std::io::Read;
use std::process::ExitCode;

use dfw_core::syntax::RestoreScript;
use dfw_netlink::firewall::{Firewall, RestoreError, RestoreOptions};

/// `restore` options.
#[derive(Debug, Default, PartialEq, Eq, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// IPv6 (ip6tables-restore).
    #[arg(short = '6', long = "ipv6")]
    ipv6: bool,
    /// Do not flush the tables: touch only the chains the input names.
    #[arg(short = 'n', long = "noflush")]
    noflush: bool,
    /// Only check the input against the kernel's state; change nothing.
    #[arg(short = 't', long = "test")]
    test: bool,
    /// Restore the counters given in the input.
    #[arg(short = 'c', long = "counters")]
    counters: bool,
    /// The input file (standard input when absent).
    file: Option<std::path::PathBuf>,
}

/// The arguments after the program name when they are exactly `restore` followed by its own
/// flags (each once, spelled out) and at most one file not starting with `-`: what clap would
/// make of them, without building clap's whole command tree (a tenth of `dfw-cli restore`'s
/// start-up). `None` for anything else, which clap then parses (and explains).
pub fn quick_args(args: &[OsString]) -> Option<Args> {
    let (first, rest) = args.split_first()?;
    if first != "restore" {
        return None;
    }
    let mut a = Args::default();
    for arg in rest {
        let flag = match arg.to_str() {
            Some("-6" | "--ipv6") => &mut a.ipv6,
            Some("-n" | "--noflush") => &mut a.noflush,
            Some("-t" | "--test") => &mut a.test,
            Some("-c" | "--counters") => &mut a.counters,
            _ => {
                let plain = !arg.is_empty() && !arg.as_encoded_bytes().starts_with(b"-");
                if !plain || a.file.is_some() {
                    return None;
                }
                a.file = Some(arg.into());
                continue;
            }
        };
        if std::mem::replace(flag, true) {
            return None;
        }
    }
    Some(a)
}

/// Prints `FILE:LINE: text` and the reason.
fn report(name: &str, text: &str, line: Option<usize>, reason: &dyn std::fmt::Display) {
    match line {
        Some(n) => {
            let input = text.lines().nth(n.saturating_sub(1)).unwrap_or("");
            crate::errln!("{name}:{n}: {input}");
            crate::errln!("dfw-cli restore: {reason}");
        }
        None => crate::errln!("dfw-cli restore: {name}: {reason}"),
    }
}

/// Runs `restore`.
pub fn run(a: Args) -> ExitCode {
    let (name, bytes) = match &a.file {
        Some(p) => match std::fs::read(p) {
            Ok(b) => (p.display().to_string(), b),
            Err(e) => {
                crate::errln!("dfw-cli restore: {}: {e}", p.display());
                return ExitCode::FAILURE;
            }
        },
        None => {
            let mut b = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut b) {
                crate::errln!("dfw-cli restore: <stdin>: {e}");
                return ExitCode::FAILURE;
            }
            ("<stdin>".to_string(), b)
        }
    };
    let text = match dfw_core::text::utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            crate::errln!("{name}:{}:{}: not UTF-8 text", e.line, e.column);
            crate::errln!("dfw-cli restore: {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let script = match RestoreScript::parse(super::family(a.ipv6), text) {
        Ok(s) => s,
        Err(e) => {
            report(&name, text, Some(e.line), &e);
            return ExitCode::FAILURE;
        }
    };
    let mut fw = match Firewall::open() {
        Ok(f) => f,
        Err(e) => {
            crate::errln!("dfw-cli restore: {e}");
            return ExitCode::FAILURE;
        }
    };
    let opts = RestoreOptions {
        noflush: a.noflush,
        test_only: a.test,
        counters: a.counters,
    };
    match fw.restore(&script, opts) {
        Ok(_) => {
            // The process exits next: freeing the parsed script and the firewall's kept
            // state (tens of thousands of allocations at 1,000 rules) would only cost time.
            std::mem::forget((script, fw, bytes));
            ExitCode::SUCCESS
        }
        Err(e) => {
            let line = e.line();
            match &e {
                RestoreError::Script(s) => report(&name, text, line, s),
                RestoreError::Firewall { source, .. } => {
                    let why = match line {
                        Some(n) => format!("line {n}: {source}"),
                        None => source.to_string(),
                    };
                    report(&name, text, line, &why)
                }
            }
            ExitCode::FAILURE
        }
    }
}
