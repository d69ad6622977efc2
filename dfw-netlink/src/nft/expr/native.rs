//! Native expressions that load and compare: `meta`, `payload`, `cmp`, `bitwise`, `range`.
//!
//! Contract: attribute order as libnftnl 1.2.x builds them (meta: KEY, DREG; payload: DREG,
//! BASE, OFFSET, LEN; cmp: SREG, OP, DATA; bitwise: SREG, DREG, LEN, MASK, XOR; range: SREG,
//! OP, FROM, TO), every number a big-endian u32. Decoders return `None` for shapes the typed
//! variants cannot hold (meta/payload with SREG, bitwise shifts, unknown bases or operators).
//! The kernel adds `NFTA_BITWISE_OP = NFT_BITWISE_BOOL` to its dumps; it is accepted and not
//! written back (libnftnl does not write it either).

use super::super::EncodeError;
use super::data::{get_value, put_value};
use crate::expr::{CmpOp, Expr, MetaKey, PayloadBase};
use crate::wire::consts::*;
use crate::wire::Fields;
use crate::wire::{AttrWriter, WireError};

/// Writes `meta` or `payload` (other variants write nothing).
pub(super) fn encode_load(expr: &Expr, w: &mut AttrWriter<'_>) {
    match expr {
        Expr::Meta { key, dreg } => {
            w.u32_be(NFTA_META_KEY, key.0).u32_be(NFTA_META_DREG, *dreg);
        }
        Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => {
            w.u32_be(NFTA_PAYLOAD_DREG, *dreg)
                .u32_be(NFTA_PAYLOAD_BASE, *base as u32)
                .u32_be(NFTA_PAYLOAD_OFFSET, *offset)
                .u32_be(NFTA_PAYLOAD_LEN, *len);
        }
        _ => {}
    }
}

/// Writes `cmp`, `bitwise` or `range` (other variants write nothing).
///
/// # Errors
/// [`EncodeError::TooLong`] for an oversize value.
pub(super) fn encode_compare(expr: &Expr, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
    match expr {
        Expr::Cmp { sreg, op, data } => {
            w.u32_be(NFTA_CMP_SREG, *sreg)
                .u32_be(NFTA_CMP_OP, *op as u32);
            put_value(w, NFTA_CMP_DATA, "cmp data", data)
        }
        Expr::Bitwise {
            sreg,
            dreg,
            len,
            mask,
            xor,
        } => {
            w.u32_be(NFTA_BITWISE_SREG, *sreg)
                .u32_be(NFTA_BITWISE_DREG, *dreg)
                .u32_be(NFTA_BITWISE_LEN, *len);
            put_value(w, NFTA_BITWISE_MASK, "bitwise mask", mask)?;
            put_value(w, NFTA_BITWISE_XOR, "bitwise xor", xor)
        }
        Expr::Range { sreg, op, from, to } => {
            w.u32_be(NFTA_RANGE_SREG, *sreg)
                .u32_be(NFTA_RANGE_OP, *op as u32);
            put_value(w, NFTA_RANGE_FROM_DATA, "range from", from)?;
            put_value(w, NFTA_RANGE_TO_DATA, "range to", to)
        }
        _ => Ok(()),
    }
}

/// `enum nft_cmp_ops` value -> operator.
fn cmp_op(v: u32) -> Option<CmpOp> {
    Some(match v {
        0 => CmpOp::Eq,
        1 => CmpOp::Neq,
        2 => CmpOp::Lt,
        3 => CmpOp::Lte,
        4 => CmpOp::Gt,
        5 => CmpOp::Gte,
        _ => return None,
    })
}

/// Decodes `meta` (load form only).
pub(super) fn decode_meta(f: &Fields<'_>) -> Option<Expr> {
    if !f.exactly(&[NFTA_META_KEY, NFTA_META_DREG], &[]) {
        return None;
    }
    Some(Expr::Meta {
        key: MetaKey(f.u32(NFTA_META_KEY)?),
        dreg: f.u32(NFTA_META_DREG)?,
    })
}

