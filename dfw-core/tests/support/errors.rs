//! Helpers for the error tests: parse a line in a filter table and check the error.

use dfw_core::model::Family;
use dfw_core::syntax::{parse_ruleset, SyntaxError};

pub const HEAD: &str =
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:USER - [0:0]\n";

/// Parses a filter table whose line 6 is `line`; returns the error.
pub fn err_at_6(family: Family, line: &str) -> SyntaxError {
    let text = format!("{HEAD}{line}\nCOMMIT\n");
    match parse_ruleset(family, &text) {
        Ok(_) => panic!("{line:?} parsed"),
        Err(e) => e,
    }
}

pub fn check(e: &SyntaxError, line: usize, column: usize, token: &str, message: &str) {
    let text = e.to_string();
    assert_eq!(
        (e.line, e.column, e.token.as_str()),
        (line, column, token),
        "{text}"
    );
    assert!(
        text.starts_with(&format!("line {line}, column {column}: ")),
        "{text}"
    );
    assert!(text.contains(token), "{text}");
    assert!(text.contains(message), "{text:?} lacks {message:?}");
}

pub fn v4(line: &str) -> SyntaxError {
    err_at_6(Family::Ipv4, line)
}
