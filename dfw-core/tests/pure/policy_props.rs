//! Properties: the compiler never panics and only makes valid rules; configs round-trip
//! through TOML; the loader never panics on any text. Pure: no kernel needed.

use std::net::IpAddr;

use dfw_core::model::matches::Comment;
use dfw_core::model::{AddrRange, Family, Iface, Network, PortRange};
use dfw_core::policy::{
    is_dfw_chain, is_dfw_jump, Allow, DefaultAction, External, Forward, Policy, PortSpec, Source,
    Transport, CHAIN_DOCKER_EXT,
};
use proptest::prelude::*;

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u16; 8]>().prop_map(IpAddr::from),
    ]
}

fn network() -> impl Strategy<Value = Network> {
    (ip(), any::<u8>()).prop_map(|(a, p)| {
        let bits = Family::of(&a).addr_bits();
        Network::with_prefix(a, p % (bits + 1)).unwrap()
    })
}

fn source() -> impl Strategy<Value = Source> {
    prop_oneof![
        network().prop_map(Source::Net),
        (ip(), ip()).prop_map(|(a, b)| {
            let b = if Family::of(&a) == Family::of(&b) {
                b
            } else {
                a
            };
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            Source::Range(AddrRange::new(lo, hi).unwrap())
        }),
    ]
}

fn port_spec() -> impl Strategy<Value = PortSpec> {
    // Port 0 is refused: no connection uses it.
    (any::<bool>(), 1..=u16::MAX, 1..=u16::MAX).prop_map(|(udp, a, b)| PortSpec {
        proto: if udp { Transport::Udp } else { Transport::Tcp },
        ports: PortRange::new(a.min(b), a.max(b)).unwrap(),
    })
}

fn iface() -> impl Strategy<Value = Iface> {
    // At most 15 bytes, '+' included (iptables' limit for a wildcard).
    prop_oneof!["[a-z][a-z0-9._-]{0,14}", "[a-z][a-z0-9._-]{0,13}\\+"]
        .prop_filter("not loopback or auto", |s| {
            !["lo", "lo+", "auto"].contains(&s.as_str())
        })
        .prop_map(|s| Iface::parse(&s).unwrap())
}

/// A valid allow: non-empty ports; `from` non-empty and with a source of `to`'s family.
fn allow() -> impl Strategy<Value = Allow> {
    (
        proptest::option::of("[a-zA-Z0-9 _.:-]{0,40}"),
        proptest::collection::vec(port_spec(), 1..4),
        proptest::option::of(proptest::collection::vec(source(), 1..4)),
        proptest::option::of(network()),
    )
        .prop_map(|(comment, ports, mut from, to)| {
            if let (Some(from), Some(to)) = (&mut from, to) {
                if !from.iter().any(|s| s.family() == to.family()) {
                    from.push(Source::Net(to));
                }
            }
            Allow {
                comment: comment.map(|c| Comment::new(&c).unwrap()),
                ports,
                from,
                to,
            }
        })
}

fn policy() -> impl Strategy<Value = Policy> {
    (
        proptest::option::of(proptest::collection::btree_set(iface(), 1..4)),
        any::<(bool, bool, bool)>(),
        proptest::collection::vec(allow(), 0..4),
        proptest::collection::vec(source(), 0..4),
        proptest::collection::vec(source(), 0..4),
        proptest::collection::vec((iface(), iface()), 0..3),
    )
        .prop_map(
            |(ext, (drop, host, ping), allow, whitelist, lan, fwd)| Policy {
                external: ext.map_or(External::Auto, |s| External::Named(s.into_iter().collect())),
                default: if drop {
                    DefaultAction::Drop
                } else {
                    DefaultAction::Reject
                },
                host,
                ping,
                allow,
                whitelist,
                lan,
                forward: fwd
                    .into_iter()
                    .map(|(in_iface, out_iface)| Forward {
                        in_iface,
                        out_iface,
                    })
                    .collect(),
                blocklist: None,
                accept_fwmark: None,
            },
        )
}

