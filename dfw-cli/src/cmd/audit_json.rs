//! `dfw-cli audit --json`: the audit as JSON, schema `dfw.audit/1`.
//!
//! Contract: the schema is stable. Within `dfw.audit/1` fields and enum values are only ever
//! added, never renamed, removed or changed in meaning; anything else bumps the version. Every
//! field below is always present (`null` where it says "or null"). The structs here mirror
//! `dfw_core::eval`'s result types at the CLI edge (dfw-core has no serde).
//!
//! ```text
//! Document    { "schema": "dfw.audit/1", "families": [Family] }
//! Family      { "family": "ipv4" | "ipv6",
//!               "externals": [string],           interfaces examined
//!               "externals_assumed": bool,       true: no default route and none named, so
//!                                                every interface that is not loopback, a
//!                                                bridge or a bridge port was taken
//!               "error": string or null,         why this family could not be audited
//!               "published": [Published], "host_ports": [HostPort],
//!               "user_space": [UserSpace],       published ports docker-proxy serves here
//!               "notes": [Note] }                Docker's nftables backend (see Note)
//! UserSpace   { "proto": "tcp" | "udp", "port": number,
//!               "listen": string,                the socket: "[::]:8080", "0.0.0.0:53"
//!               "published": string,             the published port(s): "8080", "7000-7009"
//!               "published_addr": string or null, the host address it is published on
//!               "container": string or null,     the container publishing it (Docker API)
//!               "exposure": [Exposure] }         the INPUT path, per external interface
//! Published   { "rule": Rule,                    the DNAT rule (nat table)
//!               "proto": string or null,         "tcp", "udp", ...; null: every protocol
//!               "host_ports": [string],          "8080", "1000-2000"; []: every port
//!               "host_addr": string or null,     the rule's -d ("!" prefix when negated)
//!               "to": string,                    "172.17.0.2:80", "[fd00::2]:80"
//!               "container": string or null,     the container publishing its first port,
//!                                                from the Docker API (null without it)
//!               "exposure": [Exposure] }         one per external interface
//! HostPort    { "proto": "tcp" | "udp", "port": number,
//!               "unnamed": bool,                 true: stands for every port no rule names
//!               "exposure": [Exposure] }
//! Exposure    { "iface": string,
//!               "reach": "everyone" | "everyone_except" | "sources" | "lan_only" | "nobody"
//!                        | "possibly" | "unknown",
//!               "sources": [Source],             everyone_except: who is refused;
//!                                                sources: who gets in; possibly: who gets in
//!                                                or may, depending on undecidable rules (a
//!                                                rate limit, a recent list: unknown_reason
//!                                                names the first); otherwise []
//!               "unknown_reason": string or null,
//!               "decided_by": Decision or null,  what decides the outside probe's fate
//!               "probes": [Probe] }
//! Source      { "kind": "outside" | "lan" | "network" | "range" | "ipset" | "nftset",
//!               "value": string or null }         ipset: "NAME (N entries)"; nftset:
//!                                                "FAMILY TABLE @SET (N entries)"
//! Probe       { "source": Source, "addr": string,
//!               "verdict": "accept" | "drop" | "reject" | "unknown",
//!               "reject_with": string or null,   "icmp-port-unreachable", "tcp-reset", ...
//!               "unknown_reason": string or null,
//!               "reaches": bool or null,         null: unknown
//!               "possibly": bool,                reaches, or may: some undecidable rule lets
//!                                                it through on some path
//!               "decided_by": Decision or null,
//!               "dnat": Dnat or null }
//! Dnat        { "rule": Rule, "dst": string, "port": number or null }
//! Decision    { "kind": "rule" | "policy" | "routing" | "no_rules",
//!               "rule": Rule or null,            kind rule
//!               "table": string or null, "chain": string or null,
//!               "policy": "ACCEPT" | "DROP" or null,   kind policy
//!               "reason": string or null }       kind routing
//! Rule        { "table": string, "chain": string, "number": number (from 1),
//!               "text": string }                 the rule as iptables-save prints it after -A CHAIN
//! ```

use serde::Serialize;

use dfw_core::eval::{
    Audit, Decision, DnatApplied, IfaceExposure, Probe, PublishedPort, Reach, RuleRef, SourceSet,
    UserSpacePort, Verdict,
};
use dfw_core::model::{Family, Ruleset};

use dfw_docker::Containers;

use super::docker_names;
use super::examine::{nat_text, port_text, rule_text};
use super::notes_json::NoteJ;
use dfw_core::native::docker::DockerNote;

/// The container publishing the first port of a DNAT rule.
pub(super) fn published_by(c: Option<&Containers>, p: &PublishedPort) -> Option<String> {
    let host = p
        .host_addr
        .as_ref()
        .filter(|n| !n.negated && n.value.is_host())
        .map(|n| n.value.addr());
    let port = p.host_ports.first().map(|r| r.lo());
    docker_names::name(c, p.proto, port, host)
}

