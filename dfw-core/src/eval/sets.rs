//! The kernel's ipset sets as the evaluator sees them: which addresses each named set holds.
//!
//! Contract: the caller describes the sets explicitly (read from the kernel by dfw-netlink, or
//! written by a test); nothing is read from the system. A `-m set` match is decided only for a
//! set described as [`SetContents::Nets`] of the packet's family and one dimension; every other
//! case (a set not described, a type whose members are not plain networks, several dimensions)
//! is [`Tri::Unknown`] with the reason, never a guess. A set of another family never matches,
//! as in `ip_set_test`.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::model::matches::{SetDir, SetMatch, SetName};
use crate::model::{Family, Network};

use super::tri::Tri;

/// What one set holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetContents {
    /// A `hash:net` (or `hash:ip`) set of this family: its members (entries with a timeout
    /// included while they last).
    Nets {
        /// The set's family.
        family: Family,
        /// The members.
        members: Vec<Network>,
    },
    /// A set whose members the evaluator cannot test (another type, `nomatch` entries); the
    /// text says which.
    Opaque(String),
}

impl SetContents {
    /// The number of members of a [`SetContents::Nets`] set.
    pub fn len(&self) -> Option<usize> {
        match self {
            SetContents::Nets { members, .. } => Some(members.len()),
            SetContents::Opaque(_) => None,
        }
    }

    /// True for an empty [`SetContents::Nets`] set.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

/// Every set the host has, by name.
pub type HostSets = BTreeMap<SetName, SetContents>;

/// Evaluates `-m set` for a packet of `family` from `src` to `dst`.
pub(crate) fn set_match(
    m: &SetMatch,
    sets: &HostSets,
    family: Family,
    src: IpAddr,
    dst: IpAddr,
) -> Tri {
    let name = m.name();
    let contents = match sets.get(name) {
        Some(c) => c,
        None => {
            return Tri::unknown(format!(
                "-m set: the contents of set {name} are not known (no such set was read)"
            ))
        }
    };
    let (set_family, members) = match contents {
        SetContents::Nets { family, members } => (*family, members),
        SetContents::Opaque(why) => {
            return Tri::unknown(format!("-m set: set {name} cannot be evaluated: {why}"))
        }
    };
    if set_family != family {
        return Tri::from_bool(m.negated());
    }
    let [dir] = m.dirs() else {
        return Tri::unknown(format!(
            "-m set --match-set {name} with {} directions: only one is evaluated",
            m.dirs().len()
        ));
    };
    let addr = match dir {
        SetDir::Src => src,
        SetDir::Dst => dst,
    };
    Tri::neg(members.iter().any(|n| n.contains(&addr)), m.negated())
}
