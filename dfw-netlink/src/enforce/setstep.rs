//! The set engine inside a policy commit: plan dfw's sets against the kernel, prepare them
//! before the rules batch, undo them if the batch fails, clean up after it commits; and the
//! members of the sets a compiled policy's rules match, for the evaluator.
//!
//! Contract: see [`crate::sets`]. A policy that needs sets on a kernel without ipset never
//! gets here (it compiles to rules, [`super::compile_policy`]); a compiled policy without sets
//! still plans, so dfw's sets that rules no longer match are destroyed.

use std::collections::{BTreeMap, BTreeSet};

use dfw_core::eval::{HostSets, SetContents};
use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Match};
use dfw_core::policy::{Compiled, SetMembers};

use super::CommitError;
use crate::ipset::{IpsetClient, IpsetError, ListMode, Members, SetListing};
use crate::sets::{plan_sets, read_sets, KernelSets, SetPlan};
use crate::transport::Transport;

/// The sets the rules of `compiled` match, both families.
pub fn referenced_sets(compiled: &Compiled) -> BTreeSet<SetName> {
    [&compiled.v4, &compiled.v6]
        .into_iter()
        .flat_map(|f| f.rules())
        .flat_map(|r| &r.matches)
        .filter_map(|m| match m {
            Match::Set(s) => Some(s.name().clone()),
            _ => None,
        })
        .collect()
}

/// True when a commit of `compiled` must look at the kernel's sets: the policy has sets or
/// its rules match some, or dfw's rules the handle last saw did (their sets may now be
/// unused), or the handle has seen nothing yet. A warm handle committing a policy without
/// sets, whose kept rules match none, sends no ipset request.
pub fn sets_involved(compiled: &Compiled, kept: Option<&[crate::firewall::KernelTable]>) -> bool {
    if !compiled.sets.is_empty() || !referenced_sets(compiled).is_empty() {
        return true;
    }
    let Some(tables) = kept else { return true };
    tables
        .iter()
        .flat_map(|t| &t.chains)
        .flat_map(|c| &c.rules)
        .filter_map(|r| r.rule.rule())
        .flat_map(|r| &r.matches)
        .any(|m| matches!(m, Match::Set(s) if dfw_core::policy::is_dfw_set(s.name())))
}

/// What the sets need for `compiled` on this kernel.
///
/// # Errors
/// [`CommitError::Sets`] for a read failure or a set of the wrong type in the way;
/// [`CommitError::Ipset`] when the policy needs sets and the kernel has no ipset.
pub fn plan_kernel_sets<T: Transport + ?Sized>(
    t: &mut T,
    compiled: &Compiled,
) -> Result<SetPlan, CommitError> {
    Ok(plan_kernel_sets_listed(t, compiled)?.0)
}

/// The members of the sets a plan listed in full, by name, as they were then: what the
/// rollback point and the SSH guard of the same commit take instead of listing them again
/// (see [`kernel_contents_in`]).
pub type ListedSets = BTreeMap<SetName, SetContents>;

/// As [`plan_kernel_sets`], with the members it listed (dfw's static sets that exist).
///
/// # Errors
/// As [`plan_kernel_sets`].
pub fn plan_kernel_sets_listed<T: Transport + ?Sized>(
    t: &mut T,
    compiled: &Compiled,
) -> Result<(SetPlan, ListedSets), CommitError> {
    let statics: Vec<&SetName> = compiled
        .sets
        .iter()
        .filter(|s| matches!(s.members, SetMembers::Static(_)))
        .map(|s| &s.name)
        .collect();
    let kernel = match read_sets(t, &statics).map_err(CommitError::Sets)? {
        KernelSets::Unsupported(_) if compiled.sets.is_empty() => {
            return Ok((SetPlan::default(), ListedSets::new()))
        }
        KernelSets::Unsupported(code) => {
            return Err(CommitError::Ipset(Box::new(IpsetError::Unsupported {
                code,
            })))
        }
        KernelSets::Sets(k) => k,
    };
    let needs_create =
        compiled.sets.iter().any(|s| !kernel.contains_key(&s.name)) || !statics.is_empty();
    let revision = if needs_create && !compiled.sets.is_empty() {
        IpsetClient::new(t)
            .hash_net_revision(Family::Ipv4)
            .map_err(|e| CommitError::Ipset(Box::new(e)))?
    } else {
        0
    };
    let plan = plan_sets(
        &compiled.sets,
        &kernel,
        &referenced_sets(compiled),
        revision,
    )?;
    let listed = kernel
        .into_iter()
        .filter(|(name, s)| statics.contains(&name) && !matches!(s.members, Members::NotListed))
        .map(|(name, s)| (name, contents_of(s)))
        .collect();
    Ok((plan, listed))
}

/// The members of every set `compiled`'s rules match: dfw's static sets as the policy will
/// fill them, the others (bans, `[blocklist] ipsets`) as the kernel holds them now.
///
/// # Errors
/// [`CommitError::Ipset`] for a failed read.
pub fn host_sets<T: Transport + ?Sized>(
    t: &mut T,
    compiled: &Compiled,
) -> Result<HostSets, CommitError> {
    let mut out = HostSets::new();
    for name in referenced_sets(compiled) {
        if let Some(spec) = compiled.sets.iter().find(|s| s.name == name) {
            if let SetMembers::Static(m) = &spec.members {
                out.insert(
                    name,
                    SetContents::Nets {
                        family: spec.family,
                        members: m.clone(),
                    },
                );
                continue;
            }
        }
        let contents = kernel_contents(t, &name).map_err(|e| CommitError::Ipset(Box::new(e)))?;
        out.insert(
            name.clone(),
            contents.unwrap_or_else(|| {
                // Not created yet (a new ban set): it will start empty.
                let family = compiled
                    .sets
                    .iter()
                    .find(|s| s.name == name)
                    .map_or(Family::Ipv4, |s| s.family);
                SetContents::Nets {
                    family,
                    members: Vec::new(),
                }
            }),
        );
    }
    Ok(out)
}

