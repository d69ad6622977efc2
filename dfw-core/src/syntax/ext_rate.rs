//! Options of the stateful rate and count matches: `limit`, `hashlimit` (revision 3), `recent`
//! (revision 1) and `connlimit` (revision 1).
//!
//! Contract: values are read as libxt_limit, libxt_hashlimit, libxt_recent and libxt_connlimit
//! (1.8.9) read them, including their defaults and the final checks that fill in derived
//! fields (hashlimit's expiry and rate-match interval). `--limit-burst 0` is stored as 5, as the
//! kernel's native `limit` stores it. Mutually exclusive options share an option id, so the
//! second one is refused as a duplicate.

use std::net::IpAddr;

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::values;
use crate::model::matches::{
    bytes_to_cost, cost_to_bytes, interval_of, ConnLimit, HashLimit, HashLimitMode, Limit,
    RateUnit, Recent, RecentCmd, HASHLIMIT_NAME_MAX,
};
use crate::model::{Family, Match};

/// `-m limit` options.
pub const LIMIT_OPTS: &[OptSpec] = &[opt("limit", 1, 1, false), opt("limit-burst", 2, 1, false)];

/// `-m recent` options (`id` 1: the command).
pub const RECENT_OPTS: &[OptSpec] = &[
    opt("set", 1, 0, true),
    opt("rcheck", 1, 0, true),
    opt("update", 1, 0, true),
    opt("remove", 1, 0, true),
    opt("seconds", 2, 1, false),
    opt("reap", 3, 0, false),
    opt("hitcount", 4, 1, false),
    opt("rttl", 5, 0, false),
    opt("name", 6, 1, false),
    opt("rsource", 7, 0, false),
    opt("rdest", 8, 0, false),
    opt("mask", 9, 1, false),
];

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

/// `-m connlimit` options (`id` 1: the limit, 3: the side).
pub const CONNLIMIT_OPTS: &[OptSpec] = &[
    opt("connlimit-upto", 1, 1, true),
    opt("connlimit-above", 1, 1, true),
    opt("connlimit-mask", 2, 1, false),
    opt("connlimit-saddr", 3, 0, false),
    opt("connlimit-daddr", 3, 0, false),
];

fn bad(what: &str) -> ArgErr {
    (0, ErrorKind::BadValue(what.into()))
}

/// C's `atoll`: optional blanks and sign, then digits (none: 0); wraps like the C library's
/// conversion to an unsigned value.
fn atoll(text: &str) -> u64 {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let v = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0u64, |acc, d| {
            acc.wrapping_mul(10).wrapping_add(u64::from(d - b'0'))
        });
    if neg {
        v.wrapping_neg()
    } else {
        v
    }
}

/// `N[/unit]` as `parse_rate` reads it: `(count, unit)`; `None` for a bad unit or a count of 0.
fn rate_parts(text: &str) -> Option<(u64, RateUnit)> {
    let unit = match text.split_once('/') {
        Some((_, u)) => RateUnit::parse(u)?,
        None => RateUnit::Second,
    };
    Some((atoll(text), unit)).filter(|(n, _)| *n != 0)
}

/// Applies an `-m limit` option.
///
/// # Errors
/// A bad rate, a rate too fast, a burst above 10000.
pub fn limit_set(m: &mut Limit, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let arg = call.arg();
    *m = if call.spec.id == 1 {
        let (n, unit) = rate_parts(arg).ok_or_else(|| bad("a rate N[/second|minute|hour|day]"))?;
        // libxt_limit computes in 32 bits: a count beyond u32 wraps as atoi's result does.
        let avg = interval_of(u64::from(n as u32), unit, Limit::SCALE)
            .ok_or_else(|| bad("a rate of at most 10000/second"))?;
        Limit::new(avg as u32, m.burst())
    } else {
        let b = values::strtoui(arg, u64::from(Limit::MAX_BURST))
            .ok_or_else(|| bad("a burst 0-10000"))? as u32;
        // The kernel's native limit stores a burst of 0 as 5.
        Limit::new(m.avg(), if b == 0 { Limit::DEFAULT_BURST } else { b })
    }
    .map_err(|e| (0, ErrorKind::Model(e)))?;
    Ok(())
}

/// An `-m recent` match being built.
#[derive(Debug, Clone, Default)]
pub struct RecentB {
    cmd: Option<(RecentCmd, bool)>,
    seconds: u32,
    hitcount: u32,
    reap: bool,
    rttl: bool,
    name: Option<String>,
    dest: bool,
    mask: Option<IpAddr>,
}

