//! Prints one rule exactly as `iptables-save` 1.8.9 prints it: header `-s -d -i -o -p`,
//! matches in order with `-m NAME` spelled out, then the target.
//!
//! Contract: option order and spelling follow each extension's `save` function in
//! iptables 1.8.9 (libxt_tcp, libxt_conntrack, libxt_LOG, libxt_NAT, ...); strings are
//! quoted as `xtables_save_string` quotes them.

use std::fmt::Write;

use crate::model::matches::{Conntrack, CtStates, CtStatus, IcmpType, TcpFlag, TcpMatch, UdpMatch};
use crate::model::target::{LogFlags, Nat};
use crate::model::{ip_text, Family, Iface, Match, Neg, Network, PortRange, Rule, Target};

/// Appends ` value`, double-quoted with `"`, `\` and `'` escaped unless it is made only of
/// letters, digits, `_` and `-` (`xtables_save_string`).
pub fn save_string(out: &mut String, value: &str) {
    out.push(' ');
    let plain = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '\'') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

fn bang<T>(out: &mut String, v: &Neg<T>) {
    if v.negated {
        out.push_str(" !");
    }
}

/// ` -i NAME`: the name as iptables-save prints it (raw), except that a name holding `"` (the
/// kernel allows it; iptables-save prints it raw, which no restore can read back) is quoted as
/// [`save_string`] quotes, so that the line parses back to the same name.
fn iface(out: &mut String, opt: &str, i: &Neg<Iface>) {
    bang(out, i);
    let name = i.value.to_string();
    let _ = write!(out, " {opt}");
    if name.contains('"') {
        save_string(out, &name);
    } else {
        let _ = write!(out, " {name}");
    }
}

/// The rule as iptables-save prints it after `-A CHAIN` (starts with a space unless empty).
pub fn rule_spec(rule: &Rule) -> String {
    let mut out = String::new();
    let h = &rule.header;
    if let Some(s) = &h.src {
        bang(&mut out, s);
        let _ = write!(out, " -s {}", s.value);
    }
    if let Some(d) = &h.dst {
        bang(&mut out, d);
        let _ = write!(out, " -d {}", d.value);
    }
    if let Some(i) = &h.in_iface {
        iface(&mut out, "-i", i);
    }
    if let Some(o) = &h.out_iface {
        iface(&mut out, "-o", o);
    }
    if let Some(p) = &h.proto {
        bang(&mut out, p);
        let _ = write!(out, " -p {}", p.value);
    }
    for m in &rule.matches {
        let _ = write!(out, " -m {}", m.name());
        print_match(&mut out, m);
    }
    if let Some(t) = &rule.target {
        print_target(&mut out, t);
    }
    out
}

fn ports(out: &mut String, opt: &str, p: &Option<Neg<PortRange>>) {
    if let Some(p) = p.as_ref().filter(|p| p.value != PortRange::ALL) {
        bang(out, p);
        let _ = write!(out, " {opt} {}", p.value);
    }
}

fn flag_names(out: &mut String, f: TcpFlag) {
    let names: Vec<&str> = TcpFlag::NAMES
        .iter()
        .filter(|(b, _)| f.contains(*b))
        .map(|(_, n)| *n)
        .collect();
    out.push_str(if names.is_empty() { "NONE" } else { "" });
    out.push_str(&names.join(","));
}

fn tcp(out: &mut String, m: &TcpMatch) {
    ports(out, "--sport", &m.sport);
    ports(out, "--dport", &m.dport);
    if let Some(o) = m.option.as_ref().filter(|o| o.value != 0 || o.negated) {
        bang(out, o);
        let _ = write!(out, " --tcp-option {}", o.value);
    }
    if let Some(f) = m
        .flags
        .as_ref()
        .filter(|f| !f.value.mask.is_empty() || f.negated)
    {
        bang(out, f);
        out.push_str(" --tcp-flags ");
        flag_names(out, f.value.mask);
        out.push(' ');
        flag_names(out, f.value.comp);
    }
}

fn udp(out: &mut String, m: &UdpMatch) {
    ports(out, "--sport", &m.sport);
    ports(out, "--dport", &m.dport);
}

