//! `explain`: the path of the first packet of a new connection through every hook, as the
//! kernel runs iptables-nft's tables, and the verdict.
//!
//! Contract, hook by hook (priorities of iptables-nft's base chains):
//! 1. raw PREROUTING (-300), before conntrack: no entry yet (`--ctstate INVALID`).
//! 2. conntrack (-200) creates the entry of the new connection ([`Flow::track`]).
//! 3. mangle PREROUTING (-150); nat PREROUTING (-100), only for a new entry: a DNAT rewrites the
//!    destination (and port) and sets the DNAT status.
//! 4. Routing ([`Host::route`]): a local destination goes to INPUT, else FORWARD via the
//!    longest-prefix route; no route or forwarding off drops the packet.
//! 5. INPUT: mangle (-150), filter (0), security (50), nat INPUT (100, SNAT only).
//!    FORWARD: mangle (-150), filter (0), security (50), then POSTROUTING: mangle (-150),
//!    nat POSTROUTING (100, SNAT/MASQUERADE only).
//!
//! With native tables ([`explain_with`]) every base chain registered at a hook runs in the
//! kernel's order (`hooks.rs`): native chains interleave with iptables' by priority (before
//! conntrack when below -200), nat chains run inside the NAT hook at its priority and stop at
//! the first binding; an ACCEPT ends only its own base chain, a DROP or REJECT is final.
//!
//! A DROP or REJECT ends the path (a REJECT met outside INPUT/FORWARD/OUTPUT is unknown: the
//! kernel refuses such a ruleset). Missing tables or chains accept. Unknown rules whose target
//! matters are explored both ways (up to [`MAX_PATHS`] paths): when every path ends in the same
//! verdict (and the same DNAT) the verdict is known, otherwise it is [`Verdict::Unknown`] naming
//! the first undecidable rule. The reported [`Trace`] follows the path where no undecidable rule
//! matched. Not modelled: reverse-path filtering, martian checks, fragments, multicast routing.

use crate::model::{Hook, Ruleset, TableName};

use super::flow::{Ct, Flow};
use super::hook_run::{dnat_target, native_hook, run_hook, unknown, HookResult};
use super::hooks::{slots, Slot, CONNTRACK};
use super::host::{Host, RouteDecision};
use super::packet::Packet;
use super::trace::{Decision, DnatApplied, PathOutcome, RuleRef, Step, Trace, Verdict};
use super::walk::{Oracle, Run};
use super::EvalError;
use crate::native;
use std::net::IpAddr;

/// Most paths explored for one packet; beyond, the verdict is unknown.
pub const MAX_PATHS: usize = 256;

/// The end of one path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PathEnd {
    verdict: Verdict,
    decided_by: Option<Decision>,
    dnat: Option<DnatApplied>,
    route: Option<RouteDecision>,
}

/// What a path carries from hook to hook.
struct Path<'e> {
    end: &'e mut PathEnd,
    /// The decision of the last filter-type chain that accepted at INPUT or FORWARD.
    filter: Option<Decision>,
}

impl Path<'_> {
    fn accepted(&mut self, hook: Hook, slot: &Slot<'_>, d: Option<Decision>) {
        let Some(d) = d else { return };
        let filter = match slot {
            Slot::Xt(t) => *t == TableName::Filter,
            Slot::Native(..) => !slot.is_nat(),
        };
        if matches!(hook, Hook::Input | Hook::Forward) && filter {
            let by_rule = matches!(d, Decision::Rule(_));
            let had_rule = matches!(self.filter, Some(Decision::Rule(_)));
            if by_rule || !had_rule {
                self.filter = Some(d.clone());
            }
        }
        self.end.decided_by = Some(d);
    }
}

/// Applies a DNAT to `dst`/`port` decided by `at`.
fn apply_dnat(
    run: &mut Run,
    flow: &mut Flow<'_>,
    end: &mut PathEnd,
    at: RuleRef,
    dst: IpAddr,
    port: Option<u16>,
) {
    flow.apply_dnat(dst, port);
    run.steps.push(Step::Dnat {
        at: at.clone(),
        dst,
        port,
    });
    end.dnat = Some(DnatApplied {
        rule: at.clone(),
        dst,
        port,
    });
    end.decided_by = Some(Decision::Rule(at));
}

