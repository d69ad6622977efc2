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

use std::collections::{BTreeMap, BTreeSet, HashSet};

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
        let have_set: HashSet<&Network> = have.iter().collect();
        let want_set: HashSet<&Network> = want.iter().collect();
        let add: Vec<Network> = want
            .iter()
            .filter(|n| !have_set.contains(n))
            .copied()
            .collect();
        let del: Vec<Network> = have
            .iter()
            .filter(|n| !want_set.contains(n))
            .copied()
            .collect();
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

/// The entries of `nets`, without timeouts.
pub(super) fn entries(nets: &[Network]) -> Vec<Entry> {
    nets.iter().map(|n| Entry::net(*n)).collect()
}
