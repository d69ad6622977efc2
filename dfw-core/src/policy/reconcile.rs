//! Reconciling (pure): a compiled policy and the kernel's current contents of the chains dfw
//! touches give the exact contents those chains must end up with.
//!
//! Contract, per family (`filter` table only):
//! - dfw's chains (`DFW-*`) hold exactly what the policy compiled to; `DFW-*` chains the
//!   policy no longer has are deleted. Nothing else is deleted, ever.
//! - `DOCKER-USER` and `INPUT` hold dfw's jumps for them at the top, then every other rule
//!   already there in its order, untouched; stale or displaced dfw jumps (tagged
//!   [`DFW_COMMENT`](super::DFW_COMMENT), see [`is_dfw_jump`]) are removed or moved. With
//!   `host = false` the policy has no INPUT jump, so dfw's jump is removed from INPUT.
//! - When `DOCKER-USER` or FORWARD's `-j DOCKER-USER` is missing (Docker not started yet),
//!   they are created as Docker 28.2.2+ creates them: an empty `DOCKER-USER` and
//!   `-I FORWARD 1 -j DOCKER-USER`, so Docker finds them later and adds no duplicate.
//! - FORWARD's `-j DOCKER-USER` must come before every rule that can accept a packet (see
//!   [`can_accept`]): below one, DOCKER-USER (and dfw's policy) is bypassed for what that rule
//!   accepts. Docker 20.10 with `ip6tables` creates no IPv6 DOCKER-USER, and every later start
//!   or `docker network create --ipv6` inserts its IPv6 ACCEPT rules at the top of FORWARD,
//!   above the jump dfw created. A jump found below such a rule is moved to the top (what
//!   Docker itself does: `-D FORWARD -j DOCKER-USER`, `-I FORWARD 1 -j DOCKER-USER`); every
//!   other FORWARD rule keeps its order. Rules that cannot accept (DROP, REJECT, LOG, no
//!   target) may precede it.
//! - A chain is listed in [`Reconciled::chains`] only when its content must change, so a
//!   second reconcile after a commit asks for nothing. Policies of built-in chains are never
//!   touched (FORWARD's DROP stays DROP).
//! - Errors, before anything is changed: a rule someone else put in (untagged) that jumps to
//!   a `DFW-*` chain to be deleted ([`ReconcileError::Referenced`]); a rule dfw cannot
//!   express in a chain whose content must change, since it could not be written back as it
//!   was ([`ReconcileError::Opaque`]).

use super::compiled::{chain_name, is_dfw_chain, is_dfw_jump, FamilyRules, DOCKER_USER, INPUT};
use crate::model::{ChainName, Family, Rule, Target};
use crate::syntax::rule_spec;

/// The built-in chain of forwarded traffic, where Docker puts its `-j DOCKER-USER`.
pub const FORWARD: &str = "FORWARD";

/// One chain of `filter` as the kernel holds it now: each rule as a model rule without
/// counters, or `None` for a rule dfw cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentChain {
    /// The chain's name.
    pub name: String,
    /// The rules, in order.
    pub rules: Vec<Option<Rule>>,
}

/// What the kernel holds now of the chains dfw touches in one family's `filter` table:
/// DOCKER-USER, INPUT, FORWARD (those that exist) and every `DFW-*` chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Current {
    /// The chains, in any order. A chain not listed does not exist.
    pub chains: Vec<CurrentChain>,
}

impl Current {
    /// A chain by name.
    pub fn chain(&self, name: &str) -> Option<&CurrentChain> {
        self.chains.iter().find(|c| c.name == name)
    }
}

/// The content one chain must end up with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedChain {
    /// The chain.
    pub chain: ChainName,
    /// True when it does not exist yet and must be created (a user chain, or a built-in
    /// created as iptables-nft creates it).
    pub create: bool,
    /// Its exact rules, in order.
    pub rules: Vec<Rule>,
}

/// Everything that must change in one family's `filter` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciled {
    /// The family.
    pub family: Family,
    /// Chains whose content must change, dfw's chains first (so jumps find their target).
    pub chains: Vec<WantedChain>,
    /// dfw's chains to delete.
    pub delete: Vec<ChainName>,
}

