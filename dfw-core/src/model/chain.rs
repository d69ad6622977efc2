//! Chain names and built-in chain policies.

use std::fmt;

use super::ModelError;

/// Longest chain name iptables accepts (`XT_EXTENSION_MAXNAMELEN - 1`).
pub const CHAIN_NAME_MAX_LEN: usize = 28;

/// Target names a chain may not take: `-j NAME` would mean the target, not the chain.
pub const RESERVED_TARGETS: &[&str] = &[
    "ACCEPT",
    "DROP",
    "RETURN",
    "QUEUE",
    "NFQUEUE",
    "REJECT",
    "LOG",
    "DNAT",
    "SNAT",
    "MASQUERADE",
    "REDIRECT",
    "MARK",
    "CONNMARK",
    "CT",
    "NOTRACK",
    "TCPMSS",
    "NFLOG",
    "TRACE",
];

/// A validated chain name: 1 to 28 bytes, printable, no whitespace, not starting with `-` or
/// `!`, and not the name of a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChainName(String);

impl ChainName {
    /// Validates a chain name.
    ///
    /// # Errors
    /// [`ModelError::ChainName`] naming the reason.
    pub fn new(name: &str) -> Result<Self, ModelError> {
        let err = |reason| ModelError::ChainName {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(err("empty name"));
        }
        if name.len() > CHAIN_NAME_MAX_LEN {
            return Err(err("longer than 28 bytes"));
        }
        if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("contains whitespace or a control character"));
        }
        if name.starts_with('-') || name.starts_with('!') {
            return Err(err("starts with '-' or '!'"));
        }
        if RESERVED_TARGETS.contains(&name) {
            return Err(err("is the name of a target"));
        }
        Ok(ChainName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for ChainName {
    type Error = ModelError;
    fn try_from(name: &str) -> Result<Self, ModelError> {
        ChainName::new(name)
    }
}

impl fmt::Display for ChainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The policy of a built-in chain. Values are the kernel's `NF_DROP` / `NF_ACCEPT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum Policy {
    /// `DROP` (`NF_DROP` = 0).
    Drop = 0,
    /// `ACCEPT` (`NF_ACCEPT` = 1).
    Accept = 1,
}

impl Policy {
    /// `ACCEPT` or `DROP`.
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Accept => "ACCEPT",
            Policy::Drop => "DROP",
        }
    }

    /// Parses `ACCEPT` or `DROP`.
    pub fn parse(text: &str) -> Option<Policy> {
        match text {
            "ACCEPT" => Some(Policy::Accept),
            "DROP" => Some(Policy::Drop),
            _ => None,
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_names() {
        assert!(ChainName::new("DOCKER-USER").is_ok());
        assert!(ChainName::new("A234567890123456789012345678").is_ok());
        for bad in [
            "",
            "A2345678901234567890123456789",
            "a b",
            "-x",
            "!x",
            "ACCEPT",
        ] {
            assert!(ChainName::new(bad).is_err(), "{bad}");
        }
    }
}
