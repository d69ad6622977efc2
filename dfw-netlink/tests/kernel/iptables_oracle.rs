//! Differential kernel test against the real iptables 1.8.9 (root, `strace` and
//! iptables-nft; gated by `kernel_test`, so it fails rather than skips under
//! `DFW_REQUIRE_KERNEL=1`).
//!
//! For each command, iptables runs under strace in its own private network namespace; the
//! NEWRULE it sends is decoded with the library's nf_tables codec (`oracle/strace.rs`), then:
//! - `decode_rule` must give a model rule (never opaque);
//! - encoding that rule must give iptables' exact expressions and compat attribute, except for
//!   the rules iptables writes natively (tcp/udp ports and flags, mark), where dfw deliberately
//!   writes xt matches: there the dfw encoding must decode to the same rule.
#![cfg(target_endian = "little")]

use crate::support::oracle;

use dfw_core::model::Family;
use dfw_netlink::rule_codec::{decode_rule, encode_rule, DecodedRule};
use dfw_netlink::transport::testkit::{in_private_netns, kernel_test};

use oracle::strace::capture;

/// Checks one command; `native` when iptables 1.8.9 writes part of it natively.
fn check(setup: &str, cmd: &str, native: bool) {
    let family = if cmd.starts_with("ip6tables") {
        Family::Ipv6
    } else {
        Family::Ipv4
    };
    let rules = in_private_netns(|| capture(setup, cmd)).unwrap();
    assert_eq!(rules.len(), 1, "{cmd}");
    let (exprs, compat) = &rules[0];
    let rule = match decode_rule(family, exprs, *compat) {
        DecodedRule::Rule(r) => r,
        DecodedRule::Opaque { reason, .. } => panic!("{cmd}: opaque: {reason}\n{exprs:?}"),
    };
    let enc = encode_rule(family, &rule).unwrap();
    assert_eq!(enc.compat, *compat, "{cmd}");
    if native {
        assert_ne!(&enc.exprs, exprs, "{cmd}: expected a native form");
        assert_eq!(
            decode_rule(family, &enc.exprs, enc.compat),
            DecodedRule::Rule(rule),
            "{cmd}"
        );
    } else {
        assert_eq!(&enc.exprs, exprs, "{cmd}\n{rule:?}");
    }
}

