//! A restore file as data: table blocks (`*filter` ... `COMMIT`) holding chain declarations
//! and commands, each with its line number; and the line-level parser that builds it.
//!
//! Contract: accepts what iptables-restore 1.8.9 accepts for dfw's extensions: several
//! tables per file, `#` comments and blank lines anywhere, `:CHAIN POLICY [p:b]`
//! declarations (`-` for user chains; counters optional), and command lines with an
//! optional `[p:b]` prefix. Never panics; the first error stops the parse.

use super::command::parse_command;
use super::error::{ErrorKind, SyntaxError};
use super::lexer::{split_counters, tokenize, Token};
use super::values;
use crate::model::{ChainName, Counters, Family, Policy, Rule, TableName};

/// A whole restore file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreScript {
    /// The family the file was parsed for (`iptables-restore` or `ip6tables-restore`).
    pub family: Family,
    /// The table blocks, in file order.
    pub tables: Vec<TableBlock>,
}

/// One `*table` ... `COMMIT` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBlock {
    /// The table.
    pub table: TableName,
    /// Line of `*table`.
    pub line: usize,
    /// Chain declarations, in order.
    pub chain_decls: Vec<ChainDecl>,
    /// Commands, in order.
    pub commands: Vec<Command>,
    /// Declarations and commands interleaved in file order (indices into the two lists).
    pub order: Vec<Item>,
}

/// A position in a [`TableBlock`]'s file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    /// `chain_decls[i]`.
    Decl(usize),
    /// `commands[i]`.
    Command(usize),
}

/// `:NAME POLICY [packets:bytes]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainDecl {
    /// Line number.
    pub line: usize,
    /// The chain.
    pub chain: ChainName,
    /// `Some` for a built-in chain, `None` for `-` (a user chain).
    pub policy: Option<Policy>,
    /// The counters, when given.
    pub counters: Option<Counters>,
}

/// One command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Line number.
    pub line: usize,
    /// Column of the chain name (or of the command when it has none).
    pub column: usize,
    /// A `[p:b]` prefix, used when counters are restored.
    pub counters: Option<Counters>,
    /// What to do.
    pub kind: CommandKind,
}

/// The commands a restore file may hold. Rule numbers are 1-based, as iptables counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandKind {
    /// `-A CHAIN rule`.
    Append {
        /// Chain.
        chain: ChainName,
        /// Rule.
        rule: Rule,
    },
    /// `-I CHAIN [n] rule` (n defaults to 1).
    Insert {
        /// Chain.
        chain: ChainName,
        /// Position the rule takes.
        index: usize,
        /// Rule.
        rule: Rule,
    },
    /// `-R CHAIN n rule`.
    Replace {
        /// Chain.
        chain: ChainName,
        /// Position of the rule replaced.
        index: usize,
        /// Rule.
        rule: Rule,
    },
    /// `-D CHAIN rule`: deletes the first equal rule.
    Delete {
        /// Chain.
        chain: ChainName,
        /// Rule.
        rule: Rule,
    },
    /// `-D CHAIN n`.
    DeleteNum {
        /// Chain.
        chain: ChainName,
        /// Position.
        index: usize,
    },
    /// `-N CHAIN`.
    NewChain {
        /// Chain.
        chain: ChainName,
    },
    /// `-X [CHAIN]`: one user chain, or every user chain.
    DeleteChain {
        /// Chain, or every user chain.
        chain: Option<ChainName>,
    },
    /// `-F [CHAIN]`.
    Flush {
        /// Chain, or every chain.
        chain: Option<ChainName>,
    },
    /// `-Z [CHAIN [n]]`.
    Zero {
        /// Chain, or every chain.
        chain: Option<ChainName>,
        /// One rule only.
        index: Option<usize>,
    },
    /// `-P CHAIN POLICY`.
    Policy {
        /// Chain.
        chain: ChainName,
        /// Policy.
        policy: Policy,
    },
}

