//! ipset, the kernel's address sets (`NFNL_SUBSYS_IPSET`), as a pure codec plus a thin client
//! over the existing netlink [`crate::transport::Transport`]: what `-m set` rules match.
//!
//! Contract:
//! - [`request`] builds every request byte for byte as the `ipset` tool 7.17 does (golden
//!   tests against its captured bytes: `tests/ipset_golden.rs`); [`reply`] parses `PROTOCOL`,
//!   `TYPE`, `HEADER` and `LIST` answers and never panics on any input.
//! - [`IpsetClient`] sends one request per command through [`Transport::dump`]
//!   (ACK, single reply or dump) and turns every failure into an [`IpsetError`] naming the
//!   command, the set and the entry. It is the only ipset code that talks to the kernel.
//! - ipset and nf_tables share no transaction: ordering the two (sets created and filled before
//!   the rules that use them, removed after) is the job of the set engine above
//!   ([`crate::sets`]).
//!
//! [`Transport::dump`]: crate::transport::Transport::dump

mod client;
mod error;
pub mod reply;
pub mod request;
mod types;

pub use client::IpsetClient;
pub use error::{ipset_errno_text, IpsetError, IpsetOp};
pub use reply::{HeaderReply, ProtocolReply, TypeReply};
pub use request::ListMode;
pub use types::{CreateSpec, Entry, Member, Members, SetHeader, SetListing, HASH_NET};
