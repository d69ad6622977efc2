//! `plan --json`, `status --json`, `commit --json` (and `rollback --json`): schemas
//! `dfw.plan/1`, `dfw.status/1` and `dfw.commit/1`.
//!
//! Contract: as `dfw.audit/1` (see `audit_json`): stable; within a version fields and enum
//! values are only ever added, never renamed, removed or changed in meaning; every field below
//! is always present (`null` where it says "or null"). A document is printed only when the
//! command succeeded (exit 0, or `plan`'s 2 and `status`'s 3); on an error standard output is
//! empty and the reason is on standard error. Rules are written as iptables-save writes them
//! (`-A CHAIN ...`).
//!
//! ```text
//! Plan        { "schema": "dfw.plan/1", "config": string,  the policy file
//!               "external": [string],            the external interfaces it was compiled for
//!               "warnings": [Warning],
//!               "pending": bool,                 true: a commit would change something
//!               "families": [Summary],           IPv4 then IPv6
//!               "changes": [Chain],              with "keep" lines around the changes
//!               "notes": [Note] }                Docker's nftables backend (see Note)
//! Status      { "schema": "dfw.status/1", "config": string, "external": [string],
//!               "warnings": [Warning],
//!               "in_sync": bool,
//!               "drift": [Drift],                empty when in sync (dfw's native
//!                                                table: family "inet", table "dfw")
//!               "state": [string],               what the state directory says (as in the text)
//!               "notes": [Note] }                Docker's nftables backend (see Note)
//! Commit      { "schema": "dfw.commit/1",
//!               "config": string or null,        null for rollback
//!               "external": [string], "warnings": [Warning],
//!               "changed": bool,                 false: nothing to change, nothing sent
//!               "families": [Summary],
//!               "changes": [Chain],              only "add" and "remove" lines
//!               "confirm": Confirm or null,      commit --confirm: what must be confirmed
//!               "watch": Watch or null,          the running watch that follows this policy
//!               "attempts": number,              batches tried (more after a race)
//!               "generation": number }           the ruleset generation after it
//! Confirm     { "id": string, "deadline": number (Unix seconds), "seconds": number }
//! Watch       { "pid": number, "config": string }   the file the watch follows
//! Summary     { "family": "ipv4" | "ipv6", "rules_added": number, "rules_removed": number,
//!               "chains_created": number, "chains_deleted": number }
//! Chain       { "family": "ipv4" | "ipv6", "table": "filter", "chain": string,
//!               "create": "chain" | "builtin" or null,   created first
//!               "delete": bool,                  a dfw chain deleted (line "-X CHAIN")
//!               "lines": [Line] }
//! Line        { "op": "keep" | "add" | "remove", "rule": string }
//! Drift       { "family": "ipv4" | "ipv6", "table": "filter", "chain": string,
//!               "items": [DriftItem] }
//! DriftItem   { "kind": "missing" | "extra" | "reordered" | "changed",
//!               "rule": string,                  "-A ..." or "chain NAME"
//!               "wanted": string or null }       changed: the rule wanted instead
//! Warning     { "file": string, "line": number, "column": number, "key": string,
//!               "value": string,
//!               "kind": "host_bits" | "mapped" | "duplicate" | "covered"
//!                       | "no_such_interface",
//!               "message": string }              the reason in words
//! ```

use serde::Serialize;

use dfw_core::model::Family;
use dfw_core::policy::{Drift, PolicyWarning, WarningKind};
use dfw_netlink::enforce::{ChainChange, LineOp};
use dfw_netlink::firewall::Create;
use dfw_netlink::{CommitReport, FamilySummary, PolicyPlan, StatusReport};

use super::notes_json::NoteJ;
use dfw_core::native::docker::DockerNote;

/// The schema names and versions.
pub const PLAN: &str = "dfw.plan/1";
/// See [`PLAN`].
pub const STATUS: &str = "dfw.status/1";
/// See [`PLAN`].
pub const COMMIT: &str = "dfw.commit/1";

