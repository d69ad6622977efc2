//! What a policy compiles to: dfw's own chains and the jumps into them, per family, and how
//! to recognise dfw's objects among a kernel's.
//!
//! Contract: dfw owns exactly (a) the user chains of `filter` whose names start with
//! [`DFW_PREFIX`] and (b) the rules of DOCKER-USER and INPUT that carry the comment
//! [`DFW_COMMENT`] and jump to such a chain. Everything else in the kernel belongs to others.

use crate::model::matches::Comment;
use crate::model::target::Target;
use crate::model::{
    ChainName, Counters, Family, Match, ModelError, Policy as ChainPolicy, Rule, Ruleset, TableName,
};

/// Prefix of every chain dfw owns.
pub const DFW_PREFIX: &str = "DFW-";
/// The comment on dfw's jump rules (`-m comment --comment dfw`).
pub const DFW_COMMENT: &str = "dfw";
/// Docker's chain for user rules on forwarded traffic.
pub const DOCKER_USER: &str = "DOCKER-USER";
/// The built-in chain of the host's own incoming traffic.
pub const INPUT: &str = "INPUT";
/// Entry from DOCKER-USER: forward pairs, then dispatch per external interface.
pub const CHAIN_DOCKER: &str = "DFW-DOCKER";
/// Forwarded traffic in from an external interface: the policy proper (RETURN = allowed).
pub const CHAIN_DOCKER_EXT: &str = "DFW-DOCKER-EXT";
/// Entry from INPUT: loopback, then dispatch per external interface.
pub const CHAIN_INPUT: &str = "DFW-INPUT";
/// The host's traffic in from an external interface: the policy proper (ACCEPT = allowed).
pub const CHAIN_INPUT_EXT: &str = "DFW-INPUT-EXT";
/// Entry from INPUT with `host = false`: the ports Docker publishes (served by docker-proxy
/// where they have no DNAT), per external interface, to `DFW-DOCKER-EXT` (see
/// [`super::Published`]).
pub const CHAIN_PROXY: &str = "DFW-PROXY";
/// With `host = false` and a `[blocklist]`: the block list on the host's INPUT path
/// (established traffic returns, blocked sources from an external interface are dropped, the
/// rest returns to INPUT untouched).
pub const CHAIN_BLOCK: &str = "DFW-BLOCK";

/// One dfw jump rule to put at the top of a chain dfw does not own (DOCKER-USER or INPUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DfwJump {
    /// The chain it goes in: `DOCKER-USER` or `INPUT`.
    pub chain: ChainName,
    /// The rule: `-m comment --comment dfw -j DFW-...`.
    pub rule: Rule,
}

/// Everything dfw puts in one family's `filter` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyRules {
    /// The family.
    pub family: Family,
    /// dfw's chains (names start with `DFW-`) with their rules, entry chains first.
    pub chains: Vec<(ChainName, Vec<Rule>)>,
    /// The jumps into them, in the order they go at the top of their chain.
    pub jumps: Vec<DfwJump>,
}

impl FamilyRules {
    /// The rules of one of dfw's chains, if the policy has it.
    pub fn chain(&self, name: &str) -> Option<&[Rule]> {
        self.chains
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, rules)| rules.as_slice())
    }

    /// Every rule, jumps included, for checks.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.chains
            .iter()
            .flat_map(|(_, r)| r)
            .chain(self.jumps.iter().map(|j| &j.rule))
    }

    /// A `filter` table holding dfw's chains, DOCKER-USER and (when used) INPUT with dfw's
    /// jumps only: what `dfw-cli show` prints. INPUT's policy is shown as ACCEPT; it is not
    /// dfw's and a commit never changes it.
    ///
    /// # Errors
    /// [`ModelError`] when a rule is invalid for the family or jumps to a missing chain (never
    /// for the output of [`Policy::compile`](super::Policy::compile)).
    pub fn to_ruleset(&self) -> Result<Ruleset, ModelError> {
        let mut rs = Ruleset::new(self.family);
        let table = rs.ensure_table(TableName::Filter);
        for jump in &self.jumps {
            let name = jump.chain.as_str();
            if TableName::Filter.builtin(name).is_some() {
                table.set_policy(name, ChainPolicy::Accept, Counters::default())?;
            } else if table.chain(name).is_none() {
                table.add_user_chain(jump.chain.clone())?;
            }
        }
        for (name, _) in &self.chains {
            table.add_user_chain(name.clone())?;
        }
        for (name, rules) in &self.chains {
            for rule in rules {
                table.append_rule(name.as_str(), rule.clone())?;
            }
        }
        for (k, jump) in self.jumps.iter().enumerate() {
            // After the dfw jumps placed before it in the same chain, above everything else.
            let at = self.jumps[..k]
                .iter()
                .filter(|j| j.chain == jump.chain)
                .count();
            table.insert_rule(jump.chain.as_str(), at, jump.rule.clone())?;
        }
        Ok(rs)
    }
}