/// The members the kernel holds now of dfw's static sets (whitelist, LAN, allow, block) that
/// the rules of `compiled` match: what a rollback point keeps of the sets
/// ([`crate::safety::Snapshot::with_sets`]). Ban sets (run-time state) and sets dfw does not
/// own are left out.
///
/// # Errors
/// [`CommitError::Ipset`] for a failed read; [`CommitError::Sets`] for a dfw set whose members
/// dfw cannot write back (`nomatch` entries someone added).
pub fn static_set_contents<T: Transport + ?Sized>(
    t: &mut T,
    compiled: &Compiled,
) -> Result<Vec<dfw_core::policy::SetSpec>, CommitError> {
    static_set_contents_in(t, compiled, &ListedSets::new())
}

/// As [`static_set_contents`], taking the members of the sets in `listed` from there.
///
/// # Errors
/// As [`static_set_contents`].
pub fn static_set_contents_in<T: Transport + ?Sized>(
    t: &mut T,
    compiled: &Compiled,
    listed: &ListedSets,
) -> Result<Vec<dfw_core::policy::SetSpec>, CommitError> {
    use dfw_core::policy::{SetRole, SetSpec};
    let mut out = Vec::new();
    for name in referenced_sets(compiled) {
        let Some((role, family)) = SetRole::of_set_name(&name) else {
            continue;
        };
        if role == SetRole::Ban {
            continue;
        }
        match kernel_contents_in(t, &name, listed).map_err(|e| CommitError::Ipset(Box::new(e)))? {
            // A rule cannot match a set that does not exist; nothing to keep.
            None => {}
            Some(SetContents::Nets { members, .. }) => out.push(SetSpec {
                name,
                role,
                family,
                members: SetMembers::Static(members),
            }),
            Some(SetContents::Opaque(why)) => {
                return Err(CommitError::Sets(crate::sets::SetsError::Plan(
                    crate::sets::SetPlanError::Unreadable { name, why },
                )))
            }
        }
    }
    Ok(out)
}

/// The kernel's members of every set the rules of `ruleset` match (a set that does not exist
/// is left out: the evaluator calls its matches undecidable).
///
/// # Errors
/// [`CommitError::Ipset`] for a failed read.
pub fn ruleset_sets<T: Transport + ?Sized>(
    t: &mut T,
    ruleset: &dfw_core::model::Ruleset,
) -> Result<HostSets, CommitError> {
    ruleset_sets_in(t, ruleset, &ListedSets::new())
}

/// As [`ruleset_sets`], taking the members of the sets in `listed` from there.
///
/// # Errors
/// As [`ruleset_sets`].
pub fn ruleset_sets_in<T: Transport + ?Sized>(
    t: &mut T,
    ruleset: &dfw_core::model::Ruleset,
    listed: &ListedSets,
) -> Result<HostSets, CommitError> {
    let names: BTreeSet<SetName> = ruleset
        .rules()
        .flat_map(|r| &r.matches)
        .filter_map(|m| match m {
            Match::Set(s) => Some(s.name().clone()),
            _ => None,
        })
        .collect();
    let mut out = HostSets::new();
    for name in names {
        if let Some(c) =
            kernel_contents_in(t, &name, listed).map_err(|e| CommitError::Ipset(Box::new(e)))?
        {
            out.insert(name, c);
        }
    }
    Ok(out)
}

/// One set's members as the kernel holds them now; `None` when there is no such set.
///
/// # Errors
/// An ipset failure other than "no such set".
pub fn kernel_contents<T: Transport + ?Sized>(
    t: &mut T,
    name: &SetName,
) -> Result<Option<SetContents>, IpsetError> {
    let listed = match IpsetClient::new(t).list(Some(name), ListMode::Full) {
        Ok(l) => l,
        Err(IpsetError::Rejected {
            code: libc::ENOENT, ..
        }) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(listed.into_iter().next().map(contents_of))
}

/// As [`kernel_contents`], from `listed` when it holds the set (the set exists then).
///
/// # Errors
/// As [`kernel_contents`].
pub fn kernel_contents_in<T: Transport + ?Sized>(
    t: &mut T,
    name: &SetName,
    listed: &ListedSets,
) -> Result<Option<SetContents>, IpsetError> {
    match listed.get(name) {
        Some(c) => Ok(Some(c.clone())),
        None => kernel_contents(t, name),
    }
}

/// A listed set's members for the evaluator.
fn contents_of(s: SetListing) -> SetContents {
    match (s.family, s.members) {
        (Some(family), Members::Nets(m)) if m.iter().all(|m| !m.nomatch) => SetContents::Nets {
            family,
            members: m.into_iter().map(|m| m.net).collect(),
        },
        (Some(_), Members::Nets(_)) => SetContents::Opaque("it has nomatch entries".into()),
        (_, Members::Unreadable(why)) => SetContents::Opaque(why),
        (None, _) => SetContents::Opaque(format!("a {} set has no address family", s.typename)),
        (_, Members::NotListed) => SetContents::Opaque("members not listed".into()),
    }
}