fn states(out: &mut String, s: CtStates) {
    let names: Vec<&str> = CtStates::NAMES
        .iter()
        .filter(|(b, _)| s.contains(*b))
        .map(|(_, n)| *n)
        .collect();
    let _ = write!(out, " {}", names.join(","));
}

/// A conntrack address: no suffix for a host, `/N` or `/mask` otherwise.
fn ct_addr(n: &Network) -> String {
    if n.is_host() {
        ip_text(&n.addr())
    } else {
        n.to_string()
    }
}

fn conntrack(out: &mut String, c: &Conntrack) {
    if let Some(s) = &c.state {
        bang(out, s);
        out.push_str(" --ctstate");
        states(out, s.value);
    }
    if let Some(p) = &c.proto {
        bang(out, p);
        let _ = write!(out, " --ctproto {}", p.value.number());
    }
    for (opt, a) in c.addresses() {
        if let Some(a) = a {
            bang(out, a);
            let _ = write!(out, " {opt} {}", ct_addr(&a.value));
        }
    }
    for (opt, p) in c.ports() {
        if let Some(p) = p {
            bang(out, p);
            let _ = write!(out, " {opt} {}", p.value);
        }
    }
    if let Some(s) = &c.status {
        bang(out, s);
        let names: Vec<&str> = CtStatus::NAMES
            .iter()
            .filter(|(b, _)| s.value.contains(*b))
            .map(|(_, n)| *n)
            .collect();
        let text = if names.is_empty() {
            "NONE".to_string()
        } else {
            names.join(",")
        };
        let _ = write!(out, " --ctstatus {text}");
    }
    if let Some(e) = &c.expire {
        bang(out, e);
        let (lo, hi) = e.value;
        if lo == hi {
            let _ = write!(out, " --ctexpire {lo}");
        } else {
            let _ = write!(out, " --ctexpire {lo}:{hi}");
        }
    }
    if let Some(d) = c.direction {
        let dir = match d {
            crate::model::matches::CtDirection::Original => "ORIGINAL",
            crate::model::matches::CtDirection::Reply => "REPLY",
        };
        let _ = write!(out, " --ctdir {dir}");
    }
}

fn icmp(out: &mut String, t: &Neg<IcmpType>, v6: bool) {
    bang(out, t);
    let text = match (t.value, v6) {
        (IcmpType::Any, true) => "255".to_string(),
        (v, _) => v.to_string(),
    };
    let opt = if v6 { "--icmpv6-type" } else { "--icmp-type" };
    let _ = write!(out, " {opt} {text}");
}

fn print_match(out: &mut String, m: &Match) {
    match m {
        Match::Tcp(t) => tcp(out, t),
        Match::Udp(u) => udp(out, u),
        Match::Multiport(mp) => {
            if mp.negated() {
                out.push_str(" !");
            }
            let list: Vec<String> = mp.ports().iter().map(|p| p.to_string()).collect();
            let _ = write!(out, " {} {}", mp.kind().option(), list.join(","));
        }
        Match::Conntrack(c) => conntrack(out, c),
        Match::State(s) => {
            bang(out, s);
            out.push_str(" --state");
            states(out, s.value);
        }
        Match::IpRange(r) => {
            if let Some(s) = r.src() {
                bang(out, s);
                let _ = write!(out, " --src-range {}", s.value);
            }
            if let Some(d) = r.dst() {
                bang(out, d);
                let _ = write!(out, " --dst-range {}", d.value);
            }
        }
        Match::Comment(c) => {
            out.push_str(" --comment");
            save_string(out, c.as_str());
        }
        Match::Icmp(t) => icmp(out, t, false),
        Match::Icmp6(t) => icmp(out, t, true),
        Match::AddrType(a) => {
            for (opt, t) in [("--src-type", &a.src), ("--dst-type", &a.dst)] {
                if let Some(t) = t {
                    bang(out, t);
                    let names: Vec<&str> = crate::model::matches::AddrTypes::NAMES
                        .iter()
                        .filter(|(b, _)| t.value.contains(*b))
                        .map(|(_, n)| *n)
                        .collect();
                    let _ = write!(out, " {opt} {}", names.join(","));
                }
            }
            match a.limit_iface {
                Some(crate::model::matches::LimitIface::In) => out.push_str(" --limit-iface-in"),
                Some(crate::model::matches::LimitIface::Out) => out.push_str(" --limit-iface-out"),
                None => {}
            }
        }
        Match::Mark(m) => super::print_ext::mark_mask(out, m),
        other => {
            super::print_ext::print_match(out, other);
        }
    }
}

