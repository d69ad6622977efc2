//! One test per kind of mistake: the error names the line, the column and the token.

use dfw_core::model::Family;
use dfw_core::syntax::{parse_ruleset, ErrorKind, SyntaxError};

const HEAD: &str =
    "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:USER - [0:0]\n";

/// Parses a filter table whose line 6 is `line`; returns the error.
fn err_at_6(family: Family, line: &str) -> SyntaxError {
    let text = format!("{HEAD}{line}\nCOMMIT\n");
    match parse_ruleset(family, &text) {
        Ok(_) => panic!("{line:?} parsed"),
        Err(e) => e,
    }
}

fn check(e: &SyntaxError, line: usize, column: usize, token: &str, message: &str) {
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

fn v4(line: &str) -> SyntaxError {
    err_at_6(Family::Ipv4, line)
}

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
fn bad_port_names_option_and_value() {
    let e = v4("-A INPUT -p tcp --dport 70000 -j ACCEPT");
    check(&e, 6, 25, "70000", "expected a port 0-65535");
    assert_eq!(e.option.as_deref(), Some("--dport"));
    assert_eq!(
        e.to_string(),
        "line 6, column 25: \"--dport\" 70000: expected a port 0-65535"
    );
}

#[test]
fn reversed_ranges() {
    let e = v4("-A INPUT -p tcp --dport 90:80 -j ACCEPT");
    check(&e, 6, 25, "90:80", "reversed");
    let e = v4("-A INPUT -m iprange --src-range 10.0.0.9-10.0.0.1 -j ACCEPT");
    check(&e, 6, 33, "10.0.0.9-10.0.0.1", "reversed");
    let e = v4("-A INPUT -m conntrack --ctexpire 9:1 -j ACCEPT");
    check(&e, 6, 34, "9:1", "reversed");
}

#[test]
fn bad_address_prefix_and_mask() {
    check(
        &v4("-A INPUT -s 1.2.3.256 -j DROP"),
        6,
        13,
        "1.2.3.256",
        "bad address",
    );
    check(
        &v4("-A INPUT -s 1.2.3.4/33 -j DROP"),
        6,
        13,
        "1.2.3.4/33",
        "invalid mask",
    );
    check(
        &v4("-A INPUT -d 1.2.3.4/255.0.x.0 -j DROP"),
        6,
        13,
        "1.2.3.4/255.0.x.0",
        "invalid mask",
    );
    check(
        &v4("-A INPUT -s example.com -j DROP"),
        6,
        13,
        "example.com",
        "host names are not resolved",
    );
}

#[test]
fn wrong_family_address() {
    check(
        &v4("-A INPUT -s 2001:db8::1 -j DROP"),
        6,
        13,
        "2001:db8::1",
        "not IPv4",
    );
    let e = err_at_6(Family::Ipv6, "-A INPUT -d 10.0.0.1 -j DROP");
    check(&e, 6, 13, "10.0.0.1", "not IPv6");
    let e = err_at_6(
        Family::Ipv6,
        "-A INPUT -j REJECT --reject-with icmp-host-prohibited",
    );
    check(&e, 6, 34, "icmp-host-prohibited", "REJECT type for IPv6");
}

#[test]
fn unknown_match_and_target() {
    check(
        &v4("-A INPUT -m quota2 -j ACCEPT"),
        6,
        13,
        "quota2",
        "unknown match",
    );
    check(
        &v4("-A INPUT -j MARK --set-mark 1"),
        6,
        13,
        "MARK",
        "unknown target",
    );
    let e = err_at_6(
        Family::Ipv6,
        "-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT",
    );
    check(&e, 6, 21, "icmp", "unknown match");
}

#[test]
fn unknown_table_and_chain() {
    let e = parse_ruleset(Family::Ipv4, "*filtre\nCOMMIT\n").unwrap_err();
    check(&e, 1, 2, "filtre", "unknown table");
    check(
        &v4("-A NOPE -j ACCEPT"),
        6,
        4,
        "NOPE",
        "no chain by that name in table filter",
    );
    check(
        &v4("-A INPUT -j NOPE"),
        6,
        4,
        "NOPE",
        "no chain by that name",
    );
}

#[test]
fn invalid_chain_and_interface_names() {
    check(
        &v4("-N A234567890123456789012345678901"),
        6,
        4,
        "A234567890123456789012345678901",
        "longer than 28",
    );
    check(
        &v4("-A INPUT -i 0123456789abcdefg -j DROP"),
        6,
        13,
        "0123456789abcdefg",
        "invalid interface name",
    );
    let e = parse_ruleset(Family::Ipv4, "*filter\n:BAD/NAME\\ - [0:0]\nCOMMIT\n");
    assert!(e.is_ok(), "iptables allows '/' in chain names");
    let e = parse_ruleset(Family::Ipv4, "*filter\n:ACCEPT - [0:0]\nCOMMIT\n").unwrap_err();
    check(&e, 2, 2, "ACCEPT", "name of a target");
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
fn bad_values_of_extensions() {
    check(
        &v4("-A INPUT -m conntrack --ctstate NEWISH"),
        6,
        33,
        "NEWISH",
        "connection states",
    );
    check(
        &v4("-A INPUT -p icmp --icmp-type echo-bogus"),
        6,
        30,
        "echo-bogus",
        "ICMP type",
    );
    check(
        &v4("-A INPUT -p tcp --tcp-flags SYN,FOO SYN"),
        6,
        29,
        "SYN,FOO",
        "TCP flags",
    );
    check(
        &v4("-A INPUT -j LOG --log-level loud"),
        6,
        29,
        "loud",
        "log level",
    );
    check(
        &v4("-A INPUT -m mark --mark 0x1/zz"),
        6,
        25,
        "0x1/zz",
        "32-bit",
    );
    check(
        &v4("-A INPUT -m addrtype --src-type LOCALE"),
        6,
        33,
        "LOCALE",
        "address types",
    );
    check(
        &v4("-A INPUT -m conntrack --ctdir SIDEWAYS"),
        6,
        31,
        "SIDEWAYS",
        "ORIGINAL or REPLY",
    );
}

#[test]
fn missing_mandatory_extension_options() {
    check(
        &v4("-A INPUT -m comment -j ACCEPT"),
        6,
        13,
        "comment",
        "--comment",
    );
    check(
        &v4("-A INPUT -m conntrack -j ACCEPT"),
        6,
        13,
        "conntrack",
        "at least one option",
    );
    check(&v4("-A INPUT -j DNAT"), 6, 13, "DNAT", "--to-destination");
}

#[test]
fn protocol_bindings() {
    let e = v4("-A INPUT -m tcp --dport 22 -j ACCEPT");
    assert!(e.to_string().contains("-m tcp needs -p tcp"), "{e}");
    let e = v4("-A INPUT -j REJECT --reject-with tcp-reset");
    assert!(e.to_string().contains("tcp-reset needs -p tcp"), "{e}");
    let e = parse_ruleset(
        Family::Ipv4,
        "*nat\n-A PREROUTING -j DNAT --to-destination 1.2.3.4:80\nCOMMIT\n",
    )
    .unwrap_err();
    check(&e, 2, 40, "1.2.3.4:80", "-p tcp, udp");
    // iptables checks -p when it reads the option: -p after it is too late.
    check(
        &v4("-A INPUT -m multiport --dports 1 -p tcp"),
        6,
        23,
        "--dports",
        "before multiport",
    );
}

#[test]
fn interfaces_in_the_wrong_chain() {
    check(
        &v4("-A INPUT -o eth0 -j DROP"),
        6,
        4,
        "INPUT",
        "-o (packets here",
    );
    check(
        &v4("-A OUTPUT -i eth0 -j DROP"),
        6,
        4,
        "OUTPUT",
        "-i (locally generated",
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
fn targets_in_the_wrong_table() {
    // Measured: iptables-restore refuses these (EINVAL, or "DROP ... inhibited" in nat).
    check(
        &v4("-A USER -j DNAT --to-destination 1.2.3.4"),
        6,
        4,
        "",
        "-j DNAT is not allowed in table filter",
    );
    let e = parse_ruleset(Family::Ipv4, "*nat\n-A PREROUTING -j DROP\nCOMMIT\n").unwrap_err();
    check(&e, 2, 4, "", "-j DROP is not allowed in table nat");
    let e = parse_ruleset(Family::Ipv4, "*raw\n-A PREROUTING -j REJECT\nCOMMIT\n").unwrap_err();
    check(&e, 2, 4, "", "-j REJECT is not allowed in table raw");
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
