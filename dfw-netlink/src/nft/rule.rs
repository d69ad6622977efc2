//! Rules: `NFT_MSG_NEWRULE` / `NFT_MSG_DELRULE` payloads, built or decoded.
//!
//! Contract: [`RuleMsg::write_attrs`] writes, in libnftnl 1.2.x order (`?`: only when set),
//! TABLE, CHAIN, HANDLE?, POSITION?, USERDATA?, EXPRESSIONS { LIST_ELEM.. }? (left out when
//! empty, as libnftnl does), COMPAT { PROTO, FLAGS }?. [`RuleMsg::parse`] reads kernel dumps,
//! echoes and requests; every expression goes through [`super::decode_expr`], so unknown ones
//! survive as [`Expr::Other`]. Errors name the rule (family, table, chain, handle).

use super::{
    decode_expr, encode_expr, in_object, put_bytes, put_name, put_nested, split_body, EncodeError,
    Family,
};
use crate::expr::Expr;
use crate::wire::consts::*;
use crate::wire::Fields;
use crate::wire::{AttrIter, AttrWriter, WireError};

/// `NFTA_RULE_COMPAT`: the `-p` protocol xt extensions are bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RuleCompat {
    /// `NFTA_RULE_COMPAT_PROTO`: IP protocol number of `-p`, or 0.
    pub proto: u32,
    /// `NFTA_RULE_COMPAT_FLAGS`: `NFT_RULE_COMPAT_F_INV` (2) for `! -p`.
    pub flags: u32,
}

impl RuleCompat {
    /// `NFT_RULE_COMPAT_F_INV`.
    pub const INV: u32 = crate::wire::consts::NFT_RULE_COMPAT_F_INV;
}

/// An nf_tables rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuleMsg {
    /// Family.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// Kernel handle: in replies; in requests, the rule to delete or replace.
    pub handle: Option<u64>,
    /// `NFTA_RULE_POSITION`: in requests the handle to insert before (or append after); in
    /// replies the handle of the previous rule.
    pub position: Option<u64>,
    /// The expressions, in order.
    pub exprs: Vec<Expr>,
    /// `NFTA_RULE_COMPAT` (iptables-nft sends it on every rule).
    pub compat: Option<RuleCompat>,
    /// `NFTA_RULE_USERDATA` (TLVs; type 0 is a comment).
    pub userdata: Option<Vec<u8>>,
}

impl RuleMsg {
    /// A rule with expressions and the compat attribute, as iptables-nft builds one.
    pub fn new(
        family: Family,
        table: impl Into<String>,
        chain: impl Into<String>,
        exprs: Vec<Expr>,
        compat: RuleCompat,
    ) -> Self {
        RuleMsg {
            family,
            table: table.into(),
            chain: chain.into(),
            exprs,
            compat: Some(compat),
            ..Self::default()
        }
    }

    /// `rule ip filter INPUT [handle N]`, for error messages.
    pub fn describe(&self) -> String {
        let mut s = format!("rule {} {} {}", self.family, self.table, self.chain);
        if let Some(h) = self.handle {
            s.push_str(&format!(" handle {h}"));
        }
        s
    }

    /// Writes the attributes in libnftnl order (see the module contract).
    ///
    /// # Errors
    /// [`EncodeError`] for bad names, an expression that cannot be encoded (with its index),
    /// or expressions/userdata too long for an attribute.
    pub fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_RULE_TABLE, "table", &self.table)?;
        put_name(w, NFTA_RULE_CHAIN, "chain", &self.chain)?;
        if let Some(h) = self.handle {
            w.u64_be(NFTA_RULE_HANDLE, h);
        }
        if let Some(p) = self.position {
            w.u64_be(NFTA_RULE_POSITION, p);
        }
        if let Some(u) = &self.userdata {
            put_bytes(w, NFTA_RULE_USERDATA, "rule userdata", u)?;
        }
        if !self.exprs.is_empty() {
            put_nested(w, NFTA_RULE_EXPRESSIONS, "rule expressions", |w| {
                for (i, e) in self.exprs.iter().enumerate() {
                    encode_expr(e, w).map_err(|err| err.in_object(format!("expression #{i}")))?;
                }
                Ok(())
            })?;
        }
        if let Some(c) = self.compat {
            put_nested(w, NFTA_RULE_COMPAT, "rule compat", |w| {
                w.u32_be(NFTA_RULE_COMPAT_PROTO, c.proto)
                    .u32_be(NFTA_RULE_COMPAT_FLAGS, c.flags);
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Decodes a rule message body (everything after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] when the body is malformed or lacks TABLE or CHAIN; errors after those are
    /// known carry the rule's identity (and the expression index).
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const CTX: &str = "rule";
        let (gen, attrs) = split_body(body)?;
        let family = Family(gen.family);
        let f = Fields::parse(attrs).map_err(|e| in_object(format!("rule {family}"))(e))?;
        let table = f.req_str(NFTA_RULE_TABLE, CTX, "NFTA_RULE_TABLE")?;
        let chain = f.req_str(NFTA_RULE_CHAIN, CTX, "NFTA_RULE_CHAIN")?;
        let handle = f
            .opt_u64(NFTA_RULE_HANDLE, CTX)
            .map_err(|e| in_object(format!("rule {family} {table} {chain}"))(e))?;
        let mut rule = RuleMsg {
            family,
            table,
            chain,
            handle,
            ..Self::default()
        };
        // The error context is formatted only on the error path: parsing runs once per rule
        // of every dump.
        (|| {
            rule.position = f.opt_u64(NFTA_RULE_POSITION, CTX)?;
            rule.userdata = f.get(NFTA_RULE_USERDATA).map(<[u8]>::to_vec);
            if let Some(list) = f.get(NFTA_RULE_EXPRESSIONS) {
                for (i, a) in AttrIter::new(list).enumerate() {
                    let e = a.and_then(decode_expr);
                    rule.exprs
                        .push(e.map_err(|e| in_object(format!("expression #{i}"))(e))?);
                }
            }
            if let Some(nest) = f.get(NFTA_RULE_COMPAT) {
                let c = Fields::parse(nest)?;
                rule.compat = Some(RuleCompat {
                    proto: c.req_u32(
                        NFTA_RULE_COMPAT_PROTO,
                        "rule compat",
                        "NFTA_RULE_COMPAT_PROTO",
                    )?,
                    flags: c
                        .opt_u32(NFTA_RULE_COMPAT_FLAGS, "rule compat")?
                        .unwrap_or(0),
                });
            }
            Ok(())
        })()
        .map_err(|e| in_object(rule.describe())(e))?;
        Ok(rule)
    }
}
