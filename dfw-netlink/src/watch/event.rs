//! nf_tables change events (pure): what the kernel announces on `NFNLGRP_NFTABLES`, and
//! whether a change can concern dfw.
//!
//! Contract: [`parse_events`] reads every message of one datagram; table/chain/rule events
//! keep only family, table and chain (the rest of the body is not needed to decide, so an
//! expression this codec does not know cannot make an event unreadable), NEWGEN is decoded
//! with [`GenMsg`]. A message that cannot be read becomes [`EventKind::Unreadable`], which
//! [`NftEvent::concerns_dfw`] treats as relevant (never miss a change).

use dfw_core::policy::{is_dfw_chain, DOCKER_USER, FORWARD, INPUT, MARK_TABLE};

use crate::enforce::DOCKER_NAT_CHAIN;
use crate::nft::GenMsg;
use crate::wire::consts::*;
use crate::wire::{split_messages, AttrIter, NfGenMsg, WireError, NFGENMSG_LEN};

/// `NFPROTO_IPV4`.
const NFPROTO_IPV4: u8 = 2;
/// `NFPROTO_IPV6`.
const NFPROTO_IPV6: u8 = 10;

/// The kind of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A table was added (or its flags changed).
    NewTable,
    /// A table was deleted.
    DelTable,
    /// A chain was added or changed (e.g. its policy).
    NewChain,
    /// A chain was deleted.
    DelChain,
    /// A rule was added.
    NewRule,
    /// A rule was deleted.
    DelRule,
    /// A batch committed: the new generation.
    NewGen(GenMsg),
    /// Another nf_tables message (sets, objects, ...).
    Other(u16),
    /// A message that could not be read.
    Unreadable(String),
}

/// One change announced by the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NftEvent {
    /// What changed.
    pub kind: EventKind,
    /// `NFPROTO_*` family.
    pub family: u8,
    /// The table's name (empty for NEWGEN and others).
    pub table: String,
    /// The chain's name, for chain and rule events.
    pub chain: Option<String>,
    /// The netlink port id of the socket that sent the batch (`nlmsg_pid`).
    pub portid: u32,
}

impl NftEvent {
    /// True when the change can make the kernel differ from a dfw policy: anything in
    /// `filter` of IPv4/IPv6 touching the table itself, DOCKER-USER, INPUT, FORWARD or a
    /// `DFW-*` chain. FORWARD's additions count: a rule Docker inserts above
    /// `-j DOCKER-USER` displaces the jump (Docker 20.10's IPv6 rules at every start). So does
    /// any change of `nat`'s DOCKER chain (or the `nat` table): what Docker publishes, which
    /// the policy's docker-proxy path follows.
    pub fn concerns_dfw(&self) -> bool {
        if matches!(self.kind, EventKind::Unreadable(_)) {
            return true;
        }
        // dfw's own native table (`[docker] accept_fwmark`), whatever changed in it.
        if self.family == NFPROTO_INET && self.table == MARK_TABLE {
            return true;
        }
        if !matches!(self.family, NFPROTO_IPV4 | NFPROTO_IPV6) {
            return false;
        }
        let chain = self.chain.as_deref();
        if self.table == "nat" {
            return match (&self.kind, chain) {
                (EventKind::NewTable | EventKind::DelTable, _) => true,
                (
                    EventKind::NewChain
                    | EventKind::DelChain
                    | EventKind::NewRule
                    | EventKind::DelRule,
                    Some(c),
                ) => c == DOCKER_NAT_CHAIN,
                _ => false,
            };
        }
        if self.table != "filter" {
            return false;
        }
        match (&self.kind, chain) {
            (EventKind::NewTable | EventKind::DelTable, _) => true,
            (EventKind::NewChain | EventKind::DelChain, Some(c))
            | (EventKind::NewRule | EventKind::DelRule, Some(c)) => {
                c == DOCKER_USER || c == INPUT || c == FORWARD || is_dfw_chain(c)
            }
            _ => false,
        }
    }
}

