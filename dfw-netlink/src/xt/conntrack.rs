//! `conntrack` match revision 3 (`struct xt_conntrack_mtinfo3`, 168 bytes), which also carries
//! `-m state` (match flags `STATE | STATE_ALIAS`).
//!
//! Contract: [`encode`] writes the blob libxt_conntrack builds; [`decode`] reads it back into a
//! [`CtMatch`]. Ports are in host order (revision 3), addresses in network order in 16-byte
//! `nf_inet_addr`s. The address mask follows libxt_conntrack: a full-length (host) address is
//! written with a mask of 16 bytes of `0xff` even for IPv4 (what `--ctorigdst 10.0.0.1` builds),
//! any shorter mask with only the family's bytes set. `iptables -C/-D` compare blobs byte for
//! byte, so this matters. [`decode`] also accepts the other host form libxt_conntrack builds
//! for an explicit `/32` (`ffffffff` and 12 zero bytes); that is the one blob that re-encodes
//! differently (to the canonical 16-byte mask).

use std::net::IpAddr;

use dfw_core::model::matches::{Conntrack, CtDirection, CtStates, CtStatus};
use dfw_core::model::{Family, Neg, Network, PortRange, Protocol};

use super::{check_len, put_u16, put_u32, u16_at, u32_at, XtError, INET_ADDR_LEN};

/// Extension name.
pub const NAME: &str = "conntrack";
/// Revision.
pub const REV: u32 = 3;
/// `XT_ALIGN(sizeof(struct xt_conntrack_mtinfo3))`.
pub const INFO_LEN: usize = 168;

const EXT: &str = "conntrack";

/// `XT_CONNTRACK_*` match/invert flag bits.
mod flag {
    pub const STATE: u16 = 0x1;
    pub const PROTO: u16 = 0x2;
    pub const ORIGSRC: u16 = 0x4;
    pub const ORIGDST: u16 = 0x8;
    pub const REPLSRC: u16 = 0x10;
    pub const REPLDST: u16 = 0x20;
    pub const STATUS: u16 = 0x40;
    pub const EXPIRES: u16 = 0x80;
    pub const ORIGSRC_PORT: u16 = 0x100;
    pub const ORIGDST_PORT: u16 = 0x200;
    pub const REPLSRC_PORT: u16 = 0x400;
    pub const REPLDST_PORT: u16 = 0x800;
    pub const DIRECTION: u16 = 0x1000;
    pub const STATE_ALIAS: u16 = 0x2000;
    pub const ALL: u16 = 0x3fff;
}

// Field offsets.
const ADDRS: usize = 0; // 4 x (addr, mask), 32 bytes each
const EXPIRES_MIN: usize = 128;
const EXPIRES_MAX: usize = 132;
const L4PROTO: usize = 136;
const PORTS_LOW: usize = 138; // 4 x u16
const MATCH_FLAGS: usize = 146;
const INVERT_FLAGS: usize = 148;
const STATE_MASK: usize = 150;
const STATUS_MASK: usize = 152;
const PORTS_HIGH: usize = 154; // 4 x u16

const ADDR_FLAGS: [u16; 4] = [flag::ORIGSRC, flag::ORIGDST, flag::REPLSRC, flag::REPLDST];
const PORT_FLAGS: [u16; 4] = [
    flag::ORIGSRC_PORT,
    flag::ORIGDST_PORT,
    flag::REPLSRC_PORT,
    flag::REPLDST_PORT,
];

/// What a conntrack revision 3 blob holds: `-m conntrack ...` or `-m state --state ...`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CtMatch {
    /// `-m conntrack`.
    Conntrack(Conntrack),
    /// `-m state`.
    State(Neg<CtStates>),
}

fn set(flags: &mut (u16, u16), bit: u16, negated: bool) {
    flags.0 |= bit;
    if negated {
        flags.1 |= bit;
    }
}

fn put_network(b: &mut [u8], slot: usize, net: &Network) {
    let off = ADDRS + slot * 2 * INET_ADDR_LEN;
    super::put_inet_addr(b, off, net.addr());
    let mask = &mut b[off + INET_ADDR_LEN..off + 2 * INET_ADDR_LEN];
    if net.is_host() {
        mask.fill(0xff);
    } else {
        match net.mask() {
            IpAddr::V4(m) => mask[..4].copy_from_slice(&m.octets()),
            IpAddr::V6(m) => mask.copy_from_slice(&m.octets()),
        }
    }
}