impl Reconciled {
    /// True when the kernel already holds exactly the policy.
    pub fn is_empty(&self) -> bool {
        self.chains.is_empty() && self.delete.is_empty()
    }
}

/// Why the kernel's chains cannot be brought to the policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconcileError {
    /// A rule that is not dfw's jumps to a dfw chain the policy no longer has.
    #[error(
        "{family}: rule {position} of chain {chain} (`{rule}`) is not dfw's but jumps to \
         {target}, which the policy no longer has; remove that rule first"
    )]
    Referenced {
        /// Family.
        family: Family,
        /// The chain holding the rule.
        chain: String,
        /// Its 1-based position.
        position: usize,
        /// The rule, in iptables syntax.
        rule: String,
        /// The dfw chain it references.
        target: String,
    },
    /// A rule dfw cannot express sits in a chain whose content must change.
    #[error(
        "{family}: rule {position} of chain {chain} is one dfw cannot express, and the chain \
         must change; dfw will not rewrite it (see `dfw-cli save`)"
    )]
    Opaque {
        /// Family.
        family: Family,
        /// The chain.
        chain: String,
        /// Its 1-based position.
        position: usize,
    },
}

/// Computes what must change in `family`'s `filter` table to hold `policy` (see the module
/// contract).
///
/// # Errors
/// [`ReconcileError`] naming the rule that prevents it.
pub fn reconcile(policy: &FamilyRules, current: &Current) -> Result<Reconciled, ReconcileError> {
    let family = policy.family;
    let mut out = Reconciled {
        family,
        chains: Vec::new(),
        delete: Vec::new(),
    };
    // dfw's own chains: exactly as compiled.
    for (name, rules) in &policy.chains {
        let now = current.chain(name.as_str());
        if now.is_some_and(|c| same(&c.rules, rules)) {
            continue;
        }
        out.chains.push(WantedChain {
            chain: name.clone(),
            create: now.is_none(),
            rules: rules.clone(),
        });
    }
    for c in &current.chains {
        if is_dfw_chain(&c.name) && policy.chain(&c.name).is_none() {
            if let Ok(name) = ChainName::new(&c.name) {
                out.delete.push(name);
            }
        }
    }
    // By name: an entry chain (`DFW-DOCKER`) goes before the chain it jumps to
    // (`DFW-DOCKER-EXT`), so each deletion finds its chain unreferenced.
    out.delete.sort();
    // DOCKER-USER and INPUT: dfw's jumps on top of everyone else's rules.
    for chain in [DOCKER_USER, INPUT] {
        let jumps: Vec<Rule> = policy
            .jumps
            .iter()
            .filter(|j| j.chain.as_str() == chain)
            .map(|j| j.rule.clone())
            .collect();
        let now = current.chain(chain);
        if now.is_none() && jumps.is_empty() && chain == INPUT {
            continue;
        }
        let kept: Vec<&Option<Rule>> = now
            .map(|c| {
                c.rules
                    .iter()
                    .filter(|r| !r.as_ref().is_some_and(is_dfw_jump))
                    .collect()
            })
            .unwrap_or_default();
        check_references(family, now, &out.delete)?;
        let wanted = jumps.into_iter().map(Some).chain(kept.into_iter().cloned());
        push_if_changed(&mut out, family, chain, now, wanted.collect())?;
    }
    // FORWARD must jump to DOCKER-USER before any rule that can accept; Docker inserts it
    // at position 1.
    let forward = current.chain(FORWARD);
    check_references(family, forward, &out.delete)?;
    let jump = docker_user_jump();
    if !jump_comes_first(forward.map_or(&[], |c| c.rules.as_slice()), &jump) {
        let rest = forward
            .map(|c| c.rules.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.as_ref() != Some(&jump))
            .collect::<Vec<_>>();
        let wanted = std::iter::once(Some(jump)).chain(rest).collect();
        push_if_changed(&mut out, family, FORWARD, forward, wanted)?;
    }
    Ok(out)
}

