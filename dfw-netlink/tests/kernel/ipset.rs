//! The ipset client and `-m set` rules against the kernel, with the real `ipset` tool and
//! iptables-nft 1.8.9 as the oracles (each test in its own private network namespace, gated by
//! `kernel_test`).

use std::net::IpAddr;

use dfw_core::model::matches::{SetMatch, SetName};
use dfw_core::model::{ChainName, Family, Match, Network, Rule, TableName, Target};
use dfw_netlink::firewall::{ChainTarget, ChangeSet, Firewall};
use dfw_netlink::ipset::{CreateSpec, Entry, IpsetClient, IpsetError, IpsetOp, ListMode, Members};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::NetlinkSocket;
use dfw_netlink::{NetlinkTransport, Transport};

fn name(s: &str) -> SetName {
    SetName::new(s).unwrap()
}

fn net(s: &str) -> Network {
    let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
    let a: IpAddr = a.parse().unwrap();
    match p {
        Some(p) => Network::with_prefix(a, p.parse().unwrap()).unwrap(),
        None => Network::host(a),
    }
}

fn conn() -> NetlinkTransport {
    NetlinkTransport::new(NetlinkSocket::open().unwrap())
}

fn spec(n: &str, family: Family, timeout: Option<u32>) -> CreateSpec {
    CreateSpec {
        name: name(n),
        family,
        revision: 7,
        hashsize: 1024,
        maxelem: 65536,
        timeout,
    }
}

fn ipset(args: &[&str]) -> Result<String, String> {
    run_cmd("ipset", args)
}

#[test]
fn kernel_ipset_client_against_the_ipset_tool() {
    kernel_test("kernel_ipset_client_against_the_ipset_tool", || {
        let mut t = conn();
        let mut c = IpsetClient::new(&mut t);
        let p = c.protocol().unwrap();
        assert_eq!(p.protocol, 7);
        let rev = c.hash_net_revision(Family::Ipv4).unwrap();
        assert!(rev >= 1);
        let s4 = CreateSpec {
            revision: rev,
            ..spec("dfw-test4", Family::Ipv4, Some(0))
        };
        c.create(&s4).unwrap();
        c.add(&s4.name, &Entry::net(net("192.0.2.0/24")), false)
            .unwrap();
        c.add(
            &s4.name,
            &Entry {
                net: net("198.51.100.7"),
                timeout: Some(600),
            },
            false,
        )
        .unwrap();
        let bulk: Vec<Entry> = (0..3000u32)
            .map(|i| {
                Entry::net(Network::host(IpAddr::from([
                    10,
                    1,
                    (i >> 8) as u8,
                    i as u8,
                ])))
            })
            .collect();
        c.add_all(&s4.name, &bulk, false).unwrap();
        // The oracle sees what dfw wrote.
        let text = ipset(&["list", "dfw-test4"]).unwrap();
        assert!(text.contains("Type: hash:net"), "{text}");
        assert!(text.contains("family inet hashsize"), "{text}");
        assert!(text.contains("Number of entries: 3002"), "{text}");
        assert!(text.contains("192.0.2.0/24 timeout 0"), "{text}");
        assert!(ipset(&["test", "dfw-test4", "192.0.2.77"]).is_ok());
        assert!(ipset(&["test", "dfw-test4", "10.1.11.183"]).is_ok());
        assert!(ipset(&["test", "dfw-test4", "203.0.113.1"]).is_err());
        // dfw tests and lists what is there.
        let mut c = IpsetClient::new(&mut t);
        assert!(c.test(&s4.name, &net("192.0.2.1")).unwrap());
        assert!(!c.test(&s4.name, &net("203.0.113.1")).unwrap());
        let l = c.list(Some(&s4.name), ListMode::Full).unwrap();
        let Members::Nets(m) = &l[0].members else {
            panic!("{:?}", l[0].members)
        };
        assert_eq!(m.len(), 3002);
        assert!(m
            .iter()
            .any(|m| m.net == net("198.51.100.7") && m.timeout.is_some_and(|t| t > 500)));
        // A set the ipset tool made, listed by dfw; then swapped, flushed, destroyed by dfw.
        ipset(&["create", "other6", "hash:net", "family", "inet6"]).unwrap();
        ipset(&["add", "other6", "2001:db8::/32"]).unwrap();
        ipset(&["create", "dfw-test4b", "hash:net", "timeout", "0"]).unwrap();
        ipset(&["add", "dfw-test4b", "203.0.113.0/24"]).unwrap();
        let mut c = IpsetClient::new(&mut t);
        let all = c.list(None, ListMode::Full).unwrap();
        let o6 = all.iter().find(|s| s.name.as_str() == "other6").unwrap();
        assert_eq!(o6.family, Some(Family::Ipv6));
        assert_eq!(
            o6.members,
            Members::Nets(vec![dfw_netlink::ipset::Member {
                net: net("2001:db8::/32"),
                timeout: None,
                nomatch: false,
            }])
        );
        c.swap(&s4.name, &name("dfw-test4b")).unwrap();
        assert!(ipset(&["test", "dfw-test4", "203.0.113.9"]).is_ok());
        assert!(ipset(&["test", "dfw-test4b", "192.0.2.9"]).is_ok());
        let mut c = IpsetClient::new(&mut t);
        c.del(&s4.name, &net("203.0.113.0/24"), false).unwrap();
        assert!(ipset(&["test", "dfw-test4", "203.0.113.9"]).is_err());
        c.flush(&name("dfw-test4b")).unwrap();
        assert!(ipset(&["list", "dfw-test4b"])
            .unwrap()
            .contains("Number of entries: 0"));
        c.destroy(&name("dfw-test4b")).unwrap();
        assert!(ipset(&["list", "dfw-test4b"]).is_err());
        let h = c.header(&s4.name).unwrap().unwrap();
        assert_eq!(
            (h.typename.as_str(), h.family),
            ("hash:net", Some(Family::Ipv4))
        );
        assert_eq!(c.header(&name("dfw-none")).unwrap(), None);
    });
}

