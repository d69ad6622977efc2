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
