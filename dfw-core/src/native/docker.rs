//! Docker's nftables backend (Docker 29, `"firewall-backend": "nftables"`) as seen from the
//! kernel's tables, and what differs from its iptables backend for dfw.
//!
//! Contract: pure. Docker in nftables mode owns `ip docker-bridges` and `ip6 docker-bridges`
//! and creates no `DOCKER-USER` chain. [`docker_notes`] says so for a family, and warns
//! about an iptables `filter FORWARD` policy DROP beside it (Docker's documentation: such a
//! leftover drops what Docker's nftables rules accept, since a drop in any base chain is final).
//! Every note is a [`DockerNote`], whose `Display` is the sentence the text output prints.

use std::fmt;

use super::{NftFamily, Ruleset};
use crate::model::{self, Family, Policy, TableName};

/// One thing that differs on a host where Docker uses its nftables backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerNote {
    /// Docker's nftables table of a family is present.
    Backend {
        /// The family.
        family: Family,
        /// Docker's table, `ip docker-bridges` or `ip6 docker-bridges`.
        table: String,
        /// True when a `DOCKER-USER` chain exists anyway (Docker's rules never jump to it).
        docker_user: bool,
    },
    /// iptables' `filter FORWARD` has policy DROP beside Docker's nftables rules.
    ForwardPolicyDrop {
        /// The family.
        family: Family,
    },
    /// A `[[forward]]` pair Docker's nftables forward chain drops whatever dfw accepts.
    ForwardBlocked {
        /// The family.
        family: Family,
        /// The pair's incoming interface.
        in_iface: String,
        /// The pair's outgoing interface.
        out_iface: String,
        /// Docker's table, `ip docker-bridges` or `ip6 docker-bridges`.
        table: String,
        /// Docker's base chain at the forward hook with policy drop (`filter-FORWARD`).
        chain: String,
    },
}

impl DockerNote {
    /// The family the note is about.
    pub fn family(&self) -> Family {
        match self {
            DockerNote::Backend { family, .. }
            | DockerNote::ForwardPolicyDrop { family }
            | DockerNote::ForwardBlocked { family, .. } => *family,
        }
    }
}

impl fmt::Display for DockerNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DockerNote::Backend {
                table, docker_user, ..
            } => write!(
                f,
                "Docker uses its nftables backend here ({table}){}",
                if *docker_user {
                    "; a DOCKER-USER chain exists but Docker's nftables rules never jump to it"
                } else {
                    ": no DOCKER-USER chain"
                }
            ),
            DockerNote::ForwardPolicyDrop { family } => write!(
                f,
                "iptables {family} filter FORWARD has policy DROP (left from Docker's iptables \
                 backend?): it drops forwarded packets Docker's nftables rules accept"
            ),
            DockerNote::ForwardBlocked {
                family,
                in_iface,
                out_iface,
                table,
                chain,
            } => write!(
                f,
                "[[forward]] {in_iface} -> {out_iface} ({family}) cannot work: Docker's \
                 nftables chain {table} {chain} drops it (policy drop) and a drop in any base \
                 chain is final; it needs Docker's --bridge-accept-fwmark, which dfw does not \
                 set yet"
            ),
        }
    }
}

/// Docker's nftables tables present, as `ip docker-bridges`.
pub fn docker_tables(native: &Ruleset) -> Vec<String> {
    native
        .tables
        .iter()
        .filter(|t| t.name == "docker-bridges" && t.family != NftFamily::Inet)
        .map(|t| format!("{} {}", t.family, t.name))
        .collect()
}

/// Notes for a family's audit, plan or status on a host where Docker uses nftables (empty
/// otherwise).
pub fn docker_notes(xt: &model::Ruleset, native: &Ruleset) -> Vec<DockerNote> {
    let family = xt.family();
    let fam = match family {
        Family::Ipv4 => NftFamily::Ip,
        Family::Ipv6 => NftFamily::Ip6,
    };
    if native.table(fam, "docker-bridges").is_none() {
        return Vec::new();
    }
    let filter = xt.table(TableName::Filter);
    let mut notes = vec![DockerNote::Backend {
        family,
        table: format!("{fam} docker-bridges"),
        docker_user: filter.and_then(|t| t.chain("DOCKER-USER")).is_some(),
    }];
    let forward_drop = filter
        .and_then(|t| t.chain("FORWARD"))
        .and_then(|c| c.policy())
        == Some(Policy::Drop);
    if forward_drop {
        notes.push(DockerNote::ForwardPolicyDrop { family });
    }
    notes
}

/// The policy's `[[forward]]` pairs (`in`, `out`) Docker's nftables rules drop for `family`
/// whatever dfw accepts: a base chain of `ip`/`ip6 docker-bridges` at the forward hook with
/// policy drop, which traffic between interfaces that are not Docker's bridges ends in (its
/// verdict maps only jump for bridges). Only Docker's `--bridge-accept-fwmark` lets such
/// traffic through; dfw does not set that mark yet, so these pairs cannot work.
pub fn blocked_forward_pairs(
    native: &Ruleset,
    family: Family,
    pairs: &[(String, String)],
) -> Vec<DockerNote> {
    let fam = match family {
        Family::Ipv4 => NftFamily::Ip,
        Family::Ipv6 => NftFamily::Ip6,
    };
    let Some(t) = native.table(fam, "docker-bridges") else {
        return Vec::new();
    };
    let Some(drop_chain) = t.chains.iter().find(|c| {
        c.base.as_ref().is_some_and(|b| {
            b.hook == crate::model::Hook::Forward && b.policy == super::ChainPolicy::Drop
        })
    }) else {
        return Vec::new();
    };
    pairs
        .iter()
        .map(|(i, o)| DockerNote::ForwardBlocked {
            family,
            in_iface: i.clone(),
            out_iface: o.clone(),
            table: format!("{fam} docker-bridges"),
            chain: drop_chain.name.clone(),
        })
        .collect()
}
