//! One test per kind of mistake in the structure of a file or a line: the error names the
//! line, the column and the token. (Mistakes in values are in `syntax_errors_values.rs`.)

use crate::support;

use dfw_core::model::Family;
use dfw_core::syntax::{parse_ruleset, ErrorKind};
use support::errors::{check, v4};

#[test]
fn unknown_option() {
    let e = v4("-A INPUT --frobnicate 3 -j ACCEPT");
    check(&e, 6, 10, "--frobnicate", "unknown option");
    assert_eq!(e.kind, ErrorKind::UnknownOption);
    let e = v4("-A INPUT -p udp --syn -j ACCEPT");
    check(&e, 6, 17, "--syn", "unknown option");
}

#[test]
fn missing_argument() {
    let e = v4("-A INPUT -p tcp --dport");
    check(&e, 6, 17, "--dport", "missing argument");
    let e = v4("-A INPUT -p tcp --tcp-flags SYN -j ACCEPT");
    check(&e, 6, 17, "--tcp-flags", "two arguments");
}

#[test]
fn option_used_twice() {
    check(
        &v4("-A INPUT -s 1.1.1.1 -s 2.2.2.2 -j DROP"),
        6,
        21,
        "-s",
        "used twice",
    );
    check(
        &v4("-A INPUT -p tcp --dport 1 --dport 2"),
        6,
        27,
        "--dport",
        "used twice",
    );
    check(
        &v4("-A INPUT -p tcp --syn --tcp-flags ALL NONE"),
        6,
        23,
        "--tcp-flags",
        "used twice",
    );
    check(&v4("-A INPUT -j ACCEPT -j DROP"), 6, 20, "-j", "used twice");
    check(
        &v4("-A INPUT -p tcp -m multiport --sports 1 --dports 2"),
        6,
        41,
        "--dports",
        "only one of",
    );
}

#[test]
fn missing_commit() {
    let e = parse_ruleset(Family::Ipv4, "*filter\n-A INPUT -j ACCEPT\n").unwrap_err();
    check(&e, 3, 1, "*filter", "COMMIT expected");
    assert_eq!(e.kind, ErrorKind::MissingCommit);
    let e = parse_ruleset(Family::Ipv4, "*filter\n*nat\nCOMMIT\n").unwrap_err();
    check(&e, 2, 1, "*nat", "COMMIT expected");
}

#[test]
fn lines_outside_a_table() {
    let e = parse_ruleset(Family::Ipv4, "# x\n-A INPUT -j ACCEPT\n").unwrap_err();
    check(&e, 2, 1, "-A", "outside a table");
    let e = parse_ruleset(Family::Ipv4, ":INPUT ACCEPT [0:0]\n").unwrap_err();
    check(&e, 1, 1, ":INPUT", "outside a table");
    let e = parse_ruleset(Family::Ipv4, "*filter\nCOMMIT\nCOMMIT\n").unwrap_err();
    check(&e, 3, 1, "COMMIT", "outside a table");
}

#[test]
fn rule_lines_without_command_or_chain() {
    let e = v4("-s 1.2.3.4 -j ACCEPT");
    check(&e, 6, 1, "-s", "no command");
    assert_eq!(e.kind, ErrorKind::NoCommand);
    check(&v4("-A"), 6, 1, "-A", "missing chain");
    check(&v4("-A INPUT -I INPUT"), 6, 10, "-I", "only one command");
    check(&v4("-A INPUT stray -j DROP"), 6, 10, "stray", "unexpected");
    check(
        &v4("-F INPUT -j DROP"),
        6,
        10,
        "-j",
        "not allowed with this command",
    );
}

#[test]
fn misplaced_inversion() {
    check(&v4("-A INPUT ! -j ACCEPT"), 6, 12, "-j", "'!'");
    check(&v4("-A INPUT ! ! -s 1.2.3.4"), 6, 12, "!", "'!'");
    check(&v4("-A INPUT -j ACCEPT !"), 6, 20, "!", "'!'");
    check(
        &v4("-A INPUT -m comment ! --comment x"),
        6,
        23,
        "--comment",
        "'!'",
    );
}

#[test]
fn bad_declarations_and_counters() {
    let e = parse_ruleset(Family::Ipv4, "*filter\n:INPUT MAYBE [0:0]\nCOMMIT\n").unwrap_err();
    check(&e, 2, 8, "MAYBE", "ACCEPT or DROP");
    let e = parse_ruleset(Family::Ipv4, "*filter\n:USER ACCEPT [0:0]\nCOMMIT\n").unwrap_err();
    check(&e, 2, 7, "ACCEPT", "- for a user chain");
    let e = parse_ruleset(Family::Ipv4, "*filter\n:INPUT ACCEPT [x:0]\nCOMMIT\n").unwrap_err();
    check(&e, 2, 15, "[x:0]", "counters");
    let e = parse_ruleset(Family::Ipv4, "*filter\n[1:2 -A INPUT\nCOMMIT\n").unwrap_err();
    check(&e, 2, 1, "[1:2", "counters");
}

#[test]
fn rule_numbers_and_missing_rules() {
    check(&v4("-I INPUT 0 -j ACCEPT"), 6, 10, "0", "rule number");
    check(&v4("-D INPUT 3"), 6, 4, "", "INPUT has 0 rules");
    check(&v4("-D INPUT -j ACCEPT"), 6, 4, "", "no matching rule");
    check(&v4("-I INPUT 5 -j ACCEPT"), 6, 4, "", "past the end");
    check(&v4("-X INPUT"), 6, 4, "", "built-in");
}

#[test]
fn unsupported_but_valid_iptables() {
    check(
        &v4("-A INPUT -s 1.1.1.1,2.2.2.2 -j DROP"),
        6,
        13,
        "1.1.1.1,2.2.2.2",
        "address lists",
    );
    check(&v4("-A INPUT -t nat -j DROP"), 6, 10, "-t", "not supported");
    check(
        &v4("-A INPUT -p tcp ! --dport 0:65535"),
        6,
        27,
        "0:65535",
        "iptables-nft drops it",
    );
    check(&v4("-E USER OTHER"), 6, 1, "-E", "not supported");
}

#[test]
fn huge_token() {
    let e = v4(&format!(
        "-A INPUT -m comment --comment {} -j ACCEPT",
        "y".repeat(1100)
    ));
    check(&e, 6, 31, &format!("{}...", "y".repeat(80)), "too long");
}

#[test]
fn ambiguous_abbreviations() {
    // iptables refuses these too (getopt finds several options for the prefix).
    check(
        &v4("-A INPUT --de 1.2.3.4 -j ACCEPT"),
        6,
        10,
        "--de",
        "ambiguous option (could be --delete, --delete-chain, --destination)",
    );
    check(
        &v4("-A INPUT -m conntrack --ctst NEW"),
        6,
        23,
        "--ctst",
        "--ctstate, --ctstatus",
    );
}
