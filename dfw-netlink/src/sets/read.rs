//! Reading the kernel's sets for the set engine.
//!
//! Contract: one `LIST` of every set's header (names, types, families, indices, sizes), then a
//! full `LIST` of each of dfw's own sets that `wanted` says to read members of. A kernel
//! without ipset is [`KernelSets::Unsupported`], not an error: the caller compiles lists to
//! rules instead.

use std::collections::BTreeMap;

use dfw_core::model::matches::SetName;

use super::SetsError;
use crate::ipset::{IpsetClient, IpsetError, ListMode, SetListing};
use crate::transport::Transport;

/// The kernel's sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KernelSets {
    /// The kernel has no ipset support (the errno it answered with).
    Unsupported(i32),
    /// Every set, by name (members read only for those asked for).
    Sets(BTreeMap<SetName, SetListing>),
}

impl KernelSets {
    /// The sets, empty when unsupported.
    pub fn sets(&self) -> BTreeMap<SetName, SetListing> {
        match self {
            KernelSets::Unsupported(_) => BTreeMap::new(),
            KernelSets::Sets(s) => s.clone(),
        }
    }
}

/// Reads the kernel's sets, with the members of those in `members_of`.
///
/// # Errors
/// [`SetsError::Read`].
pub fn read_sets<T: Transport + ?Sized>(
    t: &mut T,
    members_of: &[&SetName],
) -> Result<KernelSets, SetsError> {
    let mut c = IpsetClient::new(t);
    match c.protocol() {
        Ok(_) => {}
        Err(IpsetError::Unsupported { code }) => return Ok(KernelSets::Unsupported(code)),
        Err(e) => return Err(SetsError::Read(Box::new(e))),
    }
    let read = |e| SetsError::Read(Box::new(e));
    let mut sets: BTreeMap<SetName, SetListing> = c
        .list(None, ListMode::Headers)
        .map_err(read)?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    for name in members_of {
        if !sets.contains_key(*name) {
            continue;
        }
        match c.list(Some(name), ListMode::Full) {
            Ok(l) => {
                for s in l {
                    sets.insert(s.name.clone(), s);
                }
            }
            // Destroyed since the header list.
            Err(IpsetError::Rejected {
                code: libc::ENOENT, ..
            }) => {
                sets.remove(*name);
            }
            Err(e) => return Err(read(e)),
        }
    }
    Ok(KernelSets::Sets(sets))
}
