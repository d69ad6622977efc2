//! Queries: the GETTABLE/GETCHAIN/GETRULE dumps or single gets (GETGEN is a control message:
//! [`crate::wire::getgen_request`]).
//!
//! Contract: flags as iptables-nft 1.8.9 sends them: dumps `REQUEST|DUMP`, a single object
//! `REQUEST|ACK`.

use super::request::REQ;
use super::{put_name, EncodeError, Family, NftRequest};
use crate::wire::consts::*;
use crate::wire::AttrWriter;

/// `NFT_MSG_GETTABLE`: a dump of the family's tables, or one table (with `NLM_F_ACK`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetTables {
    /// Family.
    pub family: Family,
    /// One table only.
    pub name: Option<String>,
}

/// `NFT_MSG_GETCHAIN`: a dump of the family's chains, or one chain (TABLE, NAME, `NLM_F_ACK`,
/// as iptables does). The kernel's chain dump is not filtered by table: filter the replies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetChains {
    /// Family.
    pub family: Family,
    /// `(table, chain)` for one chain only.
    pub one: Option<(String, String)>,
}

/// `NFT_MSG_GETRULE` dump, optionally of one table or one chain (the kernel filters by both).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetRules {
    /// Family.
    pub family: Family,
    /// Table filter.
    pub table: Option<String>,
    /// Chain filter (needs `table`).
    pub chain: Option<String>,
}
impl NftRequest for GetTables {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_GETTABLE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | if self.name.is_some() {
            NLM_F_ACK
        } else {
            NLM_F_DUMP
        }
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        match &self.name {
            Some(n) => put_name(w, NFTA_TABLE_NAME, "table", n),
            None => Ok(()),
        }
    }
    fn describe(&self) -> String {
        format!("get tables {}", self.family)
    }
}

impl NftRequest for GetChains {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_GETCHAIN)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | if self.one.is_some() {
            NLM_F_ACK
        } else {
            NLM_F_DUMP
        }
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        match &self.one {
            Some((t, c)) => {
                put_name(w, NFTA_CHAIN_TABLE, "table", t)?;
                put_name(w, NFTA_CHAIN_NAME, "chain", c)
            }
            None => Ok(()),
        }
    }
    fn describe(&self) -> String {
        format!("get chains {}", self.family)
    }
}

impl NftRequest for GetRules {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_GETRULE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | NLM_F_DUMP
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        if let Some(t) = &self.table {
            put_name(w, NFTA_RULE_TABLE, "table", t)?;
        }
        if let Some(c) = &self.chain {
            put_name(w, NFTA_RULE_CHAIN, "chain", c)?;
        }
        Ok(())
    }
    fn describe(&self) -> String {
        format!("get rules {}", self.family)
    }
}