/// Decodes `payload` (load form only, bases 0-2).
pub(super) fn decode_payload(f: &Fields<'_>) -> Option<Expr> {
    let all = [
        NFTA_PAYLOAD_DREG,
        NFTA_PAYLOAD_BASE,
        NFTA_PAYLOAD_OFFSET,
        NFTA_PAYLOAD_LEN,
    ];
    if !f.exactly(&all, &[]) {
        return None;
    }
    let base = match f.u32(NFTA_PAYLOAD_BASE)? {
        0 => PayloadBase::LinkLayer,
        1 => PayloadBase::Network,
        2 => PayloadBase::Transport,
        _ => return None,
    };
    Some(Expr::Payload {
        base,
        offset: f.u32(NFTA_PAYLOAD_OFFSET)?,
        len: f.u32(NFTA_PAYLOAD_LEN)?,
        dreg: f.u32(NFTA_PAYLOAD_DREG)?,
    })
}

/// Decodes `cmp`.
///
/// # Errors
/// [`WireError`] on malformed framing inside DATA.
pub(super) fn decode_cmp(f: &Fields<'_>) -> Result<Option<Expr>, WireError> {
    if !f.exactly(&[NFTA_CMP_SREG, NFTA_CMP_OP, NFTA_CMP_DATA], &[]) {
        return Ok(None);
    }
    let data = get_value(f.get(NFTA_CMP_DATA))?;
    Ok((|| {
        Some(Expr::Cmp {
            sreg: f.u32(NFTA_CMP_SREG)?,
            op: cmp_op(f.u32(NFTA_CMP_OP)?)?,
            data: data?,
        })
    })())
}

/// Decodes `bitwise` (mask/xor form only).
///
/// # Errors
/// [`WireError`] on malformed framing inside MASK or XOR.
pub(super) fn decode_bitwise(f: &Fields<'_>) -> Result<Option<Expr>, WireError> {
    let req = [
        NFTA_BITWISE_SREG,
        NFTA_BITWISE_DREG,
        NFTA_BITWISE_LEN,
        NFTA_BITWISE_MASK,
        NFTA_BITWISE_XOR,
    ];
    if !f.exactly(&req, &[NFTA_BITWISE_OP]) {
        return Ok(None);
    }
    if f.get(NFTA_BITWISE_OP).is_some() && f.u32(NFTA_BITWISE_OP) != Some(NFT_BITWISE_BOOL) {
        return Ok(None);
    }
    let mask = get_value(f.get(NFTA_BITWISE_MASK))?;
    let xor = get_value(f.get(NFTA_BITWISE_XOR))?;
    Ok((|| {
        Some(Expr::Bitwise {
            sreg: f.u32(NFTA_BITWISE_SREG)?,
            dreg: f.u32(NFTA_BITWISE_DREG)?,
            len: f.u32(NFTA_BITWISE_LEN)?,
            mask: mask?,
            xor: xor?,
        })
    })())
}

/// Decodes `range`.
///
/// # Errors
/// [`WireError`] on malformed framing inside FROM or TO.
pub(super) fn decode_range(f: &Fields<'_>) -> Result<Option<Expr>, WireError> {
    let req = [
        NFTA_RANGE_SREG,
        NFTA_RANGE_OP,
        NFTA_RANGE_FROM_DATA,
        NFTA_RANGE_TO_DATA,
    ];
    if !f.exactly(&req, &[]) {
        return Ok(None);
    }
    let from = get_value(f.get(NFTA_RANGE_FROM_DATA))?;
    let to = get_value(f.get(NFTA_RANGE_TO_DATA))?;
    Ok((|| {
        Some(Expr::Range {
            sreg: f.u32(NFTA_RANGE_SREG)?,
            op: cmp_op(f.u32(NFTA_RANGE_OP)?)?,
            from: from?,
            to: to?,
        })
    })())
}
