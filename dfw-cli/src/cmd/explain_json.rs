//! `dfw-cli explain --json`: one packet's path, schema `dfw.explain/1`.
//!
//! Contract: as `dfw.audit/1` (see `audit_json`, whose `Rule` and `Decision` objects are used
//! here as they are): stable; fields and enum values are only ever added; every field of an
//! object is always present (`null` where it says "or null"); a step's fields are those of
//! its `kind`. The document is printed whenever the path was evaluated (exit 0, 4 or 5).
//!
//! ```text
//! Document    { "schema": "dfw.explain/1",
//!               "packet": Packet,
//!               "steps": [Step],                 in order, on the reported path
//!               "unknowns": [Unknown],           undecidable matches on that path
//!               "verdict": "accept" | "drop" | "reject" | "unknown",
//!               "reject_with": string or null,   "icmp-port-unreachable", "tcp-reset", ...
//!               "unknown_reason": string or null,
//!               "decided_by": Decision or null,
//!               "dnat": Dnat or null,            the DNAT on the path
//!               "container": string or null,     the container publishing the destination
//!                                                port (Docker API; null without it)
//!               "paths": number }                paths explored (1: nothing undecidable)
//! Packet      { "proto": "tcp" | "udp", "in": string, "src": string, "dst": string,
//!               "dst_port": number }
//! Step        { "kind": "enter", "table": string, "chain": string,
//!                 "how": "hook" | "jump" | "goto" | "return" }
//!           | { "kind": "rule", "rule": Rule,
//!                 "result": "matched" | "not_matched" | "unknown",
//!                 "unknown_reason": string or null,
//!                 "assumed": bool or null }      unknown: what this path assumed
//!           | { "kind": "policy", "table": string, "chain": string,
//!                 "policy": "ACCEPT" | "DROP" }
//!           | { "kind": "dnat", "rule": Rule, "dst": string, "port": number or null }
//!           | { "kind": "snat", "rule": Rule }
//!           | { "kind": "route", "route": "local" | "forward" | "unroutable",
//!                 "out": string or null,         forward: the interface it leaves by
//!                 "reason": string or null }     unroutable: why
//! Unknown     { "rule": Rule, "reason": string,
//!               "explored": bool }               true: both outcomes were explored
//! Dnat        { "rule": Rule, "dst": string, "port": number or null }
//! ```

use serde::Serialize;

use dfw_core::eval::{Entry, MatchResult, Packet, RouteDecision, Step, Trace, Verdict};
use dfw_core::model::{Family, Ruleset};

use super::audit_json::{decision, rule, DecisionJ, RuleJ};

/// The schema name and version.
pub const SCHEMA: &str = "dfw.explain/1";

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Document {
    schema: &'static str,
    packet: PacketJ,
    steps: Vec<StepJ>,
    unknowns: Vec<UnknownJ>,
    verdict: &'static str,
    reject_with: Option<String>,
    unknown_reason: Option<String>,
    decided_by: Option<DecisionJ>,
    dnat: Option<DnatJ>,
    container: Option<String>,
    paths: usize,
}

