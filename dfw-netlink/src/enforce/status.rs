//! The kernel against a policy: [`status`], a typed [`StatusReport`] of how dfw's chains
//! differ from what the policy compiles to.
//!
//! Contract: reads exactly what [`super::plan`] reads (dfw's chains, DOCKER-USER,
//! INPUT and FORWARD of `filter`, and `nat`'s DOCKER, IPv4 and IPv6) and nothing else; changes nothing. In sync
//! (an empty [`Drift`]) means a commit would send nothing.

use dfw_core::model::{Family, Iface};
use dfw_core::policy::{self, Compiled, Drift, Policy};

use super::{completed, current_of, read_scope_in, CommitError};
use crate::firewall::Firewall;
use crate::transport::Transport;

/// How the kernel differs from a policy.
#[derive(Debug, Clone)]
pub struct StatusReport {
    /// The external interfaces the policy was compiled for.
    pub external: Vec<Iface>,
    /// The differences, IPv4 chains first; empty when in sync.
    pub drift: Drift,
    /// What dfw's sets lack or hold too much (members added or removed by hand, a set
    /// missing); empty when they are as the policy says.
    pub sets: crate::sets::SetPlan,
}

impl StatusReport {
    /// True when the kernel holds exactly the policy.
    pub fn in_sync(&self) -> bool {
        self.drift.is_empty() && self.sets.is_empty()
    }
}

/// How the kernel differs from `policy` (see the module contract).
///
/// # Errors
/// [`CommitError`]: the `"auto"` look-up, reading the kernel, or a rule that prevents
/// reaching the policy at all ([`CommitError::Reconcile`]).
pub fn status<T: Transport>(
    fw: &mut Firewall<T>,
    policy: &Policy,
) -> Result<StatusReport, CommitError> {
    let c = super::compile_policy(fw.transport(), policy)?;
    let drift = drift(fw, &c.compiled)?;
    let sets = super::plan_kernel_sets(fw.transport(), &c.compiled)?;
    Ok(StatusReport {
        external: c.external,
        drift,
        sets,
    })
}

/// The drift of the kernel from an already compiled policy, both families.
///
/// # Errors
/// As [`status`], without the look-up.
pub fn drift<T: Transport>(
    fw: &mut Firewall<T>,
    compiled: &Compiled,
) -> Result<Drift, CommitError> {
    // One snapshot of every chain dfw touches, kept by the handle: a repair committed right
    // after (the watch daemon's) plans against it instead of reading it again.
    let tables = fw.read_scope_kept(read_scope_in)?;
    let mut out = Drift::default();
    let wanted = completed(compiled, tables);
    for family in [Family::Ipv4, Family::Ipv6] {
        let current = current_of(tables, family);
        out.extend(policy::drift(wanted.family(family), &current)?);
    }
    // dfw's native table (`[docker] accept_fwmark`): a repair commits it in the same batch.
    let state = super::native_state(fw, compiled.native.as_ref())?;
    out.native = super::native_drift(&state, compiled.native.as_ref());
    Ok(out)
}
