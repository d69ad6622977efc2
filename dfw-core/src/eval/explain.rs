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
//! A DROP or REJECT ends the path (a REJECT met outside INPUT/FORWARD/OUTPUT is unknown: the
//! kernel refuses such a ruleset). Missing tables or chains accept. Unknown rules whose target
//! matters are explored both ways (up to [`MAX_PATHS`] paths): when every path ends in the same
//! verdict (and the same DNAT) the verdict is known, otherwise it is [`Verdict::Unknown`] naming
//! the first undecidable rule. The reported [`Trace`] follows the path where no undecidable rule
//! matched. Not modelled: reverse-path filtering, martian checks, fragments, multicast routing.

use crate::model::target::Nat;
use crate::model::{Hook, Ruleset, TableName, Target};

use super::flow::{Ct, Flow};
use super::host::{Host, RouteDecision};
use super::packet::Packet;
use super::trace::{Decision, DnatApplied, PathOutcome, RuleRef, Step, Trace, Undecided, Verdict};
use super::walk::{Oracle, Outcome, Run};
use super::EvalError;

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

enum HookResult {
    Accept(Option<Decision>),
    Nat(Nat, bool, RuleRef),
    End(Verdict, Option<Decision>),
}

fn unknown(rule: Option<RuleRef>, reason: impl Into<String>) -> Verdict {
    Verdict::Unknown(Undecided {
        rule,
        reason: reason.into(),
    })
}

fn run_hook(
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
fn dnat_target(n: &Nat, flow: &Flow<'_>) -> Result<(std::net::IpAddr, Option<u16>), String> {
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

/// Runs the hooks in `list` in order; `Ok(filter decision)` when all accept.
fn run_hooks(
    run: &mut Run,
    ruleset: &Ruleset,
    list: &[(TableName, Hook)],
    flow: &mut Flow<'_>,
    end: &mut PathEnd,
) -> Result<Option<Decision>, ()> {
    let mut filter = None;
    for &(table, hook) in list {
        flow.hook = hook;
        let present = ruleset
            .table(table)
            .and_then(|t| t.chain(hook.chain_name()))
            .is_some();
        if !present {
            continue;
        }
        if table == TableName::Nat && !matches!(flow.ct, Ct::New { .. }) {
            if let Ct::Unknown(reason) = &flow.ct {
                end.verdict = unknown(None, format!("nat {}: {reason}", hook.chain_name()));
                return Err(());
            }
            continue;
        }
        match run_hook(run, ruleset, table, hook, flow) {
            HookResult::Accept(d) => {
                if table == TableName::Filter {
                    filter = d.clone();
                }
                if d.is_some() {
                    end.decided_by = d;
                }
            }
            HookResult::End(Verdict::Reject(_), Some(Decision::Rule(at)))
                if !matches!(hook, Hook::Input | Hook::Forward | Hook::Output) =>
            {
                end.verdict = unknown(
                    Some(at),
                    format!(
                        "REJECT reached from {} {}: only valid in INPUT, FORWARD and OUTPUT \
                         (not loadable)",
                        table,
                        hook.chain_name()
                    ),
                );
                return Err(());
            }
            HookResult::End(v, d) => {
                end.verdict = v;
                end.decided_by = d;
                return Err(());
            }
            HookResult::Nat(n, is_dnat, at) => {
                let ok_hook = if is_dnat {
                    hook == Hook::Prerouting
                } else {
                    matches!(hook, Hook::Input | Hook::Postrouting)
                };
                if !ok_hook {
                    end.verdict = unknown(
                        Some(at),
                        format!("NAT target not valid in {}", hook.chain_name()),
                    );
                    return Err(());
                }
                if !is_dnat {
                    flow.apply_snat();
                    run.steps.push(Step::Snat { at: at.clone() });
                    end.decided_by = Some(Decision::Rule(at));
                    continue;
                }
                match dnat_target(&n, flow) {
                    Ok((dst, port)) => {
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
                    Err(reason) => {
                        end.verdict = unknown(Some(at), reason);
                        return Err(());
                    }
                }
            }
        }
    }
    Ok(filter)
}

const PRE: [(TableName, Hook); 2] = [
    (TableName::Mangle, Hook::Prerouting),
    (TableName::Nat, Hook::Prerouting),
];
const INPUT: [(TableName, Hook); 4] = [
    (TableName::Mangle, Hook::Input),
    (TableName::Filter, Hook::Input),
    (TableName::Security, Hook::Input),
    (TableName::Nat, Hook::Input),
];
const FORWARD: [(TableName, Hook); 5] = [
    (TableName::Mangle, Hook::Forward),
    (TableName::Filter, Hook::Forward),
    (TableName::Security, Hook::Forward),
    (TableName::Mangle, Hook::Postrouting),
    (TableName::Nat, Hook::Postrouting),
];

/// One path, following `assumptions` at undecidable rules.
fn run_once(
    ruleset: &Ruleset,
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
    let raw = [(TableName::Raw, Hook::Prerouting)];
    if run_hooks(&mut run, ruleset, &raw, &mut flow, &mut end).is_err() {
        return (end, run);
    }
    flow.track();
    if run_hooks(&mut run, ruleset, &PRE, &mut flow, &mut end).is_err() {
        return (end, run);
    }
    let decision = match host.route(&flow.dst) {
        Ok(d) => d,
        Err(reason) => {
            end.verdict = unknown(None, reason);
            return (end, run);
        }
    };
    run.steps.push(Step::Route(decision.clone()));
    end.route = Some(decision.clone());
    let list: &[(TableName, Hook)] = match decision {
        RouteDecision::Local => &INPUT,
        RouteDecision::Forward(out) => {
            flow.out_iface = Some(out);
            &FORWARD
        }
        RouteDecision::Unroutable(why) => {
            end.verdict = Verdict::Drop;
            end.decided_by = Some(Decision::Routing(why));
            return (end, run);
        }
    };
    if let Ok(filter) = run_hooks(&mut run, ruleset, list, &mut flow, &mut end) {
        end.verdict = Verdict::Accept;
        end.decided_by = filter.or(end.decided_by.take()).or(Some(Decision::NoRules));
    }
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
        let (end, run) = run_once(ruleset, packet, host, assumptions);
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
