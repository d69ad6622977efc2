//! Every match of the model against packets at a chosen point of their path (unit tests of
//! `matcher` and `ctmatch` through a [`Flow`]).

use crate::eval::flow::Flow;
use crate::eval::matcher;
use crate::eval::{Packet, Tri, L4};
use crate::model::matches::TcpFlag;
use crate::model::{Family, Hook};

use super::hosts::{docker_host, ip, ETH0_V4, ETH0_V6};
use super::rules::rule;

/// Where on the path the packet is evaluated.
#[derive(Clone, Copy)]
enum At {
    /// raw PREROUTING: no conntrack entry yet.
    Raw,
    /// mangle PREROUTING: new entry, not translated.
    Pre,
    /// filter FORWARD after a DNAT to 172.17.0.2:80 (or [fd00:dead:beef::2]:80), out docker0.
    Forward,
}

fn check(p: &Packet, at: At, text: &str) -> Tri {
    let host = docker_host();
    let family = p.family().unwrap();
    let mut flow = Flow::new(family, p, &host);
    if !matches!(at, At::Raw) {
        flow.track();
    }
    if let At::Forward = at {
        let to = match family {
            Family::Ipv4 => ip("172.17.0.2"),
            Family::Ipv6 => ip("fd00:dead:beef::2"),
        };
        flow.apply_dnat(to, Some(80));
        flow.hook = Hook::Forward;
        flow.out_iface = Some("docker0".into());
    }
    matcher::rule(&rule(family, text), &flow)
}

fn syn() -> Packet {
    Packet::tcp_syn("eth0", ip("203.0.113.5"), ip(ETH0_V4), 8080)
}

fn yes(p: &Packet, at: At, text: &str) {
    assert_eq!(check(p, at, text), Tri::Yes, "{text}");
}

fn no(p: &Packet, at: At, text: &str) {
    assert_eq!(check(p, at, text), Tri::No, "{text}");
}

fn unknown(p: &Packet, at: At, text: &str) {
    assert!(matches!(check(p, at, text), Tri::Unknown(_)), "{text}");
}

#[test]
fn interfaces_with_wildcards_and_negation() {
    let p = syn();
    yes(&p, At::Pre, "-i eth0");
    yes(&p, At::Pre, "-i eth+");
    no(&p, At::Pre, "! -i eth+");
    yes(&p, At::Pre, "! -i docker0");
    // No output device before routing: compared as the empty name.
    no(&p, At::Pre, "-o eth0");
    yes(&p, At::Pre, "! -o eth+");
    yes(&p, At::Forward, "-o docker+");
    no(&p, At::Forward, "! -i eth0 -o docker0");
}

#[test]
fn addresses_prefixes_and_noncontiguous_masks() {
    let p = syn();
    yes(&p, At::Pre, "-s 203.0.113.0/24 -d 192.0.2.10");
    no(&p, At::Pre, "! -s 203.0.113.0/24");
    yes(&p, At::Pre, "-s 203.7.113.9/255.0.255.0");
    no(&p, At::Pre, "-s 203.7.114.9/255.0.255.0");
    yes(&p, At::Forward, "-d 172.17.0.2/32");
    yes(&p, At::Pre, "-p tcp");
    yes(&p, At::Pre, "! -p udp");
    let p6 = Packet::tcp_syn("eth0", ip("2001:db8:1::5"), ip(ETH0_V6), 8080);
    yes(&p6, At::Pre, "! -s fe80::/10 -d 2001:db8::/32");
    yes(
        &p6,
        At::Pre,
        "-s 2001:db8:0:0:0:0:0:5/ffff:ffff:0:0:0:0:0:ffff",
    );
}

