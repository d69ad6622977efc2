//! Port ranges (`--dport 80`, `--dport 8080:8090`).

use std::fmt;

use super::ModelError;

/// An inclusive port range `lo..=hi` with `lo <= hi`; a single port has `lo == hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    lo: u16,
    hi: u16,
}

impl PortRange {
    /// Every port, `0:65535`.
    pub const ALL: PortRange = PortRange {
        lo: 0,
        hi: u16::MAX,
    };

    /// A single port.
    pub fn single(port: u16) -> Self {
        PortRange { lo: port, hi: port }
    }

    /// A range `lo..=hi`.
    ///
    /// # Errors
    /// [`ModelError::ReversedRange`] when `lo > hi`.
    pub fn new(lo: u16, hi: u16) -> Result<Self, ModelError> {
        if lo > hi {
            return Err(ModelError::ReversedRange {
                start: lo.to_string(),
                end: hi.to_string(),
            });
        }
        Ok(PortRange { lo, hi })
    }

    /// First port.
    pub fn lo(&self) -> u16 {
        self.lo
    }

    /// Last port.
    pub fn hi(&self) -> u16 {
        self.hi
    }

    /// True for a single port.
    pub fn is_single(&self) -> bool {
        self.lo == self.hi
    }

    /// True when `port` lies in the range.
    pub fn contains(&self, port: u16) -> bool {
        (self.lo..=self.hi).contains(&port)
    }
}

impl fmt::Display for PortRange {
    /// `80` or `8080:8090`, as iptables-save prints ports.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single() {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}:{}", self.lo, self.hi)
        }
    }
}