/// The container publishing a port docker-proxy serves.
pub(super) fn user_space_by(c: Option<&Containers>, u: &UserSpacePort) -> Option<String> {
    let host = u.published.host.filter(|n| n.is_host()).map(|n| n.addr());
    docker_names::name(c, Some(u.proto), Some(u.port), host)
}

/// The schema name and version.
pub const SCHEMA: &str = "dfw.audit/1";

/// The whole document.
#[derive(Debug, Serialize)]
pub struct Document {
    schema: &'static str,
    families: Vec<FamilyJ>,
}

/// One family's audit, or why there is none.
#[derive(Debug, Serialize)]
pub struct FamilyJ {
    family: &'static str,
    externals: Vec<String>,
    externals_assumed: bool,
    error: Option<String>,
    published: Vec<PublishedJ>,
    host_ports: Vec<HostPortJ>,
    user_space: Vec<UserSpaceJ>,
    notes: Vec<NoteJ>,
}

#[derive(Debug, Serialize)]
struct UserSpaceJ {
    proto: String,
    port: u16,
    listen: String,
    published: String,
    published_addr: Option<String>,
    container: Option<String>,
    exposure: Vec<ExposureJ>,
}

/// A rule: table, chain, number and text.
#[derive(Debug, Serialize)]
pub(super) struct RuleJ {
    table: String,
    chain: String,
    number: usize,
    text: String,
}

#[derive(Debug, Serialize)]
struct PublishedJ {
    rule: RuleJ,
    proto: Option<String>,
    host_ports: Vec<String>,
    host_addr: Option<String>,
    to: String,
    container: Option<String>,
    exposure: Vec<ExposureJ>,
}

#[derive(Debug, Serialize)]
struct HostPortJ {
    proto: String,
    port: u16,
    unnamed: bool,
    exposure: Vec<ExposureJ>,
}

#[derive(Debug, Serialize)]
struct ExposureJ {
    iface: String,
    reach: &'static str,
    sources: Vec<SourceJ>,
    unknown_reason: Option<String>,
    decided_by: Option<DecisionJ>,
    probes: Vec<ProbeJ>,
}

#[derive(Debug, Serialize)]
struct SourceJ {
    kind: &'static str,
    value: Option<String>,
}

#[derive(Debug, Serialize)]
struct ProbeJ {
    source: SourceJ,
    addr: String,
    verdict: &'static str,
    reject_with: Option<String>,
    unknown_reason: Option<String>,
    reaches: Option<bool>,
    possibly: bool,
    decided_by: Option<DecisionJ>,
    dnat: Option<DnatJ>,
}

#[derive(Debug, Serialize)]
struct DnatJ {
    rule: RuleJ,
    dst: String,
    port: Option<u16>,
}

/// What decided a verdict.
#[derive(Debug, Serialize)]
pub(super) struct DecisionJ {
    kind: &'static str,
    rule: Option<RuleJ>,
    table: Option<String>,
    chain: Option<String>,
    policy: Option<String>,
    reason: Option<String>,
}

impl Document {
    /// A document of the given families.
    pub fn new(families: Vec<FamilyJ>) -> Self {
        Document {
            schema: SCHEMA,
            families,
        }
    }
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::Ipv4 => "ipv4",
        Family::Ipv6 => "ipv6",
    }
}

/// A family that could not be audited.
pub fn failed(family: Family, error: String) -> FamilyJ {
    FamilyJ {
        family: family_name(family),
        externals: Vec::new(),
        externals_assumed: false,
        error: Some(error),
        published: Vec::new(),
        host_ports: Vec::new(),
        user_space: Vec::new(),
        notes: Vec::new(),
    }
}

/// The JSON mirror of the rule at `at`.
/// A native rule: its position and the text `nft list ruleset` prints.
pub(super) fn native_rule(at: &RuleRef, text: &str) -> RuleJ {
    RuleJ {
        table: at.table.to_string(),
        chain: at.chain.clone(),
        number: at.number,
        text: text.to_string(),
    }
}

pub(super) fn rule(rs: &Ruleset, at: &RuleRef) -> RuleJ {
    RuleJ {
        table: at.table.to_string(),
        chain: at.chain.clone(),
        number: at.number,
        text: rule_text(rs, at),
    }
}

fn source(s: &SourceSet) -> SourceJ {
    let (kind, value) = match s {
        SourceSet::Outside => ("outside", None),
        SourceSet::Lan(n) => ("lan", Some(n.to_string())),
        SourceSet::Network(n) => ("network", Some(n.to_string())),
        SourceSet::Range(r) => ("range", Some(r.to_string())),
        SourceSet::IpSet { name, members } => {
            ("ipset", Some(format!("{name} ({members} entries)")))
        }
        SourceSet::NftSet {
            family,
            table,
            set,
            members,
        } => (
            "nftset",
            Some(format!("{family} {table} @{set} ({members} entries)")),
        ),
    };
    SourceJ { kind, value }
}

