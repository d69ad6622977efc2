//! One base chain at a hook, iptables' or native, run for the packet: what it decided
//! ([`HookResult`]), and the new destination of a DNAT.
//!
//! Contract: an iptables table's built-in chain is walked by `walk.rs`, a native base chain by
//! `native/chain.rs`; a NAT target outside the nat table, or a REDIRECT that cannot be
//! resolved, is unknown; native DNATs become the same [`Nat`] iptables' DNAT carries.

use crate::model::target::Nat;
use crate::model::{AddrRange, Hook, PortRange, Ruleset, TableName, Target};
use crate::native;

use super::flow::Flow;
use super::native::{walk_native, NatAction, NativeOutcome};
use super::trace::{Decision, RuleRef, Undecided, Verdict};
use super::walk::{Outcome, Run};

/// What one base chain decided.
pub(super) enum HookResult {
    Accept(Option<Decision>),
    Nat(Nat, bool, RuleRef),
    End(Verdict, Option<Decision>),
}

/// Runs one native base chain.
pub(super) fn native_hook(
    run: &mut Run,
    table: &native::Table,
    chain: &native::Chain,
    hook: Hook,
    flow: &mut Flow<'_>,
) -> HookResult {
    match walk_native(run, table, chain, hook, flow) {
        NativeOutcome::Accept(d) => HookResult::Accept(Some(d)),
        NativeOutcome::Drop(d) => HookResult::End(Verdict::Drop, Some(d)),
        NativeOutcome::Reject(r, d) => HookResult::End(Verdict::Reject(r), Some(d)),
        NativeOutcome::Unknown(u) => HookResult::End(Verdict::Unknown(u), None),
        NativeOutcome::Nat(NatAction::Dnat(a, p), at) => {
            let n = Nat {
                addrs: a.and_then(|a| AddrRange::new(a, a).ok()),
                ports: p.map(PortRange::single),
                ..NO_NAT
            };
            HookResult::Nat(n, true, at)
        }
        NativeOutcome::Nat(NatAction::Snat, at) => HookResult::Nat(NO_NAT, false, at),
    }
}

pub(super) fn unknown(rule: Option<RuleRef>, reason: impl Into<String>) -> Verdict {
    Verdict::Unknown(Undecided {
        rule,
        reason: reason.into(),
    })
}

pub(super) fn run_hook(
    run: &mut Run,
    ruleset: &Ruleset,
    table: TableName,
    hook: Hook,
    flow: &mut Flow<'_>,
) -> HookResult {
    let Some(t) = ruleset.table(table) else {
        return HookResult::Accept(None);
    };
    match t.chain(hook.chain_name()) {
        Some(c) if c.is_builtin() => {}
        _ => return HookResult::Accept(None),
    }
    match run.walk(t, hook.chain_name(), hook, flow) {
        Outcome::Accept(d) => HookResult::Accept(Some(d)),
        Outcome::Drop(d) => HookResult::End(Verdict::Drop, Some(d)),
        Outcome::Reject(r, d) => HookResult::End(Verdict::Reject(r), Some(d)),
        Outcome::Unknown(u) => HookResult::End(Verdict::Unknown(u), None),
        Outcome::Nat(target, at) => match (table, target) {
            (TableName::Nat, Target::Dnat(n)) => HookResult::Nat(*n, true, at),
            (TableName::Nat, Target::Redirect(r)) => match super::effects::redirect_nat(r, flow) {
                Ok(n) => HookResult::Nat(n, true, at),
                Err(reason) => HookResult::End(unknown(Some(at), reason), None),
            },
            (TableName::Nat, Target::Snat(_) | Target::Masquerade(_)) => {
                HookResult::Nat(NO_NAT, false, at)
            }
            _ => HookResult::End(
                unknown(
                    Some(at),
                    "a NAT target outside the nat table (not loadable)",
                ),
                None,
            ),
        },
    }
}

static NO_NAT: Nat = Nat {
    addrs: None,
    ports: None,
    random: false,
    persistent: false,
    random_fully: false,
};

/// The new destination a DNAT range gives a first packet.
pub(super) fn dnat_target(
    n: &Nat,
    flow: &Flow<'_>,
) -> Result<(std::net::IpAddr, Option<u16>), String> {
    let dst = match n.addrs {
        None => flow.dst,
        Some(r) if r.start() == r.end() => r.start(),
        Some(r) => return Err(format!("DNAT to the range {r}: the kernel picks by hash")),
    };
    let cur = flow.ports().map(|(_, d)| d);
    let port = match (n.ports, cur) {
        (None, _) | (_, None) => cur,
        (Some(p), Some(_)) if p.is_single() => Some(p.lo()),
        (Some(p), Some(c)) if p.contains(c) && !n.random && !n.random_fully => Some(c),
        (Some(p), Some(_)) => {
            return Err(format!(
                "DNAT to the port range {p}: the kernel picks the port"
            ))
        }
    };
    Ok((dst, port))
}
