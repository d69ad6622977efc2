//! The exact `iptables-save` / `iptables-restore` text syntax of iptables 1.8.9 (nf_tables)
//! for the extensions of dfw's model.
//!
//! Contract: pure text, no I/O, no panic on any input. [`RestoreScript::parse`] reads
//! everything iptables-restore accepts for these extensions (non-canonical spellings,
//! abbreviated long options and implicit protocol matches included) into commands with line
//! numbers; [`RestoreScript::apply`] runs them on a [`Ruleset`](crate::model::Ruleset) with
//! iptables-restore's semantics; [`print_ruleset`] prints a ruleset exactly as iptables-save
//! does, so printing a parsed canonical file gives the file back byte for byte. Every
//! failure is a [`SyntaxError`] naming line, column and token.
//!
//! Where the model stores a rule as the kernel holds it rather than as it was written,
//! parsing normalises as iptables-nft does: `/0` addresses and full port ranges vanish, the
//! natively encoded tcp/udp matches of a rule merge into one, ICMP type 255 is `any`.
//!
//! Known limits (each refused with [`ErrorKind::Unsupported`] or documented here):
//! - no name resolution: numeric addresses only, a small table of service names;
//! - `-s a,b` (one rule per address), `-E`, `-C`, `-L`, `-S`, `-t`, `-f`, `-4`, `-6`,
//!   `-w`, `-v` and ICMP code ranges are not supported;
//! - conntrack addresses and mark values are stored masked, so `--ctorigsrc 10.1.2.3/8`
//!   prints as `10.0.0.0/8` (iptables prints the unmasked address), and dotted masks are
//!   refused after `--ctorigsrc` and friends (iptables 1.8.9 mis-reads them);
//! - two native tcp/udp matches setting the same option stay apart (the kernel holds both;
//!   iptables-save shows only the last one);
//! - a comment or log prefix holding a newline prints as iptables prints it, which no
//!   restore file can hold;
//! - `-m owner` takes numeric ids only (no user or group names), `-m sctp --chunk-types`,
//!   `-m rt --rt-0-addrs`, `-j NFLOG --nflog-range` and an NFLOG prefix over 63 bytes (only
//!   1.8.8+'s native form holds it) are refused; `--limit-burst 0` reads as 5, as the kernel
//!   stores it.

mod apply;
mod command;
mod error;
mod ext;
mod ext_ct;
mod ext_extra;
mod ext_hashlimit;
mod ext_l4;
mod ext_misc;
mod ext_pkt;
mod ext_rate;
mod ext_target;
mod ext_target_extra;
mod icmp_names;
mod lexer;
mod options;
mod print;
mod print_ext;
mod rule_parser;
mod rule_spec;
mod script;
mod values;

pub use apply::{parse_ruleset, ApplyOptions};
pub use error::{ErrorKind, SyntaxError};
pub use print::{print_rule, print_ruleset, print_table, PrintOptions};
pub use rule_spec::{rule_spec, save_string};
pub use script::{ChainDecl, Command, CommandKind, Item, RestoreScript, TableBlock};

use crate::model::{Family, Rule};

/// Parses one rule from its `iptables-save` spec (what follows `-A CHAIN`), for `family`.
///
/// # Errors
/// A [`SyntaxError`] on line 1, columns counted within `spec`.
pub fn parse_rule(family: Family, spec: &str) -> Result<Rule, SyntaxError> {
    let toks = lexer::tokenize(spec, 1, 1)?;
    let mut all = vec![
        lexer::Token {
            text: "-A".into(),
            col: 0,
            quoted: false,
        },
        lexer::Token {
            text: "X".into(),
            col: 0,
            quoted: false,
        },
    ];
    all.extend(toks);
    match command::parse_command(&all, 1, family, None)?.kind {
        CommandKind::Append { rule, .. } => Ok(rule),
        _ => Err(SyntaxError::new(1, 1, spec, ErrorKind::NoCommand)),
    }
}
