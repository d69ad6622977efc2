//! Errors of the iptables-save / iptables-restore syntax, each pointing at a line, a column
//! and the offending token.
//!
//! Contract: every failure of the parser or of applying a script is a [`SyntaxError`]; its
//! `Display` reads `line 12, column 30: "--dport" 70000: expected a port 0-65535`.

use std::fmt;

use crate::model::{Family, ModelError};

/// What went wrong, without the position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// An option no loaded extension knows.
    #[error("unknown option")]
    UnknownOption,
    /// An option or command needs an argument that is missing.
    #[error("missing argument: expected {0}")]
    MissingArgument(&'static str),
    /// A value of the wrong shape.
    #[error("expected {0}")]
    BadValue(String),
    /// An address, prefix or mask iptables would refuse.
    #[error("bad address: {0}")]
    BadAddress(String),
    /// An address of the other family.
    #[error("address is not {0}")]
    WrongFamily(Family),
    /// A port that is not a number 0-65535 (or a known service name).
    #[error("expected a port 0-65535")]
    BadPort,
    /// A range whose start is above its end.
    #[error("range is reversed (start above end)")]
    ReversedRange,
    /// `-m NAME` with an extension dfw does not know.
    #[error("unknown match")]
    UnknownMatch,
    /// `-j NAME` with a target dfw does not know.
    #[error("unknown target")]
    UnknownTarget,
    /// `*NAME` with a table that does not exist.
    #[error("unknown table")]
    UnknownTable,
    /// A chain that does not exist in the table.
    #[error("no chain by that name in table {0}")]
    UnknownChain(String),
    /// An invalid chain name.
    #[error("invalid chain name: {0}")]
    ChainName(&'static str),
    /// An invalid interface name.
    #[error("invalid interface name: {0}")]
    Iface(&'static str),
    /// An abbreviated option that names several options.
    #[error("ambiguous option (could be {0})")]
    Ambiguous(String),
    /// An option given twice where iptables allows it once.
    #[error("option used twice")]
    Duplicate,
    /// `!` where it is not allowed.
    #[error("cannot be inverted with '!'")]
    BadInvert,
    /// The input ended (or a new table began) before `COMMIT`.
    #[error("COMMIT expected")]
    MissingCommit,
    /// A command, chain or COMMIT line outside `*table` ... `COMMIT`.
    #[error("line outside a table (expected *table)")]
    OutsideTable,
    /// A rule line without a command (`-A`, `-I`, ...).
    #[error("no command (-A, -I, -D, -R, -N, -X, -F, -Z, -P) given")]
    NoCommand,
    /// Two commands on one line.
    #[error("only one command per line")]
    TwoCommands,
    /// A command without its chain.
    #[error("missing chain name")]
    MissingChain,
    /// A rule option with a command that takes no rule.
    #[error("option not allowed with this command")]
    NotAllowed,
    /// An option the chain cannot have (`-o` in INPUT, `-i` in OUTPUT).
    #[error("not allowed in this chain: {0}")]
    WrongChain(&'static str),
    /// A token that does not belong where it is.
    #[error("unexpected argument")]
    Unexpected,
    /// Something iptables accepts that dfw's model cannot hold.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// A token longer than iptables-restore's 1023-byte buffer.
    #[error("parameter too long (more than 1023 bytes)")]
    TooLong,
    /// An option an extension requires is missing.
    #[error("missing required option {0}")]
    MissingOption(&'static str),
    /// A rule number past the end of the chain, or a rule spec that matches nothing.
    #[error("no such rule: {0}")]
    NoSuchRule(String),
    /// The model refused the value or the change.
    #[error("{0}")]
    Model(ModelError),
}

/// A parse or apply failure: position, offending token and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SyntaxError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in characters) where the token starts.
    pub column: usize,
    /// The option the token belongs to (`--dport`), if any.
    pub option: Option<String>,
    /// The offending token, as written (after unquoting).
    pub token: String,
    /// What went wrong.
    pub kind: ErrorKind,
}

impl SyntaxError {
    /// An error at a position.
    pub fn new(line: usize, column: usize, token: &str, kind: ErrorKind) -> Self {
        SyntaxError {
            line,
            column,
            option: None,
            token: shorten(token),
            kind,
        }
    }

    /// The same error, naming the option the token was the argument of.
    pub fn with_option(mut self, option: &str) -> Self {
        self.option = Some(option.to_string());
        self
    }
}

/// Keeps error messages short on huge tokens.
fn shorten(token: &str) -> String {
    const MAX: usize = 80;
    match token.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &token[..i]),
        None => token.to_string(),
    }
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.line, self.column)?;
        match &self.option {
            Some(opt) => write!(f, "{opt:?} {}: {}", self.token, self.kind),
            None => write!(f, "{:?}: {}", self.token, self.kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_line_column_option_and_token() {
        let e = SyntaxError::new(12, 30, "70000", ErrorKind::BadPort).with_option("--dport");
        assert_eq!(
            e.to_string(),
            "line 12, column 30: \"--dport\" 70000: expected a port 0-65535"
        );
        let e = SyntaxError::new(3, 1, "-Q", ErrorKind::UnknownOption);
        assert_eq!(e.to_string(), "line 3, column 1: \"-Q\": unknown option");
    }
}