impl RecentB {
    /// The finished match, as `recent_check` requires.
    ///
    /// # Errors
    /// No command, `--reap` without `--seconds`, a bad name.
    pub fn finish(self, family: Family) -> Result<Match, ErrorKind> {
        let (cmd, invert) = self.cmd.ok_or(ErrorKind::MissingOption(
            "--set, --rcheck, --update or --remove",
        ))?;
        let name = self.name.as_deref().unwrap_or("DEFAULT");
        let mut r = Recent::new(cmd, invert, name, family).map_err(ErrorKind::Model)?;
        r.seconds = self.seconds;
        r.hitcount = self.hitcount;
        r.reap = self.reap;
        r.rttl = self.rttl;
        r.dest = self.dest;
        if let Some(m) = self.mask {
            r.mask = m;
        }
        r.check_family(family).map_err(ErrorKind::Model)?;
        Ok(Match::Recent(r))
    }
}

/// Applies an `-m recent` option.
///
/// # Errors
/// A bad number or mask.
pub fn recent_set(m: &mut RecentB, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let u32_arg = |min: u64| {
        values::strtoui(call.arg(), u64::from(u32::MAX))
            .filter(|n| *n >= min)
            .map(|n| n as u32)
            .ok_or_else(|| {
                bad(if min == 1 {
                    "a number 1-4294967295"
                } else {
                    "a number 0-4294967295"
                })
            })
    };
    match call.spec.id {
        1 => {
            let cmd = match call.spec.name {
                "set" => RecentCmd::Set,
                "rcheck" => RecentCmd::Check,
                "update" => RecentCmd::Update,
                _ => RecentCmd::Remove,
            };
            m.cmd = Some((cmd, call.invert));
        }
        2 => m.seconds = u32_arg(1)?,
        3 => m.reap = true,
        4 => m.hitcount = u32_arg(0)?,
        5 => m.rttl = true,
        6 => m.name = Some(call.arg().to_string()),
        7 => m.dest = false,
        8 => m.dest = true,
        _ => m.mask = Some(values::addr(call.family, call.arg()).map_err(|e| (0, e))?),
    }
    Ok(())
}

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

/// An `-m connlimit` match being built.
#[derive(Debug, Clone, Default)]
pub struct ConnLimitB {
    limit: Option<(u32, bool)>,
    prefix: Option<u8>,
    daddr: bool,
}

impl ConnLimitB {
    /// The finished match.
    ///
    /// # Errors
    /// Neither `--connlimit-upto` nor `--connlimit-above`.
    pub fn finish(self, family: Family) -> Result<Match, ErrorKind> {
        let (limit, upto) = self.limit.ok_or(ErrorKind::MissingOption(
            "--connlimit-above or --connlimit-upto",
        ))?;
        Ok(Match::ConnLimit(ConnLimit {
            limit,
            upto,
            prefix: self.prefix.unwrap_or(family.addr_bits()),
            daddr: self.daddr,
        }))
    }
}

/// Applies an `-m connlimit` option.
///
/// # Errors
/// A bad number or prefix length.
pub fn connlimit_set(m: &mut ConnLimitB, call: &OptCall<'_>) -> Result<(), ArgErr> {
    match call.spec.id {
        1 => {
            let n = values::strtoui(call.arg(), u64::from(u32::MAX))
                .ok_or_else(|| bad("a number 0-4294967295"))? as u32;
            let upto = (call.spec.name == "connlimit-upto") != call.invert;
            m.limit = Some((n, upto));
        }
        2 => {
            let n = values::strtoui(call.arg(), u64::from(call.family.addr_bits()))
                .ok_or_else(|| bad("a prefix length"))?;
            m.prefix = Some(n as u8);
        }
        _ => m.daddr = call.spec.name == "connlimit-daddr",
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_conversions() {
        assert_eq!(atoll("3/min"), 3);
        assert_eq!(atoll(" +12x"), 12);
        assert_eq!(atoll("x"), 0);
        assert_eq!(rate_parts("5/m"), Some((5, RateUnit::Minute)));
        assert_eq!(rate_parts("5/"), None);
        assert_eq!(rate_parts("0/s"), None);
        assert_eq!(burst("50kb"), Ok(51_200));
        assert!(burst("1000001").is_err());
        assert_eq!(
            byte_rate("10kb/s").unwrap().map(cost_to_bytes),
            Some(10_240)
        );
        assert_eq!(byte_rate("5/min").unwrap(), None);
    }
}
