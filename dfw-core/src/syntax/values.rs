//! Parsers for the values of iptables options: numbers, ports, port ranges, addresses with
//! masks, address ranges, interfaces, protocols and chain names, as libxtables reads them.
//!
//! Contract: each function takes the token text and returns the model value or an
//! [`ErrorKind`] saying what was expected; positions are added by the caller.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::ErrorKind;
use crate::model::{AddrRange, ChainName, Family, Iface, ModelError, Network, PortRange, Protocol};

/// `xtables_strtoui` with base 0: `0x1f` hex, `017` octal, else decimal; at most `max`.
pub fn strtoui(text: &str, max: u64) -> Option<u64> {
    let (digits, radix) =
        if let Some(h) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            (h, 16)
        } else if text.len() > 1 && text.starts_with('0') {
            (&text[1..], 8)
        } else {
            (text, 10)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix)
        .ok()
        .filter(|n| *n <= max)
}

/// A few service names iptables resolves through `/etc/services` (no I/O here).
const SERVICES: &[(&str, u16)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("http", 80),
    ("pop3", 110),
    ("ntp", 123),
    ("imap", 143),
    ("snmp", 161),
    ("ldap", 389),
    ("https", 443),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
];

/// One port: a number 0-65535 or a known service name.
pub fn port(text: &str) -> Result<u16, ErrorKind> {
    if let Some(n) = strtoui(text, u16::MAX as u64) {
        return Ok(n as u16);
    }
    SERVICES
        .iter()
        .find(|(name, _)| *name == text)
        .map(|(_, p)| *p)
        .ok_or(ErrorKind::BadPort)
}

/// A tcp/udp/conntrack port range: `p`, `a:b`, `:b` (from 0) or `a:` (to 65535).
pub fn port_range(text: &str) -> Result<PortRange, ErrorKind> {
    let (lo, hi) = match text.split_once(':') {
        None => {
            let p = port(text)?;
            (p, p)
        }
        Some((a, b)) => {
            let lo = if a.is_empty() { 0 } else { port(a)? };
            let hi = if b.is_empty() { u16::MAX } else { port(b)? };
            (lo, hi)
        }
    };
    PortRange::new(lo, hi).map_err(|_| ErrorKind::ReversedRange)
}

/// `xtables_numeric_to_ipaddr`: dotted quad, each part base-0, missing parts are zero
/// (`10` is `10.0.0.0`, `10.1` is `10.1.0.0`).
pub fn ipv4_autocomplete(text: &str) -> Option<Ipv4Addr> {
    let mut bytes = [0u8; 4];
    for (i, p) in text.split('.').enumerate() {
        *bytes.get_mut(i)? = strtoui(p, 255)? as u8;
    }
    Some(Ipv4Addr::from(bytes))
}

/// A strict numeric address of `family` (`inet_pton`).
pub fn addr(family: Family, text: &str) -> Result<IpAddr, ErrorKind> {
    match (family, text.parse::<IpAddr>()) {
        (f, Ok(a)) if Family::of(&a) == f => Ok(a),
        (_, Ok(_)) => Err(ErrorKind::WrongFamily(family)),
        (_, Err(_)) => Err(ErrorKind::BadAddress(format!(
            "expected a numeric {family} address (host names are not resolved)"
        ))),
    }
}

fn model_err(e: ModelError) -> ErrorKind {
    match e {
        ModelError::WrongFamily { family, .. } => ErrorKind::WrongFamily(family),
        ModelError::ReversedRange { .. } => ErrorKind::ReversedRange,
        ModelError::Prefix { prefix, family } => {
            ErrorKind::BadAddress(format!("prefix /{prefix} is too long for {family}"))
        }
        other => ErrorKind::Model(other),
    }
}

/// The mask part after `/`: a prefix length (base 0) or, when `dotted` is allowed, a full mask.
fn mask(family: Family, text: &str, dotted: bool) -> Result<Result<u8, IpAddr>, ErrorKind> {
    if let Some(n) = strtoui(text, family.addr_bits() as u64) {
        return Ok(Ok(n as u8));
    }
    if dotted {
        if let Ok(m) = addr(family, text) {
            return Ok(Err(m));
        }
    }
    Err(ErrorKind::BadAddress(format!(
        "invalid mask {text:?} (expected a prefix length 0-{}{})",
        family.addr_bits(),
        if dotted { " or a full mask" } else { "" }
    )))
}

