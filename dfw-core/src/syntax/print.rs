//! Prints rulesets, tables and rule lines exactly as `iptables-save` 1.8.9 does, without its
//! `# Generated` / `# Completed` comment lines.
//!
//! Contract: for every file `iptables-save` prints, `print_ruleset(parse_ruleset(file))` is
//! the file, byte for byte. Chain lines always carry counters (user chains `[0:0]`, as
//! iptables-nft prints them); rule counters are printed only when asked (`iptables-save -c`).

use std::fmt::Write;

use super::rule_spec::rule_spec;
use crate::model::{ChainName, Rule, Ruleset, Table};

/// Printing choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// Print `[packets:bytes]` before each `-A` line (`iptables-save -c`).
    pub counters: bool,
}

/// The whole ruleset: every table, in the ruleset's order.
pub fn print_ruleset(ruleset: &Ruleset, opts: PrintOptions) -> String {
    ruleset
        .tables()
        .iter()
        .map(|t| print_table(t, opts))
        .collect()
}

/// One table: `*name`, chain lines, `-A` lines, `COMMIT`, each ending in a newline.
pub fn print_table(table: &Table, opts: PrintOptions) -> String {
    let mut out = format!("*{}\n", table.name());
    for c in table.chains() {
        let (policy, counters) = match c.policy() {
            Some(p) => (p.as_str(), c.counters),
            None => ("-", Default::default()),
        };
        let _ = writeln!(
            out,
            ":{} {policy} [{}:{}]",
            c.name(),
            counters.packets,
            counters.bytes
        );
    }
    for c in table.chains() {
        for r in &c.rules {
            out.push_str(&print_rule(c.name(), r, opts));
            out.push('\n');
        }
    }
    out.push_str("COMMIT\n");
    out
}

/// One `-A CHAIN ...` line (no newline), with `[p:b] ` first when counters are asked for
/// (`[0:0]` when the rule has none).
pub fn print_rule(chain: &ChainName, rule: &Rule, opts: PrintOptions) -> String {
    let mut out = String::new();
    if opts.counters {
        let c = rule.counters.unwrap_or_default();
        let _ = write!(out, "[{}:{}] ", c.packets, c.bytes);
    }
    let _ = write!(out, "-A {chain}{}", rule_spec(rule));
    out
}
