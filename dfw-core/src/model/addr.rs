//! Addresses with a mask (`-s 10.0.0.0/8`, `--ctorigdst 1.2.3.4`) and address ranges (`iprange`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Family, ModelError};

/// An address with a mask, as iptables stores it: the address is always masked
/// (`10.1.2.3/8` becomes `10.0.0.0/8`), and the mask may be non-contiguous
/// (`10.0.2.0/255.0.255.0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network {
    addr: IpAddr,
    mask: IpAddr,
}

fn to_bits(addr: &IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u32::from(*a) as u128,
        IpAddr::V6(a) => u128::from(*a),
    }
}

fn from_bits(family: Family, bits: u128) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::from(bits as u32)),
        Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(bits)),
    }
}

fn prefix_mask_bits(family: Family, prefix: u8) -> u128 {
    let width = family.addr_bits() as u32;
    if prefix == 0 {
        return 0;
    }
    let ones = if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    };
    (ones << (width - prefix as u32)) & ones
}

/// An address as glibc's `inet_ntop` (and so iptables-save) writes it. This differs from
/// Rust's `Display` only for IPv4-compatible IPv6 addresses, which glibc ends with a dotted
/// quad (`::96.64.4.130`, where Rust writes `::6040:482`).
pub fn ip_text(addr: &IpAddr) -> String {
    match addr {
        IpAddr::V6(a) => {
            let s = a.segments();
            if s[..6].iter().all(|w| *w == 0) && s[6] != 0 {
                let [.., a, b, c, d] = a.octets();
                return format!("::{a}.{b}.{c}.{d}");
            }
            a.to_string()
        }
        IpAddr::V4(a) => a.to_string(),
    }
}

impl Network {
    /// A network from an address and a prefix length; host bits are cleared.
    ///
    /// # Errors
    /// [`ModelError::Prefix`] when the prefix is longer than the family's address.
    pub fn with_prefix(addr: IpAddr, prefix: u8) -> Result<Self, ModelError> {
        let family = Family::of(&addr);
        if prefix > family.addr_bits() {
            return Err(ModelError::Prefix { prefix, family });
        }
        let mask = from_bits(family, prefix_mask_bits(family, prefix));
        Ok(Self::masked(addr, mask))
    }

    /// A single host (`/32` or `/128`).
    pub fn host(addr: IpAddr) -> Self {
        let family = Family::of(&addr);
        Self::masked(
            addr,
            from_bits(family, prefix_mask_bits(family, family.addr_bits())),
        )
    }

    /// A network from an address and an arbitrary mask of the same family; host bits are cleared.
    ///
    /// # Errors
    /// [`ModelError::WrongFamily`] when address and mask differ in family.
    pub fn with_mask(addr: IpAddr, mask: IpAddr) -> Result<Self, ModelError> {
        let family = Family::of(&addr);
        if Family::of(&mask) != family {
            return Err(ModelError::WrongFamily {
                addr: mask.to_string(),
                family,
            });
        }
        Ok(Self::masked(addr, mask))
    }

    fn masked(addr: IpAddr, mask: IpAddr) -> Self {
        let family = Family::of(&addr);
        let addr = from_bits(family, to_bits(&addr) & to_bits(&mask));
        Network { addr, mask }
    }

    /// The (masked) network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The mask.
    pub fn mask(&self) -> IpAddr {
        self.mask
    }

    /// The address family.
    pub fn family(&self) -> Family {
        Family::of(&self.addr)
    }

    /// The prefix length when the mask is contiguous, else `None`.
    pub fn prefix(&self) -> Option<u8> {
        let family = self.family();
        let bits = to_bits(&self.mask);
        let ones = bits.count_ones() as u8;
        (prefix_mask_bits(family, ones) == bits).then_some(ones)
    }

    /// True when the mask covers the whole address (a single host).
    pub fn is_host(&self) -> bool {
        self.prefix() == Some(self.family().addr_bits())
    }

    /// True when the mask is empty (matches every address).
    pub fn is_any(&self) -> bool {
        to_bits(&self.mask) == 0
    }

