//! The pure half of the set engine: what must happen to the kernel's sets for a compiled
//! policy, from what the kernel holds.
//!
//! Contract: [`plan_sets`] never touches a set whose name does not start with `dfw-`. Per set
//! the policy needs: absent -> [`SetStep::Create`] (created and filled before any rule uses it);
//! present with the right type, family and timeout support -> nothing, an in-place change of
//! at most [`IN_PLACE_MAX`] entries ([`SetStep::Update`]: one `ADD` per new entry, then one
//! `DEL` per old one, so a commit that changes one entry sends two requests), or a
//! [`SetStep::Replace`] through a staging set filled in full and swapped in; present but
//! incompatible -> an error naming the set. A dynamic set (bans) is only created when absent.
//! Every other `dfw-` set is destroyed after the rules stop using it ([`SetPlan::destroy`]),
//! unless the compiled rules still match it (a rollback point's rules keep their sets).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Network};
use dfw_core::policy::{is_dfw_set, SetMembers, SetSpec};

use crate::ipset::{CreateSpec, Entry, Members, SetListing, HASH_NET};

/// Most changed entries a set gets in place; beyond, it is replaced through a swap.
pub const IN_PLACE_MAX: usize = 1024;

/// Most entries of a ban set (each takes memory only while it exists).
pub const BAN_MAXELEM: u32 = 1 << 20;

/// What one set needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetStep {
    /// Create it and add these entries.
    Create {
        /// The set.
        spec: CreateSpec,
        /// Its members.
        entries: Vec<Network>,
    },
    /// Add these entries, then delete those.
    Update {
        /// The set.
        name: SetName,
        /// New members.
        add: Vec<Network>,
        /// Members to remove.
        del: Vec<Network>,
    },
    /// Fill a staging set with every member and swap it with the live one.
    Replace {
        /// The staging set to create (`NAME~`), with the live set's type and family.
        staging: CreateSpec,
        /// The live set.
        live: SetName,
        /// Its new members.
        entries: Vec<Network>,
        /// How many members it had (for the report).
        had: usize,
    },
}

impl SetStep {
    /// The set this step is about.
    pub fn set(&self) -> &SetName {
        match self {
            SetStep::Create { spec, .. } => &spec.name,
            SetStep::Update { name, .. } => name,
            SetStep::Replace { live, .. } => live,
        }
    }
}

impl std::fmt::Display for SetStep {
    /// One line for `plan`: `set dfw-whitelist4: create (30 entries)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetStep::Create { spec, entries } => write!(
                f,
                "set {}: create ({} entries{})",
                spec.name,
                entries.len(),
                if spec.timeout.is_some() {
                    ", with timeouts"
                } else {
                    ""
                }
            ),
            SetStep::Update { name, add, del } => {
                write!(
                    f,
                    "set {name}: {} entries added, {} removed",
                    add.len(),
                    del.len()
                )
            }
            SetStep::Replace {
                live, entries, had, ..
            } => write!(
                f,
                "set {live}: replaced at once ({had} entries -> {}, through a swap)",
                entries.len()
            ),
        }
    }
}

/// Everything the sets need for one commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetPlan {
    /// Steps done before the rules change, in order.
    pub steps: Vec<SetStep>,
    /// dfw's sets to destroy once the rules no longer use them.
    pub destroy: Vec<SetName>,
}

impl SetPlan {
    /// One line per step and per set to destroy, for `plan` and `status`.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.steps.iter().map(|s| s.to_string()).collect();
        out.extend(
            self.destroy
                .iter()
                .map(|n| format!("set {n}: destroy (after the rules stop matching it)")),
        );
        out
    }

    /// True when the sets need nothing.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.destroy.is_empty()
    }
}

/// Why the sets cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetPlanError {
    /// A set dfw needs exists with another type, family or timeout support.
    #[error(
        "set {name} exists as {found}, but dfw needs a hash:net set of family {family}{}: \
         remove the rules that use it and destroy it (ipset destroy {name})",
        if *timeouts { " with timeout support" } else { "" }
    )]
    Incompatible {
        /// The set.
        name: SetName,
        /// What the kernel has (`hash:ip family inet6`).
        found: String,
        /// The family dfw needs.
        family: Family,
        /// Whether dfw needs timeout support.
        timeouts: bool,
    },
    /// dfw needs the members of a set the kernel listed without them.
    #[error("set {name}: its members could not be read ({why})")]
    Unreadable {
        /// The set.
        name: SetName,
        /// Why.
        why: String,
    },
}

/// ipset's name of a family (`inet`, `inet6`).
pub fn ipset_family(f: Family) -> &'static str {
    match f {
        Family::Ipv4 => "inet",
        Family::Ipv6 => "inet6",
    }
}

/// The hash size and element limit dfw gives a set of `n` entries: about four entries per
/// bucket, and room to grow four times.
pub fn sizes(n: usize) -> (u32, u32) {
    let hashsize = (n / 4).next_power_of_two().clamp(1024, 1 << 24) as u32;
    let maxelem = (n.saturating_mul(4)).clamp(65536, 1 << 28) as u32;
    (hashsize, maxelem)
}

