//! `Neg<T>`: a value with iptables' `!` inversion.

/// A match value that iptables can invert with `!`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Neg<T> {
    /// The value matched.
    pub value: T,
    /// True when the match is inverted (`! --opt value`).
    pub negated: bool,
}

impl<T> Neg<T> {
    /// A plain, non-inverted match.
    pub fn is(value: T) -> Self {
        Neg {
            value,
            negated: false,
        }
    }

    /// An inverted match.
    pub fn not(value: T) -> Self {
        Neg {
            value,
            negated: true,
        }
    }

    /// Builds from a value and an inversion flag.
    pub fn new(value: T, negated: bool) -> Self {
        Neg { value, negated }
    }

    /// The `"! "` prefix iptables-save prints before an inverted option, or `""`.
    pub fn bang(&self) -> &'static str {
        if self.negated {
            "! "
        } else {
            ""
        }
    }
}
