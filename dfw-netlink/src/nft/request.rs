//! Requests: each nf_tables message dfw sends, with the `nlmsg_type`, flags and attributes
//! iptables-nft 1.8.9 uses for it (measured by strace, see the golden tests).
//!
//! Contract: every request implements [`NftRequest`]; [`encode_request`] frames one into a
//! writer (used by [`super::Batch`] and for the stand-alone GETGEN/GET* requests). Flags:
//! NEWTABLE `CREATE`; NEWCHAIN `CREATE` (builtin), `EXCL` (`-N`) or none (policy update);
//! DELCHAIN `NONREC` (`-X`). Rule requests are in `rule_request`, queries in `query`.

use super::{put_name, ChainMsg, EncodeError, Family, TableMsg};
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

/// `NFT_MSG_NEWTABLE` with `NLM_F_CREATE | NLM_F_EXCL`: refused with `EEXIST` when the table
/// exists (`EPERM` when another socket owns it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTableExclusive(pub TableMsg);

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
/// `NLM_F_REQUEST`, set on every request.
pub(super) const REQ: u16 = NLM_F_REQUEST;

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

impl NftRequest for NewTableExclusive {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_NEWTABLE)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | NLM_F_CREATE | NLM_F_EXCL
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
