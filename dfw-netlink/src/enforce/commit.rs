//! Planning and committing a policy through a [`Firewall`] (see the contract of
//! [`super`]): [`plan`], [`commit_unguarded`], and their forms for a compiled policy.

use dfw_core::model::{Family, Iface, TableName};
use dfw_core::policy::{reconcile, Compiled, Current, Policy, Reconciled, WantedRule};

use super::changes::{chain_changes, changes_text, ChainChange};
use super::setstep::{plan_kernel_sets, plan_kernel_sets_listed, sets_involved, ListedSets};
use super::{
    compile_policy, completed, current_of, read_scope_in, CommitError, FamilySummary, SetNote,
};
use crate::firewall::{
    make_plan, ApplyReport, ChainTarget, ChangeSet, Firewall, KernelTable, Plan, Wanted,
};
use crate::ipset::IpsetError;
use crate::sets::{prepare, SetPlan};
use crate::transport::Transport;
use dfw_core::model::matches::SetName;

/// What a commit of a policy would do.
#[derive(Debug, Clone)]
pub struct PolicyPlan {
    /// The external interfaces used (those configured, or resolved for `"auto"`).
    pub external: Vec<Iface>,
    /// The policy compiled for them.
    pub compiled: Compiled,
    /// What the kernel held, IPv4 then IPv6 (the chains dfw touches).
    pub current: [Current; 2],
    /// What must change, IPv4 then IPv6.
    pub reconciled: [Reconciled; 2],
    /// The change set the commit applies.
    pub changes: ChangeSet,
    /// The batch the firewall planned for it.
    pub plan: Plan,
    /// What dfw's sets need (done before the batch; destroys after it).
    pub sets: SetPlan,
    /// The members of dfw's static sets as the plan listed them (for the rollback point and
    /// the SSH guard of the same commit).
    pub listed: ListedSets,
    /// What to tell about sets (no ipset in the kernel, a named ipset missing).
    pub notes: Vec<SetNote>,
    /// How dfw's native table (`table inet dfw`) compares with the policy; a commit
    /// creates, replaces or deletes it in the same batch ([`Plan::native`]).
    pub native: super::NativeState,
}

impl PolicyPlan {
    /// True when the kernel already holds the policy exactly.
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty() && self.sets.is_empty()
    }

    /// Counts per family, IPv4 then IPv6.
    pub fn summaries(&self) -> [FamilySummary; 2] {
        FamilySummary::both(&self.plan)
    }
}

/// What a commit did to dfw's sets.
#[derive(Debug, Clone, Default)]
pub struct SetsReport {
    /// Sets created (staging sets included).
    pub created: usize,
    /// Entries added (a swapped-in set counts all of its entries).
    pub added: usize,
    /// Entries removed.
    pub removed: usize,
    /// Sets destroyed after the batch.
    pub destroyed: Vec<SetName>,
    /// Sets that could not be destroyed yet (still used by a rule dfw does not own), with why.
    pub left: Vec<(SetName, String)>,
}

impl std::fmt::Display for SetsReport {
    /// `sets: 2 created, 31 entries added, 1 removed, 1 destroyed` (and what was left).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sets: {} created, {} entries added, {} removed, {} destroyed",
            self.created,
            self.added,
            self.removed,
            self.destroyed.len()
        )?;
        for (name, why) in &self.left {
            write!(
                f,
                "\nset {name} not destroyed yet (next commit retries): {why}"
            )?;
        }
        Ok(())
    }
}

impl SetsReport {
    /// True when no set changed.
    pub fn is_empty(&self) -> bool {
        self.created == 0 && self.added == 0 && self.removed == 0 && self.destroyed.is_empty()
    }
}

/// What a commit did.
#[derive(Debug, Clone)]
pub struct CommitReport {
    /// The external interfaces used.
    pub external: Vec<Iface>,
    /// The firewall's report (the plan committed, attempts, generation).
    pub applied: ApplyReport,
    /// What changed in dfw's sets.
    pub sets: SetsReport,
    /// What to tell about sets.
    pub notes: Vec<SetNote>,
    /// What changed, per chain: the rules added and removed (no context lines).
    pub changes: Vec<ChainChange>,
}

impl CommitReport {
    /// Counts per family, IPv4 then IPv6.
    pub fn summaries(&self) -> [FamilySummary; 2] {
        FamilySummary::both(&self.applied.plan)
    }

    /// True when nothing had to change (no batch was sent, no set changed).
    pub fn is_noop(&self) -> bool {
        !self.applied.committed && self.sets.is_empty()
    }

    /// What changed as a diff (`+ ` added, `- ` removed, per chain; see
    /// [`super::changes_text`]). Empty when nothing changed.
    pub fn diff_text(&self) -> String {
        changes_text(&self.changes)
    }
}

