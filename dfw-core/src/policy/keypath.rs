//! Turns a TOML error's byte span back into the key path it belongs to (`allow[1].ports`).
//!
//! Contract: pure and total. serde errors from the `toml` crate carry a span but no array
//! indices; this walks the document's spanned tree ([`toml::de::DeTable`]) and names the
//! innermost key or value whose span holds the error's start. Keys that need quoting in TOML
//! are printed quoted (`"a b"`).

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The best candidate so far: path and the length of the span that matched (smaller wins).
struct Best {
    path: String,
    len: usize,
}

impl Best {
    fn offer(&mut self, path: &str, span: std::ops::Range<usize>, pos: usize) {
        // An empty span (error at the end of a value) matches its own start.
        let hit = span.contains(&pos) || (span.is_empty() && span.start == pos);
        // Ties go to the later (deeper) offer: an array-of-tables element beats the array.
        if hit && span.len() <= self.len {
            self.path = path.to_string();
            self.len = span.len();
        }
    }
}

/// The key path at byte `pos` of `text`, or `None` when the text does not parse or `pos`
/// lies in no key or value.
pub(crate) fn key_path_at(text: &str, pos: usize) -> Option<String> {
    let doc = DeTable::parse(text).ok()?;
    let mut best = Best {
        path: String::new(),
        len: usize::MAX,
    };
    walk_table(doc.get_ref(), "", pos, &mut best);
    (best.len != usize::MAX).then_some(best.path)
}

fn walk_table(table: &DeTable<'_>, prefix: &str, pos: usize, best: &mut Best) {
    for (key, value) in table.iter() {
        let path = join(prefix, key.get_ref());
        best.offer(&path, key.span(), pos);
        walk_value(value, &path, pos, best);
    }
}

fn walk_value(value: &Spanned<DeValue<'_>>, path: &str, pos: usize, best: &mut Best) {
    best.offer(path, value.span(), pos);
    match value.get_ref() {
        DeValue::Table(t) => walk_table(t, path, pos, best),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_value(item, &format!("{path}[{i}]"), pos, best);
            }
        }
        _ => {}
    }
}

/// `prefix.key`, quoting `key` when it is not a bare TOML key.
pub(crate) fn join(prefix: &str, key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    let key = if bare {
        key.to_string()
    } else {
        format!("{key:?}")
    };
    if prefix.is_empty() {
        key
    } else {
        format!("{prefix}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, needle: &str) -> Option<String> {
        key_path_at(text, text.find(needle).unwrap())
    }

    #[test]
    fn names_keys_values_and_array_elements() {
        let t = "[policy]\nhost = 1\n[[allow]]\nports = [\"a\"]\n[[allow]]\nports = [\"b\", 3]\n";
        assert_eq!(at(t, "host").as_deref(), Some("policy.host"));
        assert_eq!(at(t, "1\n").as_deref(), Some("policy.host"));
        assert_eq!(at(t, "3]").as_deref(), Some("allow[1].ports[1]"));
        assert_eq!(at(t, "\"b\"").as_deref(), Some("allow[1].ports[0]"));
        let second = t.rfind("[[allow]]").unwrap();
        assert_eq!(key_path_at(t, second).as_deref(), Some("allow[1]"));
        assert_eq!(key_path_at(t, 0).as_deref(), Some("policy"));
    }

    #[test]
    fn quotes_odd_keys_and_survives_bad_text() {
        assert_eq!(join("a", "b c"), "a.\"b c\"");
        assert_eq!(at("\"x y\" = 1\n", "1").as_deref(), Some("\"x y\""));
        assert_eq!(key_path_at("[x\n", 1), None);
    }
}
