//! Every native nf_tables table of families `ip`, `ip6` and `inet` (Docker 29's
//! `docker-bridges`, Debian's `inet filter`, firewalld's `inet firewalld`, an admin's own) as a
//! [`dfw_core::native::Ruleset`], beside the iptables-nft tables `kernel_ruleset` reads.
//!
//! Contract: [`decode_dumps`] is pure: it takes the kernel's answers to the GETTABLE,
//! GETCHAIN, GETRULE, GETSET and GETSETELEM dumps (raw netlink messages, any order) and builds
//! the ruleset; tables of iptables-nft (`filter`, `nat`, `mangle`, `raw`, `security` in `ip`
//! and `ip6`) are left to the xt reader, other families (`arp`, `bridge`, `netdev`) are not
//! on the IP hooks dfw evaluates and are skipped. Rules keep kernel order and handles, set
//! elements are sorted by key (a hash set's dump order is the kernel's hash order), base
//! chains their hook, priority, type and policy, sets their elements. [`read_native`] runs
//! those dumps over a [`Transport`] as one consistent snapshot (generation unchanged).
//! Errors name the object whose message was malformed.

mod encode;
mod expr;
mod read;

pub use encode::{
    delete_requests, nft_family_of, replace_requests, table_requests, wire_expr,
    NativeChangeRequest, NativeEncodeError, NativeRequest,
};
pub use expr::native_expr;
pub use read::{read_native, read_native_dumps, read_native_table};

use dfw_core::model::Hook;
use dfw_core::native::{
    BaseChain, Chain, ChainPolicy, Data, NftFamily, Rule, Ruleset, Set, SetElem, SetFlags, Table,
    XtTable,
};

use crate::nft::{
    udata_comment, ChainMsg, Family, RuleMsg, SetData, SetElemsMsg, SetMsg, TableMsg,
};
use crate::transport::{Retryable, TransportError};
use crate::wire::consts::*;
use crate::wire::{split_messages, WireError};

/// Why the native tables could not be read.
#[derive(Debug, thiserror::Error)]
pub enum NativeError {
    /// Talking to the kernel failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A request the wire cannot carry (a set name too long).
    #[error("invalid request: {0}")]
    Query(#[from] crate::nft::EncodeError),
    /// A message of the kernel could not be decoded.
    #[error("malformed {object} from the kernel: {source}")]
    Malformed {
        /// What was being decoded (`rule inet filter input`, `set ...`).
        object: String,
        /// The wire error.
        source: WireError,
    },
}

impl Retryable for NativeError {
    fn into_retryable(self) -> Result<TransportError, Self> {
        match self {
            NativeError::Transport(t) => t.into_retryable().map_err(NativeError::Transport),
            other => Err(other),
        }
    }
}

fn malformed(object: impl Into<String>) -> impl FnOnce(WireError) -> NativeError {
    let object = object.into();
    move |source| NativeError::Malformed { object, source }
}

/// The native family of a message family, `None` for families dfw does not evaluate.
pub fn nft_family(f: Family) -> Option<NftFamily> {
    match f {
        Family::IPV4 => Some(NftFamily::Ip),
        Family::IPV6 => Some(NftFamily::Ip6),
        Family::INET => Some(NftFamily::Inet),
        _ => None,
    }
}

/// True for a table iptables-nft owns (read by the xt reader, not here).
pub fn is_xt_table(f: Family, name: &str) -> bool {
    (f == Family::IPV4 || f == Family::IPV6)
        && matches!(name, "filter" | "nat" | "mangle" | "raw" | "security")
}

fn hook_of(n: u32) -> Option<Hook> {
    Some(match n {
        0 => Hook::Prerouting,
        1 => Hook::Input,
        2 => Hook::Forward,
        3 => Hook::Output,
        4 => Hook::Postrouting,
        _ => return None,
    })
}

fn chain_of(m: &ChainMsg) -> Chain {
    Chain {
        name: m.name.clone(),
        handle: m.handle.unwrap_or(0),
        base: m.hook.and_then(|h| {
            Some(BaseChain {
                hook: hook_of(h.hooknum)?,
                priority: h.priority,
                chain_type: m.chain_type.clone().unwrap_or_else(|| "filter".into()),
                policy: match m.policy {
                    Some(0) => ChainPolicy::Drop,
                    _ => ChainPolicy::Accept,
                },
            })
        }),
        rules: Vec::new(),
    }
}

fn rule_of(m: &RuleMsg) -> Result<Rule, NativeError> {
    let exprs = m
        .exprs
        .iter()
        .map(native_expr)
        .collect::<Result<Vec<_>, _>>()
        .map_err(malformed(m.describe()))?;
    Ok(Rule {
        handle: m.handle.unwrap_or(0),
        exprs,
        comment: m.userdata.as_deref().and_then(udata_comment),
    })
}

fn set_of(m: &SetMsg) -> Set {
    Set {
        name: m.name.clone(),
        handle: m.handle,
        flags: SetFlags(m.flags),
        key_type: m.key_type,
        key_len: m.key_len,
        data_type: m.data_type,
        data_len: m.data_len,
        fields: m.fields.clone(),
        elems: Vec::new(),
    }
}

fn elems_of(m: &SetElemsMsg) -> impl Iterator<Item = SetElem> + '_ {
    m.elems.iter().map(|e| SetElem {
        key: e.key.clone(),
        key_end: e.key_end.clone(),
        interval_end: e.flags & NFT_SET_ELEM_INTERVAL_END != 0,
        catchall: e.flags & 2 != 0,
        data: e.data.as_ref().map(|d| match d {
            SetData::Value(v) => Data::Value(v.clone()),
            SetData::Verdict(code, chain) => {
                Data::Verdict(expr::verdict_code(*code, chain.as_deref()))
            }
        }),
    })
}

