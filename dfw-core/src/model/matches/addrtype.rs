//! The `addrtype` match (revision 1).

use bitflags::bitflags;

use crate::model::{Family, ModelError, Neg};

bitflags! {
    /// Address types (`XT_ADDRTYPE_*`), as `--src-type`/`--dst-type` name them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct AddrTypes: u16 {
        /// UNSPEC.
        const UNSPEC = 1 << 0;
        /// UNICAST.
        const UNICAST = 1 << 1;
        /// LOCAL.
        const LOCAL = 1 << 2;
        /// BROADCAST.
        const BROADCAST = 1 << 3;
        /// ANYCAST.
        const ANYCAST = 1 << 4;
        /// MULTICAST.
        const MULTICAST = 1 << 5;
        /// BLACKHOLE.
        const BLACKHOLE = 1 << 6;
        /// UNREACHABLE.
        const UNREACHABLE = 1 << 7;
        /// PROHIBIT.
        const PROHIBIT = 1 << 8;
        /// THROW.
        const THROW = 1 << 9;
        /// NAT.
        const NAT = 1 << 10;
        /// XRESOLVE.
        const XRESOLVE = 1 << 11;
    }
}

impl AddrTypes {
    /// Names in the order iptables prints them.
    pub const NAMES: [(AddrTypes, &'static str); 12] = [
        (AddrTypes::UNSPEC, "UNSPEC"),
        (AddrTypes::UNICAST, "UNICAST"),
        (AddrTypes::LOCAL, "LOCAL"),
        (AddrTypes::BROADCAST, "BROADCAST"),
        (AddrTypes::ANYCAST, "ANYCAST"),
        (AddrTypes::MULTICAST, "MULTICAST"),
        (AddrTypes::BLACKHOLE, "BLACKHOLE"),
        (AddrTypes::UNREACHABLE, "UNREACHABLE"),
        (AddrTypes::PROHIBIT, "PROHIBIT"),
        (AddrTypes::THROW, "THROW"),
        (AddrTypes::NAT, "NAT"),
        (AddrTypes::XRESOLVE, "XRESOLVE"),
    ];
}

/// `--limit-iface-in` / `--limit-iface-out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitIface {
    /// `--limit-iface-in`.
    In,
    /// `--limit-iface-out`.
    Out,
}

/// `-m addrtype [!] --src-type T [!] --dst-type T [--limit-iface-in|out]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AddrType {
    /// `--src-type`.
    pub src: Option<Neg<AddrTypes>>,
    /// `--dst-type`.
    pub dst: Option<Neg<AddrTypes>>,
    /// Interface limit.
    pub limit_iface: Option<LimitIface>,
}

impl AddrType {
    /// Types the kernel refuses for IPv6 (`addrtype_mt_checkentry_v1`): BROADCAST,
    /// BLACKHOLE and everything from PROHIBIT up.
    pub const NOT_IPV6: AddrTypes = AddrTypes::BROADCAST
        .union(AddrTypes::BLACKHOLE)
        .union(AddrTypes::PROHIBIT)
        .union(AddrTypes::THROW)
        .union(AddrTypes::NAT)
        .union(AddrTypes::XRESOLVE);

    /// Checks the types are ones the kernel matches for `family`.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for an IPv6 rule using a type in [`AddrType::NOT_IPV6`].
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        if self.src.is_none() && self.dst.is_none() {
            return Err(ModelError::Invalid {
                what: "addrtype",
                reason: "needs --src-type or --dst-type".into(),
            });
        }
        let used = [&self.src, &self.dst]
            .into_iter()
            .flatten()
            .fold(AddrTypes::empty(), |a, t| a | t.value);
        if family == Family::Ipv6 && used.intersects(Self::NOT_IPV6) {
            return Err(ModelError::Invalid {
                what: "addrtype",
                reason: "IPv6 cannot match BROADCAST, BLACKHOLE, PROHIBIT, THROW, NAT or XRESOLVE"
                    .into(),
            });
        }
        Ok(())
    }
}
