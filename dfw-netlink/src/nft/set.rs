//! Sets and their elements: the GETSET / GETSETELEM dumps and the NEWSET / NEWSETELEM
//! messages the kernel answers with.
//!
//! Contract: requests as nft 1.0.6 sends them (a set dump of one family, `REQUEST|DUMP`; an
//! element dump of one set: TABLE, SET). Decoders read kernel dumps: every attribute the
//! evaluator needs, anything else skipped; malformed framing or a missing name is a
//! [`WireError`], never a panic. A data nest holds a value or a verdict
//! ([`SetData`]).

use super::request::REQ;
use super::{put_name, split_body, EncodeError, Family, NftRequest};
use crate::wire::consts::*;
use crate::wire::{Attr, AttrIter, AttrWriter, WireError};

/// `NFT_MSG_GETSET` dump of one family (or all with [`Family::UNSPEC`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetSets {
    /// Family.
    pub family: Family,
}

/// `NFT_MSG_GETSETELEM` dump of one set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetSetElems {
    /// Family.
    pub family: Family,
    /// Table.
    pub table: String,
    /// Set.
    pub set: String,
}

impl NftRequest for GetSets {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_GETSET)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | NLM_F_DUMP
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, _: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        Ok(())
    }
    fn describe(&self) -> String {
        format!("get sets {}", self.family)
    }
}

impl NftRequest for GetSetElems {
    fn msg_type(&self) -> u16 {
        nft_msg(NFT_MSG_GETSETELEM)
    }
    fn nlm_flags(&self) -> u16 {
        REQ | NLM_F_DUMP
    }
    fn family(&self) -> Family {
        self.family
    }
    fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_SET_ELEM_LIST_TABLE, "table", &self.table)?;
        put_name(w, NFTA_SET_ELEM_LIST_SET, "set", &self.set)
    }
    fn describe(&self) -> String {
        format!(
            "get elements of set {} {} {}",
            self.family, self.table, self.set
        )
    }
}

/// A set or map as the kernel describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetMsg {
    /// Family.
    pub family: Family,
    /// Table.
    pub table: String,
    /// Name.
    pub name: String,
    /// Handle.
    pub handle: u64,
    /// `NFTA_SET_FLAGS`.
    pub flags: u32,
    /// `NFTA_SET_KEY_TYPE`.
    pub key_type: u32,
    /// `NFTA_SET_KEY_LEN`.
    pub key_len: u32,
    /// `NFTA_SET_DATA_TYPE`.
    pub data_type: Option<u32>,
    /// `NFTA_SET_DATA_LEN`.
    pub data_len: u32,
    /// `NFTA_SET_DESC_CONCAT` field lengths.
    pub fields: Vec<u32>,
}

/// A map element's data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SetData {
    /// `NFTA_DATA_VALUE`.
    Value(Vec<u8>),
    /// `NFTA_DATA_VERDICT`: code and chain.
    Verdict(i32, Option<String>),
}

/// One element.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElemMsg {
    /// Key bytes.
    pub key: Vec<u8>,
    /// `NFTA_SET_ELEM_KEY_END`.
    pub key_end: Option<Vec<u8>>,
    /// `NFTA_SET_ELEM_FLAGS`.
    pub flags: u32,
    /// Data of a map element.
    pub data: Option<SetData>,
}

/// One NEWSETELEM message: some elements of one set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetElemsMsg {
    /// Family.
    pub family: Family,
    /// Table.
    pub table: String,
    /// Set.
    pub set: String,
    /// The elements.
    pub elems: Vec<ElemMsg>,
}

fn attrs(buf: &[u8]) -> impl Iterator<Item = Result<Attr<'_>, WireError>> {
    AttrIter::new(buf)
}

/// The value inside a `{ NFTA_DATA_VALUE }` nest.
fn value(nest: &Attr<'_>) -> Result<Vec<u8>, WireError> {
    for a in nest.nested() {
        let a = a?;
        if a.kind == NFTA_DATA_VALUE {
            return Ok(a.payload.to_vec());
        }
    }
    Err(WireError::Missing {
        context: "set element",
        attr: "NFTA_DATA_VALUE",
    })
}