fn list<T: ToString>(items: &[T]) -> String {
    let quoted: Vec<_> = items
        .iter()
        .map(|i| format!("\"{}\"", i.to_string()))
        .collect();
    format!("[{}]", quoted.join(", "))
}

/// The config text of a policy, as a user would write it.
fn to_toml(p: &Policy) -> String {
    let mut t = String::new();
    if let External::Named(names) = &p.external {
        t += &format!("[interfaces]\nexternal = {}\n", list(names));
    }
    let default = if p.default == DefaultAction::Drop {
        "drop"
    } else {
        "reject"
    };
    t += &format!(
        "[policy]\ndefault = \"{default}\"\nhost = {}\nping = {}\n",
        p.host, p.ping
    );
    for a in &p.allow {
        t += &format!("[[allow]]\nports = {}\n", list(&a.ports));
        if let Some(c) = &a.comment {
            t += &format!("comment = \"{}\"\n", c.as_str());
        }
        if let Some(from) = &a.from {
            // A generated list may cover a whole family: the opt-in says it is meant.
            t += &format!("from = {}\nallow_everyone = true\n", list(from));
        }
        if let Some(to) = &a.to {
            t += &format!("to = \"{to}\"\n");
        }
    }
    if !p.whitelist.is_empty() {
        t += &format!(
            "[whitelist]\nsources = {}\nallow_everyone = true\n",
            list(&p.whitelist)
        );
    }
    if !p.lan.is_empty() {
        t += &format!(
            "[lan]\nnetworks = {}\nallow_everyone = true\n",
            list(&p.lan)
        );
    }
    for f in &p.forward {
        t += &format!(
            "[[forward]]\nin = \"{}\"\nout = \"{}\"\n",
            f.in_iface, f.out_iface
        );
    }
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn compile_makes_only_valid_rules(p in policy(), ext in proptest::collection::vec(iface(), 0..3)) {
        let c = p.compile(&ext);
        for family in Family::ALL {
            let rules = c.family(family);
            for r in rules.rules() {
                prop_assert!(r.check(family).is_ok(), "{family}: {r:?}");
            }
            for (name, _) in &rules.chains {
                prop_assert!(is_dfw_chain(name.as_str()));
            }
            for j in &rules.jumps {
                prop_assert!(is_dfw_jump(&j.rule));
            }
            let ext_chain = rules.chain(CHAIN_DOCKER_EXT).unwrap();
            let last = ext_chain.last().and_then(|r| r.target.as_ref());
            prop_assert!(matches!(
                last,
                Some(dfw_core::model::Target::Drop | dfw_core::model::Target::Reject(_))
            ));
            prop_assert_eq!(rules.jumps.len(), if p.host { 2 } else { 1 });
        }
        prop_assert!(c.to_rulesets().is_ok());
    }

    #[test]
    fn configs_round_trip_through_toml(p in policy()) {
        let text = to_toml(&p);
        let back = Policy::from_toml(&text, "p.toml");
        prop_assert_eq!(back.as_ref().ok(), Some(&p), "{}\n{:?}", text, back);
    }

    #[test]
    fn loader_never_panics_on_any_text(text in "\\PC{0,200}") {
        if let Err(e) = Policy::from_toml(&text, "x") {
            prop_assert!(e.location().line >= 1 && e.location().column >= 1);
        }
    }

    #[test]
    fn loader_never_panics_on_damaged_configs(
        cut in 0usize..2000, len in 0usize..8, insert in "[\\[\\]\"=,. a-z0-9/-]{0,4}"
    ) {
        let example = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml"));
        let mut at = cut.min(example.len());
        while !example.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(example.len());
        while !example.is_char_boundary(end) { end -= 1; }
        let text = format!("{}{}{}", &example[..at], insert, &example[end..]);
        if let Err(e) = Policy::from_toml(&text, "x") {
            let line = e.location().line;
            prop_assert!(line >= 1 && line <= text.lines().count() + 1, "{e}");
        }
    }
}
