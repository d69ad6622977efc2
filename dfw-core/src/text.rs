//! Input text: bytes to `&str`, with the position of the first invalid byte.
//!
//! Contract: pure; [`utf8`] never panics and, for input that is not UTF-8, says on which
//! 1-based line and column (in characters) the first invalid byte sits, so a tool can report
//! `FILE:LINE:COLUMN` as for any other input error.

use std::fmt;

/// Where input stops being valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotUtf8 {
    /// 1-based line of the first invalid byte.
    pub line: usize,
    /// 1-based column (in characters) of the first invalid byte.
    pub column: usize,
    /// Byte offset of the first invalid byte.
    pub offset: usize,
}

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: not UTF-8 text (invalid byte at offset {})",
            self.line, self.column, self.offset
        )
    }
}

impl std::error::Error for NotUtf8 {}

/// The bytes as text.
///
/// # Errors
/// [`NotUtf8`] with the position of the first invalid byte.
pub fn utf8(bytes: &[u8]) -> Result<&str, NotUtf8> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        // The prefix is valid UTF-8 by construction.
        let before = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        NotUtf8 {
            line,
            column,
            offset,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_the_first_invalid_byte() {
        assert_eq!(utf8(b"*filter\n").unwrap(), "*filter\n");
        let e = utf8(b"*filter\n-A INPUT \xc3\xa9 \xff -j DROP\n").unwrap_err();
        assert_eq!((e.line, e.column, e.offset), (2, 12, 20));
        let e = utf8(b"\xff").unwrap_err();
        assert_eq!((e.line, e.column, e.offset), (1, 1, 0));
        assert!(e.to_string().starts_with("line 1, column 1:"));
    }
}
