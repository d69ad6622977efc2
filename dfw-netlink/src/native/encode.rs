//! Native tables to nf_tables requests: the inverse of [`super::decode_dumps`] for the forms
//! dfw writes (its own `table inet dfw`, see `dfw_core::policy::mark_table`).
//!
//! Contract: pure. [`table_requests`] turns a [`dfw_core::native::Table`] into the messages
//! nft 1.0.6 sends for the same table written as `nft -f` text, byte for byte (golden tests
//! against `testdata/nftables/fwmark/*.batch.hex`, captured with
//! `dfw-netlink/tests/capture/capture_fwmark.sh`): NEWTABLE (`NLM_F_REQUEST`; NAME, FLAGS 0),
//! per chain NEWCHAIN (`NLM_F_CREATE`; TABLE, NAME, then for a base chain TYPE, POLICY,
//! HOOK { HOOKNUM, PRIORITY }), per rule NEWRULE (`NLM_F_CREATE | NLM_F_APPEND`; TABLE,
//! CHAIN, EXPRESSIONS, USERDATA with the comment). Expressions: `meta` load and `meta set`,
//! `payload`, `cmp`, `bitwise`, `range`, `immediate`, `counter`; any other is
//! [`NativeEncodeError::Unsupported`], naming the rule, never dropped. Sets are not written
//! (dfw's table has none): a table with sets is refused the same way. [`replace_requests`]
//! and [`delete_requests`] are the idempotent forms a commit sends in its batch (create if
//! missing, delete, then the table anew; or create if missing and delete), so they are right
//! whatever the kernel holds when the batch runs.

use dfw_core::model::Hook;
use dfw_core::native::{self as n, ChainPolicy, Data, NftFamily};

use crate::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use crate::nft::{
    build_udata, encode_expr, DelTable, EncodeError, Family, NewTable, NftRequest, TableMsg, Udata,
};
use crate::wire::consts::*;
use crate::wire::AttrWriter;

/// Why a native table cannot be encoded.
#[derive(Debug, thiserror::Error)]
pub enum NativeEncodeError {
    /// An expression (or a set) dfw's encoder does not write.
    #[error("{object}: {what} cannot be encoded")]
    Unsupported {
        /// `rule inet dfw forward #2`, or the table.
        object: String,
        /// The expression or object, as debug text.
        what: String,
    },
    /// A value the wire cannot carry (a name too long, a comment over 128 bytes).
    #[error("{object}: {source}")]
    Encode {
        /// The object.
        object: String,
        /// The wire error.
        source: EncodeError,
    },
}

/// The nf_tables family of a native family.
pub fn nft_family_of(f: NftFamily) -> Family {
    match f {
        NftFamily::Ip => Family::IPV4,
        NftFamily::Ip6 => Family::IPV6,
        NftFamily::Inet => Family::INET,
    }
}

fn hooknum(h: Hook) -> u32 {
    h as u32
}

/// One request of a native table, as nft sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeRequest {
    /// `NFT_MSG_NEWTABLE`, `NLM_F_REQUEST` only (nft's `table inet dfw { .. }`).
    Table {
        /// Family.
        family: Family,
        /// Name.
        name: String,
    },
    /// `NFT_MSG_NEWCHAIN`, `NLM_F_CREATE`.
    Chain {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Name.
        name: String,
        /// Base chain: (type, policy, hook number, priority).
        base: Option<(String, u32, u32, i32)>,
    },
    /// `NFT_MSG_NEWRULE`, `NLM_F_CREATE | NLM_F_APPEND`.
    Rule {
        /// Family.
        family: Family,
        /// Table.
        table: String,
        /// Chain.
        chain: String,
        /// Wire expressions.
        exprs: Vec<Expr>,
        /// Userdata TLVs (the comment).
        userdata: Option<Vec<u8>>,
    },
}

