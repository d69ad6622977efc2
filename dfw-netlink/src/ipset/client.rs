//! [`IpsetClient`]: ipset commands over the existing netlink [`Transport`]. Each command is one
//! request answered by an ACK, one reply, or a dump (`Transport::dump` carries all three); no
//! socket code of its own.
//!
//! Contract: every failure is an [`IpsetError`] naming the command, the set and, when one entry
//! is to blame, the entry (for a multi-entry `ADD`, from the line number the kernel writes into
//! the request it echoes back). [`IpsetClient::add_all`] sends at most
//! [`request::ENTRIES_PER_MESSAGE`] entries per message; it is not atomic: on failure the
//! entries before the failing one are in the set (callers fill sets no rule uses yet).

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Network};

use super::error::{IpsetError, IpsetOp};
use super::reply::{self, HeaderReply, ProtocolReply};
use super::request::{self, ListMode};
use super::types::{CreateSpec, Entry, SetListing, HASH_NET};
use crate::transport::{Transport, TransportError};
use crate::wire::consts::{IPSET_PROTOCOL, IPSET_PROTOCOL_MIN};

/// ipset over a [`Transport`].
#[derive(Debug)]
pub struct IpsetClient<'t, T: ?Sized> {
    t: &'t mut T,
}

fn rejected(
    op: IpsetOp,
    set: Option<&SetName>,
    entry: Option<Network>,
) -> impl FnOnce(TransportError) -> IpsetError {
    let set = set.cloned();
    move |source| match source.kernel_error() {
        Some(k) => IpsetError::Rejected {
            op,
            set,
            entry,
            code: k.errno,
        },
        None => IpsetError::Transport { op, set, source },
    }
}

impl<'t, T: Transport + ?Sized> IpsetClient<'t, T> {
    /// ipset over `transport`.
    pub fn new(transport: &'t mut T) -> Self {
        IpsetClient { t: transport }
    }

    /// The transport.
    pub fn transport(&mut self) -> &mut T {
        self.t
    }

    fn send(
        &mut self,
        op: IpsetOp,
        set: Option<&SetName>,
        entry: Option<Network>,
        msg: &[u8],
    ) -> Result<Vec<Vec<u8>>, IpsetError> {
        self.t.dump(msg).map_err(rejected(op, set, entry))
    }

    fn one_reply(
        &mut self,
        op: IpsetOp,
        set: Option<&SetName>,
        msg: &[u8],
    ) -> Result<Vec<u8>, IpsetError> {
        let mut replies = self.send(op, set, None, msg)?;
        if replies.is_empty() {
            return Err(IpsetError::Malformed {
                op,
                set: set.cloned(),
                source: crate::wire::WireError::Missing {
                    context: "ipset reply",
                    attr: "the reply message",
                },
            });
        }
        Ok(replies.swap_remove(0))
    }

    /// The kernel's protocol version; [`IpsetError::Unsupported`] when it has no ipset.
    ///
    /// # Errors
    /// [`IpsetError::Unsupported`], [`IpsetError::Protocol`] for a version dfw does not speak,
    /// or any other failure.
    pub fn protocol(&mut self) -> Result<ProtocolReply, IpsetError> {
        let op = IpsetOp::Protocol;
        let msg = match self.t.dump(&request::protocol()) {
            Ok(mut r) if !r.is_empty() => r.swap_remove(0),
            Ok(_) => return Err(IpsetError::Unsupported { code: libc::ENOENT }),
            Err(e) => match e.kernel_error().map(|k| k.errno) {
                Some(
                    code @ (libc::EINVAL
                    | libc::ENOENT
                    | libc::EOPNOTSUPP
                    | libc::EPROTONOSUPPORT
                    | libc::EAFNOSUPPORT),
                ) => return Err(IpsetError::Unsupported { code }),
                _ => return Err(rejected(op, None, None)(e)),
            },
        };
        let p = reply::parse_protocol(&msg).map_err(|source| IpsetError::Malformed {
            op,
            set: None,
            source,
        })?;
        if p.protocol < IPSET_PROTOCOL_MIN || p.min.is_some_and(|m| m > IPSET_PROTOCOL) {
            return Err(IpsetError::Protocol { kernel: p.protocol });
        }
        Ok(p)
    }

    /// The newest `hash:net` revision the kernel has for `family`.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] (`IPSET_ERR_FIND_TYPE` when it has no hash:net).
    pub fn hash_net_revision(&mut self, family: Family) -> Result<u8, IpsetError> {
        let op = IpsetOp::Type;
        let msg = self.one_reply(op, None, &request::type_query(HASH_NET, family))?;
        let t = reply::parse_type(&msg).map_err(|source| IpsetError::Malformed {
            op,
            set: None,
            source,
        })?;
        Ok(t.revision)
    }

