//! What Docker publishes, read with the chains dfw touches: the `nat` table's `DOCKER` chain
//! of each family (read only, never changed), from which the docker-proxy path of the policy
//! is completed ([`dfw_core::policy::Published`], [`Compiled::with_published`]).
//!
//! Contract: [`read_docker_nat_in`] reads that one chain (absent when Docker has not started
//! or runs another firewall backend: no published port then); [`completed`] is pure over the
//! tables read.

use std::borrow::Cow;

use dfw_core::model::{Family, Rule, TableName};
use dfw_core::policy::{Compiled, Published};

use crate::firewall::{read_chains_in, FirewallError, KernelRule, KernelTable};
use crate::transport::Transport;

/// Docker's chain of DNAT rules in `nat`.
pub const DOCKER_NAT_CHAIN: &str = "DOCKER";

/// `family`'s `nat` table with only its `DOCKER` chain (if it exists).
///
/// # Errors
/// [`FirewallError`] when the kernel cannot be read.
pub(crate) fn read_docker_nat_in<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
) -> Result<KernelTable, FirewallError> {
    let chains = read_chains_in(t, family, TableName::Nat, &[DOCKER_NAT_CHAIN])?;
    Ok(KernelTable {
        family,
        name: TableName::Nat,
        chains,
    })
}

/// The rules of `family`'s `nat` `DOCKER` chain in `tables` (rules dfw cannot express are
/// left out: they are not Docker's DNATs).
fn docker_nat(tables: &[KernelTable], family: Family) -> Vec<Rule> {
    tables
        .iter()
        .filter(|t| t.family == family && t.name == TableName::Nat)
        .filter_map(|t| t.chain(DOCKER_NAT_CHAIN))
        .flat_map(|c| c.rules.iter().filter_map(KernelRule::comparable))
        .collect()
}

/// The ports Docker publishes according to `tables`.
pub fn published_of(tables: &[KernelTable]) -> Published {
    Published::from_dnat(
        &docker_nat(tables, Family::Ipv4),
        &docker_nat(tables, Family::Ipv6),
    )
}

/// `compiled` completed with the docker-proxy path of what `tables` say Docker publishes.
pub(crate) fn completed<'a>(compiled: &'a Compiled, tables: &[KernelTable]) -> Cow<'a, Compiled> {
    compiled.with_published(&published_of(tables))
}
