//! The Docker-host policy against the kernel: plan and commit a [`Policy`].
//!
//! # Contract
//! - [`Firewall::plan_policy`] resolves `external = ["auto"]` from the default routes (over
//!   rtnetlink, in the calling thread's network namespace), compiles the policy, reads ONLY
//!   the chains dfw touches (`filter`'s DOCKER-USER, INPUT, FORWARD and `DFW-*`, IPv4 and
//!   IPv6, and `nat`'s DOCKER to learn what Docker publishes), completes the policy with the
//!   docker-proxy path of those ports ([`dfw_core::policy::Published`]), reconciles them with [`dfw_core::policy::reconcile`] and asks the firewall what
//!   the batch would do. Nothing is changed.
//! - [`Firewall::commit`] does the same and applies IPv4 and IPv6 together in ONE atomic
//!   batch ([`Firewall::apply`]); Docker's chains, FORWARD's policy and every rule that is not
//!   dfw's stay as they were. Committing the same policy again sends nothing.
//! - The batch carries the generation read before dfw read the chains, so it commits only if
//!   nothing changed since (a rule Docker adds meanwhile is never lost): otherwise the read,
//!   reconcile and apply start again, with bounded backoff.
//! - A long-lived handle whose last [`Firewall::commit`] left the kernel at the generation it
//!   reads now reconciles against the state that commit left, reading nothing (the state
//!   holds every chain of the scope above, so `DFW-*` chains found by prefix are exact: any
//!   chain created since would have moved the generation); when the generation moved it
//!   reads the scope above again, once per attempt (the chains read serve both the
//!   reconciliation and the plan).
//!
//! # Example
//! ```no_run
//! use dfw_core::policy::Policy;
//! use dfw_netlink::firewall::Firewall;
//!
//! let text = std::fs::read_to_string("/etc/dfw/dfw.toml")?;
//! let policy = Policy::from_toml(&text, "/etc/dfw/dfw.toml")?;
//! let mut fw = Firewall::open()?;
//! let plan = fw.plan_policy(&policy)?;
//! print!("{}", plan.diff_text());
//! let report = fw.commit(&policy)?;
//! for family in report.summaries() {
//!     println!("{family}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod current;
mod published;
mod report;

use dfw_core::model::{Family, Iface, TableName};
use dfw_core::policy::{reconcile, Compiled, External, Policy, ReconcileError, Reconciled};

use crate::firewall::{
    make_plan, ApplyReport, ChainTarget, ChangeSet, Firewall, FirewallError, Plan,
};
use crate::route::{default_route_interfaces, LookupError};
use crate::transport::Transport;

pub(crate) use current::{current_of, read_scope_in};
pub use current::{read_current, read_current_in};
pub(crate) use published::completed;
pub use published::{published_of, DOCKER_NAT_CHAIN};
pub use report::FamilySummary;

/// Why a policy could not be planned or committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// Looking up the default routes for `external = ["auto"]` failed.
    #[error("interfaces.external = [\"auto\"]: {0}")]
    Lookup(#[from] LookupError),
    /// `external = ["auto"]` but there is no default route.
    #[error(
        "interfaces.external = [\"auto\"]: no IPv4 or IPv6 default route to take the external \
         interfaces from; name them in [interfaces] external"
    )]
    NoDefaultRoute,
    /// A default route's interface name is not usable as an iptables interface.
    #[error("interfaces.external = [\"auto\"]: default route interface {name:?}: {reason}")]
    BadInterface {
        /// The name.
        name: String,
        /// Why.
        reason: String,
    },
    /// The kernel holds something that prevents reaching the policy.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
    /// Reading or changing the kernel failed.
    #[error(transparent)]
    Firewall(#[from] FirewallError),
}

/// What a commit of a policy would do.
#[derive(Debug, Clone)]
pub struct PolicyPlan {
    /// The external interfaces used (those configured, or resolved for `"auto"`).
    pub external: Vec<Iface>,
    /// The policy compiled for them.
    pub compiled: Compiled,
    /// What the kernel held, IPv4 then IPv6 (the chains dfw touches).
    pub current: [dfw_core::policy::Current; 2],
    /// What must change, IPv4 then IPv6.
    pub reconciled: [Reconciled; 2],
    /// The change set given to [`Firewall::apply`].
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
}

/// The external interfaces of `policy`: the configured ones, or for `"auto"` the interfaces
/// of the IPv4 and IPv6 default routes of the calling thread's network namespace.
///
/// # Errors
/// [`CommitError::Lookup`], [`CommitError::NoDefaultRoute`], [`CommitError::BadInterface`].
pub fn resolve_external(policy: &Policy) -> Result<Vec<Iface>, CommitError> {
    match &policy.external {
        External::Named(names) => Ok(names.clone()),
        External::Auto => {
            let mut out: Vec<Iface> = Vec::new();
            for family in [Family::Ipv4, Family::Ipv6] {
                for name in default_route_interfaces(family)? {
                    let iface = Iface::parse(&name).map_err(|e| CommitError::BadInterface {
                        name: name.clone(),
                        reason: e.to_string(),
                    })?;
                    if !out.contains(&iface) {
                        out.push(iface);
                    }
                }
            }
            if out.is_empty() {
                return Err(CommitError::NoDefaultRoute);
            }
            Ok(out)
        }
    }
}

