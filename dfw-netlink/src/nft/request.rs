//! Requests: each nf_tables message dfw sends, with the `nlmsg_type`, flags and attributes
//! iptables-nft 1.8.9 uses for it (measured by strace, see the golden tests).
//!
//! Contract: every request implements [`NftRequest`]; [`encode_request`] frames one into a
//! writer (used by [`super::Batch`] and for the stand-alone GETGEN/GET* requests). Flags:
//! NEWTABLE `CREATE`; NEWCHAIN `CREATE` (builtin), `EXCL` (`-N`) or none (policy update);
//! NEWRULE `CREATE|APPEND` (append, `-A`), `CREATE` (insert, `-I`), `CREATE|REPLACE` (`-R`);
//! DELRULE and flush none; DELCHAIN `NONREC` (`-X`); dumps `DUMP`; single gets `ACK`.

use super::{put_name, ChainMsg, EncodeError, Family, RuleMsg, TableMsg};
use crate::wire::consts::*;
use crate::wire::{AttrWriter, NfGenMsg, NlMsgWriter};

/// One nf_tables request message.
pub trait NftRequest {
    /// Full `nlmsg_type` (`NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_*`).
    fn msg_type(&self) -> u16;
    /// `nlmsg_flags`, `NLM_F_REQUEST` included.
    fn nlm_flags(&self) -> u16;
    /// `nfgen_family`.
    fn family(&self) -> Family;
    /// Writes the attributes.
    ///
    /// # Errors
    /// [`EncodeError`] for values the wire cannot carry.
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError>;
    /// What this message does, for error reports (`new rule ip filter INPUT`).
    fn describe(&self) -> String;
}

/// Frames `req` as one message with sequence number `seq` and extra flags (e.g. `NLM_F_ACK`).
///
/// # Errors
/// [`EncodeError`] from the attributes, wrapped with [`NftRequest::describe`]; the writer is
/// left as it was.
pub fn encode_request<R: NftRequest + ?Sized>(
    req: &R,
    seq: u32,
    extra_flags: u16,
    w: &mut NlMsgWriter,
) -> Result<(), EncodeError> {
    let start = w.len();
    let mut res = Ok(());
    let gen = NfGenMsg {
        family: req.family().0,
        version: NFNETLINK_V0,
        res_id: 0,
    };
    w.message(
        req.msg_type(),
        req.nlm_flags() | extra_flags,
        seq,
        gen,
        |a| {
            res = req.write_attrs(a);
        },
    );
    if let Err(e) = res {
        w.truncate(start);
        return Err(e.in_object(req.describe()));
    }
    Ok(())
}

/// `NFT_MSG_NEWTABLE` with `NLM_F_CREATE` (iptables: create if missing, never fails if present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTable(pub TableMsg);

/// `NFT_MSG_DELTABLE` by name (deletes the table and everything in it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelTable {
    /// Family.
    pub family: Family,
    /// Table name.
    pub name: String,
}

/// How `NFT_MSG_NEWCHAIN` treats an existing chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreateMode {
    /// `NLM_F_CREATE`: create or update (builtin chains; a POLICY given overwrites the old one).
    Create,
    /// `NLM_F_EXCL`: fail with `EEXIST` if it exists (`iptables -N`).
    Exclusive,
    /// No flag: update an existing chain (`iptables -P`).
    Update,
}

/// `NFT_MSG_NEWCHAIN`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChain {
    /// The chain.
    pub chain: ChainMsg,
    /// Create/update semantics.
    pub mode: CreateMode,
}

/// `NFT_MSG_DELCHAIN` by table and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelChain {
    /// Family.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub name: String,
    /// `NLM_F_NONREC` (as `iptables -X`): fail with `EBUSY` instead of flushing a non-empty
    /// chain's rules first.
    pub nonrecursive: bool,
}

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

/// `NFT_MSG_GETGEN`: asks for the ruleset generation (family unspec, no attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetGen;

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

const REQ: u16 = NLM_F_REQUEST;

impl NftRequest for NewTable {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_NEWTABLE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | NLM_F_CREATE
    }
    fn family(&self) -> Family {
        self.0.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        self.0.write_attrs(w)
    }
    fn describe(&self) -> String {
        format!("new table {} {}", self.0.family, self.0.name)
    }
}

impl NftRequest for DelTable {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_DELTABLE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_TABLE_NAME, "table", &self.name)
    }
    fn describe(&self) -> String {
        format!("delete table {} {}", self.family, self.name)
    }
}

impl NftRequest for NewChain {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_NEWCHAIN)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | match self.mode {
            CreateMode::Create => NLM_F_CREATE,
            CreateMode::Exclusive => NLM_F_EXCL,
            CreateMode::Update => 0,
        }
    }
    fn family(&self) -> Family {
        self.chain.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        self.chain.write_attrs(w)
    }
    fn describe(&self) -> String {
        format!("new {}", self.chain.describe())
    }
}

impl NftRequest for DelChain {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_DELCHAIN)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | if self.nonrecursive { NLM_F_NONREC } else { 0 }
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_CHAIN_TABLE, "table", &self.table)?;
        put_name(w, NFTA_CHAIN_NAME, "chain", &self.name)
    }
    fn describe(&self) -> String {
        format!("delete chain {} {} {}", self.family, self.table, self.name)
    }
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

impl NftRequest for GetGen {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_GETGEN)
    }
    fn nlm_flags(&self) -> u16 {
        REQ
    }
    fn family(&self) -> Family {
        Family::UNSPEC
    }
    fn write_attrs(&self, _: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        Ok(())
    }
    fn describe(&self) -> String {
        "get generation".into()
    }
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
