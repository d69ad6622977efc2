//! Values as nft prints them, by datatype (`datatype.c` of nftables 1.0.6).

use std::net::{Ipv4Addr, Ipv6Addr};

/// nft's datatypes the printer knows (numbers of `enum datatypes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Verdict,
    Nfproto,
    Integer,
    Ipv4,
    Ipv6,
    InetProto,
    Service,
    IcmpType,
    Mark,
    Ifindex,
    CtState,
    CtStatus,
    Icmp6Type,
    FibAddr,
    Ifname,
    Boolean,
}

impl Ty {
    /// The datatype of `NFTA_SET_KEY_TYPE` / `DATA_TYPE` number `n`.
    pub fn from_id(n: u32) -> Ty {
        match n {
            1 => Ty::Verdict,
            2 => Ty::Nfproto,
            7 => Ty::Ipv4,
            8 => Ty::Ipv6,
            12 => Ty::InetProto,
            13 => Ty::Service,
            14 => Ty::IcmpType,
            19 => Ty::Mark,
            20 => Ty::Ifindex,
            26 => Ty::CtState,
            28 => Ty::CtStatus,
            29 => Ty::Icmp6Type,
            38 => Ty::FibAddr,
            39 => Ty::Boolean,
            41 => Ty::Ifname,
            0xffff_ff00 => Ty::Verdict,
            _ => Ty::Integer,
        }
    }

    /// nft's name of the type.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Verdict => "verdict",
            Ty::Nfproto => "nf_proto",
            Ty::Integer => "integer",
            Ty::Ipv4 => "ipv4_addr",
            Ty::Ipv6 => "ipv6_addr",
            Ty::InetProto => "inet_proto",
            Ty::Service => "inet_service",
            Ty::IcmpType => "icmp_type",
            Ty::Mark => "mark",
            Ty::Ifindex => "iface_index",
            Ty::CtState => "ct_state",
            Ty::CtStatus => "ct_status",
            Ty::Icmp6Type => "icmpv6_type",
            Ty::FibAddr => "fib_addrtype",
            Ty::Ifname => "ifname",
            Ty::Boolean => "boolean",
        }
    }

    /// True for a bit-mask type printed as a comma list of names.
    pub fn is_flags(self) -> bool {
        matches!(self, Ty::CtState | Ty::CtStatus)
    }
}

