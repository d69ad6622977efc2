//! Options of the `hashlimit` match (revision 3).
//!
//! Contract: values are read as libxt_hashlimit (1.8.9) reads them, with its defaults and the
//! final check that fills in derived fields (the expiry, the rate-match interval, the burst of
//! a byte rate). Mutually exclusive options share an option id.

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::ext_rate::{atoll, bad, rate_parts};
use super::values;
use crate::model::matches::{
    bytes_to_cost, cost_to_bytes, interval_of, HashLimit, HashLimitMode, HASHLIMIT_NAME_MAX,
};
use crate::model::Match;

/// `-m hashlimit` options (`id` 1: the rate).
pub const HASHLIMIT_OPTS: &[OptSpec] = &[
    opt("hashlimit-upto", 1, 1, true),
    opt("hashlimit-above", 1, 1, true),
    opt("hashlimit", 1, 1, true),
    opt("hashlimit-srcmask", 2, 1, false),
    opt("hashlimit-dstmask", 3, 1, false),
    opt("hashlimit-burst", 4, 1, false),
    opt("hashlimit-htable-size", 5, 1, false),
    opt("hashlimit-htable-max", 6, 1, false),
    opt("hashlimit-htable-gcinterval", 7, 1, false),
    opt("hashlimit-htable-expire", 8, 1, false),
    opt("hashlimit-mode", 9, 1, false),
    opt("hashlimit-name", 10, 1, false),
    opt("hashlimit-rate-match", 11, 0, false),
    opt("hashlimit-rate-interval", 12, 1, false),
];

/// An `-m hashlimit` match being built: the struct as libxt_hashlimit fills it, plus what its
/// final check needs.
#[derive(Debug, Clone)]
pub struct HashLimitB {
    h: HashLimit,
    /// The unit multiplier of the last rate (`udata->mult`): seconds, or 15 for bytes.
    mult: u64,
    rate: bool,
    burst: bool,
    expire: bool,
    interval: bool,
}

impl Default for HashLimitB {
    fn default() -> Self {
        HashLimitB {
            h: HashLimit {
                name: String::new(),
                mode: HashLimitMode::empty(),
                avg: 0,
                burst: HashLimit::DEFAULT_BURST,
                size: 0,
                max: 0,
                gc_interval: HashLimit::DEFAULT_GC_INTERVAL,
                expire: 0,
                interval: 0,
                srcmask: None,
                dstmask: None,
            },
            mult: 1,
            rate: false,
            burst: false,
            expire: false,
            interval: false,
        }
    }
}

/// `parse_bytes`: `Nb/s`, `Nkb/s`, `Nmb/s` -> the byte cost; `None` when not a byte rate.
fn byte_rate(text: &str) -> Result<Option<u64>, ArgErr> {
    let Some(at) = text.find("b/s").filter(|&i| i > 0) else {
        return Ok(None);
    };
    let r = atoll(text);
    if r == 0 {
        return Ok(None);
    }
    let factor = match text.as_bytes()[at - 1] {
        b'm' => 1024 * 1024,
        b'k' => 1024,
        _ => 1,
    };
    let cost = bytes_to_cost(r.wrapping_mul(factor));
    if cost == 0 {
        return Err(bad("a byte rate below 64 GiB/s"));
    }
    Ok(Some(cost))
}

/// `parse_burst`: digits, then an optional `k`/`m` factor (and `b`); at most 1000000 without
/// a factor.
fn burst(text: &str) -> Result<u64, ArgErr> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (num, rest) = text.split_at(digits);
    let n = num
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| bad("a burst 1-1000000 (or Nkb, Nmb)"))?;
    let factor = match rest {
        "" | "b" => 1,
        "k" | "kb" => 1024,
        "m" | "mb" => 1024 * 1024,
        _ => return Err(bad("a burst 1-1000000 (or Nkb, Nmb)")),
    };
    if rest.is_empty() && n > 1_000_000 {
        return Err(bad("a burst 1-1000000"));
    }
    n.checked_mul(factor).ok_or_else(|| bad("a smaller burst"))
}