    /// Creates a `hash:net` set.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] (`IPSET_ERR_EXIST` when the name is taken).
    pub fn create(&mut self, spec: &CreateSpec) -> Result<(), IpsetError> {
        self.send(
            IpsetOp::Create,
            Some(&spec.name),
            None,
            &request::create(spec),
        )
        .map(drop)
    }

    /// Destroys a set.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] (`IPSET_ERR_BUSY` while a rule refers to it, `ENOENT`).
    pub fn destroy(&mut self, name: &SetName) -> Result<(), IpsetError> {
        self.send(IpsetOp::Destroy, Some(name), None, &request::destroy(name))
            .map(drop)
    }

    /// Removes every entry of a set.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`].
    pub fn flush(&mut self, name: &SetName) -> Result<(), IpsetError> {
        self.send(IpsetOp::Flush, Some(name), None, &request::flush(name))
            .map(drop)
    }

    /// Swaps two sets' contents (atomically for the packets matched against them).
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] (`IPSET_ERR_TYPE_MISMATCH`, `ENOENT`).
    pub fn swap(&mut self, a: &SetName, b: &SetName) -> Result<(), IpsetError> {
        self.send(IpsetOp::Swap, Some(a), None, &request::swap(a, b))
            .map(drop)
    }

    /// A set's type, family and revision; `None` when there is no such set.
    ///
    /// # Errors
    /// Any failure but `ENOENT`.
    pub fn header(&mut self, name: &SetName) -> Result<Option<HeaderReply>, IpsetError> {
        let op = IpsetOp::Header;
        let msg = match self.one_reply(op, Some(name), &request::header(name)) {
            Ok(m) => m,
            Err(IpsetError::Rejected {
                code: libc::ENOENT, ..
            }) => return Ok(None),
            Err(e) => return Err(e),
        };
        reply::parse_header(&msg)
            .map(Some)
            .map_err(|source| IpsetError::Malformed {
                op,
                set: Some(name.clone()),
                source,
            })
    }

    /// Lists one set (`ENOENT` when absent) or every set.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] or a malformed dump.
    pub fn list(
        &mut self,
        name: Option<&SetName>,
        mode: ListMode,
    ) -> Result<Vec<SetListing>, IpsetError> {
        let op = IpsetOp::List;
        let msgs = self.send(op, name, None, &request::list(name, mode))?;
        reply::parse_list(&msgs, mode == ListMode::Full).map_err(|source| IpsetError::Malformed {
            op,
            set: name.cloned(),
            source,
        })
    }

    /// Adds one entry; with `exist`, an entry already present gets the new timeout instead of
    /// an error.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] naming the entry.
    pub fn add(&mut self, name: &SetName, entry: &Entry, exist: bool) -> Result<(), IpsetError> {
        self.send(
            IpsetOp::Add,
            Some(name),
            Some(entry.net),
            &request::add(name, entry, exist),
        )
        .map(drop)
    }

    /// Deletes one entry; with `exist`, an absent entry is not an error.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] naming the entry.
    pub fn del(&mut self, name: &SetName, net: &Network, exist: bool) -> Result<(), IpsetError> {
        self.send(
            IpsetOp::Del,
            Some(name),
            Some(*net),
            &request::del(name, net, exist),
        )
        .map(drop)
    }

    /// True when `net` is in the set (for a host address: in one of its networks).
    ///
    /// # Errors
    /// Any failure but the "not in the set" answer.
    pub fn test(&mut self, name: &SetName, net: &Network) -> Result<bool, IpsetError> {
        match self.send(
            IpsetOp::Test,
            Some(name),
            Some(*net),
            &request::test(name, net),
        ) {
            Ok(_) => Ok(true),
            Err(IpsetError::Rejected {
                code: crate::wire::consts::IPSET_ERR_EXIST,
                ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Adds every entry, [`request::ENTRIES_PER_MESSAGE`] per message.
    ///
    /// # Errors
    /// [`IpsetError::Rejected`] naming the entry the kernel refused.
    pub fn add_all(
        &mut self,
        name: &SetName,
        entries: &[Entry],
        exist: bool,
    ) -> Result<(), IpsetError> {
        for (chunk_no, chunk) in entries.chunks(request::ENTRIES_PER_MESSAGE).enumerate() {
            let first = 1 + (chunk_no * request::ENTRIES_PER_MESSAGE) as u32;
            let msg = request::add_many(name, chunk, first, exist);
            if let Err(e) = self.t.dump(&msg) {
                let entry = e
                    .kernel_error()
                    .and_then(|k| k.echoed.as_deref())
                    .and_then(reply::error_lineno)
                    .and_then(|line| line.checked_sub(1))
                    .and_then(|i| entries.get(i as usize))
                    .map(|e| e.net);
                return Err(rejected(IpsetOp::Add, Some(name), entry)(e));
            }
        }
        Ok(())
    }
}
