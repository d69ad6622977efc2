//! Options of the packet matches: `pkttype`, `mac`, `owner` (revision 1), `physdev`, `sctp`,
//! `ttl`, `hl`, `length`, `rt`.
//!
//! Contract: values are read as the 1.8.9 extensions read them. User and group names are not
//! resolved (no I/O here): `--uid-owner`/`--gid-owner` take numbers. `--chunk-types`,
//! `--rt-0-addrs` and `--rt-0-not-strict` are refused as unsupported.

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::values;
use crate::model::matches::{
    Length, MacAddr, Owner, Physdev, PktType, Rt, SctpMatch, Ttl, TtlOp, OWNER_ID_MAX,
};
use crate::model::{Iface, Neg};

/// `-m pkttype` options.
pub const PKTTYPE_OPTS: &[OptSpec] = &[opt("pkt-type", 1, 1, true)];
/// `-m mac` options.
pub const MAC_OPTS: &[OptSpec] = &[opt("mac-source", 1, 1, true)];
/// `-m owner` options.
pub const OWNER_OPTS: &[OptSpec] = &[
    opt("uid-owner", 1, 1, true),
    opt("gid-owner", 2, 1, true),
    opt("socket-exists", 3, 0, true),
    opt("suppl-groups", 4, 0, false),
];
/// `-m physdev` options.
pub const PHYSDEV_OPTS: &[OptSpec] = &[
    opt("physdev-in", 1, 1, true),
    opt("physdev-out", 2, 1, true),
    opt("physdev-is-in", 3, 0, true),
    opt("physdev-is-out", 4, 0, true),
    opt("physdev-is-bridged", 5, 0, true),
];
/// `-m sctp` options.
pub const SCTP_OPTS: &[OptSpec] = &[
    opt("sport", 1, 1, true),
    opt("source-port", 1, 1, true),
    opt("dport", 2, 1, true),
    opt("destination-port", 2, 1, true),
    opt("chunk-types", 3, 2, true),
];
/// `-m ttl` options (one comparison).
pub const TTL_OPTS: &[OptSpec] = &[
    opt("ttl-lt", 1, 1, false),
    opt("ttl-gt", 1, 1, false),
    opt("ttl-eq", 1, 1, true),
    opt("ttl", 1, 1, false),
];
/// `-m hl` options (one comparison).
pub const HL_OPTS: &[OptSpec] = &[
    opt("hl-lt", 1, 1, false),
    opt("hl-gt", 1, 1, false),
    opt("hl-eq", 1, 1, true),
    opt("hl", 1, 1, false),
];
/// `-m length` options.
pub const LENGTH_OPTS: &[OptSpec] = &[opt("length", 1, 1, true)];
/// `-m rt` options.
pub const RT_OPTS: &[OptSpec] = &[
    opt("rt-type", 1, 1, true),
    opt("rt-segsleft", 2, 1, true),
    opt("rt-len", 3, 1, true),
    opt("rt-0-res", 4, 0, false),
    opt("rt-0-addrs", 5, 1, false),
    opt("rt-0-not-strict", 6, 0, false),
];

fn bad(what: &str) -> ArgErr {
    (0, ErrorKind::BadValue(what.into()))
}

/// `--pkt-type NAME` (case-insensitive).
///
/// # Errors
/// An unknown packet type.
pub fn pkttype_set(m: &mut Option<Neg<PktType>>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let t = PktType::NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(call.arg()))
        .map(|(_, t)| *t)
        .ok_or_else(|| bad("unicast, broadcast, multicast or otherhost"))?;
    *m = Some(call.neg(t));
    Ok(())
}

/// `--mac-source XX:XX:XX:XX:XX:XX` (one or two hex digits each).
///
/// # Errors
/// Anything else.
pub fn mac_set(m: &mut Option<Neg<MacAddr>>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let parts: Vec<&str> = call.arg().split(':').collect();
    let mut b = [0u8; 6];
    let ok = parts.len() == 6
        && parts.iter().zip(b.iter_mut()).all(|(p, out)| {
            (1..=2).contains(&p.len()) && u8::from_str_radix(p, 16).map(|v| *out = v).is_ok()
        });
    if !ok {
        return Err(bad("a MAC address XX:XX:XX:XX:XX:XX"));
    }
    *m = Some(call.neg(MacAddr(b)));
    Ok(())
}

/// `a`, `a-b` or `a:b`, each 0 to 4294967294 (`owner_parse_range`).
fn id_range(text: &str) -> Result<(u32, u32), ArgErr> {
    let num = |t: &str| values::strtoui(t, u64::from(OWNER_ID_MAX)).map(|n| n as u32);
    let (lo, hi) = match text.split_once(['-', ':']) {
        Some((a, b)) => (num(a), num(b)),
        None => (num(text), num(text)),
    };
    match (lo, hi) {
        (Some(lo), Some(hi)) => Ok((lo, hi)),
        _ if text.chars().any(|c| c.is_ascii_alphabetic() || c == '_') => Err((
            0,
            ErrorKind::Unsupported("user and group names (dfw reads no /etc/passwd): give the id"),
        )),
        _ => Err(bad("an id or id range, 0-4294967294")),
    }
}