/// Encodes `-m conntrack ...` as libxt_conntrack revision 3 does.
pub fn encode(ct: &Conntrack) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let mut flags = (0u16, 0u16);
    if let Some(s) = &ct.state {
        set(&mut flags, flag::STATE, s.negated);
        put_u16(&mut b, STATE_MASK, s.value.bits());
    }
    if let Some(p) = &ct.proto {
        set(&mut flags, flag::PROTO, p.negated);
        put_u16(&mut b, L4PROTO, u16::from(p.value.number()));
    }
    for (slot, (_, addr)) in ct.addresses().into_iter().enumerate() {
        if let Some(a) = addr {
            set(&mut flags, ADDR_FLAGS[slot], a.negated);
            put_network(&mut b, slot, &a.value);
        }
    }
    for (slot, (_, port)) in ct.ports().into_iter().enumerate() {
        if let Some(p) = port {
            set(&mut flags, PORT_FLAGS[slot], p.negated);
            put_u16(&mut b, PORTS_LOW + 2 * slot, p.value.lo());
            put_u16(&mut b, PORTS_HIGH + 2 * slot, p.value.hi());
        }
    }
    if let Some(s) = &ct.status {
        set(&mut flags, flag::STATUS, s.negated);
        put_u16(&mut b, STATUS_MASK, s.value.bits());
    }
    if let Some(e) = &ct.expire {
        set(&mut flags, flag::EXPIRES, e.negated);
        put_u32(&mut b, EXPIRES_MIN, e.value.0);
        put_u32(&mut b, EXPIRES_MAX, e.value.1);
    }
    if let Some(d) = ct.direction {
        // libxt_conntrack: ORIGINAL sets the flag, REPLY sets it and inverts it.
        set(&mut flags, flag::DIRECTION, d == CtDirection::Reply);
    }
    put_u16(&mut b, MATCH_FLAGS, flags.0);
    put_u16(&mut b, INVERT_FLAGS, flags.1);
    b
}

/// Encodes `-m state --state ...` as libxt_state builds it (conntrack revision 3).
pub fn encode_state(state: &Neg<CtStates>) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    put_u16(&mut b, MATCH_FLAGS, flag::STATE | flag::STATE_ALIAS);
    put_u16(
        &mut b,
        INVERT_FLAGS,
        if state.negated { flag::STATE } else { 0 },
    );
    put_u16(&mut b, STATE_MASK, state.value.bits());
    b
}

/// Encodes a [`CtMatch`].
pub fn encode_match(m: &CtMatch) -> Vec<u8> {
    match m {
        CtMatch::Conntrack(ct) => encode(ct),
        CtMatch::State(s) => encode_state(s),
    }
}

fn read_network(b: &[u8], slot: usize, family: Family) -> Result<Network, XtError> {
    let off = ADDRS + slot * 2 * INET_ADDR_LEN;
    let len = family.addr_len();
    let addr = &b[off..off + INET_ADDR_LEN];
    let mask = &b[off + INET_ADDR_LEN..off + 2 * INET_ADDR_LEN];
    if addr[len..].iter().any(|&x| x != 0) {
        return Err(XtError::NonCanonical { ext: EXT });
    }
    let full_16 = mask.iter().all(|&x| x == 0xff);
    if !full_16 && mask[len..].iter().any(|&x| x != 0) {
        return Err(XtError::invalid(
            EXT,
            "address mask has bytes beyond the family",
        ));
    }
    let a = super::inet_addr_at(b, off, family);
    let m = if full_16 {
        super::inet_addr_at(&[0xff; 16], 0, family)
    } else {
        super::inet_addr_at(b, off + INET_ADDR_LEN, family)
    };
    let net = Network::with_mask(a, m).map_err(XtError::model(EXT))?;
    if net.addr() != a {
        return Err(XtError::invalid(EXT, "address has bits outside its mask"));
    }
    Ok(net)
}