/// `-s`/`-d`: `addr`, `addr/len` or `addr/mask`; IPv4 addresses may be abbreviated; a zero
/// mask ignores the address (`any/0`).
pub fn network(family: Family, text: &str) -> Result<Network, ErrorKind> {
    if text.contains(',') {
        return Err(ErrorKind::Unsupported(
            "address lists (iptables would add one rule per address)",
        ));
    }
    let (host, m) = match text.rsplit_once('/') {
        Some((h, m)) => (h, Some(mask(family, m, true)?)),
        None => (text, None),
    };
    if matches!(m, Some(Ok(0))) {
        let any = match family {
            Family::Ipv4 => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            Family::Ipv6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        return Network::with_prefix(any, 0).map_err(model_err);
    }
    let a = match family {
        Family::Ipv4 => match ipv4_autocomplete(host) {
            Some(a) => IpAddr::V4(a),
            None => addr(family, host)?,
        },
        Family::Ipv6 => addr(family, host)?,
    };
    match m {
        None => Ok(Network::host(a)),
        Some(Ok(p)) => Network::with_prefix(a, p).map_err(model_err),
        Some(Err(mk)) => Network::with_mask(a, mk).map_err(model_err),
    }
}

/// Conntrack addresses (`--ctorigsrc`): a numeric address with an optional prefix length.
/// iptables 1.8.9 mis-reads dotted masks here, so they are refused.
pub fn ct_network(family: Family, text: &str) -> Result<Network, ErrorKind> {
    let (host, m) = match text.split_once('/') {
        Some((h, m)) => (h, Some(mask(family, m, false)?)),
        None => (text, None),
    };
    let a = addr(family, host)?;
    match m {
        Some(Ok(p)) => Network::with_prefix(a, p).map_err(model_err),
        _ => Ok(Network::host(a)),
    }
}

/// `--src-range a-b` (a single address is the range a-a); IPv4 parts may be abbreviated.
pub fn addr_range(family: Family, text: &str) -> Result<AddrRange, ErrorKind> {
    let one = |t: &str| match family {
        Family::Ipv4 => ipv4_autocomplete(t)
            .map(IpAddr::V4)
            .ok_or(())
            .or_else(|_| addr(family, t)),
        Family::Ipv6 => addr(family, t),
    };
    let (a, b) = match text.split_once('-') {
        Some((a, b)) => (one(a)?, one(b)?),
        None => {
            let a = one(text)?;
            (a, a)
        }
    };
    AddrRange::new(a, b).map_err(model_err)
}

/// `-i`/`-o`: `None` for `+` (every interface, which iptables encodes as nothing).
pub fn iface(text: &str) -> Result<Option<Iface>, ErrorKind> {
    if text == "+" {
        return Ok(None);
    }
    Iface::parse(text).map(Some).map_err(|e| match e {
        ModelError::Iface { reason, .. } => ErrorKind::Iface(reason),
        other => ErrorKind::Model(other),
    })
}

/// `-p`: a name or number; `None` for `all`/`0`.
pub fn protocol(text: &str) -> Result<Option<Protocol>, ErrorKind> {
    Protocol::parse(text).map_err(|_| ErrorKind::BadValue("a protocol name or number 0-255".into()))
}

/// A chain name.
pub fn chain(text: &str) -> Result<ChainName, ErrorKind> {
    ChainName::new(text).map_err(|e| match e {
        ModelError::ChainName { reason, .. } => ErrorKind::ChainName(reason),
        other => ErrorKind::Model(other),
    })
}

/// A comma-separated list of names, each matched case-insensitively as a prefix of an entry
/// of `names` (first hit wins), as libxt_conntrack and libxt_addrtype read them.
pub fn name_list<T: Copy>(
    text: &str,
    names: &[(T, &'static str)],
    what: &str,
) -> Result<Vec<T>, ErrorKind> {
    text.split(',')
        .map(|part| {
            names
                .iter()
                .find(|(_, n)| {
                    !part.is_empty()
                        && part.len() <= n.len()
                        && n.as_bytes()[..part.len()].eq_ignore_ascii_case(part.as_bytes())
                })
                .map(|(v, _)| *v)
                .ok_or_else(|| ErrorKind::BadValue(format!("{what} (got {part:?})")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ports() {
        assert_eq!(strtoui("0x10", 255), Some(16));
        assert_eq!(strtoui("010", 255), Some(8));
        assert_eq!(strtoui("08", 255), None);
        assert_eq!(strtoui("256", 255), None);
        assert_eq!(
            port_range("1024:").unwrap(),
            PortRange::new(1024, 65535).unwrap()
        );
        assert_eq!(port_range(":80").unwrap(), PortRange::new(0, 80).unwrap());
        assert_eq!(port_range("ssh").unwrap(), PortRange::single(22));
        assert_eq!(port_range("9:8"), Err(ErrorKind::ReversedRange));
        assert_eq!(port_range("70000"), Err(ErrorKind::BadPort));
    }

    #[test]
    fn networks() {
        let n = |t| network(Family::Ipv4, t).unwrap().to_string();
        assert_eq!(n("1.2.3.4"), "1.2.3.4/32");
        assert_eq!(n("10"), "10.0.0.0/32");
        assert_eq!(n("10.1.2.3/255.255.0.0"), "10.1.0.0/16");
        assert_eq!(n("10.1.2.3/255.0.255.0"), "10.0.2.0/255.0.255.0");
        assert_eq!(n("whatever/0"), "0.0.0.0/0");
        assert_eq!(
            network(Family::Ipv4, "::1"),
            Err(ErrorKind::WrongFamily(Family::Ipv4))
        );
        assert!(network(Family::Ipv4, "1.2.3.4/33").is_err());
        let n6 = network(Family::Ipv6, "2001:db8::1/ffff:ffff::").unwrap();
        assert_eq!(n6.to_string(), "2001:db8::/32");
        assert!(ct_network(Family::Ipv4, "1.2.3.4/255.0.0.0").is_err());
    }

    #[test]
    fn prefix_names() {
        let names = [(1, "INVALID"), (2, "NEW"), (3, "ESTABLISHED")];
        assert_eq!(name_list("new,est", &names, "x").unwrap(), [2, 3]);
        assert!(name_list("new,", &names, "x").is_err());
    }
}