/// Applies an `-m owner` option.
///
/// # Errors
/// A bad id, a name, `--suppl-groups` before `--gid-owner`.
pub fn owner_set(m: &mut Owner, call: &OptCall<'_>) -> Result<(), ArgErr> {
    match call.spec.id {
        1 => {
            let (lo, hi) = id_range(call.arg())?;
            m.uid = Some((lo, hi, call.invert));
        }
        2 => {
            let (lo, hi) = id_range(call.arg())?;
            m.gid = Some((lo, hi, call.invert));
        }
        3 => m.socket_exists = Some(call.invert),
        _ if m.gid.is_none() => {
            return Err((
                usize::MAX,
                ErrorKind::BadValue("--gid-owner before --suppl-groups".into()),
            ))
        }
        _ => m.suppl_groups = true,
    }
    Ok(())
}

/// Applies an `-m physdev` option.
///
/// # Errors
/// A bad interface name.
pub fn physdev_set(m: &mut Physdev, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let dev = || -> Result<(Iface, bool), ArgErr> {
        let i = Iface::parse(call.arg()).map_err(|e| (0, ErrorKind::Model(e)))?;
        Ok((i, call.invert))
    };
    match call.spec.id {
        1 => m.in_dev = Some(dev()?),
        2 => m.out_dev = Some(dev()?),
        3 => m.is_in = Some(call.invert),
        4 => m.is_out = Some(call.invert),
        _ => m.is_bridged = Some(call.invert),
    }
    Ok(())
}

/// Applies an `-m sctp` option (ports; `0:65535` is kept, as libxt_sctp keeps it).
///
/// # Errors
/// A bad port range; `--chunk-types` is unsupported.
pub fn sctp_set(m: &mut SctpMatch, call: &OptCall<'_>) -> Result<(), ArgErr> {
    if call.spec.id == 3 {
        return Err((usize::MAX, ErrorKind::Unsupported("sctp --chunk-types")));
    }
    let r = values::port_range(call.arg()).map_err(|e| (0, e))?;
    if call.spec.id == 1 {
        m.sport = Some(call.neg(r));
    } else {
        m.dport = Some(call.neg(r));
    }
    Ok(())
}

/// Applies an `-m ttl` / `-m hl` option.
///
/// # Errors
/// A value outside 0-255.
pub fn ttl_set(m: &mut Option<Ttl>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let value = values::strtoui(call.arg(), 255).ok_or_else(|| bad("a number 0-255"))? as u8;
    let name = call.spec.name;
    let op = if name.ends_with("-lt") {
        TtlOp::Lt
    } else if name.ends_with("-gt") {
        TtlOp::Gt
    } else if call.invert {
        TtlOp::Ne
    } else {
        TtlOp::Eq
    };
    *m = Some(Ttl { op, value });
    Ok(())
}

/// `a`, `a:b`, `:b` or `a:` of numbers up to `max` (`xtopt_parse_mint`); `a` alone is `a:a`.
fn num_range(text: &str, max: u64) -> Option<(u64, u64)> {
    let num = |t: &str, dflt: u64| {
        if t.is_empty() {
            Some(dflt)
        } else {
            values::strtoui(t, max)
        }
    };
    match text.split_once(':') {
        None => values::strtoui(text, max).map(|n| (n, n)),
        Some((a, b)) if !b.contains(':') => Some((num(a, 0)?, num(b, max)?)),
        Some(_) => None,
    }
}

/// `--length a[:b]`.
///
/// # Errors
/// A bad range.
pub fn length_set(m: &mut Option<Neg<Length>>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let (min, max) = num_range(call.arg(), u64::from(u16::MAX))
        .ok_or_else(|| bad("a length or range a:b, 0-65535"))?;
    *m = Some(call.neg(Length {
        min: min as u16,
        max: max as u16,
    }));
    Ok(())
}

/// Applies an `-m rt` option.
///
/// # Errors
/// A bad number, `--rt-0-res` without `--rt-type 0`; the address options are unsupported.
pub fn rt_set(m: &mut Rt, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let max = u64::from(u32::MAX);
    let num = || {
        values::strtoui(call.arg(), max)
            .map(|n| n as u32)
            .ok_or_else(|| bad("a number 0-4294967295"))
    };
    match call.spec.id {
        1 => m.rt_type = Some((num()?, call.invert)),
        2 => {
            let (lo, hi) =
                num_range(call.arg(), max).ok_or_else(|| bad("a number or range a:b"))?;
            m.segsleft = Some((lo as u32, hi as u32, call.invert));
        }
        3 => m.len = Some((num()?, call.invert)),
        4 if m.rt_type == Some((0, false)) => m.res0 = true,
        4 => {
            return Err((
                usize::MAX,
                ErrorKind::BadValue("--rt-type 0 before --rt-0-res".into()),
            ))
        }
        _ => {
            return Err((
                usize::MAX,
                ErrorKind::Unsupported("--rt-0-addrs and --rt-0-not-strict"),
            ))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_ids() {
        assert_eq!(num_range("5", 100), Some((5, 5)));
        assert_eq!(num_range(":7", 100), Some((0, 7)));
        assert_eq!(num_range("7:", 100), Some((7, 100)));
        assert_eq!(num_range("1:2:3", 100), None);
        assert_eq!(id_range("1000-2000"), Ok((1000, 2000)));
        assert_eq!(id_range("7"), Ok((7, 7)));
        assert!(matches!(
            id_range("root"),
            Err((0, ErrorKind::Unsupported(_)))
        ));
        assert!(id_range("4294967295").is_err());
    }
}