#[test]
fn kernel_ipset_errors_name_the_set_and_the_entry() {
    kernel_test("kernel_ipset_errors_name_the_set_and_the_entry", || {
        let mut t = conn();
        let mut c = IpsetClient::new(&mut t);
        let e = c
            .add(&name("dfw-none"), &Entry::net(net("192.0.2.1")), false)
            .unwrap_err();
        assert!(matches!(
            e,
            IpsetError::Rejected {
                op: IpsetOp::Add,
                code: libc::ENOENT,
                ..
            }
        ));
        assert_eq!(
            e.to_string(),
            "ipset add dfw-none 192.0.2.1/32: ENOENT (no such set)"
        );
        let s = spec("dfw-e4", Family::Ipv4, None);
        c.create(&s).unwrap();
        assert_eq!(c.create(&s).unwrap_err().code(), Some(libc::EEXIST));
        // A duplicate in the middle of a bulk add names that entry (the kernel's line number).
        let mut bulk: Vec<Entry> = (1..=200u8)
            .map(|i| Entry::net(Network::host(IpAddr::from([192, 0, 2, i]))))
            .collect();
        bulk.insert(150, Entry::net(net("192.0.2.17")));
        let e = c.add_all(&s.name, &bulk, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ipset add dfw-e4 192.0.2.17/32: IPSET_ERR_EXIST (the entry or set already exists \
             (or, for a test, is not in the set))"
        );
        let e = c
            .add(&s.name, &Entry::net(net("2001:db8::1")), false)
            .unwrap_err();
        assert!(e.code().is_some(), "{e}");
        let e = c
            .add(
                &s.name,
                &Entry {
                    net: net("192.0.2.250"),
                    timeout: Some(5),
                },
                false,
            )
            .unwrap_err();
        assert_eq!(e.code(), Some(4107), "{e}"); // IPSET_ERR_TIMEOUT: no timeout support
                                                 // A set a rule refers to cannot be destroyed.
        run_cmd(
            "iptables",
            &[
                "-A",
                "INPUT",
                "-m",
                "set",
                "--match-set",
                "dfw-e4",
                "src",
                "-j",
                "DROP",
            ],
        )
        .unwrap();
        let mut c = IpsetClient::new(&mut t);
        let e = c.destroy(&s.name).unwrap_err();
        assert_eq!(e.code(), Some(4100), "{e}");
    });
}

