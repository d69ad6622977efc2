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
    /// A `[[forward]]` pair into a Docker bridge: Docker's per-bridge chain drops what the
    /// bridge does not publish (`UNPUBLISHED PORT DROP`) unless the packet carries the mark
    /// of Docker's `--bridge-accept-fwmark` (its `ALLOW FW MARK` rule), which dfw sets with
    /// `[docker] accept_fwmark`; absent or not matching here.
    ForwardNeedsMark {
        /// The family.
        family: Family,
        /// The pair's incoming interface.
        in_iface: String,
        /// The pair's outgoing interface (a Docker bridge).
        out_iface: String,
        /// Docker's table, `ip docker-bridges` or `ip6 docker-bridges`.
        table: String,
        /// Docker's chain for the bridge (`filter-forward-in__docker0`).
        chain: String,
        /// Docker's accepted mark as its rule matches it (`0x100/0xff00`), if it has one.
        docker_mark: Option<String>,
        /// dfw's `[docker] accept_fwmark`, if set.
        dfw_mark: Option<String>,
    },
}

impl DockerNote {
    /// The family the note is about.
    pub fn family(&self) -> Family {
        match self {
            DockerNote::Backend { family, .. }
            | DockerNote::ForwardPolicyDrop { family }
            | DockerNote::ForwardBlocked { family, .. }
            | DockerNote::ForwardNeedsMark { family, .. } => *family,
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
                 chain is final; no mark lets it through there (Docker's accept-fwmark rule is \
                 only in its per-bridge chains): start Docker with ip-forward-no-drop, or \
                 enable forwarding before Docker starts"
            ),
            DockerNote::ForwardNeedsMark {
                family,
                in_iface,
                out_iface,
                table,
                chain,
                docker_mark,
                dfw_mark,
            } => {
                write!(
                    f,
                    "[[forward]] {in_iface} -> {out_iface} ({family}) reaches only published \
                     ports: Docker's nftables chain {table} {chain} drops the rest (UNPUBLISHED \
                     PORT DROP); "
                )?;
                match (docker_mark, dfw_mark) {
                    (None, _) => write!(
                        f,
                        "start Docker with --bridge-accept-fwmark and set [docker] \
                         accept_fwmark to the same value"
                    ),
                    (Some(d), None) => write!(
                        f,
                        "Docker accepts mark {d}: set [docker] accept_fwmark = \"{d}\""
                    ),
                    (Some(d), Some(m)) => write!(
                        f,
                        "Docker accepts mark {d}, which dfw's [docker] accept_fwmark = \"{m}\" \
                         does not set"
                    ),
                }
            }
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

/// The mark and mask Docker's `ALLOW FW MARK` rule of `chain` accepts (`meta mark & MASK ==
/// MARK`, or `meta mark MARK` with the full mask).
fn docker_accept_mark(chain: &super::Chain) -> Option<(u32, u32)> {
    use super::{CmpOp, Expr};
    let word = |v: &[u8]| Some(u32::from_ne_bytes(v.try_into().ok()?));
    chain
        .rules
        .iter()
        .filter(|r| r.comment.as_deref() == Some("ALLOW FW MARK"))
        .find_map(|r| match r.exprs.as_slice() {
            [Expr::Meta { key: 3, .. }, Expr::Bitwise { mask, .. }, Expr::Cmp {
                op: CmpOp::Eq,
                data,
                ..
            }, ..] => Some((word(data)?, word(mask)?)),
            [Expr::Meta { key: 3, .. }, Expr::Cmp {
                op: CmpOp::Eq,
                data,
                ..
            }, ..] => Some((word(data)?, u32::MAX)),
            _ => None,
        })
}

fn mark_text((mark, mask): (u32, u32)) -> String {
    if mask == u32::MAX {
        format!("{mark:#x}")
    } else {
        format!("{mark:#x}/{mask:#x}")
    }
}

/// [`blocked_forward_pairs`] knowing dfw's `[docker] accept_fwmark` (`(mark, mask)`): also
/// names the pairs into a Docker bridge that Docker's per-bridge chain drops (all but the
/// published ports) unless dfw's mark satisfies Docker's `ALLOW FW MARK` rule. dfw's mark
/// `m/k` (it sets the bits of `k` to `m`) satisfies Docker's `meta mark & dk == dm` when
/// `dk` lies within `k` and `m & dk == dm`. Pairs between interfaces that are not Docker
/// bridges are named only when Docker's forward chain has policy drop (no mark helps there).
pub fn forward_pair_notes(
    native: &Ruleset,
    family: Family,
    pairs: &[(String, String)],
    dfw_mark: Option<(u32, u32)>,
) -> Vec<DockerNote> {
    let fam = match family {
        Family::Ipv4 => NftFamily::Ip,
        Family::Ipv6 => NftFamily::Ip6,
    };
    let Some(t) = native.table(fam, "docker-bridges") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut other = Vec::new();
    for (i, o) in pairs {
        let prefix = o.strip_suffix('+');
        let bridge = t.chains.iter().find(|c| {
            c.name
                .strip_prefix("filter-forward-in__")
                .is_some_and(|b| match prefix {
                    Some(p) => b.starts_with(p),
                    None => b == o,
                })
        });
        let Some(chain) = bridge else {
            // From a bridge: Docker's per-bridge chain accepts what leaves it (OUTGOING).
            let from_bridge = t.chain(&format!("filter-forward-out__{i}")).is_some();
            if !from_bridge {
                other.push((i.clone(), o.clone()));
            }
            continue;
        };
        let docker = docker_accept_mark(chain);
        let ok = match (docker, dfw_mark) {
            (Some((dm, dk)), Some((m, k))) => dk & !k == 0 && m & dk == dm,
            _ => false,
        };
        if !ok {
            out.push(DockerNote::ForwardNeedsMark {
                family,
                in_iface: i.clone(),
                out_iface: o.clone(),
                table: format!("{fam} docker-bridges"),
                chain: chain.name.clone(),
                docker_mark: docker.map(mark_text),
                dfw_mark: dfw_mark.map(mark_text),
            });
        }
    }
    out.extend(blocked_forward_pairs(native, family, &other));
    out
}
