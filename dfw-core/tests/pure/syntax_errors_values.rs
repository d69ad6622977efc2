//! One test per kind of mistake in a value (address, port, name, extension option) or in
//! what the rule may hold: the error names the line, the column and the token.

use crate::support;

use dfw_core::model::Family;
use dfw_core::syntax::parse_ruleset;
use support::errors::{check, err_at_6, v4};

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
    check(&v4("-A INPUT -j TRACE"), 6, 13, "TRACE", "unknown target");
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
