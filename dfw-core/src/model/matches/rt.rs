//! The IPv6 `rt` match (routing header; `struct ip6t_rt`).

use crate::model::ModelError;

/// `-m rt`: fields of the IPv6 routing header. `--rt-0-addrs` is not modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rt {
    /// `[!] --rt-type N`: `(type, negated)`.
    pub rt_type: Option<(u32, bool)>,
    /// `[!] --rt-segsleft a[:b]`: `(min, max, negated)`.
    pub segsleft: Option<(u32, u32, bool)>,
    /// `[!] --rt-len N`: `(length, negated)`.
    pub len: Option<(u32, bool)>,
    /// `--rt-0-res` (needs `--rt-type 0`).
    pub res0: bool,
}

impl Rt {
    /// Checks what libip6t_rt refuses or iptables-save cannot print back: `--rt-0-res` without
    /// `--rt-type 0`, and a segments-left range that covers every value (iptables 1.8.9 does not
    /// print it).
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming the problem.
    pub fn check(&self) -> Result<(), ModelError> {
        let bad = |reason: &str| {
            Err(ModelError::Invalid {
                what: "rt",
                reason: reason.into(),
            })
        };
        if self.res0 && self.rt_type != Some((0, false)) {
            return bad("--rt-0-res needs --rt-type 0");
        }
        if let Some((lo, hi, _)) = self.segsleft {
            if lo == 0 && hi == u32::MAX {
                return bad("--rt-segsleft 0:4294967295 matches every header; omit it");
            }
        }
        Ok(())
    }
}
