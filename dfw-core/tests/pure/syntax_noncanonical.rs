//! Non-canonical restore files parse to the same ruleset as the canonical text the real
//! iptables 1.8.9 printed for them (see `tests/data/README.md`), and print as that text.

use dfw_core::model::Family;
use dfw_core::syntax::{parse_ruleset, print_ruleset, PrintOptions};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn check(family: Family, ext: &str) {
    let read = |n: &str| std::fs::read_to_string(format!("{DATA}/{n}.{ext}")).unwrap();
    let (input, canon) = (read("noncanonical.in"), read("noncanonical.save"));
    let from_input = parse_ruleset(family, &input).unwrap_or_else(|e| panic!("input: {e}"));
    let from_canon = parse_ruleset(family, &canon).unwrap_or_else(|e| panic!("canonical: {e}"));
    let printed = print_ruleset(&from_input, PrintOptions::default());
    for (i, (a, b)) in printed.lines().zip(canon.lines()).enumerate() {
        assert_eq!(a, b, "line {} of the printed {ext} ruleset", i + 1);
    }
    assert_eq!(printed, canon);
    assert_eq!(from_input, from_canon);
}

#[test]
fn noncanonical_v4_matches_iptables_save() {
    check(Family::Ipv4, "v4");
}

#[test]
fn noncanonical_v6_matches_iptables_save() {
    check(Family::Ipv6, "v6");
}