    /// True when `addr` lies in this network (false for the other family).
    pub fn contains(&self, addr: &IpAddr) -> bool {
        Family::of(addr) == self.family()
            && to_bits(addr) & to_bits(&self.mask) == to_bits(&self.addr)
    }

    /// The mask in iptables' text form: `N` for a contiguous mask, else the dotted/colon mask.
    pub fn mask_text(&self) -> String {
        match self.prefix() {
            Some(p) => p.to_string(),
            None => ip_text(&self.mask),
        }
    }
}

impl fmt::Display for Network {
    /// Always `addr/prefix` (or `addr/mask`), as iptables-save prints `-s` and `-d`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", ip_text(&self.addr), self.mask_text())
    }
}

/// An inclusive address range of one family (`--src-range a-b`), `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddrRange {
    start: IpAddr,
    end: IpAddr,
}

impl AddrRange {
    /// A range from `start` to `end` inclusive.
    ///
    /// # Errors
    /// [`ModelError::WrongFamily`] when the ends differ in family, [`ModelError::ReversedRange`]
    /// when `start > end`.
    pub fn new(start: IpAddr, end: IpAddr) -> Result<Self, ModelError> {
        let family = Family::of(&start);
        if Family::of(&end) != family {
            return Err(ModelError::WrongFamily {
                addr: end.to_string(),
                family,
            });
        }
        if to_bits(&start) > to_bits(&end) {
            return Err(ModelError::ReversedRange {
                start: start.to_string(),
                end: end.to_string(),
            });
        }
        Ok(AddrRange { start, end })
    }

    /// First address.
    pub fn start(&self) -> IpAddr {
        self.start
    }

    /// Last address.
    pub fn end(&self) -> IpAddr {
        self.end
    }

    /// The address family.
    pub fn family(&self) -> Family {
        Family::of(&self.start)
    }

    /// True when `addr` lies in the range.
    pub fn contains(&self, addr: &IpAddr) -> bool {
        Family::of(addr) == self.family()
            && (to_bits(&self.start)..=to_bits(&self.end)).contains(&to_bits(addr))
    }
}

impl fmt::Display for AddrRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", ip_text(&self.start), ip_text(&self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_host_bits_and_reports_prefix() {
        let n = Network::with_prefix("10.1.2.3".parse().unwrap(), 8).unwrap();
        assert_eq!(n.to_string(), "10.0.0.0/8");
        assert_eq!(n.prefix(), Some(8));
        let n = Network::with_mask("10.1.2.3".parse().unwrap(), "255.0.255.0".parse().unwrap())
            .unwrap();
        assert_eq!(n.to_string(), "10.0.2.0/255.0.255.0");
        assert_eq!(n.prefix(), None);
        let n = Network::with_prefix("2001:db8::1".parse().unwrap(), 33).unwrap();
        assert_eq!(n.to_string(), "2001:db8::/33");
        assert!(Network::with_prefix("1.2.3.4".parse().unwrap(), 33).is_err());
        assert!(Network::host("::1".parse().unwrap()).is_host());
        let n = Network::host("::6040:482".parse().unwrap());
        assert_eq!(n.to_string(), "::96.64.4.130/128");
        assert_eq!(ip_text(&"::1".parse().unwrap()), "::1");
        assert_eq!(ip_text(&"::".parse().unwrap()), "::");
        assert_eq!(ip_text(&"::1:0".parse().unwrap()), "::0.1.0.0");
        assert_eq!(
            ip_text(&"::ffff:1.2.3.4".parse().unwrap()),
            "::ffff:1.2.3.4"
        );
        assert!(Network::with_prefix("0.0.0.0".parse().unwrap(), 0)
            .unwrap()
            .is_any());
    }

    #[test]
    fn ranges_are_ordered_and_single_family() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.50".parse().unwrap();
        assert!(AddrRange::new(a, b).is_ok());
        assert!(matches!(
            AddrRange::new(b, a),
            Err(ModelError::ReversedRange { .. })
        ));
        assert!(AddrRange::new(a, "::1".parse().unwrap()).is_err());
    }
}
