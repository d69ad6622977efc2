//! The extensions added for ufw, fail2ban and Docker's neighbours in the evaluator: which are
//! decided from the packet, which are unknown, and which verdicts an unknown one changes.

use crate::eval::flow::Flow;
use crate::eval::matcher;
use crate::eval::{audit, explain, Decision, Packet, Reach, Trace, Tri, Verdict};
use crate::model::matches::{MacAddr, PktType};
use crate::model::{Family, Hook, Policy, TableName};

use super::hosts::{docker_host, ip, ETH0_V4, ETH0_V6};
use super::rules::{rule, ruleset};

fn syn(port: u16) -> Packet {
    Packet::tcp_syn("eth0", ip("203.0.113.5"), ip(ETH0_V4), port)
}

/// One rule's match result for `p` after the conntrack hook, in `hook`.
fn at(p: &Packet, hook: Hook, text: &str) -> Tri {
    let host = docker_host();
    let family = p.family().unwrap();
    let mut flow = Flow::new(family, p, &host);
    flow.track();
    flow.hook = hook;
    matcher::rule(&rule(family, text), &flow)
}

fn pre(p: &Packet, text: &str) -> Tri {
    at(p, Hook::Prerouting, text)
}

fn is_unknown(t: Tri) -> bool {
    matches!(t, Tri::Unknown(_))
}

#[test]
fn packet_matches_are_decided_when_the_packet_says() {
    let p = syn(22);
    assert_eq!(pre(&p, "-m pkttype --pkt-type unicast"), Tri::Yes);
    assert_eq!(pre(&p, "-m pkttype ! --pkt-type broadcast"), Tri::Yes);
    let bcast = Packet::udp("eth0", ip("203.0.113.5"), ip("192.0.2.255"), 137);
    assert_eq!(pre(&bcast, "-m pkttype --pkt-type broadcast"), Tri::Yes);
    let mcast = Packet::udp("eth0", ip("203.0.113.5"), ip("224.0.0.251"), 5353);
    assert_eq!(pre(&mcast, "-m pkttype --pkt-type multicast"), Tri::Yes);
    let mut other = syn(22);
    other.details.pkttype = Some(PktType::OtherHost);
    assert_eq!(pre(&other, "-m pkttype --pkt-type unicast"), Tri::No);

    assert!(is_unknown(pre(&p, "-m ttl --ttl-lt 5")));
    assert!(is_unknown(pre(&p, "-m length --length 0:100")));
    assert!(is_unknown(pre(&p, "-m mac --mac-source 00:11:22:33:44:55")));
    let mut known = syn(22);
    known.details.ttl = Some(3);
    known.details.len = Some(60);
    known.details.src_mac = Some(MacAddr([0, 0x11, 0x22, 0x33, 0x44, 0x55]));
    assert_eq!(pre(&known, "-m ttl --ttl-lt 5"), Tri::Yes);
    assert_eq!(pre(&known, "-m ttl ! --ttl-eq 3"), Tri::No);
    assert_eq!(pre(&known, "-m ttl --ttl-gt 3"), Tri::No);
    assert_eq!(pre(&known, "-m length --length 0:100"), Tri::Yes);
    assert_eq!(pre(&known, "-m length ! --length 60"), Tri::No);
    assert_eq!(
        pre(&known, "-m mac --mac-source 00:11:22:33:44:55"),
        Tri::Yes
    );
    assert_eq!(
        pre(&known, "-m mac ! --mac-source 00:11:22:33:44:55"),
        Tri::No
    );
    assert!(is_unknown(at(
        &known,
        Hook::Postrouting,
        "-m mac --mac-source 00:11:22:33:44:55"
    )));

    let v6 = Packet::tcp_syn("eth0", ip("2001:db8::99"), ip(ETH0_V6), 22);
    // No routing header: rt never matches, inverted or not.
    assert_eq!(pre(&v6, "-m rt --rt-type 0"), Tri::No);
    assert_eq!(pre(&v6, "-m rt ! --rt-type 0"), Tri::No);
}

#[test]
fn sctp_ports_are_decided() {
    let p = Packet::sctp_init("eth0", ip("203.0.113.5"), ip(ETH0_V4), 132);
    assert_eq!(pre(&p, "-p sctp -m sctp --dport 132"), Tri::Yes);
    assert_eq!(pre(&p, "-p sctp -m sctp ! --dport 100:200"), Tri::No);
    assert!(is_unknown(pre(&p, "-p sctp -m sctp --sport 1024:65535")));
    assert_eq!(
        pre(
            &p.clone().with_sport(5000),
            "-p sctp -m sctp --sport 1024:65535"
        ),
        Tri::Yes
    );
    assert_eq!(pre(&p, "-p sctp -m multiport --dports 80,132"), Tri::Yes);
    assert_eq!(pre(&p, "-p tcp"), Tri::No);
}

