//! A reader that turns fuzzer bytes into values, for building structured inputs.
//!
//! Contract: every read succeeds; once the bytes run out, reads return zero (`false`, the
//! first choice, an empty string), so any byte string builds a value and shrinks well.

/// Fuzzer bytes, consumed from the front.
#[derive(Debug, Clone)]
pub struct Bytes<'a> {
    data: &'a [u8],
}

impl<'a> Bytes<'a> {
    /// Reads from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Bytes { data }
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Fills `out` from the front of the bytes, zero-padding when they run out.
    fn fill(&mut self, out: &mut [u8]) {
        let n = out.len().min(self.data.len());
        out[..n].copy_from_slice(&self.data[..n]);
        out[n..].fill(0);
        self.data = &self.data[n..];
    }

    /// One byte.
    pub fn u8(&mut self) -> u8 {
        let mut b = [0; 1];
        self.fill(&mut b);
        b[0]
    }

    /// A big-endian u16.
    pub fn u16(&mut self) -> u16 {
        let mut b = [0; 2];
        self.fill(&mut b);
        u16::from_be_bytes(b)
    }

    /// A big-endian u32.
    pub fn u32(&mut self) -> u32 {
        let mut b = [0; 4];
        self.fill(&mut b);
        u32::from_be_bytes(b)
    }

    /// A big-endian u64.
    pub fn u64(&mut self) -> u64 {
        let mut b = [0; 8];
        self.fill(&mut b);
        u64::from_be_bytes(b)
    }

    /// A big-endian u128.
    pub fn u128(&mut self) -> u128 {
        let mut b = [0; 16];
        self.fill(&mut b);
        u128::from_be_bytes(b)
    }

    /// A bool (the low bit of a byte).
    pub fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }

    /// A number in `0..n` (`n` > 0, at most 256).
    pub fn below(&mut self, n: usize) -> usize {
        usize::from(self.u8()) % n.max(1)
    }

    /// A number in `lo..=hi` (as wide as a byte allows).
    pub fn in_range(&mut self, lo: u8, hi: u8) -> u8 {
        let span = u16::from(hi.saturating_sub(lo)) + 1;
        lo + (u16::from(self.u8()) % span) as u8
    }

    /// `Some(f(self))` or `None`, on one byte.
    pub fn option<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> Option<T> {
        self.bool().then(|| f(self))
    }

    /// A string of at most `max` characters: its length, then one byte per character, each
    /// mapped into `alphabet` (or, with an empty alphabet, taken as a Latin-1 character).
    pub fn string(&mut self, max: usize, alphabet: &str) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let len = self.below(max + 1);
        (0..len)
            .map(|_| {
                let b = self.u8();
                if chars.is_empty() {
                    char::from(b)
                } else {
                    chars[usize::from(b) % chars.len()]
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_then_pads_with_zero() {
        let mut b = Bytes::new(&[1, 2, 3]);
        assert_eq!(b.u16(), 0x0102);
        assert_eq!(b.u16(), 0x0300);
        assert!(b.is_empty());
        assert_eq!(b.u64(), 0);
        assert_eq!(b.in_range(3, 5), 3);
        assert_eq!(Bytes::new(&[7]).in_range(0, 255), 7);
        assert_eq!(Bytes::new(&[2, b'a', b'b']).string(5, "xy"), "yx");
    }
}
