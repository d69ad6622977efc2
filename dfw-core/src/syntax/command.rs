//! One command line of a restore file (`-A INPUT -p tcp --dport 22 -j ACCEPT`) into a
//! [`Command`], with getopt's rules: long options (`--append`, `--dport=22`), attached short
//! arguments (`-ptcp`), `!` before an option, and command arguments right after the command.
//!
//! Contract: no I/O, no panic on any token list; errors point at the offending token.

use std::borrow::Cow;

use super::error::{ErrorKind, SyntaxError};
use super::lexer::Token;
use super::options::{resolve_long, Resolved, SHORT};
use super::rule_parser::RuleState;
use super::script::{Command, CommandKind};
use super::values;
use crate::model::{ChainName, Counters, Family, Policy};

const COMMANDS: &str = "AIDRNXFZPECLS";
const HEADER: &str = "sdiopmjgc";
/// [`SHORT`], [`COMMANDS`] and [`HEADER`] as sets, tested per option in a few instructions.
const SHORT_SET: u128 = ascii_set(SHORT);
const COMMAND_SET: u128 = ascii_set(COMMANDS);
const HEADER_SET: u128 = ascii_set(HEADER);

/// The set of the ASCII characters of `chars` (one bit each).
const fn ascii_set(chars: &str) -> u128 {
    let b = chars.as_bytes();
    let mut set = 0u128;
    let mut i = 0;
    while i < b.len() {
        set |= 1 << (b[i] & 0x7f);
        i += 1;
    }
    set
}

/// True when `c` is in `set` (made by [`ascii_set`]).
fn in_set(set: u128, c: char) -> bool {
    (c as u32) < 128 && set >> (c as u32) & 1 == 1
}

/// Parses the tokens of one command line. `prefix` holds `[p:b]` counters given before it.
///
/// # Errors
/// A [`SyntaxError`] naming the token at fault.
pub fn parse_command(
    toks: &[Token],
    line: usize,
    family: Family,
    prefix: Option<Counters>,
) -> Result<Command, SyntaxError> {
    let err = |t: &Token, k| SyntaxError::new(line, t.col, &t.text, k);
    let mut rule = RuleState::new(family, line);
    let mut cmd: Option<(char, Token, Vec<Token>)> = None;
    let mut invert: Option<&Token> = None;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        i += 1;
        if t.text == "!" {
            if invert.is_some() {
                return Err(err(t, ErrorKind::BadInvert));
            }
            invert = Some(t);
            continue;
        }
        let (name, inline) = split_option(t).ok_or_else(|| err(t, ErrorKind::Unexpected))?;
        let inverted = invert.take().is_some();
        let resolved = match name {
            OptName::Short(c) if in_set(SHORT_SET, c) => Resolved::Base(c),
            OptName::Short(_) => return Err(err(t, ErrorKind::UnknownOption)),
            OptName::Long(n) => resolve_long(n, &mut rule, t).map_err(|k| err(t, k))?,
        };
        match resolved {
            Resolved::Base(c) if in_set(COMMAND_SET, c) => {
                if inverted {
                    return Err(err(t, ErrorKind::BadInvert));
                }
                if cmd.is_some() {
                    return Err(err(t, ErrorKind::TwoCommands));
                }
                if "ECLS".contains(c) {
                    let what = "this command in a restore file";
                    return Err(err(t, ErrorKind::Unsupported(what)));
                }
                let args = command_args(c, t, inline, toks, &mut i, line)?;
                cmd = Some((c, t.clone(), args));
            }
            Resolved::Base(c) if in_set(HEADER_SET, c) => {
                let n = if c == 'c' { 2 } else { 1 };
                let args = take_args(toks, &mut i, t, inline, n, line)?;
                rule.header_opt(c, t, &args, inverted)?;
            }
            Resolved::Base('t') => {
                return Err(err(t, ErrorKind::Unsupported("-t inside a restore file")))
            }
            Resolved::Base('f') => return Err(err(t, ErrorKind::Unsupported("-f (fragments)"))),
            Resolved::Base(_) => {
                let what = "this option in a restore file";
                return Err(err(t, ErrorKind::Unsupported(what)));
            }
            Resolved::Ext(owner, spec) => {
                let args = take_args(toks, &mut i, t, inline, spec.nargs as usize, line)?;
                rule.ext_opt((owner, spec), t, &args, inverted)?;
            }
        }
    }
    if let Some(t) = invert {
        return Err(err(t, ErrorKind::BadInvert));
    }
    let Some((c, ctok, args)) = cmd else {
        let t = toks.first().cloned().unwrap_or(Token {
            text: String::new(),
            col: 1,
            quoted: false,
        });
        return Err(err(&t, ErrorKind::NoCommand));
    };
    build(c, &ctok, args, rule, line, prefix)
}

