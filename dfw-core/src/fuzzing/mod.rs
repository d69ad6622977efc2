//! Checks shared by the fuzz targets (`fuzz/`) and their replay tests on stable.
//!
//! Contract: each `check_*` function takes arbitrary bytes, runs them through a parser and,
//! when it accepts them, through the invariants that must then hold; it panics exactly when
//! an invariant is broken (a parser panic is a bug as well). Not part of dfw's API: it exists
//! so that `cargo fuzz` and `cargo test` run the same code on the same corpus.

mod bytes;
mod rule;
mod rule_ext;

pub use bytes::Bytes;
pub use rule::rule;
pub use rule_ext::{ext_match, ext_target};

use crate::model::{Family, Iface, Ruleset};
use crate::policy::Policy;
use crate::syntax::SyntaxError;
use crate::syntax::{parse_ruleset, print_ruleset, ApplyOptions, PrintOptions, RestoreScript};

/// The file label [`check_config`] gives [`Policy::from_toml`].
pub const CONFIG_LABEL: &str = "fuzz.toml";

/// Both families, IPv4 first.
pub const FAMILIES: [Family; 2] = [Family::Ipv4, Family::Ipv6];

/// Lines in `text` as error positions count them (a final unterminated line included).
fn line_count(text: &str) -> usize {
    text.split('\n').count()
}

/// A syntax error must point inside the text (or just past its end, for a missing COMMIT)
/// and print without panicking.
fn check_syntax_error(e: &SyntaxError, text: &str) {
    let shown = e.to_string();
    assert!(
        e.line >= 1 && e.line <= line_count(text) + 1,
        "error line {} outside the text ({} lines): {shown}",
        e.line,
        line_count(text)
    );
    assert!(e.column >= 1, "error column 0: {shown}");
}

/// Prints `rs`, parses the print back and checks it is the same ruleset and prints the same.
///
/// # Panics
/// When the printed text does not parse or gives another ruleset.
pub fn check_print_roundtrip(rs: &Ruleset) {
    let opts = PrintOptions { counters: true };
    let printed = print_ruleset(rs, opts);
    let back = parse_ruleset(rs.family(), &printed)
        .unwrap_or_else(|e| panic!("printed ruleset does not parse: {e}\n{printed}"));
    assert_eq!(&back, rs, "printed ruleset parses differently:\n{printed}");
    assert_eq!(
        print_ruleset(&back, opts),
        printed,
        "print is not a fixed point"
    );
}

/// Prints a compiled ruleset (which lacks the built-in chains dfw does not touch), parses the
/// print back and checks every chain holds the same rules.
fn check_compiled_print(rs: &Ruleset) {
    let printed = print_ruleset(rs, PrintOptions::default());
    let back = parse_ruleset(rs.family(), &printed)
        .unwrap_or_else(|e| panic!("printed policy does not parse: {e}\n{printed}"));
    for table in rs.tables() {
        let other = back.table(table.name()).expect("table printed");
        for chain in table.chains() {
            let again = other.chain(chain.name().as_str()).expect("chain printed");
            assert_eq!(
                again.rules, chain.rules,
                "policy prints differently:\n{printed}"
            );
        }
    }
}

/// Restore parser: `bytes` (lossily decoded as UTF-8) as an iptables-restore and an
/// ip6tables-restore file. Errors must point inside the text; a file that parses and applies
/// (as [`parse_ruleset`] does) must print to a file that parses to the same ruleset.
///
/// # Panics
/// On a parser panic or a broken invariant.
pub fn check_restore(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    for family in FAMILIES {
        let script = match RestoreScript::parse(family, &text) {
            Ok(s) => s,
            Err(e) => {
                check_syntax_error(&e, &text);
                continue;
            }
        };
        let mut rs = Ruleset::new(family);
        let full = ApplyOptions {
            noflush: false,
            counters: true,
        };
        if let Err(e) = script.apply(&mut rs, full) {
            check_syntax_error(&e, &text);
            continue;
        }
        check_print_roundtrip(&rs);
        // Applying again on top (noflush) may fail but must not panic.
        let mut again = rs.clone();
        let noflush = ApplyOptions {
            noflush: true,
            counters: false,
        };
        if let Err(e) = script.apply(&mut again, noflush) {
            check_syntax_error(&e, &text);
        }
    }
}

/// Config parser: `bytes` (lossily decoded as UTF-8) as a config file. Errors must name
/// [`CONFIG_LABEL`] and a line inside the text; an accepted policy must compile (with its
/// named interfaces, `eth0` for `"auto"`, and none) to rules that pass
/// [`Rule::check`](crate::model::Rule::check), to rulesets, and print back exactly.
///
/// # Panics
/// On a parser panic or a broken invariant.
pub fn check_config(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let policy = match Policy::from_toml(&text, CONFIG_LABEL) {
        Ok(p) => p,
        Err(e) => {
            let shown = e.to_string();
            assert!(
                shown.starts_with(&format!("{CONFIG_LABEL}:")),
                "error does not name the file: {shown}"
            );
            let at = e.location();
            assert!(
                at.line >= 1 && at.line <= line_count(&text) && at.column >= 1,
                "error position outside the text: {shown}"
            );
            return;
        }
    };
    let auto = [Iface::new("eth0", false).expect("eth0 is a valid name")];
    let named = policy.named_external().unwrap_or(&auto);
    for external in [named, &[]] {
        let compiled = policy.compile(external);
        for family in FAMILIES {
            let rules = compiled.family(family);
            assert_eq!(rules.family, family);
            for r in rules.rules() {
                if let Err(e) = r.check(family) {
                    panic!("compiled {family} rule fails its check: {e}: {r:?}");
                }
            }
            let rs = rules
                .to_ruleset()
                .unwrap_or_else(|e| panic!("compiled {family} rules make no ruleset: {e}"));
            check_compiled_print(&rs);
        }
    }
}

/// The family and the rule [`rule`] builds from the bytes: the first byte picks the family.
pub fn family_and_rule(bytes: &[u8]) -> Option<(Family, crate::model::Rule)> {
    let mut b = Bytes::new(bytes);
    let family = FAMILIES[b.below(2)];
    rule(&mut b, family).map(|r| (family, r))
}
