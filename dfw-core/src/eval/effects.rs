//! What the targets that let a packet continue do to it: MARK and CONNMARK change the marks
//! later rules match, `CT --notrack` keeps the packet out of conntrack; LOG, NFLOG, TCPMSS and
//! the other CT options change nothing the evaluator models.
//!
//! Contract: [`apply`] updates the [`Flow`] exactly as the kernel target would for a first
//! packet; a value that depends on an unknown input becomes unknown (`None`), never a guess.

use crate::model::target::{Connmark, ConnmarkMode};
use crate::model::{Hook, TableName, Target};

use super::flow::{Ct, Flow};

/// True when the target can never change the packet's fate or what later rules see (a rule
/// with such a target and an undecidable match needs no exploration).
pub(crate) fn inert(target: &Option<Target>) -> bool {
    match target {
        None | Some(Target::Log(_) | Target::Nflog(_) | Target::Tcpmss(_)) => true,
        Some(Target::Ct(c)) => !c.notrack,
        Some(_) => false,
    }
}

/// `value` when it is known or irrelevant (`mask` covers every bit it would keep).
fn needed(value: Option<u32>, keep_mask: u32) -> Option<u32> {
    match (value, keep_mask) {
        (Some(v), _) => Some(v),
        (None, 0) => Some(0),
        (None, _) => None,
    }
}

fn connmark(c: &Connmark, flow: &mut Flow<'_>) {
    if !matches!(flow.ct, Ct::New { .. }) {
        // No entry: connmark_tg does nothing (an unknown entry leaves the marks unknown).
        if matches!(flow.ct, Ct::Unknown(_)) {
            flow.ctmark = None;
        }
        return;
    }
    let shifted = c.shift.is_some();
    // Each mode reads only some inputs; one it needs but does not know makes its output unknown.
    match c.mode {
        ConnmarkMode::Set { mask, .. } => {
            let ct = needed(flow.ctmark, if shifted { u32::MAX } else { !mask });
            flow.ctmark = ct.map(|ct| c.apply(0, ct).1);
        }
        ConnmarkMode::Save { ctmask, .. } => {
            let ct = needed(flow.ctmark, !ctmask);
            flow.ctmark = match (flow.mark, ct) {
                (Some(m), Some(ct)) => Some(c.apply(m, ct).1),
                _ => None,
            };
        }
        ConnmarkMode::Restore { nfmask, .. } => {
            let m = needed(flow.mark, !nfmask);
            flow.mark = match (m, flow.ctmark) {
                (Some(m), Some(ct)) => Some(c.apply(m, ct).0),
                _ => None,
            };
        }
    }
}

/// Applies a continuing target in `table`/`hook`; `Err` with the reason when the kernel would
/// refuse the target there (the ruleset would not load).
pub(crate) fn apply(target: &Target, table: TableName, flow: &mut Flow<'_>) -> Result<(), String> {
    match target {
        Target::Mark(m) => {
            flow.mark = match flow.mark {
                Some(v) => Some(m.apply(v)),
                None if m.mask == u32::MAX => Some(m.value),
                None => None,
            };
        }
        Target::Connmark(c) => connmark(c, flow),
        Target::Ct(_) if table != TableName::Raw => {
            return Err("-j CT outside the raw table (not loadable)".into())
        }
        Target::Ct(c) if c.notrack && flow.hook == Hook::Prerouting => flow.notrack = true,
        _ => {}
    }
    Ok(())
}

/// REDIRECT as a DNAT to the incoming interface's address (`nf_nat_redirect_ipv4`: its first
/// IPv4 address; IPv6: the first usable address of a list the kernel orders by scope, decided
/// here only when the interface has one IPv6 address).
pub(crate) fn redirect_nat(
    r: &crate::model::target::Redirect,
    flow: &Flow<'_>,
) -> Result<crate::model::target::Nat, String> {
    let iface = flow.host.iface(&flow.in_iface);
    let addrs: Vec<std::net::IpAddr> = iface
        .map(|i| {
            i.addrs
                .iter()
                .map(|(a, _)| *a)
                .filter(|a| crate::model::Family::of(a) == flow.family)
                .collect()
        })
        .unwrap_or_default();
    let addr = match (flow.family, addrs.as_slice()) {
        (_, []) => {
            return Err(format!(
                "REDIRECT: {} has no address of the family (the kernel drops the packet)",
                flow.in_iface
            ))
        }
        (crate::model::Family::Ipv4, [first, ..]) | (_, [first]) => *first,
        _ => {
            return Err(format!(
                "REDIRECT: which IPv6 address of {} the kernel picks is not modelled",
                flow.in_iface
            ))
        }
    };
    Ok(crate::model::target::Nat {
        addrs: crate::model::AddrRange::new(addr, addr).ok(),
        ports: r.ports,
        random: r.random,
        persistent: false,
        random_fully: false,
    })
}
