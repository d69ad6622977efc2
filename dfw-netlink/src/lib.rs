//! dfw-netlink: the nf_tables codec (model <-> nfnetlink bytes, pure) and the transport
//! (the only code in dfw that opens a socket).
//!
//! Layers, bottom up:
//! - [`wire`]: netlink framing, attributes and nf_tables constants (pure, no I/O).
//! - [`expr`]: nf_tables expressions as values, the contract between the rule codec and the wire.
//! - [`transport`]: the netlink socket, batches, replies and network namespaces (the only I/O).
//! - [`route`]: rtnetlink look-ups (default-route interfaces).
//! - [`sim`]: test and demo infrastructure, not the firewall: a simulated Docker host in
//!   throwaway network namespaces, built over rtnetlink, with servers and probes.
#![warn(missing_docs)]

pub mod expr;
pub mod route;
pub mod sim;
pub mod transport;
pub mod wire;
