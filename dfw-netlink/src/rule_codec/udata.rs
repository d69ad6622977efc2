//! Rule userdata (`NFTA_RULE_USERDATA`) as iptables-nft 1.8.9 reads it: libnftnl TLVs
//! (`u8 type, u8 len, value`), of which type 0 (`NFTNL_UDATA_RULE_COMMENT`, NUL-terminated)
//! is shown as one more `-m comment`, after every other match. dfw itself writes comments as
//! the xt `comment` match, as iptables does, and never writes userdata.
//!
//! Contract: [`decode_rule_with_userdata`] is [`super::decode_rule`] plus that comment; any other TLV,
//! a malformed one, or a comment the model refuses makes the rule opaque.

use dfw_core::model::matches::Comment;
use dfw_core::model::{Family, Match};

use super::{Compat, DecodedRule};
use crate::expr::Expr;

/// `NFTNL_UDATA_RULE_COMMENT`.
const UDATA_COMMENT: u8 = 0;

/// The comment a userdata blob holds, if any.
///
/// # Errors
/// A reason when the blob is malformed, holds another TLV type, or a comment the model refuses.
fn udata_comment(udata: &[u8]) -> Result<Option<Comment>, String> {
    let mut comment = None;
    let mut rest = udata;
    while !rest.is_empty() {
        let (kind, len) = match rest {
            [k, l, ..] => (*k, usize::from(*l)),
            _ => return Err("truncated userdata".into()),
        };
        let value = rest
            .get(2..2 + len)
            .ok_or_else(|| "truncated userdata".to_string())?;
        rest = &rest[2 + len..];
        if kind != UDATA_COMMENT {
            return Err(format!("userdata type {kind}"));
        }
        let text = match value.split_last() {
            Some((0, text)) => std::str::from_utf8(text).map_err(|_| "comment is not UTF-8")?,
            _ => return Err("userdata comment is not NUL-terminated".into()),
        };
        if comment.is_some() {
            return Err("two userdata comments".into());
        }
        comment = Some(Comment::new(text).map_err(|e| e.to_string())?);
    }
    Ok(comment)
}

/// Decodes a kernel rule together with its userdata, as iptables-nft 1.8.9 shows it: a
/// userdata comment becomes a final `-m comment` match. Never fails (see [`super::decode_rule`]).
pub fn decode_rule_with_userdata(
    family: Family,
    exprs: &[Expr],
    compat: Option<Compat>,
    userdata: Option<&[u8]>,
) -> DecodedRule {
    decode_rule_with_userdata_in(family, exprs, compat, userdata, &super::NO_SETS)
}

/// [`decode_rule_with_userdata`] with the kernel's ipset indices (see [`super::decode_rule_in`]).
pub fn decode_rule_with_userdata_in(
    family: Family,
    exprs: &[Expr],
    compat: Option<Compat>,
    userdata: Option<&[u8]>,
    sets: &super::SetIndex,
) -> DecodedRule {
    let opaque = |reason: String| DecodedRule::Opaque {
        reason,
        exprs: exprs.to_vec(),
        compat,
    };
    let comment = match userdata.map(udata_comment).transpose() {
        Ok(c) => c.flatten(),
        Err(reason) => return opaque(reason),
    };
    match (super::decode_rule_in(family, exprs, compat, sets), comment) {
        (DecodedRule::Rule(mut rule), Some(c)) => {
            rule.matches.push(Match::Comment(c));
            DecodedRule::Rule(rule)
        }
        (decoded, _) => decoded,
    }
}