const ICMP: [(u32, &str); 15] = [
    (0, "echo-reply"),
    (3, "destination-unreachable"),
    (4, "source-quench"),
    (5, "redirect"),
    (8, "echo-request"),
    (9, "router-advertisement"),
    (10, "router-solicitation"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp-request"),
    (14, "timestamp-reply"),
    (15, "info-request"),
    (16, "info-reply"),
    (17, "address-mask-request"),
    (18, "address-mask-reply"),
];

const ICMP6: [(u32, &str); 18] = [
    (1, "destination-unreachable"),
    (2, "packet-too-big"),
    (3, "time-exceeded"),
    (4, "parameter-problem"),
    (128, "echo-request"),
    (129, "echo-reply"),
    (130, "mld-listener-query"),
    (131, "mld-listener-report"),
    (132, "mld-listener-done"),
    (133, "nd-router-solicit"),
    (134, "nd-router-advert"),
    (135, "nd-neighbor-solicit"),
    (136, "nd-neighbor-advert"),
    (137, "nd-redirect"),
    (138, "router-renumbering"),
    (141, "ind-neighbor-solicit"),
    (142, "ind-neighbor-advert"),
    (143, "mld2-listener-report"),
];

const CT_STATE: [(u32, &str); 5] = [
    (1, "invalid"),
    (2, "established"),
    (4, "related"),
    (8, "new"),
    (64, "untracked"),
];

const CT_STATUS: [(u32, &str); 7] = [
    (1, "expected"),
    (2, "seen-reply"),
    (4, "assured"),
    (8, "confirmed"),
    (16, "snat"),
    (32, "dnat"),
    (512, "dying"),
];

const FIB: [&str; 9] = [
    "unspec",
    "unicast",
    "local",
    "broadcast",
    "anycast",
    "multicast",
    "blackhole",
    "unreachable",
    "prohibit",
];

fn ne_u32(b: &[u8]) -> u32 {
    let mut w = [0u8; 4];
    for (d, s) in w.iter_mut().zip(b) {
        *d = *s;
    }
    u32::from_ne_bytes(w)
}

fn be_uint(b: &[u8]) -> u64 {
    b.iter().take(8).fold(0u64, |a, &x| (a << 8) | u64::from(x))
}

fn named(table: &[(u32, &'static str)], v: u32) -> String {
    table
        .iter()
        .find(|(n, _)| *n == v)
        .map_or_else(|| v.to_string(), |(_, s)| (*s).to_string())
}

/// The flag names of a bit-mask value, comma-separated in bit order.
pub(crate) fn flags(ty: Ty, v: u32) -> String {
    let table: &[(u32, &str)] = match ty {
        Ty::CtState => &CT_STATE,
        _ => &CT_STATUS,
    };
    let names: Vec<String> = table
        .iter()
        .filter(|(b, _)| v & b != 0)
        .map(|(_, n)| (*n).to_string())
        .collect();
    if names.is_empty() {
        format!("{v:#x}")
    } else {
        names.join(",")
    }
}

/// One value of type `ty` as nft prints it.
pub(crate) fn value(ty: Ty, b: &[u8]) -> String {
    match ty {
        Ty::Ipv4 if b.len() >= 4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        Ty::Ipv6 if b.len() >= 16 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(&b[..16]);
            Ipv6Addr::from(a).to_string()
        }
        Ty::Ifname => match b.iter().position(|&c| c == 0) {
            Some(end) => format!("\"{}\"", String::from_utf8_lossy(&b[..end])),
            // No NUL: a prefix match, as nft prints it (`"eth*"`).
            None => format!("\"{}*\"", String::from_utf8_lossy(b)),
        },
        Ty::Service => be_uint(&b[..b.len().min(2)]).to_string(),
        Ty::InetProto => match b.first().copied().unwrap_or(0) {
            1 => "icmp".into(),
            6 => "tcp".into(),
            17 => "udp".into(),
            58 => "ipv6-icmp".into(),
            n => n.to_string(),
        },
        Ty::Nfproto => match b.first().copied().unwrap_or(0) {
            2 => "ipv4".into(),
            10 => "ipv6".into(),
            n => n.to_string(),
        },
        Ty::IcmpType => named(&ICMP, u32::from(b.first().copied().unwrap_or(0))),
        Ty::Icmp6Type => named(&ICMP6, u32::from(b.first().copied().unwrap_or(0))),
        Ty::CtState | Ty::CtStatus => flags(ty, ne_u32(b)),
        Ty::Mark => format!("{:#010x}", ne_u32(b)),
        Ty::FibAddr => {
            let v = ne_u32(b) as usize;
            FIB.get(v)
                .map_or_else(|| v.to_string(), |s| (*s).to_string())
        }
        Ty::Ifindex => match ne_u32(b) {
            1 => "\"lo\"".into(),
            n => n.to_string(),
        },
        Ty::Boolean => if b.first().copied().unwrap_or(0) != 0 {
            "exists"
        } else {
            "missing"
        }
        .into(),
        Ty::Integer | Ty::Verdict | Ty::Ipv4 | Ty::Ipv6 => {
            if b.len() <= 4 {
                ne_u32(b).to_string()
            } else {
                b.iter().map(|x| format!("{x:02x}")).collect()
            }
        }
    }
}

/// The prefix length of `mask` if it is one (leading ones, then zeros).
pub(crate) fn prefix_len(mask: &[u8]) -> Option<u32> {
    let ones: u32 = mask.iter().map(|b| b.count_ones()).sum();
    let is_prefix = mask.iter().enumerate().all(|(i, &b)| {
        let want = (ones as usize).saturating_sub(i * 8).min(8);
        b == (0xffu16 << (8 - want)) as u8
    });
    is_prefix.then_some(ones)
}
