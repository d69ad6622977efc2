//! dfw-core: pure data and text for dfw.
//!
//! Contract: nothing in this crate performs I/O, opens a socket or calls libc. It holds the
//! iptables rule model ([`model`]), the exact `iptables-save` / `iptables-restore` syntax
//! ([`syntax`]), and (later) the policy compiler, the ruleset diff and the packet-path evaluator.
//! Every value of the model is validated when it is built, so an invalid rule cannot exist.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod diff;
pub mod eval;
/// Checks shared by the fuzz targets and their replay tests (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod policy;
pub mod syntax;
pub mod text;