/// `ip[-ip]` and `:port[-port]` as libxt_NAT's `sprint_range` prints them.
fn nat_range(n: &Nat) -> String {
    let mut s = String::new();
    let brackets = matches!(n.addrs, Some(a) if a.family() == Family::Ipv6) && n.ports.is_some();
    if let Some(a) = n.addrs {
        s.push_str(if brackets { "[" } else { "" });
        s.push_str(&ip_text(&a.start()));
        if a.start() != a.end() {
            let _ = write!(s, "-{}", ip_text(&a.end()));
        }
        s.push_str(if brackets { "]" } else { "" });
    }
    if let Some(p) = n.ports {
        let _ = write!(s, ":{}", p.lo());
        if !p.is_single() {
            let _ = write!(s, "-{}", p.hi());
        }
    }
    s
}

fn nat_flags(out: &mut String, random: bool, fully: bool, persistent: bool) {
    for (on, name) in [
        (random, " --random"),
        (fully, " --random-fully"),
        (persistent, " --persistent"),
    ] {
        if on {
            out.push_str(name);
        }
    }
}

fn print_target(out: &mut String, t: &Target) {
    match t {
        Target::Accept => out.push_str(" -j ACCEPT"),
        Target::Drop => out.push_str(" -j DROP"),
        Target::Return => out.push_str(" -j RETURN"),
        Target::Jump(c) => {
            let _ = write!(out, " -j {c}");
        }
        Target::Goto(c) => {
            let _ = write!(out, " -g {c}");
        }
        Target::Reject(r) => {
            let _ = write!(out, " -j REJECT --reject-with {}", r.name());
        }
        Target::Log(l) => {
            out.push_str(" -j LOG");
            if !l.prefix().is_empty() {
                out.push_str(" --log-prefix");
                save_string(out, l.prefix());
            }
            if l.level() != crate::model::target::Log::DEFAULT_LEVEL {
                let _ = write!(out, " --log-level {}", l.level());
            }
            for (f, name) in [
                (LogFlags::TCPSEQ, " --log-tcp-sequence"),
                (LogFlags::TCPOPT, " --log-tcp-options"),
                (LogFlags::IPOPT, " --log-ip-options"),
                (LogFlags::UID, " --log-uid"),
                (LogFlags::MACDECODE, " --log-macdecode"),
            ] {
                if l.flags().contains(f) {
                    out.push_str(name);
                }
            }
        }
        Target::Dnat(n) | Target::Snat(n) => {
            let (name, opt) = match t {
                Target::Dnat(_) => ("DNAT", "--to-destination"),
                _ => ("SNAT", "--to-source"),
            };
            let _ = write!(out, " -j {name}");
            let range = nat_range(n);
            if !range.is_empty() {
                let _ = write!(out, " {opt} {range}");
            }
            nat_flags(out, n.random, n.random_fully, n.persistent);
        }
        Target::Masquerade(m) => {
            out.push_str(" -j MASQUERADE");
            if let Some(p) = m.ports {
                let _ = write!(out, " --to-ports {}", p.lo());
                if !p.is_single() {
                    let _ = write!(out, "-{}", p.hi());
                }
            }
            nat_flags(out, m.random, m.random_fully, false);
        }
        // Not iptables syntax, on purpose: a rule dfw cannot decode is shown, never re-read.
        Target::Opaque(o) => {
            let reason = o.reason.replace(['\n', '\r'], " ");
            match o.handle {
                Some(h) => {
                    let _ = write!(out, " # a rule dfw cannot decode (handle {h}: {reason})");
                }
                None => {
                    let _ = write!(out, " # a rule dfw cannot decode ({reason})");
                }
            }
        }
        other => {
            super::print_ext::print_target(out, other);
        }
    }
}
