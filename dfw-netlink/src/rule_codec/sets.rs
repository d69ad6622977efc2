//! [`SetIndex`]: the kernel's ipset names and indices, which `-m set` rules need. An xt `set`
//! match names its set by the kernel's index, as iptables resolves it at `-A` time and back at
//! `-S`/save time; dfw resolves both ways with this table, read from the kernel (`LIST`).
//!
//! Contract: a match whose set is not in the table does not encode
//! ([`super::EncodeError::UnknownSet`]), and one whose index is not in it decodes as an opaque
//! rule (kept byte for byte), never as another set.

use std::collections::BTreeMap;

use dfw_core::model::matches::SetName;

/// Set names and their kernel indices, both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SetIndex {
    by_name: BTreeMap<SetName, u16>,
    by_index: BTreeMap<u16, SetName>,
}

/// The empty table: no `-m set` rule encodes or decodes with it.
pub static NO_SETS: SetIndex = SetIndex {
    by_name: BTreeMap::new(),
    by_index: BTreeMap::new(),
};

impl SetIndex {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that set `name` has kernel index `index` (replacing what either had).
    pub fn insert(&mut self, name: SetName, index: u16) {
        if let Some(old) = self.by_name.insert(name.clone(), index) {
            self.by_index.remove(&old);
        }
        if let Some(old) = self.by_index.insert(index, name) {
            if self.by_index.get(&index) != Some(&old) {
                self.by_name.remove(&old);
            }
        }
    }

    /// The index of set `name`.
    pub fn index_of(&self, name: &SetName) -> Option<u16> {
        self.by_name.get(name).copied()
    }

    /// The name of the set with kernel index `index`.
    pub fn name_of(&self, index: u16) -> Option<&SetName> {
        self.by_index.get(&index)
    }

    /// Number of sets.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// True when no set is known.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}
