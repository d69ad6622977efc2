//! The `iprange` match (revision 1).

use crate::model::{AddrRange, Family, ModelError, Neg};

/// `-m iprange [!] --src-range a-b [!] --dst-range c-d`; at least one is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpRange {
    src: Option<Neg<AddrRange>>,
    dst: Option<Neg<AddrRange>>,
}

impl IpRange {
    /// Builds an iprange match.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] when neither range is given or they differ in family.
    pub fn new(
        src: Option<Neg<AddrRange>>,
        dst: Option<Neg<AddrRange>>,
    ) -> Result<Self, ModelError> {
        match (&src, &dst) {
            (None, None) => Err(ModelError::Invalid {
                what: "iprange",
                reason: "needs --src-range or --dst-range".into(),
            }),
            (Some(s), Some(d)) if s.value.family() != d.value.family() => {
                Err(ModelError::WrongFamily {
                    addr: d.value.to_string(),
                    family: s.value.family(),
                })
            }
            _ => Ok(IpRange { src, dst }),
        }
    }

    /// `--src-range`.
    pub fn src(&self) -> Option<&Neg<AddrRange>> {
        self.src.as_ref()
    }

    /// `--dst-range`.
    pub fn dst(&self) -> Option<&Neg<AddrRange>> {
        self.dst.as_ref()
    }

    /// Checks the ranges belong to `family`.
    ///
    /// # Errors
    /// [`ModelError::WrongFamily`].
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        for r in self.src.iter().chain(self.dst.iter()) {
            if r.value.family() != family {
                return Err(ModelError::WrongFamily {
                    addr: r.value.to_string(),
                    family,
                });
            }
        }
        Ok(())
    }
}
