//! Parsers for the config's value syntaxes: ports, sources, destinations, interfaces.
//!
//! Contract: pure, total functions from the text of one value to a model value, or to the
//! reason it is refused (a short phrase; the caller adds file, line, column, key and value).
//! Networks with host bits set (`192.168.1.5/24`) are accepted and normalised
//! (`192.168.1.0/24`), as iptables itself does, and noted ([`Noted::HostBits`]). IPv4-mapped
//! IPv6 addresses (`::ffff:198.51.100.7`, and networks of prefix 96 or more inside
//! `::ffff:0:0/96`) are turned into the IPv4 address or network they stand for, and noted
//! ([`Noted::Mapped`]): no IPv6 packet carries one, so as IPv6 they would match nothing. Port 0
//! is refused: no connection uses it.

use std::net::{IpAddr, Ipv4Addr};

use super::config::{PortSpec, Source, Transport};
use crate::model::matches::Comment;
use crate::model::{AddrRange, Family, Iface, ModelError, Network, PortRange};

/// What parsing an address value noticed: accepted, but worth a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Noted {
    /// A CIDR with host bits set: it means this whole network.
    HostBits(Network),
    /// An IPv4-mapped IPv6 address or network, taken as this IPv4 one (its text).
    Mapped(String),
}

/// The reason port 0 is refused.
const PORT_ZERO: &str = "port 0: no connection uses it; ports are 1-65535";

/// Parses one port: `22`, `65535`; refuses signs, spaces, 0 and values above 65535.
fn port(text: &str) -> Result<u16, String> {
    if text.is_empty() {
        return Err("missing port number".into());
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{text:?} is not a port number"));
    }
    match text.parse::<u16>() {
        Ok(0) => Err(PORT_ZERO.into()),
        Ok(p) => Ok(p),
        Err(_) => Err("port must be 1-65535".into()),
    }
}

/// Parses `PORT`, `LO-HI`, either followed by `/tcp` or `/udp` (bare means tcp).
///
/// # Errors
/// The reason: bad number, port above 65535, reversed range, unknown protocol.
pub(crate) fn port_spec(text: &str) -> Result<PortSpec, String> {
    let (ports, proto) = match text.rsplit_once('/') {
        Some((ports, proto)) => (ports, proto),
        None => (text, "tcp"),
    };
    let proto = match proto.to_ascii_lowercase().as_str() {
        "tcp" => Transport::Tcp,
        "udp" => Transport::Udp,
        other => return Err(format!("unknown protocol {other:?}: must be tcp or udp")),
    };
    let ports = match ports.split_once('-') {
        Some((lo, hi)) => {
            let (lo, hi) = (port(lo)?, port(hi)?);
            PortRange::new(lo, hi).map_err(|_| format!("range {lo}-{hi} is reversed"))?
        }
        None => PortRange::single(port(ports)?),
    };
    Ok(PortSpec { proto, ports })
}

/// A port given as a TOML integer (`22`): tcp.
///
/// # Errors
/// "port must be 1-65535" when out of range; port 0.
pub(crate) fn port_number(n: i64) -> Result<PortSpec, String> {
    let p = u16::try_from(n).map_err(|_| "port must be 1-65535".to_string())?;
    if p == 0 {
        return Err(PORT_ZERO.into());
    }
    Ok(PortSpec {
        proto: Transport::Tcp,
        ports: PortRange::single(p),
    })
}

fn addr(text: &str) -> Result<IpAddr, String> {
    text.trim()
        .parse::<IpAddr>()
        .map_err(|_| format!("{:?} is not an IPv4 or IPv6 address", text.trim()))
}

/// The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) stands for.
fn mapped(a: IpAddr) -> Option<Ipv4Addr> {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
        IpAddr::V4(_) => None,
    }
}

/// Parses `ADDR` (a host) or `ADDR/PREFIX` (host bits are cleared).
///
/// # Errors
/// The reason: bad address, bad or overlong prefix, a range where none is allowed.
#[cfg(test)]
pub(crate) fn network(text: &str) -> Result<Network, String> {
    network_noted(text, &mut Vec::new())
}

