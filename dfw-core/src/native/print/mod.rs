//! `nft list ruleset` text of native tables: [`rule_text`] for one rule (what explain and
//! audit show), [`ruleset_text`] for everything, in nft 1.0.6's layout.
//!
//! Contract: for the forms nft itself generates the text is nft's (checked against
//! `nft list ruleset` for every rule of the test rulesets); anything else prints visibly as
//! `<...>`, never as something it is not.

mod rule;
mod set;
mod types;

pub use rule::rule_text;

use super::{Chain, Ruleset, Set, Table, Verdict};
use crate::model::Hook;
use std::fmt::Write;
use types::Ty;

/// A verdict as nft prints it.
pub(crate) fn verdict(v: &Verdict) -> String {
    match v {
        Verdict::Accept => "accept".into(),
        Verdict::Drop => "drop".into(),
        Verdict::Return => "return".into(),
        Verdict::Continue => "continue".into(),
        Verdict::Jump(c) => format!("jump {c}"),
        Verdict::Goto(c) => format!("goto {c}"),
        Verdict::Other(n) => format!("<verdict {n}>"),
    }
}

fn hook_name(h: Hook) -> &'static str {
    match h {
        Hook::Prerouting => "prerouting",
        Hook::Input => "input",
        Hook::Forward => "forward",
        Hook::Output => "output",
        Hook::Postrouting => "postrouting",
    }
}

/// A priority as nft names it for this hook and chain type (`name`, `name + n`, or the number).
fn priority(hook: Hook, chain_type: &str, p: i32) -> String {
    let mut names = vec![
        ("raw", -300),
        ("mangle", -150),
        ("filter", 0),
        ("security", 50),
    ];
    if hook == Hook::Prerouting {
        names.push(("dstnat", -100));
    }
    if hook == Hook::Postrouting {
        names.push(("srcnat", 100));
    }
    let _ = chain_type;
    for (n, v) in &names {
        if p == *v {
            return (*n).to_string();
        }
    }
    for (n, v) in &names {
        let d = p - v;
        if (1..=10).contains(&d) {
            return format!("{n} + {d}");
        }
        if (-10..=-1).contains(&d) {
            return format!("{n} - {}", -d);
        }
    }
    p.to_string()
}

fn set_text(out: &mut String, s: &Set) {
    let kind = if s.is_map() { "map" } else { "set" };
    let key_ty = key_type_name(s.key_type);
    let _ = writeln!(out, "\t{kind} {} {{", s.name);
    match s.data_type {
        Some(d) if s.is_map() => {
            let _ = writeln!(out, "\t\ttype {key_ty} : {}", Ty::from_id(d).name());
        }
        _ => {
            let _ = writeln!(out, "\t\ttype {key_ty}");
        }
    }
    if s.flags.has(super::SetFlags::INTERVAL) {
        let _ = writeln!(out, "\t\tflags interval");
    }
    let elems = set::elements(s, Ty::from_id(s.key_type));
    if !elems.is_empty() {
        let sep = if s.is_map() { ",\n\t\t\t     " } else { ", " };
        let _ = writeln!(out, "\t\telements = {{ {} }}", elems.join(sep));
    }
    let _ = writeln!(out, "\t}}");
}

fn key_type_name(t: u32) -> String {
    if t >> 6 == 0 {
        return Ty::from_id(t).name().into();
    }
    let mut parts = Vec::new();
    let mut v = t;
    while v != 0 {
        parts.push(Ty::from_id(v & 0x3f).name());
        v >>= 6;
    }
    parts.reverse();
    parts.join(" . ")
}

fn chain_text(out: &mut String, t: &Table, c: &Chain) {
    let _ = writeln!(out, "\tchain {} {{", c.name);
    if let Some(b) = &c.base {
        let policy = match b.policy {
            super::ChainPolicy::Accept => "accept",
            super::ChainPolicy::Drop => "drop",
        };
        let _ = writeln!(
            out,
            "\t\ttype {} hook {} priority {}; policy {policy};",
            b.chain_type,
            hook_name(b.hook),
            priority(b.hook, &b.chain_type, b.priority)
        );
    }
    for r in &c.rules {
        let _ = writeln!(out, "\t\t{}", rule_text(t, r));
    }
    let _ = writeln!(out, "\t}}");
}

/// One table as `nft list ruleset` prints it.
pub fn table_text(t: &Table) -> String {
    let mut out = format!("table {} {} {{\n", t.family, t.name);
    let mut first = true;
    for s in t.sets.iter().filter(|s| !s.is_anonymous()) {
        if !first {
            out.push('\n');
        }
        first = false;
        set_text(&mut out, s);
    }
    for c in &t.chains {
        if !first {
            out.push('\n');
        }
        first = false;
        chain_text(&mut out, t, c);
    }
    out.push_str("}\n");
    out
}

/// Every table, as `nft list ruleset` prints them (families ip, ip6, inet only).
pub fn ruleset_text(rs: &Ruleset) -> String {
    rs.tables.iter().map(table_text).collect()
}
