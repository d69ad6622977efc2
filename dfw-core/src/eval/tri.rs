//! Three-valued match results: a match is true, false, or cannot be decided (with the reason).
//!
//! Contract: conjunction is short-circuit in the kernel's sense: a rule whose parts include one
//! false part does not match, whatever its unknown parts are.

/// The result of evaluating a match, a header field or a whole rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Tri {
    /// Matches.
    Yes,
    /// Does not match.
    No,
    /// Cannot be decided from the packet and host description; the reason says why.
    Unknown(String),
}

impl Tri {
    /// From a boolean.
    pub fn from_bool(b: bool) -> Self {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }

    /// A boolean condition inverted when `negated` (iptables' `!`).
    pub fn neg(b: bool, negated: bool) -> Self {
        Tri::from_bool(b ^ negated)
    }

    /// Unknown with a reason.
    pub fn unknown(reason: impl Into<String>) -> Self {
        Tri::Unknown(reason.into())
    }

    /// Logical and: `No` wins over `Unknown`, which wins over `Yes`; the first unknown reason
    /// is kept.
    pub fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Unknown(r), _) | (_, Tri::Unknown(r)) => Tri::Unknown(r),
            (Tri::Yes, Tri::Yes) => Tri::Yes,
        }
    }

    /// The conjunction of many results.
    pub fn all(items: impl IntoIterator<Item = Tri>) -> Tri {
        items.into_iter().fold(Tri::Yes, Tri::and)
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    /// Inverts a decided result; unknown stays unknown.
    fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            u => u,
        }
    }
}

impl From<Result<bool, String>> for Tri {
    fn from(r: Result<bool, String>) -> Self {
        match r {
            Ok(b) => Tri::from_bool(b),
            Err(reason) => Tri::Unknown(reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn and_lets_no_dominate_unknown() {
        let u = Tri::unknown("x");
        assert_eq!(Tri::No.and(u.clone()), Tri::No);
        assert_eq!(u.clone().and(Tri::No), Tri::No);
        assert_eq!(Tri::Yes.and(u.clone()), u);
        assert_eq!(Tri::all([Tri::Yes, Tri::Yes]), Tri::Yes);
        assert_eq!(!u.clone(), u);
        assert_eq!(Tri::neg(true, true), Tri::No);
    }
}