/// [`network`], adding to `notes` what it noticed (see the module contract).
///
/// # Errors
/// As [`network`].
pub(crate) fn network_noted(text: &str, notes: &mut Vec<Noted>) -> Result<Network, String> {
    if text.contains('-') {
        return Err("an address range is not allowed here; use an address or a CIDR".into());
    }
    let (a, prefix) = match text.split_once('/') {
        None => (addr(text)?, None),
        Some((a, p)) => {
            let a = addr(a)?;
            let bits = Family::of(&a).addr_bits();
            let prefix = Some(p)
                .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u8>().ok())
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("prefix length must be 0-{bits} for {}", Family::of(&a)))?;
            (a, Some(prefix))
        }
    };
    let (a, prefix) = match (mapped(a), prefix) {
        (Some(v4), None) => {
            notes.push(Noted::Mapped(v4.to_string()));
            (IpAddr::V4(v4), None)
        }
        (Some(v4), Some(p)) if p >= 96 => {
            let p = p - 96;
            let net = Network::with_prefix(IpAddr::V4(v4), p).map_err(|e| e.to_string())?;
            notes.push(Noted::Mapped(if p == 32 {
                v4.to_string()
            } else {
                net.to_string()
            }));
            (IpAddr::V4(v4), Some(p))
        }
        _ => (a, prefix),
    };
    match prefix {
        None => Ok(Network::host(a)),
        Some(p) => {
            let net = Network::with_prefix(a, p).map_err(|e| e.to_string())?;
            if net.addr() != a {
                notes.push(Noted::HostBits(net));
            }
            Ok(net)
        }
    }
}

/// Parses a source: address, CIDR, or `A-B` range (same family, `A <= B`).
///
/// # Errors
/// The reason, as for [`network`], plus mixed-family and reversed ranges.
#[cfg(test)]
pub(crate) fn source(text: &str) -> Result<Source, String> {
    source_noted(text, &mut Vec::new())
}

/// [`source`], adding to `notes` what it noticed (see the module contract).
///
/// # Errors
/// As [`source`].
pub(crate) fn source_noted(text: &str, notes: &mut Vec<Noted>) -> Result<Source, String> {
    let Some((a, b)) = text.split_once('-') else {
        return network_noted(text, notes).map(Source::Net);
    };
    let (mut a, mut b) = (addr(a)?, addr(b)?);
    if let (Some(a4), Some(b4)) = (mapped(a), mapped(b)) {
        notes.push(Noted::Mapped(format!("{a4}-{b4}")));
        (a, b) = (IpAddr::V4(a4), IpAddr::V4(b4));
    }
    match AddrRange::new(a, b) {
        Ok(r) => Ok(Source::Range(r)),
        Err(ModelError::ReversedRange { .. }) => {
            Err(format!("range is reversed: {a} is above {b}"))
        }
        Err(_) => Err(format!("range mixes families: {a} and {b}")),
    }
}

/// Parses an interface name as `-i` takes it (`eth0`, `eth+`), refusing `lo` when `external`.
///
/// # Errors
/// The reason: empty, over 15 bytes, `/`, whitespace or control characters, `+` inside.
pub(crate) fn iface(text: &str, external: bool) -> Result<Iface, String> {
    if external && (text == "lo" || text == "lo+") {
        return Err("the loopback interface cannot be external".into());
    }
    Iface::parse(text).map_err(|e| match e {
        ModelError::Iface { reason, .. } => format!("invalid interface name: {reason}"),
        other => other.to_string(),
    })
}

