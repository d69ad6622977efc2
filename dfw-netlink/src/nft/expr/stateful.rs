//! The native `limit` and `log` expressions iptables-nft writes for `-m limit` and (1.8.8+)
//! `-j NFLOG`.
//!
//! Contract: limit = RATE, UNIT (big-endian u64), BURST, TYPE, FLAGS (big-endian u32), all five
//! always, in libnftnl's order; log = PREFIX (NUL-terminated), GROUP (big-endian u16),
//! SNAPLEN (u32), QTHRESHOLD (u16), LEVEL (u32), FLAGS (u32), each only when present, in
//! libnftnl's order (measured with strace of iptables 1.8.9 and 1.8.11). A shape the typed
//! variants cannot hold decodes as `None` (the caller keeps it as [`Expr::Other`]).

use super::super::EncodeError;
use crate::expr::{Expr, LogExpr};
use crate::wire::consts::*;
use crate::wire::{strz, AttrWriter, Fields};

/// Writes `limit` or `log` (other variants write nothing).
///
/// # Errors
/// Never for these variants (kept for symmetry with the other encoders).
pub(super) fn encode(expr: &Expr, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
    match expr {
        Expr::Limit {
            rate,
            unit,
            burst,
            kind,
            flags,
        } => {
            w.u64_be(NFTA_LIMIT_RATE, *rate)
                .u64_be(NFTA_LIMIT_UNIT, *unit)
                .u32_be(NFTA_LIMIT_BURST, *burst)
                .u32_be(NFTA_LIMIT_TYPE, *kind)
                .u32_be(NFTA_LIMIT_FLAGS, *flags);
        }
        Expr::Log(l) => {
            if let Some(p) = &l.prefix {
                w.string(NFTA_LOG_PREFIX, p);
            }
            if let Some(g) = l.group {
                w.bytes(NFTA_LOG_GROUP, &g.to_be_bytes());
            }
            if let Some(s) = l.snaplen {
                w.u32_be(NFTA_LOG_SNAPLEN, s);
            }
            if let Some(q) = l.qthreshold {
                w.bytes(NFTA_LOG_QTHRESHOLD, &q.to_be_bytes());
            }
            if let Some(v) = l.level {
                w.u32_be(NFTA_LOG_LEVEL, v);
            }
            if let Some(v) = l.flags {
                w.u32_be(NFTA_LOG_FLAGS, v);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Decodes `limit` (all five attributes present).
pub(super) fn decode_limit(f: &Fields<'_>) -> Option<Expr> {
    let all = [
        NFTA_LIMIT_RATE,
        NFTA_LIMIT_UNIT,
        NFTA_LIMIT_BURST,
        NFTA_LIMIT_TYPE,
        NFTA_LIMIT_FLAGS,
    ];
    if !f.exactly(&all, &[]) {
        return None;
    }
    Some(Expr::Limit {
        rate: f.u64(NFTA_LIMIT_RATE)?,
        unit: f.u64(NFTA_LIMIT_UNIT)?,
        burst: f.u32(NFTA_LIMIT_BURST)?,
        kind: f.u32(NFTA_LIMIT_TYPE)?,
        flags: f.u32(NFTA_LIMIT_FLAGS)?,
    })
}

fn u16_of(f: &Fields<'_>, kind: u16) -> Option<Option<u16>> {
    match f.get(kind) {
        None => Some(None),
        Some(b) => Some(Some(u16::from_be_bytes(b.try_into().ok()?))),
    }
}

fn u32_of(f: &Fields<'_>, kind: u16) -> Option<Option<u32>> {
    match f.get(kind) {
        None => Some(None),
        Some(_) => Some(Some(f.u32(kind)?)),
    }
}

/// Decodes `log`.
pub(super) fn decode_log(f: &Fields<'_>) -> Option<Expr> {
    let any = [
        NFTA_LOG_GROUP,
        NFTA_LOG_PREFIX,
        NFTA_LOG_SNAPLEN,
        NFTA_LOG_QTHRESHOLD,
        NFTA_LOG_LEVEL,
        NFTA_LOG_FLAGS,
    ];
    if !f.exactly(&[], &any) {
        return None;
    }
    let prefix = match f.get(NFTA_LOG_PREFIX) {
        None => None,
        Some(b) => Some(strz(b, "log", NFTA_LOG_PREFIX).ok()?.to_owned()),
    };
    Some(Expr::Log(LogExpr {
        prefix,
        group: u16_of(f, NFTA_LOG_GROUP)?,
        snaplen: u32_of(f, NFTA_LOG_SNAPLEN)?,
        qthreshold: u16_of(f, NFTA_LOG_QTHRESHOLD)?,
        level: u32_of(f, NFTA_LOG_LEVEL)?,
        flags: u32_of(f, NFTA_LOG_FLAGS)?,
    }))
}
