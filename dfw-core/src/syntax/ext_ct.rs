//! Options of the `conntrack` match (revision 3) and of its `state` alias.
//!
//! Contract: state and status names are read case-insensitively as prefixes, in
//! libxt_conntrack's order; addresses take an optional prefix length; ports and expiry
//! accept ranges `a:b`, `:b` and `a:`.

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::values;
use crate::model::matches::{Conntrack, CtDirection, CtStates, CtStatus};
use crate::model::Neg;

const STATE: u8 = 1;
const PROTO: u8 = 2;
const ORIGSRC: u8 = 3;
const ORIGDST: u8 = 4;
const REPLSRC: u8 = 5;
const REPLDST: u8 = 6;
const STATUS: u8 = 7;
const EXPIRE: u8 = 8;
const ORIGSRCPORT: u8 = 9;
const ORIGDSTPORT: u8 = 10;
const REPLSRCPORT: u8 = 11;
const REPLDSTPORT: u8 = 12;
const DIR: u8 = 13;

/// `-m conntrack` options.
pub const CONNTRACK_OPTS: &[OptSpec] = &[
    opt("ctstate", STATE, 1, true),
    opt("ctproto", PROTO, 1, true),
    opt("ctorigsrc", ORIGSRC, 1, true),
    opt("ctorigdst", ORIGDST, 1, true),
    opt("ctreplsrc", REPLSRC, 1, true),
    opt("ctrepldst", REPLDST, 1, true),
    opt("ctstatus", STATUS, 1, true),
    opt("ctexpire", EXPIRE, 1, true),
    opt("ctorigsrcport", ORIGSRCPORT, 1, true),
    opt("ctorigdstport", ORIGDSTPORT, 1, true),
    opt("ctreplsrcport", REPLSRCPORT, 1, true),
    opt("ctrepldstport", REPLDSTPORT, 1, true),
    opt("ctdir", DIR, 1, false),
];

/// `-m state` options.
pub const STATE_OPTS: &[OptSpec] = &[opt("state", STATE, 1, true)];

/// State names in the order libxt_conntrack tries them.
const STATE_PARSE: [(CtStates, &str); 7] = [
    (CtStates::INVALID, "INVALID"),
    (CtStates::NEW, "NEW"),
    (CtStates::ESTABLISHED, "ESTABLISHED"),
    (CtStates::RELATED, "RELATED"),
    (CtStates::UNTRACKED, "UNTRACKED"),
    (CtStates::SNAT, "SNAT"),
    (CtStates::DNAT, "DNAT"),
];

const STATUS_PARSE: [(CtStatus, &str); 5] = [
    (CtStatus::empty(), "NONE"),
    (CtStatus::EXPECTED, "EXPECTED"),
    (CtStatus::SEEN_REPLY, "SEEN_REPLY"),
    (CtStatus::ASSURED, "ASSURED"),
    (CtStatus::CONFIRMED, "CONFIRMED"),
];

fn states(text: &str, table: &[(CtStates, &'static str)]) -> Result<CtStates, ArgErr> {
    let list = values::name_list(text, table, "connection states such as NEW,ESTABLISHED")
        .map_err(|e| (0, e))?;
    Ok(list.into_iter().fold(CtStates::empty(), |a, s| a | s))
}

fn expire(text: &str) -> Result<(u32, u32), ErrorKind> {
    let num = |t: &str, dflt: u32| -> Result<u32, ErrorKind> {
        if t.is_empty() {
            return Ok(dflt);
        }
        values::strtoui(t, u32::MAX as u64)
            .map(|n| n as u32)
            .ok_or_else(|| ErrorKind::BadValue("seconds as min[:max]".into()))
    };
    let (lo, hi) = match text.split_once(':') {
        None => {
            let v = num(text, 0)?;
            if text.is_empty() {
                return Err(ErrorKind::BadValue("seconds as min[:max]".into()));
            }
            (v, v)
        }
        Some((a, b)) => (num(a, 0)?, num(b, u32::MAX)?),
    };
    if lo > hi {
        return Err(ErrorKind::ReversedRange);
    }
    Ok((lo, hi))
}

/// Applies a `-m conntrack` option.
///
/// # Errors
/// A bad state, protocol, address, port or expiry.
pub fn conntrack_set(m: &mut Conntrack, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let arg = call.arg();
    let e0 = |e| (0, e);
    let net = || {
        values::ct_network(call.family, arg)
            .map(|n| call.neg(n))
            .map_err(e0)
    };
    let port = || values::port_range(arg).map(|p| call.neg(p)).map_err(e0);
    match call.spec.id {
        STATE => m.state = Some(call.neg(states(arg, &STATE_PARSE)?)),
        PROTO => match values::protocol(arg).map_err(e0)? {
            Some(p) => m.proto = Some(call.neg(p)),
            None => return Err((0, ErrorKind::Unsupported("--ctproto all (protocol 0)"))),
        },
        ORIGSRC => m.orig_src = Some(net()?),
        ORIGDST => m.orig_dst = Some(net()?),
        REPLSRC => m.repl_src = Some(net()?),
        REPLDST => m.repl_dst = Some(net()?),
        ORIGSRCPORT => m.orig_src_port = Some(port()?),
        ORIGDSTPORT => m.orig_dst_port = Some(port()?),
        REPLSRCPORT => m.repl_src_port = Some(port()?),
        REPLDSTPORT => m.repl_dst_port = Some(port()?),
        STATUS => {
            let list =
                values::name_list(arg, &STATUS_PARSE, "statuses such as ASSURED").map_err(e0)?;
            let s = list.into_iter().fold(CtStatus::empty(), |a, s| a | s);
            m.status = Some(call.neg(s));
        }
        EXPIRE => m.expire = Some(call.neg(expire(arg).map_err(e0)?)),
        _ => {
            m.direction = Some(if arg.eq_ignore_ascii_case("ORIGINAL") {
                CtDirection::Original
            } else if arg.eq_ignore_ascii_case("REPLY") {
                CtDirection::Reply
            } else {
                return Err((0, ErrorKind::BadValue("ORIGINAL or REPLY".into())));
            })
        }
    }
    Ok(())
}

/// Applies `-m state --state`.
///
/// # Errors
/// A bad state list.
pub fn state_set(m: &mut Option<Neg<CtStates>>, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let s = states(call.arg(), &STATE_PARSE[..5])?;
    *m = Some(Neg::new(s, call.invert));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_ranges() {
        assert_eq!(expire("10"), Ok((10, 10)));
        assert_eq!(expire("10:20"), Ok((10, 20)));
        assert_eq!(expire(":20"), Ok((0, 20)));
        assert_eq!(expire("5:"), Ok((5, u32::MAX)));
        assert_eq!(expire("20:10"), Err(ErrorKind::ReversedRange));
        assert!(expire("").is_err());
    }

    #[test]
    fn state_prefixes() {
        assert_eq!(
            states("rel,EST", &STATE_PARSE).unwrap(),
            CtStates::RELATED | CtStates::ESTABLISHED
        );
        assert!(states("SNAT", &STATE_PARSE[..5]).is_err());
    }
}
