//! NAT targets: `DNAT`, `SNAT` and `MASQUERADE`, in the three kernel range layouts.
//!
//! - revision 0 of DNAT/SNAT/MASQUERADE on IPv4: `struct nf_nat_ipv4_multi_range_compat`
//!   (24 bytes): `u32 rangesize` (always 1), then one `nf_nat_ipv4_range`: `u32 flags`,
//!   `be32 min_ip, max_ip`, `be16 min_port, max_port`, padding.
//! - revision 1 (and MASQUERADE revision 0 on IPv6): `struct nf_nat_range` (40 bytes):
//!   `u32 flags`, `nf_inet_addr min_addr, max_addr`, `be16 min_proto, max_proto`.
//! - revision 2: `struct nf_nat_range2` (48 bytes): `nf_nat_range` plus `be16 base_proto`,
//!   padding.
//!
//! `REDIRECT` (revision 0) has MASQUERADE's layouts.
//!
//! iptables 1.8.9 writes DNAT revision 2 (both families), SNAT revision 0 on IPv4 and 1 on IPv6,
//! MASQUERADE revision 0 (measured with strace; see the golden tests). Flags: MAP_IPS 1,
//! PROTO_SPECIFIED 2, PROTO_RANDOM 4, PERSISTENT 8, PROTO_RANDOM_FULLY 16; OFFSET and NETMAP
//! are refused (the model cannot hold them).

use dfw_core::model::target::{Masquerade, Nat, Redirect};
use dfw_core::model::{AddrRange, Family, PortRange};

use super::{
    be16_at, check_canonical, check_len, inet_addr_at, put_be16, put_inet_addr, put_u32, u32_at,
    XtError,
};

