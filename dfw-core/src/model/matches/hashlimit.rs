//! The `hashlimit` match (revision 3, `struct xt_hashlimit_mtinfo3`).
//!
//! Contract: [`HashLimit`] holds the user part of the kernel struct field for field (name,
//! `cfg`), so it encodes and decodes without loss; its constructor refuses what iptables-save
//! could not print back (unknown mode bits, a name with blanks or quotes, masks beyond the
//! family). Which configurations the text form expresses exactly is the syntax layer's business
//! (`syntax::ext_rate`).

use bitflags::bitflags;

use crate::model::{Family, ModelError};

bitflags! {
    /// `cfg.mode`: the hash key (`--hashlimit-mode`) and the match's flags.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct HashLimitMode: u32 {
        /// `dstip`.
        const DSTIP = 1 << 0;
        /// `dstport`.
        const DSTPORT = 1 << 1;
        /// `srcip`.
        const SRCIP = 1 << 2;
        /// `srcport`.
        const SRCPORT = 1 << 3;
        /// `--hashlimit-above` (match above the rate).
        const INVERT = 1 << 4;
        /// The rate is in bytes (`Nkb/s`).
        const BYTES = 1 << 5;
        /// `--hashlimit-rate-match`.
        const RATE_MATCH = 1 << 6;
    }
}

impl HashLimitMode {
    /// The hash-key bits.
    pub const KEYS: HashLimitMode = HashLimitMode::DSTIP
        .union(HashLimitMode::DSTPORT)
        .union(HashLimitMode::SRCIP)
        .union(HashLimitMode::SRCPORT);
}

/// Longest `--hashlimit-name` (`NAME_MAX - 1`).
pub const HASHLIMIT_NAME_MAX: usize = 254;

/// `-m hashlimit`: one rate limit per hash bucket (source address, ports, ...).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HashLimit {
    /// `--hashlimit-name`.
    pub name: String,
    /// Hash key and flags.
    pub mode: HashLimitMode,
    /// Average interval in 1/1000000 s (packets), or the byte cost (bytes mode).
    pub avg: u64,
    /// Burst (packets), or the burst in cost units (bytes mode; 0 = none).
    pub burst: u64,
    /// `--hashlimit-htable-size` (0 = kernel default).
    pub size: u32,
    /// `--hashlimit-htable-max` (0 = kernel default).
    pub max: u32,
    /// `--hashlimit-htable-gcinterval` in ms.
    pub gc_interval: u32,
    /// `--hashlimit-htable-expire` in ms.
    pub expire: u32,
    /// `--hashlimit-rate-interval` in s (rate-match only; 0 otherwise).
    pub interval: u32,
    /// `--hashlimit-srcmask` prefix length; `None` for the family's full length.
    pub srcmask: Option<u8>,
    /// `--hashlimit-dstmask` prefix length; `None` for the family's full length.
    pub dstmask: Option<u8>,
}

/// True for a name iptables-save prints so that it reads back the same (it prints it raw) and
/// the kernel accepts (`xt_check_proc_name`): no blanks, quotes, `/` or control characters, not
/// `.` or `..`.
pub fn proc_name_ok(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name != "."
        && name != ".."
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '"' | '\'' | '\\'))
}

impl HashLimit {
    /// XT_HASHLIMIT_SCALE_v2: packet intervals are in 1/1000000 s.
    pub const SCALE: u64 = 1_000_000;
    /// Default burst (`XT_HASHLIMIT_BURST`).
    pub const DEFAULT_BURST: u64 = 5;
    /// Default garbage-collection interval in ms.
    pub const DEFAULT_GC_INTERVAL: u32 = 1000;

    /// Checks the fields iptables-save could not print back.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming the field.
    pub fn check(&self) -> Result<(), ModelError> {
        let bad = |what, reason: String| Err(ModelError::Invalid { what, reason });
        if !proc_name_ok(&self.name, HASHLIMIT_NAME_MAX) {
            return bad(
                "--hashlimit-name",
                format!(
                    "{:?}: 1 to 254 bytes without blanks, quotes or '/'",
                    self.name
                ),
            );
        }
        if self.avg == 0 {
            return bad("--hashlimit-upto", "an interval of 0".into());
        }
        if self.gc_interval == 0 || self.expire == 0 {
            return bad(
                "--hashlimit-htable-gcinterval/--hashlimit-htable-expire",
                "0 (the kernel refuses it)".into(),
            );
        }
        if self.mode.contains(HashLimitMode::RATE_MATCH) == (self.interval == 0) {
            return bad(
                "--hashlimit-rate-interval",
                "set exactly when --hashlimit-rate-match is".into(),
            );
        }
        Ok(())
    }

    /// Checks the masks are shorter than the family's addresses (the full length is `None`).
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for a mask as long as the family's addresses or longer.
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        let max = family.addr_bits();
        if [self.srcmask, self.dstmask]
            .into_iter()
            .flatten()
            .any(|m| m >= max)
        {
            return Err(ModelError::Invalid {
                what: "--hashlimit-srcmask/--hashlimit-dstmask",
                reason: format!("below {max} for {family} (the full length is the default)"),
            });
        }
        Ok(())
    }
}

/// libxt_hashlimit's `cost_to_bytes` (64-bit, wrapping as the C code does).
pub fn cost_to_bytes(cost: u64) -> u64 {
    let r = u64::from(u32::MAX)
        .checked_div(cost)
        .unwrap_or(u64::from(u32::MAX));
    r.wrapping_sub(1) << 4
}

/// libxt_hashlimit's `bytes_to_cost`; 0 where the C code would divide by zero.
pub fn bytes_to_cost(bytes: u64) -> u64 {
    let r = (bytes >> 4) as u32;
    r.checked_add(1).map_or(0, |d| u64::from(u32::MAX / d))
}