impl NftEvent {
    /// True for a table, chain or rule change in an IPv4/IPv6 table: activity that keeps a
    /// pending burst open (Docker rebuilding its chains) even when it does not concern dfw.
    pub fn is_activity(&self) -> bool {
        matches!(self.family, NFPROTO_IPV4 | NFPROTO_IPV6)
            && matches!(
                self.kind,
                EventKind::NewTable
                    | EventKind::DelTable
                    | EventKind::NewChain
                    | EventKind::DelChain
                    | EventKind::NewRule
                    | EventKind::DelRule
            )
    }
}

/// Every event in one datagram of the event socket.
pub fn parse_events(buf: &[u8]) -> Vec<NftEvent> {
    let mut out = Vec::new();
    for m in split_messages(buf) {
        let (h, body) = match m {
            Ok(m) => m,
            Err(e) => {
                out.push(unreadable(0, e));
                break;
            }
        };
        out.push(parse_one(h.kind, h.pid, body).unwrap_or_else(|e| unreadable(h.pid, e)));
    }
    out
}

fn unreadable(portid: u32, e: WireError) -> NftEvent {
    NftEvent {
        kind: EventKind::Unreadable(e.to_string()),
        family: 0,
        table: String::new(),
        chain: None,
        portid,
    }
}

fn parse_one(msg_type: u16, portid: u32, body: &[u8]) -> Result<NftEvent, WireError> {
    let family = NfGenMsg::parse(body)?.family;
    let mut ev = NftEvent {
        kind: EventKind::Other(msg_type),
        family,
        table: String::new(),
        chain: None,
        portid,
    };
    if msg_type >> 8 != NFNL_SUBSYS_NFTABLES {
        return Ok(ev);
    }
    let (kind, table_attr, chain_attr) = match msg_type & 0xff {
        NFT_MSG_NEWTABLE => (EventKind::NewTable, NFTA_TABLE_NAME, None),
        NFT_MSG_DELTABLE => (EventKind::DelTable, NFTA_TABLE_NAME, None),
        NFT_MSG_NEWCHAIN => (EventKind::NewChain, NFTA_CHAIN_TABLE, Some(NFTA_CHAIN_NAME)),
        NFT_MSG_DELCHAIN => (EventKind::DelChain, NFTA_CHAIN_TABLE, Some(NFTA_CHAIN_NAME)),
        NFT_MSG_NEWRULE => (EventKind::NewRule, NFTA_RULE_TABLE, Some(NFTA_RULE_CHAIN)),
        NFT_MSG_DELRULE => (EventKind::DelRule, NFTA_RULE_TABLE, Some(NFTA_RULE_CHAIN)),
        NFT_MSG_NEWGEN => {
            ev.kind = EventKind::NewGen(GenMsg::parse(body)?);
            return Ok(ev);
        }
        _ => return Ok(ev),
    };
    ev.kind = kind;
    for a in AttrIter::new(&body[NFGENMSG_LEN..]) {
        let a = a?;
        if a.kind == table_attr {
            ev.table = a.string("event table")?.to_string();
        } else if Some(a.kind) == chain_attr {
            ev.chain = Some(a.string("event chain")?.to_string());
        }
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::AttrWriter;

    fn msg(kind: u16, family: u8, pid: u32, attrs: &[(u16, &str)]) -> Vec<u8> {
        let mut body = vec![family, 0, 0, 0];
        let mut w = AttrWriter::new(&mut body);
        for (k, v) in attrs {
            w.string(*k, v);
        }
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&((16 + body.len()) as u32).to_ne_bytes());
        bytes.extend_from_slice(&nft_msg(kind).to_ne_bytes());
        bytes.extend_from_slice(&0u16.to_ne_bytes());
        bytes.extend_from_slice(&0u32.to_ne_bytes());
        bytes.extend_from_slice(&pid.to_ne_bytes());
        bytes.extend_from_slice(&body);
        bytes
    }

    #[test]
    fn rule_events_in_dfw_chains_concern_dfw() {
        let rule = |k, chain| {
            let b = msg(
                k,
                2,
                77,
                &[(NFTA_RULE_TABLE, "filter"), (NFTA_RULE_CHAIN, chain)],
            );
            parse_events(&b).remove(0)
        };
        let ev = rule(NFT_MSG_DELRULE, "DOCKER-USER");
        assert_eq!(ev.kind, EventKind::DelRule);
        assert_eq!(ev.portid, 77);
        assert_eq!(ev.chain.as_deref(), Some("DOCKER-USER"));
        assert!(ev.concerns_dfw());
        assert!(rule(NFT_MSG_NEWRULE, "DFW-DOCKER").concerns_dfw());
        assert!(rule(NFT_MSG_NEWRULE, "INPUT").concerns_dfw());
        assert!(rule(NFT_MSG_NEWRULE, "FORWARD").concerns_dfw());
        assert!(rule(NFT_MSG_DELRULE, "FORWARD").concerns_dfw());
        assert!(!rule(NFT_MSG_NEWRULE, "DOCKER").concerns_dfw());
        assert!(rule(NFT_MSG_NEWRULE, "DOCKER").is_activity());
    }

    #[test]
    fn dockers_published_ports_concern_dfw() {
        for (kind, chain, relevant) in [
            (NFT_MSG_NEWRULE, "DOCKER", true),
            (NFT_MSG_DELRULE, "DOCKER", true),
            (NFT_MSG_NEWRULE, "POSTROUTING", false),
        ] {
            for family in [2, 10] {
                let b = msg(
                    kind,
                    family,
                    1,
                    &[(NFTA_RULE_TABLE, "nat"), (NFTA_RULE_CHAIN, chain)],
                );
                assert_eq!(parse_events(&b)[0].concerns_dfw(), relevant, "{chain}");
            }
        }
        let b = msg(NFT_MSG_DELTABLE, 2, 1, &[(NFTA_TABLE_NAME, "nat")]);
        assert!(parse_events(&b)[0].concerns_dfw());
    }

    #[test]
    fn other_tables_and_families_do_not() {
        let b = msg(NFT_MSG_DELTABLE, 2, 1, &[(NFTA_TABLE_NAME, "mangle")]);
        assert!(!parse_events(&b)[0].concerns_dfw());
        let b = msg(NFT_MSG_DELTABLE, 10, 1, &[(NFTA_TABLE_NAME, "filter")]);
        assert!(parse_events(&b)[0].concerns_dfw());
        let b = msg(NFT_MSG_DELTABLE, 1, 1, &[(NFTA_TABLE_NAME, "filter")]);
        assert!(!parse_events(&b)[0].concerns_dfw());
        let b = msg(NFT_MSG_DELTABLE, 1, 1, &[(NFTA_TABLE_NAME, "dfw-watch")]);
        assert!(!parse_events(&b)[0].concerns_dfw());
    }

    #[test]
    fn dfws_native_table_concerns_dfw() {
        let b = msg(NFT_MSG_DELTABLE, 1, 1, &[(NFTA_TABLE_NAME, "dfw")]);
        assert!(parse_events(&b)[0].concerns_dfw());
        let b = msg(
            NFT_MSG_DELRULE,
            1,
            1,
            &[(NFTA_RULE_TABLE, "dfw"), (NFTA_RULE_CHAIN, "forward")],
        );
        assert!(parse_events(&b)[0].concerns_dfw());
    }

    #[test]
    fn garbage_is_unreadable_and_relevant() {
        let evs = parse_events(&[1, 2, 3]);
        assert!(matches!(evs[0].kind, EventKind::Unreadable(_)));
        assert!(evs[0].concerns_dfw());
        let mut b = msg(NFT_MSG_NEWRULE, 2, 1, &[(NFTA_RULE_TABLE, "filter")]);
        b.truncate(b.len() - 2);
        let len = b.len() as u32;
        b[0..4].copy_from_slice(&len.to_ne_bytes());
        assert!(parse_events(&b).iter().all(|e| e.concerns_dfw()));
    }
}
