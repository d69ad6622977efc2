//! Names an option the way `getopt_long` does inside iptables: exact long names first (the
//! base options, then the target's and the matches', newest first), else a prefix that
//! names exactly one option (`--sport` is `--sports` once `-m multiport` is loaded), else
//! the `-p` protocol's match is loaded and the name tried again.
//!
//! Contract: the same token resolves to the same option iptables 1.8.9 would pick, or to
//! an error; no I/O, no panics.

use super::error::ErrorKind;
use super::ext::OptSpec;
use super::lexer::Token;
use super::rule_parser::{Owner, RuleState};

/// The base long options of iptables 1.8.9 (`xtables.c`), with their short letter.
pub const LONG: &[(&str, char)] = &[
    ("append", 'A'),
    ("delete", 'D'),
    ("check", 'C'),
    ("insert", 'I'),
    ("replace", 'R'),
    ("list", 'L'),
    ("list-rules", 'S'),
    ("flush", 'F'),
    ("zero", 'Z'),
    ("new-chain", 'N'),
    ("delete-chain", 'X'),
    ("rename-chain", 'E'),
    ("policy", 'P'),
    ("source", 's'),
    ("destination", 'd'),
    ("src", 's'),
    ("dst", 'd'),
    ("protocol", 'p'),
    ("in-interface", 'i'),
    ("jump", 'j'),
    ("table", 't'),
    ("match", 'm'),
    ("numeric", 'n'),
    ("out-interface", 'o'),
    ("verbose", 'v'),
    ("wait", 'w'),
    ("wait-interval", 'W'),
    ("exact", 'x'),
    ("fragment", 'f'),
    ("version", 'V'),
    ("help", 'h'),
    ("line-numbers", '0'),
    ("modprobe", 'M'),
    ("set-counters", 'c'),
    ("goto", 'g'),
    ("ipv4", '4'),
    ("ipv6", '6'),
];

/// Short letters iptables knows (commands, rule options, and the rest).
pub const SHORT: &str = "AIDRNXFZPECLSsdiopmjgctf46vnxwWVhM";

/// What an option token names.
#[derive(Debug, Clone, Copy)]
pub enum Resolved {
    /// A base option, by its short letter.
    Base(char),
    /// An option of a loaded extension.
    Ext(Owner, &'static OptSpec),
}

impl Resolved {
    fn same(&self, other: &Resolved) -> bool {
        match (self, other) {
            (Resolved::Base(a), Resolved::Base(b)) => a == b,
            (Resolved::Ext(o1, s1), Resolved::Ext(o2, s2)) => o1 == o2 && s1.id == s2.id,
            _ => false,
        }
    }

    fn name(&self) -> String {
        match self {
            Resolved::Base(c) => LONG
                .iter()
                .find(|(_, l)| l == c)
                .map_or_else(|| format!("-{c}"), |(n, _)| format!("--{n}")),
            Resolved::Ext(_, s) => format!("--{}", s.name),
        }
    }
}

fn find(name: &str, rule: &RuleState) -> Result<Option<Resolved>, ErrorKind> {
    if let Some((_, c)) = LONG.iter().find(|(n, _)| *n == name) {
        return Ok(Some(Resolved::Base(*c)));
    }
    if let Some((o, s)) = rule.ext_options().find(|(_, s)| s.name == name) {
        return Ok(Some(Resolved::Ext(o, s)));
    }
    let mut hits: Vec<Resolved> = LONG
        .iter()
        .filter(|(n, _)| n.starts_with(name))
        .map(|(_, c)| Resolved::Base(*c))
        .collect();
    hits.extend(
        rule.ext_options()
            .filter(|(_, s)| s.name.starts_with(name))
            .map(|(o, s)| Resolved::Ext(o, s)),
    );
    match hits.as_slice() {
        [] => Ok(None),
        [first, rest @ ..] if rest.iter().all(|h| h.same(first)) => Ok(Some(*first)),
        _ => {
            let names: Vec<String> = hits.iter().map(Resolved::name).collect();
            Err(ErrorKind::Ambiguous(names.join(", ")))
        }
    }
}

/// Resolves `--name` (without the dashes) for the rule being parsed; may load the
/// protocol's match, as iptables does for an option nobody knows.
///
/// # Errors
/// [`ErrorKind::Ambiguous`] or [`ErrorKind::UnknownOption`].
pub fn resolve_long(name: &str, rule: &mut RuleState, opt: &Token) -> Result<Resolved, ErrorKind> {
    if name.is_empty() {
        return Err(ErrorKind::Unexpected);
    }
    if let Some(r) = find(name, rule)? {
        return Ok(r);
    }
    if rule.load_proto_match(opt) {
        if let Some(r) = find(name, rule)? {
            return Ok(r);
        }
    }
    Err(ErrorKind::UnknownOption)
}
