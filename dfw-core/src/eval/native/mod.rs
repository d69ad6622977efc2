//! The evaluator of native nf_tables base chains ([`crate::native`]): registers, headers,
//! expressions, one base chain walk. The driver (`explain`) interleaves them with the
//! iptables tables by priority.

mod chain;
mod exec;
mod load;
mod regs;

pub(crate) use chain::{walk_native, NativeOutcome};
pub(crate) use exec::NatAction;
mod ports;
mod sources;

pub(crate) use ports::native_dnats;
pub(crate) use sources::{native_sources, NativeSourceSet};
