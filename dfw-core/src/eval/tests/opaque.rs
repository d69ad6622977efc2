//! Rules dfw cannot decode ([`Target::Opaque`]): only the verdicts they can change are
//! unknown, naming the rule; every other verdict stays as certain as without them.

use crate::eval::{audit, explain, Packet, Reach, RuleRef, Trace, Verdict};
use crate::model::target::Opaque;
use crate::model::{ChainName, Family, Iface, Neg, Rule, RuleHeader, Ruleset, TableName, Target};

use super::hosts::{docker_host, ip, ETH0_V4};
use super::rules::{fixture, insert, ruleset};

/// A rule dfw cannot decode, with what is known of its header.
fn opaque(header: RuleHeader) -> Rule {
    Rule {
        header,
        target: Some(Target::Opaque(Opaque {
            reason: "xt match string".into(),
            handle: None,
        })),
        ..Rule::default()
    }
}

fn put(rs: &mut Ruleset, table: TableName, chain: &str, index: usize, rule: Rule) {
    rs.table_mut(table)
        .unwrap()
        .insert_rule(chain, index, rule)
        .unwrap();
}

/// Docker 29 with a policy as dfw writes it (DOCKER-USER jumps to POL: replies,
/// 198.51.100.0/24 and port 8080 return, the rest from eth0 is refused), then a neighbour's
/// opaque rule below the jump.
fn docker_with_neighbour() -> Ruleset {
    let mut rs = ruleset(Family::Ipv4, &fixture("docker-29.v4"));
    rs.table_mut(TableName::Filter)
        .unwrap()
        .add_user_chain(ChainName::new("POL").unwrap())
        .unwrap();
    insert(&mut rs, TableName::Filter, "DOCKER-USER", 0, "-j POL");
    for (i, r) in [
        "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
        "-i eth0 -s 198.51.100.0/24 -j RETURN",
        "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
        "-i eth0 -j REJECT --reject-with icmp-port-unreachable",
    ]
    .iter()
    .enumerate()
    {
        insert(&mut rs, TableName::Filter, "POL", i, r);
    }
    put(
        &mut rs,
        TableName::Filter,
        "DOCKER-USER",
        1,
        opaque(RuleHeader::default()),
    );
    rs
}

fn tcp(rs: &Ruleset, src: &str, port: u16) -> Trace {
    let p = Packet::tcp_syn("eth0", ip(src), ip(ETH0_V4), port);
    explain(rs, &p, &docker_host()).unwrap()
}

fn at(chain: &str, number: usize) -> RuleRef {
    RuleRef {
        table: TableName::Filter.into(),
        chain: chain.into(),
        number,
    }
}

#[test]
fn a_verdict_decided_before_the_opaque_rule_stays_certain() {
    let rs = docker_with_neighbour();
    // Refused by dfw's REJECT before the neighbour's rule is ever met.
    let t = tcp(&rs, "203.0.113.5", 5432);
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{:?}", t.verdict);
    // Not forwarded at all (INPUT): DOCKER-USER is not on the path.
    let t = tcp(&rs, "203.0.113.5", 9999);
    assert_eq!(t.verdict, Verdict::Accept);
}

#[test]
fn a_packet_reaching_the_opaque_rule_gets_an_unknown_verdict_naming_it() {
    let rs = docker_with_neighbour();
    for (src, port) in [("203.0.113.5", 8080), ("198.51.100.7", 5432)] {
        let t = tcp(&rs, src, port);
        let Verdict::Unknown(u) = &t.verdict else {
            panic!("{src}:{port}: {:?}", t.verdict)
        };
        assert_eq!(u.rule, Some(at("DOCKER-USER", 2)), "{src}:{port}");
        assert!(u.reason.contains("xt match string"), "{}", u.reason);
    }
}

#[test]
fn an_opaque_rule_whose_known_header_excludes_the_packet_is_passed_by() {
    let mut rs = ruleset(Family::Ipv4, &fixture("docker-29.v4"));
    let on_wg0 = RuleHeader {
        in_iface: Some(Neg {
            value: Iface::parse("wg0").unwrap(),
            negated: false,
        }),
        ..RuleHeader::default()
    };
    put(&mut rs, TableName::Filter, "DOCKER-USER", 0, opaque(on_wg0));
    let t = tcp(&rs, "203.0.113.5", 8080);
    assert_eq!(t.verdict, Verdict::Accept);
    let p = Packet::tcp_syn("wg0", ip("203.0.113.5"), ip(ETH0_V4), 8080);
    let t = explain(&rs, &p, &docker_host()).unwrap();
    assert!(matches!(t.verdict, Verdict::Unknown(_)), "{:?}", t.verdict);
}

#[test]
fn the_audit_is_unknown_only_where_the_opaque_rule_can_change_the_verdict() {
    let rs = docker_with_neighbour();
    let a = audit(&rs, &docker_host());
    let mut unknown = 0;
    for p in &a.published {
        for e in &p.exposure {
            match &e.reach {
                Reach::Unknown(u) => {
                    unknown += 1;
                    assert_eq!(u.rule, Some(at("DOCKER-USER", 2)), "{:?}", p.rule);
                }
                // Everyone the policy refuses is refused with certainty: the port is
                // reachable from the listed sources at most.
                Reach::Nobody | Reach::Sources(_) | Reach::LanOnly => {}
                other => panic!("{:?}: {other:?}", p.rule),
            }
        }
    }
    assert!(unknown > 0);
    // Without the neighbour's rule the same audit knows everything.
    let mut clean = docker_with_neighbour();
    clean
        .table_mut(TableName::Filter)
        .unwrap()
        .chain_mut("DOCKER-USER")
        .unwrap()
        .rules
        .remove(1);
    let a = audit(&clean, &docker_host());
    assert!(a
        .published
        .iter()
        .flat_map(|p| &p.exposure)
        .all(|e| !matches!(e.reach, Reach::Unknown(_))));
}