/// Runs the base chains at `hook` whose sort key is in `range`, in order; `Err` when the
/// packet's fate is sealed (drop, reject, unknown).
fn run_hooks(
    run: &mut Run,
    ruleset: &Ruleset,
    native: &native::Ruleset,
    hook: Hook,
    range: std::ops::Range<i32>,
    flow: &mut Flow<'_>,
    path: &mut Path<'_>,
) -> Result<(), ()> {
    flow.hook = hook;
    let mut nat_bound = false;
    for (key, slot) in slots(ruleset, native, hook) {
        if !range.contains(&key.0) {
            continue;
        }
        if slot.is_nat() {
            if nat_bound {
                continue;
            }
            if !matches!(flow.ct, Ct::New { .. }) {
                if let Ct::Unknown(reason) = &flow.ct {
                    path.end.verdict =
                        unknown(None, format!("nat {}: {reason}", hook.chain_name()));
                    return Err(());
                }
                continue;
            }
        }
        let result = match slot {
            Slot::Xt(table) => run_hook(run, ruleset, table, hook, flow),
            Slot::Native(t, c) => native_hook(run, t, c, hook, flow),
        };
        match result {
            HookResult::Accept(d) => path.accepted(hook, &slot, d),
            HookResult::End(Verdict::Reject(_), Some(Decision::Rule(at)))
                if !matches!(hook, Hook::Input | Hook::Forward | Hook::Output) =>
            {
                path.end.verdict = unknown(
                    Some(at.clone()),
                    format!(
                        "REJECT reached from {} {}: only valid in INPUT, FORWARD and OUTPUT \
                         (not loadable)",
                        at.table,
                        hook.chain_name()
                    ),
                );
                return Err(());
            }
            HookResult::End(v, d) => {
                path.end.verdict = v;
                path.end.decided_by = d;
                return Err(());
            }
            HookResult::Nat(n, is_dnat, at) => {
                let ok_hook = if is_dnat {
                    matches!(hook, Hook::Prerouting | Hook::Output)
                } else {
                    matches!(hook, Hook::Input | Hook::Postrouting)
                };
                if !ok_hook || !slot.is_nat() {
                    path.end.verdict =
                        unknown(Some(at), format!("NAT not valid in {}", hook.chain_name()));
                    return Err(());
                }
                nat_bound = true;
                if !is_dnat {
                    flow.apply_snat();
                    run.steps.push(Step::Snat { at: at.clone() });
                    path.end.decided_by = Some(Decision::Rule(at));
                    continue;
                }
                match dnat_target(&n, flow) {
                    Ok((dst, port)) => apply_dnat(run, flow, path.end, at, dst, port),
                    Err(reason) => {
                        path.end.verdict = unknown(Some(at), reason);
                        return Err(());
                    }
                }
            }
        }
    }
    Ok(())
}

/// One path, following `assumptions` at undecidable rules.
fn run_once(
    ruleset: &Ruleset,
    native: &native::Ruleset,
    packet: &Packet,
    host: &Host,
    assumptions: Vec<bool>,
) -> (PathEnd, Run) {
    let mut run = Run {
        oracle: Oracle::replaying(assumptions),
        ..Run::default()
    };
    let mut flow = Flow::new(ruleset.family(), packet, host);
    let mut end = PathEnd {
        verdict: Verdict::Accept,
        decided_by: None,
        dnat: None,
        route: None,
    };
    let mut path = Path {
        end: &mut end,
        filter: None,
    };
    let all = i32::MIN..i32::MAX;
    let pre = Hook::Prerouting;
    let r = &mut run;
    let early = run_hooks(
        r,
        ruleset,
        native,
        pre,
        i32::MIN..CONNTRACK,
        &mut flow,
        &mut path,
    );
    if early.is_err() {
        return (end, run);
    }
    flow.track();
    if run_hooks(
        r,
        ruleset,
        native,
        pre,
        CONNTRACK..i32::MAX,
        &mut flow,
        &mut path,
    )
    .is_err()
    {
        return (end, run);
    }
    let decision = match host.route(&flow.dst) {
        Ok(d) => d,
        Err(reason) => {
            path.end.verdict = unknown(None, reason);
            return (end, run);
        }
    };
    r.steps.push(Step::Route(decision.clone()));
    path.end.route = Some(decision.clone());
    let hooks: &[Hook] = match decision {
        RouteDecision::Local => &[Hook::Input],
        RouteDecision::Forward(out) => {
            flow.out_iface = Some(out);
            &[Hook::Forward, Hook::Postrouting]
        }
        RouteDecision::Unroutable(why) => {
            path.end.verdict = Verdict::Drop;
            path.end.decided_by = Some(Decision::Routing(why));
            return (end, run);
        }
    };
    for &hook in hooks {
        if run_hooks(r, ruleset, native, hook, all.clone(), &mut flow, &mut path).is_err() {
            return (end, run);
        }
    }
    let filter = path.filter.take();
    end.verdict = Verdict::Accept;
    end.decided_by = filter.or(end.decided_by.take()).or(Some(Decision::NoRules));
    (end, run)
}

