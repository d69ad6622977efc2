//! Differential test against the real iptables 1.8.9 (needs root, `unshare`, `strace` and
//! iptables-nft; run with `cargo test -p dfw-netlink --test iptables_oracle_needs_root --
//! --ignored`).
//!
//! For each command, iptables runs under strace in a fresh network namespace; the NEWRULE it
//! sends is parsed back into expressions and the compat attribute (a small parser local to this
//! test), then:
//! - `decode_rule` must give a model rule (never opaque);
//! - encoding that rule must give iptables' exact expressions and compat attribute, except for
//!   the rules iptables writes natively (tcp/udp ports and flags, mark), where dfw deliberately
//!   writes xt matches: there the dfw encoding must decode to the same rule.
#![cfg(target_endian = "little")]

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use dfw_core::model::Family;
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use dfw_netlink::rule_codec::{decode_rule, encode_rule, Compat, DecodedRule};

fn attrs(b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= b.len() {
        let len = u16::from_le_bytes([b[i], b[i + 1]]) as usize;
        let kind = u16::from_le_bytes([b[i + 2], b[i + 3]]) & 0x3fff;
        if len < 4 || i + len > b.len() {
            break;
        }
        out.push((kind, &b[i + 4..i + len]));
        i += (len + 3) & !3;
    }
    out
}

fn get(a: &[(u16, &[u8])], k: u16) -> Vec<u8> {
    a.iter()
        .find(|(t, _)| *t == k)
        .map(|(_, v)| v.to_vec())
        .unwrap_or_default()
}

fn be32(a: &[(u16, &[u8])], k: u16) -> u32 {
    let v = get(a, k);
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

fn value(a: &[(u16, &[u8])], k: u16) -> Vec<u8> {
    get(&attrs(&get(a, k)), 1)
}

fn op(v: u32) -> CmpOp {
    [
        CmpOp::Eq,
        CmpOp::Neq,
        CmpOp::Lt,
        CmpOp::Lte,
        CmpOp::Gt,
        CmpOp::Gte,
    ][v as usize]
}

fn expr(e: &[u8]) -> Expr {
    let top = attrs(e);
    let name = String::from_utf8(get(&top, 1))
        .unwrap()
        .trim_end_matches('\0')
        .to_string();
    let data = get(&top, 2);
    let a = attrs(&data);
    match name.as_str() {
        "meta" => Expr::Meta {
            key: MetaKey(be32(&a, 2)),
            dreg: be32(&a, 1),
        },
        "payload" => Expr::Payload {
            base: [
                PayloadBase::LinkLayer,
                PayloadBase::Network,
                PayloadBase::Transport,
            ][be32(&a, 2) as usize],
            offset: be32(&a, 3),
            len: be32(&a, 4),
            dreg: be32(&a, 1),
        },
        "cmp" => Expr::Cmp {
            sreg: be32(&a, 1),
            op: op(be32(&a, 2)),
            data: value(&a, 3),
        },
        "bitwise" => Expr::Bitwise {
            sreg: be32(&a, 1),
            dreg: be32(&a, 2),
            len: be32(&a, 3),
            mask: value(&a, 4),
            xor: value(&a, 5),
        },
        "range" => Expr::Range {
            sreg: be32(&a, 1),
            op: op(be32(&a, 2)),
            from: value(&a, 3),
            to: value(&a, 4),
        },
        "counter" => {
            let n = |k| u64::from_be_bytes(get(&a, k).try_into().unwrap());
            Expr::Counter {
                packets: n(2),
                bytes: n(1),
            }
        }
        "immediate" => {
            let dbuf = get(&a, 2);
            let d = attrs(&dbuf);
            let vbuf = get(&d, 2);
            let v = attrs(&vbuf);
            let chain = || {
                String::from_utf8(get(&v, 2))
                    .unwrap()
                    .trim_end_matches('\0')
                    .to_string()
            };
            let verdict = match be32(&v, 1) as i32 {
                0 => Verdict::Drop,
                1 => Verdict::Accept,
                -5 => Verdict::Return,
                -3 => Verdict::Jump(chain()),
                -4 => Verdict::Goto(chain()),
                c => Verdict::Unknown(c),
            };
            Expr::Immediate {
                dreg: be32(&a, 1),
                data: ImmediateData::Verdict(verdict),
            }
        }
        "match" | "target" => {
            let n = String::from_utf8(get(&a, 1))
                .unwrap()
                .trim_end_matches('\0')
                .to_string();
            let (rev, info) = (be32(&a, 2), get(&a, 3));
            if name == "match" {
                Expr::Match { name: n, rev, info }
            } else {
                Expr::Target { name: n, rev, info }
            }
        }
        _ => Expr::Other { name, data },
    }
}

/// Runs `cmd` (after `setup`) under strace in a fresh netns; returns the NEWRULEs it sent.
fn capture(setup: &str, cmd: &str) -> Vec<(Vec<Expr>, Option<Compat>)> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("dfw-oracle-{}-{n}.txt", std::process::id()));
    let script = format!(
        "{setup} strace -f -qq -e trace=sendmsg -e write=all -o {} {cmd}",
        out.display()
    );
    let st = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .status()
        .unwrap();
    assert!(st.success(), "{cmd}");
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut bufs: Vec<Vec<u8>> = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        let l = l
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        if l.starts_with("* ") && l.contains("bytes in buffer") {
            bufs.push(Vec::new());
        } else if let Some(rest) = l.strip_prefix("| ") {
            let hexpart = rest.get(7..55).unwrap_or("");
            let b = bufs.last_mut().unwrap();
            b.extend(
                hexpart
                    .split_whitespace()
                    .map(|h| u8::from_str_radix(h, 16).unwrap()),
            );
        }
    }
    let mut rules = Vec::new();
    for b in bufs {
        let mut i = 0;
        while i + 16 <= b.len() {
            let len = u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as usize;
            let kind = u16::from_le_bytes([b[i + 4], b[i + 5]]);
            if len < 16 || i + len > b.len() {
                break;
            }
            if kind == (10 << 8) | 6 {
                let top = attrs(&b[i + 20..i + len]);
                let exprs = attrs(&get(&top, 4)).iter().map(|(_, e)| expr(e)).collect();
                let c = get(&top, 5);
                let compat = (!c.is_empty()).then(|| {
                    let ca = attrs(&c);
                    Compat {
                        proto: be32(&ca, 1),
                        flags: be32(&ca, 2),
                    }
                });
                rules.push((exprs, compat));
            }
            i += (len + 3) & !3;
        }
    }
    rules
}

/// Checks one command; `native` when iptables 1.8.9 writes part of it natively.
fn check(setup: &str, cmd: &str, native: bool) {
    let family = if cmd.starts_with("ip6tables") {
        Family::Ipv6
    } else {
        Family::Ipv4
    };
    let rules = capture(setup, cmd);
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
#[ignore = "needs root, unshare, strace and iptables 1.8.9 (nf_tables)"]
fn dfw_encodes_exactly_as_iptables_needs_root() {
    for cmd in XT {
        check("", cmd, false);
    }
    check("iptables -N FOO;", "iptables -A INPUT -j FOO", false);
    check("iptables -N FOO;", "iptables -A INPUT -g FOO", false);
    check("iptables -N FOO;", "iptables -A FOO -j RETURN", false);
}

#[test]
#[ignore = "needs root, unshare, strace and iptables 1.8.9 (nf_tables)"]
fn iptables_native_forms_decode_like_dfw_xt_forms_needs_root() {
    for cmd in NATIVE {
        check("", cmd, true);
    }
}
