//! Set and map elements as nft prints them: single values, intervals as prefixes or ranges
//! (an rbtree set holds start elements and end elements, the end being last + 1), map data
//! after ` : `. Anonymous sets print sorted by value, named ones in the kernel's order.

use super::types::{value, Ty};
use super::verdict;
use crate::native::{Data, Set, SetElem};

/// `b - 1` as big-endian bytes (wrapping).
fn minus_one(b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    for x in v.iter_mut().rev() {
        let (n, borrow) = x.overflowing_sub(1);
        *x = n;
        if !borrow {
            break;
        }
    }
    v
}

/// `lo-hi` as a prefix when it is one.
fn interval(ty: Ty, lo: &[u8], hi: &[u8]) -> String {
    if lo == hi {
        return value(ty, lo);
    }
    let num = |b: &[u8]| b.iter().fold(0u128, |a, &x| (a << 8) | u128::from(x));
    let (l, h) = (num(lo), num(hi));
    let host = l ^ h;
    let bits = (lo.len() * 8) as u32;
    let is_prefix =
        lo.len() <= 16 && host & host.wrapping_add(1) == 0 && l & host == 0 && h == l | host;
    if is_prefix && matches!(ty, Ty::Ipv4 | Ty::Ipv6) {
        format!("{}/{}", value(ty, lo), bits - host.count_ones())
    } else {
        format!("{}-{}", value(ty, lo), value(ty, hi))
    }
}

fn data_text(d: &Option<Data>, ty: Ty) -> String {
    match d {
        None => String::new(),
        Some(Data::Verdict(v)) => format!(" : {}", verdict(v)),
        Some(Data::Value(v)) => format!(" : {}", value(ty, v)),
    }
}

/// The elements of `s` (keys of type `ty`) as nft prints them, one string each.
pub(crate) fn elements(s: &Set, ty: Ty) -> Vec<String> {
    let klen = s.key_len as usize;
    let dty = Ty::from_id(s.data_type.unwrap_or(0));
    let key = |e: &SetElem| e.key.get(..klen).unwrap_or(&e.key).to_vec();
    let mut elems: Vec<&SetElem> = s.elems.iter().collect();
    // nft sorts elements as numbers: host-endian types (names, marks) compare from their
    // last byte, network-order ones (addresses, ports) from their first.
    let host_order = matches!(
        ty,
        Ty::Ifname | Ty::Mark | Ty::Integer | Ty::CtState | Ty::CtStatus
    );
    let order = |e: &SetElem| {
        let mut k = key(e);
        if host_order {
            k.reverse();
        }
        k
    };
    elems.sort_by(|a, b| {
        order(a)
            .cmp(&order(b))
            .then(b.interval_end.cmp(&a.interval_end))
    });
    let mut out = Vec::new();
    let mut i = 0;
    while i < elems.len() {
        let e = elems[i];
        i += 1;
        if e.catchall {
            out.push(format!("*{}", data_text(&e.data, dty)));
            continue;
        }
        if let Some(end) = &e.key_end {
            out.push(format!(
                "{}{}",
                interval(ty, &key(e), end),
                data_text(&e.data, dty)
            ));
            continue;
        }
        if !s.flags.has(crate::native::SetFlags::INTERVAL) {
            out.push(format!("{}{}", value(ty, &key(e)), data_text(&e.data, dty)));
            continue;
        }
        if e.interval_end {
            continue;
        }
        let hi = match elems.get(i) {
            Some(n) if n.interval_end => {
                i += 1;
                minus_one(&key(n))
            }
            _ => vec![0xff; klen],
        };
        out.push(format!(
            "{}{}",
            interval(ty, &key(e), &hi),
            data_text(&e.data, dty)
        ));
    }
    out
}