/// True when `rules` hold `jump` before any rule that can accept.
fn jump_comes_first(rules: &[Option<Rule>], jump: &Rule) -> bool {
    for r in rules {
        if r.as_ref() == Some(jump) {
            return true;
        }
        if can_accept(r.as_ref()) {
            return false;
        }
    }
    false
}

/// True when a rule of a built-in chain may end with the packet accepted: `ACCEPT`; a jump
/// or goto (the chain may accept); `RETURN` (a built-in chain's policy decides, which may be
/// ACCEPT); a rule dfw cannot express (`None`: it cannot be known). DROP, REJECT, the NAT
/// targets, the continuing targets (LOG, NFLOG, MARK, CONNMARK, TCPMSS, CT) and rules without
/// a target cannot.
fn can_accept(rule: Option<&Rule>) -> bool {
    let Some(rule) = rule else { return true };
    match &rule.target {
        None => false,
        Some(Target::Accept | Target::Return | Target::Jump(_) | Target::Goto(_)) => true,
        Some(
            Target::Drop
            | Target::Reject(_)
            | Target::Log(_)
            | Target::Dnat(_)
            | Target::Snat(_)
            | Target::Masquerade(_)
            | Target::Redirect(_)
            | Target::Nflog(_)
            | Target::Mark(_)
            | Target::Connmark(_)
            | Target::Tcpmss(_)
            | Target::Ct(_),
        ) => false,
    }
}

/// Docker's unconditional `-j DOCKER-USER` (what `iptables -C FORWARD -j DOCKER-USER`
/// finds; rule equality ignores counters).
fn docker_user_jump() -> Rule {
    Rule::with_target(Target::Jump(chain_name(DOCKER_USER)))
}

/// True when the kernel's rules are exactly `wanted` (no opaque rule, equal in order).
fn same(now: &[Option<Rule>], wanted: &[Rule]) -> bool {
    now.len() == wanted.len()
        && now
            .iter()
            .zip(wanted)
            .all(|(n, w)| n.as_ref().is_some_and(|n| n == w))
}

/// Refuses when a rule of `chain` that is not dfw's jumps to a chain about to be deleted.
fn check_references(
    family: Family,
    chain: Option<&CurrentChain>,
    deleted: &[ChainName],
) -> Result<(), ReconcileError> {
    let Some(c) = chain else { return Ok(()) };
    for (i, r) in c.rules.iter().enumerate() {
        let Some(rule) = r else { continue };
        if is_dfw_jump(rule) {
            continue;
        }
        let target = rule.target.as_ref().and_then(Target::chain);
        if let Some(t) = target.filter(|t| deleted.contains(t)) {
            return Err(ReconcileError::Referenced {
                family,
                chain: c.name.clone(),
                position: i + 1,
                rule: rule_spec(rule).trim().to_string(),
                target: t.as_str().to_string(),
            });
        }
    }
    Ok(())
}

/// Adds `chain` with `wanted` (`None`: a kernel rule dfw cannot express, kept in place) to
/// the changes unless the kernel already holds exactly that.
fn push_if_changed(
    out: &mut Reconciled,
    family: Family,
    chain: &'static str,
    now: Option<&CurrentChain>,
    wanted: Vec<Option<Rule>>,
) -> Result<(), ReconcileError> {
    if let Some(c) = now {
        let unchanged = c.rules.len() == wanted.len()
            && c.rules.iter().zip(&wanted).all(|(n, w)| match (n, w) {
                (Some(n), Some(w)) => n == w,
                (None, None) => true,
                _ => false,
            });
        if unchanged {
            return Ok(());
        }
        if let Some(i) = c.rules.iter().position(Option::is_none) {
            return Err(ReconcileError::Opaque {
                family,
                chain: chain.into(),
                position: i + 1,
            });
        }
    }
    out.chains.push(WantedChain {
        chain: chain_name(chain),
        create: now.is_none(),
        rules: wanted.into_iter().flatten().collect(),
    });
    Ok(())
}