/// `dfw.plan/1`.
#[derive(Debug, Serialize)]
pub struct PlanDoc {
    schema: &'static str,
    config: String,
    external: Vec<String>,
    warnings: Vec<WarningJ>,
    pending: bool,
    families: Vec<SummaryJ>,
    changes: Vec<ChainJ>,
    notes: Vec<NoteJ>,
}

/// `dfw.status/1`.
#[derive(Debug, Serialize)]
pub struct StatusDoc {
    schema: &'static str,
    config: String,
    external: Vec<String>,
    warnings: Vec<WarningJ>,
    in_sync: bool,
    drift: Vec<DriftJ>,
    state: Vec<String>,
    notes: Vec<NoteJ>,
}

/// `dfw.commit/1`.
#[derive(Debug, Serialize)]
pub struct CommitDoc {
    schema: &'static str,
    config: Option<String>,
    external: Vec<String>,
    warnings: Vec<WarningJ>,
    changed: bool,
    families: Vec<SummaryJ>,
    changes: Vec<ChainJ>,
    confirm: Option<ConfirmJ>,
    watch: Option<WatchJ>,
    attempts: u32,
    generation: u32,
}

/// The `dfw-cli watch` that follows the committed policy and keeps it.
#[derive(Debug, Serialize)]
pub struct WatchJ {
    /// Its process id.
    pub pid: u32,
    /// The file it follows.
    pub config: String,
}

/// A commit awaiting confirmation.
#[derive(Debug, Serialize)]
pub struct ConfirmJ {
    /// The commit's id.
    pub id: String,
    /// When it is reverted, Unix seconds.
    pub deadline: u64,
    /// The time given, seconds.
    pub seconds: u64,
}

#[derive(Debug, Serialize)]
struct SummaryJ {
    family: &'static str,
    rules_added: usize,
    rules_removed: usize,
    chains_created: usize,
    chains_deleted: usize,
}

#[derive(Debug, Serialize)]
struct ChainJ {
    family: &'static str,
    table: &'static str,
    chain: String,
    create: Option<&'static str>,
    delete: bool,
    lines: Vec<LineJ>,
}

#[derive(Debug, Serialize)]
struct LineJ {
    op: &'static str,
    rule: String,
}

#[derive(Debug, Serialize)]
struct DriftJ {
    family: &'static str,
    table: &'static str,
    chain: String,
    items: Vec<DriftItemJ>,
}

#[derive(Debug, Serialize)]
struct DriftItemJ {
    kind: String,
    rule: String,
    wanted: Option<String>,
}

#[derive(Debug, Serialize)]
struct WarningJ {
    file: String,
    line: usize,
    column: usize,
    key: String,
    value: String,
    kind: &'static str,
    message: String,
}

/// `"ipv4"` or `"ipv6"`.
pub fn family_name(f: Family) -> &'static str {
    match f {
        Family::Ipv4 => "ipv4",
        Family::Ipv6 => "ipv6",
    }
}

fn summaries(s: &[FamilySummary]) -> Vec<SummaryJ> {
    s.iter()
        .map(|s| SummaryJ {
            family: family_name(s.family),
            rules_added: s.rules_added,
            rules_removed: s.rules_removed,
            chains_created: s.chains_created,
            chains_deleted: s.chains_deleted,
        })
        .collect()
}

fn changes(c: &[ChainChange]) -> Vec<ChainJ> {
    c.iter()
        .map(|c| ChainJ {
            family: family_name(c.family),
            table: "filter",
            chain: c.chain.clone(),
            create: c.create.map(|k| match k {
                Create::User => "chain",
                Create::Builtin(_) => "builtin",
            }),
            delete: c.delete,
            lines: c
                .lines
                .iter()
                .map(|l| LineJ {
                    op: match l.op {
                        LineOp::Keep => "keep",
                        LineOp::Add => "add",
                        LineOp::Remove => "remove",
                    },
                    rule: l.text.clone(),
                })
                .collect(),
        })
        .collect()
}

