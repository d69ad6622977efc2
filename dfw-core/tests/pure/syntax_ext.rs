//! The iptables-restore syntax of the extensions added for ufw, fail2ban and Docker's
//! neighbours: what iptables accepts in other spellings reads as iptables-save prints it, what
//! other releases print reads too, and every mistake names line, column and token.

use crate::support;

use dfw_core::model::Family;
use dfw_core::syntax::{parse_rule, rule_spec};
use support::errors::{check, err_at_6, v4};

/// `input` parses and prints as `saved` (iptables 1.8.9's iptables-save of the same command,
/// measured).
fn reads_as(family: Family, input: &str, saved: &str) {
    let r = parse_rule(family, input).unwrap_or_else(|e| panic!("{input}: {e}"));
    assert_eq!(rule_spec(&r).trim_start(), saved, "{input}");
}

#[test]
fn other_spellings_read_as_iptables_save_prints_them() {
    let v4 = |i, s| reads_as(Family::Ipv4, i, s);
    v4("-m limit", "-m limit --limit 3/hour");
    v4("-m limit --limit 120/minute", "-m limit --limit 2/sec");
    v4(
        "-m limit --limit 5/m --limit-burst 0",
        "-m limit --limit 5/min",
    );
    v4(
        "-m recent --set",
        "-m recent --set --name DEFAULT --mask 255.255.255.255 --rsource",
    );
    v4(
        "-m hashlimit --hashlimit 5/min --hashlimit-name x",
        "-m hashlimit --hashlimit-upto 5/min --hashlimit-burst 5 --hashlimit-name x",
    );
    v4(
        "-m hashlimit ! --hashlimit-above 1/s --hashlimit-name x --hashlimit-srcmask 32",
        "-m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 5 --hashlimit-name x",
    );
    v4(
        "-m connlimit ! --connlimit-upto 3",
        "-m connlimit --connlimit-above 3 --connlimit-mask 32 --connlimit-saddr",
    );
    v4(
        "-m pkttype --pkt-type BCAST",
        "-m pkttype --pkt-type broadcast",
    );
    v4(
        "-m mac --mac-source 0:1:2:A:b:C",
        "-m mac --mac-source 00:01:02:0a:0b:0c",
    );
    v4("-m length --length :100", "-m length --length 0:100");
    v4("-m ttl --ttl 5", "-m ttl --ttl-eq 5");
    v4("-m owner --uid-owner 5:7", "-m owner --uid-owner 5-7");
    v4("-p sctp --dport 80", "-p sctp -m sctp --dport 80");
    v4("-m connmark --mark 1/0xff", "-m connmark --mark 0x1/0xff");
    v4("-j MARK --set-mark 5", "-j MARK --set-xmark 0x5/0xffffffff");
    v4(
        "-j MARK --and-mark 0xff",
        "-j MARK --set-xmark 0x0/0xffffff00",
    );
    v4(
        "-j CONNMARK --save-mark",
        "-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff",
    );
    v4(
        "-j CONNMARK --restore-mark --mask 0xff",
        "-j CONNMARK --restore-mark --nfmask 0xff --ctmask 0xff",
    );
    v4("-j NOTRACK", "-j NOTRACK");
    v4("-j CT --zone 0", "-j CT");
    v4("-j NFLOG --nflog-threshold 0", "-j NFLOG");
    reads_as(Family::Ipv6, "-m hl --hl 5", "-m hl --hl-eq 5");
    reads_as(
        Family::Ipv6,
        "-m rt --rt-segsleft 3",
        "-m rt --rt-segsleft 3",
    );
}

#[test]
fn iptables_1_8_7_spellings_read_too() {
    // 1.8.7 ends a rule without target with a space and writes `--nflog-prefix  "x"`.
    let text = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
                -A INPUT -m recent --remove --name Y --mask 255.255.255.255 --rsource \n\
                -A INPUT -j NFLOG --nflog-prefix  \"dfw drop\" --nflog-group 2\n\
                -A INPUT -m pkttype --pkt-type otherhost\nCOMMIT\n";
    let rs = dfw_core::syntax::parse_ruleset(Family::Ipv4, text).unwrap();
    let printed = dfw_core::syntax::print_ruleset(&rs, Default::default());
    assert!(printed.contains("--rsource\n") && printed.contains("--nflog-prefix \"dfw drop\""));
}

