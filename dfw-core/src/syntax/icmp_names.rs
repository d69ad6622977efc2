//! ICMP and ICMPv6 type names as libxt_icmp.h lists them, and the `--icmp-type` /
//! `--icmpv6-type` value parser.
//!
//! Contract: a name matches case-insensitively as a prefix of exactly one entry (iptables
//! refuses ambiguous prefixes); numbers are `TYPE` or `TYPE/CODE`. Type 255 is `any`.

use super::error::ErrorKind;
use super::values::strtoui;
use crate::model::matches::IcmpType;

/// `(name, type, code_min, code_max)`.
type Entry = (&'static str, u8, u8, u8);

const ICMP: &[Entry] = &[
    ("any", 0xFF, 0, 0xFF),
    ("echo-reply", 0, 0, 0xFF),
    ("pong", 0, 0, 0xFF),
    ("destination-unreachable", 3, 0, 0xFF),
    ("network-unreachable", 3, 0, 0),
    ("host-unreachable", 3, 1, 1),
    ("protocol-unreachable", 3, 2, 2),
    ("port-unreachable", 3, 3, 3),
    ("fragmentation-needed", 3, 4, 4),
    ("source-route-failed", 3, 5, 5),
    ("network-unknown", 3, 6, 6),
    ("host-unknown", 3, 7, 7),
    ("network-prohibited", 3, 9, 9),
    ("host-prohibited", 3, 10, 10),
    ("TOS-network-unreachable", 3, 11, 11),
    ("TOS-host-unreachable", 3, 12, 12),
    ("communication-prohibited", 3, 13, 13),
    ("host-precedence-violation", 3, 14, 14),
    ("precedence-cutoff", 3, 15, 15),
    ("source-quench", 4, 0, 0xFF),
    ("redirect", 5, 0, 0xFF),
    ("network-redirect", 5, 0, 0),
    ("host-redirect", 5, 1, 1),
    ("TOS-network-redirect", 5, 2, 2),
    ("TOS-host-redirect", 5, 3, 3),
    ("echo-request", 8, 0, 0xFF),
    ("ping", 8, 0, 0xFF),
    ("router-advertisement", 9, 0, 0xFF),
    ("router-solicitation", 10, 0, 0xFF),
    ("time-exceeded", 11, 0, 0xFF),
    ("ttl-exceeded", 11, 0, 0xFF),
    ("ttl-zero-during-transit", 11, 0, 0),
    ("ttl-zero-during-reassembly", 11, 1, 1),
    ("parameter-problem", 12, 0, 0xFF),
    ("ip-header-bad", 12, 0, 0),
    ("required-option-missing", 12, 1, 1),
    ("timestamp-request", 13, 0, 0xFF),
    ("timestamp-reply", 14, 0, 0xFF),
    ("address-mask-request", 17, 0, 0xFF),
    ("address-mask-reply", 18, 0, 0xFF),
];

const ICMPV6: &[Entry] = &[
    ("destination-unreachable", 1, 0, 0xFF),
    ("no-route", 1, 0, 0),
    ("communication-prohibited", 1, 1, 1),
    ("beyond-scope", 1, 2, 2),
    ("address-unreachable", 1, 3, 3),
    ("port-unreachable", 1, 4, 4),
    ("failed-policy", 1, 5, 5),
    ("reject-route", 1, 6, 6),
    ("packet-too-big", 2, 0, 0xFF),
    ("time-exceeded", 3, 0, 0xFF),
    ("ttl-exceeded", 3, 0, 0xFF),
    ("ttl-zero-during-transit", 3, 0, 0),
    ("ttl-zero-during-reassembly", 3, 1, 1),
    ("parameter-problem", 4, 0, 0xFF),
    ("bad-header", 4, 0, 0),
    ("unknown-header-type", 4, 1, 1),
    ("unknown-option", 4, 2, 2),
    ("echo-request", 128, 0, 0xFF),
    ("ping", 128, 0, 0xFF),
    ("echo-reply", 129, 0, 0xFF),
    ("pong", 129, 0, 0xFF),
    ("router-solicitation", 133, 0, 0xFF),
    ("router-advertisement", 134, 0, 0xFF),
    ("neighbour-solicitation", 135, 0, 0xFF),
    ("neighbor-solicitation", 135, 0, 0xFF),
    ("neighbour-advertisement", 136, 0, 0xFF),
    ("neighbor-advertisement", 136, 0, 0xFF),
    ("redirect", 137, 0, 0xFF),
];

/// Parses `--icmp-type` (`v6 == false`) or `--icmpv6-type` (`v6 == true`).
pub fn parse(text: &str, v6: bool) -> Result<IcmpType, ErrorKind> {
    let table = if v6 { ICMPV6 } else { ICMP };
    let what = if v6 { "an ICMPv6 type" } else { "an ICMP type" };
    let hits: Vec<&Entry> = table
        .iter()
        .filter(|(n, ..)| {
            !text.is_empty()
                && text.len() <= n.len()
                && n.as_bytes()[..text.len()].eq_ignore_ascii_case(text.as_bytes())
        })
        .collect();
    let raw = match hits.as_slice() {
        [(_, t, lo, hi)] => (*t, *lo, *hi),
        [_, _, ..] => {
            return Err(ErrorKind::BadValue(format!(
                "{what} name; {text:?} is ambiguous"
            )))
        }
        [] => numeric(text, what)?,
    };
    IcmpType::from_raw(raw.0, raw.1, raw.2)
        .ok_or(ErrorKind::Unsupported("ICMP code ranges"))
        .map(|t| match t {
            IcmpType::Type(0xFF) => IcmpType::Any,
            t => t,
        })
}

fn numeric(text: &str, what: &str) -> Result<(u8, u8, u8), ErrorKind> {
    let bad = || ErrorKind::BadValue(format!("{what}: a name, TYPE or TYPE/CODE"));
    let (t, code) = match text.split_once('/') {
        Some((t, c)) => (t, Some(c)),
        None => (text, None),
    };
    if t.contains(':') {
        return Err(ErrorKind::Unsupported("ICMP type ranges"));
    }
    let t = strtoui(t, 255).ok_or_else(bad)? as u8;
    match code {
        None => Ok((t, 0, 0xFF)),
        Some(_) if t == 0xFF => Err(ErrorKind::BadValue(format!(
            "{what}: type 255 means any and takes no code"
        ))),
        Some(c) if c.contains(':') => Err(ErrorKind::Unsupported("ICMP code ranges")),
        Some(c) => {
            let c = strtoui(c, 255).ok_or_else(bad)? as u8;
            Ok((t, c, c))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_numbers_and_prefixes() {
        assert_eq!(parse("echo-request", false), Ok(IcmpType::Type(8)));
        assert_eq!(parse("ECHO-REQ", false), Ok(IcmpType::Type(8)));
        assert_eq!(
            parse("port-unreachable", false),
            Ok(IcmpType::TypeCode(3, 3))
        );
        assert_eq!(parse("3/4", false), Ok(IcmpType::TypeCode(3, 4)));
        assert_eq!(parse("any", false), Ok(IcmpType::Any));
        assert_eq!(parse("255", false), Ok(IcmpType::Any));
        assert_eq!(parse("echo-request", true), Ok(IcmpType::Type(128)));
        assert_eq!(
            parse("neighbor-solicitation", true),
            Ok(IcmpType::Type(135))
        );
        assert!(parse("any", true).is_err());
        assert!(parse("host-un", false).is_err());
        assert!(parse("3/x", false).is_err());
        assert!(parse("3:4", false).is_err());
    }
}
