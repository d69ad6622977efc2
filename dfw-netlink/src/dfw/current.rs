//! Reading what the kernel holds of the chains dfw touches: `filter`'s DOCKER-USER, INPUT,
//! FORWARD and every `DFW-*` chain of one family, and nothing else.
//!
//! Contract: the names of the `DFW-*` chains come from one chain dump (names only, no
//! rules); then only those chains and the three others are read, rules included; both
//! reads form one consistent snapshot (between two generation reads, retried when another
//! writer changed the ruleset or interrupted a dump). Rules come back without counters; a
//! rule dfw cannot express is `None`.

use dfw_core::model::{Family, TableName};
use dfw_core::policy::{is_dfw_chain, Current, CurrentChain, DOCKER_USER, FORWARD, INPUT};

use crate::firewall::{Firewall, FirewallError, KernelRule};
use crate::nft::{encode_request, parse_reply, GetChains, Reply};
use crate::transport::{snapshot, RetryPolicy, Transport, TransportError};
use crate::wire::{split_messages, NlMsgWriter};

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
        read_current_in(t, family).map_err(|e| match e {
            FirewallError::Transport(t) => t,
            FirewallError::Malformed(w) => TransportError::Malformed(w),
            other => TransportError::InvalidRequest {
                reason: other.to_string(),
            },
        })
    })?;
    Ok(current)
}

/// As [`read_current`], through a transport and without a consistency loop, for
/// [`Firewall::apply_with`](crate::firewall::Firewall::apply_with).
///
/// # Errors
/// As [`read_current`].
pub fn read_current_in<T: Transport + ?Sized>(
    t: &mut T,
    family: Family,
) -> Result<Current, FirewallError> {
    let dfw = dfw_chain_names(t, family)?;
    let mut names: Vec<&str> = vec![DOCKER_USER, INPUT, FORWARD];
    names.extend(dfw.iter().map(String::as_str));
    let chains = crate::firewall::read_chains_in(t, family, TableName::Filter, &names)?;
    Ok(Current {
        chains: chains
            .into_iter()
            .map(|c| CurrentChain {
                name: c.name,
                rules: c.rules.iter().map(KernelRule::comparable).collect(),
            })
            .collect(),
    })
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
    let mut w = NlMsgWriter::new();
    encode_request(&req, 0, 0, &mut w).map_err(|e| {
        FirewallError::Transport(TransportError::InvalidRequest {
            reason: e.to_string(),
        })
    })?;
    let mut names = Vec::new();
    for msg in t.dump(w.as_bytes())? {
        for m in split_messages(&msg) {
            let (h, body) = m?;
            if let Reply::Chain(c) = parse_reply(&h, body)? {
                if c.table == TableName::Filter.as_str()
                    && c.hook.is_none()
                    && is_dfw_chain(&c.name)
                {
                    names.push(c.name);
                }
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}
