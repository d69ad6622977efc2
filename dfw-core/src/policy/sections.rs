//! A lean first pass for large config files: each top-level section is parsed on its own.
//!
//! Contract: [`parse_by_section`] splits the text before every line that is exactly one of
//! the section headers of the config (`[interfaces]`, `[policy]`, `[whitelist]`, `[lan]`,
//! `[blocklist]`, `[[allow]]`, `[[forward]]`, `[docker]`), parses each section with `toml` alone and joins the results
//! in file order. The `toml` crate holds a whole document as a spanned tree plus its token
//! list while deserializing (about 40 times the text: 14 MB for a 10,000-rule config);
//! section by section, only one section's tree is alive at a time.
//!
//! It returns `None`, and the caller parses the whole text as before (which also reports
//! every error), whenever the split might not mean what the whole document means:
//! - anything but blank lines and comments before the first header;
//! - a line starting with `[` that is not exactly one of the headers above (another table,
//!   spaces or a comment after a header, a nested array written from column 0);
//! - a section that does not parse. A split inside a multi-line string, array or inline table
//!   leaves that construct unterminated in the section before it, which then fails here;
//! - one of the single tables (`interfaces`, `policy`, `whitelist`, `lan`, `blocklist`,
//!   `docker`) in two
//!   sections
//!   (the whole document refuses a table defined twice).
//!
//! Within a section, `toml` checks everything as it would in the whole document (unknown
//! keys, types, duplicate keys, indented headers). Spans in the result are relative to their
//! section: they serve only for error messages, and the caller parses the whole text again
//! when validation fails.

use super::raw::RawConfig;

/// The headers a section may start with.
const HEADERS: [&str; 8] = [
    "[interfaces]",
    "[policy]",
    "[whitelist]",
    "[lan]",
    "[blocklist]",
    "[[allow]]",
    "[[forward]]",
    "[docker]",
];

/// Parses `text` section by section (see the module contract); `None` when the whole text
/// must be parsed instead.
pub(crate) fn parse_by_section(text: &str) -> Option<RawConfig> {
    let mut out = RawConfig::default();
    let mut start: Option<usize> = None;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.strip_suffix('\n').unwrap_or(line);
        if bare.starts_with('[') {
            if !HEADERS.contains(&bare) {
                return None;
            }
            if let Some(s) = start {
                join(&mut out, &text[s..at])?;
            }
            start = Some(at);
        } else if start.is_none() {
            let t = bare.trim_start_matches([' ', '\t']);
            if !(t.is_empty() || t.starts_with('#')) {
                return None;
            }
        }
        at += line.len();
    }
    join(&mut out, &text[start?..])?;
    Some(out)
}

/// Parses one section and adds it to `out`; `None` when it does not parse or defines a
/// single table `out` already has.
fn join(out: &mut RawConfig, section: &str) -> Option<()> {
    let part = toml::from_str::<RawConfig>(section).ok()?;
    fn once<T>(into: &mut Option<T>, from: Option<T>) -> Option<()> {
        match (into.is_some(), from) {
            (true, Some(_)) => None,
            (_, Some(v)) => {
                *into = Some(v);
                Some(())
            }
            (_, None) => Some(()),
        }
    }
    once(&mut out.interfaces, part.interfaces)?;
    once(&mut out.policy, part.policy)?;
    once(&mut out.whitelist, part.whitelist)?;
    once(&mut out.lan, part.lan)?;
    once(&mut out.blocklist, part.blocklist)?;
    once(&mut out.docker, part.docker)?;
    out.allow.extend(part.allow);
    out.forward.extend(part.forward);
    Some(())
}
