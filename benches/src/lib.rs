//! Shared inputs for dfw's benchmarks: policies grown to a given number of rules, and the
//! batch encoding and decoding of a compiled policy, as the commit path performs them.
#![deny(unsafe_code)] // but `kernel::enter_private_netns` (unshare(2))

use std::fmt::Write;

pub mod kernel;

use dfw_core::model::{ChainName, Family, Iface, Rule, Ruleset, TableName};
use dfw_core::policy::{Compiled, Policy};
use dfw_netlink::firewall::{build_batch, make_plan, ChainTarget, ChangeSet};
use dfw_netlink::nft::{parse_replies, Reply};
use dfw_netlink::rule_codec::{decode_rule, DecodedRule};

/// The text of a config file whose compiled form holds about `n` rules in total (both
/// families): half whitelisted sources, half allowed ports with a `from` restriction.
pub fn config_with_rules(n: usize) -> String {
    config_with_rules_changed(n, None)
}

/// As [`config_with_rules`], with whitelist entry `changed` (when given and below `n / 2`)
/// moved to another address (`10.255.x.y`, outside the generated ones for `n` < 2^17): the
/// compiled policy differs from [`config_with_rules`]'s in exactly one rule.
pub fn config_with_rules_changed(n: usize, changed: Option<usize>) -> String {
    let mut toml = String::from("[interfaces]\nexternal = [\"eth0\"]\n[whitelist]\nsources = [");
    for i in 0..n / 2 {
        let hi = if Some(i) == changed {
            0xff
        } else {
            (i >> 16) & 0xff
        };
        let _ = write!(toml, "\"10.{}.{}.{}\",", hi, (i >> 8) & 0xff, i & 0xff);
    }
    toml.push_str("]\n");
    for i in 0..n / 2 {
        let _ = write!(
            toml,
            "[[allow]]\nports = [\"{}/tcp\"]\nfrom = [\"203.0.113.{}\"]\n",
            1024 + i % 60_000,
            i % 256
        );
    }
    toml
}

/// The policy of [`config_with_rules`]`(n)`.
pub fn policy_with_rules(n: usize) -> Policy {
    policy_with_rules_changed(n, None)
}

/// The policy of [`config_with_rules_changed`]`(n, changed)`.
pub fn policy_with_rules_changed(n: usize, changed: Option<usize>) -> Policy {
    Policy::from_toml(&config_with_rules_changed(n, changed), "bench.toml")
        .expect("generated policy is valid")
}

/// Compiles a policy for the external interface `eth0`.
pub fn compile(policy: &Policy) -> Compiled {
    policy.compile(&[Iface::parse("eth0").expect("valid name")])
}

/// Total number of rules of a compiled policy (both families).
pub fn rule_count(compiled: &Compiled) -> usize {
    Family::ALL
        .iter()
        .map(|f| compiled.family(*f).rules().count())
        .sum()
}

/// The change set a fresh load of `compiled` gives the firewall: every dfw chain created
/// with its rules, and the jumps as the rules of their (built-in) chains. The rules are
/// moved, not copied.
pub fn change_set(compiled: Compiled) -> ChangeSet {
    let mut out = ChangeSet::default();
    for rules in [compiled.v4, compiled.v6] {
        let family = rules.family;
        let mut jumps: Vec<ChainTarget> = Vec::new();
        for j in rules.jumps {
            match jumps.iter_mut().find(|t| t.chain == j.chain) {
                Some(t) => t.rules.push(j.rule.into()),
                None => jumps.push(target(family, j.chain, vec![j.rule])),
            }
        }
        out.chains.extend(jumps);
        out.chains.extend(
            rules
                .chains
                .into_iter()
                .map(|(chain, list)| target(family, chain, list)),
        );
    }
    out
}

fn target(family: Family, chain: ChainName, rules: Vec<Rule>) -> ChainTarget {
    ChainTarget {
        family,
        table: TableName::Filter,
        chain,
        create: true,
        policy: None,
        rules: rules.into_iter().map(Into::into).collect(),
    }
}

/// Encodes the fresh load of `compiled` with the firewall's own path: the change set, the
/// plan against an empty kernel ([`make_plan`]) and the batch ([`build_batch`]), exactly as
/// [`dfw_netlink::firewall::Firewall::apply`] sends it. The change set takes a copy of the
/// rules (as the commit's reconcile step does); [`encode_compiled`] moves them instead.
///
/// # Errors
/// A message naming the rule that cannot be carried on the wire.
pub fn encode_batch(compiled: &Compiled) -> Result<Vec<u8>, String> {
    encode_compiled(compiled.clone())
}

/// As [`encode_batch`], consuming `compiled` (no copy of its rules).
///
/// # Errors
/// As [`encode_batch`].
pub fn encode_compiled(compiled: Compiled) -> Result<Vec<u8>, String> {
    encode_changes(&change_set(compiled))
}

/// Plans `changes` against an empty kernel and builds the batch (see [`encode_batch`]).
///
/// # Errors
/// A message naming the rule that cannot be carried on the wire.
pub fn encode_changes(changes: &ChangeSet) -> Result<Vec<u8>, String> {
    let plan = make_plan(&[], changes).map_err(|e| e.to_string())?;
    let batch = build_batch(&plan, changes, 1, 1, false).map_err(|e| e.to_string())?;
    Ok(batch.into_bytes())
}

/// Decodes every `NEWRULE` of a batch back into model rules; returns how many decoded.
pub fn decode_batch(bytes: &[u8]) -> usize {
    parse_replies(bytes)
        .filter_map(Result::ok)
        .filter_map(|(_, reply)| match reply {
            Reply::Rule(r) => Some(r),
            _ => None,
        })
        .filter(|r| {
            let family = if r.family == dfw_netlink::nft::Family::IPV4 {
                Family::Ipv4
            } else {
                Family::Ipv6
            };
            let compat = r.compat;
            matches!(decode_rule(family, &r.exprs, compat), DecodedRule::Rule(_))
        })
        .count()
}

/// The compiled policy as rulesets (for printing benchmarks).
pub fn rulesets(compiled: &Compiled) -> [Ruleset; 2] {
    compiled.to_rulesets().expect("compiled rulesets are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoded_rule_decodes() {
        let compiled = compile(&policy_with_rules(100));
        let bytes = encode_batch(&compiled).unwrap();
        assert_eq!(decode_batch(&bytes), rule_count(&compiled));
    }
}
