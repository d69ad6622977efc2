//! The `multiport` match (revision 1): up to 15 ports, a range taking two slots.

use crate::model::{ModelError, PortRange};

/// Slots in `xt_multiport_v1`.
pub const MULTIPORT_SLOTS: usize = 15;

/// Which port `multiport` examines; values are the kernel's `XT_MULTIPORT_*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MultiportKind {
    /// `--sports` (0).
    Source = 0,
    /// `--dports` (1).
    Destination = 1,
    /// `--ports`: either (2).
    Either = 2,
}

impl MultiportKind {
    /// The option name (`--sports`, `--dports`, `--ports`).
    pub fn option(self) -> &'static str {
        match self {
            MultiportKind::Source => "--sports",
            MultiportKind::Destination => "--dports",
            MultiportKind::Either => "--ports",
        }
    }
}

/// `-m multiport [!] --dports 53,123,5000:5100`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Multiport {
    kind: MultiportKind,
    ports: Vec<PortRange>,
    negated: bool,
}

impl Multiport {
    /// Builds a multiport match.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] when the list is empty or needs more than 15 slots.
    pub fn new(
        kind: MultiportKind,
        ports: Vec<PortRange>,
        negated: bool,
    ) -> Result<Self, ModelError> {
        let slots: usize = ports
            .iter()
            .map(|p| if p.is_single() { 1 } else { 2 })
            .sum();
        if ports.is_empty() {
            return Err(ModelError::Invalid {
                what: "multiport",
                reason: "empty port list".into(),
            });
        }
        if slots > MULTIPORT_SLOTS {
            return Err(ModelError::Invalid {
                what: "multiport",
                reason: format!("{slots} port slots, at most {MULTIPORT_SLOTS} (a range takes 2)"),
            });
        }
        Ok(Multiport {
            kind,
            ports,
            negated,
        })
    }

    /// Which port is examined.
    pub fn kind(&self) -> MultiportKind {
        self.kind
    }

    /// The ports and ranges, in order.
    pub fn ports(&self) -> &[PortRange] {
        &self.ports
    }

    /// True for `! --dports`.
    pub fn negated(&self) -> bool {
        self.negated
    }
}
