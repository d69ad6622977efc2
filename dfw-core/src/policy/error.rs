//! Config errors: every one names the file, line, column and key that failed.
//!
//! Contract: a [`PolicyError`] always carries a [`Location`] (file label, 1-based line and
//! column, counted in characters) and, except for TOML syntax errors, the key path in the
//! form `allow[0].ports[1]`. Its `Display` is one line: `file:line:col: key: "value": reason`,
//! in which a value and a reason are quoted up to [`EXCERPT`] characters (then `...`): a
//! 50 MB value makes a short error.

use std::fmt;

/// Where in a config file something is: file label, 1-based line and column (characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file label given to [`super::Policy::from_toml`] (usually the path).
    pub file: String,
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, counted in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the text, rounded down to a
    /// character boundary).
    pub fn at(file: &str, text: &str, offset: usize) -> Location {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        Location {
            file: file.to_string(),
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// The most characters of a value or a reason an error message quotes.
pub const EXCERPT: usize = 80;

/// At most `max` characters of `text`, then `...` when it was longer.
pub fn excerpt(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]).into(),
        None => text.into(),
    }
}

/// Why a config was refused. Each variant names where (`at`) and, but for syntax errors, the
/// key path (`key`, e.g. `allow[0].ports[1]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not valid TOML (unclosed bracket, duplicate key, bad string...).
    #[error("{at}: TOML syntax: {}", excerpt(reason, 4 * EXCERPT))]
    Syntax {
        /// Where the parser stopped.
        at: Location,
        /// The parser's explanation.
        reason: String,
    },
    /// A key dfw does not know (a typo, or a key of a newer version).
    #[error("{at}: {}: unknown key ({expected})", excerpt(key, EXCERPT))]
    UnknownKey {
        /// Where the key is.
        at: Location,
        /// The full key path, ending with the unknown key.
        key: String,
        /// The keys allowed at that place.
        expected: String,
    },
    /// A key of the wrong TOML type, or a required key that is missing.
    #[error("{at}: {}: {}", excerpt(key, EXCERPT), excerpt(reason, 4 * EXCERPT))]
    Schema {
        /// Where the value (or the table missing a key) is.
        at: Location,
        /// The key path.
        key: String,
        /// What is wrong, e.g. "invalid type: integer `5`, expected a string".
        reason: String,
    },
    /// A value of the right type whose content dfw refuses (bad port, CIDR, interface...).
    #[error("{at}: {}: {:?}: {}", excerpt(key, EXCERPT), excerpt(value, EXCERPT), excerpt(reason, 4 * EXCERPT))]
    Value {
        /// Where the value is.
        at: Location,
        /// The key path, with array indices (`allow[0].ports[1]`).
        key: String,
        /// The value as written (without quotes).
        value: String,
        /// Why it is refused.
        reason: String,
    },
}

impl PolicyError {
    /// Where the error is.
    pub fn location(&self) -> &Location {
        match self {
            PolicyError::Syntax { at, .. }
            | PolicyError::UnknownKey { at, .. }
            | PolicyError::Schema { at, .. }
            | PolicyError::Value { at, .. } => at,
        }
    }

    /// The key path, when the error belongs to a key (all but syntax errors).
    pub fn key(&self) -> Option<&str> {
        match self {
            PolicyError::Syntax { .. } => None,
            PolicyError::UnknownKey { key, .. }
            | PolicyError::Schema { key, .. }
            | PolicyError::Value { key, .. } => Some(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_count_lines_and_characters() {
        let text = "a\nbé = 1\n";
        assert_eq!(Location::at("f", text, 0).to_string(), "f:1:1");
        assert_eq!(Location::at("f", text, 2).to_string(), "f:2:1");
        // 'é' is two bytes: byte 5 is the space after it, the third character.
        assert_eq!(Location::at("f", text, 5).to_string(), "f:2:3");
        // Inside 'é': rounded down to its start.
        assert_eq!(Location::at("f", text, 4).to_string(), "f:2:2");
        assert_eq!(Location::at("f", text, 999).line, 3);
    }

    #[test]
    fn huge_values_are_quoted_as_a_bounded_excerpt() {
        let e = PolicyError::Value {
            at: Location::at("f", "", 0),
            key: "allow[0].ports[0]".into(),
            value: "y".repeat(50_000_000),
            reason: format!("bad {}", "r".repeat(10_000)),
        };
        let text = e.to_string();
        assert!(text.len() < 600, "{} bytes", text.len());
        assert!(
            text.contains(&format!("\"{}...\"", "y".repeat(EXCERPT))),
            "{text}"
        );
        assert_eq!(excerpt("é".repeat(3).as_str(), 2), "éé...");
        assert_eq!(excerpt("ab", 2), "ab");
    }
}