#[test]
fn tcp_and_udp_ports_and_flags() {
    let p = syn();
    yes(&p, At::Pre, "-p tcp -m tcp --dport 8000:8100");
    no(&p, At::Pre, "-p tcp -m tcp ! --dport 8080");
    unknown(&p, At::Pre, "-p tcp -m tcp --sport 1024:65535");
    yes(&p, At::Pre, "-p tcp -m tcp --sport 0:65535");
    yes(
        &p.clone().with_sport(40000),
        At::Pre,
        "-p tcp -m tcp --sport 1024:65535",
    );
    yes(&p, At::Pre, "-p tcp -m tcp --syn");
    yes(&p, At::Pre, "-p tcp -m tcp --tcp-flags SYN,ACK SYN");
    no(&p, At::Pre, "-p tcp -m tcp --tcp-flags ALL NONE");
    unknown(&p, At::Pre, "-p tcp -m tcp --tcp-option 2");
    let mut ack = p.clone();
    if let L4::Tcp { flags, .. } = &mut ack.l4 {
        *flags = TcpFlag::ACK | TcpFlag::PSH;
    }
    no(&ack, At::Raw, "-p tcp -m tcp --syn");
    let u = Packet::udp("eth0", ip("203.0.113.5"), ip(ETH0_V4), 5353);
    yes(&u, At::Pre, "-p udp -m udp --dport 5353");
    no(&u, At::Pre, "-p tcp -m tcp --dport 5353");
    // After DNAT the destination port is the container's.
    yes(&p, At::Forward, "-p tcp -m tcp --dport 80");
}

#[test]
fn multiport() {
    let p = syn();
    yes(&p, At::Pre, "-p tcp -m multiport --dports 22,8000:8100");
    no(&p, At::Pre, "-p tcp -m multiport ! --dports 22,8000:8100");
    unknown(&p, At::Pre, "-p tcp -m multiport --sports 22,8000:8100");
    yes(&p, At::Pre, "-p tcp -m multiport --ports 22,8080");
    unknown(&p, At::Pre, "-p tcp -m multiport --ports 22,443");
    no(
        &p.clone().with_sport(5),
        At::Pre,
        "-p tcp -m multiport --ports 22,443",
    );
}

#[test]
fn conntrack_of_a_new_connection() {
    let p = syn().with_sport(40000);
    yes(&p, At::Raw, "-m conntrack --ctstate INVALID");
    no(&p, At::Raw, "-m conntrack --ctstate NEW");
    // Without an entry, options other than the state never match.
    no(&p, At::Raw, "-m conntrack --ctorigdstport 8080");
    yes(&p, At::Pre, "-m conntrack --ctstate NEW");
    no(&p, At::Pre, "-m conntrack --ctstate DNAT");
    no(&p, At::Pre, "-m conntrack --ctstate RELATED,ESTABLISHED");
    yes(
        &p,
        At::Pre,
        "-m conntrack ! --ctstate RELATED,ESTABLISHED,INVALID,UNTRACKED",
    );
    yes(&p, At::Forward, "-m conntrack --ctstate DNAT");
    no(&p, At::Forward, "-m conntrack --ctstate SNAT");
    yes(
        &p,
        At::Forward,
        "-m conntrack --ctproto tcp --ctorigdstport 8080 --ctorigdst 192.0.2.10",
    );
    yes(&p, At::Forward, "-m conntrack --ctorigdstport 8000:8100");
    no(&p, At::Forward, "-m conntrack ! --ctorigdstport 8000:8100");
    yes(&p, At::Forward, "-m conntrack --ctorigsrc 203.0.0.0/8");
    yes(
        &p,
        At::Forward,
        "-m conntrack --ctreplsrc 172.17.0.2 --ctrepldst 203.0.113.5",
    );
    yes(
        &p,
        At::Forward,
        "-m conntrack --ctreplsrcport 80 --ctrepldstport 40000",
    );
    yes(&p, At::Forward, "-m conntrack --ctorigsrcport 40000");
    yes(&p, At::Forward, "-m conntrack --ctdir ORIGINAL");
    no(&p, At::Forward, "-m conntrack --ctdir REPLY");
    no(
        &p,
        At::Forward,
        "-m conntrack --ctstatus EXPECTED,SEEN_REPLY,ASSURED,CONFIRMED",
    );
    no(&p, At::Forward, "-m conntrack --ctstatus NONE");
    unknown(&p, At::Forward, "-m conntrack --ctexpire 0:100");
    unknown(&syn(), At::Forward, "-m conntrack --ctorigsrcport 40000");
    yes(&syn(), At::Forward, "-m state --state NEW");
    yes(&syn(), At::Raw, "-m state --state INVALID");
    no(&syn(), At::Pre, "-m state ! --state NEW");
}

