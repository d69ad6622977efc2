//! The `conntrack` match (revision 3): state, status, protocol, original/reply tuples,
//! expiry and direction.

use bitflags::bitflags;

use crate::model::{Family, ModelError, Neg, Network, PortRange, Protocol};

bitflags! {
    /// Connection states (`XT_CONNTRACK_STATE_*` bits of `state_mask`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct CtStates: u16 {
        /// INVALID.
        const INVALID = 0x1;
        /// ESTABLISHED.
        const ESTABLISHED = 0x2;
        /// RELATED.
        const RELATED = 0x4;
        /// NEW.
        const NEW = 0x8;
        /// SNAT: the connection's source was translated.
        const SNAT = 0x40;
        /// DNAT: the connection's destination was translated.
        const DNAT = 0x80;
        /// UNTRACKED.
        const UNTRACKED = 0x100;
    }
}

impl CtStates {
    /// The states `-m state --state` accepts (libxt_state).
    pub const STATE_MATCH: CtStates = CtStates::INVALID
        .union(CtStates::NEW)
        .union(CtStates::RELATED)
        .union(CtStates::ESTABLISHED)
        .union(CtStates::UNTRACKED);

    /// Names in the order iptables-save prints them.
    pub const NAMES: [(CtStates, &'static str); 7] = [
        (CtStates::INVALID, "INVALID"),
        (CtStates::NEW, "NEW"),
        (CtStates::RELATED, "RELATED"),
        (CtStates::ESTABLISHED, "ESTABLISHED"),
        (CtStates::UNTRACKED, "UNTRACKED"),
        (CtStates::SNAT, "SNAT"),
        (CtStates::DNAT, "DNAT"),
    ];
}

bitflags! {
    /// Connection status bits (`IPS_*`) for `--ctstatus`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct CtStatus: u16 {
        /// EXPECTED.
        const EXPECTED = 0x1;
        /// SEEN_REPLY.
        const SEEN_REPLY = 0x2;
        /// ASSURED.
        const ASSURED = 0x4;
        /// CONFIRMED.
        const CONFIRMED = 0x8;
    }
}

impl CtStatus {
    /// Names in the order iptables-save prints them (`NONE` is the empty set).
    pub const NAMES: [(CtStatus, &'static str); 4] = [
        (CtStatus::EXPECTED, "EXPECTED"),
        (CtStatus::SEEN_REPLY, "SEEN_REPLY"),
        (CtStatus::ASSURED, "ASSURED"),
        (CtStatus::CONFIRMED, "CONFIRMED"),
    ];
}

/// `--ctdir ORIGINAL|REPLY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtDirection {
    /// Packets in the original direction.
    Original,
    /// Packets in the reply direction.
    Reply,
}

/// `-m conntrack ...`: every option optional and individually negatable, at least one set.
/// Options are printed in this field order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Conntrack {
    /// `--ctstate`.
    pub state: Option<Neg<CtStates>>,
    /// `--ctproto`.
    pub proto: Option<Neg<Protocol>>,
    /// `--ctorigsrc`.
    pub orig_src: Option<Neg<Network>>,
    /// `--ctorigdst`.
    pub orig_dst: Option<Neg<Network>>,
    /// `--ctreplsrc`.
    pub repl_src: Option<Neg<Network>>,
    /// `--ctrepldst`.
    pub repl_dst: Option<Neg<Network>>,
    /// `--ctorigsrcport`.
    pub orig_src_port: Option<Neg<PortRange>>,
    /// `--ctorigdstport`.
    pub orig_dst_port: Option<Neg<PortRange>>,
    /// `--ctreplsrcport`.
    pub repl_src_port: Option<Neg<PortRange>>,
    /// `--ctrepldstport`.
    pub repl_dst_port: Option<Neg<PortRange>>,
    /// `--ctstatus`.
    pub status: Option<Neg<CtStatus>>,
    /// `--ctexpire min[:max]` in seconds, `min <= max`.
    pub expire: Option<Neg<(u32, u32)>>,
    /// `--ctdir`.
    pub direction: Option<CtDirection>,
}

impl Conntrack {
    /// True when no option is set (iptables refuses such a match).
    pub fn is_empty(&self) -> bool {
        *self == Conntrack::default()
    }

    /// The four address options in print order, with their option names.
    pub fn addresses(&self) -> [(&'static str, Option<&Neg<Network>>); 4] {
        [
            ("--ctorigsrc", self.orig_src.as_ref()),
            ("--ctorigdst", self.orig_dst.as_ref()),
            ("--ctreplsrc", self.repl_src.as_ref()),
            ("--ctrepldst", self.repl_dst.as_ref()),
        ]
    }

    /// The four port options in print order, with their option names.
    pub fn ports(&self) -> [(&'static str, Option<&Neg<PortRange>>); 4] {
        [
            ("--ctorigsrcport", self.orig_src_port.as_ref()),
            ("--ctorigdstport", self.orig_dst_port.as_ref()),
            ("--ctreplsrcport", self.repl_src_port.as_ref()),
            ("--ctrepldstport", self.repl_dst_port.as_ref()),
        ]
    }

    /// Checks the match is non-empty, its addresses belong to `family`, and the expiry range
    /// is ordered.
    ///
    /// # Errors
    /// [`ModelError::WrongFamily`] or [`ModelError::Invalid`].
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        if self.is_empty() {
            return Err(ModelError::Invalid {
                what: "conntrack",
                reason: "needs at least one option".into(),
            });
        }
        for (option, addr) in self.addresses() {
            if let Some(a) = addr {
                if a.value.family() != family {
                    return Err(ModelError::WrongFamily {
                        addr: a.value.addr().to_string(),
                        family,
                    });
                }
                if a.value.prefix().is_none() {
                    return Err(ModelError::Invalid {
                        what: "conntrack",
                        reason: format!("{option} takes a prefix length, not a dotted mask"),
                    });
                }
            }
        }
        if self.state.as_ref().is_some_and(|s| s.value.is_empty()) {
            return Err(ModelError::Invalid {
                what: "conntrack",
                reason: "--ctstate needs at least one state".into(),
            });
        }
        if let Some(e) = &self.expire {
            if e.value.0 > e.value.1 {
                return Err(ModelError::ReversedRange {
                    start: e.value.0.to_string(),
                    end: e.value.1.to_string(),
                });
            }
        }
        Ok(())
    }
}