const XT: &[&str] = &[
    "iptables -A INPUT -i eth0 -j ACCEPT",
    "iptables -A INPUT -i eth+ -j ACCEPT",
    "iptables -A FORWARD ! -o docker0 -j ACCEPT",
    "iptables -A FORWARD -i br-+ ! -o br-+ -j ACCEPT",
    "iptables -A FORWARD -i 0123456789abcde -o x+ -j DROP",
    "iptables -A INPUT -s 10.0.0.0/8 -j DROP",
    "iptables -A INPUT -d 192.168.1.1 -j DROP",
    "iptables -A INPUT ! -s 10.0.0.0/8 ! -d 172.16.0.0/12 -j DROP",
    "iptables -A INPUT -s 10.1.2.3/255.0.255.0 -j DROP",
    "iptables -A INPUT -s 192.0.2.128/25 -d 198.51.100.0/23",
    "iptables -A INPUT -s 0.0.0.0/0 -j DROP",
    "iptables -A INPUT -p tcp -j ACCEPT",
    "iptables -A INPUT ! -p udp -j ACCEPT",
    "iptables -A INPUT -p 200 -j ACCEPT",
    "iptables -A INPUT -p tcp -m tcp -j ACCEPT",
    "iptables -A INPUT -p tcp -m tcp --tcp-option 2 -j ACCEPT",
    "iptables -A INPUT -p tcp -m tcp ! --sport 1000:2000 ! --dport 22 ! --tcp-flags SYN,ACK SYN ! --tcp-option 3 -j ACCEPT",
    "iptables -A INPUT -p udp -m udp -j ACCEPT",
    "iptables -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT",
    "iptables -A INPUT -p udp -m multiport ! --sports 1000:2000,3000 -j ACCEPT",
    "iptables -A INPUT -p tcp -m multiport --ports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 -j ACCEPT",
    "iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "iptables -A INPUT -m conntrack ! --ctstate NEW,DNAT,SNAT,UNTRACKED -j ACCEPT",
    "iptables -A INPUT -m conntrack --ctstate DNAT --ctorigdst 10.0.0.1 -j ACCEPT",
    "iptables -A FORWARD -p tcp -m conntrack --ctorigsrc 10.0.0.0/8 --ctorigdst 1.2.3.4 --ctorigsrcport 1234 --ctorigdstport 8080 -j ACCEPT",
    "iptables -A FORWARD -m conntrack --ctorigdstport 8080:8090 -j ACCEPT",
    "iptables -A INPUT -p udp -m conntrack ! --ctproto tcp --ctreplsrc 192.0.2.0/24 ! --ctrepldst 192.0.2.1 --ctreplsrcport 5 ! --ctrepldstport 6:7 ! --ctstatus ASSURED,CONFIRMED --ctexpire 10:20 --ctdir REPLY -j ACCEPT",
    "iptables -A INPUT -m conntrack --ctstatus NONE --ctexpire 5 --ctdir ORIGINAL -j ACCEPT",
    "iptables -A INPUT -m conntrack --ctorigsrc 0.0.0.0/0 -j ACCEPT",
    "iptables -A INPUT -m state --state NEW,ESTABLISHED -j ACCEPT",
    "iptables -A INPUT -m state ! --state INVALID,UNTRACKED -j ACCEPT",
    "iptables -A INPUT -m iprange --src-range 10.0.0.1-10.0.0.50 ! --dst-range 192.0.2.1-192.0.2.9 -j ACCEPT",
    "iptables -A INPUT -m comment --comment \"hello world\" -j ACCEPT",
    "iptables -A INPUT -s 1.2.3.4 -m comment --comment c1 -m comment --comment c2 -j ACCEPT",
    "iptables -A INPUT -p icmp -m icmp --icmp-type echo-request -j ACCEPT",
    "iptables -A INPUT -p icmp ! --icmp-type 3/4 -j ACCEPT",
    "iptables -A INPUT -p icmp --icmp-type any -j ACCEPT",
    "iptables -A INPUT -m addrtype ! --src-type LOCAL,UNICAST ! --dst-type BROADCAST --limit-iface-in -j ACCEPT",
    "iptables -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j RETURN",
    "iptables -A INPUT -j REJECT",
    "iptables -A INPUT -j REJECT --reject-with icmp-host-prohibited",
    "iptables -A INPUT -p tcp -j REJECT --reject-with tcp-reset",
    "iptables -A INPUT -j LOG --log-prefix \"fw: \" --log-level debug --log-uid --log-tcp-options",
    "iptables -A INPUT -j LOG --log-level 0 --log-tcp-sequence --log-ip-options --log-macdecode",
    "iptables -A INPUT -c 10 2000 -j ACCEPT",
    "iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE",
    "iptables -t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000-2000 --random",
    "iptables -t nat -A POSTROUTING -j SNAT --to-source 192.0.2.1",
    "iptables -t nat -A POSTROUTING -p tcp -j SNAT --to-source 192.0.2.1-192.0.2.5:1000-2000 --random --persistent",
    "iptables -t nat -A POSTROUTING -p tcp -j SNAT --to-source :80-90 --random-fully",
    "iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1-192.0.2.9:80-90 --random --persistent",
    "iptables -t nat -A PREROUTING -p tcp -j DNAT --to-destination :80",
    "ip6tables -A INPUT -i eth+ -j ACCEPT",
    "ip6tables -A INPUT -s 2001:db8::/32 -j DROP",
    "ip6tables -A INPUT ! -d fe80::/10 -j DROP",
    "ip6tables -A INPUT -d ::1 -j ACCEPT",
    "ip6tables -A INPUT -s 2001:db8::/33 -j DROP",
    "ip6tables -A INPUT -i lo -s ::/0 -d 2001:db8::/127 -j ACCEPT",
    "ip6tables -A INPUT -s 2001:db8::/ffff:0:ffff:: -j ACCEPT",
    "ip6tables -A INPUT -p ipv6-icmp -j ACCEPT",
    "ip6tables -A INPUT -p icmpv6 --icmpv6-type echo-request -j ACCEPT",
    "ip6tables -A INPUT -p ipv6-icmp -m icmp6 ! --icmpv6-type 1/4 -j ACCEPT",
    "ip6tables -A INPUT -p tcp -m multiport --dports 80,443 -j ACCEPT",
    "ip6tables -A FORWARD -p tcp -m conntrack --ctorigsrc 2001:db8::/64 --ctorigdst 2001:db8::1 --ctorigdstport 80 -j ACCEPT",
    "ip6tables -A INPUT -m iprange --src-range 2001:db8::1-2001:db8::ff -j ACCEPT",
    "ip6tables -A INPUT -m comment --comment \"v6 comment\" -j ACCEPT",
    "ip6tables -A INPUT -j REJECT --reject-with icmp6-adm-prohibited",
    "ip6tables -A INPUT -p tcp -j REJECT --reject-with tcp-reset",
    "ip6tables -A INPUT -j LOG --log-prefix \"v6: \"",
    "ip6tables -t nat -A POSTROUTING -s fd00::/64 ! -o docker0 -j MASQUERADE",
    "ip6tables -t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 1000 --random-fully",
    "ip6tables -t nat -A POSTROUTING -p tcp -j SNAT --to-source [2001:db8::1]:80 --random-fully",
    "ip6tables -t nat -A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80",
];

