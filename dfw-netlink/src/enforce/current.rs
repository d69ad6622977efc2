//! Reading what the kernel holds of the chains dfw touches: `filter`'s DOCKER-USER, INPUT,
//! FORWARD and every `DFW-*` chain of one family, and nothing else.
//!
//! The scope of a policy commit also holds each family's `nat` `DOCKER` chain (read only:
//! what Docker publishes, see `published`).
//!
//! Contract: the names of the `DFW-*` chains come from one chain dump (names only, no
//! rules); then only those chains and the three others are read, rules included; both
//! reads form one consistent snapshot (between two generation reads, retried when another
//! writer changed the ruleset or interrupted a dump). Rules come back without counters; a
//! rule dfw cannot express is `None`.

use dfw_core::model::{Family, TableName};
use dfw_core::policy::{is_dfw_chain, Current, CurrentChain, DOCKER_USER, FORWARD, INPUT};

use crate::firewall::{query, Firewall, FirewallError, KernelRule, KernelTable};
use crate::nft::{GetChains, Reply};
use crate::transport::{snapshot, RetryPolicy, Transport};

/// What `family`'s `filter` table holds of the chains dfw touches.
///
/// # Errors
/// [`FirewallError`] when the kernel cannot be read or answers something unparsable.
pub fn read_current<T: Transport>(
    fw: &mut Firewall<T>,
    family: Family,
) -> Result<Current, FirewallError> {
    // The chain names and the chains in one consistent snapshot: a dump interrupted by
    // another writer, or a generation that moved in between, is read again.
    let (_, current) = snapshot(fw.transport(), &RetryPolicy::default(), |t| {
        read_current_in(t, family)
    })?;
    Ok(current)
}

/// As [`read_current`], through a transport and without a consistency loop, for
/// [`Firewall::apply_with`].
///
/// # Errors
/// As [`read_current`].
pub fn read_current_in<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
) -> Result<Current, FirewallError> {
    let (table, _) = read_scope_of(t, family)?;
    Ok(current_of(std::slice::from_ref(&table), family))
}

/// Every chain [`read_current_in`] reads, of both families, as the firewall's tables (one
/// `filter` table per family, IPv4 first), and every chain looked at (present or not): the
/// scope of [`crate::firewall::Firewall::apply_scoped`] for a policy commit.
///
/// # Errors
/// As [`read_current`].
pub(crate) fn read_scope_in<T: Transport + ?Sized>(
    t: &mut T,
) -> Result<crate::firewall::ScopeRead, FirewallError> {
    let mut tables = Vec::with_capacity(4);
    let mut looked = Vec::new();
    for family in [Family::Ipv4, Family::Ipv6] {
        let (table, names) = read_scope_of(t, family)?;
        tables.push(table);
        looked.extend(names.into_iter().map(|n| (family, TableName::Filter, n)));
    }
    // What Docker publishes (nat DOCKER, read only): the policy's docker-proxy path.
    for family in [Family::Ipv4, Family::Ipv6] {
        tables.push(super::published::read_docker_nat_in(t, family)?);
        looked.push((
            family,
            TableName::Nat,
            super::published::DOCKER_NAT_CHAIN.into(),
        ));
    }
    Ok((tables, looked))
}

/// One family's part of [`read_scope_in`].
fn read_scope_of<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
) -> Result<(KernelTable, Vec<String>), FirewallError> {
    let mut names: Vec<String> = [DOCKER_USER, INPUT, FORWARD].map(String::from).into();
    names.extend(dfw_chain_names(t, family)?);
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let chains = crate::firewall::read_chains_in(t, family, TableName::Filter, &refs)?;
    let table = KernelTable {
        family,
        name: TableName::Filter,
        chains,
    };
    Ok((table, names))
}

/// What `tables` (as [`read_scope_in`] reads them, or as a commit left them) hold of the
/// chains dfw touches in `family`'s `filter` table.
pub(crate) fn current_of(tables: &[KernelTable], family: Family) -> Current {
    let chains = tables
        .iter()
        .filter(|t| t.family == family && t.name == TableName::Filter)
        .flat_map(|t| &t.chains)
        .filter(|c| {
            [DOCKER_USER, INPUT, FORWARD].contains(&c.name.as_str())
                || (c.base.is_none() && is_dfw_chain(&c.name))
        })
        .map(|c| CurrentChain {
            name: c.name.clone(),
            rules: c.rules.iter().map(KernelRule::comparable).collect(),
        })
        .collect();
    Current { chains }
}

/// The names of the user chains of `filter` starting with `DFW-` (one GETCHAIN dump).
fn dfw_chain_names<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
) -> Result<Vec<String>, FirewallError> {
    let req = GetChains {
        family: crate::nft::Family(family.nfproto()),
        one: None,
    };
    let mut names: Vec<String> = query(t, &req)?
        .into_iter()
        .filter_map(|r| match r {
            Reply::Chain(c)
                if c.table == TableName::Filter.as_str()
                    && c.hook.is_none()
                    && is_dfw_chain(&c.name) =>
            {
                Some(c.name)
            }
            _ => None,
        })
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}
