//! Sets and maps with their elements, and membership as the kernel decides it.
//!
//! Contract: keys and data are the bytes the kernel stores (each concatenated field padded to
//! a multiple of 4 bytes, as in registers). [`Set::lookup`] follows the kernel's set backends:
//! a plain set compares the whole key; an interval set without `KEY_END` (rbtree) holds start
//! elements and end elements (flag `INTERVAL_END`, key = last + 1) and a value belongs to the
//! interval of the greatest element not above it (a start wins over an end at the same key);
//! an interval set with `KEY_END` (pipapo, concatenations) matches when every field lies in
//! its element's range. Byte strings compare big-endian, as the kernel's `memcmp`.

use super::expr::Data;

/// `enum nft_set_flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SetFlags(pub u32);

impl SetFlags {
    /// `NFT_SET_ANONYMOUS`.
    pub const ANONYMOUS: u32 = 0x1;
    /// `NFT_SET_CONSTANT`.
    pub const CONSTANT: u32 = 0x2;
    /// `NFT_SET_INTERVAL`.
    pub const INTERVAL: u32 = 0x4;
    /// `NFT_SET_MAP`.
    pub const MAP: u32 = 0x8;
    /// `NFT_SET_TIMEOUT`.
    pub const TIMEOUT: u32 = 0x10;
    /// `NFT_SET_EVAL` (dynamic).
    pub const EVAL: u32 = 0x20;
    /// `NFT_SET_OBJECT`.
    pub const OBJECT: u32 = 0x40;
    /// `NFT_SET_CONCAT`.
    pub const CONCAT: u32 = 0x80;

    /// True when every bit of `bits` is set.
    pub fn has(self, bits: u32) -> bool {
        self.0 & bits == bits
    }
}

/// One element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetElem {
    /// The key.
    pub key: Vec<u8>,
    /// The end of a range (concatenated intervals).
    pub key_end: Option<Vec<u8>>,
    /// `NFT_SET_ELEM_INTERVAL_END`: this element closes an interval.
    pub interval_end: bool,
    /// A map's data.
    pub data: Option<Data>,
    /// `NFT_SET_ELEM_CATCHALL` (`*`): matches what no other element matches.
    pub catchall: bool,
}

/// One set or map.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Set {
    /// The name (`__set0`... for anonymous sets).
    pub name: String,
    /// The kernel handle.
    pub handle: u64,
    /// Flags.
    pub flags: SetFlags,
    /// `NFTA_SET_KEY_TYPE`: nft's datatype (concatenations: 6 bits per field).
    pub key_type: u32,
    /// Key length in bytes.
    pub key_len: u32,
    /// `NFTA_SET_DATA_TYPE` of a map (`0xffffff00` for verdicts).
    pub data_type: Option<u32>,
    /// Data length of a map.
    pub data_len: u32,
    /// Field lengths of a concatenated key (`NFTA_SET_DESC_CONCAT`), empty otherwise.
    pub fields: Vec<u32>,
    /// The elements as the kernel dumps them.
    pub elems: Vec<SetElem>,
}

/// nft's datatype of verdicts in maps (`NFT_DATA_VERDICT`).
pub const DATA_VERDICT: u32 = 0xffff_ff00;

impl Set {
    /// True for an anonymous set (`{ ... }` inside a rule).
    pub fn is_anonymous(&self) -> bool {
        self.flags.has(SetFlags::ANONYMOUS)
    }

    /// True for a map.
    pub fn is_map(&self) -> bool {
        self.flags.has(SetFlags::MAP)
    }

    /// The field boundaries of the key: `(offset, len)` per field, padded to 4 bytes.
    pub fn field_spans(&self) -> Vec<(usize, usize)> {
        if self.fields.is_empty() {
            return vec![(0, self.key_len as usize)];
        }
        let mut at = 0;
        self.fields
            .iter()
            .map(|&l| {
                let span = (at, l as usize);
                at += (l as usize).div_ceil(4) * 4;
                span
            })
            .collect()
    }