const NATIVE: &[&str] = &[
    "iptables -A INPUT -p tcp --dport 22 -j ACCEPT",
    "iptables -A INPUT -p tcp --sport 1024:65535 --dport 80 -j ACCEPT",
    "iptables -A INPUT -p tcp ! --dport 22 -j ACCEPT",
    "iptables -A INPUT -p tcp -m tcp --dport 22 --syn -j ACCEPT",
    "iptables -A INPUT -p tcp ! --syn -j ACCEPT",
    "iptables -A INPUT -p tcp --tcp-flags ALL NONE -j ACCEPT",
    "iptables -A INPUT -p tcp --sport 80 --dport 22 -j ACCEPT",
    "iptables -A INPUT -p tcp --sport 80 ! --dport 22 -j ACCEPT",
    "iptables -A INPUT -p udp --dport 53 -j ACCEPT",
    "iptables -A INPUT -p udp ! --dport 1000:2000 -j ACCEPT",
    "iptables -A INPUT -p udp --dport 0:1000 -j ACCEPT",
    "iptables -A INPUT -p udp --dport 1000:65535 -j ACCEPT",
    "iptables -A INPUT -m mark --mark 0x1/0xff -j ACCEPT",
    "iptables -A INPUT -m mark --mark 0x5 -j ACCEPT",
    "iptables -A INPUT -m mark ! --mark 0x5/0xf -j ACCEPT",
    "iptables -t nat -A PREROUTING ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
    "iptables -A INPUT -p tcp -m conntrack --ctstate NEW -m tcp --dport 22 -m comment --comment ssh -j ACCEPT",
    "ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT",
    "ip6tables -A INPUT -p udp --sport 53 -j ACCEPT",
];

#[test]
fn kernel_dfw_encodes_exactly_as_iptables() {
    kernel_test("kernel_dfw_encodes_exactly_as_iptables", || {
        for cmd in XT {
            check("", cmd, false);
        }
        check("iptables -N FOO;", "iptables -A INPUT -j FOO", false);
        check("iptables -N FOO;", "iptables -A INPUT -g FOO", false);
        check("iptables -N FOO;", "iptables -A FOO -j RETURN", false);
    });
}

#[test]
fn kernel_iptables_native_forms_decode_like_dfw_xt_forms() {
    kernel_test(
        "kernel_iptables_native_forms_decode_like_dfw_xt_forms",
        || {
            for cmd in NATIVE {
                check("", cmd, true);
            }
        },
    );
}

/// Every rule of a shared ruleset, restored by iptables-restore: decodes, and dfw's encoding
/// is iptables' or (native tcp/udp/mark) decodes to the same rule.
fn check_ruleset(family: Family, path: &str) {
    let restore = match family {
        Family::Ipv4 => "iptables-restore",
        Family::Ipv6 => "ip6tables-restore",
    };
    let text = std::fs::read_to_string(path).unwrap();
    let appends = text.lines().filter(|l| l.starts_with("-A ")).count();
    let rules = in_private_netns(|| capture("", &format!("{restore} < {path}"))).unwrap();
    assert_eq!(rules.len(), appends, "{path}");
    let mut native = 0;
    for (exprs, compat) in &rules {
        let rule = match decode_rule(family, exprs, *compat) {
            DecodedRule::Rule(r) => r,
            DecodedRule::Opaque { reason, .. } => panic!("{path}: opaque: {reason}\n{exprs:?}"),
        };
        let enc = encode_rule(family, &rule).unwrap();
        assert_eq!(enc.compat, *compat, "{path}: {rule:?}");
        if &enc.exprs != exprs {
            native += 1;
            assert_eq!(
                decode_rule(family, &enc.exprs, enc.compat),
                DecodedRule::Rule(rule),
                "{path}"
            );
        }
    }
    eprintln!("{path}: {appends} rules, {native} written natively by iptables");
}

#[test]
fn kernel_shared_rulesets_decode_and_reencode() {
    kernel_test(
        "kernel_shared_rulesets_decode_and_reencode",
        shared_rulesets,
    );
}

fn shared_rulesets() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");
    for (family, file) in [
        (Family::Ipv4, "conformance/rules.v4"),
        (Family::Ipv6, "conformance/rules.v6"),
        (Family::Ipv4, "docker/docker-27.v4"),
        (Family::Ipv4, "docker/docker-29.v4"),
        (Family::Ipv6, "docker/docker-29.v6"),
    ] {
        check_ruleset(family, &format!("{dir}/{file}"));
    }
}