/// `DNAT` extension name.
pub const DNAT: &str = "DNAT";
/// `SNAT` extension name.
pub const SNAT: &str = "SNAT";
/// `MASQUERADE` extension name.
pub const MASQUERADE: &str = "MASQUERADE";
/// `REDIRECT` extension name.
pub const REDIRECT: &str = "REDIRECT";
/// The REDIRECT revision dfw writes (both families).
pub const REDIRECT_REV: u32 = 0;
/// The DNAT revision dfw writes (both families).
pub const DNAT_REV: u32 = 2;
/// The MASQUERADE revision dfw writes (both families).
pub const MASQUERADE_REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct nf_nat_ipv4_multi_range_compat))`.
pub const COMPAT_LEN: usize = 24;
/// `XT_ALIGN(sizeof(struct nf_nat_range))`.
pub const RANGE_LEN: usize = 40;
/// `XT_ALIGN(sizeof(struct nf_nat_range2))`.
pub const RANGE2_LEN: usize = 48;

const MAP_IPS: u32 = 0x1;
const PROTO_SPECIFIED: u32 = 0x2;
const RANDOM: u32 = 0x4;
const PERSISTENT: u32 = 0x8;
const RANDOM_FULLY: u32 = 0x10;
const KNOWN: u32 = MAP_IPS | PROTO_SPECIFIED | RANDOM | PERSISTENT | RANDOM_FULLY;

/// The three range layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// `nf_nat_ipv4_multi_range_compat`.
    Compat,
    /// `nf_nat_range`.
    Range,
    /// `nf_nat_range2`.
    Range2,
}

impl Layout {
    fn for_rev(family: Family, rev: u32) -> Option<Layout> {
        match (family, rev) {
            (Family::Ipv4, 0) => Some(Layout::Compat),
            (_, 1) => Some(Layout::Range),
            (_, 2) => Some(Layout::Range2),
            _ => None,
        }
    }

    fn len(self) -> usize {
        match self {
            Layout::Compat => COMPAT_LEN,
            Layout::Range => RANGE_LEN,
            Layout::Range2 => RANGE2_LEN,
        }
    }

    /// Offsets of flags, min address, max address, min port, max port.
    fn offsets(self) -> (usize, usize, usize, usize, usize) {
        match self {
            Layout::Compat => (4, 8, 12, 16, 18),
            Layout::Range | Layout::Range2 => (0, 4, 20, 36, 38),
        }
    }
}

/// The fields every layout has, in model terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fields {
    addrs: Option<AddrRange>,
    ports: Option<PortRange>,
    flags: u32,
}

fn emit(layout: Layout, f: &Fields) -> Vec<u8> {
    let mut b = vec![0u8; layout.len()];
    let (flags, min, max, pmin, pmax) = layout.offsets();
    if layout == Layout::Compat {
        put_u32(&mut b, 0, 1);
    }
    let mut fl = f.flags;
    if let Some(a) = f.addrs {
        fl |= MAP_IPS;
        put_inet_addr(&mut b, min, a.start());
        put_inet_addr(&mut b, max, a.end());
    }
    if let Some(p) = f.ports {
        fl |= PROTO_SPECIFIED;
        put_be16(&mut b, pmin, p.lo());
        put_be16(&mut b, pmax, p.hi());
    }
    put_u32(&mut b, flags, fl);
    b
}

fn parse(
    ext: &'static str,
    layout: Layout,
    family: Family,
    info: &[u8],
) -> Result<Fields, XtError> {
    check_len(ext, info, layout.len())?;
    let (flags, min, max, pmin, pmax) = layout.offsets();
    if layout == Layout::Compat && u32_at(info, 0) != 1 {
        return Err(XtError::invalid(
            ext,
            format!("rangesize {}", u32_at(info, 0)),
        ));
    }
    let fl = u32_at(info, flags);
    if fl & !KNOWN != 0 {
        return Err(XtError::invalid(ext, format!("flags {fl:#x}")));
    }
    let addrs = if fl & MAP_IPS != 0 {
        let (lo, hi) = (
            inet_addr_at(info, min, family),
            inet_addr_at(info, max, family),
        );
        Some(AddrRange::new(lo, hi).map_err(XtError::model(ext))?)
    } else {
        None
    };
    let ports = if fl & PROTO_SPECIFIED != 0 {
        let r = PortRange::new(be16_at(info, pmin), be16_at(info, pmax));
        Some(r.map_err(XtError::model(ext))?)
    } else {
        None
    };
    let f = Fields {
        addrs,
        ports,
        flags: fl & (RANDOM | PERSISTENT | RANDOM_FULLY),
    };
    check_canonical(ext, info, &emit(layout, &f))?;
    Ok(f)
}

fn nat_fields(n: &Nat) -> Fields {
    Fields {
        addrs: n.addrs,
        ports: n.ports,
        flags: if n.random { RANDOM } else { 0 }
            | if n.persistent { PERSISTENT } else { 0 }
            | if n.random_fully { RANDOM_FULLY } else { 0 },
    }
}

fn fields_nat(f: Fields) -> Nat {
    Nat {
        addrs: f.addrs,
        ports: f.ports,
        random: f.flags & RANDOM != 0,
        persistent: f.flags & PERSISTENT != 0,
        random_fully: f.flags & RANDOM_FULLY != 0,
    }
}

/// Encodes `-j DNAT` as iptables 1.8.9 does (revision [`DNAT_REV`], `nf_nat_range2`).
pub fn encode_dnat(n: &Nat) -> Vec<u8> {
    emit(Layout::Range2, &nat_fields(n))
}

/// The SNAT revision iptables 1.8.9 writes: 0 on IPv4, 1 on IPv6.
pub fn snat_rev(family: Family) -> u32 {
    match family {
        Family::Ipv4 => 0,
        Family::Ipv6 => 1,
    }
}

/// Encodes `-j SNAT` as iptables 1.8.9 does (revision [`snat_rev`]).
pub fn encode_snat(family: Family, n: &Nat) -> Vec<u8> {
    let layout = match family {
        Family::Ipv4 => Layout::Compat,
        Family::Ipv6 => Layout::Range,
    };
    emit(layout, &nat_fields(n))
}

/// Decodes a DNAT or SNAT blob of any revision the kernel has (0 on IPv4, 1, 2).
///
/// # Errors
/// [`XtError`] for an unknown revision for the family, a wrong length, unknown flags
/// (OFFSET, NETMAP), a reversed range, a `base_proto`, or non-canonical bytes.
pub fn decode_nat(
    ext: &'static str,
    family: Family,
    rev: u32,
    info: &[u8],
) -> Result<Nat, XtError> {
    let layout = Layout::for_rev(family, rev)
        .ok_or_else(|| XtError::invalid(ext, format!("revision {rev} for {family}")))?;
    parse(ext, layout, family, info).map(fields_nat)
}

fn masq_layout(family: Family) -> Layout {
    match family {
        Family::Ipv4 => Layout::Compat,
        Family::Ipv6 => Layout::Range,
    }
}

/// Encodes `-j MASQUERADE` (revision 0: the compat layout on IPv4, `nf_nat_range` on IPv6).
pub fn encode_masquerade(family: Family, m: &Masquerade) -> Vec<u8> {
    let f = Fields {
        addrs: None,
        ports: m.ports,
        flags: if m.random { RANDOM } else { 0 } | if m.random_fully { RANDOM_FULLY } else { 0 },
    };
    emit(masq_layout(family), &f)
}

/// Decodes a MASQUERADE revision 0 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, addresses or `--persistent` (MASQUERADE has neither),
/// unknown flags, a reversed range, or non-canonical bytes.
pub fn decode_masquerade(family: Family, info: &[u8]) -> Result<Masquerade, XtError> {
    let f = parse(MASQUERADE, masq_layout(family), family, info)?;
    if f.addrs.is_some() || f.flags & PERSISTENT != 0 {
        return Err(XtError::invalid(MASQUERADE, "addresses or --persistent"));
    }
    Ok(Masquerade {
        ports: f.ports,
        random: f.flags & RANDOM != 0,
        random_fully: f.flags & RANDOM_FULLY != 0,
    })
}

/// Encodes `-j REDIRECT` (revision 0, MASQUERADE's layout).
pub fn encode_redirect(family: Family, r: &Redirect) -> Vec<u8> {
    let f = Fields {
        addrs: None,
        ports: r.ports,
        flags: if r.random { RANDOM } else { 0 },
    };
    emit(masq_layout(family), &f)
}

/// Decodes a REDIRECT revision 0 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, addresses, `--persistent` or `--random-fully` (REDIRECT
/// takes neither), unknown flags, a reversed range, or non-canonical bytes.
pub fn decode_redirect(family: Family, info: &[u8]) -> Result<Redirect, XtError> {
    let f = parse(REDIRECT, masq_layout(family), family, info)?;
    if f.addrs.is_some() || f.flags & (PERSISTENT | RANDOM_FULLY) != 0 {
        return Err(XtError::invalid(
            REDIRECT,
            "addresses, --persistent or --random-fully",
        ));
    }
    Ok(Redirect {
        ports: f.ports,
        random: f.flags & RANDOM != 0,
    })
}