/// The arguments a command reads right after it, as getopt and iptables' `xs_has_arg` take
/// them: the chain (required for `-A -I -D -R -N -P`, optional for `-X -F -Z`), then one
/// more non-option token (rule number or policy) when the command takes one.
fn command_args(
    c: char,
    ctok: &Token,
    inline: Option<Token>,
    toks: &[Token],
    i: &mut usize,
    line: usize,
) -> Result<Vec<Token>, SyntaxError> {
    let required = "AIDRNP".contains(c);
    let mut args: Vec<Token> = inline.into_iter().collect();
    if args.is_empty() {
        match toks.get(*i) {
            Some(n) if required || is_arg(n) => {
                args.push(n.clone());
                *i += 1;
            }
            None if required => {
                return Err(SyntaxError::new(
                    line,
                    ctok.col,
                    &ctok.text,
                    ErrorKind::MissingChain,
                ))
            }
            _ => {}
        }
    }
    if !args.is_empty() && "IDRPZ".contains(c) {
        if let Some(n) = toks.get(*i).filter(|n| is_arg(n)) {
            args.push(n.clone());
            *i += 1;
        }
    }
    Ok(args)
}

/// True for a token getopt would not take as an option (`xs_has_arg`).
fn is_arg(t: &Token) -> bool {
    !t.text.starts_with('-') && !t.text.starts_with('!')
}

/// An option as written: `-x` or `--name`.
enum OptName<'t> {
    Short(char),
    Long(&'t str),
}

/// Splits an option token into its name and an attached argument (`--name=value`, or
/// `-AINPUT` for commands, the only short options iptables 1.8.9 takes attached).
fn split_option(t: &Token) -> Option<(OptName<'_>, Option<Token>)> {
    let inline = |text: &str, skip: usize| Token {
        text: text.to_string(),
        col: t.col + skip,
        quoted: t.quoted,
    };
    if let Some(long) = t.text.strip_prefix("--") {
        return Some(match long.split_once('=') {
            Some((n, v)) => (OptName::Long(n), Some(inline(v, n.chars().count() + 3))),
            None => (OptName::Long(long), None),
        });
    }
    let mut chars = t.text.strip_prefix('-')?.chars();
    let c = chars.next()?;
    let rest = chars.as_str();
    if rest.is_empty() {
        return Some((OptName::Short(c), None));
    }
    if !"AIDRNPXFZ".contains(c) {
        return Some((OptName::Short('?'), None));
    }
    Some((OptName::Short(c), Some(inline(rest, 2))))
}

fn take_args<'t>(
    toks: &'t [Token],
    i: &mut usize,
    opt: &Token,
    inline: Option<Token>,
    n: usize,
    line: usize,
) -> Result<Cow<'t, [Token]>, SyntaxError> {
    let missing = || {
        SyntaxError::new(
            line,
            opt.col,
            &opt.text,
            ErrorKind::MissingArgument(if n == 2 {
                "two arguments"
            } else {
                "an argument"
            }),
        )
    };
    let Some(inline) = inline else {
        // The arguments are the next tokens as they stand: borrowed, not copied.
        let start = *i;
        while *i - start < n {
            toks.get(*i)
                .filter(|t| *i == start || is_arg(t))
                .ok_or_else(missing)?;
            *i += 1;
        }
        return Ok(Cow::Borrowed(&toks[start..*i]));
    };
    if n == 0 {
        return Err(SyntaxError::new(
            line,
            opt.col,
            &opt.text,
            ErrorKind::Unexpected,
        ));
    }
    let mut args = vec![inline];
    while args.len() < n {
        let next = toks.get(*i).filter(|t| is_arg(t)).ok_or_else(missing)?;
        args.push(next.clone());
        *i += 1;
    }
    Ok(Cow::Owned(args))
}

