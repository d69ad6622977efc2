//! The Docker-host policy: the TOML config, its validation, and the compiler to dfw's chains.
//!
//! Contract: pure (no I/O, no sockets). [`Policy::from_toml`] turns the text of a config file
//! into a validated [`Policy`] or a [`PolicyError`] naming `file:line:column` and the key;
//! [`Policy::compile`] turns a policy and the external interfaces into [`Compiled`]: dfw's own
//! chains and jumps for IPv4 and IPv6; [`reconcile`] compares that with what the kernel holds
//! and says what must change. Reading the kernel and committing are the caller's.
//!
//! # The config file
//! ```toml
//! [interfaces]
//! external = ["eth0"]     # or ["auto"] (default): the interfaces of the default routes
//!
//! [policy]
//! default = "reject"      # default; or "drop"
//! host = true             # default false: also filter the host's own INPUT
//! ping = true             # default true: echo requests to the host (with host = true)
//!
//! [[allow]]               # any number; none means only whitelist/LAN get in
//! ports = [22]            # a bare port is tcp; SSH, which host = true would refuse otherwise
//! comment = "ssh"         # optional: put on the generated rules
//!
//! [[allow]]
//! ports = ["8080/tcp", "53/udp", "9000-9100/tcp"]
//! from = ["203.0.113.0/24", "2001:db8::/32", "198.51.100.1-198.51.100.3"]  # default everyone
//! to = "203.0.113.1"      # optional: original destination address or CIDR
//!
//! [whitelist]
//! sources = ["198.51.100.7", "2001:db8::7"]   # reach every port
//!
//! [lan]
//! networks = ["192.168.1.0/24"]                # trusted entirely
//!
//! [[forward]]             # router mode: forward (and its replies) between two interfaces
//! in = "eth1"
//! out = "eth0"
//! ```
//! Every section and key is optional; unknown keys are refused. Addresses are an address, a
//! CIDR (host bits are cleared: `192.168.1.5/24` means `192.168.1.0/24`) or, for sources, a
//! range `A-B` of one family. Lists, when given, must not be empty. Each address goes to its
//! family: an allow makes rules only in the families of its `to` and of its `from` sources
//! (sources of the other family than `to` are unused), and one whose `to` is of a family no
//! `from` source has is refused, as it can never match.

mod compile;
mod compiled;
mod config;
mod drift;
#[cfg(test)]
mod drift_tests;
mod error;
mod keypath;
mod proxy;
#[cfg(test)]
mod proxy_tests;
mod raw;
mod reconcile;
#[cfg(test)]
mod reconcile_tests;
mod sections;
#[cfg(test)]
mod sections_tests;
mod segment;
#[cfg(test)]
mod segment_tests;
mod validate;
mod value;

pub use compile::HOST_ICMPV6_TYPES;
pub use compiled::{
    is_dfw_chain, is_dfw_jump, references_dfw_chain, Compiled, DfwJump, FamilyRules, CHAIN_DOCKER,
    CHAIN_DOCKER_EXT, CHAIN_INPUT, CHAIN_INPUT_EXT, CHAIN_PROXY, DFW_COMMENT, DFW_PREFIX,
    DOCKER_USER, INPUT,
};
pub use config::{Allow, DefaultAction, External, Forward, Policy, PortSpec, Source, Transport};
pub use drift::{drift, ChainDrift, Drift, DriftItem, DriftKind};
pub use error::{Location, PolicyError};
pub use proxy::{Published, PublishedPort};
pub use reconcile::{
    reconcile, Current, CurrentChain, ReconcileError, Reconciled, WantedChain, FORWARD,
};
pub use segment::SEGMENT_RULES;

/// The default path of the config file.
pub const DEFAULT_PATH: &str = "/etc/dfw/dfw.toml";

impl Policy {
    /// Parses and validates a config. `file` is only a label for error messages (the path).
    ///
    /// # Errors
    /// The first problem found, as a [`PolicyError`] naming `file:line:column` and the key:
    /// TOML syntax, unknown keys, wrong types, missing keys, then bad values (ports, addresses,
    /// ranges, interface names, empty lists, families that can never match).
    pub fn from_toml(text: &str, file: &str) -> Result<Policy, PolicyError> {
        // Section by section first (a fraction of the memory for large files); anything it
        // does not accept, errors included, goes through the whole-document parse.
        let ctx = validate::Ctx { file, text };
        if let Some(policy) = sections::parse_by_section(text).and_then(|r| ctx.policy(r).ok()) {
            return Ok(policy);
        }
        from_toml_whole(text, file)
    }
}

/// [`Policy::from_toml`] parsing the whole document at once.
fn from_toml_whole(text: &str, file: &str) -> Result<Policy, PolicyError> {
    let raw = toml::from_str::<raw::RawConfig>(text).map_err(|e| toml_error(file, text, &e))?;
    validate::Ctx { file, text }.policy(raw)
}

/// Maps an error of the `toml` crate to a [`PolicyError`], finding its key path.
fn toml_error(file: &str, text: &str, e: &toml::de::Error) -> PolicyError {
    let span = e.span().unwrap_or(0..0);
    let at = Location::at(file, text, span.start);
    let message = e.message().to_string();
    if toml::de::DeTable::parse(text).is_err() {
        let reason = match text.get(span.clone()) {
            Some(s) if message == "duplicate key" && !s.is_empty() => format!("{message} `{s}`"),
            _ => message,
        };
        return PolicyError::Syntax { at, reason };
    }
    let key = keypath::key_path_at(text, span.start).unwrap_or_else(|| "(top level)".into());
    match message.strip_prefix("unknown field ") {
        Some(rest) => PolicyError::UnknownKey {
            at,
            key,
            expected: rest
                .split_once(", ")
                .map(|(_, e)| e.to_string())
                .unwrap_or_else(|| "no keys allowed here".into()),
        },
        None => PolicyError::Schema {
            at,
            key,
            reason: message,
        },
    }
}
