//! xt extension info structs (`NFTA_MATCH_INFO` / `NFTA_TARGET_INFO` payloads) as pure
//! encode/decode pairs, byte for byte as libxtables (iptables 1.8.9) builds them.
//!
//! Contract: every `encode` returns exactly the XT_ALIGNed length the kernel requires (the
//! module's `INFO_LEN`), with every padding and unused byte zero, as libxtables leaves it. Every
//! `decode` checks the length, refuses unknown flag bits and values the model cannot hold, and
//! never panics on any input. Decoding is strict: a blob whose unused bytes are not what
//! `encode` would write is refused ([`XtError::NonCanonical`]), so a decoded value always
//! re-encodes to the same bytes (one documented exception: the conntrack address mask, see
//! [`conntrack`]). Multi-byte fields are in host order unless the kernel says big-endian
//! (addresses, NAT ports), as noted at each field.

pub mod addrtype;
pub mod comment;
pub mod connmark;
pub mod conntrack;
pub mod ct;
pub mod hashlimit;
pub mod icmp;
pub mod iprange;
pub mod limit;
pub mod log;
pub mod mark;
pub mod multiport;
pub mod nat;
pub mod nflog;
pub mod owner;
pub mod packet;
pub mod recent;
pub mod reject;
pub mod rt;
pub mod sctp;
pub mod tcpmss;
pub mod tcpudp;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::{Family, ModelError};

/// Why an xt info blob could not be decoded (or a value not encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XtError {
    /// The blob does not have the struct's exact length.
    #[error("xt {ext}: info is {got} bytes, expected {expected}")]
    Length {
        /// Extension name (`conntrack`, `DNAT`, ...).
        ext: &'static str,
        /// Expected length.
        expected: usize,
        /// Length found.
        got: usize,
    },
    /// A field holds a value iptables does not produce or the model cannot hold.
    #[error("xt {ext}: {reason}")]
    Invalid {
        /// Extension name.
        ext: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Decodable, but unused or padding bytes differ from what libxtables writes.
    #[error("xt {ext}: unused or padding bytes are not as libxtables writes them")]
    NonCanonical {
        /// Extension name.
        ext: &'static str,
    },
    /// The decoded value is refused by the model.
    #[error("xt {ext}: {source}")]
    Model {
        /// Extension name.
        ext: &'static str,
        /// The model's error.
        source: ModelError,
    },
}

impl XtError {
    pub(crate) fn invalid(ext: &'static str, reason: impl Into<String>) -> Self {
        XtError::Invalid {
            ext,
            reason: reason.into(),
        }
    }

    pub(crate) fn model(ext: &'static str) -> impl Fn(ModelError) -> XtError {
        move |source| XtError::Model { ext, source }
    }
}

/// Rounds up to `XT_ALIGN` (8 bytes on every architecture the kernel supports for nf_tables).
pub const fn xt_align(len: usize) -> usize {
    (len + 7) & !7
}

/// Checks a blob's length.
pub(crate) fn check_len(ext: &'static str, info: &[u8], expected: usize) -> Result<(), XtError> {
    if info.len() == expected {
        Ok(())
    } else {
        Err(XtError::Length {
            ext,
            expected,
            got: info.len(),
        })
    }
}

/// Fails with [`XtError::NonCanonical`] unless `reencoded == info`.
pub(crate) fn check_canonical(
    ext: &'static str,
    info: &[u8],
    reencoded: &[u8],
) -> Result<(), XtError> {
    if info == reencoded {
        Ok(())
    } else {
        Err(XtError::NonCanonical { ext })
    }
}

/// Reads a host-order u16 at `off` (the caller has checked the length).
pub(crate) fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_ne_bytes([b[off], b[off + 1]])
}

/// Reads a host-order u32 at `off` (the caller has checked the length).
pub(crate) fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

/// Reads a big-endian u16 at `off` (the caller has checked the length).
pub(crate) fn be16_at(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

/// Writes a host-order u16 at `off`.
pub(crate) fn put_u16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_ne_bytes());
}

/// Writes a host-order u32 at `off`.
pub(crate) fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
}

/// Writes a big-endian u16 at `off`.
pub(crate) fn put_be16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_be_bytes());
}

/// Length of `union nf_inet_addr`.
pub(crate) const INET_ADDR_LEN: usize = 16;

/// Writes an address into a `nf_inet_addr` at `off` (IPv4 in the first 4 bytes). An address
/// that does not fit (IPv6 in an IPv4-only layout, never produced by a checked rule) is
/// truncated rather than panicking.
pub(crate) fn put_inet_addr(b: &mut [u8], off: usize, addr: IpAddr) {
    let octets: Vec<u8> = match addr {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let end = (off + octets.len()).min(b.len());
    if let Some(dst) = b.get_mut(off..end) {
        let n = dst.len();
        dst.copy_from_slice(&octets[..n]);
    }
}

/// Reads a `nf_inet_addr` at `off` for `family` (IPv4 from the first 4 bytes).
pub(crate) fn inet_addr_at(b: &[u8], off: usize, family: Family) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::V4(Ipv4Addr::new(b[off], b[off + 1], b[off + 2], b[off + 3])),
        Family::Ipv6 => {
            let mut o = [0u8; 16];
            o.copy_from_slice(&b[off..off + 16]);
            IpAddr::V6(Ipv6Addr::from(o))
        }
    }
}

/// Reads a NUL-terminated string from a fixed `char[N]` field; the bytes after the NUL must be
/// zero and the text UTF-8.
pub(crate) fn fixed_str(ext: &'static str, field: &[u8]) -> Result<String, XtError> {
    let nul = field
        .iter()
        .position(|&c| c == 0)
        .ok_or_else(|| XtError::invalid(ext, "string is not NUL-terminated"))?;
    if field[nul..].iter().any(|&c| c != 0) {
        return Err(XtError::NonCanonical { ext });
    }
    String::from_utf8(field[..nul].to_vec())
        .map_err(|_| XtError::invalid(ext, "string is not UTF-8"))
}