/// What committing `policy` would change, without changing anything (see the module
/// contract).
///
/// # Errors
/// [`CommitError`]: the `"auto"` look-up, a rule that prevents reaching the policy, or
/// reading the kernel.
pub fn plan<T: Transport>(
    fw: &mut Firewall<T>,
    policy: &Policy,
) -> Result<PolicyPlan, CommitError> {
    let c = compile_policy(fw.transport(), policy)?;
    let mut p = plan_compiled(fw, c.external, c.compiled)?;
    p.notes = c.notes;
    Ok(p)
}

/// As [`plan`] for an already compiled policy (`external` is only reported back).
///
/// # Errors
/// As [`plan`], without the look-up.
pub fn plan_compiled<T: Transport>(
    fw: &mut Firewall<T>,
    external: Vec<Iface>,
    compiled: Compiled,
) -> Result<PolicyPlan, CommitError> {
    // One consistent read of every chain dfw touches, both families, kept by the handle; the
    // plan is made against that same read (and a commit right after plans against it too), so
    // no chain is read twice.
    // dfw's native table (`[docker] accept_fwmark`), committed in the same batch.
    let native = super::native_state(fw, compiled.native.as_ref())?;
    let tables = fw.read_scope_kept(read_scope_in)?;
    let current = [
        current_of(tables, Family::Ipv4),
        current_of(tables, Family::Ipv6),
    ];
    // The policy completed with the docker-proxy path of what Docker publishes now.
    let wanted = completed(&compiled, tables);
    let reconciled = [
        reconcile(&wanted.v4, &current[0])?,
        reconcile(&wanted.v6, &current[1])?,
    ];
    drop(wanted);
    let changes = change_set(tables, reconciled.clone());
    let mut plan = if changes.is_empty() {
        Plan::default()
    } else {
        make_plan(tables, &changes)?
    };
    plan.native = super::native_requests(&native, compiled.native.as_ref())?;
    let involved = sets_involved(&compiled, Some(tables));
    let (sets, listed) = if involved {
        plan_kernel_sets_listed(fw.transport(), &compiled)?
    } else {
        (SetPlan::default(), ListedSets::new())
    };
    Ok(PolicyPlan {
        external,
        compiled,
        current,
        reconciled,
        changes,
        plan,
        sets,
        listed,
        notes: Vec::new(),
        native,
    })
}

/// Commits `policy`, IPv4 and IPv6 in one atomic batch (see the module contract), WITHOUT
/// the SSH lockout guard and without saving a rollback point: [`crate::Dfw::commit`] is the
/// guarded commit.
///
/// # Errors
/// As [`plan`], and the kernel's rejection of the batch ([`FirewallError::Rejected`](crate::FirewallError::Rejected),
/// nothing committed).
pub fn commit_unguarded<T: Transport>(
    fw: &mut Firewall<T>,
    policy: &Policy,
) -> Result<CommitReport, CommitError> {
    let c = compile_policy(fw.transport(), policy)?;
    let mut report = commit_compiled_unguarded(fw, c.external, &c.compiled)?;
    report.notes = c.notes;
    Ok(report)
}

/// As [`commit_unguarded`] for an already compiled policy (`external` is only reported back).
///
/// # Errors
/// As [`commit_unguarded`], without the look-up.
pub fn commit_compiled_unguarded<T: Transport>(
    fw: &mut Firewall<T>,
    external: Vec<Iface>,
    compiled: &Compiled,
) -> Result<CommitReport, CommitError> {
    commit_compiled_with(fw, external, compiled, None)
}

