//! Checks shared by the fuzz targets (`fuzz/`) and their replay tests on stable.
//!
//! Contract: each `check_*` function takes arbitrary bytes and panics exactly when a decoder
//! panics or an invariant is broken: whatever decodes must re-encode and decode to the same
//! value; a model rule must survive encode -> bytes -> decode unchanged. Not part of dfw's
//! API: it exists so that `cargo fuzz` and `cargo test` run the same code on the same corpus.

use dfw_core::fuzzing::{family_and_rule, FAMILIES};
use dfw_core::model::{Family as ModelFamily, Rule};

use crate::expr::Expr;
use crate::nft::{
    decode_expr, encode_expr, expr_listing, parse_batch_begin, parse_replies, parse_udata,
    rule_listing, udata_comment, ChainMsg, EncodeError, ErrorMsg, Family, GenMsg, Reply,
    RuleCompat, RuleMsg, TableMsg,
};
use crate::rule_codec::{
    decode_rule, decode_rule_with_userdata, decode_xt_match, decode_xt_target, encode_rule,
    DecodedRule,
};
use crate::wire::consts::{NLM_F_ACK_TLVS, NLM_F_CAPPED};
use crate::wire::{AttrIter, AttrWriter, WireError};
use crate::xt::{
    addrtype, comment, conntrack, icmp, iprange, log, mark, multiport, nat, reject, tcpudp,
};

/// The xt matches dfw decodes, by name and revision.
const XT_MATCHES: [(&str, u32); 10] = [
    (tcpudp::NAME_TCP, tcpudp::REV),
    (tcpudp::NAME_UDP, tcpudp::REV),
    (multiport::NAME, multiport::REV),
    (conntrack::NAME, conntrack::REV),
    (iprange::NAME, iprange::REV),
    (comment::NAME, comment::REV),
    (icmp::NAME_V4, icmp::REV),
    (icmp::NAME_V6, icmp::REV),
    (addrtype::NAME, addrtype::REV),
    (mark::NAME, mark::REV),
];

/// The xt targets dfw decodes, by name and revision (every NAT revision the kernel has).
const XT_TARGETS: [(&str, u32); 9] = [
    (reject::NAME, reject::REV),
    (log::NAME, log::REV),
    (nat::DNAT, 0),
    (nat::DNAT, 1),
    (nat::DNAT, nat::DNAT_REV),
    (nat::SNAT, 0),
    (nat::SNAT, 1),
    (nat::SNAT, 2),
    (nat::MASQUERADE, nat::MASQUERADE_REV),
];

