//! The rule codec against the kernel and iptables 1.8.9 (needs root; run with
//! `cargo test -p dfw-netlink --test kernel_needs_root -- --ignored`).
//!
//! For arbitrary model rules of both families (the shared strategies, narrowed to what the
//! iptables command line can express, see [`expressible`]), in a private network namespace:
//! dfw's encoding is sent as one batch (test-only writer in `kernel/`); the kernel must accept
//! it; `iptables-save` must print exactly one rule for it without calling the table
//! incompatible; and `iptables -C` with that printed rule must find it, which in 1.8.9 means
//! iptables' own encoding of the text decodes to the same matches and byte-identical xt blobs.
//! Then iptables adds that text to another chain (under strace): what it sends, native tcp/udp
//! ports and flags and native mark included, must decode to the original model rule.
//! `DFW_KERNEL_CASES=N` sets the number of rules per family (default 300).

#![cfg(target_endian = "little")]

mod kernel;
mod strategies;

use std::process::Command;

use dfw_core::model::matches::{Conntrack, CtStates};
use dfw_core::model::{ChainName, Family, Match, Neg, Network, PortRange, Protocol, Rule, Target};
use dfw_netlink::rule_codec::{decode_rule, encode_rule, DecodedRule};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn sh(cmd: &str) -> (bool, String) {
    let out = Command::new("sh").args(["-c", cmd]).output().unwrap();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

fn tool(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "iptables",
        Family::Ipv6 => "ip6tables",
    }
}

/// True for `None`, else `f(value)` (`Option::is_none_or`, newer than the MSRV).
fn none_or<T>(o: Option<T>, f: impl FnOnce(T) -> bool) -> bool {
    match o {
        None => true,
        Some(v) => f(v),
    }
}

fn shell_safe(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " _.:-".contains(c))
}

fn conntrack_ok(c: &Conntrack) -> bool {
    // libxt_conntrack parses only prefix lengths (a dotted mask is dropped), and an empty
    // --ctstate cannot be written.
    c.addresses()
        .iter()
        .all(|(_, a)| none_or(*a, |a: &Neg<Network>| a.value.prefix().is_some()))
        && none_or(c.state.as_ref(), |s| !s.value.is_empty())
}

/// Rules the iptables command line can write back (the model is wider in a few corners).
fn expressible(r: &Rule) -> bool {
    let l4_ports = matches!(r.bound_proto(), Some(Protocol::TCP | Protocol::UDP));
    let matches_ok = r.matches.iter().all(|m| match m {
        Match::Comment(c) => shell_safe(c.as_str()),
        // iptables 1.8.9 builds `--tcp-flags NONE x` natively in a form that does not compare
        // equal to the xt blob.
        // and libxt_tcp refuses `--tcp-option 0`.
        Match::Tcp(t) => {
            none_or(t.flags.as_ref(), |f| !f.value.mask.is_empty())
                && none_or(t.option.as_ref(), |o| o.value != 0)
        }
        Match::Conntrack(c) => conntrack_ok(c),
        // libxt_state knows only these five (the model also allows SNAT/DNAT here).
        Match::State(s) => {
            let five = CtStates::INVALID
                | CtStates::NEW
                | CtStates::RELATED
                | CtStates::ESTABLISHED
                | CtStates::UNTRACKED;
            !s.value.is_empty() && five.contains(s.value)
        }
        Match::AddrType(a) => a.src.is_some() || a.dst.is_some(),
        _ => true,
    });
    let target_ok = match &r.target {
        Some(Target::Log(l)) => shell_safe(l.prefix()),
        Some(Target::Dnat(n)) if n.random_fully => false,
        Some(Target::Dnat(n) | Target::Snat(n)) => {
            (n.addrs.is_some() || n.ports.is_some()) && (n.ports.is_none() || l4_ports)
        }
        Some(Target::Masquerade(m)) => m.ports.is_none() || l4_ports,
        _ => true,
    };
    // iptables 1.8.9 merges repeated `-m tcp`/`-m udp` into one native match when it builds a
    // rule from text, so -C cannot find a rule holding two of them.
    let l4_matches = r
        .matches
        .iter()
        .filter(|m| matches!(m, Match::Tcp(_) | Match::Udp(_)))
        .count();
    matches_ok && target_ok && l4_matches <= 1
}

