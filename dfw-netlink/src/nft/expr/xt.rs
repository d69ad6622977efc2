//! `counter` and the xt compat expressions `match` and `target`.
//!
//! Contract: counter = BYTES, PACKETS (big-endian u64, libnftnl order); match/target = NAME
//! (NUL-terminated, at most 28 bytes: `XT_EXTENSION_MAXNAMELEN` - 1), REV (big-endian u32),
//! INFO (the xt info blob, written as given: the caller pads it to `XT_ALIGN`).

use super::super::{check_name, put_bytes, EncodeError};
use crate::expr::Expr;
use crate::wire::consts::*;
use crate::wire::AttrWriter;
use crate::wire::{strz, Fields};

/// Longest xt extension name (`XT_EXTENSION_MAXNAMELEN` - 1).
const XT_NAME_MAX: usize = 28;

/// Writes a `counter`.
pub(super) fn encode_counter(packets: u64, bytes: u64, w: &mut AttrWriter<'_>) {
    w.u64_be(NFTA_COUNTER_BYTES, bytes)
        .u64_be(NFTA_COUNTER_PACKETS, packets);
}

/// Decodes a `counter` without padding attributes.
pub(super) fn decode_counter(f: &Fields<'_>) -> Option<Expr> {
    if !f.exactly(&[NFTA_COUNTER_BYTES, NFTA_COUNTER_PACKETS], &[]) {
        return None;
    }
    Some(Expr::Counter {
        packets: f.u64(NFTA_COUNTER_PACKETS)?,
        bytes: f.u64(NFTA_COUNTER_BYTES)?,
    })
}

/// Writes a `match` or `target`.
///
/// # Errors
/// [`EncodeError`] for a bad extension name or an oversize info blob.
pub(super) fn encode_xt(expr: &Expr, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
    let (what, name, rev, info) = match expr {
        Expr::Match { name, rev, info } => ("match", name, rev, info),
        Expr::Target { name, rev, info } => ("target", name, rev, info),
        _ => return Ok(()),
    };
    check_name(what, name, XT_NAME_MAX)?;
    // NFTA_MATCH_* and NFTA_TARGET_* share their numbers.
    w.string(NFTA_MATCH_NAME, name).u32_be(NFTA_MATCH_REV, *rev);
    put_bytes(w, NFTA_MATCH_INFO, "xt info", info)
}

/// Decodes a `match` or `target` (`kind` is the expression name).
pub(super) fn decode_xt(kind: &str, f: &Fields<'_>) -> Option<Expr> {
    if !f.exactly(&[NFTA_MATCH_NAME, NFTA_MATCH_REV, NFTA_MATCH_INFO], &[]) {
        return None;
    }
    let name = strz(f.get(NFTA_MATCH_NAME)?, "xt", NFTA_MATCH_NAME).ok()?;
    if name.is_empty() || name.len() > XT_NAME_MAX {
        return None;
    }
    let (name, rev, info) = (
        name.to_owned(),
        f.u32(NFTA_MATCH_REV)?,
        f.get(NFTA_MATCH_INFO)?.to_vec(),
    );
    Some(if kind == "match" {
        Expr::Match { name, rev, info }
    } else {
        Expr::Target { name, rev, info }
    })
}