/// Writes an object with `write` after an nfgenmsg of `family` and parses it back with `parse`.
fn reparse<T>(
    family: Family,
    write: impl FnOnce(&mut AttrWriter<'_>) -> Result<(), EncodeError>,
    parse: fn(&[u8]) -> Result<T, WireError>,
) -> Option<T> {
    let mut body = vec![family.0, 0, 0, 0];
    write(&mut AttrWriter::new(&mut body)).ok()?;
    Some(parse(&body).unwrap_or_else(|e| panic!("re-encoded object does not decode: {e}")))
}

/// The model family of an nf_tables family, if dfw models it.
fn model_family(f: Family) -> Option<ModelFamily> {
    match f {
        Family::IPV4 => Some(ModelFamily::Ipv4),
        Family::IPV6 => Some(ModelFamily::Ipv6),
        _ => None,
    }
}

/// One expression must re-encode and decode to itself.
fn check_expr(e: &Expr) {
    let _ = expr_listing(e);
    let mut buf = Vec::new();
    if encode_expr(e, &mut AttrWriter::new(&mut buf)).is_err() {
        return;
    }
    let mut it = AttrIter::new(&buf);
    let attr = it.next().expect("one attribute").expect("well-formed");
    let back = decode_expr(attr).unwrap_or_else(|err| panic!("re-encoded {e:?}: {err}"));
    assert_eq!(&back, e, "expression changes through encode -> decode");
}

/// A decoded model rule must be valid and survive the codec unchanged.
fn check_model_rule(family: ModelFamily, rule: &Rule) {
    if let Err(e) = rule.check(family) {
        panic!("decoded {family} rule is invalid: {e}: {rule:?}");
    }
    let enc = encode_rule(family, rule)
        .unwrap_or_else(|e| panic!("decoded {family} rule does not encode: {e}: {rule:?}"));
    match decode_rule(family, &enc.exprs, enc.compat) {
        DecodedRule::Rule(back) => assert_eq!(&back, rule, "rule changes through the codec"),
        DecodedRule::Opaque { reason, .. } => panic!("re-encoded rule is opaque: {reason}"),
    }
}

/// A decoded rule message: expressions, listing, re-encoding, and the model rule it holds.
fn check_rule_msg(r: &RuleMsg) {
    let _ = rule_listing(r);
    for e in &r.exprs {
        check_expr(e);
    }
    if let Some(back) = reparse(r.family, |w| r.write_attrs(w), RuleMsg::parse) {
        assert_eq!(&back, r, "rule message changes through encode -> decode");
    }
    let Some(family) = model_family(r.family) else {
        return;
    };
    let compat = r.compat;
    let decoded = decode_rule_with_userdata(family, &r.exprs, compat, r.userdata.as_deref());
    if let DecodedRule::Rule(rule) = decoded {
        check_model_rule(family, &rule);
    }
}

/// Netlink decoders: `bytes` as a receive buffer, as the body of each object, as an attribute
/// stream of expressions, as rule userdata and as the info blob of each xt extension.
///
/// # Panics
/// On a decoder panic, or when something decoded does not re-encode to itself.
pub fn check_netlink(bytes: &[u8]) {
    for item in parse_replies(bytes).take(bytes.len() / 16 + 1) {
        match item {
            Ok((_, Reply::Rule(r))) => check_rule_msg(&r),
            Ok((_, reply)) => drop(format!("{reply:?}")),
            Err(e) => drop(e.to_string()),
        }
    }
    if let Ok(t) = TableMsg::parse(bytes) {
        if let Some(back) = reparse(t.family, |w| t.write_attrs(w), TableMsg::parse) {
            // NFTA_TABLE_USE is in replies only: requests never carry it.
            let request = TableMsg {
                use_count: None,
                owner: None,
                ..t
            };
            assert_eq!(back, request, "table changes through encode -> decode");
        }
    }
    if let Ok(c) = ChainMsg::parse(bytes) {
        let _ = c.describe();
        if let Some(back) = reparse(c.family, |w| c.write_attrs(w), ChainMsg::parse) {
            assert_eq!(back, c, "chain changes through encode -> decode");
        }
    }
    if let Ok(r) = RuleMsg::parse(bytes) {
        check_rule_msg(&r);
    }
    let _ = GenMsg::parse(bytes);
    for flags in [0, NLM_F_ACK_TLVS, NLM_F_ACK_TLVS | NLM_F_CAPPED] {
        let _ = ErrorMsg::parse(flags, bytes);
    }
    let _ = parse_batch_begin(bytes);
    for attr in AttrIter::new(bytes).flatten() {
        if let Ok(e) = decode_expr(attr) {
            check_expr(&e);
        }
    }
    let _ = udata_comment(bytes);
    let _ = parse_udata(bytes);
    for family in FAMILIES {
        for (name, rev) in XT_MATCHES {
            let _ = decode_xt_match(family, name, rev, bytes);
        }
        for (name, rev) in XT_TARGETS {
            let _ = decode_xt_target(family, name, rev, bytes);
        }
    }
}

/// Codec round trip: builds a valid model rule from `bytes`
/// ([`dfw_core::fuzzing::family_and_rule`]) and checks encode -> wire bytes -> decode gives
/// it back, with its counters, and that re-encoding gives the same expressions.
///
/// # Panics
/// When the rule does not encode, or comes back different or opaque.
pub fn check_codec(bytes: &[u8]) {
    let Some((family, rule)) = family_and_rule(bytes) else {
        return;
    };
    let enc = encode_rule(family, &rule)
        .unwrap_or_else(|e| panic!("valid {family} rule does not encode: {e}: {rule:?}"));
    let nft_family = match family {
        ModelFamily::Ipv4 => Family::IPV4,
        ModelFamily::Ipv6 => Family::IPV6,
    };
    let compat = enc.compat;
    let msg = RuleMsg {
        compat,
        ..RuleMsg::new(
            nft_family,
            "filter",
            "FUZZ",
            enc.exprs.clone(),
            RuleCompat::default(),
        )
    };
    let wire = reparse(nft_family, |w| msg.write_attrs(w), RuleMsg::parse)
        .unwrap_or_else(|| panic!("rule message does not encode: {rule:?}"));
    assert_eq!(wire.exprs, enc.exprs, "expressions change on the wire");
    let back = match decode_rule(family, &wire.exprs, enc.compat) {
        DecodedRule::Rule(back) => back,
        DecodedRule::Opaque { reason, .. } => panic!("encoded rule is opaque: {reason}: {rule:?}"),
    };
    assert_eq!(back, rule, "rule changes through the codec");
    assert_eq!(back.counters, Some(rule.counters.unwrap_or_default()));
    let again = encode_rule(family, &back).expect("decoded rule encodes");
    assert_eq!(again, enc, "re-encoding changes the expressions");
}
