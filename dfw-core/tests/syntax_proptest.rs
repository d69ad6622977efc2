//! Properties of the syntax: printing then parsing any valid rule gives the rule back, and
//! the parser never panics, whatever it is fed.

mod support;

use dfw_core::model::Family;
use dfw_core::syntax::{parse_rule, parse_ruleset, rule_spec, RestoreScript};
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