impl RestoreScript {
    /// Parses a restore file for `family`.
    ///
    /// # Errors
    /// The first [`SyntaxError`] met.
    pub fn parse(family: Family, text: &str) -> Result<Self, SyntaxError> {
        let mut tables = Vec::new();
        let mut open: Option<TableBlock> = None;
        for (idx, raw) in text.split('\n').enumerate() {
            let line_no = idx + 1;
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            let trimmed = line.trim_start_matches([' ', '\t']);
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let err = |col: usize, tok: &str, k| SyntaxError::new(line_no, col, tok, k);
            if let Some(rest) = line.strip_prefix('*') {
                if open.is_some() {
                    return Err(err(1, line, ErrorKind::MissingCommit));
                }
                let name = rest.split([' ', '\t']).next().unwrap_or("");
                let table =
                    TableName::parse(name).ok_or_else(|| err(2, name, ErrorKind::UnknownTable))?;
                // Sized once for the block's lines: no regrowth (and recopy) of the commands.
                let lines = block_lines(text, raw);
                open = Some(TableBlock {
                    table,
                    line: line_no,
                    chain_decls: Vec::new(),
                    commands: Vec::with_capacity(lines),
                    order: Vec::with_capacity(lines),
                });
                continue;
            }
            let Some(block) = open.as_mut() else {
                return Err(err(1, first_word(trimmed), ErrorKind::OutsideTable));
            };
            if line.trim_end() == "COMMIT" {
                tables.extend(open.take());
                continue;
            }
            if let Some(rest) = line.strip_prefix(':') {
                let decl = parse_decl(rest, line_no, block.table)?;
                block.order.push(Item::Decl(block.chain_decls.len()));
                block.chain_decls.push(decl);
                continue;
            }
            let (prefix, body, col) = split_counters(line, line_no)?;
            let toks = tokenize(body, line_no, col)?;
            let cmd = parse_command(&toks, line_no, family, prefix)?;
            block.order.push(Item::Command(block.commands.len()));
            block.commands.push(cmd);
        }
        if let Some(b) = open {
            let lines = text.split('\n').count() - usize::from(text.ends_with('\n'));
            return Err(SyntaxError::new(
                lines + 1,
                1,
                &format!("*{}", b.table),
                ErrorKind::MissingCommit,
            ));
        }
        Ok(RestoreScript { family, tables })
    }
}

/// How many lines follow `line` (a slice of `text`) up to the next `COMMIT` line, at most
/// [`RESERVE_MAX`]: an upper bound on the commands of the block it opens.
fn block_lines(text: &str, line: &str) -> usize {
    let start = (line.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
    let rest = text.get(start..).unwrap_or("");
    let end = rest.find("\nCOMMIT").unwrap_or(rest.len());
    let lines = rest.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count();
    lines.min(RESERVE_MAX)
}

/// Most commands reserved ahead for one block (a file of comments must not reserve much).
const RESERVE_MAX: usize = 1 << 16;

fn first_word(line: &str) -> &str {
    line.split([' ', '\t']).next().unwrap_or(line)
}

fn parse_decl(rest: &str, line: usize, table: TableName) -> Result<ChainDecl, SyntaxError> {
    let toks: Vec<Token> = tokenize(rest, line, 2)?;
    let missing = |k| SyntaxError::new(line, 1, &format!(":{rest}"), k);
    let name = toks
        .first()
        .ok_or_else(|| missing(ErrorKind::MissingChain))?;
    let chain =
        values::chain(&name.text).map_err(|k| SyntaxError::new(line, name.col, &name.text, k))?;
    let pol = toks
        .get(1)
        .ok_or_else(|| missing(ErrorKind::MissingArgument("a policy (ACCEPT, DROP or -)")))?;
    let builtin = table.builtin(chain.as_str()).is_some();
    let policy = match (builtin, pol.text.as_str()) {
        (false, "-") => None,
        (true, p) if Policy::parse(p).is_some() => Policy::parse(p),
        (b, _) => {
            let want = if b {
                "ACCEPT or DROP for a built-in chain"
            } else {
                "- for a user chain"
            };
            return Err(SyntaxError::new(
                line,
                pol.col,
                &pol.text,
                ErrorKind::BadValue(want.into()),
            ));
        }
    };
    let counters = match toks.get(2) {
        None => None,
        Some(t) => {
            let (c, rest, _) =
                split_counters(&t.text, line).map_err(|e| SyntaxError { column: t.col, ..e })?;
            if c.is_none() || !rest.is_empty() {
                return Err(SyntaxError::new(
                    line,
                    t.col,
                    &t.text,
                    ErrorKind::BadValue("counters [packets:bytes]".into()),
                ));
            }
            c
        }
    };
    if let Some(extra) = toks.get(3) {
        return Err(SyntaxError::new(
            line,
            extra.col,
            &extra.text,
            ErrorKind::Unexpected,
        ));
    }
    Ok(ChainDecl {
        line,
        chain,
        policy,
        counters,
    })
}
