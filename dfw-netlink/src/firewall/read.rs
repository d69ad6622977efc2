//! Reading the kernel: GETTABLE / GETCHAIN / GETRULE dumps, filtered to what was asked,
//! decoded into [`KernelTable`]s ([`Firewall::read_tables`], [`Firewall::read_chains`], and
//! [`read_chains_in`] for a change computed inside a retried commit).
//!
//! Contract: only iptables tables of the family are seen; the chain dump (which the kernel
//! does not filter by table) is filtered here; rule dumps ask the kernel for one table or one
//! chain (one dump per chain when a chain is long: the kernel walks a dumped chain or table
//! from its start for every buffer it fills). Works over any [`Transport`], so the same code
//! reads inside a retried commit. The methods read one consistent snapshot (generation
//! unchanged across the read, retried).

use std::collections::HashMap;

use dfw_core::model::{Counters, Family, Policy, TableName};

use super::setref::{msg_uses_sets, read_set_index};
use super::types::{BaseChain, KernelChain, KernelRule, KernelTable};
use super::{nfamily, Firewall, FirewallError};
use crate::expr::Expr;
use crate::nft::{
    encode_request, parse_reply, ChainMsg, GetChains, GetRules, GetTables, NftRequest, Reply,
    RuleMsg,
};
use crate::rule_codec::{decode_rule_with_userdata_in, SetIndex};
use crate::transport::{snapshot, Transport};
use crate::wire::{split_messages, NlMsgWriter};

/// What to read: whole tables, or some chains of one table.
pub(super) enum Scope<'a> {
    /// Every chain of these tables, but the rules of a chain that `unread` accepts are not
    /// read when its use count is above [`READ_LIMIT`] (see [`KernelChain::unread`]).
    TablesReplacing(&'a [TableName], &'a dyn Fn(TableName, &str) -> bool),
    /// Only these chains of this table.
    Chains(TableName, &'a [&'a str]),
}

/// Above this use count (rules plus references), a chain whose rules the caller replaces
/// anyway is not read. nf_tables answers a rule dump one buffer (~32 KiB, ~50 rules) at a
/// time and walks the chain from its first rule for each one, so reading a chain of `n`
/// rules costs the kernel about `n * n / 100` steps: more than flushing and reloading it
/// from about 20,000 rules on (measured in docs/performance.md, "Reading big chains").
pub const READ_LIMIT: u32 = 20_000;

/// From this total use count of a table's chains on, its rules are dumped chain by chain
/// instead of in one table dump, whose every buffer walks the table from its first rule: the
/// kernel's cost is then the sum of the squares of the chains' lengths instead of the square
/// of their sum, for one more round trip per chain.
const PER_CHAIN_FROM: u32 = 1_000;

/// Sends one query and parses every reply (the dump, or the single get).
///
/// # Errors
/// [`FirewallError::Query`] for a request the wire cannot carry; the transport's errors;
/// [`FirewallError::Malformed`].
pub(crate) fn query<T: Transport + ?Sized, R: NftRequest>(
    t: &mut T,
    req: &R,
) -> Result<Vec<Reply>, FirewallError> {
    let mut w = NlMsgWriter::new();
    encode_request(req, 0, 0, &mut w)?;
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
    match *scope {
        Scope::TablesReplacing(wanted, unread) => read_tables_in(t, family, wanted, unread),
        Scope::Chains(table, chains) => Ok(vec![read_table_chains(t, family, table, chains)?]),
    }
}

/// Every chain of the tables of `wanted` that exist, in iptables-save order: one table
/// dump, one chain dump (filtered by table here), then the rules: one dump per table, or one
/// per chain when the table is long ([`PER_CHAIN_FROM`]); a chain `unread` accepts is not
/// read when longer than [`READ_LIMIT`].
fn read_tables_in<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
    wanted: &[TableName],
    unread: &dyn Fn(TableName, &str) -> bool,
) -> Result<Vec<KernelTable>, FirewallError> {
    let fam = nfamily(family);
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
    let mut tables = Vec::new();
    for name in TableName::SAVE_ORDER {
        if !present.contains(&name) {
            continue;
        }
        let msgs: Vec<&ChainMsg> = chains
            .iter()
            .filter_map(|r| match r {
                Reply::Chain(c) if c.table == name.as_str() => Some(c),
                _ => None,
            })
            .collect();
        let uses = |c: &ChainMsg| c.use_count.unwrap_or(0);
        let mut table = KernelTable {
            family,
            name,
            chains: msgs.iter().map(|c| kernel_chain(c)).collect(),
        };
        if msgs.iter().map(|c| u64::from(uses(c))).sum::<u64>() < u64::from(PER_CHAIN_FROM) {
            // One dump for the table; rules filed by chain name through an index.
            let index: HashMap<String, usize> = table
                .chains
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.clone(), i))
                .collect();
            let rules = rule_msgs(query(t, &rules_of(family, name, None))?);
            let sets = sets_for(t, &rules)?;
            for m in rules {
                if let Some(&i) = index.get(&m.chain) {
                    table.chains[i].rules.push(kernel_rule(family, &m, &sets));
                }
            }
        } else {
            // One ipset index for the table, read when the first rule with a set match comes.
            let mut sets = None;
            for (c, msg) in table.chains.iter_mut().zip(&msgs) {
                if uses(msg) > READ_LIMIT && unread(name, &c.name) {
                    c.unread = Some(uses(msg));
                    continue;
                }
                c.rules = chain_rules(t, family, name, &c.name, &mut sets)?;
            }
        }
        table.sort_chains();
        tables.push(table);
    }
    Ok(tables)
}

