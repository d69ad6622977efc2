//! Which rule decides a lockout, as text, and whether two refusals are the same one (pure).
//!
//! Contract:
//! - [`rule_line`] is the deciding rule's text: `-A CHAIN ...` as `iptables-save` prints it
//!   for an iptables table, `TABLE CHAIN: ...` as `nft list ruleset` prints it for a native
//!   table; `None` when the position names no rule.
//! - [`same_refusal`] says a refusal after a commit is the one before it: the same verdict
//!   decided by the same rule (compared by table, chain and text, since the commit may move
//!   an iptables rule: dfw's jumps go on top) or the same chain policy; or a definite refusal
//!   decided by a native table (its rule or its chain's policy) before the commit with any
//!   verdict but ACCEPT after it, or after the commit whatever came before: a commit of dfw
//!   never changes a native table, and a drop or reject is final at every hook, so such a
//!   refusal holds on both sides whichever base chain runs first (the kernel orders base
//!   chains of equal priority by registration; dfw's REJECT before a native drop is the
//!   same refusal as that drop alone).

use dfw_core::eval::{Decision, RuleRef, TableRef, Verdict};
use dfw_core::model::Ruleset;
use dfw_core::native;
use dfw_core::syntax::rule_spec;

use super::lockout::Lockout;

/// The text of the rule at `r` (see the module contract).
pub(super) fn rule_line(rs: &Ruleset, nat: &native::Ruleset, r: &RuleRef) -> Option<String> {
    match &r.table {
        TableRef::Xt(t) => rs
            .table(*t)
            .and_then(|t| t.chain(&r.chain))
            .and_then(|c| c.rules.get(r.number.checked_sub(1)?))
            .map(|rule| format!("-A {} {}", r.chain, rule_spec(rule).trim())),
        TableRef::Native(f, name) => {
            let t = nat.table(*f, name)?;
            let rule = t.chain(&r.chain)?.rules.get(r.number.checked_sub(1)?)?;
            Some(format!(
                "{f} {name} {}: {}",
                r.chain,
                native::print::rule_text(t, rule)
            ))
        }
    }
}

/// True when `b` (after) is the refusal `a` (before) already was (see the module contract).
pub(super) fn same_refusal(
    a: &Lockout,
    ra: &Ruleset,
    b: &Lockout,
    rb: &Ruleset,
    nat: &native::Ruleset,
) -> bool {
    if refused(&b.verdict) && decided_natively(b) {
        return true;
    }
    if refused(&a.verdict) && decided_natively(a) && !b.verdict.is_accept() {
        return true;
    }
    let kind = |v: &Verdict| match v {
        Verdict::Unknown(_) => "unknown".to_string(),
        other => other.to_string(),
    };
    let deciding = |l: &Lockout, rs: &Ruleset| -> Option<String> {
        let at = |r: &RuleRef| rule_line(rs, nat, r).map(|text| format!("{} {text}", r.table));
        match &l.verdict {
            Verdict::Unknown(u) => at(u.rule.as_ref()?),
            _ => match l.decided_by.as_ref()? {
                Decision::Rule(r) => at(r),
                d => Some(d.to_string()),
            },
        }
    };
    let (da, db) = (deciding(a, ra), deciding(b, rb));
    kind(&a.verdict) == kind(&b.verdict) && da.is_some() && da == db
}

/// A definite refusal: DROP or REJECT.
fn refused(v: &Verdict) -> bool {
    !v.is_accept() && !matches!(v, Verdict::Unknown(_))
}

/// True when a native table decided `l` (a rule of it or a chain's policy).
fn decided_natively(l: &Lockout) -> bool {
    match &l.decided_by {
        Some(Decision::Rule(r)) => matches!(r.table, TableRef::Native(..)),
        Some(Decision::Policy { table, .. }) => matches!(table, TableRef::Native(..)),
        _ => false,
    }
}
