//! `recent` match revision 1 (`struct xt_recent_mtinfo_v1`, 232 bytes) and `connlimit`
//! revision 1 (`struct xt_connlimit_info`, 32 bytes).
//!
//! recent: `u32 seconds, hit_count; u8 check_set, invert; char name[200]; u8 side;` then
//! `nf_inet_addr mask` at 212. libxt_recent starts the name as `DEFAULT` and copies the given
//! name over it with its NUL, so a shorter name leaves the rest of `DEFAULT` after the NUL
//! (`X\0FAULT`); [`encode_recent`] writes exactly that, since `iptables -C` compares the bytes.
//!
//! connlimit: `nf_inet_addr mask; u32 limit, flags;` (flags: INVERT 1 = `--connlimit-upto`,
//! DADDR 2), then a kernel pointer dumped as zeros.
//!
//! The IPv4 mask of both fills the first 4 bytes of the 16-byte `nf_inet_addr`. Without
//! `--mask`/`--connlimit-mask`, libxt_recent and libxt_connlimit leave the other 12 bytes at
//! their initial 0xff; with the option (which iptables-save always prints) they are zero. dfw
//! writes the second form, what iptables writes for the printed text, so `iptables -C` with
//! that text finds dfw's rule; both forms decode to the same match (the one documented
//! exception, with conntrack's mask, to re-encoding exactly).

use std::net::IpAddr;

use dfw_core::model::matches::{ConnLimit, Recent, RecentCmd};
use dfw_core::model::Family;

use super::{check_len, inet_addr_at, put_inet_addr, put_u32, u32_at, XtError};

/// `recent` extension name.
pub const RECENT: &str = "recent";
/// `recent` revision.
pub const RECENT_REV: u32 = 1;
/// `XT_ALIGN(sizeof(struct xt_recent_mtinfo_v1))`.
pub const RECENT_LEN: usize = 232;
/// `connlimit` extension name.
pub const CONNLIMIT: &str = "connlimit";
/// `connlimit` revision.
pub const CONNLIMIT_REV: u32 = 1;
/// `XT_ALIGN(sizeof(struct xt_connlimit_info))`.
pub const CONNLIMIT_LEN: usize = 32;

const NAME_OFF: usize = 10;
const NAME_LEN: usize = 200;
const SIDE: usize = 210;
const MASK: usize = 212;
const TTL: u8 = 0x10;
const REAP: u8 = 0x20;
const CMDS: [RecentCmd; 4] = [
    RecentCmd::Check,
    RecentCmd::Set,
    RecentCmd::Update,
    RecentCmd::Remove,
];

/// Encodes `-m recent` as libxt_recent fills the struct.
pub fn encode_recent(r: &Recent) -> Vec<u8> {
    let mut b = vec![0u8; RECENT_LEN];
    put_u32(&mut b, 0, r.seconds);
    put_u32(&mut b, 4, r.hitcount);
    b[8] = r.cmd().bit() | if r.rttl { TTL } else { 0 } | if r.reap { REAP } else { 0 };
    b[9] = u8::from(r.invert());
    b[NAME_OFF..NAME_OFF + 7].copy_from_slice(b"DEFAULT");
    let name = r.name().as_bytes();
    b[NAME_OFF..NAME_OFF + name.len()].copy_from_slice(name);
    b[NAME_OFF + name.len()] = 0;
    b[SIDE] = u8::from(r.dest);
    put_inet_addr(&mut b, MASK, r.mask);
    b
}