/// A data nest: a value or a verdict.
///
/// # Errors
/// [`WireError`] on malformed framing or a nest with neither.
pub(crate) fn data_of(nest: &Attr<'_>) -> Result<SetData, WireError> {
    for a in nest.nested() {
        let a = a?;
        match a.kind {
            NFTA_DATA_VALUE => return Ok(SetData::Value(a.payload.to_vec())),
            NFTA_DATA_VERDICT => {
                let (mut code, mut chain) = (None, None);
                for v in a.nested() {
                    let v = v?;
                    match v.kind {
                        NFTA_VERDICT_CODE => code = Some(v.u32_be("verdict")? as i32),
                        NFTA_VERDICT_CHAIN => chain = Some(v.string("verdict")?.to_owned()),
                        _ => {}
                    }
                }
                let code = code.ok_or(WireError::Missing {
                    context: "verdict",
                    attr: "NFTA_VERDICT_CODE",
                })?;
                return Ok(SetData::Verdict(code, chain));
            }
            _ => {}
        }
    }
    Err(WireError::Missing {
        context: "data",
        attr: "NFTA_DATA_VALUE or NFTA_DATA_VERDICT",
    })
}

impl SetMsg {
    /// Decodes a NEWSET body (after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] on malformed framing or a missing table or name.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const C: &str = "set";
        let (gen, rest) = split_body(body)?;
        let mut s = SetMsg {
            family: Family(gen.family),
            ..SetMsg::default()
        };
        let (mut table, mut name) = (None, None);
        for a in attrs(rest) {
            let a = a?;
            match a.kind {
                NFTA_SET_TABLE => table = Some(a.string(C)?.to_owned()),
                NFTA_SET_NAME => name = Some(a.string(C)?.to_owned()),
                NFTA_SET_FLAGS => s.flags = a.u32_be(C)?,
                NFTA_SET_KEY_TYPE => s.key_type = a.u32_be(C)?,
                NFTA_SET_KEY_LEN => s.key_len = a.u32_be(C)?,
                NFTA_SET_DATA_TYPE => s.data_type = Some(a.u32_be(C)?),
                NFTA_SET_DATA_LEN => s.data_len = a.u32_be(C)?,
                NFTA_SET_HANDLE => s.handle = a.u64_be(C)?,
                NFTA_SET_DESC => {
                    for d in a.nested() {
                        let d = d?;
                        if d.kind != NFTA_SET_DESC_CONCAT {
                            continue;
                        }
                        for el in d.nested() {
                            for f in el?.nested() {
                                let f = f?;
                                if f.kind == NFTA_SET_FIELD_LEN {
                                    s.fields.push(f.u32_be(C)?);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        s.table = table.ok_or(WireError::Missing {
            context: C,
            attr: "NFTA_SET_TABLE",
        })?;
        s.name = name.ok_or(WireError::Missing {
            context: C,
            attr: "NFTA_SET_NAME",
        })?;
        Ok(s)
    }
}

impl SetElemsMsg {
    /// Decodes a NEWSETELEM body (after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] on malformed framing or a missing table, set or key.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const C: &str = "set elements";
        let (gen, rest) = split_body(body)?;
        let mut m = SetElemsMsg {
            family: Family(gen.family),
            ..SetElemsMsg::default()
        };
        for a in attrs(rest) {
            let a = a?;
            match a.kind {
                NFTA_SET_ELEM_LIST_TABLE => m.table = a.string(C)?.to_owned(),
                NFTA_SET_ELEM_LIST_SET => m.set = a.string(C)?.to_owned(),
                NFTA_SET_ELEM_LIST_ELEMENTS => {
                    for el in a.nested() {
                        m.elems.push(elem(&el?)?);
                    }
                }
                _ => {}
            }
        }
        if m.table.is_empty() || m.set.is_empty() {
            return Err(WireError::Missing {
                context: C,
                attr: "NFTA_SET_ELEM_LIST_TABLE or _SET",
            });
        }
        Ok(m)
    }
}

fn elem(el: &Attr<'_>) -> Result<ElemMsg, WireError> {
    let mut e = ElemMsg::default();
    let mut key = None;
    for a in el.nested() {
        let a = a?;
        match a.kind {
            NFTA_SET_ELEM_KEY => key = Some(value(&a)?),
            NFTA_SET_ELEM_KEY_END => e.key_end = Some(value(&a)?),
            NFTA_SET_ELEM_FLAGS => e.flags = a.u32_be("set element")?,
            NFTA_SET_ELEM_DATA => e.data = Some(data_of(&a)?),
            _ => {}
        }
    }
    // A catch-all element (`*`) has no key; an empty key never equals a register.
    e.key = key.unwrap_or_default();
    Ok(e)
}