#[test]
fn stateful_matches_are_unknown_and_recent_set_always_matches() {
    let p = syn(2222);
    for text in [
        "-m limit --limit 3/min",
        "-m hashlimit --hashlimit-upto 5/min --hashlimit-name x",
        "-m connlimit --connlimit-above 3",
        "-m recent --rcheck --name DEFAULT",
        "-m recent --update --seconds 30 --hitcount 6 --name DEFAULT",
    ] {
        match pre(&p, text) {
            Tri::Unknown(reason) => assert!(reason.contains(&text[3..8]), "{text}: {reason}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    assert_eq!(pre(&p, "-m recent --set --name DEFAULT"), Tri::Yes);
    assert_eq!(pre(&p, "-m recent ! --set --name DEFAULT"), Tri::No);
}

#[test]
fn owner_and_physdev_without_socket_or_bridge() {
    // A forwarded packet has no local socket: owner holds only when every option is inverted.
    let p = syn(80);
    assert_eq!(at(&p, Hook::Postrouting, "-m owner --uid-owner 0"), Tri::No);
    assert_eq!(
        at(&p, Hook::Postrouting, "-m owner ! --uid-owner 0"),
        Tri::Yes
    );
    assert_eq!(
        at(
            &p,
            Hook::Postrouting,
            "-m owner ! --uid-owner 0 --socket-exists"
        ),
        Tri::No
    );
    assert!(is_unknown(at(&p, Hook::Input, "-m owner --uid-owner 0")));
    // From eth0 (not a bridge): no bridge information.
    assert_eq!(pre(&p, "-m physdev --physdev-is-bridged"), Tri::No);
    assert_eq!(
        pre(&p, "-m physdev ! --physdev-is-bridged ! --physdev-in eth0"),
        Tri::Yes
    );
    let from_bridge = Packet::tcp_syn("docker0", ip("172.17.0.2"), ip("198.51.100.1"), 80);
    assert!(is_unknown(pre(
        &from_bridge,
        "-m physdev --physdev-is-bridged"
    )));
}

fn explain_v4(tables: &str, p: &Packet) -> Trace {
    explain(&ruleset(Family::Ipv4, tables), p, &docker_host()).unwrap()
}

#[test]
fn an_unknown_rule_changes_only_the_verdicts_it_can_change() {
    // limit -j ACCEPT before a DROP policy: the packet may be accepted or dropped.
    let t = explain_v4(
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 3/min -j ACCEPT\nCOMMIT\n",
        &syn(22),
    );
    match &t.verdict {
        Verdict::Unknown(u) => {
            let at = u.rule.as_ref().expect("names the rule");
            assert_eq!((at.chain.as_str(), at.number), ("INPUT", 1));
            assert!(
                u.reason.contains("ACCEPT") && u.reason.contains("DROP"),
                "{}",
                u.reason
            );
        }
        other => panic!("{other:?}"),
    }
    // The same rule before an ACCEPT policy cannot change the verdict.
    let t = explain_v4(
        "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m limit --limit 3/min -j ACCEPT\nCOMMIT\n",
        &syn(22),
    );
    assert_eq!(t.verdict, Verdict::Accept);
    // A rate-limited LOG never changes anything: not even explored.
    let t = explain_v4(
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -m limit --limit 3/min -j LOG\n-A INPUT -j ACCEPT\nCOMMIT\n",
        &syn(22),
    );
    assert_eq!((t.verdict, t.paths), (Verdict::Accept, 1));
}

#[test]
fn marks_set_by_mark_and_connmark_decide_later_matches() {
    let t = explain_v4(
        "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-mark 0x1\nCOMMIT\n\
         *filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x1 -j DROP\nCOMMIT\n",
        &syn(22),
    );
    assert_eq!(t.verdict, Verdict::Drop);
    // A masked MARK on an unknown mark leaves it unknown.
    let t = explain_v4(
        "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j MARK --set-xmark 0x1/0x1\nCOMMIT\n\
         *filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x3 -j DROP\nCOMMIT\n",
        &syn(22),
    );
    assert!(t.verdict.is_unknown());
    // A new connection's mark is 0; CONNMARK sets it, --restore-mark copies it to the packet.
    let t = explain_v4(
        "*filter\n:INPUT DROP [0:0]\n-A INPUT -m connmark --mark 0x0 -j ACCEPT\nCOMMIT\n",
        &syn(22),
    );
    assert_eq!(t.verdict, Verdict::Accept);
    let t = explain_v4(
        "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j CONNMARK --set-mark 0x5\n\
         -A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff\nCOMMIT\n\
         *filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m mark --mark 0x5 -j DROP\nCOMMIT\n",
        &syn(22),
    );
    assert_eq!(t.verdict, Verdict::Drop);
}

#[test]
fn notrack_makes_the_packet_untracked_and_skips_nat() {
    let tables = "*raw\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 22 -j CT --notrack\nCOMMIT\n\
         *nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -j DNAT --to-destination 172.17.0.2:22\nCOMMIT\n\
         *filter\n:INPUT DROP [0:0]\n-A INPUT -m conntrack --ctstate NEW -j ACCEPT\n\
         -A INPUT -m conntrack --ctstate UNTRACKED -j REJECT\nCOMMIT\n";
    let t = explain_v4(tables, &syn(22));
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{:?}", t.verdict);
    assert!(t.dnat.is_none());
    // Other ports are tracked: NEW, DNAT to the container (FORWARD: accept by default).
    let t = explain_v4(tables, &syn(23));
    assert_eq!(t.verdict, Verdict::Accept);
    assert!(t.dnat.is_some());
}

#[test]
fn redirect_is_a_dnat_to_the_incoming_address() {
    let t = explain_v4(
        "*nat\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 8080\nCOMMIT\n\
         *filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -m tcp --dport 8080 -j ACCEPT\nCOMMIT\n",
        &syn(80),
    );
    assert_eq!(t.verdict, Verdict::Accept);
    let d = t.dnat.expect("redirected");
    assert_eq!((d.dst, d.port), (ip(ETH0_V4), Some(8080)));
}

/// ufw 0.36.2's real ruleset (testdata/neighbours/ufw.v4): allow 22/tcp, limit 2222/tcp,
/// allow 80/tcp from 192.0.2.0/24, default deny.
#[test]
fn ufw_ruleset_allow_limit_and_deny() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/neighbours/ufw.v4"
    ))
    .unwrap();
    let rs = ruleset(Family::Ipv4, &text);
    let host = docker_host();
    let go = |p: Packet| explain(&rs, &p, &host).unwrap();
    assert_eq!(go(syn(22)).verdict, Verdict::Accept);
    // ufw limit: the recent match decides; the connection is accepted or rejected.
    match go(syn(2222)).verdict {
        Verdict::Unknown(u) => {
            let at = u.rule.expect("names the rule");
            assert_eq!(at.table, TableName::Filter);
            assert!(u.reason.contains("recent"), "{}", u.reason);
        }
        other => panic!("2222: {other:?}"),
    }
    let lan = Packet::tcp_syn("eth0", ip("192.0.2.55"), ip(ETH0_V4), 80);
    assert_eq!(go(lan).verdict, Verdict::Accept);
    let t = go(syn(80));
    assert_eq!(t.verdict, Verdict::Drop);
    assert!(matches!(
        t.decided_by,
        Some(Decision::Policy {
            policy: Policy::Drop,
            ..
        })
    ));
}