/// As [`commit_compiled_unguarded`]; with `sets`, the set plan a [`plan_compiled`] of the same
/// policy made moments before (the safety layer, holding its state lock, so that only dfw
/// changed dfw's sets since) instead of listing the sets again.
///
/// # Errors
/// As [`commit_compiled_unguarded`].
pub fn commit_compiled_with<T: Transport>(
    fw: &mut Firewall<T>,
    external: Vec<Iface>,
    compiled: &Compiled,
    sets: Option<SetPlan>,
) -> Result<CommitReport, CommitError> {
    // Read and reconcile inside the firewall's retry loop: the batch carries the generation
    // read before this read, so a rule another program (Docker) adds in between makes the
    // kernel refuse the batch and everything runs again; it is never lost. A handle whose
    // last commit left the kernel at the current generation reconciles against the state it
    // kept, without reading (see `Firewall::apply_scoped`).
    //
    // dfw's sets first (see `crate::sets`): created, filled and changed before the batch that
    // uses them, undone if it fails, and the sets it stops using destroyed after it.
    let set_plan = match sets {
        Some(p) => p,
        None if sets_involved(compiled, fw.kept_scope()) => {
            plan_kernel_sets(fw.transport(), compiled)?
        }
        None => SetPlan::default(),
    };
    // dfw's native table (`[docker] accept_fwmark`) goes into the same batch.
    let native_state = super::native_state(fw, compiled.native.as_ref())?;
    let native = super::native_requests(&native_state, compiled.native.as_ref())?;
    let mut prepared = prepare(fw.transport(), &set_plan).map_err(CommitError::Sets)?;
    let before_native = fw.set_native_change(native);
    // What the attempt that commits changes (each attempt recomputes it).
    let mut changes = Vec::new();
    let applied = fw.apply_scoped(read_scope_in, |tables| {
        let wanted = completed(compiled, tables);
        let current = [
            current_of(tables, Family::Ipv4),
            current_of(tables, Family::Ipv6),
        ];
        let reconciled = [
            reconcile(&wanted.v4, &current[0])?,
            reconcile(&wanted.v6, &current[1])?,
        ];
        changes = chain_changes(&reconciled, &current, None, false);
        Ok::<_, CommitError>(change_set(tables, reconciled))
    });
    fw.set_native_change(before_native);
    let applied = match applied {
        Ok(a) => {
            if a.committed {
                super::native::native_committed(fw, a.generation, compiled.native.as_ref());
            }
            a
        }
        Err(cause) => {
            fw.set_native_kept(None);
            return Err(match prepared.undo(fw.transport()) {
                Ok(()) => cause,
                Err(undo) => CommitError::SetsUndo {
                    cause: Box::new(cause),
                    undo: Box::new(undo),
                },
            });
        }
    };
    // How each created chain is created is the plan's.
    for c in &mut changes {
        c.create = applied
            .plan
            .chains
            .iter()
            .find(|p| p.family == c.family && p.chain == c.chain)
            .and_then(|p| p.create);
    }
    let mut sets = SetsReport {
        created: prepared.created,
        added: prepared.added,
        removed: prepared.removed,
        ..SetsReport::default()
    };
    let left: Vec<(SetName, IpsetError)> = prepared.finish(fw.transport());
    sets.destroyed = set_plan
        .destroy
        .iter()
        .filter(|n| !left.iter().any(|(l, _)| l == *n))
        .cloned()
        .collect();
    sets.left = left.into_iter().map(|(n, e)| (n, e.to_string())).collect();
    Ok(CommitReport {
        external,
        applied,
        changes,
        sets,
        notes: Vec::new(),
    })
}

/// The commit of `plan` when it changes nothing ([`PolicyPlan::is_empty`]), without reading
/// or reconciling again: `Ok(report)` (nothing sent) when the kernel's nf_tables generation is
/// still the one of the read the plan was made from ([`plan_compiled`] on this handle), so the
/// kernel still holds the policy exactly; `Err(plan)` when it moved or the plan is not empty
/// (plan again, or commit it). dfw's sets are taken as the plan read them: only dfw changes
/// their members, and the safety layer holds its state lock from the plan to this call.
///
/// # Errors
/// Reading the generation.
pub fn commit_empty_plan<T: Transport>(
    fw: &mut Firewall<T>,
    plan: PolicyPlan,
) -> Result<Result<CommitReport, PolicyPlan>, CommitError> {
    let Some(read_at) = fw.kept_scope_generation() else {
        return Ok(Err(plan));
    };
    if !plan.is_empty() {
        return Ok(Err(plan));
    }
    let now = fw.transport().generation()?;
    if now != read_at {
        return Ok(Err(plan));
    }
    Ok(Ok(CommitReport {
        external: plan.external,
        applied: ApplyReport {
            plan: plan.plan,
            attempts: 1,
            generation: now,
            committed: false,
            kernel_time: std::time::Duration::ZERO,
        },
        changes: Vec::new(),
        sets: SetsReport::default(),
        notes: plan.notes,
    }))
}

/// The firewall change set of both families' reconciliations made against `tables` (the
/// read they were reconciled with): their rules are moved, not copied, and each kernel rule
/// they keep ([`WantedRule::Kernel`], by position in that read) is named by its handle.
pub fn change_set(
    tables: &[KernelTable],
    reconciled: impl IntoIterator<Item = Reconciled>,
) -> ChangeSet {
    let mut changes = ChangeSet::default();
    for r in reconciled {
        let family = r.family;
        changes.chains.extend(r.chains.into_iter().map(|w| {
            let read = tables
                .iter()
                .filter(|t| t.family == family && t.name == TableName::Filter)
                .find_map(|t| t.chain(w.chain.as_str()));
            // A position the read does not have names no rule: the plan refuses it.
            let handle = |i: usize| {
                read.and_then(|c| c.rules.get(i))
                    .map_or(u64::MAX, |r| r.handle)
            };
            ChainTarget {
                family,
                table: TableName::Filter,
                chain: w.chain,
                create: w.create,
                policy: None,
                rules: w
                    .rules
                    .into_iter()
                    .map(|x| match x {
                        WantedRule::Rule(rule) => Wanted::Rule(rule),
                        WantedRule::Kernel(i) => Wanted::Kernel(handle(i)),
                    })
                    .collect(),
            }
        }));
        changes
            .delete_chains
            .extend(r.delete.into_iter().map(|d| (family, TableName::Filter, d)));
    }
    changes
}