impl HashLimitB {
    /// The finished match, after `hashlimit_mt_check`.
    ///
    /// # Errors
    /// No rate or name, a burst out of range, an interval without rate-match.
    pub fn finish(self) -> Result<Match, ErrorKind> {
        let mut h = self.h;
        if !self.rate {
            return Err(ErrorKind::MissingOption(
                "--hashlimit-upto or --hashlimit-above",
            ));
        }
        if h.name.is_empty() {
            return Err(ErrorKind::MissingOption("--hashlimit-name"));
        }
        if !self.expire {
            h.expire = (self.mult * 1000) as u32;
        }
        if h.mode.contains(HashLimitMode::BYTES) {
            let mut b = 0;
            if self.burst {
                let unit = cost_to_bytes(h.avg);
                if unit == 0 || h.burst < unit {
                    return Err(ErrorKind::BadValue(format!("a burst of at least {unit}b")));
                }
                b = h.burst / unit + u64::from(!h.burst.is_multiple_of(unit));
                if !self.expire {
                    h.expire = 60_000;
                }
            }
            h.burst = b;
        } else if h.burst > 1_000_000 {
            return Err(ErrorKind::BadValue("a burst 1-1000000".into()));
        }
        if h.mode.contains(HashLimitMode::RATE_MATCH) {
            if !h.mode.contains(HashLimitMode::BYTES) {
                h.avg /= self.mult;
            }
            if h.interval == 0 {
                h.interval = if h.mode.contains(HashLimitMode::BYTES) {
                    1
                } else {
                    self.mult as u32
                };
            }
        } else if self.interval {
            return Err(ErrorKind::Unsupported(
                "--hashlimit-rate-interval without --hashlimit-rate-match (iptables-save drops it)",
            ));
        }
        h.check().map_err(ErrorKind::Model)?;
        Ok(Match::HashLimit(h))
    }
}

/// Applies an `-m hashlimit` option.
///
/// # Errors
/// A bad rate, mask, burst, mode or number.
pub fn hashlimit_set(m: &mut HashLimitB, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let arg = call.arg();
    let u32_arg = || {
        values::strtoui(arg, u64::from(u32::MAX))
            .map(|n| n as u32)
            .ok_or_else(|| bad("a number 0-4294967295"))
    };
    let plen = || {
        let full = call.family.addr_bits();
        values::strtoui(arg, u64::from(full))
            .map(|n| (n as u8 != full).then_some(n as u8))
            .ok_or_else(|| bad("a prefix length"))
    };
    let h = &mut m.h;
    match call.spec.id {
        1 => {
            // --hashlimit-above matches above the rate; '!' turns either into the other.
            let above = (call.spec.name == "hashlimit-above") != call.invert;
            h.mode.set(HashLimitMode::INVERT, above);
            if let Some(cost) = byte_rate(arg)? {
                h.mode |= HashLimitMode::BYTES;
                h.avg = cost;
                m.mult = 15;
            } else {
                let (n, unit) = rate_parts(arg).ok_or_else(|| bad("a rate N[/unit] or Nkb/s"))?;
                h.avg = interval_of(n, unit, HashLimit::SCALE)
                    .ok_or_else(|| bad("a rate of at most 1000000/second"))?;
                m.mult = unit.seconds();
            }
            m.rate = true;
        }
        2 => h.srcmask = plen()?,
        3 => h.dstmask = plen()?,
        4 => {
            h.burst = burst(arg)?;
            m.burst = true;
        }
        5 => h.size = u32_arg()?,
        6 => h.max = u32_arg()?,
        7 => h.gc_interval = u32_arg()?,
        8 => {
            h.expire = u32_arg()?;
            m.expire = true;
        }
        9 => {
            for tok in arg.split([',', '|']).filter(|t| !t.is_empty()) {
                h.mode |= match tok {
                    "srcip" => HashLimitMode::SRCIP,
                    "dstip" => HashLimitMode::DSTIP,
                    "srcport" => HashLimitMode::SRCPORT,
                    "dstport" => HashLimitMode::DSTPORT,
                    _ => return Err(bad("srcip, srcport, dstip, dstport")),
                };
            }
        }
        10 => {
            if arg.is_empty() || arg.len() > HASHLIMIT_NAME_MAX {
                return Err(bad("a name of 1 to 254 bytes"));
            }
            h.name = arg.to_string();
        }
        11 => h.mode |= HashLimitMode::RATE_MATCH,
        _ => {
            let n = atoll(arg) as i64;
            if n <= 0 || n > i64::from(i32::MAX) {
                return Err(bad("an interval of at least 1 second"));
            }
            h.interval = n as u32;
            m.interval = true;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_and_byte_rates() {
        assert_eq!(burst("50kb"), Ok(51_200));
        assert!(burst("1000001").is_err());
        assert_eq!(
            byte_rate("10kb/s").unwrap().map(cost_to_bytes),
            Some(10_240)
        );
        assert_eq!(byte_rate("5/min").unwrap(), None);
    }
}