/// Docker publishes SCTP ports with `-p sctp -m sctp --dport`: the audit decides them.
#[test]
fn docker_sctp_publish_is_audited() {
    let text = "*nat\n:PREROUTING ACCEPT [0:0]\n:DOCKER - [0:0]\n\
        -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER\n\
        -A DOCKER ! -i docker0 -p sctp -m sctp --dport 8132 -j DNAT --to-destination 172.17.0.2:132\nCOMMIT\n\
        *filter\n:FORWARD DROP [0:0]\n:DOCKER - [0:0]\n-A FORWARD -o docker0 -j DOCKER\n\
        -A DOCKER -d 172.17.0.2/32 ! -i docker0 -o docker0 -p sctp -m sctp --dport 132 -j ACCEPT\nCOMMIT\n";
    let rs = ruleset(Family::Ipv4, text);
    let a = audit(&rs, &docker_host());
    let p = a.published.first().expect("the SCTP port");
    assert_eq!(p.proto.map(|p| p.number()), Some(132));
    let eth0 = p.exposure.iter().find(|e| e.iface == "eth0").expect("eth0");
    assert_eq!(eth0.reach, Reach::Everyone, "{:?}", eth0);
    let probe = &eth0.probes[0];
    assert_eq!(probe.dnat.as_ref().map(|d| d.port), Some(Some(132)));
}

/// The audit of ufw's ruleset: 22 open to everyone, 2222 (ufw limit) possibly to everyone,
/// depending on the recent list, 80 to the LAN.
#[test]
fn ufw_audit_says_possibly_for_a_limited_port() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/neighbours/ufw.v4"
    ))
    .unwrap();
    let a = audit(&ruleset(Family::Ipv4, &text), &docker_host());
    let reach = |port: u16| {
        let h = a
            .host_ports
            .iter()
            .find(|h| h.port == port && h.proto.number() == 6)
            .unwrap_or_else(|| panic!("host port {port}"));
        h.exposure[0].reach.clone()
    };
    assert_eq!(reach(22), Reach::Everyone);
    match reach(2222) {
        Reach::Possibly(sets, u) => {
            assert!(sets.contains(&crate::eval::SourceSet::Outside), "{sets:?}");
            assert!(u.reason.contains("recent"), "{}", u.reason);
        }
        other => panic!("2222: {other:?}"),
    }
    assert_eq!(reach(80), Reach::LanOnly);
}
