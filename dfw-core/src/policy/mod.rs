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
//! # allow_everyone = true # optional: a `from` covering a whole family is meant
//!
//! [whitelist]
//! sources = ["198.51.100.7", "2001:db8::7"]   # reach every port
//! # allow_everyone = true                     # as for [[allow]]
//!
//! [lan]
//! networks = ["192.168.1.0/24"]                # trusted entirely
//! # allow_everyone = true                     # as for [[allow]]
//!
//! [[forward]]             # router mode: forward (and its replies) between two interfaces
//! in = "eth1"
//! out = "eth0"
//!
//! [docker]
//! accept_fwmark = "0x100/0xff00"  # Docker's --bridge-accept-fwmark (MARK or MARK/MASK):
//!                                 # dfw marks the [[forward]] pairs in `table inet dfw`
//! ```
//! Every section and key is optional; unknown keys are refused. Addresses are an address, a
//! CIDR (host bits are cleared: `192.168.1.5/24` means `192.168.1.0/24`) or, for sources, a
//! range `A-B` of one family. Lists, when given, must not be empty. Each address goes to its
//! family: an allow makes rules only in the families of its `to` and of its `from` sources
//! (sources of the other family than `to` are unused), and one whose `to` is of a family no
//! `from` source has is refused, as it can never match.
//!
//! # Dangerous values and warnings
//! Refused, naming file, line, column and key: a `whitelist.sources`, `lan.networks` or
//! `from` whose entries cover every address of a family (`0.0.0.0/0`, `::/0`,
//! `0.0.0.0-255.255.255.255`, or `0.0.0.0/1` with `128.0.0.0/1`: the firewall would be off
//! for everyone of that family) unless that section says `allow_everyone = true`; port 0, in
//! a port or a range. Loaded with a warning ([`Policy::from_toml_checked`], [`PolicyWarning`]):
//! host bits set (`2001:db8::5/32` is all of `2001:db8::/32`), an entry listed twice or covered
//! by another of the same list, an IPv4-mapped IPv6 address (`::ffff:198.51.100.7`, taken as
//! `198.51.100.7`), and, when the caller knows the host's interfaces ([`HostFacts`]), an
//! external or forward interface that does not exist (yet).

mod blockfile;
mod compile;
mod compiled;
mod config;
mod draft;
mod drift;
#[cfg(test)]
mod drift_tests;
mod error;
mod fwmark;
mod keypath;
mod overlap;
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
mod sets;
mod validate;
mod validate_lists;
mod value;
mod warning;

pub use blockfile::parse_block_file;
pub use compile::{CompileInputs, HOST_ICMPV6_TYPES};
pub use compiled::{
    is_dfw_chain, is_dfw_jump, references_dfw_chain, Compiled, DfwJump, FamilyRules, CHAIN_BLOCK,
    CHAIN_DOCKER, CHAIN_DOCKER_EXT, CHAIN_INPUT, CHAIN_INPUT_EXT, CHAIN_PROXY, DFW_COMMENT,
    DFW_PREFIX, DOCKER_USER, INPUT,
};
pub use config::{
    Allow, Blocklist, DefaultAction, External, Forward, Policy, PortSpec, Source, Transport,
};
pub use draft::{Draft, FamilyReach, FoundPort, SshClient};
pub use drift::{drift, ChainDrift, Drift, DriftItem, DriftKind};
pub use error::{Location, PolicyError};
pub use fwmark::{
    mark_table, mark_table_params, pair_comment, FwMark, MARK_CHAIN, MARK_PRIORITY, MARK_TABLE,
};
pub use proxy::{Published, PublishedPort};
pub use reconcile::{
    reconcile, Current, CurrentChain, ReconcileError, Reconciled, WantedChain, WantedRule, FORWARD,
};
pub use segment::SEGMENT_RULES;
pub use sets::{
    is_dfw_set, range_cidrs, set_members, SetMembers, SetRole, SetSpec, DFW_SET_PREFIX,
    SET_THRESHOLD,
};
pub use warning::{Checked, HostFacts, PolicyWarning, WarningKind};

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
        Ok(load(text, file, &HostFacts::default(), false)?.policy)
    }

    /// [`Policy::from_toml`], with the warnings: what loads but probably does not say what
    /// its author means (see [`PolicyWarning`]), in file order. `host` says what this host
    /// knows for the checks a file cannot decide (which interfaces exist);
    /// `HostFacts::default()` checks only the file.
    ///
    /// # Errors
    /// As [`Policy::from_toml`].
    pub fn from_toml_checked(
        text: &str,
        file: &str,
        host: &HostFacts,
    ) -> Result<Checked, PolicyError> {
        load(text, file, host, true)
    }
}

/// Parses and validates; the warnings only when `warnings` (they need the spans of the
/// whole document).
fn load(text: &str, file: &str, host: &HostFacts, warnings: bool) -> Result<Checked, PolicyError> {
    // Section by section first (a fraction of the memory for large files); anything it
    // does not accept, errors included, goes through the whole-document parse. Its spans are
    // relative to each section, so a config with warnings to locate is parsed whole too.
    let ctx = validate::Ctx::new(file, text, host);
    if let Some(policy) = sections::parse_by_section(text).and_then(|r| ctx.policy(r).ok()) {
        if !warnings || ctx.take_notes().is_empty() {
            return Ok(Checked {
                policy,
                warnings: Vec::new(),
            });
        }
    }
    let raw = toml::from_str::<raw::RawConfig>(text).map_err(|e| toml_error(file, text, &e))?;
    let ctx = validate::Ctx::new(file, text, host);
    let policy = ctx.policy(raw)?;
    let warnings = if warnings {
        ctx.take_notes()
            .into_iter()
            .map(|n| n.locate(file, text))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Checked { policy, warnings })
}

/// [`Policy::from_toml`] parsing the whole document at once.
#[cfg(test)]
fn from_toml_whole(text: &str, file: &str) -> Result<Policy, PolicyError> {
    let raw = toml::from_str::<raw::RawConfig>(text).map_err(|e| toml_error(file, text, &e))?;
    validate::Ctx::new(file, text, &HostFacts::default()).policy(raw)
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
