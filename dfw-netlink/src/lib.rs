//! dfw-netlink: the nf_tables codec (model <-> nfnetlink bytes, pure) and the transport
//! (the only code in dfw that opens a socket).
//!
//! Layers, bottom up:
//! - [`wire`]: netlink framing, attributes and nf_tables constants (pure, no I/O).
//! - [`expr`]: nf_tables expressions as values, the contract between the rule codec and the wire.
//! - [`xt`]: xt extension info structs (pure encode/decode).
//! - [`rule_codec`]: model rules <-> expressions + compat attribute, in iptables-nft's form.
//! - [`nft`]: nf_tables objects, requests, replies and batches on the wire (pure, no I/O).
//! - [`transport`]: the netlink socket, batches, replies and network namespaces (the only I/O).
//! - [`route`]: rtnetlink look-ups (default-route interfaces).
//! - [`firewall`]: the kernel-facing API: read iptables tables, chains and rules; plan and
//!   apply changes in one atomic batch; `iptables-restore` / `iptables-save` semantics.
//! - [`dfw`]: the Docker-host policy against the kernel (`Firewall::plan_policy`,
//!   `Firewall::commit`).
//! - [`sim`]: test and demo infrastructure, not the firewall: a simulated Docker host in
//!   throwaway network namespaces, built over rtnetlink, with servers and probes.
#![warn(missing_docs)]

pub mod dfw;
pub mod expr;
pub mod firewall;
pub mod nft;
pub mod route;
pub mod rule_codec;
pub mod sim;
pub mod transport;
pub mod wire;
pub mod xt;
