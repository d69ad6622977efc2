//! Docker's nftables backend (Docker 29, `"firewall-backend": "nftables"`) as seen from the
//! kernel's tables, and what differs from its iptables backend for dfw.
//!
//! Contract: pure. Docker in nftables mode owns `ip docker-bridges` and `ip6 docker-bridges`
//! and creates no `DOCKER-USER` chain. [`docker_notes`] says so for a family, and warns
//! about an iptables `filter FORWARD` policy DROP beside it (Docker's documentation: such a
//! leftover drops what Docker's nftables rules accept, since a drop in any base chain is final).

use super::{NftFamily, Ruleset};
use crate::model::{self, Family, Policy, TableName};

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
pub fn docker_notes(xt: &model::Ruleset, native: &Ruleset) -> Vec<String> {
    let family = xt.family();
    let fam = match family {
        Family::Ipv4 => NftFamily::Ip,
        Family::Ipv6 => NftFamily::Ip6,
    };
    if native.table(fam, "docker-bridges").is_none() {
        return Vec::new();
    }
    let filter = xt.table(TableName::Filter);
    let user = filter.and_then(|t| t.chain("DOCKER-USER")).is_some();
    let mut notes = vec![format!(
        "Docker uses its nftables backend here ({fam} docker-bridges){}",
        if user {
            "; a DOCKER-USER chain exists but Docker's nftables rules never jump to it"
        } else {
            ": no DOCKER-USER chain"
        }
    )];
    let forward_drop = filter
        .and_then(|t| t.chain("FORWARD"))
        .and_then(|c| c.policy())
        == Some(Policy::Drop);
    if forward_drop {
        notes.push(format!(
            "iptables {family} filter FORWARD has policy DROP (left from Docker's iptables \
             backend?): it drops forwarded packets Docker's nftables rules accept"
        ));
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
) -> Vec<String> {
    let fam = match family {
        Family::Ipv4 => NftFamily::Ip,
        Family::Ipv6 => NftFamily::Ip6,
    };
    let Some(t) = native.table(fam, "docker-bridges") else {
        return Vec::new();
    };
    let drops = t.chains.iter().any(|c| {
        c.base.as_ref().is_some_and(|b| {
            b.hook == crate::model::Hook::Forward && b.policy == super::ChainPolicy::Drop
        })
    });
    if !drops {
        return Vec::new();
    }
    pairs
        .iter()
        .map(|(i, o)| {
            format!(
                "[[forward]] {i} -> {o} ({family}) cannot work: Docker's nftables chain \
                 {fam} docker-bridges filter-FORWARD drops it (policy drop) and a drop in \
                 any base chain is final; it needs Docker's --bridge-accept-fwmark, which dfw \
                 does not set yet"
            )
        })
        .collect()
}
