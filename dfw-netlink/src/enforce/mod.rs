//! The Docker-host policy against the kernel, through a [`Firewall`](crate::Firewall): what
//! a commit would change ([`plan`]), how the kernel drifted from it ([`status`]), and the
//! commit itself without the safety rails ([`commit_unguarded`]). The documented way to
//! commit is [`crate::Dfw::commit`] (or [`crate::safety::commit_policy`]): the same commit
//! behind the SSH lockout guard and with a rollback point, as `dfw-cli commit` does; the
//! functions here are its building blocks, and the watch daemon's repair.
//!
//! # Contract
//! - [`plan`] resolves `external = ["auto"]` from the default routes (over rtnetlink, in the
//!   calling thread's network namespace), compiles the policy, reads ONLY the chains dfw
//!   touches (`filter`'s DOCKER-USER, INPUT, FORWARD and `DFW-*`, IPv4 and IPv6, and `nat`'s
//!   DOCKER to learn what Docker publishes), completes the policy with the docker-proxy path
//!   of those ports ([`dfw_core::policy::Published`]), reconciles them with
//!   [`dfw_core::policy::reconcile`] and asks the firewall what the batch would do.
//!   Nothing is changed.
//! - [`commit_unguarded`] does the same and applies IPv4 and IPv6 together in ONE atomic
//!   batch; Docker's chains, FORWARD's policy and every rule that is not dfw's stay as they
//!   were. Committing the same policy again sends nothing.
//! - The batch carries the generation read before dfw read the chains, so it commits only if
//!   nothing changed since (a rule Docker adds meanwhile is never lost): otherwise the read,
//!   reconcile and apply start again, with bounded backoff.
//! - A long-lived handle whose last commit left the kernel at the generation it reads now
//!   reconciles against the state that commit left, reading nothing (the state holds every
//!   chain of the scope above, so `DFW-*` chains found by prefix are exact: any chain created
//!   since would have moved the generation); when the generation moved it reads the scope
//!   above again, once per attempt (the chains read serve both the reconciliation and the
//!   plan).
//! - [`status`] reads what [`plan`] reads and changes nothing; in sync (an empty
//!   [`dfw_core::policy::Drift`]) means a commit would send nothing.
//!
//! # Example
//! ```no_run
//! use dfw_core::Policy;
//! use dfw_netlink::{enforce, Firewall};
//!
//! let text = std::fs::read_to_string("/etc/dfw/dfw.toml")?;
//! let policy = Policy::from_toml(&text, "/etc/dfw/dfw.toml")?;
//! let mut fw = Firewall::open()?;
//! let plan = enforce::plan(&mut fw, &policy)?;
//! print!("{}", plan.diff_text());
//! // No SSH guard, no rollback point: `dfw_netlink::Dfw::commit` is the guarded path.
//! let report = enforce::commit_unguarded(&mut fw, &policy)?;
//! for family in report.summaries() {
//!     println!("{family}");
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod changes;
mod commit;
mod current;
mod inputs;
mod native;
mod published;
mod report;
mod setstep;
mod status;

use dfw_core::model::{Family, Iface, ModelError};
use dfw_core::policy::{External, Policy, ReconcileError};

use crate::firewall::FirewallError;
use crate::route::{default_route_interfaces, LookupError};
use crate::transport::{Retryable, TransportError};

pub use changes::{chain_changes, changes_text, ChainChange, ChangeLine, LineOp};
pub use commit::{
    change_set, commit_compiled_unguarded, commit_compiled_with, commit_empty_plan,
    commit_unguarded, plan, plan_compiled, CommitReport, PolicyPlan, SetsReport,
};
pub(crate) use current::{current_of, read_scope_in};
pub use current::{read_current, read_current_in};
pub use inputs::{compile_policy, may_use_sets, read_block_files, CompiledPolicy, SetNote};
pub use native::{native_drift, native_requests, native_state, NativeState};
pub(crate) use published::completed;
pub use published::{published_of, DOCKER_NAT_CHAIN};
pub use report::FamilySummary;
pub use setstep::{
    host_sets, kernel_contents, kernel_contents_in, plan_kernel_sets, plan_kernel_sets_listed,
    referenced_sets, ruleset_sets, ruleset_sets_in, static_set_contents, static_set_contents_in,
    ListedSets,
};
pub use status::{drift, status, StatusReport};

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
    #[error("interfaces.external = [\"auto\"]: default route interface {name:?}: {source}")]
    BadInterface {
        /// The name.
        name: String,
        /// Why the model refuses it.
        source: ModelError,
    },
    /// The kernel holds something that prevents reaching the policy.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
    /// Reading or changing the kernel failed.
    #[error(transparent)]
    Firewall(#[from] FirewallError),
    /// The native tables (for dfw's `table inet dfw`) could not be read.
    #[error("reading the native tables for table inet dfw: {0}")]
    Native(Box<crate::native::NativeError>),
    /// dfw's native table cannot be encoded.
    #[error(transparent)]
    NativeEncode(Box<crate::native::NativeEncodeError>),
    /// An ipset request failed (or the policy needs sets on a kernel without ipset).
    #[error(transparent)]
    Ipset(Box<crate::ipset::IpsetError>),
    /// The sets could not be brought to the policy; nothing changed.
    #[error(transparent)]
    Sets(crate::sets::SetsError),
    /// The rules batch failed after the sets were prepared, and undoing the sets failed too.
    #[error("{cause}; undoing the set changes made before the batch failed too: {undo}")]
    SetsUndo {
        /// The batch's error.
        cause: Box<CommitError>,
        /// The undo's error.
        undo: Box<crate::ipset::IpsetError>,
    },
    /// A `[blocklist] files` entry could not be read.
    #[error("[blocklist] files: {path}: {source}")]
    BlockFile {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A `[blocklist] files` entry is not a block list (file, line and token named).
    #[error(transparent)]
    BlockList(dfw_core::policy::PolicyError),
}

impl From<crate::sets::SetPlanError> for CommitError {
    fn from(e: crate::sets::SetPlanError) -> Self {
        CommitError::Sets(e.into())
    }
}

impl From<TransportError> for CommitError {
    fn from(e: TransportError) -> Self {
        CommitError::Firewall(e.into())
    }
}

impl Retryable for CommitError {
    fn into_retryable(self) -> Result<TransportError, Self> {
        match self {
            CommitError::Firewall(f) => f.into_retryable().map_err(CommitError::Firewall),
            other => Err(other),
        }
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
                    let iface =
                        Iface::parse(&name).map_err(|source| CommitError::BadInterface {
                            name: name.clone(),
                            source,
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
