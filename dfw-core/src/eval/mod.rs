//! The packet-path evaluator: which verdict the kernel gives the first packet of a new
//! connection, and why; and, on top, the audit of Docker's published ports.
//!
//! Contract: pure functions of a [`Ruleset`](crate::model::Ruleset), a [`Packet`] and a
//! [`Host`] description; no I/O. The evaluator never guesses: a match it cannot decide from
//! the description is [`Tri::Unknown`], and a verdict that depends on one is
//! [`Verdict::Unknown`] with the reason. Modules:
//! - [`packet`], [`host`]: the inputs; [`trace`]: the result of [`explain`];
//! - `flow`, `matcher`, `ctmatch`: the packet in flight and every match of the model;
//! - `walk`: one chain walk (jump, goto, return, policies); [`explain()`]: every hook in order;
//! - [`audit()`]: published ports and host ports, and who can reach them (`exposure` runs the
//!   probes, `probes` picks the representative addresses and finds the DNAT rules);
//!   [`user_space_ports`]: published ports docker-proxy serves on the INPUT path.

pub mod audit;
mod ctmatch;
mod effects;
mod error;
mod explain;
mod exposure;
pub(crate) mod flow;
mod hook_run;
mod hooks;
pub mod host;
pub(crate) mod matcher;
mod matcher_ext;
mod mentioned;
mod native;
pub mod packet;
mod probes;
pub mod sets;
pub mod trace;
mod tri;
mod userspace;
mod walk;

#[cfg(test)]
mod tests;

pub use audit::{
    audit, audit_with, Audit, HostPort, IfaceExposure, Probe, PublishedPort, Reach, SourceSet,
};
pub use error::EvalError;
pub use explain::{explain, explain_with, MAX_PATHS};
pub use host::{Host, HostIface, IfaceKind, Route, RouteDecision};
pub use packet::{Details, Packet, L4};
pub use sets::{HostSets, SetContents};
pub use trace::{
    Decision, DnatApplied, Entry, MatchResult, PathOutcome, RuleRef, Step, TableRef, Trace,
    Undecided, UnknownNote, Verdict,
};
pub use tri::Tri;
pub use userspace::{user_space_ports, Listener, UserSpacePort};
pub use walk::MAX_JUMP_DEPTH;
