//! Expressions <-> `NFTA_LIST_ELEM` attributes, as libnftnl builds them for iptables-nft.
//!
//! Contract: [`encode_expr`] writes `NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { .. } }`
//! with the inner attributes in libnftnl 1.2.x order (checked against straces of iptables
//! 1.8.9, see the golden tests). [`decode_expr`] is its inverse; an expression whose name it
//! does not know, or whose attributes it cannot represent exactly (e.g. `meta set`, a bitwise
//! shift, a counter with padding), comes back as [`Expr::Other`] holding the raw
//! `NFTA_EXPR_DATA` payload, which [`encode_expr`] writes back unchanged. `NFTA_EXPR_DATA` is
//! always written, empty if need be, as libnftnl does (nft sends a bare `counter` that way); an
//! expression that arrived without it decodes with empty data and gains an empty nest.
//!
//! Canonical forms: `decode_expr(encode_expr(e)) == e` for every `e` except the non-canonical
//! values `Verdict::Unknown(code)` with a code that has a named variant (0, 1, -1, -2, -5:
//! they decode as that variant) and `Expr::Other` named like a typed expression whose data the
//! typed decoder accepts (it decodes typed).

mod data;
mod native;
mod stateful;
mod xt;

use super::{check_name, put_bytes, put_nested, EncodeError, MAX_NAME_LEN};
use crate::expr::Expr;
use crate::wire::consts::{NFTA_EXPR_DATA, NFTA_EXPR_NAME, NFTA_LIST_ELEM};
use crate::wire::NLA_F_NESTED;
use crate::wire::{strz, Fields};
use crate::wire::{Attr, AttrWriter, WireError};

/// The kernel's name for an expression (`NFTA_EXPR_NAME`).
fn expr_name(expr: &Expr) -> &str {
    match expr {
        Expr::Meta { .. } => "meta",
        Expr::Payload { .. } => "payload",
        Expr::Cmp { .. } => "cmp",
        Expr::Bitwise { .. } => "bitwise",
        Expr::Range { .. } => "range",
        Expr::Immediate { .. } => "immediate",
        Expr::Counter { .. } => "counter",
        Expr::Match { .. } => "match",
        Expr::Target { .. } => "target",
        Expr::Limit { .. } => "limit",
        Expr::Log(_) => "log",
        Expr::Other { name, .. } => name,
    }
}

/// Appends one expression as an `NFTA_LIST_ELEM` nest.
///
/// # Errors
/// [`EncodeError::BadName`] for an empty name or one with a NUL (expression, match, target,
/// jump target chain); [`EncodeError::TooLong`] when a value does not fit in an attribute.
/// Nothing is written on error.
pub fn encode_expr(expr: &Expr, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
    let name = expr_name(expr);
    check_name("expression", name, MAX_NAME_LEN)?;
    put_nested(w, NFTA_LIST_ELEM, "expression", |w| {
        w.string(NFTA_EXPR_NAME, name);
        match expr {
            Expr::Other { data, .. } => {
                put_bytes(w, NFTA_EXPR_DATA | NLA_F_NESTED, "expression data", data)
            }
            _ => put_nested(w, NFTA_EXPR_DATA, "expression data", |w| {
                encode_data(expr, w)
            }),
        }
    })
}

/// Writes the attributes inside `NFTA_EXPR_DATA` for a typed expression.
fn encode_data(expr: &Expr, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
    match expr {
        Expr::Meta { .. } | Expr::Payload { .. } => {
            native::encode_load(expr, w);
            Ok(())
        }
        Expr::Cmp { .. } | Expr::Bitwise { .. } | Expr::Range { .. } => {
            native::encode_compare(expr, w)
        }
        Expr::Immediate { dreg, data } => data::encode_immediate(*dreg, data, w),
        Expr::Counter { packets, bytes } => {
            xt::encode_counter(*packets, *bytes, w);
            Ok(())
        }
        Expr::Match { .. } | Expr::Target { .. } => xt::encode_xt(expr, w),
        Expr::Limit { .. } | Expr::Log(_) => stateful::encode(expr, w),
        Expr::Other { .. } => Ok(()),
    }
}

/// Decodes one `NFTA_LIST_ELEM` attribute (as yielded by iterating `NFTA_RULE_EXPRESSIONS`).
///
/// # Errors
/// [`WireError`] when the attribute is not a list element, lacks a name, or its framing is
/// malformed. Well-formed content that no typed variant represents exactly is not an error:
/// it becomes [`Expr::Other`].
pub fn decode_expr(attr: Attr<'_>) -> Result<Expr, WireError> {
    const CTX: &str = "expression";
    if attr.kind != NFTA_LIST_ELEM {
        return Err(WireError::BadAttr {
            context: CTX,
            attr: attr.kind,
            reason: "not NFTA_LIST_ELEM".into(),
        });
    }
    let f = Fields::parse(attr.payload)?;
    if f.extra || !f.exactly(&[NFTA_EXPR_NAME], &[NFTA_EXPR_DATA]) {
        return Err(WireError::BadAttr {
            context: CTX,
            attr: attr.kind,
            reason: "attributes other than NAME and DATA".into(),
        });
    }
    let name_raw = f.get(NFTA_EXPR_NAME).ok_or(WireError::Missing {
        context: CTX,
        attr: "NFTA_EXPR_NAME",
    })?;
    let name = strz(name_raw, CTX, NFTA_EXPR_NAME)?;
    let typed = match (name, f.get(NFTA_EXPR_DATA)) {
        (_, None) => None,
        ("meta", Some(d)) => native::decode_meta(&Fields::parse(d)?),
        ("payload", Some(d)) => native::decode_payload(&Fields::parse(d)?),
        ("cmp", Some(d)) => native::decode_cmp(&Fields::parse(d)?)?,
        ("bitwise", Some(d)) => native::decode_bitwise(&Fields::parse(d)?)?,
        ("range", Some(d)) => native::decode_range(&Fields::parse(d)?)?,
        ("immediate", Some(d)) => data::decode_immediate(&Fields::parse(d)?)?,
        ("counter", Some(d)) => xt::decode_counter(&Fields::parse(d)?),
        ("match" | "target", Some(d)) => xt::decode_xt(name, &Fields::parse(d)?),
        ("limit", Some(d)) => stateful::decode_limit(&Fields::parse(d)?),
        ("log", Some(d)) => stateful::decode_log(&Fields::parse(d)?),
        _ => None,
    };
    Ok(typed.unwrap_or_else(|| Expr::Other {
        name: name.to_owned(),
        data: f.get(NFTA_EXPR_DATA).unwrap_or(&[]).to_vec(),
    }))
}
