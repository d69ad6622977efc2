//! Rule requests: NEWRULE (append, insert, replace), DELRULE by handle, and flush.
//!
//! Contract: flags as iptables-nft 1.8.9 sends them: NEWRULE `CREATE|APPEND` (`-A`),
//! `CREATE` (`-I`, with POSITION = handle to insert before), `CREATE|REPLACE` (`-R`, with
//! HANDLE); DELRULE (`-D`, `-F`) none.

use super::request::REQ;
use super::{put_name, EncodeError, Family, NftRequest, RuleMsg};
use crate::wire::consts::*;
use crate::wire::AttrWriter;

/// How `NFT_MSG_NEWRULE` places the rule (with [`RuleMsg::position`]/[`RuleMsg::handle`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RuleMode {
    /// `NLM_F_CREATE|NLM_F_APPEND`: at the end, or after `position` if set (`-A`).
    Append,
    /// `NLM_F_CREATE`: at the start, or before `position` if set (`-I`).
    Insert,
    /// `NLM_F_CREATE|NLM_F_REPLACE`: replace the rule with `handle` (`-R`).
    Replace,
}

/// `NFT_MSG_NEWRULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRule {
    /// The rule (its `position`/`handle` place it, see [`RuleMode`]).
    pub rule: RuleMsg,
    /// Placement semantics.
    pub mode: RuleMode,
}

impl NewRule {
    /// Append at the end of the chain (`iptables -A`).
    pub fn append(mut rule: RuleMsg) -> Self {
        rule.handle = None;
        rule.position = None;
        NewRule {
            rule,
            mode: RuleMode::Append,
        }
    }

    /// Append right after the rule with handle `after` (POSITION with `NLM_F_APPEND`).
    pub fn append_after(mut rule: RuleMsg, after: u64) -> Self {
        rule.handle = None;
        rule.position = Some(after);
        NewRule {
            rule,
            mode: RuleMode::Append,
        }
    }

    /// Insert before the rule with handle `before`, or at the start (`iptables -I [n]`).
    pub fn insert(mut rule: RuleMsg, before: Option<u64>) -> Self {
        rule.handle = None;
        rule.position = before;
        NewRule {
            rule,
            mode: RuleMode::Insert,
        }
    }

    /// Replace the rule with handle `handle` (`iptables -R`).
    pub fn replace(mut rule: RuleMsg, handle: u64) -> Self {
        rule.handle = Some(handle);
        rule.position = None;
        NewRule {
            rule,
            mode: RuleMode::Replace,
        }
    }
}

/// `NFT_MSG_DELRULE` by handle: TABLE, CHAIN, HANDLE. (iptables 1.8.9 also resends the rule's
/// expressions, which the kernel ignores.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelRule {
    /// Family.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
    /// Handle of the rule.
    pub handle: u64,
}

/// `NFT_MSG_DELRULE` with only TABLE and CHAIN: deletes every rule of the chain (`iptables -F`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlushChain {
    /// Family.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub chain: String,
}
impl NftRequest for NewRule {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_NEWRULE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | NLM_F_CREATE
            | match self.mode {
                RuleMode::Append => NLM_F_APPEND,
                RuleMode::Insert => 0,
                RuleMode::Replace => NLM_F_REPLACE,
            }
    }
    fn family(&self) -> Family {
        self.rule.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        self.rule.write_attrs(w)
    }
    fn describe(&self) -> String {
        format!("new {}", self.rule.describe())
    }
}

impl NftRequest for DelRule {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_DELRULE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_RULE_TABLE, "table", &self.table)?;
        put_name(w, NFTA_RULE_CHAIN, "chain", &self.chain)?;
        w.u64_be(NFTA_RULE_HANDLE, self.handle);
        Ok(())
    }
    fn describe(&self) -> String {
        format!(
            "delete rule {} {} {} handle {}",
            self.family, self.table, self.chain, self.handle
        )
    }
}

impl NftRequest for FlushChain {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_DELRULE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_RULE_TABLE, "table", &self.table)?;
        put_name(w, NFTA_RULE_CHAIN, "chain", &self.chain)
    }
    fn describe(&self) -> String {
        format!("flush chain {} {} {}", self.family, self.table, self.chain)
    }
}