/// Options and targets of the random rulesets: as the never-panics property's, with opaque
/// rules among them.
const OPTS: &[&str] = &[
    "",
    "-p tcp -m tcp --dport 80",
    "-s 10.0.0.0/8",
    "! -i eth0",
    "-m mark --mark 0x1",
    "-p udp -m multiport --sports 53,67:68",
];

/// A target by number; `None` is an opaque rule (known header, unknown effect).
fn target(i: u8) -> Option<String> {
    Some(match i % 10 {
        0 => "-j ACCEPT".into(),
        1 => "-j DROP".into(),
        2 => "-j RETURN".into(),
        3 => "-j LOG".into(),
        4 => "".into(),
        5 => "-j REJECT".into(),
        6 => format!("-j C{}", i % 3),
        7 => format!("-g C{}", i % 3),
        _ => return None,
    })
}

/// The concrete rules an opaque rule may stand for.
const CONCRETE: [&str; 6] = ["-j ACCEPT", "-j DROP", "-j RETURN", "", "-j C0", "-g C1"];

/// A random filter table; each opaque rule becomes `concrete(k)` (its k-th opaque rule) or,
/// when `concrete` gives `None`, stays opaque.
fn table(rules: &[(usize, usize, u8)], concrete: &dyn Fn(usize) -> Option<String>) -> Ruleset {
    let chains = ["INPUT", "FORWARD", "C0", "C1", "C2"];
    let mut text = String::from("*filter\n:INPUT DROP\n:FORWARD ACCEPT\n:OUTPUT ACCEPT\n");
    text.push_str(":C0 -\n:C1 -\n:C2 -\n");
    let mut slots = Vec::new();
    let mut k = 0;
    for &(c, o, t) in rules {
        let spec = match target(t) {
            Some(t) => format!("{} {t}", OPTS[o]),
            None => {
                k += 1;
                match concrete(k - 1) {
                    Some(t) => format!("{} {t}", OPTS[o]),
                    None => {
                        // Placeholder now, the opaque rule below.
                        slots.push((chains[c], chains_len(&text, chains[c]), o));
                        OPTS[o].to_string()
                    }
                }
            }
        };
        text.push_str(&format!("-A {} {spec}\n", chains[c]));
    }
    text.push_str("COMMIT\n");
    let mut rs = ruleset(Family::Ipv4, &text);
    for (chain, index, o) in slots {
        let known = super::rules::rule(Family::Ipv4, OPTS[o]);
        let t = rs.table_mut(TableName::Filter).unwrap();
        let slot = &mut t.chain_mut(chain).unwrap().rules[index];
        *slot = opaque(known.header);
        slot.matches = known.matches;
    }
    rs
}

/// How many rules `text` appends to `chain` so far.
fn chains_len(text: &str, chain: &str) -> usize {
    let prefix = format!("-A {chain} ");
    text.lines().filter(|l| l.starts_with(&prefix)).count()
}

fn packet() -> impl proptest::strategy::Strategy<Value = Packet> {
    use proptest::prelude::*;
    (
        prop_oneof![Just("eth0"), Just("docker0"), Just("wg0")],
        prop_oneof![Just("10.1.2.3"), Just("203.0.113.5")],
        prop_oneof![Just(ETH0_V4), Just("172.17.0.2")],
        prop_oneof![Just(80u16), Just(53), Just(22)],
        any::<bool>(),
        prop::option::of(0u32..3),
    )
        .prop_map(|(i, s, d, port, udp, mark)| {
            let mut p = if udp {
                Packet::udp(i, ip(s), ip(d), port)
            } else {
                Packet::tcp_syn(i, ip(s), ip(d), port)
            };
            p.mark = mark;
            p
        })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Certainty survives every reading of the opaque rules: when `explain` gives a verdict
    /// with certainty, replacing the opaque rules with any concrete rules (accept, drop,
    /// return, nothing, a jump or goto, mixed) gives the same verdict; and an unknown verdict
    /// names a rule or says why.
    #[test]
    fn a_certain_verdict_holds_whatever_the_opaque_rules_do(
        rules in proptest::collection::vec((0usize..5, 0usize..OPTS.len(), 0u8..=255), 0..20),
        p in packet(),
        mix in proptest::collection::vec(0usize..CONCRETE.len(), 8),
    ) {
        let host = docker_host();
        let t = explain(&table(&rules, &|_| None), &p, &host).unwrap();
        if let Verdict::Unknown(u) = &t.verdict {
            proptest::prop_assert!(u.rule.is_some() || !u.reason.is_empty());
            return Ok(());
        }
        let readings: Vec<Box<dyn Fn(usize) -> Option<String>>> = CONCRETE
            .iter()
            .map(|c| Box::new(move |_| Some(c.to_string())) as Box<dyn Fn(usize) -> Option<String>>)
            .chain(std::iter::once(Box::new(|k: usize| {
                Some(CONCRETE[mix[k % mix.len()]].to_string())
            }) as Box<dyn Fn(usize) -> Option<String>>))
            .collect();
        for read in &readings {
            let c = explain(&table(&rules, read.as_ref()), &p, &host).unwrap();
            // The concrete table may still hold matches the packet cannot decide (a mark
            // the packet does not carry): only decided outcomes must agree.
            if !matches!(c.verdict, Verdict::Unknown(_)) {
                proptest::prop_assert_eq!(&c.verdict, &t.verdict);
            }
        }
    }
}
