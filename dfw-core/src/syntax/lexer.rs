//! Splits one restore line into tokens exactly as iptables-restore does
//! (`add_param_to_argv` in iptables' `xshared.c`), keeping each token's column.
//!
//! Contract: outside double quotes, spaces and tabs separate tokens and a backslash is an
//! ordinary character. `"` opens a quote; inside it `\x` stands for `x` and the closing `"`
//! ends the token at once (so `""` is an empty token and `"a"b` is two tokens). An
//! unterminated quote runs to the end of the line. Tokens are limited to 1023 bytes.

use super::error::{ErrorKind, SyntaxError};
use crate::model::Counters;

/// Longest token iptables-restore accepts (its parameter buffer is 1024 bytes).
pub const MAX_TOKEN_LEN: usize = 1023;

/// Most tokens on one line (iptables' `MAX_ARGC` less the arguments it adds itself).
pub const MAX_TOKENS: usize = 250;

/// One token of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The text, unquoted and unescaped.
    pub text: String,
    /// 1-based column (in characters) of its first character (or opening quote).
    pub col: usize,
    /// True when any part of it was quoted.
    pub quoted: bool,
}

/// Splits `line` (without its newline) into tokens; `col0` is the column of its first char.
///
/// # Errors
/// [`ErrorKind::TooLong`] for a token over 1023 bytes or a line with too many tokens.
pub fn tokenize(line: &str, line_no: usize, col0: usize) -> Result<Vec<Token>, SyntaxError> {
    if !line.contains('"') {
        if let Some(out) = unquoted(line, col0) {
            return Ok(out);
        }
    }
    quoting(line, line_no, col0)
}

/// The common case, a line without quotes: tokens are the runs of characters between spaces
/// and tabs, each copied once. `None` when a limit is hit, so that [`quoting`] reports it
/// exactly as it always has.
fn unquoted(line: &str, col0: usize) -> Option<Vec<Token>> {
    let bytes = line.as_bytes();
    let ascii = line.is_ascii();
    let sep = |b: u8| b == b' ' || b == b'\t';
    let mut out = Vec::with_capacity(24);
    let (mut i, mut counted, mut chars) = (0, 0, 0);
    loop {
        while bytes.get(i).is_some_and(|&b| sep(b)) {
            i += 1;
        }
        if i >= bytes.len() {
            return Some(out);
        }
        let start = i;
        while bytes.get(i).is_some_and(|&b| !sep(b)) {
            i += 1;
        }
        // Columns count characters (separators are ASCII, so `start` is a char boundary).
        if ascii {
            chars = start;
        } else {
            chars += line[counted..start].chars().count();
            counted = start;
        }
        let col = col0 + chars;
        push_slice(&mut out, &line[start..i], col)?;
    }
}

fn push_slice(out: &mut Vec<Token>, text: &str, col: usize) -> Option<()> {
    if out.len() >= MAX_TOKENS || text.len() > MAX_TOKEN_LEN {
        return None;
    }
    out.push(Token {
        text: text.to_owned(),
        col,
        quoted: false,
    });
    Some(())
}

/// The general case, character by character (quotes and escapes).
fn quoting(line: &str, line_no: usize, col0: usize) -> Result<Vec<Token>, SyntaxError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0usize;
    let (mut in_quote, mut escaped, mut quoted) = (false, false, false);
    let mut push = |text: &mut String, start: usize, quoted: bool| -> Result<(), SyntaxError> {
        if out.len() >= MAX_TOKENS {
            return Err(SyntaxError::new(line_no, start, text, ErrorKind::TooLong));
        }
        out.push(Token {
            text: std::mem::take(text),
            col: start,
            quoted,
        });
        Ok(())
    };
    for (i, c) in line.chars().enumerate() {
        let col = col0 + i;
        if in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
                continue;
            } else if c == '"' {
                in_quote = false;
                push(&mut cur, start, quoted)?;
                quoted = false;
                continue;
            }
        } else if c == '"' {
            if cur.is_empty() {
                start = col;
            }
            in_quote = true;
            quoted = true;
            continue;
        } else if c == ' ' || c == '\t' {
            if !cur.is_empty() {
                push(&mut cur, start, quoted)?;
                quoted = false;
            }
            continue;
        }
        if cur.is_empty() && !quoted {
            start = col;
        }
        cur.push(c);
        if cur.len() > MAX_TOKEN_LEN {
            return Err(SyntaxError::new(line_no, start, &cur, ErrorKind::TooLong));
        }
    }
    if !cur.is_empty() {
        push(&mut cur, start, quoted)?;
    }
    Ok(out)
}