impl NftRequest for NativeRequest {
    fn msg_type(&self) -> u16 {
        nft_msg(match self {
            NativeRequest::Table { .. } => NFT_MSG_NEWTABLE,
            NativeRequest::Chain { .. } => NFT_MSG_NEWCHAIN,
            NativeRequest::Rule { .. } => NFT_MSG_NEWRULE,
        })
    }
    fn nlm_flags(&self) -> u16 {
        NLM_F_REQUEST
            | match self {
                NativeRequest::Table { .. } => 0,
                NativeRequest::Chain { .. } => NLM_F_CREATE,
                NativeRequest::Rule { .. } => NLM_F_CREATE | NLM_F_APPEND,
            }
    }
    fn family(&self) -> Family {
        match self {
            NativeRequest::Table { family, .. }
            | NativeRequest::Chain { family, .. }
            | NativeRequest::Rule { family, .. } => *family,
        }
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        match self {
            NativeRequest::Table { name, .. } => {
                w.string(NFTA_TABLE_NAME, name).u32_be(NFTA_TABLE_FLAGS, 0);
            }
            NativeRequest::Chain {
                table, name, base, ..
            } => {
                w.string(NFTA_CHAIN_TABLE, table)
                    .string(NFTA_CHAIN_NAME, name);
                if let Some((ty, policy, hook, prio)) = base {
                    w.string(NFTA_CHAIN_TYPE, ty)
                        .u32_be(NFTA_CHAIN_POLICY, *policy)
                        .nested(NFTA_CHAIN_HOOK, |w| {
                            w.u32_be(NFTA_HOOK_HOOKNUM, *hook)
                                .u32_be(NFTA_HOOK_PRIORITY, *prio as u32);
                        });
                }
            }
            NativeRequest::Rule {
                table,
                chain,
                exprs,
                userdata,
                ..
            } => {
                w.string(NFTA_RULE_TABLE, table)
                    .string(NFTA_RULE_CHAIN, chain);
                if !exprs.is_empty() {
                    let at = w.begin_nested(NFTA_RULE_EXPRESSIONS);
                    for e in exprs {
                        encode_expr(e, w)?;
                    }
                    w.end_nested(at);
                }
                if let Some(u) = userdata {
                    w.bytes(NFTA_RULE_USERDATA, u);
                }
            }
        }
        Ok(())
    }
    fn describe(&self) -> String {
        match self {
            NativeRequest::Table { family, name } => format!("new table {family} {name}"),
            NativeRequest::Chain {
                family,
                table,
                name,
                ..
            } => format!("new chain {family} {table} {name}"),
            NativeRequest::Rule {
                family,
                table,
                chain,
                ..
            } => format!("new rule {family} {table} {chain}"),
        }
    }
}

/// The wire form of one native expression.
///
/// # Errors
/// `Err(())` for an expression the encoder does not write (see the module contract).
#[allow(clippy::result_unit_err)]
pub fn wire_expr(e: &n::Expr) -> Result<Expr, ()> {
    let op = |o: n::CmpOp| match o {
        n::CmpOp::Eq => CmpOp::Eq,
        n::CmpOp::Neq => CmpOp::Neq,
        n::CmpOp::Lt => CmpOp::Lt,
        n::CmpOp::Lte => CmpOp::Lte,
        n::CmpOp::Gt => CmpOp::Gt,
        n::CmpOp::Gte => CmpOp::Gte,
    };
    Ok(match e {
        n::Expr::Meta { key, dreg } => Expr::Meta {
            key: MetaKey(*key),
            dreg: *dreg,
        },
        n::Expr::MetaSet { key, sreg } => {
            let mut data = Vec::new();
            AttrWriter::new(&mut data)
                .u32_be(NFTA_META_KEY, *key)
                .u32_be(NFTA_META_SREG, *sreg);
            Expr::Other {
                name: "meta".into(),
                data,
            }
        }
        n::Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => Expr::Payload {
            base: match base {
                n::PayloadBase::Link => PayloadBase::LinkLayer,
                n::PayloadBase::Network => PayloadBase::Network,
                n::PayloadBase::Transport => PayloadBase::Transport,
                n::PayloadBase::Inner => return Err(()),
            },
            offset: *offset,
            len: *len,
            dreg: *dreg,
        },
        n::Expr::Cmp { sreg, op: o, data } => Expr::Cmp {
            sreg: *sreg,
            op: op(*o),
            data: data.clone(),
        },
        n::Expr::Bitwise {
            sreg,
            dreg,
            len,
            mask,
            xor,
        } => {
            // nft 1.0.6 writes NFTA_BITWISE_OP (NFT_BITWISE_BOOL) after DREG, which the xt
            // codec's bitwise (libnftnl for iptables) leaves out.
            let mut data = Vec::new();
            let mut w = AttrWriter::new(&mut data);
            w.u32_be(NFTA_BITWISE_SREG, *sreg)
                .u32_be(NFTA_BITWISE_DREG, *dreg)
                .u32_be(NFTA_BITWISE_OP, 0)
                .u32_be(NFTA_BITWISE_LEN, *len)
                .nested(NFTA_BITWISE_MASK, |w| {
                    w.bytes(NFTA_DATA_VALUE, mask);
                })
                .nested(NFTA_BITWISE_XOR, |w| {
                    w.bytes(NFTA_DATA_VALUE, xor);
                });
            Expr::Other {
                name: "bitwise".into(),
                data,
            }
        }
        n::Expr::Range {
            sreg,
            op: o,
            from,
            to,
        } => Expr::Range {
            sreg: *sreg,
            op: op(*o),
            from: from.clone(),
            to: to.clone(),
        },
        n::Expr::Immediate { dreg, data } => Expr::Immediate {
            dreg: *dreg,
            data: match data {
                Data::Value(v) => ImmediateData::Value(v.clone()),
                Data::Verdict(v) => ImmediateData::Verdict(match v {
                    n::Verdict::Accept => Verdict::Accept,
                    n::Verdict::Drop => Verdict::Drop,
                    n::Verdict::Return => Verdict::Return,
                    n::Verdict::Continue => Verdict::Continue,
                    n::Verdict::Jump(c) => Verdict::Jump(c.clone()),
                    n::Verdict::Goto(c) => Verdict::Goto(c.clone()),
                    n::Verdict::Other(code) => Verdict::Unknown(*code),
                }),
            },
        },
        n::Expr::Counter { packets, bytes } => Expr::Counter {
            packets: *packets,
            bytes: *bytes,
        },
        _ => return Err(()),
    })
}