fn create_spec(spec: &SetSpec, name: SetName, n: usize, revision: u8) -> CreateSpec {
    let (hashsize, maxelem) = sizes(n);
    let dynamic = spec.members == SetMembers::Dynamic;
    CreateSpec {
        name,
        family: spec.family,
        revision,
        hashsize,
        maxelem: if dynamic { BAN_MAXELEM } else { maxelem },
        timeout: dynamic.then_some(0),
    }
}

/// The staging name of a live set (`dfw-whitelist4~`).
pub fn staging_name(live: &SetName) -> SetName {
    let mut s = live.as_str().to_string();
    if s.len() >= dfw_core::model::matches::SET_NAME_MAX_LEN {
        s.pop();
    }
    s.push('~');
    SetName::new(&s).unwrap_or_else(|_| live.clone())
}

/// Plans the sets for `desired` against the kernel's sets `kernel` (by name; dfw's own listed
/// with members), keeping every set in `referenced` (matched by the compiled rules).
/// `revision` is the `hash:net` revision to create.
///
/// # Errors
/// [`SetPlanError`] naming the set.
pub fn plan_sets(
    desired: &[SetSpec],
    kernel: &BTreeMap<SetName, SetListing>,
    referenced: &BTreeSet<SetName>,
    revision: u8,
) -> Result<SetPlan, SetPlanError> {
    let mut plan = SetPlan::default();
    for spec in desired {
        let dynamic = spec.members == SetMembers::Dynamic;
        let want: &[Network] = match &spec.members {
            SetMembers::Static(m) => m,
            SetMembers::Dynamic => &[],
        };
        let Some(k) = kernel.get(&spec.name) else {
            plan.steps.push(SetStep::Create {
                spec: create_spec(spec, spec.name.clone(), want.len(), revision),
                entries: want.to_vec(),
            });
            continue;
        };
        let has_timeouts = k.header.timeout.is_some();
        if k.typename != HASH_NET || k.family != Some(spec.family) || has_timeouts != dynamic {
            return Err(SetPlanError::Incompatible {
                name: spec.name.clone(),
                found: format!(
                    "{} family {}{}",
                    k.typename,
                    k.family.map_or("none", ipset_family),
                    if has_timeouts { " with timeouts" } else { "" }
                ),
                family: spec.family,
                timeouts: dynamic,
            });
        }
        if dynamic {
            continue;
        }
        let have: Vec<Network> = match &k.members {
            Members::Nets(m) => m.iter().map(|m| m.net).collect(),
            Members::NotListed => Vec::new(),
            Members::Unreadable(why) => {
                return Err(SetPlanError::Unreadable {
                    name: spec.name.clone(),
                    why: why.clone(),
                })
            }
        };
        let (add, del) = difference(want, &have);
        if add.is_empty() && del.is_empty() {
            continue;
        }
        if add.len() + del.len() <= IN_PLACE_MAX {
            plan.steps.push(SetStep::Update {
                name: spec.name.clone(),
                add,
                del,
            });
        } else {
            plan.steps.push(SetStep::Replace {
                staging: create_spec(spec, staging_name(&spec.name), want.len(), k.revision),
                live: spec.name.clone(),
                entries: want.to_vec(),
                had: have.len(),
            });
        }
    }
    let wanted: BTreeSet<&SetName> = desired.iter().map(|s| &s.name).collect();
    plan.destroy = kernel
        .keys()
        .filter(|n| is_dfw_set(n) && !wanted.contains(n) && !referenced.contains(*n))
        .cloned()
        .collect();
    Ok(plan)
}