/// Decodes a recent revision 1 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, not exactly one command, unknown bits, a bad name or side,
/// or bytes other than libxt_recent writes.
pub fn decode_recent(family: Family, info: &[u8]) -> Result<Recent, XtError> {
    check_len(RECENT, info, RECENT_LEN)?;
    let bits = info[8];
    let cmds: Vec<RecentCmd> = CMDS.into_iter().filter(|c| bits & c.bit() != 0).collect();
    let [cmd] = cmds[..] else {
        return Err(XtError::invalid(RECENT, format!("check_set {bits:#x}")));
    };
    if bits & !(0x0f | TTL | REAP) != 0 || info[9] > 1 || info[SIDE] > 1 {
        return Err(XtError::invalid(RECENT, "unknown bits, invert or side"));
    }
    let field = &info[NAME_OFF..NAME_OFF + NAME_LEN];
    let nul = field
        .iter()
        .position(|&c| c == 0)
        .ok_or_else(|| XtError::invalid(RECENT, "name is not NUL-terminated"))?;
    let name = std::str::from_utf8(&field[..nul])
        .map_err(|_| XtError::invalid(RECENT, "name is not UTF-8"))?;
    let mut r = Recent::new(cmd, info[9] == 1, name, family).map_err(XtError::model(RECENT))?;
    r.seconds = u32_at(info, 0);
    r.hitcount = u32_at(info, 4);
    r.rttl = bits & TTL != 0;
    r.reap = bits & REAP != 0;
    r.dest = info[SIDE] == 1;
    r.mask = inet_addr_at(info, MASK, family);
    r.check_family(family).map_err(XtError::model(RECENT))?;
    let explicit = encode_recent(&r);
    if info != explicit.as_slice() && info != with_default_tail(family, &explicit, MASK).as_slice()
    {
        return Err(XtError::NonCanonical { ext: RECENT });
    }
    Ok(r)
}

const INVERT: u32 = 1;
const DADDR: u32 = 2;

fn prefix_mask(family: Family, prefix: u8) -> IpAddr {
    let bits = u32::from(family.addr_bits());
    let ones = |n: u32| -> u128 {
        match n {
            0 => 0,
            n => u128::MAX << (128 - n),
        }
    };
    match family {
        Family::Ipv4 => {
            IpAddr::from(((ones(u32::from(prefix).min(bits)) >> 96) as u32).to_be_bytes())
        }
        Family::Ipv6 => IpAddr::from(ones(u32::from(prefix)).to_be_bytes()),
    }
}

/// The other form of an IPv4 all-ones mask at `off`: the 12 bytes after it 0xff, as iptables
/// leaves them when the option is not given.
fn with_default_tail(family: Family, explicit: &[u8], off: usize) -> Vec<u8> {
    let mut d = explicit.to_vec();
    if family == Family::Ipv4 && d[off..off + 4] == [0xff; 4] {
        d[off + 4..off + 16].fill(0xff);
    }
    d
}

/// Encodes `-m connlimit` for `family`.
pub fn encode_connlimit(family: Family, c: &ConnLimit) -> Vec<u8> {
    let mut b = vec![0u8; CONNLIMIT_LEN];
    put_inet_addr(&mut b, 0, prefix_mask(family, c.prefix));
    put_u32(&mut b, 16, c.limit);
    put_u32(
        &mut b,
        20,
        if c.upto { INVERT } else { 0 } | if c.daddr { DADDR } else { 0 },
    );
    b
}

/// Decodes a connlimit revision 1 blob of `family`.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown flags, a mask that is not a prefix, or other bytes
/// than libxt_connlimit writes.
pub fn decode_connlimit(family: Family, info: &[u8]) -> Result<ConnLimit, XtError> {
    check_len(CONNLIMIT, info, CONNLIMIT_LEN)?;
    let flags = u32_at(info, 20);
    if flags & !(INVERT | DADDR) != 0 {
        return Err(XtError::invalid(CONNLIMIT, format!("flags {flags:#x}")));
    }
    let len = family.addr_len();
    let ones = info[..len].iter().map(|b| b.leading_ones()).sum::<u32>();
    let c = ConnLimit {
        limit: u32_at(info, 16),
        upto: flags & INVERT != 0,
        prefix: ones as u8,
        daddr: flags & DADDR != 0,
    };
    let explicit = encode_connlimit(family, &c);
    if info != explicit.as_slice() && info != with_default_tail(family, &explicit, 0).as_slice() {
        return Err(XtError::NonCanonical { ext: CONNLIMIT });
    }
    Ok(c)
}
