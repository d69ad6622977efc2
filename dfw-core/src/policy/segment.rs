//! Long policy bodies spread over several chains by source address, so that reading them back
//! from the kernel stays linear.
//!
//! nf_tables answers a rule dump one ~32 KiB buffer (~50-150 rules) at a time and walks the
//! dumped chain from its first rule for every buffer, so reading back one chain of `n` rules
//! costs the kernel about `n * n / 100` steps, whoever reads it (200,000 rules: tens of
//! seconds, for `iptables-save` and `nft list` too); it also rebuilds a changed chain's whole
//! rule blob on every commit. Chains of at most [`SEGMENT_RULES`] rules keep both linear.
//!
//! Contract: pure. A body whose rules but the last all have the same target (the policy's
//! "allowed": RETURN or ACCEPT) and whose last rule is the default is split when it holds more
//! than [`SEGMENT_RULES`] + 1 rules; any other body is returned as it is. The rules matching a
//! positive `-s NET` (a prefix, not `/0`) are grouped by address block: the top chain keeps
//! the other rules in their order, then one `-s BLOCK -g NAME.K` per block, then the default;
//! each chain `NAME.K` holds the rules of its blocks in their order, then the default.
//!
//! Why every packet gets the same verdict: before the default, only whether some rule matches
//! decides (they all have the same target), not which one or in which order. A packet's
//! source lies in at most one block, and every rule that can match it is either in the top
//! chain before the dispatch or in that block's chain (its source network lies in the block).
//! A goto leaves no return point, so a RETURN in `NAME.K` returns where a RETURN in the top
//! chain would, and `NAME.K` ends with the same default as the top chain.

use crate::model::{ChainName, Family, Neg, Network, Rule, RuleHeader, Target};

/// The longest chain a body is kept in before it is spread over several.
pub const SEGMENT_RULES: usize = 1_000;

/// `body` as the chain `name` and, when it is long, the chains it is spread over (see the
/// module contract), top chain first.
pub(super) fn segment(
    name: ChainName,
    body: Vec<Rule>,
    limit: usize,
) -> Vec<(ChainName, Vec<Rule>)> {
    let uniform = match body.split_last() {
        Some((_, rest)) => rest.windows(2).all(|w| w[0].target == w[1].target),
        None => false,
    };
    if body.len() <= limit + 1 || !uniform {
        return vec![(name, body)];
    }
    let mut body = body;
    let Some(default) = body.pop() else {
        return vec![(name, body)];
    };
    // (address bits, prefix, index in body) of every rule with a positive prefix source.
    let mut keyed: Vec<(u128, u8, usize)> = body
        .iter()
        .enumerate()
        .filter_map(|(i, r)| source_key(r).map(|(a, p)| (a, p, i)))
        .collect();
    let Some(family) = keyed.first().and_then(|k| family_of(&body[k.2])) else {
        body.push(default);
        return vec![(name, body)];
    };
    keyed.sort_unstable();
    let width = family.addr_bits();
    let mut split = Split {
        keys: &keyed,
        width,
        limit,
        leaves: Vec::new(),
        top: Vec::new(),
    };
    split.node(0, 0, 0, keyed.len());
    let Split { leaves, top, .. } = split;
    let chains = pack(&leaves, limit);

    let mut slots: Vec<Option<Rule>> = body.into_iter().map(Some).collect();
    let keyed_at: std::collections::HashSet<usize> = keyed.iter().map(|k| k.2).collect();
    let mut top_idx: Vec<usize> = (0..slots.len())
        .filter(|i| !keyed_at.contains(i))
        .chain(top.iter().copied())
        .collect();
    top_idx.sort_unstable();
    let mut top_rules: Vec<Rule> = top_idx.iter().filter_map(|&i| slots[i].take()).collect();
    let mut out = Vec::with_capacity(chains.len() + 1);
    let mut rest = Vec::with_capacity(chains.len());
    for (k, members) in chains.iter().enumerate() {
        let chain = sub_name(&name, k + 1);
        for leaf in members {
            top_rules.push(dispatch(family, leaf.base, leaf.prefix, &chain));
        }
        let mut idx: Vec<usize> = members
            .iter()
            .flat_map(|l| keyed[l.lo..l.hi].iter().map(|k| k.2))
            .collect();
        idx.sort_unstable();
        let mut rules: Vec<Rule> = idx.iter().filter_map(|&i| slots[i].take()).collect();
        rules.push(default.clone());
        rest.push((chain, rules));
    }
    top_rules.push(default);
    out.push((name, top_rules));
    out.extend(rest);
    out
}