fn same_outcome(a: &PathEnd, b: &PathEnd) -> bool {
    a.verdict == b.verdict && a.dnat == b.dnat
}

fn describe(e: &PathEnd) -> String {
    match &e.dnat {
        Some(d) => format!("{} after DNAT by {}", e.verdict, d.rule),
        None => e.verdict.to_string(),
    }
}

/// Follows `packet`, the first packet of a new connection, through `ruleset` on `host`.
///
/// # Errors
/// [`EvalError`] when the packet's addresses differ in family or are not the ruleset's family.
pub fn explain(ruleset: &Ruleset, packet: &Packet, host: &Host) -> Result<Trace, EvalError> {
    explain_with(ruleset, &native::Ruleset::default(), packet, host)
}

/// [`explain`] on a host that also holds native nf_tables tables (`native`): their base
/// chains run at each hook with iptables' tables, in priority order.
///
/// # Errors
/// As [`explain`].
pub fn explain_with(
    ruleset: &Ruleset,
    native: &native::Ruleset,
    packet: &Packet,
    host: &Host,
) -> Result<Trace, EvalError> {
    let family = packet.family()?;
    if family != ruleset.family() {
        return Err(EvalError::WrongFamily {
            packet: family,
            ruleset: ruleset.family(),
        });
    }
    let mut queue: Vec<Vec<bool>> = vec![Vec::new()];
    let mut ends: Vec<PathEnd> = Vec::new();
    let mut primary: Option<(PathEnd, Run)> = None;
    let mut overflow = false;
    while let Some(assumptions) = queue.pop() {
        if ends.len() >= MAX_PATHS {
            overflow = true;
            break;
        }
        let fixed = assumptions.len();
        let (end, run) = run_once(ruleset, native, packet, host, assumptions);
        for j in fixed..run.oracle.points.len() {
            let mut next: Vec<bool> = run.oracle.points[..j].iter().map(|p| p.2).collect();
            next.push(true);
            queue.push(next);
        }
        ends.push(end.clone());
        if primary.is_none() {
            primary = Some((end, run));
        }
    }
    let Some((first, run)) = primary else {
        return Ok(empty_trace());
    };
    let blame = run
        .oracle
        .points
        .first()
        .map(|(at, reason, _)| (at.clone(), reason.clone()));
    let verdict = if overflow {
        unknown(
            blame.map(|b| b.0),
            format!("more than {MAX_PATHS} combinations of undecidable rules"),
        )
    } else if let Some(u) = ends.iter().find(|e| e.verdict.is_unknown()) {
        u.verdict.clone()
    } else if let Some(other) = ends.iter().find(|e| !same_outcome(e, &first)) {
        let (rule, reason) = match blame {
            Some((at, reason)) => (Some(at), reason),
            None => (None, String::from("undecidable rules")),
        };
        unknown(
            rule,
            format!(
                "{reason}; depending on undecidable rules the packet ends in {} or in {}",
                describe(&first),
                describe(other)
            ),
        )
    } else {
        first.verdict.clone()
    };
    let mut outcomes: Vec<PathOutcome> = Vec::new();
    for e in &ends {
        let o = PathOutcome {
            verdict: e.verdict.clone(),
            dnat: e.dnat.clone(),
            route: e.route.clone(),
        };
        if !outcomes.contains(&o) {
            outcomes.push(o);
        }
    }
    if overflow {
        outcomes.push(PathOutcome {
            verdict: verdict.clone(),
            dnat: None,
            route: None,
        });
    }
    Ok(Trace {
        steps: run.steps,
        verdict,
        decided_by: first.decided_by,
        dnat: first.dnat,
        route: first.route,
        unknowns: run.unknowns,
        paths: ends.len(),
        outcomes,
    })
}

fn empty_trace() -> Trace {
    Trace {
        steps: Vec::new(),
        verdict: unknown(None, "no path was explored"),
        decided_by: None,
        dnat: None,
        route: None,
        unknowns: Vec::new(),
        paths: 0,
        outcomes: Vec::new(),
    }
}