/// The requests creating `t` (see the module contract), in nft's order.
///
/// # Errors
/// [`NativeEncodeError`] naming the rule (or table) that cannot be written.
pub fn table_requests(t: &n::Table) -> Result<Vec<NativeRequest>, NativeEncodeError> {
    let family = nft_family_of(t.family);
    if let Some(s) = t.sets.first() {
        return Err(NativeEncodeError::Unsupported {
            object: format!("table {} {}", t.family, t.name),
            what: format!("set {}", s.name),
        });
    }
    let mut out = vec![NativeRequest::Table {
        family,
        name: t.name.clone(),
    }];
    for c in &t.chains {
        out.push(NativeRequest::Chain {
            family,
            table: t.name.clone(),
            name: c.name.clone(),
            base: c.base.as_ref().map(|b| {
                let policy = match b.policy {
                    ChainPolicy::Accept => NF_ACCEPT as u32,
                    ChainPolicy::Drop => NF_DROP as u32,
                };
                (b.chain_type.clone(), policy, hooknum(b.hook), b.priority)
            }),
        });
    }
    for c in &t.chains {
        for (i, r) in c.rules.iter().enumerate() {
            let object = || format!("rule {} {} {} #{}", t.family, t.name, c.name, i + 1);
            let exprs = r
                .exprs
                .iter()
                .map(|e| {
                    wire_expr(e).map_err(|()| NativeEncodeError::Unsupported {
                        object: object(),
                        what: format!("{e:?}"),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let userdata = match &r.comment {
                None => None,
                Some(text) => Some(
                    Udata::comment(text)
                        .and_then(|u| build_udata(&[u]))
                        .map_err(|source| NativeEncodeError::Encode {
                            object: object(),
                            source,
                        })?,
                ),
            };
            out.push(NativeRequest::Rule {
                family,
                table: t.name.clone(),
                chain: c.name.clone(),
                exprs,
                userdata,
            });
        }
    }
    Ok(out)
}

/// One message of a native change in a commit's batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeChangeRequest {
    /// Create the table if missing (`NLM_F_CREATE`), so that the delete after it never fails.
    Ensure(NewTable),
    /// Delete the table and everything in it.
    Delete(DelTable),
    /// Create the new table's objects.
    Create(NativeRequest),
}

impl NativeChangeRequest {
    /// The request to put in a batch.
    pub fn request(&self) -> &dyn NftRequest {
        match self {
            NativeChangeRequest::Ensure(r) => r,
            NativeChangeRequest::Delete(r) => r,
            NativeChangeRequest::Create(r) => r,
        }
    }
}

/// Ensure + delete of the table `family name`: gone after the batch, whatever was there.
pub fn delete_requests(family: NftFamily, name: &str) -> Vec<NativeChangeRequest> {
    let f = nft_family_of(family);
    vec![
        NativeChangeRequest::Ensure(NewTable(TableMsg::new(f, name))),
        NativeChangeRequest::Delete(DelTable {
            family: f,
            name: name.to_owned(),
        }),
    ]
}

/// [`delete_requests`] then [`table_requests`]: exactly `t` after the batch.
///
/// # Errors
/// As [`table_requests`].
pub fn replace_requests(t: &n::Table) -> Result<Vec<NativeChangeRequest>, NativeEncodeError> {
    let mut out = delete_requests(t.family, &t.name);
    out.extend(
        table_requests(t)?
            .into_iter()
            .map(NativeChangeRequest::Create),
    );
    Ok(out)
}
