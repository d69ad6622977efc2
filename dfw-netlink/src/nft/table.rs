//! Tables: `NFT_MSG_NEWTABLE` payloads, built or decoded.
//!
//! Contract: [`TableMsg::write_attrs`] writes NAME, HANDLE?, FLAGS?, USERDATA? (`?`: only
//! when set) in libnftnl's order (iptables sends only NAME); [`TableMsg::parse`] reads a
//! kernel reply or a request. The kernel-only `NFTA_TABLE_USE` and `NFTA_TABLE_OWNER` are
//! decoded but never written; unknown attributes are ignored.

use super::{in_object, put_name, split_body, EncodeError, Family};
use crate::wire::consts::*;
use crate::wire::Fields;
use crate::wire::{AttrWriter, WireError};

/// An nf_tables table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableMsg {
    /// Family (`nfgen_family`).
    pub family: Family,
    /// Table name.
    pub name: String,
    /// Kernel handle (replies only).
    pub handle: Option<u64>,
    /// `NFTA_TABLE_FLAGS` (0 for iptables tables).
    pub flags: Option<u32>,
    /// `NFTA_TABLE_USE`: number of chains (replies only; never written).
    pub use_count: Option<u32>,
    /// `NFTA_TABLE_USERDATA`: libnftnl's TLVs (`comment`; see [`super::udata`]).
    pub userdata: Option<Vec<u8>>,
    /// `NFTA_TABLE_OWNER`: the netlink port id of the socket owning the table (with
    /// [`NFT_TABLE_F_OWNER`]; replies only, never written).
    pub owner: Option<u32>,
}

impl TableMsg {
    /// A table to create, as iptables does: name only.
    pub fn new(family: Family, name: impl Into<String>) -> Self {
        TableMsg {
            family,
            name: name.into(),
            ..Self::default()
        }
    }

    /// Writes the attributes: NAME, HANDLE?, FLAGS?, USERDATA?.
    ///
    /// # Errors
    /// [`EncodeError::BadName`] for an empty, oversize or NUL-holding name.
    pub fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_TABLE_NAME, "table", &self.name)?;
        if let Some(h) = self.handle {
            w.u64_be(NFTA_TABLE_HANDLE, h);
        }
        if let Some(f) = self.flags {
            w.u32_be(NFTA_TABLE_FLAGS, f);
        }
        if let Some(u) = &self.userdata {
            w.bytes(NFTA_TABLE_USERDATA, u);
        }
        Ok(())
    }

    /// Decodes a table message body (everything after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] when the body is malformed or lacks `NFTA_TABLE_NAME`.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const CTX: &str = "table";
        let (gen, attrs) = split_body(body)?;
        let family = Family(gen.family);
        let f = Fields::parse(attrs).map_err(in_object(format!("table {family}")))?;
        let name = f.req_str(NFTA_TABLE_NAME, CTX, "NFTA_TABLE_NAME")?;
        let wrap = in_object(format!("table {family} {name}"));
        (|| {
            Ok(TableMsg {
                family,
                handle: f.opt_u64(NFTA_TABLE_HANDLE, CTX)?,
                flags: f.opt_u32(NFTA_TABLE_FLAGS, CTX)?,
                use_count: f.opt_u32(NFTA_TABLE_USE, CTX)?,
                userdata: f.get(NFTA_TABLE_USERDATA).map(<[u8]>::to_vec),
                owner: f.opt_u32(NFTA_TABLE_OWNER, CTX)?,
                name,
            })
        })()
        .map_err(wrap)
    }
}
