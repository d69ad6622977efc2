//! Properties of the syntax: printing then parsing any valid rule gives the rule back, and
//! the parser never panics, whatever it is fed.

use crate::support;

use dfw_core::model::{ChainName, Counters, Family, Policy, Ruleset, TableName, Target};
use dfw_core::syntax::{
    parse_rule, parse_ruleset, print_ruleset, rule_spec, PrintOptions, RestoreScript,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn v4_rules_round_trip(rule in support::rule(Family::Ipv4)) {
        let spec = rule_spec(&rule);
        let back = parse_rule(Family::Ipv4, &spec).map_err(|e| TestCaseError::fail(format!("{spec}\n{e}")))?;
        prop_assert_eq!(back, rule, "{}", spec);
    }

    #[test]
    fn v6_rules_round_trip(rule in support::rule(Family::Ipv6)) {
        let spec = rule_spec(&rule);
        let back = parse_rule(Family::Ipv6, &spec).map_err(|e| TestCaseError::fail(format!("{spec}\n{e}")))?;
        prop_assert_eq!(back, rule, "{}", spec);
    }
}

/// A ruleset with filter and nat tables, random policies and counters, and random rules in
/// a user chain of the right table (NAT targets in nat).
fn ruleset(family: Family) -> impl Strategy<Value = Ruleset> {
    let counters =
        || (any::<u64>(), any::<u64>()).prop_map(|(packets, bytes)| Counters { packets, bytes });
    (
        proptest::collection::vec(
            (support::rule(family), proptest::option::of(counters())),
            0..12,
        ),
        proptest::collection::vec((any::<bool>(), counters()), 7),
    )
        .prop_map(move |(rules, pols)| {
            let mut rs = Ruleset::new(family);
            let mut pols = pols.into_iter();
            for t in [TableName::Filter, TableName::Nat] {
                let table = rs.ensure_table(t);
                for b in t.builtin_chains() {
                    let (drop, c) = pols.next().unwrap_or_default();
                    let p = if drop && t == TableName::Filter {
                        Policy::Drop
                    } else {
                        Policy::Accept
                    };
                    table.set_policy(b.name(), p, c).unwrap();
                }
                table.add_user_chain(ChainName::new("T").unwrap()).unwrap();
            }
            for (mut rule, c) in rules {
                rule.counters = c;
                let nat = matches!(
                    rule.target,
                    Some(Target::Dnat(_) | Target::Snat(_) | Target::Masquerade(_))
                );
                let table = rs
                    .table_mut(if nat {
                        TableName::Nat
                    } else {
                        TableName::Filter
                    })
                    .unwrap();
                if let Some(ch) = rule.target.as_ref().and_then(|t| t.chain()) {
                    if table.chain(ch.as_str()).is_none() {
                        table.add_user_chain(ch.clone()).unwrap();
                    }
                }
                table.append_rule("T", rule).unwrap();
            }
            rs
        })
}

fn rule_counters(rs: &Ruleset) -> Vec<Option<Counters>> {
    rs.tables()
        .iter()
        .flat_map(|t| t.chains())
        .flat_map(|c| c.rules.iter().map(|r| r.counters))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn rulesets_round_trip_with_counters(f in support::family().prop_flat_map(|f| (Just(f), ruleset(f)))) {
        let (family, rs) = f;
        let text = print_ruleset(&rs, PrintOptions { counters: true });
        let back = parse_ruleset(family, &text).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(&back, &rs);
        let with_zero: Vec<_> = rule_counters(&rs).into_iter().map(|c| Some(c.unwrap_or_default())).collect();
        prop_assert_eq!(rule_counters(&back), with_zero);
        prop_assert_eq!(print_ruleset(&back, PrintOptions { counters: true }), text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parser_never_panics_on_strings(text in ".{0,400}", f in support::family()) {
        let _ = RestoreScript::parse(f, &text);
        let _ = parse_ruleset(f, &text);
        let _ = parse_rule(f, &text);
    }

    #[test]
    fn parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_ruleset(Family::Ipv4, &text);
        let _ = parse_rule(Family::Ipv6, &text);
    }

    #[test]
    fn parser_never_panics_on_rule_like_lines(
        words in proptest::collection::vec(prop_oneof![
            Just("-A".to_string()), Just("INPUT".to_string()), Just("!".to_string()),
            Just("-p".to_string()), Just("tcp".to_string()), Just("-m".to_string()),
            Just("--dport".to_string()), Just("conntrack".to_string()), Just("--ctstate".to_string()),
            Just("-j".to_string()), Just("DNAT".to_string()), Just("--to-destination".to_string()),
            Just("\"".to_string()), Just("-I".to_string()), Just("-D".to_string()), Just("1".to_string()),
            Just("[1:2]".to_string()), Just("*filter".to_string()), Just("COMMIT".to_string()),
            "[ -~]{0,12}",
        ], 0..30),
        f in support::family(),
    ) {
        let line = words.join(" ");
        let text = format!("*filter\n:X - [0:0]\n{line}\nCOMMIT\n");
        let _ = parse_ruleset(f, &text);
        let _ = parse_rule(f, &line);
    }
}

#[test]
fn huge_and_unterminated_inputs_do_not_panic() {
    let long = format!(
        "*filter\n-A INPUT -m comment --comment \"{}\n",
        "x".repeat(100_000)
    );
    assert!(parse_ruleset(Family::Ipv4, &long).is_err());
    let many = format!("*filter\n-A INPUT{}\nCOMMIT\n", " -s 1.2.3.4".repeat(5000));
    assert!(parse_ruleset(Family::Ipv4, &many).is_err());
    assert!(parse_ruleset(
        Family::Ipv4,
        "*filter\n-A INPUT -m comment --comment \"open"
    )
    .is_err());
    assert!(parse_ruleset(Family::Ipv4, "\0\u{1}\u{ffff}*").is_err());
}
