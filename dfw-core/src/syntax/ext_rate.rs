//! Options of the stateful rate and count matches `limit`, `recent` (revision 1) and
//! `connlimit` (revision 1); `hashlimit` is in `ext_hashlimit`.
//!
//! Contract: values are read as libxt_limit, libxt_recent and libxt_connlimit (1.8.9) read
//! them, with their defaults and final checks. `--limit-burst 0` is stored as 5, as the
//! kernel's native `limit` stores it. Mutually exclusive options share an option id, so the
//! second one is refused as a duplicate.

use std::net::IpAddr;

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::values;
use crate::model::matches::{interval_of, ConnLimit, Limit, RateUnit, Recent, RecentCmd};
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

/// `-m connlimit` options (`id` 1: the limit, 3: the side).
pub const CONNLIMIT_OPTS: &[OptSpec] = &[
    opt("connlimit-upto", 1, 1, true),
    opt("connlimit-above", 1, 1, true),
    opt("connlimit-mask", 2, 1, false),
    opt("connlimit-saddr", 3, 0, false),
    opt("connlimit-daddr", 3, 0, false),
];

pub(super) fn bad(what: &str) -> ArgErr {
    (0, ErrorKind::BadValue(what.into()))
}

/// C's `atoll`: optional blanks and sign, then digits (none: 0); wraps like the C library's
/// conversion to an unsigned value.
pub(super) fn atoll(text: &str) -> u64 {
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
pub(super) fn rate_parts(text: &str) -> Option<(u64, RateUnit)> {
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
    }
}
