//! `owner` match revision 1 (`struct xt_owner_match_info { u32 uid_min, uid_max, gid_min,
//! gid_max; u8 match, invert; }`, 24 bytes) and `physdev` revision 0
//! (`struct xt_physdev_info { char physindev[16], in_mask[16], physoutdev[16], out_mask[16];
//! u8 invert, bitmask; }`, 72 bytes). Interface names keep a trailing `+`; the mask covers the
//! name and its NUL (exact) or the name before the `+` (wildcard), as
//! `xtables_parse_interface` writes it.

use dfw_core::model::matches::{Owner, Physdev, OWNER_ID_MAX};
use dfw_core::model::Iface;

use super::{check_canonical, check_len, fixed_str, put_u32, u32_at, XtError};

/// `owner` extension name.
pub const OWNER: &str = "owner";
/// `owner` revision.
pub const OWNER_REV: u32 = 1;
/// `physdev` extension name.
pub const PHYSDEV: &str = "physdev";
/// `physdev` revision.
pub const PHYSDEV_REV: u32 = 0;

const UID: u8 = 1;
const GID: u8 = 2;
const SOCKET: u8 = 4;
const SUPPL: u8 = 8;

/// Encodes `-m owner`.
pub fn encode_owner(o: &Owner) -> Vec<u8> {
    let mut b = vec![0u8; 24];
    let (mut m, mut inv) = (0u8, 0u8);
    if let Some((lo, hi, neg)) = o.uid {
        put_u32(&mut b, 0, lo);
        put_u32(&mut b, 4, hi);
        m |= UID;
        inv |= if neg { UID } else { 0 };
    }
    if let Some((lo, hi, neg)) = o.gid {
        put_u32(&mut b, 8, lo);
        put_u32(&mut b, 12, hi);
        m |= GID;
        inv |= if neg { GID } else { 0 };
    }
    if let Some(neg) = o.socket_exists {
        m |= SOCKET;
        inv |= if neg { SOCKET } else { 0 };
    }
    if o.suppl_groups {
        m |= SUPPL;
    }
    b[16] = m;
    b[17] = inv;
    b
}

/// Decodes an owner revision 1 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown bits, an inverted `--suppl-groups`, ranges the model
/// refuses, or bytes libxt_owner does not write.
pub fn decode_owner(info: &[u8]) -> Result<Owner, XtError> {
    check_len(OWNER, info, 24)?;
    let (m, inv) = (info[16], info[17]);
    if m & !(UID | GID | SOCKET | SUPPL) != 0 || inv & !m != 0 || inv & SUPPL != 0 {
        return Err(XtError::invalid(
            OWNER,
            format!("match {m:#x} invert {inv:#x}"),
        ));
    }
    let range = |bit: u8, off: usize| {
        (m & bit != 0).then(|| (u32_at(info, off), u32_at(info, off + 4), inv & bit != 0))
    };
    let o = Owner {
        socket_exists: (m & SOCKET != 0).then_some(inv & SOCKET != 0),
        uid: range(UID, 0),
        gid: range(GID, 8),
        suppl_groups: m & SUPPL != 0,
    };
    o.check().map_err(XtError::model(OWNER))?;
    if [o.uid, o.gid]
        .into_iter()
        .flatten()
        .any(|(_, hi, _)| hi > OWNER_ID_MAX)
    {
        return Err(XtError::invalid(OWNER, "id above 4294967294"));
    }
    check_canonical(OWNER, info, &encode_owner(&o))?;
    Ok(o)
}

const IN: u8 = 0x01;
const OUT: u8 = 0x02;
const BRIDGED: u8 = 0x04;
const ISIN: u8 = 0x08;
const ISOUT: u8 = 0x10;

fn put_iface(b: &mut [u8], name_off: usize, mask_off: usize, i: &Iface) {
    let text = i.to_string();
    b[name_off..name_off + text.len()].copy_from_slice(text.as_bytes());
    let n = if i.is_wildcard() {
        i.name().len()
    } else {
        i.name().len() + 1
    };
    b[mask_off..mask_off + n].fill(0xff);
}

/// Encodes `-m physdev`.
pub fn encode_physdev(p: &Physdev) -> Vec<u8> {
    let mut b = vec![0u8; 72];
    let (mut bits, mut inv) = (0u8, 0u8);
    let mut flag = |set: Option<bool>, bit: u8| {
        if let Some(neg) = set {
            bits |= bit;
            inv |= if neg { bit } else { 0 };
        }
    };
    flag(p.in_dev.as_ref().map(|d| d.1), IN);
    flag(p.out_dev.as_ref().map(|d| d.1), OUT);
    flag(p.is_bridged, BRIDGED);
    flag(p.is_in, ISIN);
    flag(p.is_out, ISOUT);
    if let Some((i, _)) = &p.in_dev {
        put_iface(&mut b, 0, 16, i);
    }
    if let Some((i, _)) = &p.out_dev {
        put_iface(&mut b, 32, 48, i);
    }
    b[64] = inv;
    b[65] = bits;
    b
}

/// Decodes a physdev revision 0 blob.
///
/// # Errors
/// [`XtError`] for a wrong length, unknown bits, a bad interface name, or bytes other than
/// libxt_physdev writes (a mask that does not fit the name).
pub fn decode_physdev(info: &[u8]) -> Result<Physdev, XtError> {
    check_len(PHYSDEV, info, 72)?;
    let (inv, bits) = (info[64], info[65]);
    if bits & !0x1f != 0 || inv & !bits != 0 {
        return Err(XtError::invalid(
            PHYSDEV,
            format!("bitmask {bits:#x} invert {inv:#x}"),
        ));
    }
    let dev = |bit: u8, off: usize| -> Result<Option<(Iface, bool)>, XtError> {
        if bits & bit == 0 {
            return Ok(None);
        }
        let name = fixed_str(PHYSDEV, &info[off..off + 16])?;
        let i = Iface::parse(&name).map_err(XtError::model(PHYSDEV))?;
        Ok(Some((i, inv & bit != 0)))
    };
    let flag = |bit: u8| (bits & bit != 0).then_some(inv & bit != 0);
    let p = Physdev {
        in_dev: dev(IN, 0)?,
        out_dev: dev(OUT, 32)?,
        is_in: flag(ISIN),
        is_out: flag(ISOUT),
        is_bridged: flag(BRIDGED),
    };
    check_canonical(PHYSDEV, info, &encode_physdev(&p))?;
    Ok(p)
}
