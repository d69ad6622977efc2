//! The `Note` of `dfw.plan/1`, `dfw.status/1` and `dfw.audit/1`: what differs on a host where
//! Docker uses its nftables backend (`dfw_core::native::docker::DockerNote`), as JSON.
//!
//! ```text
//! Note        { "kind": "docker_nftables" | "forward_policy_drop" | "forward_blocked"
//!                       | "forward_needs_mark",
//!               "family": "ipv4" | "ipv6",
//!               "table": string or null,         docker_nftables, forward_blocked: Docker's
//!                                                table ("ip docker-bridges")
//!               "chain": string or null,         forward_policy_drop: "FORWARD" (iptables'
//!                                                filter); forward_blocked: Docker's chain
//!                                                with policy drop ("filter-FORWARD")
//!               "docker_user": bool or null,     docker_nftables: a DOCKER-USER chain exists
//!                                                (Docker's nftables rules never jump to it)
//!               "in": string or null, "out": string or null,   forward_*: the pair
//!               "docker_mark": string or null,   forward_needs_mark: the mark Docker's
//!                                                ALLOW FW MARK rule accepts ("0x100/0xff00")
//!               "dfw_mark": string or null,      forward_needs_mark: [docker] accept_fwmark
//!               "message": string }              the note in words, as the text prints it
//! ```

use serde::Serialize;

use dfw_core::model::Family;
use dfw_core::native::docker::DockerNote;

/// One note.
#[derive(Debug, Serialize)]
pub struct NoteJ {
    kind: &'static str,
    family: &'static str,
    table: Option<String>,
    chain: Option<String>,
    docker_user: Option<bool>,
    #[serde(rename = "in")]
    in_iface: Option<String>,
    out: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    docker_mark: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dfw_mark: Option<String>,
    message: String,
}

/// The JSON mirror of `notes`, in their order.
pub fn notes(notes: &[DockerNote]) -> Vec<NoteJ> {
    notes.iter().map(note).collect()
}

fn note(n: &DockerNote) -> NoteJ {
    let mut j = NoteJ {
        kind: "",
        family: match n.family() {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        },
        table: None,
        chain: None,
        docker_user: None,
        in_iface: None,
        out: None,
        docker_mark: None,
        dfw_mark: None,
        message: n.to_string(),
    };
    match n {
        DockerNote::Backend {
            table, docker_user, ..
        } => {
            j.kind = "docker_nftables";
            j.table = Some(table.clone());
            j.docker_user = Some(*docker_user);
        }
        DockerNote::ForwardPolicyDrop { .. } => {
            j.kind = "forward_policy_drop";
            j.chain = Some("FORWARD".into());
        }
        DockerNote::ForwardBlocked {
            in_iface,
            out_iface,
            table,
            chain,
            ..
        } => {
            j.kind = "forward_blocked";
            j.table = Some(table.clone());
            j.chain = Some(chain.clone());
            j.in_iface = Some(in_iface.clone());
            j.out = Some(out_iface.clone());
        }
        DockerNote::ForwardNeedsMark {
            in_iface,
            out_iface,
            table,
            chain,
            docker_mark,
            dfw_mark,
            ..
        } => {
            j.kind = "forward_needs_mark";
            j.table = Some(table.clone());
            j.chain = Some(chain.clone());
            j.in_iface = Some(in_iface.clone());
            j.out = Some(out_iface.clone());
            j.docker_mark = docker_mark.clone();
            j.dfw_mark = dfw_mark.clone();
        }
    }
    j
}
