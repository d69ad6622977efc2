//! The iptables rule model: families, tables, chains, rules, matches and targets.
//!
//! Contract: every type here is validated at construction (constructors return
//! [`ModelError`] for values iptables would refuse), so holding a value means it is valid.
//! The model follows iptables' own structure: a [`Rule`] has a fixed [`RuleHeader`] (`-s -d -i
//! -o -p`), an ordered list of extension [`Match`]es (`-m ...`) and at most one [`Target`].

mod addr;
mod chain;
mod error;
mod family;
mod iface;
pub mod matches;
mod neg;
mod port;
mod proto;
mod rule;
mod ruleset;
mod table;
pub mod target;
mod target_ext;

pub use addr::{ip_text, AddrRange, Network};
pub use chain::{ChainName, Policy};
pub use error::ModelError;
pub use family::Family;
pub use iface::Iface;
pub use matches::Match;
pub use neg::Neg;
pub use port::PortRange;
pub use proto::Protocol;
pub use rule::{Counters, Rule, RuleHeader};
pub use ruleset::{Chain, Ruleset, Table};
pub use table::{Hook, TableName};
pub use target::Target;
