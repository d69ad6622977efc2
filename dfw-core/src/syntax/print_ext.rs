//! iptables-save text of the extensions added for ufw, fail2ban and Docker's neighbours:
//! limit, recent, hashlimit, connlimit, pkttype, mac, owner, physdev, sctp, ttl/hl, length, rt,
//! connmark; NFLOG, MARK, CONNMARK, TCPMSS, REDIRECT, CT.
//!
//! Contract: each function writes exactly what the extension's `save` function in iptables
//! 1.8.9 writes (`libxt_limit.c`, `libxt_recent.c`, ...), option after option, each preceded by
//! a space. Known differences of other versions are named where they apply.

use std::fmt::Write;

use crate::model::matches::{
    bytes_to_cost, cost_to_bytes, rate_of, ConnLimit, HashLimit, HashLimitMode, Length, Limit,
    MacAddr, Mark, Owner, Physdev, PktType, Recent, Rt, SctpMatch, Ttl, TtlOp,
};
use crate::model::target::{Connmark, ConnmarkMode, Ct, CtEvents, Nflog, Redirect, Shift, Tcpmss};
use crate::model::{ip_text, Match, Neg, PortRange, Target};

use super::rule_spec::save_string;

fn bang_if(out: &mut String, negated: bool) {
    if negated {
        out.push_str(" !");
    }
}

/// ` --mark 0xV[/0xM]` (`xtables_print_mark_mask`).
pub(super) fn mark_mask(out: &mut String, m: &Mark) {
    bang_if(out, m.negated());
    if m.mask() == u32::MAX {
        let _ = write!(out, " --mark 0x{:x}", m.value());
    } else {
        let _ = write!(out, " --mark 0x{:x}/0x{:x}", m.value(), m.mask());
    }
}

fn limit(out: &mut String, l: &Limit) {
    let _ = write!(out, " --limit {l}");
    if l.burst() != Limit::DEFAULT_BURST {
        let _ = write!(out, " --limit-burst {}", l.burst());
    }
}

fn recent(out: &mut String, r: &Recent) {
    bang_if(out, r.invert());
    let _ = write!(out, " {}", r.cmd().option());
    if r.seconds != 0 {
        let _ = write!(out, " --seconds {}", r.seconds);
    }
    if r.reap {
        out.push_str(" --reap");
    }
    if r.hitcount != 0 {
        let _ = write!(out, " --hitcount {}", r.hitcount);
    }
    if r.rttl {
        out.push_str(" --rttl");
    }
    let _ = write!(out, " --name {} --mask {}", r.name(), ip_text(&r.mask));
    out.push_str(if r.dest { " --rdest" } else { " --rsource" });
}

const BYTE_UNITS: [(&str, u64); 3] = [("m", 1024 * 1024), ("k", 1024), ("", 1)];

/// ` Nkb/s[ --hashlimit-burst Mkb]`; returns the default expiry it implies (ms).
fn hashlimit_bytes(out: &mut String, avg: u64, burst: u64) -> u64 {
    let r = cost_to_bytes(avg);
    let (name, thresh) = BYTE_UNITS
        .iter()
        .take(2)
        .find(|(_, t)| r >= *t && bytes_to_cost(r & !(t - 1)) == avg)
        .copied()
        .unwrap_or(BYTE_UNITS[2]);
    let _ = write!(out, " {}{name}b/s", r / thresh);
    if burst == 0 {
        return 15_000;
    }
    let r = r.wrapping_mul(burst);
    let (name, thresh) = BYTE_UNITS
        .iter()
        .take(2)
        .find(|(_, t)| r >= *t)
        .copied()
        .unwrap_or(BYTE_UNITS[2]);
    let _ = write!(out, " --hashlimit-burst {}{name}b", r / thresh);
    60_000
}