impl<T: Transport> Firewall<T> {
    /// What committing `policy` would change, without changing anything (see the module
    /// contract).
    ///
    /// # Errors
    /// [`CommitError`]: the `"auto"` look-up, a rule that prevents reaching the policy, or
    /// reading the kernel.
    pub fn plan_policy(&mut self, policy: &Policy) -> Result<PolicyPlan, CommitError> {
        let external = resolve_external(policy)?;
        let compiled = policy.compile(&external);
        self.plan_compiled(external, compiled)
    }

    /// As [`Firewall::plan_policy`] for an already compiled policy (`external` is only
    /// reported back).
    ///
    /// # Errors
    /// As [`Firewall::plan_policy`], without the look-up.
    pub fn plan_compiled(
        &mut self,
        external: Vec<Iface>,
        compiled: Compiled,
    ) -> Result<PolicyPlan, CommitError> {
        // One consistent read of every chain dfw touches, both families, kept by the handle;
        // the plan is made against that same read (and a commit right after plans against
        // it too), so no chain is read twice.
        let tables = self.read_scope_kept(read_scope_in)?;
        let current = [
            current_of(tables, Family::Ipv4),
            current_of(tables, Family::Ipv6),
        ];
        let wanted = completed(&compiled, tables);
        let reconciled = [
            reconcile(&wanted.v4, &current[0])?,
            reconcile(&wanted.v6, &current[1])?,
        ];
        drop(wanted);
        let changes = change_set(reconciled.clone());
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

    /// Commits `policy`: IPv4 and IPv6 in one atomic batch (see the module contract).
    ///
    /// # Errors
    /// As [`Firewall::plan_policy`], and the kernel's rejection of the batch
    /// ([`FirewallError::Rejected`], nothing committed).
    pub fn commit(&mut self, policy: &Policy) -> Result<CommitReport, CommitError> {
        let external = resolve_external(policy)?;
        let compiled = policy.compile(&external);
        self.commit_compiled(external, &compiled)
    }

    /// As [`Firewall::commit`] for an already compiled policy.
    ///
    /// # Errors
    /// As [`Firewall::commit`], without the look-up.
    pub fn commit_compiled(
        &mut self,
        external: Vec<Iface>,
        compiled: &Compiled,
    ) -> Result<CommitReport, CommitError> {
        // Read and reconcile inside the firewall's retry loop: the batch carries the
        // generation read before this read, so a rule another program (Docker) adds in between
        // makes the kernel refuse the batch and everything runs again; it is never lost. A
        // handle whose last commit left the kernel at the current generation reconciles
        // against the state it kept, without reading (see `Firewall::apply_scoped`).
        let mut refused: Option<ReconcileError> = None;
        let applied = self.apply_scoped(read_scope_in, |tables| {
            let current = [
                current_of(tables, Family::Ipv4),
                current_of(tables, Family::Ipv6),
            ];
            let wanted = completed(compiled, tables);
            let reconciled = reconcile(&wanted.v4, &current[0])
                .and_then(|v4| Ok([v4, reconcile(&wanted.v6, &current[1])?]));
            match reconciled {
                Ok(r) => Ok(change_set(r)),
                Err(e) => {
                    let reason = e.to_string();
                    refused = Some(e);
                    Err(FirewallError::Refused {
                        family: Family::Ipv4,
                        table: TableName::Filter,
                        chain: String::new(),
                        reason,
                    })
                }
            }
        });
        let applied = match (applied, refused) {
            (Ok(a), _) => a,
            (Err(_), Some(e)) => return Err(CommitError::Reconcile(e)),
            (Err(e), None) => return Err(e.into()),
        };
        Ok(CommitReport { external, applied })
    }
}

/// The firewall change set of both families' reconciliations; their rules are moved, not
/// copied.
pub fn change_set(reconciled: impl IntoIterator<Item = Reconciled>) -> ChangeSet {
    let mut changes = ChangeSet::default();
    for r in reconciled {
        let family = r.family;
        changes
            .chains
            .extend(r.chains.into_iter().map(|w| ChainTarget {
                family,
                table: TableName::Filter,
                chain: w.chain,
                create: w.create,
                policy: None,
                rules: w.rules,
            }));
        changes
            .delete_chains
            .extend(r.delete.into_iter().map(|d| (family, TableName::Filter, d)));
    }
    changes
}