/// What `want` has that `have` lacks, and what `have` has that `want` lacks, each sorted:
/// two sorts and one merge (a 100,000-entry list in a few milliseconds, where hashing every
/// network took tens).
fn difference(want: &[Network], have: &[Network]) -> (Vec<Network>, Vec<Network>) {
    let sorted = |v: &[Network]| {
        let mut v = v.to_vec();
        v.sort_unstable_by_key(key);
        v.dedup();
        v
    };
    let (w, h) = (sorted(want), sorted(have));
    let (mut add, mut del) = (Vec::new(), Vec::new());
    let (mut i, mut j) = (0, 0);
    while i < w.len() || j < h.len() {
        let o = match (w.get(i), h.get(j)) {
            (Some(a), Some(b)) => key(a).cmp(&key(b)),
            (Some(_), None) => Ordering::Less,
            _ => Ordering::Greater,
        };
        match o {
            Ordering::Less => {
                add.push(w[i]);
                i += 1;
            }
            Ordering::Greater => {
                del.push(h[j]);
                j += 1;
            }
            Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    (add, del)
}

/// A sort key of a network that compares as integers (comparing `IpAddr`s is several times
/// slower, and a 100,000-entry list is sorted on every commit that changes it).
pub fn key(n: &Network) -> (u8, u128, u128) {
    let bits = |a: std::net::IpAddr| match a {
        std::net::IpAddr::V4(a) => u128::from(u32::from(a)),
        std::net::IpAddr::V6(a) => u128::from(a),
    };
    (u8::from(n.addr().is_ipv6()), bits(n.addr()), bits(n.mask()))
}

/// The entries of `nets`, without timeouts.
pub(super) fn entries(nets: &[Network]) -> Vec<Entry> {
    nets.iter().map(|n| Entry::net(*n)).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use dfw_core::policy::SetRole;

    use super::*;
    use crate::ipset::{Member, SetHeader};

    fn net(i: u32) -> Network {
        Network::host(std::net::IpAddr::from(i.to_be_bytes()))
    }

    fn spec(role: SetRole, members: Option<Vec<Network>>) -> SetSpec {
        SetSpec {
            name: role.set_name(Family::Ipv4),
            role,
            family: Family::Ipv4,
            members: members.map_or(SetMembers::Dynamic, SetMembers::Static),
        }
    }

    fn listing(name: &str, members: &[Network], timeouts: bool) -> (SetName, SetListing) {
        let name = SetName::new(name).unwrap();
        let l = SetListing {
            name: name.clone(),
            typename: HASH_NET.into(),
            family: Some(Family::Ipv4),
            revision: 7,
            index: Some(0),
            header: SetHeader {
                timeout: timeouts.then_some(0),
                ..SetHeader::default()
            },
            members: Members::Nets(
                members
                    .iter()
                    .map(|n| Member {
                        net: *n,
                        timeout: None,
                        nomatch: false,
                    })
                    .collect(),
            ),
        };
        (name, l)
    }

    #[test]
    fn difference_is_the_set_difference_both_ways() {
        // Kernel order (hash order, duplicates impossible but harmless) against sorted lists.
        let want: Vec<Network> = (0..2000).map(|i| net(i * 3)).collect();
        let have: Vec<Network> = (0..2000).rev().map(|i| net(i * 2)).collect();
        let (add, del) = difference(&want, &have);
        let w: HashSet<Network> = want.iter().copied().collect();
        let h: HashSet<Network> = have.iter().copied().collect();
        assert_eq!(
            add.iter().copied().collect::<HashSet<_>>(),
            w.difference(&h).copied().collect()
        );
        assert_eq!(
            del.iter().copied().collect::<HashSet<_>>(),
            h.difference(&w).copied().collect()
        );
        assert_eq!(add.len(), w.difference(&h).count());
        assert_eq!(difference(&want, &want), (vec![], vec![]));
    }

    #[test]
    fn one_changed_entry_is_one_add_and_one_del() {
        let old: Vec<Network> = (0..100_000).map(net).collect();
        let mut new = old.clone();
        new[500] = net(1 << 30);
        let desired = [spec(SetRole::Whitelist, Some(new))];
        let kernel: BTreeMap<_, _> = [listing("dfw-whitelist4", &old, false)].into();
        let plan = plan_sets(&desired, &kernel, &BTreeSet::new(), 7).unwrap();
        assert_eq!(
            plan.steps,
            [SetStep::Update {
                name: desired[0].name.clone(),
                add: vec![net(1 << 30)],
                del: vec![net(500)],
            }]
        );
        assert!(plan.destroy.is_empty());
    }

    #[test]
    fn create_replace_destroy_and_what_is_never_touched() {
        let many: Vec<Network> = (0..3000).map(net).collect();
        let desired = [
            spec(SetRole::Whitelist, Some(many.clone())),
            spec(SetRole::Lan, Some(vec![net(1)])),
            spec(SetRole::Ban, None),
        ];
        let kernel: BTreeMap<_, _> = [
            listing("dfw-whitelist4", &[net(99_999)], false),
            listing("dfw-ban4", &[net(7)], true),
            listing("dfw-block4", &[], false),
            listing("dfw-allow0-4", &[], false),
            listing("crowdsec-blacklists", &[], false),
        ]
        .into();
        let referenced = [SetName::new("dfw-allow0-4").unwrap()].into();
        let plan = plan_sets(&desired, &kernel, &referenced, 7).unwrap();
        assert!(
            matches!(&plan.steps[0], SetStep::Replace { live, entries, had: 1, staging }
                if live.as_str() == "dfw-whitelist4" && entries.len() == 3000
                    && staging.name.as_str() == "dfw-whitelist4~"),
            "{:?}",
            plan.steps[0]
        );
        assert!(
            matches!(&plan.steps[1], SetStep::Create { spec, entries }
                if spec.name.as_str() == "dfw-lan4" && entries == &[net(1)]),
            "{:?}",
            plan.steps[1]
        );
        // The ban set exists: its members are run-time state, left alone.
        assert_eq!(plan.steps.len(), 2);
        // Unused and dfw's: destroyed; still matched by a rule, or not dfw's: kept.
        assert_eq!(plan.destroy, [SetName::new("dfw-block4").unwrap()]);
        // A dfw set of the wrong kind in the way is an error naming it.
        let kernel: BTreeMap<_, _> = [listing("dfw-ban4", &[], false)].into();
        let e = plan_sets(&desired[2..], &kernel, &BTreeSet::new(), 7).unwrap_err();
        assert!(e.to_string().contains("dfw-ban4"), "{e}");
    }
}