fn warnings(w: &[PolicyWarning]) -> Vec<WarningJ> {
    w.iter()
        .map(|w| WarningJ {
            file: w.at.file.clone(),
            line: w.at.line,
            column: w.at.column,
            key: w.key.clone(),
            value: w.value.clone(),
            kind: match w.kind {
                WarningKind::HostBits { .. } => "host_bits",
                WarningKind::Mapped { .. } => "mapped",
                WarningKind::Duplicate { .. } => "duplicate",
                WarningKind::Covered { .. } => "covered",
                WarningKind::NoSuchInterface { .. } => "no_such_interface",
            },
            message: w.kind.to_string(),
        })
        .collect()
}

fn names<T: ToString>(v: &[T]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

impl PlanDoc {
    /// The document of a plan of the policy in `config` (`notes`: about Docker's nftables
    /// backend).
    pub fn new(config: &str, w: &[PolicyWarning], p: &PolicyPlan, notes: &[DockerNote]) -> Self {
        let s = p.summaries();
        PlanDoc {
            schema: PLAN,
            config: config.to_string(),
            external: names(&p.external),
            warnings: warnings(w),
            pending: !p.is_empty(),
            families: summaries(&s),
            changes: changes(&p.changes()),
            notes: super::notes_json::notes(notes),
        }
    }
}

impl StatusDoc {
    /// The document of a status of the policy in `config`; `state`: what the state
    /// directory says, one line each; `notes`: about Docker's nftables backend.
    pub fn new(
        config: &str,
        w: &[PolicyWarning],
        r: &StatusReport,
        state: Vec<String>,
        notes: &[DockerNote],
    ) -> Self {
        StatusDoc {
            schema: STATUS,
            config: config.to_string(),
            external: names(&r.external),
            warnings: warnings(w),
            in_sync: r.in_sync(),
            drift: drift(&r.drift),
            state,
            notes: super::notes_json::notes(notes),
        }
    }
}

fn drift(d: &Drift) -> Vec<DriftJ> {
    let items = |items: &[dfw_core::policy::DriftItem]| {
        items
            .iter()
            .map(|i| DriftItemJ {
                kind: i.kind.to_string(),
                rule: i.rule.clone(),
                wanted: i.wanted.clone(),
            })
            .collect()
    };
    let mut out: Vec<DriftJ> = d
        .chains
        .iter()
        .map(|d| DriftJ {
            family: family_name(d.family),
            table: "filter",
            chain: d.chain.clone(),
            items: items(&d.items),
        })
        .collect();
    // dfw's native table (`[docker] accept_fwmark`): family "inet", table "dfw".
    if !d.native.is_empty() {
        out.push(DriftJ {
            family: "inet",
            table: "dfw",
            chain: dfw_core::policy::MARK_CHAIN.into(),
            items: items(&d.native),
        });
    }
    out
}

impl CommitDoc {
    /// The document of a commit of the policy in `config` (`None`: a rollback).
    pub fn new(
        config: Option<&str>,
        w: &[PolicyWarning],
        r: &CommitReport,
        confirm: Option<ConfirmJ>,
    ) -> Self {
        CommitDoc {
            schema: COMMIT,
            config: config.map(str::to_string),
            external: names(&r.external),
            warnings: warnings(w),
            changed: !r.is_noop(),
            families: summaries(&r.summaries()),
            changes: changes(&r.changes),
            confirm,
            watch: None,
            attempts: r.applied.attempts,
            generation: r.applied.generation,
        }
    }

    /// The same document naming the watch that follows the committed policy.
    pub fn with_watch(self, watch: Option<WatchJ>) -> Self {
        CommitDoc { watch, ..self }
    }
}

/// The document as pretty JSON and a newline.
pub fn render<T: Serialize>(doc: &T) -> String {
    // These types serialize infallibly (strings, numbers, bools, lists of them).
    serde_json::to_string_pretty(doc).unwrap_or_default() + "\n"
}

#[cfg(test)]
#[path = "policy_json_tests.rs"]
mod tests;