    /// The element `key` belongs to, if any (see the module contract); `key` is the register
    /// content, at least `key_len` bytes.
    pub fn lookup(&self, key: &[u8]) -> Option<&SetElem> {
        self.lookup_keyed(key)
            .or_else(|| self.elems.iter().find(|e| e.catchall))
    }

    fn lookup_keyed(&self, key: &[u8]) -> Option<&SetElem> {
        let klen = self.key_len as usize;
        let key = key.get(..klen)?;
        if self.elems.iter().any(|e| e.key_end.is_some()) {
            let spans = self.field_spans();
            return self.elems.iter().filter(|e| !e.catchall).find(|e| {
                let end = e.key_end.as_deref().unwrap_or(&e.key);
                spans.iter().all(|&(o, l)| {
                    let f = |b: &[u8]| b.get(o..o + l).map(<[u8]>::to_vec);
                    match (f(&e.key), f(end), f(key)) {
                        (Some(lo), Some(hi), Some(v)) => lo <= v && v <= hi,
                        _ => false,
                    }
                })
            });
        }
        if !self.flags.has(SetFlags::INTERVAL) {
            return self
                .elems
                .iter()
                .find(|e| e.key.get(..klen) == Some(key) && !e.interval_end);
        }
        let best = self
            .elems
            .iter()
            .filter(|e| e.key.get(..klen).is_some_and(|k| k <= key))
            .max_by(|a, b| {
                a.key[..klen]
                    .cmp(&b.key[..klen])
                    .then(b.interval_end.cmp(&a.interval_end))
            })?;
        (!best.interval_end).then_some(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(flags: u32, key_len: u32, elems: Vec<SetElem>) -> Set {
        Set {
            name: "s".into(),
            handle: 1,
            flags: SetFlags(flags),
            key_type: 7,
            key_len,
            data_type: None,
            data_len: 0,
            fields: Vec::new(),
            elems,
        }
    }

    fn el(key: &[u8], end: bool) -> SetElem {
        SetElem {
            key: key.to_vec(),
            key_end: None,
            interval_end: end,
            data: None,
            catchall: false,
        }
    }

    #[test]
    fn rbtree_intervals_as_the_kernel_stores_them() {
        // { 10.0.0.0/8, 192.168.1.0/24 } as nft sends it: start, end (last + 1) pairs.
        let s = set(
            SetFlags::INTERVAL,
            4,
            vec![
                el(&[0, 0, 0, 0], true),
                el(&[10, 0, 0, 0], false),
                el(&[11, 0, 0, 0], true),
                el(&[192, 168, 1, 0], false),
                el(&[192, 168, 2, 0], true),
            ],
        );
        assert!(s.lookup(&[10, 9, 9, 9]).is_some());
        assert!(s.lookup(&[11, 0, 0, 0]).is_none());
        assert!(s.lookup(&[9, 255, 255, 255]).is_none());
        assert!(s.lookup(&[192, 168, 1, 255]).is_some());
        assert!(s.lookup(&[192, 168, 2, 0]).is_none());
    }

    #[test]
    fn hash_sets_and_concatenated_ranges() {
        let s = set(0, 2, vec![el(&[0, 22], false), el(&[0, 80], false)]);
        assert!(s.lookup(&[0, 22, 0, 0]).is_some());
        assert!(s.lookup(&[0, 23]).is_none());
        let mut c = set(SetFlags::INTERVAL | SetFlags::CONCAT, 8, Vec::new());
        c.fields = vec![4, 2];
        c.elems.push(SetElem {
            key: vec![10, 0, 0, 0, 0, 1, 0, 0],
            key_end: Some(vec![10, 0, 0, 255, 0, 100, 0, 0]),
            interval_end: false,
            data: None,
            catchall: false,
        });
        assert!(c.lookup(&[10, 0, 0, 7, 0, 50, 0, 0]).is_some());
        assert!(c.lookup(&[10, 0, 0, 7, 0, 101, 0, 0]).is_none());
        assert!(c.lookup(&[10, 0, 1, 0, 0, 50, 0, 0]).is_none());
    }
}