fn hashlimit(out: &mut String, h: &HashLimit) {
    let above = h.mode.contains(HashLimitMode::INVERT);
    out.push_str(if above {
        " --hashlimit-above"
    } else {
        " --hashlimit-upto"
    });
    let quantum = if h.mode.contains(HashLimitMode::BYTES) {
        hashlimit_bytes(out, h.avg, h.burst)
    } else {
        let (n, unit) = rate_of(h.avg, HashLimit::SCALE);
        let _ = write!(out, " {n}/{} --hashlimit-burst {}", unit.name(), h.burst);
        unit.seconds() * 1000
    };
    if h.mode.intersects(HashLimitMode::KEYS) {
        let names: Vec<&str> = [
            (HashLimitMode::SRCIP, "srcip"),
            (HashLimitMode::SRCPORT, "srcport"),
            (HashLimitMode::DSTIP, "dstip"),
            (HashLimitMode::DSTPORT, "dstport"),
        ]
        .into_iter()
        .filter(|(b, _)| h.mode.contains(*b))
        .map(|(_, n)| n)
        .collect();
        let _ = write!(out, " --hashlimit-mode {}", names.join(","));
    }
    let _ = write!(out, " --hashlimit-name {}", h.name);
    if h.size != 0 {
        let _ = write!(out, " --hashlimit-htable-size {}", h.size);
    }
    if h.max != 0 {
        let _ = write!(out, " --hashlimit-htable-max {}", h.max);
    }
    if h.gc_interval != HashLimit::DEFAULT_GC_INTERVAL {
        let _ = write!(out, " --hashlimit-htable-gcinterval {}", h.gc_interval);
    }
    if u64::from(h.expire) != quantum {
        let _ = write!(out, " --hashlimit-htable-expire {}", h.expire);
    }
    if let Some(m) = h.srcmask {
        let _ = write!(out, " --hashlimit-srcmask {m}");
    }
    if let Some(m) = h.dstmask {
        let _ = write!(out, " --hashlimit-dstmask {m}");
    }
    if h.mode.contains(HashLimitMode::RATE_MATCH) {
        out.push_str(" --hashlimit-rate-match");
        if h.interval != 1 {
            let _ = write!(out, " --hashlimit-rate-interval {}", h.interval);
        }
    }
}

fn connlimit(out: &mut String, c: &ConnLimit) {
    let op = if c.upto { "upto" } else { "above" };
    let side = if c.daddr { "daddr" } else { "saddr" };
    let _ = write!(
        out,
        " --connlimit-{op} {} --connlimit-mask {} --connlimit-{side}",
        c.limit, c.prefix
    );
}

fn owner(out: &mut String, o: &Owner) {
    if let Some(neg) = o.socket_exists {
        bang_if(out, neg);
        out.push_str(" --socket-exists");
    }
    for (opt, id) in [("--uid-owner", o.uid), ("--gid-owner", o.gid)] {
        if let Some((lo, hi, neg)) = id {
            bang_if(out, neg);
            if lo == hi {
                let _ = write!(out, " {opt} {lo}");
            } else {
                let _ = write!(out, " {opt} {lo}-{hi}");
            }
        }
    }
    if o.suppl_groups {
        out.push_str(" --suppl-groups");
    }
}

fn physdev(out: &mut String, p: &Physdev) {
    let flag = |out: &mut String, f: Option<bool>, opt: &str| {
        if let Some(neg) = f {
            bang_if(out, neg);
            let _ = write!(out, " {opt}");
        }
    };
    let dev = |out: &mut String, d: &Option<(crate::model::Iface, bool)>, opt: &str| {
        if let Some((i, neg)) = d {
            bang_if(out, *neg);
            let _ = write!(out, " {opt} {i}");
        }
    };
    flag(out, p.is_in, "--physdev-is-in");
    dev(out, &p.in_dev, "--physdev-in");
    flag(out, p.is_out, "--physdev-is-out");
    dev(out, &p.out_dev, "--physdev-out");
    flag(out, p.is_bridged, "--physdev-is-bridged");
}

fn sctp(out: &mut String, s: &SctpMatch) {
    for (opt, p) in [("--sport", &s.sport), ("--dport", &s.dport)] {
        if let Some(p) = p {
            bang_if(out, p.negated);
            let r: PortRange = p.value;
            if r.is_single() {
                let _ = write!(out, " {opt} {}", r.lo());
            } else {
                let _ = write!(out, " {opt} {}:{}", r.lo(), r.hi());
            }
        }
    }
}

fn ttl(out: &mut String, t: &Ttl, name: &str) {
    let op = match t.op {
        TtlOp::Eq => "eq",
        TtlOp::Ne => {
            out.push_str(" !");
            "eq"
        }
        TtlOp::Lt => "lt",
        TtlOp::Gt => "gt",
    };
    let _ = write!(out, " --{name}-{op} {}", t.value);
}

fn rt(out: &mut String, r: &Rt) {
    if let Some((t, neg)) = r.rt_type {
        bang_if(out, neg);
        let _ = write!(out, " --rt-type {t}");
    }
    if let Some((lo, hi, neg)) = r.segsleft {
        bang_if(out, neg);
        if lo == hi {
            let _ = write!(out, " --rt-segsleft {lo}");
        } else {
            let _ = write!(out, " --rt-segsleft {lo}:{hi}");
        }
    }
    if let Some((l, neg)) = r.len {
        bang_if(out, neg);
        let _ = write!(out, " --rt-len {l}");
    }
    if r.res0 {
        out.push_str(" --rt-0-res");
    }
}

