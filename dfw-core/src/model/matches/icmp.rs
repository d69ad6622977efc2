//! ICMP and ICMPv6 types (`--icmp-type 8`, `3/4`, `any`).

use std::fmt;

/// An ICMP(v6) type with an optional code, as `ipt_icmp` stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IcmpType {
    /// `any`: every type (type 255, codes 0-255).
    Any,
    /// One type, every code (type below 255).
    Type(u8),
    /// One type and one code (`3/4`).
    TypeCode(u8, u8),
}

impl IcmpType {
    /// Type and inclusive code range as the kernel stores them.
    pub fn to_raw(self) -> (u8, u8, u8) {
        match self {
            IcmpType::Any => (0xff, 0, 0xff),
            IcmpType::Type(t) => (t, 0, 0xff),
            IcmpType::TypeCode(t, c) => (t, c, c),
        }
    }

    /// From the kernel form; `None` for a code range iptables cannot print.
    pub fn from_raw(typ: u8, code_min: u8, code_max: u8) -> Option<Self> {
        match (typ, code_min, code_max) {
            (0xff, 0, 0xff) => Some(IcmpType::Any),
            (t, 0, 0xff) => Some(IcmpType::Type(t)),
            (t, c, d) if c == d => Some(IcmpType::TypeCode(t, c)),
            _ => None,
        }
    }

    /// True when a packet of this type and code matches.
    pub fn matches(self, typ: u8, code: u8) -> bool {
        let (t, lo, hi) = self.to_raw();
        t == 0xff || (t == typ && (lo..=hi).contains(&code))
    }
}

impl fmt::Display for IcmpType {
    /// The numeric form iptables-save prints: `any`, `8`, `3/4`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcmpType::Any => f.write_str("any"),
            IcmpType::Type(t) => write!(f, "{t}"),
            IcmpType::TypeCode(t, c) => write!(f, "{t}/{c}"),
        }
    }
}