#[test]
fn iprange_comment_and_mark() {
    let p = syn();
    yes(
        &p,
        At::Pre,
        "-m iprange --src-range 203.0.113.1-203.0.113.9",
    );
    no(
        &p,
        At::Pre,
        "-m iprange ! --src-range 203.0.113.1-203.0.113.9",
    );
    yes(&p, At::Pre, "-m iprange --dst-range 192.0.2.1-192.0.2.20");
    yes(&p, At::Pre, "-m comment --comment \"any text\"");
    unknown(&p, At::Pre, "-m mark --mark 0x1");
    let m = p.clone().with_mark(0x13);
    yes(&m, At::Pre, "-m mark --mark 0x3/0xf");
    no(&m, At::Pre, "-m mark ! --mark 0x3/0xf");
    no(&m, At::Pre, "-m mark --mark 0x3");
}

#[test]
fn icmp_and_icmp6_types() {
    let mut e = syn();
    e.l4 = L4::Icmp { typ: 8, code: 0 };
    yes(&e, At::Pre, "-p icmp -m icmp --icmp-type 8");
    yes(&e, At::Pre, "-p icmp -m icmp --icmp-type any");
    no(&e, At::Pre, "-p icmp -m icmp --icmp-type 3/4");
    no(&e, At::Pre, "-p icmp -m icmp ! --icmp-type 8/0");
    e.l4 = L4::Icmp { typ: 3, code: 4 };
    yes(&e, At::Raw, "-p icmp -m icmp --icmp-type 3/4");
    // An ICMP error's conntrack state depends on existing connections.
    unknown(&e, At::Pre, "-m conntrack --ctstate NEW");
    let mut e6 = Packet::tcp_syn("eth0", ip("2001:db8:1::5"), ip(ETH0_V6), 0);
    e6.l4 = L4::Icmp { typ: 128, code: 0 };
    yes(&e6, At::Pre, "-p ipv6-icmp -m icmp6 --icmpv6-type 128");
    no(&e6, At::Pre, "-p ipv6-icmp -m icmp6 --icmpv6-type 1");
    yes(&e6, At::Pre, "-m conntrack --ctstate NEW");
}

#[test]
fn addrtype_v4() {
    let p = syn();
    yes(&p, At::Pre, "-m addrtype --dst-type LOCAL");
    no(&p, At::Pre, "-m addrtype ! --dst-type LOCAL");
    yes(
        &p,
        At::Pre,
        "-m addrtype --src-type UNICAST --dst-type LOCAL,BROADCAST",
    );
    yes(&p, At::Pre, "-m addrtype --dst-type LOCAL --limit-iface-in");
    let via_bridge = Packet::tcp_syn("docker0", ip("172.17.0.2"), ip(ETH0_V4), 22);
    no(
        &via_bridge,
        At::Pre,
        "-m addrtype --dst-type LOCAL --limit-iface-in",
    );
    yes(&via_bridge, At::Pre, "-m addrtype --dst-type LOCAL");
    no(&p, At::Forward, "-m addrtype --dst-type LOCAL");
    let bc = Packet::udp("eth0", ip("192.0.2.7"), ip("192.0.2.255"), 137);
    yes(&bc, At::Pre, "-m addrtype --dst-type BROADCAST");
    let mc = Packet::udp("eth0", ip("192.0.2.7"), ip("224.0.0.251"), 5353);
    yes(&mc, At::Pre, "-m addrtype --dst-type MULTICAST");
    let lo = Packet::udp("eth0", ip("192.0.2.7"), ip("127.0.0.53"), 53);
    yes(&lo, At::Pre, "-m addrtype --dst-type LOCAL");
    let na = Packet::udp("eth0", ip("192.0.2.7"), ip("192.0.2.0"), 53);
    unknown(&na, At::Pre, "-m addrtype --dst-type LOCAL");
}

#[test]
fn addrtype_v6() {
    let p = Packet::tcp_syn("eth0", ip("2001:db8:1::5"), ip(ETH0_V6), 8080);
    yes(&p, At::Pre, "-m addrtype --dst-type LOCAL");
    yes(&p, At::Pre, "-m addrtype --src-type UNICAST");
    no(&p, At::Pre, "-m addrtype --src-type LOCAL");
    no(&p, At::Pre, "-m addrtype --dst-type MULTICAST");
    unknown(&p, At::Pre, "-m addrtype --src-type UNREACHABLE");
    // BROADCAST cannot be built for IPv6: the model refuses what the kernel refuses.
    let lo = Packet::tcp_syn("eth0", ip("2001:db8:1::5"), ip("::1"), 80);
    yes(&lo, At::Pre, "-m addrtype --dst-type LOCAL");
}