/// The rules of one chain (one rule dump).
fn chain_rules<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
    table: TableName,
    chain: &str,
    sets: &mut Option<SetIndex>,
) -> Result<Vec<KernelRule>, FirewallError> {
    let msgs: Vec<RuleMsg> = rule_msgs(query(t, &rules_of(family, table, Some(chain)))?)
        .into_iter()
        .filter(|m| m.chain == chain)
        .collect();
    if sets.is_none() && msgs.iter().any(msg_uses_sets) {
        *sets = Some(read_set_index(t)?);
    }
    let none = SetIndex::new();
    let index = sets.as_ref().unwrap_or(&none);
    Ok(msgs.iter().map(|m| kernel_rule(family, m, index)).collect())
}

/// The chains of `chains` that exist in `family`'s `table`: one single get and one rule dump
/// per chain.
fn read_table_chains<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
    table: TableName,
    chains: &[&str],
) -> Result<KernelTable, FirewallError> {
    let mut out = KernelTable {
        family,
        name: table,
        chains: Vec::new(),
    };
    let mut sets = None;
    for &chain in chains {
        if let Some(c) = read_one_chain(t, family, table, chain, &mut sets)? {
            out.chains.push(c);
        }
    }
    out.sort_chains();
    Ok(out)
}

/// One chain with its rules; `None` when it does not exist. `sets` is the table's ipset
/// index, read once when the first rule with a set match needs it.
fn read_one_chain<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
    table: TableName,
    chain: &str,
    sets: &mut Option<SetIndex>,
) -> Result<Option<KernelChain>, FirewallError> {
    let one = Some((table.as_str().to_string(), chain.to_string()));
    let req = GetChains {
        family: nfamily(family),
        one,
    };
    let replies = match query(t, &req) {
        Err(e) if missing(&e) => return Ok(None),
        r => r?,
    };
    let Some(msg) = replies.iter().find_map(|r| match r {
        Reply::Chain(c) if c.name == chain => Some(c),
        _ => None,
    }) else {
        return Ok(None);
    };
    let mut kc = kernel_chain(msg);
    kc.rules = chain_rules(t, family, table, chain, sets)?;
    Ok(Some(kc))
}

/// The rule dump of one table, or of one of its chains.
fn rules_of(family: Family, table: TableName, chain: Option<&str>) -> GetRules {
    GetRules {
        family: nfamily(family),
        table: Some(table.as_str().into()),
        chain: chain.map(Into::into),
    }
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
        unread: None,
    }
}

/// The rule messages among `replies`.
fn rule_msgs(replies: Vec<Reply>) -> Vec<RuleMsg> {
    replies
        .into_iter()
        .filter_map(|r| match r {
            Reply::Rule(m) => Some(m),
            _ => None,
        })
        .collect()
}

/// The ipset indices, read only when one of `msgs` has a set match.
fn sets_for<T: Transport + ?Sized>(t: &mut T, msgs: &[RuleMsg]) -> Result<SetIndex, FirewallError> {
    if msgs.iter().any(msg_uses_sets) {
        read_set_index(t)
    } else {
        Ok(SetIndex::new())
    }
}

fn kernel_rule(family: Family, m: &RuleMsg, sets: &SetIndex) -> KernelRule {
    let compat = m.compat;
    let rule = decode_rule_with_userdata_in(family, &m.exprs, compat, m.userdata.as_deref(), sets);
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

/// Reads only the named chains of one table through `t`, without a consistency loop: for
/// [`Firewall::apply_with`]'s `make`, whose batch is checked against the generation read
/// before it.
///
/// # Errors
/// [`FirewallError::Transport`] or [`FirewallError::Malformed`].
pub fn read_chains_in<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
    table: TableName,
    chains: &[&str],
) -> Result<Vec<KernelChain>, FirewallError> {
    Ok(read_table_chains(t, family, table, chains)?.chains)
}

impl<T: Transport> Firewall<T> {
    /// Reads only the named chains of one table (missing chains are left out), with their
    /// rules, as one consistent snapshot.
    ///
    /// # Errors
    /// [`FirewallError::Transport`] (retries exhausted, socket errors) or
    /// [`FirewallError::Malformed`].
    pub fn read_chains(
        &mut self,
        family: Family,
        table: TableName,
        chains: &[&str],
    ) -> Result<Vec<KernelChain>, FirewallError> {
        let (_, table) = snapshot(&mut self.transport, &self.retry, |t| {
            read_table_chains(t, family, table, chains)
        })?;
        Ok(table.chains)
    }

    /// Reads whole tables (those of `tables` that exist, in iptables-save order), as one
    /// consistent snapshot.
    ///
    /// # Errors
    /// As [`Firewall::read_chains`].
    pub fn read_tables(
        &mut self,
        family: Family,
        tables: &[TableName],
    ) -> Result<Vec<KernelTable>, FirewallError> {
        let (_, tables) = snapshot(&mut self.transport, &self.retry, |t| {
            read_tables_in(t, family, tables, &|_, _| false)
        })?;
        Ok(tables)
    }
}