/// The JSON mirror of a decision.
pub(super) fn decision(rs: &Ruleset, d: &Decision) -> DecisionJ {
    let mut j = DecisionJ {
        kind: "no_rules",
        rule: None,
        table: None,
        chain: None,
        policy: None,
        reason: None,
    };
    match d {
        Decision::Rule(at) => {
            j.kind = "rule";
            j.rule = Some(rule(rs, at));
        }
        Decision::Policy {
            table,
            chain,
            policy,
        } => {
            j.kind = "policy";
            j.table = Some(table.to_string());
            j.chain = Some(chain.clone());
            j.policy = Some(policy.to_string());
        }
        Decision::Routing(why) => {
            j.kind = "routing";
            j.reason = Some(why.clone());
        }
        Decision::NoRules => {}
    }
    j
}

fn dnat(rs: &Ruleset, d: &DnatApplied) -> DnatJ {
    DnatJ {
        rule: rule(rs, &d.rule),
        dst: d.dst.to_string(),
        port: d.port,
    }
}

fn probe(rs: &Ruleset, p: &Probe) -> ProbeJ {
    let (verdict, reject_with, unknown_reason) = match &p.verdict {
        Verdict::Accept => ("accept", None, None),
        Verdict::Drop => ("drop", None, None),
        Verdict::Reject(r) => ("reject", Some(r.to_string()), None),
        Verdict::Unknown(u) => ("unknown", None, Some(u.to_string())),
    };
    ProbeJ {
        source: source(&p.source),
        addr: p.addr.to_string(),
        verdict,
        reject_with,
        unknown_reason,
        reaches: p.reaches,
        possibly: p.possibly,
        decided_by: p.decided_by.as_ref().map(|d| decision(rs, d)),
        dnat: p.dnat.as_ref().map(|d| dnat(rs, d)),
    }
}

fn exposure(rs: &Ruleset, e: &IfaceExposure) -> ExposureJ {
    let (reach, sources, unknown_reason) = match &e.reach {
        Reach::Everyone => ("everyone", Vec::new(), None),
        Reach::EveryoneExcept(v) => ("everyone_except", v.iter().map(source).collect(), None),
        Reach::Sources(v) => ("sources", v.iter().map(source).collect(), None),
        Reach::LanOnly => ("lan_only", Vec::new(), None),
        Reach::Nobody => ("nobody", Vec::new(), None),
        Reach::Possibly(v, u) => (
            "possibly",
            v.iter().map(source).collect(),
            Some(u.to_string()),
        ),
        Reach::Unknown(u) => ("unknown", Vec::new(), Some(u.to_string())),
    };
    ExposureJ {
        iface: e.iface.clone(),
        reach,
        sources,
        unknown_reason,
        decided_by: e.decided_by.as_ref().map(|d| decision(rs, d)),
        probes: e.probes.iter().map(|p| probe(rs, p)).collect(),
    }
}

/// The JSON mirror of one family's audit (`containers`: from the Docker API, for names).
pub fn family(
    rs: &Ruleset,
    a: &Audit,
    externals: Vec<String>,
    containers: Option<&Containers>,
) -> FamilyJ {
    let exposures = |v: &[IfaceExposure]| v.iter().map(|e| exposure(rs, e)).collect();
    FamilyJ {
        family: family_name(a.family),
        externals,
        externals_assumed: false,
        error: None,
        published: a
            .published
            .iter()
            .map(|p| PublishedJ {
                rule: rule(rs, &p.rule),
                proto: p.proto.map(|x| x.to_string()),
                host_ports: p.host_ports.iter().map(port_text).collect(),
                host_addr: p
                    .host_addr
                    .as_ref()
                    .map(|n| format!("{}{}", if n.negated { "!" } else { "" }, n.value)),
                to: nat_text(&p.to),
                container: published_by(containers, p),
                exposure: exposures(&p.exposure),
            })
            .collect(),
        host_ports: a
            .host_ports
            .iter()
            .map(|h| HostPortJ {
                proto: h.proto.to_string(),
                port: h.port,
                unnamed: h.unnamed,
                exposure: exposures(&h.exposure),
            })
            .collect(),
        user_space: Vec::new(),
        notes: Vec::new(),
    }
}

impl FamilyJ {
    /// Adds the notes about Docker's nftables backend.
    pub fn with_notes(mut self, notes: &[DockerNote]) -> Self {
        self.notes = super::notes_json::notes(notes);
        self
    }

    /// Marks the externals as assumed (no default route, none named).
    pub fn assumed(mut self, assumed: bool) -> Self {
        self.externals_assumed = assumed;
        self
    }

    /// Adds the published ports served in user space.
    pub fn with_user_space(
        mut self,
        rs: &Ruleset,
        ports: &[UserSpacePort],
        containers: Option<&Containers>,
    ) -> Self {
        self.user_space = ports
            .iter()
            .map(|u| UserSpaceJ {
                proto: u.proto.to_string(),
                port: u.port,
                listen: std::net::SocketAddr::new(u.listener.addr, u.listener.port).to_string(),
                published: port_text(&u.published.ports),
                published_addr: u.published.host.map(|h| h.to_string()),
                container: user_space_by(containers, u),
                exposure: u.exposure.iter().map(|e| exposure(rs, e)).collect(),
            })
            .collect();
        self
    }
}

#[cfg(test)]
#[path = "audit_json_tests.rs"]
mod tests;
