//! Reconciling (pure): a compiled policy and the kernel's current contents of the chains dfw
//! touches give the exact contents those chains must end up with.
//!
//! Contract, per family (`filter` table only):
//! - dfw's chains (`DFW-*`) hold exactly what the policy compiled to; `DFW-*` chains the
//!   policy no longer has are deleted. Nothing else is deleted, ever.
//! - `DOCKER-USER` and `INPUT` hold dfw's jumps for them at the top, then every other rule
//!   already there in its order; stale or displaced dfw jumps (tagged
//!   [`DFW_COMMENT`](super::DFW_COMMENT), see [`is_dfw_jump`]) are removed or moved. With
//!   `host = false` the policy has no INPUT jump, so dfw's jump is removed from INPUT.
//! - Rules that are not dfw's (a neighbour's: ufw, fail2ban, CrowdSec, an admin's; decoded or
//!   not) in the chains dfw shares are [`WantedRule::Kernel`]: the rule the kernel holds,
//!   kept exactly where and as it is, never deleted, moved or rewritten. dfw only adds,
//!   moves and deletes its own rules around them (and Docker's `-j DOCKER-USER`, below).
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
//! - dfw's own chains are dfw's alone: a rule someone put into one (even one dfw cannot
//!   decode) is removed by the next commit.
//! - The one error, before anything is changed: a rule someone else put in (untagged) that
//!   jumps to a `DFW-*` chain to be deleted ([`ReconcileError::Referenced`]). A rule dfw
//!   cannot decode never prevents a reconcile.

use super::compiled::{chain_name, is_dfw_chain, is_dfw_jump, FamilyRules, DOCKER_USER, INPUT};
use crate::diff::{diff_by, diff_pinned, DiffOp};
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

/// One rule of a chain as the reconcile wants it.
// Nearly every entry is a rule: boxing them would cost an allocation per rule.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WantedRule {
    /// A rule dfw writes (an equal rule already in place keeps its handle and counters).
    Rule(Rule),
    /// The rule at this 0-based position of the chain as read ([`CurrentChain::rules`]):
    /// not dfw's, so it stays exactly where and as it is (never deleted, moved or rewritten).
    Kernel(usize),
}

impl WantedRule {
    /// The rule dfw writes; `None` for a kernel rule kept as it is.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            WantedRule::Rule(r) => Some(r),
            WantedRule::Kernel(_) => None,
        }
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
    /// Its exact rules, in order: dfw's, and the kernel's rules that stay (in their order).
    pub rules: Vec<WantedRule>,
}

impl WantedChain {
    /// The edit from the chain's rules `now` (as read) to these: every
    /// [`WantedRule::Kernel`] kept where it is, dfw's rules matched where equal
    /// ([`crate::diff::diff_pinned`]; what the firewall's plan does with handles).
    pub fn edit(&self, now: &[Option<Rule>]) -> Vec<DiffOp> {
        let pin = |j: usize| match self.rules[j] {
            WantedRule::Kernel(i) => Some(i),
            WantedRule::Rule(_) => None,
        };
        let eq = |i: usize, j: usize| now[i].is_some() && now[i].as_ref() == self.rules[j].rule();
        // A reconcile pins kernel rules in range and in order; a hand-made chain that does
        // not is compared without its pins.
        diff_pinned(now.len(), self.rules.len(), pin, eq)
            .unwrap_or_else(|_| diff_by(now.len(), self.rules.len(), eq))
    }

    /// The chain's rules once changed, given its rules `now` as read (`None`: a rule dfw
    /// cannot decode); a kernel position out of range gives `None` as well.
    pub fn resolve(&self, now: &[Option<Rule>]) -> Vec<Option<Rule>> {
        self.rules
            .iter()
            .map(|w| match w {
                WantedRule::Rule(r) => Some(r.clone()),
                WantedRule::Kernel(i) => now.get(*i).cloned().flatten(),
            })
            .collect()
    }
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
            rules: rules.iter().cloned().map(WantedRule::Rule).collect(),
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
        let jumps: Vec<WantedRule> = policy
            .jumps
            .iter()
            .filter(|j| j.chain.as_str() == chain)
            .map(|j| WantedRule::Rule(j.rule.clone()))
            .collect();
        let now = current.chain(chain);
        if now.is_none() && jumps.is_empty() && chain == INPUT {
            continue;
        }
        check_references(family, now, &out.delete)?;
        let kept = now.map_or(&[][..], |c| c.rules.as_slice());
        let others = kept
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.as_ref().is_some_and(is_dfw_jump))
            .map(|(i, _)| WantedRule::Kernel(i));
        push_if_changed(
            &mut out,
            chain,
            now,
            jumps.into_iter().chain(others).collect(),
        );
    }
    // FORWARD must jump to DOCKER-USER before any rule that can accept; Docker inserts it
    // at position 1. Docker's jump is the one rule of FORWARD dfw moves (as Docker does).
    let forward = current.chain(FORWARD);
    check_references(family, forward, &out.delete)?;
    let jump = docker_user_jump();
    if !jump_comes_first(forward.map_or(&[], |c| c.rules.as_slice()), &jump) {
        let rest = forward
            .map_or(&[][..], |c| c.rules.as_slice())
            .iter()
            .enumerate()
            .filter(|(_, r)| r.as_ref() != Some(&jump))
            .map(|(i, _)| WantedRule::Kernel(i));
        let wanted = std::iter::once(WantedRule::Rule(jump.clone()))
            .chain(rest)
            .collect();
        push_if_changed(&mut out, FORWARD, forward, wanted);
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
        Some(
            Target::Accept | Target::Return | Target::Jump(_) | Target::Goto(_) | Target::Opaque(_),
        ) => true,
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

/// Adds `chain` with `wanted` to the changes unless the kernel already holds exactly that.
fn push_if_changed(
    out: &mut Reconciled,
    chain: &'static str,
    now: Option<&CurrentChain>,
    wanted: Vec<WantedRule>,
) {
    if let Some(c) = now {
        let unchanged = c.rules.len() == wanted.len()
            && c.rules
                .iter()
                .zip(&wanted)
                .enumerate()
                .all(|(i, (n, w))| match w {
                    WantedRule::Kernel(k) => *k == i,
                    WantedRule::Rule(w) => n.as_ref() == Some(w),
                });
        if unchanged {
            return;
        }
    }
    out.chains.push(WantedChain {
        chain: chain_name(chain),
        create: now.is_none(),
        rules: wanted,
    });
}