/// Decodes a conntrack revision 3 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown flags, values the model cannot hold (`--ctproto 0`,
/// a reversed port or expiry range, a state alias with other options) or non-canonical bytes.
pub fn decode(family: Family, info: &[u8]) -> Result<CtMatch, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let mflags = u16_at(info, MATCH_FLAGS);
    let inv = u16_at(info, INVERT_FLAGS);
    if mflags & !flag::ALL != 0 || inv & !mflags != 0 || inv & flag::STATE_ALIAS != 0 {
        return Err(XtError::invalid(
            EXT,
            format!("flags {mflags:#x} / invert {inv:#x}"),
        ));
    }
    let neg = |bit: u16| inv & bit != 0;
    let has = |bit: u16| mflags & bit != 0;
    let state_bits = u16_at(info, STATE_MASK);
    let state = CtStates::from_bits(state_bits)
        .ok_or_else(|| XtError::invalid(EXT, format!("state mask {state_bits:#x}")))?;
    let decoded = if has(flag::STATE_ALIAS) {
        if mflags != flag::STATE | flag::STATE_ALIAS {
            return Err(XtError::invalid(
                EXT,
                "-m state with other conntrack options",
            ));
        }
        CtMatch::State(Neg::new(state, neg(flag::STATE)))
    } else {
        CtMatch::Conntrack(decode_conntrack(family, info, mflags, inv, state)?)
    };
    let canonical = encode_match(&decoded);
    if canonical != info && !is_slash32_variant(family, info, &canonical) {
        return Err(XtError::NonCanonical { ext: EXT });
    }
    Ok(decoded)
}

/// True when `info` differs from `canonical` only by host masks written as IPv4 `/32`
/// (`ffffffff` + 12 zero bytes), which libxt_conntrack builds for an explicit `/32`.
fn is_slash32_variant(family: Family, info: &[u8], canonical: &[u8]) -> bool {
    if family != Family::Ipv4 {
        return false;
    }
    let mut fixed = info.to_vec();
    for slot in 0..4 {
        let off = ADDRS + slot * 2 * INET_ADDR_LEN + INET_ADDR_LEN;
        let mask = &mut fixed[off..off + INET_ADDR_LEN];
        if mask[..4] == [0xff; 4] && mask[4..].iter().all(|&x| x == 0) {
            mask.fill(0xff);
        }
    }
    fixed == canonical
}

fn decode_conntrack(
    family: Family,
    info: &[u8],
    mflags: u16,
    inv: u16,
    state: CtStates,
) -> Result<Conntrack, XtError> {
    let neg = |bit: u16| inv & bit != 0;
    let has = |bit: u16| mflags & bit != 0;
    let mut ct = Conntrack::default();
    if has(flag::STATE) {
        ct.state = Some(Neg::new(state, neg(flag::STATE)));
    }
    if has(flag::PROTO) {
        let raw = u16_at(info, L4PROTO);
        let p = u8::try_from(raw)
            .ok()
            .and_then(Protocol::from_number)
            .ok_or_else(|| XtError::invalid(EXT, format!("--ctproto {raw}")))?;
        ct.proto = Some(Neg::new(p, neg(flag::PROTO)));
    }
    let mut nets = [None, None, None, None];
    for (slot, bit) in ADDR_FLAGS.into_iter().enumerate() {
        if has(bit) {
            nets[slot] = Some(Neg::new(read_network(info, slot, family)?, neg(bit)));
        }
    }
    let [a, b, c, d] = nets;
    (ct.orig_src, ct.orig_dst, ct.repl_src, ct.repl_dst) = (a, b, c, d);
    let mut ports = [None, None, None, None];
    for (slot, bit) in PORT_FLAGS.into_iter().enumerate() {
        if has(bit) {
            let lo = u16_at(info, PORTS_LOW + 2 * slot);
            let hi = u16_at(info, PORTS_HIGH + 2 * slot);
            let r = PortRange::new(lo, hi).map_err(XtError::model(EXT))?;
            ports[slot] = Some(Neg::new(r, neg(bit)));
        }
    }
    let [a, b, c, d] = ports;
    (
        ct.orig_src_port,
        ct.orig_dst_port,
        ct.repl_src_port,
        ct.repl_dst_port,
    ) = (a, b, c, d);
    if has(flag::STATUS) {
        let raw = u16_at(info, STATUS_MASK);
        let s = CtStatus::from_bits(raw)
            .ok_or_else(|| XtError::invalid(EXT, format!("status mask {raw:#x}")))?;
        ct.status = Some(Neg::new(s, neg(flag::STATUS)));
    }
    if has(flag::EXPIRES) {
        let (lo, hi) = (u32_at(info, EXPIRES_MIN), u32_at(info, EXPIRES_MAX));
        if lo > hi {
            return Err(XtError::invalid(EXT, format!("--ctexpire {lo}:{hi}")));
        }
        ct.expire = Some(Neg::new((lo, hi), neg(flag::EXPIRES)));
    }
    if has(flag::DIRECTION) {
        ct.direction = Some(if neg(flag::DIRECTION) {
            CtDirection::Reply
        } else {
            CtDirection::Original
        });
    }
    ct.check_family(family).map_err(XtError::model(EXT))?;
    Ok(ct)
}