/// The options of an extension match this module prints (after ` -m NAME`); false for the
/// matches `rule_spec` prints itself.
pub(super) fn print_match(out: &mut String, m: &Match) -> bool {
    match m {
        Match::Limit(l) => limit(out, l),
        Match::Recent(r) => recent(out, r),
        Match::HashLimit(h) => hashlimit(out, h),
        Match::ConnLimit(c) => connlimit(out, c),
        Match::PktType(Neg { value, negated }) => {
            bang_if(out, *negated);
            let _ = write!(out, " --pkt-type {}", PktType::name(*value));
        }
        Match::Mac(Neg { value, negated }) => {
            bang_if(out, *negated);
            let _ = write!(out, " --mac-source {}", MacAddr::to_string(value));
        }
        Match::Owner(o) => owner(out, o),
        Match::Physdev(p) => physdev(out, p),
        Match::Sctp(s) => sctp(out, s),
        Match::Ttl(t) => ttl(out, t, "ttl"),
        Match::Hl(t) => ttl(out, t, "hl"),
        Match::Length(Neg { value, negated }) => {
            bang_if(out, *negated);
            let _ = write!(out, " --length {}", Length::to_string(value));
        }
        Match::Rt(r) => rt(out, r),
        Match::ConnMark(m) => mark_mask(out, m),
        _ => return false,
    }
    true
}

fn nflog(out: &mut String, n: &Nflog) {
    out.push_str(" -j NFLOG");
    if !n.prefix().is_empty() {
        out.push_str(" --nflog-prefix");
        save_string(out, n.prefix());
    }
    if n.group != 0 {
        let _ = write!(out, " --nflog-group {}", n.group);
    }
    if let Some(s) = n.size {
        let _ = write!(out, " --nflog-size {s}");
    }
    if n.threshold != 0 {
        let _ = write!(out, " --nflog-threshold {}", n.threshold);
    }
}

fn connmark(out: &mut String, c: &Connmark) {
    out.push_str(" -j CONNMARK");
    match c.mode {
        ConnmarkMode::Set { value, mask } => {
            let _ = write!(out, " --set-xmark 0x{value:x}/0x{mask:x}");
        }
        ConnmarkMode::Save { nfmask, ctmask } => {
            let _ = write!(
                out,
                " --save-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"
            );
        }
        ConnmarkMode::Restore { nfmask, ctmask } => {
            let _ = write!(
                out,
                " --restore-mark --nfmask 0x{nfmask:x} --ctmask 0x{ctmask:x}"
            );
        }
    }
    match c.shift {
        Some(Shift::Left(n)) => {
            let _ = write!(out, " --left-shift-mark {n}");
        }
        Some(Shift::Right(n)) => {
            let _ = write!(out, " --right-shift-mark {n}");
        }
        None => {}
    }
}

fn redirect(out: &mut String, r: &Redirect) {
    out.push_str(" -j REDIRECT");
    if let Some(p) = r.ports {
        let _ = write!(out, " --to-ports {}", p.lo());
        if !p.is_single() {
            let _ = write!(out, "-{}", p.hi());
        }
    }
    if r.random {
        out.push_str(" --random");
    }
}

fn ct(out: &mut String, c: &Ct) {
    if c.alias {
        out.push_str(" -j NOTRACK");
        return;
    }
    out.push_str(" -j CT");
    if c.notrack {
        out.push_str(" --notrack");
    }
    if let Some(h) = &c.helper {
        let _ = write!(out, " --helper {h}");
    }
    if let Some(t) = &c.timeout {
        let _ = write!(out, " --timeout {t}");
    }
    if !c.ct_events.is_empty() {
        let names: Vec<&str> = CtEvents::NAMES
            .iter()
            .filter(|(b, _)| c.ct_events.contains(*b))
            .map(|(_, n)| *n)
            .collect();
        let _ = write!(out, " --ctevents {}", names.join(","));
    }
    if c.exp_new {
        out.push_str(" --expevents new");
    }
    if let Some(z) = c.zone {
        out.push_str(" --zone");
        match z.orig {
            Some(true) => out.push_str("-orig"),
            Some(false) => out.push_str("-reply"),
            None => {}
        }
        if z.mark {
            out.push_str(" mark");
        } else {
            let _ = write!(out, " {}", z.id);
        }
    }
}

/// ` -j NAME options` of a target this module prints; false for the others.
pub(super) fn print_target(out: &mut String, t: &Target) -> bool {
    match t {
        Target::Nflog(n) => nflog(out, n),
        Target::Mark(m) => {
            let _ = write!(out, " -j MARK --set-xmark 0x{:x}/0x{:x}", m.value, m.mask);
        }
        Target::Connmark(c) => connmark(out, c),
        Target::Tcpmss(Tcpmss::ClampPmtu) => out.push_str(" -j TCPMSS --clamp-mss-to-pmtu"),
        Target::Tcpmss(Tcpmss::Set(v)) => {
            let _ = write!(out, " -j TCPMSS --set-mss {v}");
        }
        Target::Redirect(r) => redirect(out, r),
        Target::Ct(c) => ct(out, c),
        _ => return false,
    }
    true
}
