//! Test support: a minimal `iptables-save` rendering of the rules the policy compiler makes.
//!
//! The real printer lives in `dfw_core::syntax` (another branch when this was written); this
//! covers only what the compiler emits and panics on anything else, so a golden text here is
//! also what `iptables-save` prints for the same rules.
#![allow(dead_code)]

pub mod golden;

use std::fmt::Write;

use dfw_core::model::matches::{Conntrack, CtStates};
use dfw_core::model::target::Target;
use dfw_core::model::{Match, Network, Rule, Ruleset};

fn addr(n: &Network) -> String {
    if n.is_host() {
        n.addr().to_string()
    } else {
        n.to_string()
    }
}

fn quote(s: &str) -> String {
    if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c == '"') {
        format!("\"{}\"", s.replace('"', "\\\""))
    } else {
        s.to_string()
    }
}

fn conntrack(c: &Conntrack, out: &mut String) {
    out.push_str(" -m conntrack");
    if let Some(s) = &c.state {
        let names: Vec<_> = CtStates::NAMES
            .iter()
            .filter(|(f, _)| s.value.contains(*f))
            .map(|(_, n)| *n)
            .collect();
        write!(out, " {}--ctstate {}", s.bang(), names.join(",")).unwrap();
    }
    if let Some(d) = &c.orig_dst {
        write!(out, " {}--ctorigdst {}", d.bang(), addr(&d.value)).unwrap();
    }
    if let Some(p) = &c.orig_dst_port {
        write!(out, " {}--ctorigdstport {}", p.bang(), p.value).unwrap();
    }
    let rest = Conntrack {
        state: None,
        orig_dst: None,
        orig_dst_port: None,
        ..c.clone()
    };
    assert!(rest.is_empty(), "unexpected conntrack option {rest:?}");
}

/// One rule, without `-A CHAIN`.
pub fn rule(r: &Rule) -> String {
    let mut out = String::new();
    let h = &r.header;
    if let Some(s) = &h.src {
        write!(out, " {}-s {}", s.bang(), s.value).unwrap();
    }
    if let Some(d) = &h.dst {
        write!(out, " {}-d {}", d.bang(), d.value).unwrap();
    }
    if let Some(i) = &h.in_iface {
        write!(out, " {}-i {}", i.bang(), i.value).unwrap();
    }
    if let Some(o) = &h.out_iface {
        write!(out, " {}-o {}", o.bang(), o.value).unwrap();
    }
    if let Some(p) = &h.proto {
        write!(out, " {}-p {}", p.bang(), p.value).unwrap();
    }
    for m in &r.matches {
        match m {
            Match::Conntrack(c) => conntrack(c, &mut out),
            Match::Comment(c) => {
                write!(out, " -m comment --comment {}", quote(c.as_str())).unwrap()
            }
            Match::IpRange(ipr) => {
                assert!(ipr.dst().is_none());
                let s = ipr.src().unwrap();
                write!(out, " -m iprange {}--src-range {}", s.bang(), s.value).unwrap();
            }
            Match::Tcp(t) => {
                assert!(t.flags.is_none() && t.option.is_none(), "unexpected {t:?}");
                ports(" -m tcp", t.sport.as_ref(), t.dport.as_ref(), &mut out)
            }
            Match::Udp(u) => ports(" -m udp", u.sport.as_ref(), u.dport.as_ref(), &mut out),
            Match::Icmp(t) => write!(out, " -m icmp {}--icmp-type {}", t.bang(), t.value).unwrap(),
            Match::Icmp6(t) => {
                write!(out, " -m icmp6 {}--icmpv6-type {}", t.bang(), t.value).unwrap()
            }
            other => panic!("unexpected match {other:?}"),
        }
    }
    match &r.target {
        Some(Target::Accept) => out.push_str(" -j ACCEPT"),
        Some(Target::Drop) => out.push_str(" -j DROP"),
        Some(Target::Return) => out.push_str(" -j RETURN"),
        Some(Target::Jump(c)) => write!(out, " -j {c}").unwrap(),
        Some(Target::Reject(r)) => write!(out, " -j REJECT --reject-with {r}").unwrap(),
        other => panic!("unexpected target {other:?}"),
    }
    out.trim_start().to_string()
}

fn ports(
    name: &str,
    sport: Option<&dfw_core::model::Neg<dfw_core::model::PortRange>>,
    dport: Option<&dfw_core::model::Neg<dfw_core::model::PortRange>>,
    out: &mut String,
) {
    out.push_str(name);
    if let Some(s) = sport {
        write!(out, " {}--sport {}", s.bang(), s.value).unwrap();
    }
    if let Some(d) = dport {
        write!(out, " {}--dport {}", d.bang(), d.value).unwrap();
    }
}

/// A whole ruleset in `iptables-save` form, without the comment lines and counters as
/// `iptables-save` prints them for a fresh ruleset.
pub fn ruleset(rs: &Ruleset) -> String {
    let mut out = String::new();
    for t in rs.tables() {
        writeln!(out, "*{}", t.name()).unwrap();
        for c in t.chains() {
            let policy = c.policy().map(|p| p.as_str()).unwrap_or("-");
            writeln!(out, ":{} {policy} [0:0]", c.name()).unwrap();
        }
        for c in t.chains() {
            for r in &c.rules {
                writeln!(out, "-A {} {}", c.name(), rule(r)).unwrap();
            }
        }
        out.push_str("COMMIT\n");
    }
    out
}
