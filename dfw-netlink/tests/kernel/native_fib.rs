//! Kernel test of `fib ... mark` (firewalld's reverse-path filter, `meta nfproto ipv6 fib
//! saddr . mark . iif oif missing drop`): with only the kernel's default `ip rule`s no rule
//! selects by mark, so the lookup is the one without it and the evaluator decides every IPv6
//! packet through firewalld's table (real connections check it); once a rule matches a
//! firewall mark (`ip -6 rule add fwmark 0x1 lookup 100`) the packet's unknown mark could
//! pick another table, and the verdict is unknown, naming the rule.

use std::net::SocketAddr;

use crate::support::docker::run_in;
use crate::support::evalsim::live;
use crate::support::native::ruleset;
use crate::support::probes::timeout_for;

use dfw_core::eval::{explain_with, Packet, Verdict};
use dfw_core::model::Family;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

fn explain(h: &DockerHost, pkt: &Packet) -> Verdict {
    let (rs, host) = live(h, Family::Ipv6, &[EXTERNAL_IF, LAN_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    explain_with(&rs, &native, pkt, &host)
        .expect("explain")
        .verdict
}

#[test]
fn kernel_fib_with_the_mark_is_decided_without_mark_rules() {
    if !kernel_gate("kernel_fib_with_the_mark_is_decided_without_mark_rules") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    write_sysctls(h.host(), &[("net/ipv6/icmp/ratelimit", "0")]).expect("sysctls");
    run_in(h.host(), "nft", &["-f", "-"], &ruleset("firewalld-style"))
        .unwrap_or_else(|e| panic!("{e}"));
    // The host's SSH (allowed by firewalld's public zone) and its application port (not).
    for (port, want) in [(HOST_SSH, Probe::Open), (HOST_APP, Probe::Refused)] {
        let pkt = Packet::tcp_syn(EXTERNAL_IF, STRANGER_V6, HOST_V6, port);
        let v = explain(&h, &pkt);
        let predicted = match &v {
            Verdict::Accept => Probe::Open,
            Verdict::Reject(_) => Probe::Refused,
            Verdict::Drop => Probe::TimedOut,
            Verdict::Unknown(u) => panic!("{port}: unknown: {u:?}"),
        };
        assert_eq!(predicted, want, "{port}: {v}");
        let check = Check {
            from: Side::Internet,
            src: STRANGER_V6,
            proto: Proto::Tcp,
            dst: SocketAddr::new(HOST_V6, port),
        };
        let (got, _) = h.check(&check, timeout_for(want)).expect("probe");
        assert_eq!(got, want, "{check}");
    }
    run_in(
        h.host(),
        "ip",
        &["-6", "rule", "add", "fwmark", "0x1", "lookup", "100"],
        "",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let v = explain(
        &h,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V6, HOST_V6, HOST_SSH),
    );
    match v {
        Verdict::Unknown(u) => assert!(u.reason.contains("mark"), "{u:?}"),
        other => panic!("with a fwmark rule: {other}"),
    }
}
