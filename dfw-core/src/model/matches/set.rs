//! The `set` match (`-m set [!] --match-set NAME src[,dst...]`) and ipset set names.
//!
//! Contract: a [`SetName`] is what ipset and iptables accept and print back unchanged (1 to 31
//! bytes of printable ASCII without quotes, backslash or comma); a [`SetMatch`] holds exactly
//! the plain form iptables-save prints (no counters, no `--return-nomatch`), with 1 to 6
//! directions.

use std::fmt;

use crate::model::ModelError;

/// Longest ipset name (`IPSET_MAXNAMELEN - 1`).
pub const SET_NAME_MAX_LEN: usize = 31;

/// The name of an ipset set.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SetName(String);

impl SetName {
    /// Validates a set name.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for an empty name, one longer than 31 bytes, or one with a
    /// character that is not printable ASCII or is a quote, backslash or comma.
    pub fn new(name: &str) -> Result<Self, ModelError> {
        let bad = |reason: String| ModelError::Invalid {
            what: "set name",
            reason,
        };
        if name.is_empty() {
            return Err(bad("empty".into()));
        }
        if name.len() > SET_NAME_MAX_LEN {
            return Err(bad(format!(
                "{name:?} is {} bytes, at most {SET_NAME_MAX_LEN}",
                name.len()
            )));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !c.is_ascii_graphic() || matches!(c, '"' | '\'' | '\\' | ','))
        {
            return Err(bad(format!("{name:?} contains {c:?}")));
        }
        Ok(SetName(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which address of the packet one dimension of the set is looked up with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetDir {
    /// `src`: the source address.
    Src,
    /// `dst`: the destination address.
    Dst,
}

impl SetDir {
    /// `src` or `dst`.
    pub fn as_str(self) -> &'static str {
        match self {
            SetDir::Src => "src",
            SetDir::Dst => "dst",
        }
    }
}

/// Most dimensions a set match names (`IPSET_DIM_MAX`).
pub const SET_DIM_MAX: usize = 6;

/// `-m set [!] --match-set NAME DIR[,DIR...]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SetMatch {
    name: SetName,
    dirs: Vec<SetDir>,
    negated: bool,
}

impl SetMatch {
    /// A set match.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for no direction or more than 6.
    pub fn new(name: SetName, dirs: Vec<SetDir>, negated: bool) -> Result<Self, ModelError> {
        if dirs.is_empty() || dirs.len() > SET_DIM_MAX {
            return Err(ModelError::Invalid {
                what: "set match",
                reason: format!("{} directions, want 1 to {SET_DIM_MAX}", dirs.len()),
            });
        }
        Ok(SetMatch {
            name,
            dirs,
            negated,
        })
    }

    /// `--match-set NAME src`: the source address is in the set.
    pub fn src(name: SetName) -> Self {
        SetMatch {
            name,
            dirs: vec![SetDir::Src],
            negated: false,
        }
    }

    /// The set's name.
    pub fn name(&self) -> &SetName {
        &self.name
    }

    /// The directions, one per dimension.
    pub fn dirs(&self) -> &[SetDir] {
        &self.dirs
    }

    /// True for `! --match-set`.
    pub fn negated(&self) -> bool {
        self.negated
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(SetName::new("dfw-allow-4").is_ok());
        assert!(SetName::new("crowdsec-blacklists").is_ok());
        assert!(SetName::new(&"x".repeat(31)).is_ok());
        for bad in ["", "a b", "a,b", "a\"b", "ä", &"x".repeat(32)] {
            assert!(SetName::new(bad).is_err(), "{bad:?}");
        }
        let n = SetName::new("s").unwrap();
        assert!(SetMatch::new(n.clone(), vec![], false).is_err());
        assert!(SetMatch::new(n.clone(), vec![SetDir::Src; 7], false).is_err());
        assert_eq!(SetMatch::src(n).dirs(), &[SetDir::Src]);
    }
}
