//! Errors of the evaluator: only inconsistent inputs; undecidable rules are results, not errors.

use std::net::IpAddr;

use crate::model::Family;

/// Why a packet cannot be evaluated against a ruleset at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// Source and destination belong to different families.
    #[error("packet source {src} and destination {dst} differ in family")]
    MixedFamilies {
        /// The source.
        src: IpAddr,
        /// The destination.
        dst: IpAddr,
    },
    /// The packet's family is not the ruleset's.
    #[error("packet is {packet}, ruleset is {ruleset}")]
    WrongFamily {
        /// The packet's family.
        packet: Family,
        /// The ruleset's family.
        ruleset: Family,
    },
}
