//! Shared inputs for dfw's benchmarks: policies grown to a given number of rules, and the
//! batch encoding and decoding of a compiled policy, as the commit path performs them.
#![deny(unsafe_code)]

use std::fmt::Write;

use dfw_core::model::{Family, Iface, Ruleset};
use dfw_core::policy::{Compiled, Policy};
use dfw_netlink::nft::{parse_replies, Batch, NewRule, Reply, RuleCompat, RuleMsg};
use dfw_netlink::rule_codec::{decode_rule, encode_rule, Compat, DecodedRule};

/// A policy whose compiled form holds about `n` rules in total (both families): half
/// whitelisted sources, half allowed ports with a `from` restriction.
pub fn policy_with_rules(n: usize) -> Policy {
    let mut toml = String::from("[interfaces]\nexternal = [\"eth0\"]\n[whitelist]\nsources = [");
    for i in 0..n / 2 {
        let _ = write!(
            toml,
            "\"10.{}.{}.{}\",",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff
        );
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
    Policy::from_toml(&toml, "bench.toml").expect("generated policy is valid")
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

/// Encodes every rule of both families (dfw's chains and its jumps) into one batch of
/// `NEWRULE` appends.
///
/// # Errors
/// A message naming the rule that cannot be carried on the wire.
pub fn encode_batch(compiled: &Compiled) -> Result<Vec<u8>, String> {
    let mut batch: Batch<()> = Batch::new(1, Some(1));
    for family in Family::ALL {
        let rules = compiled.family(family);
        let jumps = rules.jumps.iter().map(|j| (&j.chain, &j.rule));
        let chains = rules
            .chains
            .iter()
            .flat_map(|(c, list)| list.iter().map(move |r| (c, r)));
        for (chain, rule) in jumps.chain(chains) {
            let enc = encode_rule(family, rule).map_err(|e| format!("{chain}: {e}"))?;
            let compat = enc.compat.map_or(RuleCompat::default(), |c| RuleCompat {
                proto: c.proto,
                flags: c.flags,
            });
            let msg = RuleMsg::new(
                nft_family(family),
                "filter",
                chain.as_str(),
                enc.exprs,
                compat,
            );
            batch
                .push(&NewRule::append(msg), ())
                .map_err(|e| format!("{chain}: {e}"))?;
        }
    }
    Ok(batch.finish().bytes().to_vec())
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
            let compat = r.compat.map(|c| Compat {
                proto: c.proto,
                flags: c.flags,
            });
            matches!(decode_rule(family, &r.exprs, compat), DecodedRule::Rule(_))
        })
        .count()
}

fn nft_family(f: Family) -> dfw_netlink::nft::Family {
    match f {
        Family::Ipv4 => dfw_netlink::nft::Family::IPV4,
        Family::Ipv6 => dfw_netlink::nft::Family::IPV6,
    }
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
