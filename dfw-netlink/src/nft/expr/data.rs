//! `NFTA_DATA_*` nests (values and verdicts) and the `immediate` expression that carries them.
//!
//! Contract: a value is written as `{ NFTA_DATA_VALUE }`, a verdict as
//! `{ NFTA_DATA_VERDICT { CODE [, CHAIN] } }` (libnftnl `nftnl_data_reg`); decoding accepts
//! exactly those shapes and reports anything else as "not representable" (`None`).

use super::super::{put_bytes, put_name, put_nested, EncodeError};
use crate::expr::{Expr, ImmediateData, Reg, Verdict};
use crate::wire::consts::{
    NFTA_DATA_VALUE, NFTA_DATA_VERDICT, NFTA_IMMEDIATE_DATA, NFTA_IMMEDIATE_DREG,
    NFTA_VERDICT_CHAIN, NFTA_VERDICT_CODE, NFT_BREAK, NFT_CONTINUE, NFT_GOTO, NFT_JUMP, NFT_RETURN,
    NF_ACCEPT, NF_DROP,
};
use crate::wire::{strz, Fields};
use crate::wire::{AttrWriter, WireError};

/// Writes `kind { NFTA_DATA_VALUE value }`.
pub(super) fn put_value(
    w: &mut AttrWriter<'_>,
    kind: u16,
    what: &'static str,
    value: &[u8],
) -> Result<(), EncodeError> {
    put_nested(w, kind, what, |w| {
        put_bytes(w, NFTA_DATA_VALUE, what, value)
    })
}

/// Reads a `{ NFTA_DATA_VALUE }` nest; `None` when it has any other shape.
///
/// # Errors
/// [`WireError`] on malformed framing.
pub(super) fn get_value(nest: Option<&[u8]>) -> Result<Option<Vec<u8>>, WireError> {
    let Some(nest) = nest else { return Ok(None) };
    let f = Fields::parse(nest)?;
    Ok(f.exactly(&[NFTA_DATA_VALUE], &[])
        .then(|| f.get(NFTA_DATA_VALUE).map(<[u8]>::to_vec))
        .flatten())
}

/// The kernel code and optional chain of a verdict.
fn verdict_code(v: &Verdict) -> (i32, Option<&str>) {
    match v {
        Verdict::Accept => (NF_ACCEPT, None),
        Verdict::Drop => (NF_DROP, None),
        Verdict::Return => (NFT_RETURN, None),
        Verdict::Continue => (NFT_CONTINUE, None),
        Verdict::Break => (NFT_BREAK, None),
        Verdict::Jump(c) => (NFT_JUMP, Some(c)),
        Verdict::Goto(c) => (NFT_GOTO, Some(c)),
        Verdict::Unknown(code) => (*code, None),
    }
}

/// The verdict for a code and optional chain, when one variant represents it exactly.
fn verdict_from(code: i32, chain: Option<String>) -> Option<Verdict> {
    Some(match (code, chain) {
        (NF_ACCEPT, None) => Verdict::Accept,
        (NF_DROP, None) => Verdict::Drop,
        (NFT_RETURN, None) => Verdict::Return,
        (NFT_CONTINUE, None) => Verdict::Continue,
        (NFT_BREAK, None) => Verdict::Break,
        (NFT_JUMP, Some(c)) => Verdict::Jump(c),
        (NFT_GOTO, Some(c)) => Verdict::Goto(c),
        (code, None) => Verdict::Unknown(code),
        (_, Some(_)) => return None,
    })
}

/// Writes an `immediate`: DREG, then DATA { VALUE } or DATA { VERDICT { CODE [, CHAIN] } }.
///
/// # Errors
/// [`EncodeError`] for a bad jump target or an oversize value.
pub(super) fn encode_immediate(
    dreg: Reg,
    data: &ImmediateData,
    w: &mut AttrWriter<'_>,
) -> Result<(), EncodeError> {
    w.u32_be(NFTA_IMMEDIATE_DREG, dreg);
    match data {
        ImmediateData::Value(v) => put_value(w, NFTA_IMMEDIATE_DATA, "immediate value", v),
        ImmediateData::Verdict(v) => put_nested(w, NFTA_IMMEDIATE_DATA, "immediate data", |w| {
            put_nested(w, NFTA_DATA_VERDICT, "verdict", |w| {
                let (code, chain) = verdict_code(v);
                w.u32_be(NFTA_VERDICT_CODE, code as u32);
                match chain {
                    Some(c) => put_name(w, NFTA_VERDICT_CHAIN, "jump target chain", c),
                    None => Ok(()),
                }
            })
        }),
    }
}

/// Decodes the attributes of an `immediate`; `None` when not representable exactly.
///
/// # Errors
/// [`WireError`] on malformed framing.
pub(super) fn decode_immediate(f: &Fields<'_>) -> Result<Option<Expr>, WireError> {
    if !f.exactly(&[NFTA_IMMEDIATE_DREG, NFTA_IMMEDIATE_DATA], &[]) {
        return Ok(None);
    }
    let (Some(dreg), Some(nest)) = (f.u32(NFTA_IMMEDIATE_DREG), f.get(NFTA_IMMEDIATE_DATA)) else {
        return Ok(None);
    };
    let d = Fields::parse(nest)?;
    let data = if d.exactly(&[NFTA_DATA_VALUE], &[]) {
        d.get(NFTA_DATA_VALUE)
            .map(|v| ImmediateData::Value(v.to_vec()))
    } else if d.exactly(&[NFTA_DATA_VERDICT], &[]) {
        let Some(vnest) = d.get(NFTA_DATA_VERDICT) else {
            return Ok(None);
        };
        let v = Fields::parse(vnest)?;
        if !v.exactly(&[NFTA_VERDICT_CODE], &[NFTA_VERDICT_CHAIN]) {
            return Ok(None);
        }
        let chain = match v.get(NFTA_VERDICT_CHAIN) {
            None => None,
            Some(p) => match strz(p, "verdict", NFTA_VERDICT_CHAIN) {
                Ok(s) if !s.is_empty() && s.len() <= super::super::MAX_NAME_LEN => {
                    Some(s.to_owned())
                }
                _ => return Ok(None),
            },
        };
        v.u32(NFTA_VERDICT_CODE)
            .and_then(|code| verdict_from(code as i32, chain))
            .map(ImmediateData::Verdict)
    } else {
        None
    };
    Ok(data.map(|data| Expr::Immediate { dreg, data }))
}
