//! Arbitrary valid matches and targets of the extensions added for ufw, fail2ban and Docker's
//! neighbours, built from fuzzer bytes (see [`super::rule`]).
//!
//! Contract: every value passes the model's checks and prints as iptables-save text that reads
//! back as the same value (a `limit` or `hashlimit` rate that would print as another value is
//! not built), so codec and text round trips hold for all of them.

use std::net::IpAddr;

use super::Bytes;
use crate::model::matches::{
    bytes_to_cost, interval_of, ConnLimit, HashLimit, HashLimitMode, Length, Limit, MacAddr, Mark,
    Owner, Physdev, PktType, RateUnit, Recent, RecentCmd, Rt, Ttl, TtlOp,
};
use crate::model::target::{
    Connmark, ConnmarkMode, Ct, CtEvents, CtZone, MarkTarget, Nflog, Redirect, Shift, Tcpmss,
};
use crate::model::{Family, Iface, Match, Neg, Rule, Target};
use crate::syntax::{parse_rule, rule_spec};

const NAME: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

fn word(b: &mut Bytes<'_>, max: usize) -> Option<String> {
    let s = b.string(max, NAME);
    (!s.is_empty()).then_some(s)
}

fn addr(b: &mut Bytes<'_>, family: Family) -> IpAddr {
    match family {
        Family::Ipv4 => IpAddr::from(b.u32().to_be_bytes()),
        Family::Ipv6 => IpAddr::from(b.u128().to_be_bytes()),
    }
}

fn limit(b: &mut Bytes<'_>) -> Option<Limit> {
    let unit = RateUnit::ALL[b.below(4)];
    let avg = interval_of(u64::from(b.u16()), unit, Limit::SCALE)?;
    let l = Limit::new(u32::try_from(avg).ok()?, u32::from(b.u16() % 10_000) + 1).ok()?;
    l.is_canonical().then_some(l)
}

fn recent(b: &mut Bytes<'_>, family: Family) -> Option<Recent> {
    let cmd = [
        RecentCmd::Set,
        RecentCmd::Check,
        RecentCmd::Update,
        RecentCmd::Remove,
    ][b.below(4)];
    let mut r = Recent::new(cmd, b.bool(), &word(b, 30)?, family).ok()?;
    r.seconds = b.u32() >> 1;
    // At most 20: the kernel's default ip_pkt_list_tot (a larger one is refused).
    r.hitcount = u32::from(b.u8() % 21);
    r.rttl = b.bool();
    r.reap = b.bool();
    r.dest = b.bool();
    r.mask = addr(b, family);
    r.check_family(family).ok().map(|()| r)
}

/// A hashlimit whose iptables-save text reads back as itself, within the sizes and rates the
/// kernel takes (a table of at most 65536 entries, rates from 1/day).
fn hashlimit(b: &mut Bytes<'_>, family: Family) -> Option<HashLimit> {
    let full = family.addr_bits();
    let mask = |b: &mut Bytes<'_>| b.option(|b| b.in_range(0, full - 1));
    let rate_match = b.bool();
    let mode = HashLimitMode::from_bits_truncate(u32::from(b.u8()) & 0x3f)
        | if rate_match {
            HashLimitMode::RATE_MATCH
        } else {
            HashLimitMode::empty()
        };
    let (avg, burst) = if mode.contains(HashLimitMode::BYTES) {
        let bytes = u64::from(b.u32() % (1 << 20)) + 16;
        (bytes_to_cost(bytes), u64::from(b.u8()))
    } else {
        let unit = RateUnit::ALL[b.below(4)];
        let n = u64::from(b.u16() % 10_000) + 1;
        (
            interval_of(n, unit, HashLimit::SCALE)?,
            u64::from(b.u8() % 100) + 1,
        )
    };
    let h = HashLimit {
        name: word(b, 20)?,
        mode,
        avg,
        burst,
        size: b.u32() % 65_537,
        max: b.u32() % 65_537,
        gc_interval: b.u32() % 60_000 + 1,
        expire: b.u32() % 3_600_000 + 1,
        interval: if rate_match {
            u32::from(b.u16()) + 1
        } else {
            0
        },
        srcmask: mask(b),
        dstmask: mask(b),
    };
    h.check().ok()?;
    let rule = Rule {
        matches: vec![Match::HashLimit(h.clone())],
        ..Rule::default()
    };
    (parse_rule(family, &rule_spec(&rule)).ok()? == rule).then_some(h)
}

fn id_range(b: &mut Bytes<'_>) -> (u32, u32, bool) {
    let (x, y) = (b.u32() >> 1, b.u32() >> 1);
    (x.min(y), x.max(y), b.bool())
}

fn iface(b: &mut Bytes<'_>) -> Option<(Iface, bool)> {
    let n = word(b, 14)?;
    Some((Iface::new(&n, b.bool()).ok()?, b.bool()))
}