/// A compiled policy: IPv4 and IPv6, committed together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// IPv4 (`iptables`).
    pub v4: FamilyRules,
    /// IPv6 (`ip6tables`).
    pub v6: FamilyRules,
    /// The kernel sets dfw owns that the rules match (`-m set`), both families; empty when
    /// sets are not used.
    pub sets: Vec<super::sets::SetSpec>,
    /// dfw's native table (`table inet dfw`, [`super::mark_table`]) when the policy has
    /// `[docker] accept_fwmark`; `None`: dfw keeps no native table (a commit deletes one).
    pub native: Option<crate::native::Table>,
}

impl Compiled {
    /// One family's rules.
    pub fn family(&self, family: Family) -> &FamilyRules {
        match family {
            Family::Ipv4 => &self.v4,
            Family::Ipv6 => &self.v6,
        }
    }

    /// Both families as rulesets (IPv4 first), see [`FamilyRules::to_ruleset`].
    ///
    /// # Errors
    /// As [`FamilyRules::to_ruleset`].
    pub fn to_rulesets(&self) -> Result<[Ruleset; 2], ModelError> {
        Ok([self.v4.to_ruleset()?, self.v6.to_ruleset()?])
    }
}

/// True for a chain name dfw owns (`DFW-...`).
pub fn is_dfw_chain(name: &str) -> bool {
    name.starts_with(DFW_PREFIX)
}

/// True when `rule` carries dfw's comment ([`DFW_COMMENT`]) and jumps or goes to a dfw chain:
/// the jumps dfw puts in DOCKER-USER and INPUT.
pub fn is_dfw_jump(rule: &Rule) -> bool {
    let tagged = rule
        .matches
        .iter()
        .any(|m| matches!(m, Match::Comment(c) if c.as_str() == DFW_COMMENT));
    tagged && references_dfw_chain(rule)
}

/// True when `rule` jumps or goes to a dfw chain, tagged or not. A kernel rule for which this
/// holds but [`is_dfw_jump`] does not was put there by someone else and keeps the chain alive.
pub fn references_dfw_chain(rule: &Rule) -> bool {
    rule.target
        .as_ref()
        .and_then(Target::chain)
        .is_some_and(|c| is_dfw_chain(c.as_str()))
}

/// A chain name constant as a [`ChainName`].
pub(crate) fn chain_name(name: &'static str) -> ChainName {
    // The constants above are valid chain names (short, no spaces, not targets): tested below.
    ChainName::new(name).unwrap_or_else(|_| unreachable!("invalid built-in chain name {name}"))
}

/// The dfw comment match.
pub(crate) fn dfw_comment() -> Match {
    // "dfw" is 3 bytes without NUL, always a valid comment: tested below.
    Match::Comment(Comment::new(DFW_COMMENT).unwrap_or_else(|_| unreachable!()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_and_recognised() {
        for n in [
            DOCKER_USER,
            INPUT,
            CHAIN_DOCKER,
            CHAIN_DOCKER_EXT,
            CHAIN_INPUT,
            CHAIN_INPUT_EXT,
            CHAIN_PROXY,
        ] {
            assert!(ChainName::new(n).is_ok(), "{n}");
        }
        assert!(Comment::new(DFW_COMMENT).is_ok());
        assert!(is_dfw_chain(CHAIN_DOCKER_EXT) && !is_dfw_chain(DOCKER_USER));
        let mut jump = Rule::with_target(Target::Jump(chain_name(CHAIN_DOCKER)));
        assert!(references_dfw_chain(&jump) && !is_dfw_jump(&jump));
        jump.matches.push(dfw_comment());
        assert!(is_dfw_jump(&jump));
        jump.target = Some(Target::Jump(chain_name(DOCKER_USER)));
        assert!(!is_dfw_jump(&jump));
    }
}
