//! ipset replies: `PROTOCOL`, `TYPE`, `HEADER` and the `LIST` dump, and the line number the
//! kernel writes into a rejected multi-entry `ADD` it echoes back.
//!
//! Contract: pure; never panics on any input. A `LIST` dump may split one set over several
//! messages (the header in the first, members in the following ones, each with the set's
//! name): [`parse_list`] joins them. Members of a type whose data dfw does not read (ports,
//! interfaces, ...) make that set's [`Members::Unreadable`], never an error: the other sets are
//! still listed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Network};

use super::types::{Member, Members, SetHeader, SetListing};
use crate::wire::consts::{
    ipset_msg, IPSET_ATTR_ADT, IPSET_ATTR_CADT_FLAGS, IPSET_ATTR_CADT_LINENO, IPSET_ATTR_CIDR,
    IPSET_ATTR_DATA, IPSET_ATTR_ELEMENTS, IPSET_ATTR_FAMILY, IPSET_ATTR_HASHSIZE, IPSET_ATTR_INDEX,
    IPSET_ATTR_IP, IPSET_ATTR_IPADDR_IPV4, IPSET_ATTR_IPADDR_IPV6, IPSET_ATTR_LINENO,
    IPSET_ATTR_MAXELEM, IPSET_ATTR_MEMSIZE, IPSET_ATTR_PROTOCOL, IPSET_ATTR_PROTOCOL_MIN,
    IPSET_ATTR_REFERENCES, IPSET_ATTR_REVISION, IPSET_ATTR_SETNAME, IPSET_ATTR_TIMEOUT,
    IPSET_ATTR_TYPENAME, IPSET_CMD_HEADER, IPSET_CMD_LIST, IPSET_CMD_PROTOCOL, IPSET_CMD_TYPE,
    IPSET_FLAG_NOMATCH, NFPROTO_IPV4, NFPROTO_IPV6, NFPROTO_UNSPEC,
};
use crate::wire::{split_messages, Attr, AttrIter, WireError, NFGENMSG_LEN, NLMSG_HDRLEN};

/// The kernel's protocol versions (`IPSET_CMD_PROTOCOL`'s answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtocolReply {
    /// The version it speaks.
    pub protocol: u8,
    /// The oldest it still accepts.
    pub min: Option<u8>,
}

/// The revisions of a set type the kernel has (`IPSET_CMD_TYPE`'s answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeReply {
    /// The newest revision.
    pub revision: u8,
    /// The oldest.
    pub revision_min: u8,
}

/// A set's identity (`IPSET_CMD_HEADER`'s answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderReply {
    /// The name.
    pub name: SetName,
    /// The type.
    pub typename: String,
    /// The family (`None` for `list:set`).
    pub family: Option<Family>,
    /// The revision.
    pub revision: u8,
}

const CTX: &str = "ipset reply";

/// The top-level attributes of one ipset message of command `cmd`.
fn top(msg: &[u8], cmd: u16) -> Result<Vec<Attr<'_>>, WireError> {
    let (h, body) = split_messages(msg).next().ok_or(WireError::Truncated {
        what: "ipset message",
        need: NLMSG_HDRLEN,
        have: msg.len(),
    })??;
    if h.kind != ipset_msg(cmd) {
        return Err(WireError::UnexpectedMessage {
            want: "an ipset reply",
            kind: h.kind,
        });
    }
    let attrs = body.get(NFGENMSG_LEN..).ok_or(WireError::Truncated {
        what: "nfgenmsg",
        need: NFGENMSG_LEN,
        have: body.len(),
    })?;
    AttrIter::new(attrs).collect()
}

fn find<'a>(attrs: &[Attr<'a>], kind: u16) -> Option<Attr<'a>> {
    attrs.iter().copied().find(|a| a.kind == kind)
}

fn u8_of(a: Attr<'_>) -> Result<u8, WireError> {
    match a.payload {
        [v] => Ok(*v),
        _ => Err(WireError::BadAttr {
            context: CTX,
            attr: a.kind,
            reason: format!("{} bytes, want 1", a.payload.len()),
        }),
    }
}

fn req<'a>(attrs: &[Attr<'a>], kind: u16, name: &'static str) -> Result<Attr<'a>, WireError> {
    find(attrs, kind).ok_or(WireError::Missing {
        context: CTX,
        attr: name,
    })
}

fn set_name(a: Attr<'_>) -> Result<SetName, WireError> {
    let s = a.string(CTX)?;
    SetName::new(s).map_err(|e| WireError::BadAttr {
        context: CTX,
        attr: a.kind,
        reason: e.to_string(),
    })
}

