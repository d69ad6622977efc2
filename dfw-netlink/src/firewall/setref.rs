//! The ipset indices `-m set` rules need, read from the kernel only when a rule has a set
//! match: before decoding rules that carry an xt `set` match, and before encoding rules with a
//! [`Match::Set`].
//!
//! Contract: a kernel without ipset support yields an empty table (no rule can refer to a set
//! there); any other ipset failure is a [`FirewallError::Sets`]. The index is read outside the
//! nf_tables generation check: a set destroyed and recreated by another tool between this
//! read and the batch makes the kernel refuse the rule (`xt_set` checks the index), and only a
//! different set taking the same index in that window could mislead it.

use dfw_core::model::Match;

use super::{ChangeSet, FirewallError};
use crate::expr::Expr;
use crate::ipset::{IpsetClient, IpsetError, ListMode};
use crate::nft::RuleMsg;
use crate::rule_codec::SetIndex;
use crate::transport::Transport;

/// True when a kernel rule has an xt `set` match.
pub(super) fn msg_uses_sets(m: &RuleMsg) -> bool {
    m.exprs
        .iter()
        .any(|e| matches!(e, Expr::Match { name, .. } if name == crate::xt::set::NAME))
}

/// True when a rule to insert has a `-m set` match.
pub(super) fn changes_use_sets(changes: &ChangeSet) -> bool {
    changes
        .chains
        .iter()
        .flat_map(|c| &c.rules)
        .filter_map(|r| r.rule())
        .flat_map(|r| &r.matches)
        .any(|m| matches!(m, Match::Set(_)))
}

/// Every set's kernel index (`ipset list -t`).
///
/// # Errors
/// [`FirewallError::Sets`] for an ipset failure other than "no ipset in this kernel".
pub fn read_set_index<T: Transport + ?Sized>(t: &mut T) -> Result<SetIndex, FirewallError> {
    let listed = match IpsetClient::new(t).list(None, ListMode::Headers) {
        Ok(l) => l,
        Err(IpsetError::Rejected {
            code: libc::EINVAL | libc::EOPNOTSUPP | libc::EPROTONOSUPPORT,
            ..
        }) => return Ok(SetIndex::new()),
        Err(e) => return Err(FirewallError::Sets(Box::new(e))),
    };
    let mut idx = SetIndex::new();
    for s in listed {
        if let Some(i) = s.index {
            idx.insert(s.name, i);
        }
    }
    Ok(idx)
}
