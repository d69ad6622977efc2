//! Reading state: GETTABLE / GETCHAIN / GETRULE dumps, filtered to what was asked, decoded
//! into [`KernelTable`]s.
//!
//! Contract: only iptables tables of the family are seen; the chain dump (which the kernel
//! does not filter by table) is filtered here; rule dumps ask the kernel for one table or one
//! chain. Works over any [`Transport`], so the same code reads inside a retried commit.

use dfw_core::model::{Counters, Family, Policy, TableName};

use super::types::{BaseChain, KernelChain, KernelRule, KernelTable};
use super::{nfamily, FirewallError};
use crate::expr::Expr;
use crate::nft::{
    encode_request, parse_reply, ChainMsg, GetChains, GetRules, GetTables, NftRequest, Reply,
    RuleMsg,
};
use crate::rule_codec::decode_rule_with_userdata;
use crate::transport::{Transport, TransportError};
use crate::wire::{split_messages, NlMsgWriter};

/// What to read: whole tables, or some chains of one table.
pub(super) enum Scope<'a> {
    /// Every chain of these tables.
    Tables(&'a [TableName]),
    /// Only these chains of this table.
    Chains(TableName, &'a [&'a str]),
}

/// Sends one query and parses every reply.
fn query<T: Transport + ?Sized, R: NftRequest>(
    t: &mut T,
    req: &R,
) -> Result<Vec<Reply>, FirewallError> {
    let mut w = NlMsgWriter::new();
    encode_request(req, 0, 0, &mut w).map_err(|e| {
        FirewallError::Transport(TransportError::InvalidRequest {
            reason: e.to_string(),
        })
    })?;
    let mut out = Vec::new();
    for msg in t.dump(w.as_bytes())? {
        for m in split_messages(&msg) {
            let (h, body) = m?;
            out.push(parse_reply(&h, body)?);
        }
    }
    Ok(out)
}

/// `ENOENT` from a single get: the object is not there.
fn missing(e: &FirewallError) -> bool {
    e.errno() == Some(libc::ENOENT)
}

/// Reads `scope` of `family` (see the module contract).
///
/// # Errors
/// [`FirewallError::Transport`] or [`FirewallError::Malformed`].
pub(super) fn read<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
    scope: &Scope<'_>,
) -> Result<Vec<KernelTable>, FirewallError> {
    let fam = nfamily(family);
    let mut tables = Vec::new();
    match *scope {
        Scope::Tables(wanted) => {
            let present: Vec<TableName> = query(
                t,
                &GetTables {
                    family: fam,
                    name: None,
                },
            )?
            .into_iter()
            .filter_map(|r| match r {
                Reply::Table(m) => TableName::parse(&m.name),
                _ => None,
            })
            .filter(|n| wanted.contains(n))
            .collect();
            let chains = query(
                t,
                &GetChains {
                    family: fam,
                    one: None,
                },
            )?;
            for name in TableName::SAVE_ORDER {
                if !present.contains(&name) {
                    continue;
                }
                let mut table = KernelTable {
                    family,
                    name,
                    chains: Vec::new(),
                };
                for r in &chains {
                    if let Reply::Chain(c) = r {
                        if c.table == name.as_str() {
                            table.chains.push(kernel_chain(c));
                        }
                    }
                }
                let rules = query(
                    t,
                    &GetRules {
                        family: fam,
                        table: Some(name.as_str().into()),
                        chain: None,
                    },
                )?;
                for r in rules {
                    if let Reply::Rule(m) = r {
                        let rule = kernel_rule(family, &m);
                        if let Some(c) = table.chains.iter_mut().find(|c| c.name == m.chain) {
                            c.rules.push(rule);
                        }
                    }
                }
                table.sort_chains();
                tables.push(table);
            }
        }
        Scope::Chains(name, chains) => {
            let mut table = KernelTable {
                family,
                name,
                chains: Vec::new(),
            };
            for &chain in chains {
                let one = Some((name.as_str().to_string(), chain.to_string()));
                let replies = match query(t, &GetChains { family: fam, one }) {
                    Err(e) if missing(&e) => continue,
                    r => r?,
                };
                let Some(msg) = replies.iter().find_map(|r| match r {
                    Reply::Chain(c) if c.name == chain => Some(c),
                    _ => None,
                }) else {
                    continue;
                };
                let mut kc = kernel_chain(msg);
                let rules = query(
                    t,
                    &GetRules {
                        family: fam,
                        table: Some(name.as_str().into()),
                        chain: Some(chain.into()),
                    },
                )?;
                kc.rules = rules
                    .into_iter()
                    .filter_map(|r| match r {
                        Reply::Rule(m) if m.chain == chain => Some(kernel_rule(family, &m)),
                        _ => None,
                    })
                    .collect();
                table.chains.push(kc);
            }
            table.sort_chains();
            tables.push(table);
        }
    }
    Ok(tables)
}

fn kernel_chain(c: &ChainMsg) -> KernelChain {
    let base = c.hook.map(|h| BaseChain {
        hook: h.hooknum,
        priority: h.priority,
        chain_type: c.chain_type.clone().unwrap_or_default(),
        policy: match c.policy {
            Some(0) => Some(Policy::Drop),
            Some(1) => Some(Policy::Accept),
            _ => None,
        },
        counters: c
            .counters
            .map(|k| Counters {
                packets: k.packets,
                bytes: k.bytes,
            })
            .unwrap_or_default(),
    });
    KernelChain {
        name: c.name.clone(),
        handle: c.handle.unwrap_or(0),
        base,
        rules: Vec::new(),
    }
}

fn kernel_rule(family: Family, m: &RuleMsg) -> KernelRule {
    let compat = m.compat;
    let rule = decode_rule_with_userdata(family, &m.exprs, compat, m.userdata.as_deref());
    let counters = m
        .exprs
        .iter()
        .find_map(|e| match e {
            Expr::Counter { packets, bytes } => Some(Counters {
                packets: *packets,
                bytes: *bytes,
            }),
            _ => None,
        })
        .unwrap_or_default();
    KernelRule {
        handle: m.handle.unwrap_or(0),
        rule,
        counters,
    }
}