/// The table a message of `family` and `table` belongs to, if it is one dfw reads here.
fn table_mut<'a>(rs: &'a mut Ruleset, family: Family, table: &str) -> Option<&'a mut Table> {
    let f = nft_family(family)?;
    rs.tables
        .iter_mut()
        .find(|t| t.family == f && t.name == table)
}

/// Builds the ruleset from the raw replies of the dumps (see the module contract).
///
/// # Errors
/// [`NativeError::Malformed`] naming the message that could not be decoded.
pub fn decode_dumps(replies: &[Vec<u8>]) -> Result<Ruleset, NativeError> {
    let mut msgs = Vec::new();
    for buf in replies {
        for m in split_messages(buf) {
            msgs.push(m.map_err(malformed("netlink message"))?);
        }
    }
    let mut rs = Ruleset::default();
    let kind = |k: u16| nft_msg(k);
    for (h, body) in &msgs {
        if h.kind == kind(NFT_MSG_NEWTABLE) {
            let t = TableMsg::parse(body).map_err(malformed("table"))?;
            if let (Some(f), false) = (nft_family(t.family), is_xt_table(t.family, &t.name)) {
                rs.tables.push(Table {
                    family: f,
                    name: t.name,
                    handle: t.handle.unwrap_or(0),
                    chains: Vec::new(),
                    sets: Vec::new(),
                });
            } else if let (Some(f), true) = (nft_family(t.family), is_xt_table(t.family, &t.name)) {
                rs.xt_tables.push(XtTable {
                    family: f,
                    name: t.name,
                    handle: t.handle.unwrap_or(0),
                });
            }
        }
    }
    rs.tables.sort_by_key(|t| t.handle);
    rs.xt_tables.sort_by_key(|t| t.handle);
    for (h, body) in &msgs {
        if h.kind == kind(NFT_MSG_NEWCHAIN) {
            let c = ChainMsg::parse(body).map_err(malformed("chain"))?;
            if let Some(t) = table_mut(&mut rs, c.family, &c.table) {
                t.chains.push(chain_of(&c));
            }
        } else if h.kind == kind(NFT_MSG_NEWSET) {
            let s = SetMsg::parse(body).map_err(malformed("set"))?;
            if let Some(t) = table_mut(&mut rs, s.family, &s.table) {
                t.sets.push(set_of(&s));
            }
        }
    }
    for (h, body) in &msgs {
        if h.kind == kind(NFT_MSG_NEWRULE) {
            let m = RuleMsg::parse(body).map_err(malformed("rule"))?;
            let Some(t) = table_mut(&mut rs, m.family, &m.table) else {
                continue;
            };
            let rule = rule_of(&m)?;
            if let Some(c) = t.chains.iter_mut().find(|c| c.name == m.chain) {
                c.rules.push(rule);
            }
        } else if h.kind == kind(NFT_MSG_NEWSETELEM) {
            let m = SetElemsMsg::parse(body).map_err(malformed("set elements"))?;
            let Some(t) = table_mut(&mut rs, m.family, &m.table) else {
                continue;
            };
            if let Some(s) = t.sets.iter_mut().find(|s| s.name == m.set) {
                s.elems.extend(elems_of(&m));
            }
        }
    }
    for t in &mut rs.tables {
        t.chains.sort_by_key(|c| c.handle);
        t.sets.sort_by_key(|s| s.handle);
        // A hash set's dump order follows the kernel's per-namespace hash seed: keep the
        // elements in key order so equal sets are equal models.
        for s in &mut t.sets {
            s.elems
                .sort_by(|a, b| (&a.key, a.interval_end).cmp(&(&b.key, b.interval_end)));
        }
    }
    Ok(rs)
}