#[derive(Debug, Serialize)]
struct PacketJ {
    proto: String,
    #[serde(rename = "in")]
    iface: String,
    src: String,
    dst: String,
    dst_port: Option<u16>,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StepJ {
    Enter {
        table: String,
        chain: String,
        how: &'static str,
    },
    Rule {
        rule: RuleJ,
        result: &'static str,
        unknown_reason: Option<String>,
        assumed: Option<bool>,
    },
    Policy {
        table: String,
        chain: String,
        policy: String,
    },
    Dnat {
        rule: RuleJ,
        dst: String,
        port: Option<u16>,
    },
    Snat {
        rule: RuleJ,
    },
    Route {
        route: &'static str,
        out: Option<String>,
        reason: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct UnknownJ {
    rule: RuleJ,
    reason: String,
    explored: bool,
}

#[derive(Debug, Serialize)]
struct DnatJ {
    rule: RuleJ,
    dst: String,
    port: Option<u16>,
}

fn step(rs: &Ruleset, s: &Step) -> StepJ {
    match s {
        Step::Enter { table, chain, how } => StepJ::Enter {
            table: table.to_string(),
            chain: chain.clone(),
            how: match how {
                Entry::Hook(_) => "hook",
                Entry::Jump => "jump",
                Entry::Goto => "goto",
                Entry::Return => "return",
            },
        },
        Step::NativeRule {
            at, text, result, ..
        } => {
            let (result, unknown_reason, assumed) = match result {
                MatchResult::Matched => ("matched", None, None),
                MatchResult::NotMatched => ("not_matched", None, None),
                MatchResult::Unknown { reason, assumed } => {
                    ("unknown", Some(reason.clone()), Some(*assumed))
                }
            };
            StepJ::Rule {
                rule: super::audit_json::native_rule(at, text),
                result,
                unknown_reason,
                assumed,
            }
        }
        Step::Rule { at, result, .. } => {
            let (result, unknown_reason, assumed) = match result {
                MatchResult::Matched => ("matched", None, None),
                MatchResult::NotMatched => ("not_matched", None, None),
                MatchResult::Unknown { reason, assumed } => {
                    ("unknown", Some(reason.clone()), Some(*assumed))
                }
            };
            StepJ::Rule {
                rule: rule(rs, at),
                result,
                unknown_reason,
                assumed,
            }
        }
        Step::Policy {
            table,
            chain,
            policy,
        } => StepJ::Policy {
            table: table.to_string(),
            chain: chain.clone(),
            policy: policy.to_string(),
        },
        Step::Dnat { at, dst, port } => StepJ::Dnat {
            rule: rule(rs, at),
            dst: dst.to_string(),
            port: *port,
        },
        Step::Snat { at } => StepJ::Snat { rule: rule(rs, at) },
        Step::Route(r) => {
            let (route, out, reason) = match r {
                RouteDecision::Local => ("local", None, None),
                RouteDecision::Forward(i) => ("forward", Some(i.clone()), None),
                RouteDecision::Unroutable(why) => ("unroutable", None, Some(why.clone())),
            };
            StepJ::Route { route, out, reason }
        }
    }
}

impl Document {
    /// The document of `trace`, the path of `pkt` through `rs`; `container` names the
    /// container publishing the destination port, when known.
    pub fn new(rs: &Ruleset, pkt: &Packet, t: &Trace, container: Option<String>) -> Self {
        let (verdict, reject_with, unknown_reason) = match &t.verdict {
            Verdict::Accept => ("accept", None, None),
            Verdict::Drop => ("drop", None, None),
            Verdict::Reject(r) => ("reject", Some(r.to_string()), None),
            Verdict::Unknown(u) => ("unknown", None, Some(u.to_string())),
        };
        Document {
            schema: SCHEMA,
            packet: PacketJ {
                proto: pkt.protocol(Family::of(&pkt.src)).to_string(),
                iface: pkt.in_iface.clone(),
                src: pkt.src.to_string(),
                dst: pkt.dst.to_string(),
                dst_port: pkt.ports().map(|(_, p)| p),
            },
            steps: t.steps.iter().map(|s| step(rs, s)).collect(),
            unknowns: t
                .unknowns
                .iter()
                .map(|u| UnknownJ {
                    rule: rule(rs, &u.at),
                    reason: u.reason.clone(),
                    explored: u.explored,
                })
                .collect(),
            verdict,
            reject_with,
            unknown_reason,
            decided_by: t.decided_by.as_ref().map(|d| decision(rs, d)),
            dnat: t.dnat.as_ref().map(|d| DnatJ {
                rule: rule(rs, &d.rule),
                dst: d.dst.to_string(),
                port: d.port,
            }),
            container,
            paths: t.paths,
        }
    }
}
