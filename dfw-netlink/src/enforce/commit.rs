//! Planning and committing a policy through a [`Firewall`] (see the contract of
//! [`super`]): [`plan`], [`commit_unguarded`], and their forms for a compiled policy.

use dfw_core::model::{Family, Iface, TableName};
use dfw_core::policy::{reconcile, Compiled, Current, Policy, Reconciled, WantedRule};

use super::changes::{chain_changes, changes_text, ChainChange};
use super::{completed, current_of, read_scope_in, resolve_external, CommitError, FamilySummary};
use crate::firewall::{
    make_plan, ApplyReport, ChainTarget, ChangeSet, Firewall, KernelTable, Plan, Wanted,
};
use crate::transport::Transport;

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
}

impl PolicyPlan {
    /// True when the kernel already holds the policy exactly.
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }

    /// Counts per family, IPv4 then IPv6.
    pub fn summaries(&self) -> [FamilySummary; 2] {
        FamilySummary::both(&self.plan)
    }
}

/// What a commit did.
#[derive(Debug, Clone)]
pub struct CommitReport {
    /// The external interfaces used.
    pub external: Vec<Iface>,
    /// The firewall's report (the plan committed, attempts, generation).
    pub applied: ApplyReport,
    /// What changed, per chain: the rules added and removed (no context lines).
    pub changes: Vec<ChainChange>,
}

impl CommitReport {
    /// Counts per family, IPv4 then IPv6.
    pub fn summaries(&self) -> [FamilySummary; 2] {
        FamilySummary::both(&self.applied.plan)
    }

    /// True when nothing had to change (no batch was sent).
    pub fn is_noop(&self) -> bool {
        !self.applied.committed
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
    let external = resolve_external(policy)?;
    let compiled = policy.compile(&external);
    plan_compiled(fw, external, compiled)
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
    let plan = if changes.is_empty() {
        Plan::default()
    } else {
        make_plan(tables, &changes)?
    };
    Ok(PolicyPlan {
        external,
        compiled,
        current,
        reconciled,
        changes,
        plan,
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
    let external = resolve_external(policy)?;
    let compiled = policy.compile(&external);
    commit_compiled_unguarded(fw, external, &compiled)
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
    // Read and reconcile inside the firewall's retry loop: the batch carries the generation
    // read before this read, so a rule another program (Docker) adds in between makes the
    // kernel refuse the batch and everything runs again; it is never lost. A handle whose
    // last commit left the kernel at the current generation reconciles against the state it
    // kept, without reading (see `Firewall::apply_scoped`).
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
    })?;
    // How each created chain is created is the plan's.
    for c in &mut changes {
        c.create = applied
            .plan
            .chains
            .iter()
            .find(|p| p.family == c.family && p.chain == c.chain)
            .and_then(|p| p.create);
    }
    Ok(CommitReport {
        external,
        applied,
        changes,
    })
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