fn family_of(a: Attr<'_>) -> Result<Option<Family>, WireError> {
    match u8_of(a)? {
        NFPROTO_IPV4 => Ok(Some(Family::Ipv4)),
        NFPROTO_IPV6 => Ok(Some(Family::Ipv6)),
        NFPROTO_UNSPEC => Ok(None),
        f => Err(WireError::BadAttr {
            context: CTX,
            attr: a.kind,
            reason: format!("family {f}"),
        }),
    }
}

/// Parses the answer to [`super::request::protocol`].
///
/// # Errors
/// [`WireError`] for a malformed message or one without `IPSET_ATTR_PROTOCOL`.
pub fn parse_protocol(msg: &[u8]) -> Result<ProtocolReply, WireError> {
    let a = top(msg, IPSET_CMD_PROTOCOL)?;
    Ok(ProtocolReply {
        protocol: u8_of(req(&a, IPSET_ATTR_PROTOCOL, "IPSET_ATTR_PROTOCOL")?)?,
        min: find(&a, IPSET_ATTR_PROTOCOL_MIN).map(u8_of).transpose()?,
    })
}

/// Parses the answer to [`super::request::type_query`].
///
/// # Errors
/// [`WireError`] for a malformed message or one without the revisions.
pub fn parse_type(msg: &[u8]) -> Result<TypeReply, WireError> {
    let a = top(msg, IPSET_CMD_TYPE)?;
    Ok(TypeReply {
        revision: u8_of(req(&a, IPSET_ATTR_REVISION, "IPSET_ATTR_REVISION")?)?,
        revision_min: u8_of(req(&a, IPSET_ATTR_PROTOCOL_MIN, "IPSET_ATTR_REVISION_MIN")?)?,
    })
}

/// Parses the answer to [`super::request::header`].
///
/// # Errors
/// [`WireError`] for a malformed message or a missing attribute.
pub fn parse_header(msg: &[u8]) -> Result<HeaderReply, WireError> {
    let a = top(msg, IPSET_CMD_HEADER)?;
    Ok(HeaderReply {
        name: set_name(req(&a, IPSET_ATTR_SETNAME, "IPSET_ATTR_SETNAME")?)?,
        typename: req(&a, IPSET_ATTR_TYPENAME, "IPSET_ATTR_TYPENAME")?
            .string(CTX)?
            .to_string(),
        family: family_of(req(&a, IPSET_ATTR_FAMILY, "IPSET_ATTR_FAMILY")?)?,
        revision: u8_of(req(&a, IPSET_ATTR_REVISION, "IPSET_ATTR_REVISION")?)?,
    })
}

fn header_data(data: Attr<'_>) -> Result<SetHeader, WireError> {
    let mut h = SetHeader::default();
    for a in data.nested() {
        let a = a?;
        let slot = match a.kind {
            IPSET_ATTR_HASHSIZE => &mut h.hashsize,
            IPSET_ATTR_MAXELEM => &mut h.maxelem,
            IPSET_ATTR_TIMEOUT => &mut h.timeout,
            IPSET_ATTR_ELEMENTS => &mut h.elements,
            IPSET_ATTR_REFERENCES => &mut h.references,
            IPSET_ATTR_MEMSIZE => &mut h.memsize,
            _ => continue,
        };
        *slot = Some(a.u32_be(CTX)?);
    }
    Ok(h)
}

/// One member of a hash:net / hash:ip set; `Ok(None)` for data dfw does not read.
fn member(data: Attr<'_>) -> Result<Option<Member>, WireError> {
    let (mut addr, mut cidr, mut timeout, mut nomatch) = (None, None, None, false);
    for a in data.nested() {
        let a = a?;
        match a.kind {
            IPSET_ATTR_IP => {
                for ip in a.nested() {
                    let ip = ip?;
                    addr = Some(match (ip.kind, ip.payload.len()) {
                        (IPSET_ATTR_IPADDR_IPV4, 4) => {
                            let o: [u8; 4] = ip.payload.try_into().unwrap_or([0; 4]);
                            IpAddr::V4(Ipv4Addr::from(o))
                        }
                        (IPSET_ATTR_IPADDR_IPV6, 16) => {
                            let o: [u8; 16] = ip.payload.try_into().unwrap_or([0; 16]);
                            IpAddr::V6(Ipv6Addr::from(o))
                        }
                        _ => return Ok(None),
                    });
                }
            }
            IPSET_ATTR_CIDR => cidr = Some(u8_of(a)?),
            IPSET_ATTR_TIMEOUT => timeout = Some(a.u32_be(CTX)?),
            IPSET_ATTR_CADT_FLAGS => nomatch = a.u32_be(CTX)? & IPSET_FLAG_NOMATCH != 0,
            IPSET_ATTR_CADT_LINENO => {}
            _ => return Ok(None),
        }
    }
    let Some(addr) = addr else { return Ok(None) };
    let net = match cidr {
        Some(p) => Network::with_prefix(addr, p).map_err(|e| WireError::BadAttr {
            context: CTX,
            attr: IPSET_ATTR_CIDR,
            reason: e.to_string(),
        })?,
        None => Network::host(addr),
    };
    Ok(Some(Member {
        net,
        timeout,
        nomatch,
    }))
}

