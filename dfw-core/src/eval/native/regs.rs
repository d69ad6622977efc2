//! The register file of one rule run, bit by bit known or not, and the packet's headers as
//! the kernel's `payload` expression reads them.
//!
//! Contract: a [`Cell`] is one byte with a mask of the bits the evaluator knows; an unknown
//! bit carries the reason of the load that left it unknown. Register numbers map to bytes as
//! `nft_parse_register` maps them (1-4: 16-byte registers at word 4, 8, 12, 16; 8-23: 4-byte
//! registers at word 4..19). Headers describe the first packet of a new connection without IP
//! options or IPv6 extension headers; fields the description leaves open (TTL, ids,
//! checksums, lengths, sequence numbers, an unknown source port) are unknown.

use std::net::IpAddr;

use crate::eval::flow::Flow;
use crate::eval::packet::L4;
use crate::eval::tri::Tri;

/// One byte: value and the mask of known bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cell {
    pub v: u8,
    pub known: u8,
}

impl Cell {
    pub const UNKNOWN: Cell = Cell { v: 0, known: 0 };
    pub fn of(v: u8) -> Cell {
        Cell { v, known: 0xff }
    }
}

/// Known bytes.
pub(crate) fn known(bytes: &[u8]) -> Vec<Cell> {
    bytes.iter().map(|&b| Cell::of(b)).collect()
}

/// `n` unknown bytes.
pub(crate) fn unknown(n: usize) -> Vec<Cell> {
    vec![Cell::UNKNOWN; n]
}

const WORDS: usize = 20;

/// The registers of one rule.
#[derive(Debug, Clone)]
pub(crate) struct Regs {
    cells: [Cell; WORDS * 4],
    why: [Option<String>; WORDS],
    /// A register whose unknown value is known to differ from these bytes (the interface
    /// index of a device other than `lo`, which is always 1).
    differs: Option<(u32, Vec<u8>)>,
}

impl Default for Regs {
    fn default() -> Self {
        Regs {
            cells: [Cell::UNKNOWN; WORDS * 4],
            why: Default::default(),
            differs: None,
        }
    }
}

/// The byte offset of register `reg`, `None` for the verdict register or a bad number.
fn offset(reg: u32) -> Option<usize> {
    let word = match reg {
        1..=4 => reg * 4,
        8..=23 => reg - 4,
        _ => return None,
    } as usize;
    Some(word * 4)
}

impl Regs {
    /// Writes `cells` at `reg` (zero-padding the last word, as the kernel's loads do); the
    /// unknown bits among them are explained by `why`.
    pub fn store(&mut self, reg: u32, mut cells: Vec<Cell>, why: &str) -> Result<(), String> {
        let at = offset(reg).ok_or_else(|| format!("register {reg} cannot hold data"))?;
        self.differs = None;
        while !cells.len().is_multiple_of(4) {
            cells.push(Cell::of(0));
        }
        if at + cells.len() > self.cells.len() {
            return Err(format!(
                "{} bytes do not fit at register {reg}",
                cells.len()
            ));
        }
        for (i, c) in cells.iter().enumerate() {
            self.cells[at + i] = *c;
            if i % 4 == 0 {
                self.why[(at + i) / 4] = cells[i..i + 4]
                    .iter()
                    .any(|c| c.known != 0xff)
                    .then(|| why.to_string());
            }
        }
        Ok(())
    }

    /// Records that the value at `reg` differs from `bytes`.
    pub fn differs_from(&mut self, reg: u32, bytes: Vec<u8>) {
        self.differs = Some((reg, bytes));
    }

    /// True when the value at `reg` is known to differ from `data`.
    pub fn known_to_differ(&self, reg: u32, data: &[u8]) -> bool {
        self.differs
            .as_ref()
            .is_some_and(|(r, b)| *r == reg && b.as_slice() == data)
    }

    /// `len` bytes from `reg`.
    pub fn load(&self, reg: u32, len: usize) -> Result<Vec<Cell>, String> {
        let at = offset(reg).ok_or_else(|| format!("register {reg} holds no data"))?;
        self.cells
            .get(at..at + len)
            .map(<[Cell]>::to_vec)
            .ok_or_else(|| format!("{len} bytes at register {reg} are out of range"))
    }

    /// Why the bytes at `reg` are not all known.
    pub fn why(&self, reg: u32, len: usize) -> String {
        let at = offset(reg).unwrap_or(0) / 4;
        self.why
            .iter()
            .skip(at)
            .take(len.div_ceil(4))
            .flatten()
            .next()
            .cloned()
            .unwrap_or_else(|| "an unknown value".into())
    }

    /// The bytes at `reg` if every bit is known.
    pub fn exact(&self, reg: u32, len: usize) -> Result<Result<Vec<u8>, String>, String> {
        let cells = self.load(reg, len)?;
        Ok(if cells.iter().all(|c| c.known == 0xff) {
            Ok(cells.iter().map(|c| c.v).collect())
        } else {
            Err(self.why(reg, len))
        })
    }
}

/// Whether `cells` equal `data`: no when a known bit differs, yes when all bits are known.
pub(crate) fn equal(cells: &[Cell], data: &[u8], why: impl FnOnce() -> String) -> Tri {
    if cells.len() != data.len() {
        return Tri::No;
    }
    let differs = cells
        .iter()
        .zip(data)
        .any(|(c, d)| (c.v ^ d) & c.known != 0);
    if differs {
        Tri::No
    } else if cells.iter().all(|c| c.known == 0xff) {
        Tri::Yes
    } else {
        Tri::unknown(why())
    }
}

fn addr(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v) => v.octets().to_vec(),
        IpAddr::V6(v) => v.octets().to_vec(),
    }
}

/// The network header of the packet as it is now.
pub(crate) fn network_header(flow: &Flow<'_>) -> Vec<Cell> {
    let proto = flow.proto.number();
    match flow.src {
        IpAddr::V4(_) => {
            let mut h = known(&[0x45]);
            h.extend(unknown(8));
            h.push(Cell::of(proto));
            h.extend(unknown(2));
            h.extend(known(&addr(&flow.src)));
            h.extend(known(&addr(&flow.dst)));
            h
        }
        IpAddr::V6(_) => {
            let mut h = unknown(6);
            h.push(Cell::of(proto));
            h.extend(unknown(1));
            h.extend(known(&addr(&flow.src)));
            h.extend(known(&addr(&flow.dst)));
            h
        }
    }
}

/// The transport header of the packet as it is now.
pub(crate) fn transport_header(flow: &Flow<'_>) -> Vec<Cell> {
    let port = |p: Option<u16>| p.map_or_else(|| unknown(2), |p| known(&p.to_be_bytes()));
    match flow.l4 {
        L4::Tcp {
            sport,
            dport,
            flags,
        } => {
            let mut h = port(sport);
            h.extend(port(Some(dport)));
            h.extend(unknown(9));
            h.push(Cell::of(flags.bits()));
            h.extend(unknown(6));
            h
        }
        L4::Udp { sport, dport } => {
            let mut h = port(sport);
            h.extend(port(Some(dport)));
            h.extend(unknown(4));
            h
        }
        L4::Sctp { sport, dport } => {
            let mut h = port(sport);
            h.extend(port(Some(dport)));
            h.extend(unknown(8));
            h
        }
        L4::Icmp { typ, code } => {
            let mut h = known(&[typ, code]);
            h.extend(unknown(6));
            h
        }
        L4::Other(_) => unknown(8),
    }
}
