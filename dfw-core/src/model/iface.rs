//! Interface names as `-i`/`-o` take them: exact (`eth0`) or a prefix wildcard (`eth+`).

use std::fmt;

use super::ModelError;

/// Longest interface name the kernel accepts (`IFNAMSIZ - 1`).
pub const IFACE_MAX_LEN: usize = 15;

/// An interface name, exact or a `+` prefix wildcard. The name part is 1 to 15 bytes (14 before
/// a `+`) with no whitespace, `/`, NUL or `+` inside.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Iface {
    name: String,
    wildcard: bool,
}

impl Iface {
    /// Parses iptables' form: `eth0` exact, `eth+` matches every name starting with `eth`.
    ///
    /// # Errors
    /// [`ModelError::Iface`] for an empty, overlong or illegal name (`+` alone is refused: it
    /// matches every interface and iptables encodes nothing for it).
    pub fn parse(text: &str) -> Result<Self, ModelError> {
        let (name, wildcard) = match text.strip_suffix('+') {
            Some(stem) => (stem, true),
            None => (text, false),
        };
        Self::new(name, wildcard).map_err(|e| match e {
            ModelError::Iface { reason, .. } => ModelError::Iface {
                name: text.to_string(),
                reason,
            },
            other => other,
        })
    }

    /// Builds from the name part and the wildcard flag.
    ///
    /// # Errors
    /// [`ModelError::Iface`] for an empty, overlong or illegal name.
    pub fn new(name: &str, wildcard: bool) -> Result<Self, ModelError> {
        let err = |reason| ModelError::Iface {
            name: name.to_string(),
            reason,
        };
        if name.is_empty() {
            return Err(err("empty name"));
        }
        if name.len() > IFACE_MAX_LEN {
            return Err(err("longer than 15 bytes"));
        }
        // iptables limits the text, `+` included, to 15 bytes (IFNAMSIZ - 1).
        if wildcard && name.len() > IFACE_MAX_LEN - 1 {
            return Err(err("longer than 14 bytes before '+'"));
        }
        if name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '+')
        {
            return Err(err("contains whitespace, a control character, '/' or '+'"));
        }
        if name == "." || name == ".." {
            return Err(err("'.' and '..' are not interface names"));
        }
        Ok(Iface {
            name: name.to_string(),
            wildcard,
        })
    }

    /// The name, without the `+`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// True for a prefix wildcard (`eth+`).
    pub fn is_wildcard(&self) -> bool {
        self.wildcard
    }

    /// True when the interface `actual` matches this name.
    pub fn matches(&self, actual: &str) -> bool {
        if self.wildcard {
            actual.starts_with(&self.name)
        } else {
            actual == self.name
        }
    }
}

impl fmt::Display for Iface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if self.wildcard {
            f.write_str("+")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_and_wildcard() {
        let i = Iface::parse("eth+").unwrap();
        assert!(i.is_wildcard() && i.matches("eth12") && !i.matches("et"));
        assert_eq!(i.to_string(), "eth+");
        assert!(Iface::parse("docker0").unwrap().matches("docker0"));
        for bad in ["", "+", "a/b", "a b", "0123456789abcdef", "e+th"] {
            assert!(Iface::parse(bad).is_err(), "{bad}");
        }
        assert!(Iface::parse("0123456789abcde").is_ok());
        assert!(Iface::parse("0123456789abcd+").is_ok());
        assert!(Iface::parse("0123456789abcde+").is_err());
    }
}