#[test]
fn mistakes_name_line_column_and_token() {
    check(
        &v4("-A INPUT -m limit --limit abc -j ACCEPT"),
        6,
        27,
        "abc",
        "expected a rate",
    );
    check(
        &v4("-A INPUT -m limit --limit 20000/s"),
        6,
        27,
        "20000/s",
        "at most 10000/second",
    );
    check(
        &v4("-A INPUT -m limit --limit-burst 10001"),
        6,
        33,
        "10001",
        "burst",
    );
    check(
        &v4("-A INPUT -m limit ! --limit 1/s"),
        6,
        21,
        "--limit",
        "inverted",
    );
    check(
        &v4("-A INPUT -m recent --name x"),
        6,
        13,
        "recent",
        "--set, --rcheck",
    );
    check(
        &v4("-A INPUT -m recent --set --rcheck"),
        6,
        26,
        "--rcheck",
        "option used twice",
    );
    check(
        &v4("-A INPUT -m recent --set --name a/b"),
        6,
        13,
        "recent",
        "--name",
    );
    check(
        &v4("-A INPUT -m recent --rcheck --reap"),
        6,
        13,
        "recent",
        "--reap needs --seconds",
    );
    check(
        &v4("-A INPUT -m recent --rcheck --mask ::1"),
        6,
        36,
        "::1",
        "not IPv4",
    );
    check(
        &v4("-A INPUT -m hashlimit --hashlimit-upto 5/min"),
        6,
        13,
        "hashlimit",
        "--hashlimit-name",
    );
    check(
        &v4("-A INPUT -m hashlimit --hashlimit-upto 5/min --hashlimit-name x --hashlimit-burst 0"),
        6,
        83,
        "0",
        "burst",
    );
    check(
        &v4("-A INPUT -m hashlimit --hashlimit-upto 5/min --hashlimit-name x --hashlimit-mode foo"),
        6,
        82,
        "foo",
        "srcip",
    );
    check(
        &v4("-A INPUT -m connlimit --connlimit-mask 24"),
        6,
        13,
        "connlimit",
        "--connlimit-above",
    );
    check(
        &v4("-A INPUT -m connlimit --connlimit-above 1 --connlimit-mask 33"),
        6,
        60,
        "33",
        "prefix length",
    );
    check(
        &v4("-A INPUT -m pkttype --pkt-type outgoing"),
        6,
        32,
        "outgoing",
        "unicast",
    );
    check(
        &v4("-A INPUT -m mac --mac-source 00:11:22:33:44"),
        6,
        30,
        "00:11:22:33:44",
        "MAC address",
    );
    check(
        &v4("-A OUTPUT -m owner --uid-owner root"),
        6,
        32,
        "root",
        "not supported",
    );
    check(
        &v4("-A OUTPUT -m owner --suppl-groups"),
        6,
        20,
        "--suppl-groups",
        "--gid-owner",
    );
    check(
        &v4("-A INPUT -m physdev --physdev-in +"),
        6,
        34,
        "+",
        "interface name",
    );
    check(
        &v4("-A INPUT -p sctp -m sctp --chunk-types any INIT"),
        6,
        26,
        "--chunk-types",
        "not supported",
    );
    check(
        &v4("-A INPUT -m sctp --dport 80"),
        6,
        10,
        "-m",
        "-m sctp needs -p sctp",
    );
    check(&v4("-A INPUT -m ttl --ttl-eq 256"), 6, 26, "256", "0-255");
    check(
        &v4("-A INPUT -m ttl ! --ttl-lt 5"),
        6,
        19,
        "--ttl-lt",
        "inverted",
    );
    check(
        &v4("-A INPUT -m hl --hl-eq 5"),
        6,
        13,
        "hl",
        "unknown match",
    );
    check(
        &err_at_6(Family::Ipv6, "-A INPUT -m ttl --ttl-eq 5"),
        6,
        13,
        "ttl",
        "unknown match",
    );
    check(
        &v4("-A INPUT -m length --length 1:2:3"),
        6,
        29,
        "1:2:3",
        "length",
    );
    check(
        &err_at_6(Family::Ipv6, "-A INPUT -m rt --rt-0-res"),
        6,
        16,
        "--rt-0-res",
        "--rt-type 0",
    );
    check(&v4("-A INPUT -m connmark"), 6, 13, "connmark", "--mark");
    check(&v4("-A INPUT -j MARK"), 6, 13, "MARK", "--set-xmark");
    check(
        &v4("-A INPUT -j MARK --set-mark 1 --or-mark 2"),
        6,
        31,
        "--or-mark",
        "option used twice",
    );
    check(
        &v4("-A INPUT -j CONNMARK --set-mark 1 --nfmask 2"),
        6,
        13,
        "CONNMARK",
        "--nfmask",
    );
    check(
        &v4("-A INPUT -j CONNMARK --save-mark --left-shift-mark 33"),
        6,
        52,
        "33",
        "shift",
    );
    check(
        &v4("-A INPUT -j TCPMSS --set-mss 1400"),
        6,
        10,
        "-j",
        "-j TCPMSS needs -p tcp",
    );
    check(
        &v4("-A INPUT -p tcp -j TCPMSS --set-mss 65516"),
        6,
        37,
        "65516",
        "MSS",
    );
    check(
        &v4("-A INPUT -j REDIRECT --to-ports 8080"),
        6,
        33,
        "8080",
        "-p tcp",
    );
    check(
        &v4("-A INPUT -p tcp -j REDIRECT --to-ports 80:90"),
        6,
        40,
        "80:90",
        "dash",
    );
    check(
        &v4("-A INPUT -j CT --helper 0123456789abcdef"),
        6,
        13,
        "CT",
        "--helper",
    );
    check(
        &v4("-A INPUT -j CT --ctevents new,bogus"),
        6,
        27,
        "new,bogus",
        "event names",
    );
    check(
        &v4("-A INPUT -j NOTRACK --notrack"),
        6,
        21,
        "--notrack",
        "unknown option",
    );
    check(
        &v4(&format!(
            "-A INPUT -j NFLOG --nflog-prefix {}",
            "x".repeat(64)
        )),
        6,
        13,
        "NFLOG",
        "63 bytes",
    );
    check(
        &v4("-A INPUT -j NFLOG --nflog-range 5"),
        6,
        13,
        "NFLOG",
        "--nflog-size",
    );
}
