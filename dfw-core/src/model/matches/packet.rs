//! Matches on the packet itself: `pkttype`, `mac`, `length`, `ttl`/`hl`, `owner`, `physdev`.

use std::fmt;

use crate::model::{Iface, ModelError};

/// `--pkt-type`: the link-layer class of the packet (`PACKET_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PktType {
    /// `unicast` (`PACKET_HOST`): to this host.
    Unicast = 0,
    /// `broadcast`.
    Broadcast = 1,
    /// `multicast`.
    Multicast = 2,
    /// `otherhost`: to another host (promiscuous mode). iptables 1.8.7 prints it as `3`.
    OtherHost = 3,
}

impl PktType {
    /// Names libxt_pkttype accepts, canonical first for each value.
    pub const NAMES: [(&'static str, PktType); 7] = [
        ("unicast", PktType::Unicast),
        ("broadcast", PktType::Broadcast),
        ("multicast", PktType::Multicast),
        ("otherhost", PktType::OtherHost),
        ("bcast", PktType::Broadcast),
        ("mcast", PktType::Multicast),
        ("host", PktType::Unicast),
    ];

    /// From the kernel value.
    pub fn from_raw(v: u32) -> Option<PktType> {
        Self::NAMES.iter().map(|(_, t)| *t).find(|t| *t as u32 == v)
    }

    /// The canonical name.
    pub fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| *t == self)
            .map_or("unicast", |(n, _)| n)
    }
}

/// A MAC address (`--mac-source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl fmt::Display for MacAddr {
    /// Lower-case `aa:bb:cc:dd:ee:ff`, as `xtables_print_mac`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// A `min:max` range of 16-bit values (`--length`); `min > max` is kept (it matches nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Length {
    /// Smallest length.
    pub min: u16,
    /// Largest length.
    pub max: u16,
}

impl fmt::Display for Length {
    /// `N` or `min:max`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.min == self.max {
            write!(f, "{}", self.min)
        } else {
            write!(f, "{}:{}", self.min, self.max)
        }
    }
}

/// The comparison of `-m ttl` / `-m hl` (`IPT_TTL_*` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum TtlOp {
    /// `--ttl-eq` / `--hl-eq`.
    Eq = 0,
    /// `! --ttl-eq` / `! --hl-eq`.
    Ne = 1,
    /// `--ttl-lt` / `--hl-lt`.
    Lt = 2,
    /// `--ttl-gt` / `--hl-gt`.
    Gt = 3,
}

impl TtlOp {
    /// From the kernel value.
    pub fn from_raw(v: u8) -> Option<TtlOp> {
        [TtlOp::Eq, TtlOp::Ne, TtlOp::Lt, TtlOp::Gt]
            .into_iter()
            .find(|o| *o as u8 == v)
    }

    /// True when `actual` satisfies the comparison with `value`.
    pub fn test(self, actual: u8, value: u8) -> bool {
        match self {
            TtlOp::Eq => actual == value,
            TtlOp::Ne => actual != value,
            TtlOp::Lt => actual < value,
            TtlOp::Gt => actual > value,
        }
    }
}

/// `-m ttl` (IPv4) or `-m hl` (IPv6): the TTL / hop limit compared with a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ttl {
    /// The comparison.
    pub op: TtlOp,
    /// The value.
    pub value: u8,
}

/// `-m owner` (revision 1): the local socket's owner; only meaningful in OUTPUT/POSTROUTING.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Owner {
    /// `[!] --socket-exists`: `Some(negated)`.
    pub socket_exists: Option<bool>,
    /// `[!] --uid-owner a[-b]`: `(min, max, negated)`.
    pub uid: Option<(u32, u32, bool)>,
    /// `[!] --gid-owner a[-b]`: `(min, max, negated)`.
    pub gid: Option<(u32, u32, bool)>,
    /// `--suppl-groups` (needs `gid`).
    pub suppl_groups: bool,
}

/// The largest uid/gid libxt_owner takes (`UINT32_MAX - 1`).
pub const OWNER_ID_MAX: u32 = u32::MAX - 1;

impl Owner {
    /// Checks what libxt_owner refuses: no option, reversed or too large ids, `--suppl-groups`
    /// without `--gid-owner`.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming the problem.
    pub fn check(&self) -> Result<(), ModelError> {
        let bad = |reason: &str| {
            Err(ModelError::Invalid {
                what: "owner",
                reason: reason.into(),
            })
        };
        if self.socket_exists.is_none() && self.uid.is_none() && self.gid.is_none() {
            return bad("needs --uid-owner, --gid-owner or --socket-exists");
        }
        for (lo, hi, _) in [self.uid, self.gid].into_iter().flatten() {
            if lo > hi || hi > OWNER_ID_MAX {
                return bad("an id range must be ordered and at most 4294967294");
            }
        }
        if self.suppl_groups && self.gid.is_none() {
            return bad("--suppl-groups needs --gid-owner");
        }
        Ok(())
    }
}

/// `-m physdev`: the bridge ports of a bridged packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Physdev {
    /// `[!] --physdev-in NAME`.
    pub in_dev: Option<(Iface, bool)>,
    /// `[!] --physdev-out NAME`.
    pub out_dev: Option<(Iface, bool)>,
    /// `[!] --physdev-is-in`: `Some(negated)`.
    pub is_in: Option<bool>,
    /// `[!] --physdev-is-out`: `Some(negated)`.
    pub is_out: Option<bool>,
    /// `[!] --physdev-is-bridged`: `Some(negated)`.
    pub is_bridged: Option<bool>,
}

impl Physdev {
    /// Checks at least one option is given.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for an empty physdev match.
    pub fn check(&self) -> Result<(), ModelError> {
        if self.in_dev.is_none()
            && self.out_dev.is_none()
            && self.is_in.is_none()
            && self.is_out.is_none()
            && self.is_bridged.is_none()
        {
            return Err(ModelError::Invalid {
                what: "physdev",
                reason: "no physdev option".into(),
            });
        }
        Ok(())
    }
}
