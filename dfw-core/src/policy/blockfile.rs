//! Block list files (`[blocklist] files`): one address, CIDR or `A-B` range per line, as
//! FireHOL's and country lists are written.
//!
//! Contract: pure (the caller reads the file). `#` starts a comment (whole line or after the
//! entry); blank lines are skipped; leading and trailing whitespace is ignored. Any other
//! line is an error naming the file, line and column and the token, and the whole file is
//! refused (a half-read block list is never applied).

use super::config::Source;
use super::error::{Location, PolicyError};
use super::value;

/// Parses the text of one block list file; `file` names it in errors.
///
/// # Errors
/// [`PolicyError::Value`] for the first line that is not an address, CIDR or range, with the
/// key `blocklist.files[index]`.
pub fn parse_block_file(text: &str, file: &str, index: usize) -> Result<Vec<Source>, PolicyError> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.split('#').next().unwrap_or("");
        let token = body.trim();
        if !token.is_empty() {
            let start = offset + (body.len() - body.trim_start().len());
            let bad = |reason: String| PolicyError::Value {
                at: Location::at(file, text, start),
                key: format!("blocklist.files[{index}]"),
                value: token.to_string(),
                reason,
            };
            if token.split_whitespace().nth(1).is_some() {
                return Err(bad("one address, CIDR or range per line".into()));
            }
            out.push(value::source_noted(token, &mut Vec::new()).map_err(bad)?);
        }
        offset += line.len();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firehol_style_lists() {
        let text = "#\n# firehol_level1\n#\n\n1.2.3.0/24\n  5.6.7.8 # a host\n2001:db8::/32\n10.0.0.1-10.0.0.9\n";
        let l = parse_block_file(text, "/etc/dfw/level1.netset", 0).unwrap();
        assert_eq!(l.len(), 4);
        let e = parse_block_file("1.2.3.4\n\n  9.9.9.300\n", "f.txt", 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "f.txt:3:3: blocklist.files[2]: \"9.9.9.300\": \"9.9.9.300\" is not an IPv4 or IPv6 address"
        );
        let e = parse_block_file("1.2.3.4 5.6.7.8\n", "f", 0).unwrap_err();
        assert!(e.to_string().contains("one address"), "{e}");
    }
}