/// A tcp/udp match with `! --sport P ! --dport Q`, both single ports.
fn inverted_port_pair(r: &Rule) -> bool {
    let pair = |s: &Option<Neg<PortRange>>, d: &Option<Neg<PortRange>>| match (s, d) {
        (Some(s), Some(d)) => s.negated && d.negated && s.value.is_single() && d.value.is_single(),
        _ => false,
    };
    r.matches.iter().any(|m| match m {
        Match::Tcp(t) => pair(&t.sport, &t.dport),
        Match::Udp(u) => pair(&u.sport, &u.dport),
        _ => false,
    })
}

fn table_of(r: &Rule) -> &'static str {
    match r.target {
        Some(Target::Dnat(_) | Target::Snat(_) | Target::Masquerade(_)) => "nat",
        _ => "filter",
    }
}

fn check_in_kernel(family: Family, mut rule: Rule) -> Result<(), TestCaseError> {
    let other = ChainName::new("DFWJ").unwrap();
    rule.target = match rule.target.take() {
        Some(Target::Jump(_)) => Some(Target::Jump(other)),
        Some(Target::Goto(_)) => Some(Target::Goto(other)),
        t => t,
    };
    let (ipt, table) = (tool(family), table_of(&rule));
    let (ok, out) = sh(&format!("{ipt} -t {table} -F DFW"));
    prop_assert!(ok, "{}", out);
    let enc = encode_rule(family, &rule).unwrap();
    let err = kernel::send(&kernel::batch(family, table, "DFW", &enc));
    prop_assert_eq!(err, 0, "kernel refused {:?}\n{:?}", rule, enc);
    let (ok, save) = sh(&format!("{ipt}-save -t {table}"));
    prop_assert!(ok && !save.contains("incompatible"), "{}", save);
    let lines: Vec<&str> = save
        .lines()
        .filter(|l| *l == "-A DFW" || l.starts_with("-A DFW "))
        .collect();
    prop_assert_eq!(lines.len(), 1, "{}", save);
    let spec = lines[0].trim_start_matches("-A DFW");
    let (ok, out) = sh(&format!("{ipt} -t {table} -C DFW {spec}"));
    prop_assert!(ok, "-C failed for {:?}\nsaved as: {}\n{}", rule, spec, out);
    // iptables' own encoding of the saved text (native tcp/udp/mark) decodes to the same rule.
    let added = kernel::strace::capture(
        &format!("{ipt} -t {table} -F DFW2;"),
        &format!("{ipt} -t {table} -A DFW2 {spec}"),
        false,
    );
    prop_assert_eq!(added.len(), 1, "{}", spec);
    let (exprs, compat) = &added[0];
    match decode_rule(family, exprs, *compat) {
        // iptables 1.8.9 writes `! --sport P ! --dport Q` as one `!=` on both ports, which
        // matches when either differs: not the rule's meaning, so dfw keeps it opaque.
        DecodedRule::Opaque { reason, .. } if inverted_port_pair(&rule) => {
            prop_assert!(reason.contains("combined"), "{}", reason)
        }
        DecodedRule::Rule(back) => prop_assert_eq!(back, rule, "iptables wrote {:?}", exprs),
        DecodedRule::Opaque { reason, .. } => {
            prop_assert!(
                false,
                "iptables' {:?} is opaque: {}\n{:?}",
                spec,
                reason,
                exprs
            )
        }
    }
    Ok(())
}

fn run_family(family: Family, cases: u32) {
    kernel::enter_new_netns();
    let ipt = tool(family);
    for table in ["filter", "nat"] {
        let (ok, out) = sh(&format!(
            "{ipt} -t {table} -N DFW && {ipt} -t {table} -N DFWJ && {ipt} -t {table} -N DFW2"
        ));
        assert!(ok, "{out}");
    }
    let cases = std::env::var("DFW_KERNEL_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    let mut runner = TestRunner::new(Config {
        cases,
        ..Config::default()
    });
    let strat = strategies::rule(family).prop_filter("expressible", expressible);
    let ran = std::cell::Cell::new(0u32);
    runner
        .run(&strat, |r| {
            ran.set(ran.get() + 1);
            check_in_kernel(family, r)
        })
        .unwrap();
    eprintln!("{family}: {} rules checked in the kernel", ran.get());
}

#[test]
#[ignore = "needs root and iptables 1.8.9 (nf_tables)"]
fn ipv4_rules_are_accepted_saved_and_checkable_needs_root() {
    run_family(Family::Ipv4, 300);
}

#[test]
#[ignore = "needs root and ip6tables 1.8.9 (nf_tables)"]
fn ipv6_rules_are_accepted_saved_and_checkable_needs_root() {
    run_family(Family::Ipv6, 300);
}
