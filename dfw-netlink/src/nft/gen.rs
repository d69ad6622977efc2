//! The ruleset generation: `NFT_MSG_NEWGEN`, the kernel's answer to `NFT_MSG_GETGEN`.
//!
//! Contract: [`GenMsg::parse`] reads ID (big-endian u32) and the optional PROC_PID/PROC_NAME
//! of the last process that committed. The id goes into `NFNL_BATCH_GENID` of the next batch.

use super::{fields::Fields, split_body};
use crate::wire::consts::*;
use crate::wire::WireError;

/// The current ruleset generation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GenMsg {
    /// `NFTA_GEN_ID`.
    pub id: u32,
    /// `NFTA_GEN_PROC_PID`: pid of the last committer.
    pub proc_pid: Option<u32>,
    /// `NFTA_GEN_PROC_NAME`: its command name.
    pub proc_name: Option<String>,
}

impl GenMsg {
    /// Decodes an `NFT_MSG_NEWGEN` body (everything after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] when the body is malformed or lacks `NFTA_GEN_ID`.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const CTX: &str = "generation";
        let (_, attrs) = split_body(body)?;
        let f = Fields::parse(attrs)?;
        Ok(GenMsg {
            id: f.req_u32(NFTA_GEN_ID, CTX, "NFTA_GEN_ID")?,
            proc_pid: f.opt_u32(NFTA_GEN_PROC_PID, CTX)?,
            proc_name: f.opt_str(NFTA_GEN_PROC_NAME, CTX)?,
        })
    }
}