/// One address block and the keyed rules in it (`keys[lo..hi]`).
struct Leaf {
    base: u128,
    prefix: u8,
    lo: usize,
    hi: usize,
}

/// The recursive split of the sorted keys into blocks of at most `limit` rules.
struct Split<'k> {
    keys: &'k [(u128, u8, usize)],
    width: u8,
    limit: usize,
    leaves: Vec<Leaf>,
    /// Rules whose source is exactly an inner block: kept in the top chain.
    top: Vec<usize>,
}

impl Split<'_> {
    /// The keys `lo..hi`, all inside block `base/prefix`.
    fn node(&mut self, base: u128, prefix: u8, lo: usize, hi: usize) {
        if lo == hi {
            return;
        }
        let leaf = Leaf {
            base,
            prefix,
            lo,
            hi,
        };
        if hi - lo <= self.limit || prefix >= self.width {
            self.leaves.push(leaf);
            return;
        }
        // Sorted by (address, prefix): the rules on exactly this block come first.
        let exact = self.keys[lo..hi]
            .iter()
            .take_while(|k| k.0 == base && k.1 == prefix)
            .count();
        if exact > self.limit / 2 {
            // Many rules on this very block: splitting by source cannot shorten it.
            self.leaves.push(leaf);
            return;
        }
        self.top
            .extend(self.keys[lo..lo + exact].iter().map(|k| k.2));
        let half = 1u128 << (self.width - prefix - 1);
        let mid = base | half;
        let start = lo + exact;
        let cut = start + self.keys[start..hi].partition_point(|k| k.0 < mid);
        self.node(base, prefix + 1, start, cut);
        self.node(mid, prefix + 1, cut, hi);
    }
}

/// Consecutive blocks packed into chains of at most `limit` rules (a bigger block alone).
fn pack(leaves: &[Leaf], limit: usize) -> Vec<Vec<&Leaf>> {
    let mut chains: Vec<Vec<&Leaf>> = Vec::new();
    let mut count = 0;
    for leaf in leaves {
        let n = leaf.hi - leaf.lo;
        match chains.last_mut() {
            Some(c) if count + n <= limit => {
                c.push(leaf);
                count += n;
            }
            _ => {
                chains.push(vec![leaf]);
                count = n;
            }
        }
    }
    chains
}

fn bits(n: &Network) -> u128 {
    match n.addr() {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    }
}

/// The rule's positive `-s` as (address bits, prefix), when it is a prefix other than `/0`.
fn source_key(rule: &Rule) -> Option<(u128, u8)> {
    match &rule.header.src {
        Some(Neg {
            value,
            negated: false,
        }) => match value.prefix() {
            Some(p) if p > 0 => Some((bits(value), p)),
            _ => None,
        },
        _ => None,
    }
}

/// The family of a keyed rule's source (every rule of a body has its chain's family).
fn family_of(rule: &Rule) -> Option<Family> {
    rule.header.src.as_ref().map(|s| s.value.family())
}

fn sub_name(name: &ChainName, k: usize) -> ChainName {
    // A dfw chain name (at most 14 bytes) plus '.' and a number stays within 28 bytes.
    ChainName::new(&format!("{}.{k}", name.as_str()))
        .unwrap_or_else(|_| unreachable!("valid segment name"))
}

/// `-s BASE/PREFIX -g CHAIN`.
fn dispatch(family: Family, base: u128, prefix: u8, chain: &ChainName) -> Rule {
    let addr = match family {
        Family::Ipv4 => std::net::IpAddr::V4((base as u32).into()),
        Family::Ipv6 => std::net::IpAddr::V6(base.into()),
    };
    let net = Network::with_prefix(addr, prefix)
        .unwrap_or_else(|_| unreachable!("a block is a valid prefix of its family"));
    Rule {
        header: RuleHeader {
            src: Some(Neg::is(net)),
            ..RuleHeader::default()
        },
        matches: Vec::new(),
        target: Some(Target::Goto(chain.clone())),
        counters: None,
    }
}