fn add_members(listing: &mut SetListing, adt: Attr<'_>) -> Result<(), WireError> {
    for data in adt.nested() {
        let data = data?;
        if data.kind != IPSET_ATTR_DATA {
            continue;
        }
        let m = if matches!(listing.typename.as_str(), "hash:net" | "hash:ip") {
            member(data)?
        } else {
            None
        };
        match (&mut listing.members, m) {
            (Members::Nets(v), Some(m)) => v.push(m),
            (Members::Unreadable(_), _) => {}
            (members, _) => {
                *members = Members::Unreadable(format!(
                    "members of a {} set are not read by dfw",
                    listing.typename
                ))
            }
        }
    }
    Ok(())
}

/// Joins the messages of a `LIST` dump into one [`SetListing`] per set, in dump order.
/// `with_members` says whether members were asked for (else every set is
/// [`Members::NotListed`]).
///
/// # Errors
/// [`WireError`] for a malformed message, a continuation before any header, or a header that
/// lacks its type, family or revision.
pub fn parse_list(messages: &[Vec<u8>], with_members: bool) -> Result<Vec<SetListing>, WireError> {
    let mut out: Vec<SetListing> = Vec::new();
    for msg in messages {
        let a = top(msg, IPSET_CMD_LIST)?;
        let name = set_name(req(&a, IPSET_ATTR_SETNAME, "IPSET_ATTR_SETNAME")?)?;
        let continues = out.last().is_some_and(|l| l.name == name);
        if !continues {
            let typename = match find(&a, IPSET_ATTR_TYPENAME) {
                Some(t) => t.string(CTX)?.to_string(),
                // `list -n`: names only.
                None => String::new(),
            };
            let family = find(&a, IPSET_ATTR_FAMILY)
                .map(family_of)
                .transpose()?
                .flatten();
            out.push(SetListing {
                name,
                typename,
                family,
                revision: find(&a, IPSET_ATTR_REVISION)
                    .map(u8_of)
                    .transpose()?
                    .unwrap_or(0),
                index: find(&a, IPSET_ATTR_INDEX)
                    .map(|i| match i.payload {
                        [hi, lo] => Ok(u16::from_be_bytes([*hi, *lo])),
                        _ => Err(WireError::BadAttr {
                            context: CTX,
                            attr: i.kind,
                            reason: "index is not 2 bytes".into(),
                        }),
                    })
                    .transpose()?,
                header: find(&a, IPSET_ATTR_DATA)
                    .map(header_data)
                    .transpose()?
                    .unwrap_or_default(),
                members: if with_members {
                    Members::Nets(Vec::new())
                } else {
                    Members::NotListed
                },
            });
        }
        if let (Some(adt), Some(l)) = (find(&a, IPSET_ATTR_ADT), out.last_mut()) {
            if with_members {
                add_members(l, adt)?;
            }
        }
    }
    Ok(out)
}

/// The line number ipset wrote into a rejected request it echoed back whole (the original
/// message of the `NLMSG_ERROR` answering a multi-entry `ADD`, see
/// [`crate::transport::KernelError::echoed`]): the command-level `IPSET_ATTR_LINENO`.
/// `None` when `echoed` carries none.
pub fn error_lineno(echoed: &[u8]) -> Option<u32> {
    let (_, body) = split_messages(echoed).next()?.ok()?;
    let attrs = body.get(NFGENMSG_LEN..)?;
    AttrIter::new(attrs)
        .filter_map(Result::ok)
        .find(|a| a.kind == IPSET_ATTR_LINENO)
        .and_then(|a| a.u32_be(CTX).ok())
}
