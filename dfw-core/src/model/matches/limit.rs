//! The `limit` match and the rate arithmetic it shares with `hashlimit`.
//!
//! Contract: a rate is held as libxt_limit holds it, the average interval between packets in
//! `1/SCALE` seconds (`XT_LIMIT_SCALE` = 10000 for `limit`, `XT_HASHLIMIT_SCALE_v2` = 1000000
//! for `hashlimit` revision 2 and 3); [`rate_text`] turns it back into the `N/unit` iptables-save
//! prints (`print_rate`), [`interval_of`] is `parse_rate`.

use std::fmt;

use crate::model::ModelError;

/// The time units of a rate, as iptables-save names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateUnit {
    /// `/sec`.
    Second,
    /// `/min`.
    Minute,
    /// `/hour`.
    Hour,
    /// `/day`.
    Day,
}

impl RateUnit {
    /// Every unit, longest first (the order `print_rate` tries them).
    pub const ALL: [RateUnit; 4] = [
        RateUnit::Day,
        RateUnit::Hour,
        RateUnit::Minute,
        RateUnit::Second,
    ];

    /// Seconds in the unit.
    pub fn seconds(self) -> u64 {
        match self {
            RateUnit::Second => 1,
            RateUnit::Minute => 60,
            RateUnit::Hour => 3600,
            RateUnit::Day => 86400,
        }
    }

    /// The name iptables-save prints (`sec`, `min`, `hour`, `day`).
    pub fn name(self) -> &'static str {
        match self {
            RateUnit::Second => "sec",
            RateUnit::Minute => "min",
            RateUnit::Hour => "hour",
            RateUnit::Day => "day",
        }
    }

    /// The unit a `/word` suffix names: any non-empty prefix of `second`, `minute`, `hour` or
    /// `day`, case-insensitive (libxt_limit's `strncasecmp`).
    pub fn parse(word: &str) -> Option<RateUnit> {
        if word.is_empty() {
            return None;
        }
        let w = word.to_ascii_lowercase();
        [
            ("second", RateUnit::Second),
            ("minute", RateUnit::Minute),
            ("hour", RateUnit::Hour),
            ("day", RateUnit::Day),
        ]
        .into_iter()
        .find(|(full, _)| full.starts_with(&w))
        .map(|(_, u)| u)
    }
}

/// The average interval of `rate` packets per `unit`, in `1/scale` seconds
/// (`scale * unit / rate`, truncated); `None` when it is 0 (too fast) or `rate` is 0.
pub fn interval_of(rate: u64, unit: RateUnit, scale: u64) -> Option<u64> {
    if rate == 0 {
        return None;
    }
    let v = scale.checked_mul(unit.seconds())? / rate;
    (v != 0).then_some(v)
}

/// The `(count, unit)` iptables-save prints for an interval of `period / scale` seconds: the
/// longest unit that divides without more loss than the next (`print_rate`). `period` is
/// non-zero.
pub fn rate_of(period: u64, scale: u64) -> (u64, RateUnit) {
    let mult = |u: RateUnit| scale * u.seconds();
    let units = RateUnit::ALL;
    let mut i = 1;
    while i < units.len() {
        let m = mult(units[i]);
        if period > m || m / period < m % period {
            break;
        }
        i += 1;
    }
    let u = units[i - 1];
    (mult(u) / period, u)
}

/// ` N/unit` text of an interval, as `print_rate` writes it.
pub fn rate_text(period: u64, scale: u64) -> String {
    let (n, u) = rate_of(period, scale);
    format!("{n}/{}", u.name())
}

/// `-m limit --limit N/unit [--limit-burst B]`: `struct xt_rateinfo`'s user part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Limit {
    avg: u32,
    burst: u32,
}

impl Limit {
    /// `XT_LIMIT_SCALE`: intervals are in 1/10000 s.
    pub const SCALE: u64 = 10_000;
    /// The default burst (`XT_LIMIT_BURST`).
    pub const DEFAULT_BURST: u32 = 5;
    /// The largest burst libxt_limit accepts.
    pub const MAX_BURST: u32 = 10_000;
    /// The default average: 3/hour.
    pub const DEFAULT_AVG: u32 = 12_000_000;

    /// A limit of one packet per `avg / 10000` s on average, bursts of `burst`.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for an interval of 0 (infinitely fast) or a burst of 0 (the
    /// kernel stores it as 5) or above 10000.
    pub fn new(avg: u32, burst: u32) -> Result<Self, ModelError> {
        if avg == 0 {
            return Err(ModelError::Invalid {
                what: "--limit",
                reason: "an average interval of 0 (rate too fast)".into(),
            });
        }
        if burst == 0 || burst > Self::MAX_BURST {
            return Err(ModelError::Invalid {
                what: "--limit-burst",
                reason: format!("{burst}: 1 to {}", Self::MAX_BURST),
            });
        }
        Ok(Limit { avg, burst })
    }

    /// The average interval in 1/10000 s (`avg`).
    pub fn avg(&self) -> u32 {
        self.avg
    }

    /// The burst.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// True when iptables-save's text of the rate reads back as the same interval (and the
    /// native `limit` expression iptables-nft writes for it decodes back to it): what a decoder
    /// requires before it accepts a kernel value.
    pub fn is_canonical(&self) -> bool {
        let (n, unit) = self.rate();
        interval_of(n, unit, Self::SCALE) == Some(u64::from(self.avg))
    }

    /// The `(rate, unit)` iptables-nft writes as a native `limit` expression (and iptables-save
    /// prints): `add_nft_limit`'s arithmetic.
    pub fn rate(&self) -> (u64, RateUnit) {
        rate_of(u64::from(self.avg), Self::SCALE)
    }
}

impl Default for Limit {
    /// iptables' default: 3/hour, burst 5.
    fn default() -> Self {
        Limit {
            avg: Self::DEFAULT_AVG,
            burst: Self::DEFAULT_BURST,
        }
    }
}

impl fmt::Display for Limit {
    /// `N/unit` as iptables-save prints the rate.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rate_text(u64::from(self.avg), Self::SCALE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_as_libxt_limit() {
        let l = |rate, unit| {
            Limit::new(interval_of(rate, unit, Limit::SCALE).unwrap() as u32, 5).unwrap()
        };
        assert_eq!(l(3, RateUnit::Minute).to_string(), "3/min");
        assert_eq!(l(3, RateUnit::Hour).to_string(), "3/hour");
        assert_eq!(l(120, RateUnit::Minute).to_string(), "2/sec");
        assert_eq!(l(7, RateUnit::Second).to_string(), "7/sec");
        assert_eq!(Limit::default().to_string(), "3/hour");
        assert_eq!(l(1, RateUnit::Day).rate(), (1, RateUnit::Day));
        assert_eq!(interval_of(20_000, RateUnit::Second, Limit::SCALE), None);
        assert_eq!(RateUnit::parse("m"), Some(RateUnit::Minute));
        assert_eq!(RateUnit::parse("SEC"), Some(RateUnit::Second));
        assert_eq!(RateUnit::parse("mins"), None);
        assert!(Limit::new(0, 5).is_err() && Limit::new(1, 10_001).is_err());
        assert!(Limit::new(1, 0).is_err());
    }
}
