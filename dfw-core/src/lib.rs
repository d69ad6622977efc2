//! dfw-core: pure data and text for dfw.
//!
//! Contract: nothing in this crate performs I/O, opens a socket or calls libc. Every value of
//! the model is validated when it is built, so an invalid rule cannot exist. It holds:
//! - [`model`]: the iptables rule model (families, tables, chains, rules, matches, targets);
//! - [`syntax`]: the exact `iptables-save` / `iptables-restore` text of iptables 1.8.9;
//! - [`policy`]: the Docker-host policy (the TOML config), its compiler to dfw's chains, and
//!   the reconciliation and drift of what the kernel holds against it;
//! - [`diff`]: the minimal edit between two rule lists;
//! - [`eval`]: the packet-path evaluator (`explain`) and the audit of published ports;
//! - [`text`]: input bytes to text, with the position of a bad byte.
//!
//! The types an embedding tool starts from are re-exported here. Reading and changing the
//! kernel is dfw-netlink's (its front door is `dfw_netlink::Dfw`).
//!
//! ```
//! use dfw_core::{Family, Iface, Policy};
//!
//! let policy = Policy::from_toml("[[allow]]\nports = [\"8080/tcp\"]\n", "dfw.toml")?;
//! let compiled = policy.compile(&[Iface::parse("eth0")?]);
//! let [v4, _v6] = compiled.to_rulesets()?;
//! assert_eq!(v4.family(), Family::Ipv4);
//! print!("{}", dfw_core::print_ruleset(&v4, dfw_core::PrintOptions::default()));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod diff;
pub mod eval;
/// Checks shared by the fuzz targets and their replay tests (feature `fuzzing`).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
pub mod native;
pub mod policy;
pub mod syntax;
pub mod text;

pub use eval::{audit, explain, Audit, EvalError, Host, Packet, Trace, Verdict};
pub use model::{ChainName, Family, Iface, ModelError, Rule, Ruleset, Table, TableName, Target};
pub use policy::{Compiled, Drift, Policy, PolicyError, ReconcileError, DEFAULT_PATH};
pub use syntax::{print_ruleset, PrintOptions, RestoreScript, SyntaxError};