fn set_rule(set: &str, negated: bool) -> Rule {
    let m = SetMatch::new(
        name(set),
        vec![dfw_core::model::matches::SetDir::Src],
        negated,
    )
    .unwrap();
    Rule {
        matches: vec![Match::Set(m)],
        target: Some(Target::Drop),
        ..Rule::default()
    }
}

#[test]
fn kernel_set_rules_read_by_iptables() {
    kernel_test("kernel_set_rules_read_by_iptables", || {
        ipset(&["create", "first", "hash:net"]).unwrap();
        ipset(&["create", "dfw-b4", "hash:net"]).unwrap();
        ipset(&["create", "dfw-b6", "hash:net", "family", "inet6"]).unwrap();
        let mut fw = Firewall::open().unwrap();
        let target = |family, rules: Vec<dfw_core::model::Rule>| ChainTarget {
            family,
            table: TableName::Filter,
            chain: ChainName::new("INPUT").unwrap(),
            create: true,
            policy: None,
            rules: rules.into_iter().map(Into::into).collect(),
        };
        let change = ChangeSet {
            chains: vec![
                target(
                    Family::Ipv4,
                    vec![set_rule("dfw-b4", false), set_rule("first", true)],
                ),
                target(Family::Ipv6, vec![set_rule("dfw-b6", false)]),
            ],
            delete_chains: vec![],
        };
        assert!(fw.apply(&change).unwrap().committed);
        let save = run_cmd("iptables-save", &[]).unwrap();
        assert!(
            save.contains("-A INPUT -m set --match-set dfw-b4 src -j DROP\n"),
            "{save}"
        );
        assert!(
            save.contains("-A INPUT -m set ! --match-set first src -j DROP\n"),
            "{save}"
        );
        let save6 = run_cmd("ip6tables-save", &[]).unwrap();
        assert!(
            save6.contains("-A INPUT -m set --match-set dfw-b6 src -j DROP\n"),
            "{save6}"
        );
        run_cmd(
            "iptables",
            &[
                "-C",
                "INPUT",
                "-m",
                "set",
                "--match-set",
                "dfw-b4",
                "src",
                "-j",
                "DROP",
            ],
        )
        .unwrap();
        assert!(ipset(&["list", "dfw-b4"])
            .unwrap()
            .contains("References: 1"));
        // A second apply of the same change set is a no-op.
        assert!(!fw.apply(&change).unwrap().committed);
        // dfw reads back what it wrote, and what iptables wrote, as model rules.
        run_cmd(
            "iptables",
            &[
                "-A",
                "INPUT",
                "-m",
                "set",
                "--match-set",
                "first",
                "src,dst",
                "-j",
                "ACCEPT",
            ],
        )
        .unwrap();
        let chains = fw
            .read_chains(Family::Ipv4, TableName::Filter, &["INPUT"])
            .unwrap();
        let rules: Vec<String> = chains[0]
            .rules
            .iter()
            .map(|r| match r.rule.rule() {
                Some(rule) => dfw_core::syntax::print_rule(
                    &ChainName::new("INPUT").unwrap(),
                    rule,
                    Default::default(),
                ),
                None => format!("opaque {:?}", r.rule),
            })
            .collect();
        assert_eq!(
            rules,
            [
                "-A INPUT -m set --match-set dfw-b4 src -j DROP",
                "-A INPUT -m set ! --match-set first src -j DROP",
                "-A INPUT -m set --match-set first src,dst -j ACCEPT",
            ]
        );
        // A rule naming a set that does not exist is refused before anything is sent.
        let bad = ChangeSet {
            chains: vec![target(Family::Ipv4, vec![set_rule("dfw-missing", false)])],
            delete_chains: vec![],
        };
        let e = fw.apply(&bad).unwrap_err();
        assert!(e.to_string().contains("dfw-missing: no such set"), "{e}");
        let _ = fw.transport().generation().unwrap();
    });
}
