//! The set engine: dfw's ipset sets for a compiled policy, next to the rule engine
//! ([`crate::firewall`]). ipset and nf_tables share no transaction; this module orders the two
//! (see [`apply`]'s contract): sets are created, filled and changed before the rules batch
//! that uses them, and destroyed after the batch that stops using them; a failure at any step
//! undoes the steps before it.
//!
//! - [`read_sets`]: the kernel's sets (headers of all; members of dfw's own that the policy
//!   lists statically), and whether the kernel has ipset at all.
//! - [`plan_sets`] (pure): create, in-place update or swap, destroy.
//! - [`prepare`], [`Prepared::undo`], [`Prepared::finish`]: the side effects.
//! - [`bans`]: `ban`, `unban` and `bans` on the ban sets, at run time.

mod apply;
pub mod bans;
mod plan;
mod read;

pub use apply::{prepare, Prepared};
pub use plan::{
    ipset_family, key, plan_sets, sizes, staging_name, SetPlan, SetPlanError, SetStep, BAN_MAXELEM,
    IN_PLACE_MAX,
};
pub use read::{read_sets, KernelSets};

use crate::ipset::IpsetError;

/// Why the sets could not be brought to the policy.
#[derive(Debug, thiserror::Error)]
pub enum SetsError {
    /// Reading the kernel's sets failed.
    #[error("reading the kernel's sets: {0}")]
    Read(Box<IpsetError>),
    /// The sets cannot be planned (a set of the wrong type is in the way).
    #[error(transparent)]
    Plan(#[from] SetPlanError),
    /// A step failed; everything done before it was undone: the previous policy is in force.
    #[error("{0} (nothing changed: the steps before it were undone)")]
    Step(Box<IpsetError>),
    /// A step failed and undoing the steps before it failed too.
    #[error("{cause}; undoing the set changes before it failed too: {undo}")]
    UndoFailed {
        /// The step's error.
        cause: Box<IpsetError>,
        /// The undo's error.
        undo: Box<IpsetError>,
    },
}