/// Splits a leading `[packets:bytes]` counter prefix off a rule line.
/// Returns the counters (if present) and the rest of the line with its starting column.
///
/// # Errors
/// [`ErrorKind::BadValue`] for a malformed prefix.
pub fn split_counters(
    line: &str,
    line_no: usize,
) -> Result<(Option<Counters>, &str, usize), SyntaxError> {
    let Some(body) = line.strip_prefix('[') else {
        return Ok((None, line, 1));
    };
    let bad = || {
        SyntaxError::new(
            line_no,
            1,
            line.split_whitespace().next().unwrap_or(line),
            ErrorKind::BadValue("counters [packets:bytes]".into()),
        )
    };
    let end = body.find(']').ok_or_else(bad)?;
    let (p, b) = body[..end].split_once(':').ok_or_else(bad)?;
    let packets = p.parse::<u64>().map_err(|_| bad())?;
    let bytes = b.parse::<u64>().map_err(|_| bad())?;
    let rest = &body[end + 1..];
    let col = line[..line.len() - rest.len()].chars().count() + 1;
    Ok((Some(Counters { packets, bytes }), rest, col))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &str) -> Vec<String> {
        tokenize(line, 1, 1)
            .unwrap()
            .into_iter()
            .map(|t| t.text)
            .collect()
    }

    #[test]
    fn splits_like_iptables_restore() {
        assert_eq!(
            texts("-A  INPUT\t-j ACCEPT"),
            ["-A", "INPUT", "-j", "ACCEPT"]
        );
        assert_eq!(
            texts(r#"--comment "a \"b\" c""#),
            ["--comment", r#"a "b" c"#]
        );
        assert_eq!(texts(r#"--comment """#), ["--comment", ""]);
        assert_eq!(texts(r#""a"b"#), ["a", "b"]);
        assert_eq!(texts(r"a\b"), [r"a\b"]);
        assert_eq!(texts(r#"x "open quote"#), ["x", "open quote"]);
        let t = tokenize(r#"-m comment --comment "x y""#, 1, 1).unwrap();
        assert_eq!((t[3].col, t[3].quoted), (22, true));
    }

    #[test]
    fn lines_without_quotes_split_the_same_on_the_fast_path() {
        for line in [
            "-A INPUT -s 192.0.2.1/32 -p tcp -m tcp --dport 22 -j ACCEPT",
            "  -A\tX  a\\b\t\t",
            "-A X -m comment --comment \u{e9}t\u{e9} -j DROP",
            "\u{1F600} \u{e9}x  y\u{e9}",
            "",
            " \t ",
        ] {
            for col0 in [1, 6] {
                assert_eq!(unquoted(line, col0), Some(quoting(line, 1, col0).unwrap()));
            }
        }
        let many = "a ".repeat(MAX_TOKENS + 1);
        assert_eq!(unquoted(&many, 1), None, "the general path reports it");
        assert!(matches!(
            tokenize(&many, 1, 1),
            Err(SyntaxError {
                kind: ErrorKind::TooLong,
                ..
            })
        ));
    }

    #[test]
    fn limits_token_length() {
        let long = "a".repeat(2000);
        assert!(matches!(
            tokenize(&long, 1, 1),
            Err(SyntaxError {
                kind: ErrorKind::TooLong,
                ..
            })
        ));
    }

    #[test]
    fn splits_counter_prefix() {
        let (c, rest, col) = split_counters("[3:4] -A INPUT", 1).unwrap();
        assert_eq!(
            c,
            Some(Counters {
                packets: 3,
                bytes: 4
            })
        );
        assert_eq!((rest, col), (" -A INPUT", 6));
        assert!(split_counters("[3 -A", 1).is_err());
        assert_eq!(split_counters("-A X", 1).unwrap().0, None);
    }
}
