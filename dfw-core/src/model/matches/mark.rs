//! The `mark` match.

/// `-m mark [!] --mark value[/mask]`. The value is stored masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mark {
    value: u32,
    mask: u32,
    negated: bool,
}

impl Mark {
    /// A mark match; `value` is masked with `mask` as the kernel compares it.
    pub fn new(value: u32, mask: u32, negated: bool) -> Self {
        Mark {
            value: value & mask,
            mask,
            negated,
        }
    }

    /// The value.
    pub fn value(&self) -> u32 {
        self.value
    }

    /// The mask (`0xffffffff` when none was given).
    pub fn mask(&self) -> u32 {
        self.mask
    }

    /// True for `! --mark`.
    pub fn negated(&self) -> bool {
        self.negated
    }
}
