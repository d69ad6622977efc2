//! The section-by-section parse gives exactly what the whole-document parse gives, and
//! leaves to it every text whose split could mean something else.

use super::sections::parse_by_section;
use super::{from_toml_whole, Policy};

const EXAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml"));

/// A config with every section, comments, blank lines and indented keys.
const FULL: &str = "# dfw\n\n[interfaces]\nexternal = [\"eth0\", \"eth1\"]\n[policy]\n\
    default = \"drop\"\nhost = true\nping = false\n\n[[allow]]\nports = [\"80/tcp\", 22]\n\
    from = [\"203.0.113.0/24\", \"2001:db8::/32\", \"198.51.100.1-198.51.100.3\"]\n\
    comment = \"web\"\n[[allow]]\n  ports = [\"53/udp\"]\n  to = \"203.0.113.1\"\n\
    [whitelist]\nsources = [\"198.51.100.7\", \"2001:db8::7\"]\n[lan]\n\
    networks = [\"192.168.1.0/24\"]\n[[forward]]\nin = \"eth1\"\nout = \"eth0\"\n";

fn same(text: &str) {
    let whole = from_toml_whole(text, "t.toml");
    let policy = Policy::from_toml(text, "t.toml");
    match (&whole, &policy) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
        _ => panic!("{text}: whole {whole:?}, by section {policy:?}"),
    }
}

#[test]
fn valid_configs_parse_by_section_to_the_same_policy() {
    for text in [EXAMPLE, FULL] {
        assert!(parse_by_section(text).is_some(), "{text}");
        same(text);
    }
    let mut big = String::from("[interfaces]\nexternal = [\"eth0\"]\n[whitelist]\nsources = [");
    for i in 0..300 {
        big.push_str(&format!("\"10.0.{}.{}\",", i / 256, i % 256));
    }
    big.push_str("]\n");
    for i in 0..300 {
        big.push_str(&format!("[[allow]]\nports = [\"{}/tcp\"]\n", 1024 + i));
    }
    assert_eq!(parse_by_section(&big).map(|r| r.allow.len()), Some(300));
    same(&big);
}

#[test]
fn texts_the_split_could_misread_go_to_the_whole_parse() {
    let fallback = [
        // Not only comments before the first header.
        "external = 1\n[policy]\n",
        // Another header form, or something after a header.
        "[policy] # c\nhost = true\n",
        "[ policy ]\nhost = true\n",
        "[policy.x]\n",
        "[allow]\nports = [1]\n",
        "[policy]\r\nhost = true\r\n",
        // A table twice, in two sections or indented in one.
        "[policy]\nhost = true\n[lan]\nnetworks = [\"10.0.0.0/8\"]\n[policy]\nping = true\n",
        "[policy]\nhost = true\n  [policy]\n",
        // A header inside a multi-line string or array.
        "[[allow]]\nports = [1]\ncomment = \"\"\"\n[[allow]]\nports = [2]\n\"\"\"\n",
        "[whitelist]\nsources = [\n[\"10.0.0.1\"]]\n",
        // Syntax and schema errors.
        "[policy]\nhost = \n",
        "[[allow]]\nport = [1]\n",
        "[[allow]]\nports = [1]\nports = [2]\n",
    ];
    for text in fallback {
        assert!(parse_by_section(text).is_none(), "{text:?}");
        same(text);
    }
    // Empty and comment-only files are the whole parse's too (nothing to split).
    assert!(parse_by_section("").is_none() && parse_by_section("# x\n").is_none());
    same("");
}

#[test]
fn validation_errors_name_the_place_in_the_whole_file() {
    // Section spans are relative: a bad value makes from_toml parse the whole text again.
    let text =
        "[policy]\nhost = true\n[[allow]]\nports = [\"80/tcp\"]\n[[allow]]\nports = [\"99999\"]\n";
    assert!(parse_by_section(text).is_some());
    let e = Policy::from_toml(text, "t.toml").unwrap_err().to_string();
    assert!(e.starts_with("t.toml:6:"), "{e}");
    same(text);
    same("[policy]\nhost = true\n[[allow]]\nports = [\"80/tcp\"]\nto = \"2001:db8::1\"\nfrom = [\"10.0.0.1\"]\n");
}