/// Validates a rule comment: at most 255 bytes, no control characters.
///
/// # Errors
/// The reason.
pub(crate) fn comment(text: &str) -> Result<Comment, String> {
    if text.chars().any(char::is_control) {
        return Err("contains a control character".into());
    }
    Comment::new(text).map_err(|e| match e {
        ModelError::Invalid { reason, .. } => format!("comment too long: {reason}"),
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports() {
        assert_eq!(port_spec("8080").unwrap().to_string(), "8080/tcp");
        assert_eq!(port_spec("53/UDP").unwrap().to_string(), "53/udp");
        assert_eq!(
            port_spec("9000-9100/tcp").unwrap().to_string(),
            "9000-9100/tcp"
        );
        assert_eq!(port_spec("70000/tcp").unwrap_err(), "port must be 1-65535");
        assert_eq!(port_spec("0/udp").unwrap_err(), PORT_ZERO);
        assert_eq!(port_spec("0-1023").unwrap_err(), PORT_ZERO);
        assert_eq!(port_number(0).unwrap_err(), PORT_ZERO);
        assert!(port_spec("1-65535").is_ok() && port_number(65535).is_ok());
        assert!(port_spec("9100-9000").unwrap_err().contains("reversed"));
        assert!(port_spec("80/sctp")
            .unwrap_err()
            .contains("unknown protocol"));
        for bad in ["", "/tcp", "-1", "+80", "80-", "a/tcp", "80 /tcp", "1-2-3"] {
            assert!(port_spec(bad).is_err(), "{bad}");
        }
        assert!(port_number(65536).is_err() && port_number(-1).is_err());
    }

    #[test]
    fn sources_and_networks() {
        assert_eq!(
            source("192.168.1.5/24").unwrap().to_string(),
            "192.168.1.0/24"
        );
        assert_eq!(source("2001:db8::7").unwrap().to_string(), "2001:db8::7");
        assert!(matches!(source("10.0.0.1-10.0.0.3"), Ok(Source::Range(_))));
        assert!(source("10.0.0.3-10.0.0.1")
            .unwrap_err()
            .contains("reversed"));
        assert!(source("10.0.0.1-::1").unwrap_err().contains("families"));
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "10.0.0.0/-1",
            "10.0.0",
            "x",
            "",
        ] {
            assert!(source(bad).is_err(), "{bad}");
        }
        assert!(network("10.0.0.1-10.0.0.2").is_err());
    }

    #[test]
    fn host_bits_and_mapped_addresses_are_noted() {
        let noted = |t: &str| {
            let mut n = Vec::new();
            let s = source_noted(t, &mut n).unwrap();
            (s.to_string(), n)
        };
        let net = |t: &str| network(t).unwrap();
        assert_eq!(
            noted("2001:db8::5/32"),
            (
                "2001:db8::/32".into(),
                vec![Noted::HostBits(net("2001:db8::/32"))]
            )
        );
        assert_eq!(noted("2001:db8::/32"), ("2001:db8::/32".into(), vec![]));
        assert_eq!(noted("198.51.100.7"), ("198.51.100.7".into(), vec![]));
        assert_eq!(
            noted("::ffff:198.51.100.7"),
            (
                "198.51.100.7".into(),
                vec![Noted::Mapped("198.51.100.7".into())]
            )
        );
        assert_eq!(
            noted("::ffff:198.51.100.0/120"),
            (
                "198.51.100.0/24".into(),
                vec![Noted::Mapped("198.51.100.0/24".into())]
            )
        );
        assert_eq!(
            noted("::ffff:198.51.100.9/120"),
            (
                "198.51.100.0/24".into(),
                vec![
                    Noted::Mapped("198.51.100.0/24".into()),
                    Noted::HostBits(net("198.51.100.0/24"))
                ]
            )
        );
        assert_eq!(
            noted("::ffff:10.0.0.1-::ffff:10.0.0.9"),
            (
                "10.0.0.1-10.0.0.9".into(),
                vec![Noted::Mapped("10.0.0.1-10.0.0.9".into())]
            )
        );
        assert_eq!(noted("::ffff:0.0.0.0/96").0, "0.0.0.0/0");
        // Wider than the mapped block: left as IPv6.
        assert_eq!(
            noted("::ffff:0:0/80"),
            ("::/80".into(), vec![Noted::HostBits(net("::/80"))])
        );
    }

    #[test]
    fn interfaces_and_comments() {
        assert!(iface("eth0", true).is_ok() && iface("eth+", true).is_ok());
        assert!(iface("lo", false).is_ok());
        for bad in ["lo", "lo+", "a/b", "a b", "0123456789abcdef", ""] {
            assert!(iface(bad, true).is_err(), "{bad}");
        }
        assert!(comment("web").is_ok());
        assert!(comment("a\nb").is_err() && comment(&"x".repeat(256)).is_err());
    }
}
