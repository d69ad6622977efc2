//! The exact `iptables-save` / `iptables-restore` text syntax of iptables 1.8.9 (nf_tables)
//! for the extensions of dfw's model.
//!
//! Contract: pure text, no I/O, no panic on any input. Every failure is a [`SyntaxError`]
//! naming line, column and token.

#![allow(dead_code)] // the value parsers are used by the rule parser (next commit)

mod error;
mod icmp_names;
mod lexer;
mod values;

pub use error::{ErrorKind, SyntaxError};