/// One match of this module's kinds for `family`, or `None` when the bytes pick a value the
/// model refuses. `sctp` is not built here (it needs `-p sctp`).
pub fn ext_match(b: &mut Bytes<'_>, family: Family) -> Option<Match> {
    let flag = |b: &mut Bytes<'_>| b.option(|b| b.bool());
    Some(match b.below(13) {
        0 => Match::Limit(limit(b)?),
        1 => Match::Recent(recent(b, family)?),
        2 => Match::HashLimit(hashlimit(b, family)?),
        3 => Match::ConnLimit(ConnLimit {
            limit: b.u32(),
            upto: b.bool(),
            prefix: b.in_range(0, family.addr_bits()),
            daddr: b.bool(),
        }),
        4 => Match::PktType(Neg::new(
            PktType::from_raw(u32::from(b.u8() % 4))?,
            b.bool(),
        )),
        5 => Match::Mac(Neg::new(
            MacAddr([b.u8(), b.u8(), b.u8(), b.u8(), b.u8(), b.u8()]),
            b.bool(),
        )),
        6 => {
            let o = Owner {
                socket_exists: flag(b),
                uid: b.option(id_range),
                gid: b.option(id_range),
                suppl_groups: b.bool(),
            };
            o.check().ok()?;
            Match::Owner(o)
        }
        7 => {
            let p = Physdev {
                in_dev: b.option(iface).flatten(),
                out_dev: b.option(iface).flatten(),
                is_in: flag(b),
                is_out: flag(b),
                is_bridged: flag(b),
            };
            p.check().ok()?;
            Match::Physdev(p)
        }
        8 => {
            let t = Ttl {
                op: TtlOp::from_raw(b.u8() % 4)?,
                value: b.u8(),
            };
            match family {
                Family::Ipv4 => Match::Ttl(t),
                Family::Ipv6 => Match::Hl(t),
            }
        }
        9 => Match::Length(Neg::new(
            Length {
                min: b.u16(),
                max: b.u16(),
            },
            b.bool(),
        )),
        10 if family == Family::Ipv6 => {
            let r = Rt {
                rt_type: b.option(|b| (u32::from(b.u8() % 4), b.bool())),
                segsleft: b.option(|b| {
                    let (x, y) = (u32::from(b.u16()), u32::from(b.u16()));
                    (x.min(y), x.max(y), b.bool())
                }),
                len: b.option(|b| (u32::from(b.u8()), b.bool())),
                res0: b.bool(),
            };
            r.check().ok()?;
            Match::Rt(r)
        }
        10 => return None,
        11 => Match::ConnMark(Mark::new(b.u32(), b.u32(), b.bool())),
        _ => Match::Limit(Limit::default()),
    })
}

fn ct(b: &mut Bytes<'_>) -> Option<Ct> {
    if b.bool() {
        return Some(Ct::notrack_alias());
    }
    // No helper or timeout: the kernel takes only names it has (a helper also needs -p).
    let c = Ct {
        alias: false,
        notrack: b.bool(),
        helper: None,
        timeout: None,
        ct_events: CtEvents::from_bits_truncate(u32::from(b.u16())),
        exp_new: b.bool(),
        zone: b.option(|b| {
            let mark = b.bool();
            CtZone {
                id: if mark { 0 } else { b.u16().max(1) },
                mark,
                orig: b.option(|b| b.bool()),
            }
        }),
    };
    c.check().ok().map(|()| c)
}

/// One target of this module's kinds for `family`, or `None` when the bytes pick a value the
/// model refuses.
pub fn ext_target(b: &mut Bytes<'_>, _family: Family) -> Option<Target> {
    let shift = |b: &mut Bytes<'_>| {
        b.option(|b| {
            let n = b.in_range(1, 31);
            if b.bool() {
                Shift::Left(n)
            } else {
                Shift::Right(n)
            }
        })
    };
    Some(match b.below(6) {
        0 => {
            let prefix: String = b.string(63, "").replace(['\0', '\n'], "");
            let n = Nflog::new(b.u16(), &prefix, b.option(|b| b.u32()), b.u16()).ok()?;
            Target::Nflog(n)
        }
        1 => Target::Mark(MarkTarget {
            value: b.u32(),
            mask: b.u32(),
        }),
        2 => {
            let mode = match b.below(3) {
                0 => ConnmarkMode::Set {
                    value: b.u32(),
                    mask: b.u32(),
                },
                1 => ConnmarkMode::Save {
                    nfmask: b.u32(),
                    ctmask: b.u32(),
                },
                _ => ConnmarkMode::Restore {
                    nfmask: b.u32(),
                    ctmask: b.u32(),
                },
            };
            Target::Connmark(Connmark {
                mode,
                shift: shift(b),
            })
        }
        3 => Target::Tcpmss(if b.bool() {
            Tcpmss::ClampPmtu
        } else {
            Tcpmss::Set(b.u16() % 65_000)
        }),
        4 => Target::Redirect(Redirect {
            ports: None,
            random: b.bool(),
        }),
        _ => Target::Ct(Box::new(ct(b)?)),
    })
}
