//! Writes random rulesets printed by dfw to `$DFW_ORACLE_DUMP.v4` / `.v6`, to be checked
//! against the real iptables (needs root, so ignored by default):
//!
//! ```text
//! DFW_ORACLE_DUMP=/tmp/dump [DFW_ORACLE_SEED=7 DFW_ORACLE_RULES=400] cargo test -p dfw-core --test syntax_oracle_dump -- --ignored
//! unshare -n sh -c 'iptables-restore < /tmp/dump.v4 && iptables-save' | grep -v '^#' | diff - /tmp/dump.v4
//! unshare -n sh -c 'ip6tables-restore < /tmp/dump.v6 && ip6tables-save' | grep -v '^#' | diff - /tmp/dump.v6
//! ```

mod support;

use dfw_core::model::{ChainName, Family, Ruleset, TableName, Target};
use dfw_core::syntax::{print_ruleset, PrintOptions};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn ruleset(family: Family, n: usize, seed: u8) -> Ruleset {
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    let mut rs = Ruleset::new(family);
    for t in [TableName::Filter, TableName::Nat] {
        let table = rs.ensure_table(t);
        for b in t.builtin_chains() {
            table
                .set_policy(
                    b.name(),
                    dfw_core::model::Policy::Accept,
                    Default::default(),
                )
                .unwrap();
        }
        table.add_user_chain(ChainName::new("T").unwrap()).unwrap();
    }
    let strat = support::rule(family);
    for _ in 0..n {
        let rule = strat.new_tree(&mut runner).unwrap().current();
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
        if let Some(c) = rule.target.as_ref().and_then(|t| t.chain()) {
            if table.chain(c.as_str()).is_none() {
                table.add_user_chain(c.clone()).unwrap();
            }
        }
        table.append_rule("T", rule).unwrap();
    }
    rs
}

#[test]
#[ignore = "writes files for a check against the real iptables (root, netns)"]
fn dump_random_rulesets_for_iptables() {
    let base = std::env::var("DFW_ORACLE_DUMP").expect("set DFW_ORACLE_DUMP");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (n, seed) = (
        env("DFW_ORACLE_RULES", 400),
        env("DFW_ORACLE_SEED", 7) as u8,
    );
    for (family, ext) in [(Family::Ipv4, "v4"), (Family::Ipv6, "v6")] {
        let text = print_ruleset(&ruleset(family, n, seed), PrintOptions::default());
        std::fs::write(format!("{base}.{ext}"), text).unwrap();
    }
}

/// Reprints `$DFW_REPRINT_IN` (`.v4` or `.v6`) through dfw's parser and printer into
/// `$DFW_REPRINT_OUT`, to diff against `iptables-restore` + `iptables-save` of the same file.
#[test]
#[ignore = "reads and writes files given in the environment"]
fn reprint_file_for_iptables() {
    let input = std::env::var("DFW_REPRINT_IN").expect("set DFW_REPRINT_IN");
    let output = std::env::var("DFW_REPRINT_OUT").expect("set DFW_REPRINT_OUT");
    let family = if input.ends_with(".v6") {
        Family::Ipv6
    } else {
        Family::Ipv4
    };
    let text = std::fs::read_to_string(&input).unwrap();
    let rs = dfw_core::syntax::parse_ruleset(family, &text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(output, print_ruleset(&rs, PrintOptions::default())).unwrap();
}