fn build(
    c: char,
    ctok: &Token,
    args: Vec<Token>,
    rule: RuleState,
    line: usize,
    prefix: Option<Counters>,
) -> Result<Command, SyntaxError> {
    let err = |t: &Token, k| SyntaxError::new(line, t.col, &t.text, k);
    let chain = |t: &Token| values::chain(&t.text).map_err(|k| err(t, k));
    let num = |t: &Token| {
        t.text
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| err(t, ErrorKind::BadValue("a rule number 1 or more".into())))
    };
    let opt_chain = |a: Option<&Token>| a.map(chain).transpose();
    let column = args.first().map_or(ctok.col, |a| a.col);
    let takes_rule = matches!(c, 'A' | 'I' | 'R') || (c == 'D' && args.len() == 1);
    if !takes_rule {
        if let Some((col, text)) = &rule.first {
            return Err(SyntaxError::new(line, *col, text, ErrorKind::NotAllowed));
        }
    }
    let name: Option<ChainName> = opt_chain(args.first())?;
    let kind = match c {
        'A' | 'I' | 'R' | 'D' if takes_rule => {
            let chain = name.ok_or_else(|| err(ctok, ErrorKind::MissingChain))?;
            let index = match (c, args.get(1)) {
                (_, Some(n)) => Some(num(n)?),
                ('R', None) => return Err(err(ctok, ErrorKind::MissingArgument("a rule number"))),
                _ => None,
            };
            let rule = rule.finish(ctok.col)?;
            check_iface_direction(&chain, &rule, line, column)?;
            match c {
                'A' => CommandKind::Append { chain, rule },
                'I' => CommandKind::Insert {
                    chain,
                    index: index.unwrap_or(1),
                    rule,
                },
                'R' => CommandKind::Replace {
                    chain,
                    index: index.unwrap_or(1),
                    rule,
                },
                _ => CommandKind::Delete { chain, rule },
            }
        }
        'D' => CommandKind::DeleteNum {
            chain: name.ok_or_else(|| err(ctok, ErrorKind::MissingChain))?,
            index: num(args.last().unwrap_or(ctok))?,
        },
        'N' => CommandKind::NewChain {
            chain: name.ok_or_else(|| err(ctok, ErrorKind::MissingChain))?,
        },
        'X' => CommandKind::DeleteChain { chain: name },
        'F' => CommandKind::Flush { chain: name },
        'Z' => CommandKind::Zero {
            chain: name,
            index: args.get(1).map(num).transpose()?,
        },
        _ => {
            let chain = name.ok_or_else(|| err(ctok, ErrorKind::MissingChain))?;
            let p = args
                .get(1)
                .ok_or_else(|| err(ctok, ErrorKind::MissingArgument("a policy ACCEPT or DROP")))?;
            let policy = Policy::parse(&p.text)
                .ok_or_else(|| err(p, ErrorKind::BadValue("a policy ACCEPT or DROP".into())))?;
            CommandKind::Policy { chain, policy }
        }
    };
    Ok(Command {
        line,
        column,
        counters: prefix,
        kind,
    })
}

/// iptables refuses `-o` in INPUT/PREROUTING and `-i` in OUTPUT/POSTROUTING.
fn check_iface_direction(
    chain: &ChainName,
    rule: &crate::model::Rule,
    line: usize,
    column: usize,
) -> Result<(), SyntaxError> {
    let c = chain.as_str();
    let why = match c {
        "INPUT" | "PREROUTING" if rule.header.out_iface.is_some() => {
            "-o (packets here have no output interface yet)"
        }
        "OUTPUT" | "POSTROUTING" if rule.header.in_iface.is_some() => {
            "-i (locally generated packets have no input interface)"
        }
        _ => return Ok(()),
    };
    Err(SyntaxError::new(
        line,
        column,
        c,
        ErrorKind::WrongChain(why),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn option_sets_hold_exactly_their_letters() {
        for c in (0..0x3000).filter_map(char::from_u32) {
            assert_eq!(in_set(SHORT_SET, c), SHORT.contains(c), "{c:?}");
            assert_eq!(in_set(COMMAND_SET, c), COMMANDS.contains(c), "{c:?}");
            assert_eq!(in_set(HEADER_SET, c), HEADER.contains(c), "{c:?}");
        }
    }
}
