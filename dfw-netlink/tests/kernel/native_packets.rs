//! Kernel test of the evaluator with native tables: on the simulated Docker host, Docker 29's
//! nftables ruleset (`sim-host.nft`), Debian's drop policy and the firewalld-style table are
//! loaded with the real `nft -f`, alone and (Debian's, firewalld's) beside Docker 29's
//! iptables rules under seeded random iptables policies; the ruleset, the native tables and the
//! host are read back as `dfw-cli explain` reads them, and for random (source, port) pairs
//! from the internet and LAN sides plus every published port, `explain_with`'s prediction must
//! be what a real connection does (no retry, no settling time).

use crate::support::docker::{load_fixture, run_in, Fixture};
use crate::support::evalsim::policy::{random_policy, Lcg};
use crate::support::evalsim::{expected, live, random_pairs, Pair};
use crate::support::native::ruleset;
use crate::support::probes::probe_all;

use dfw_core::eval::{explain_with, Packet};
use dfw_core::model::Family;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

fn published_pairs(v6: bool) -> Vec<Pair> {
    let (src, dst) = if v6 {
        (STRANGER_V6, HOST_V6)
    } else {
        (STRANGER_V4, HOST_V4)
    };
    let mut out = Vec::new();
    for (proto, port) in [
        (Proto::Tcp, WEB_PUBLISHED),
        (Proto::Tcp, DB_PORT),
        (Proto::Udp, DNS_PUBLISHED),
        (Proto::Tcp, 2222),
        (Proto::Tcp, HOST_SSH),
        (Proto::Tcp, HOST_APP),
    ] {
        out.push(Pair {
            check: Check {
                from: Side::Internet,
                src,
                proto,
                dst: (dst, port).into(),
            },
            iface: EXTERNAL_IF,
        });
    }
    out
}

/// Predicts and connects every pair; returns (cases, unknown).
pub(crate) fn compare(h: &DockerHost, rng: &mut Lcg, v6: bool, context: &str) -> (usize, usize) {
    let family = if v6 { Family::Ipv6 } else { Family::Ipv4 };
    let (rs, host) = live(h, family, &[EXTERNAL_IF, LAN_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    let mut cases = Vec::new();
    let mut unknown = 0;
    for pair in random_pairs(rng, v6, 16)
        .into_iter()
        .chain(published_pairs(v6))
    {
        let c = pair.check;
        let pkt = match c.proto {
            Proto::Tcp => Packet::tcp_syn(pair.iface, c.src, c.dst.ip(), c.dst.port()),
            Proto::Udp => Packet::udp(pair.iface, c.src, c.dst.ip(), c.dst.port()),
        };
        let t = explain_with(&rs, &native, &pkt, &host).expect("explain");
        match expected(&t, c.proto, c.dst) {
            Some(want) => {
                cases.push((c, want, format!("{c}: {} by {:?}", t.verdict, t.decided_by)))
            }
            None => unknown += 1,
        }
    }
    let checks: Vec<(Check, Probe)> = cases.iter().map(|(c, w, _)| (*c, *w)).collect();
    let got = probe_all(h, &checks);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, want, _), got)| *got != want)
        .map(|((_, want, label), got)| format!("{label}: want {want}, got {got}"))
        .collect();
    assert!(wrong.is_empty(), "{context}\n{}", wrong.join("\n"));
    (cases.len(), unknown)
}

fn flush(h: &DockerHost) {
    run_in(h.host(), "nft", &["flush", "ruleset"], "").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn kernel_native_explain_matches_real_connections() {
    if !kernel_gate("kernel_native_explain_matches_real_connections") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    for side in [Side::Host, Side::Web, Side::Db] {
        let limits = [
            ("net/ipv4/icmp_ratelimit", "0"),
            ("net/ipv6/icmp/ratelimit", "0"),
        ];
        write_sysctls(h.ns(side), &limits).expect("sysctls");
    }
    let mut rng = Lcg::new(0x000a_fd7a_b1e5);
    let (mut total, mut unknown) = (0, 0);
    for name in ["sim-host", "debian-drop", "firewalld-style"] {
        flush(&h);
        run_in(h.host(), "nft", &["-f", "-"], &ruleset(name)).unwrap_or_else(|e| panic!("{e}"));
        for v6 in [false, true] {
            let (n, u) = compare(&h, &mut rng, v6, &format!("{name} alone"));
            total += n;
            unknown += u;
        }
    }
    // Native tables beside Docker 29's iptables rules and random iptables policies.
    for round in 0..6 {
        let name = ["debian-drop", "firewalld-style"][round % 2];
        let v6 = round % 4 >= 2;
        flush(&h);
        let fixture = if v6 {
            Fixture::Docker29V6
        } else {
            Fixture::Docker29V4
        };
        load_fixture(h.host(), fixture);
        let policy = random_policy(&mut rng, v6);
        let restore = format!("{}-restore", fixture.iptables());
        run_in(h.host(), &restore, &["--noflush"], &policy).unwrap_or_else(|e| panic!("{e}"));
        // Without Debian's `flush ruleset`, which would remove Docker's iptables rules.
        let text = ruleset(name).replace("flush ruleset\n", "");
        run_in(h.host(), "nft", &["-f", "-"], &text).unwrap_or_else(|e| panic!("{e}"));
        let (n, u) = compare(
            &h,
            &mut rng,
            v6,
            &format!("{name} with {fixture:?} and:\n{policy}"),
        );
        total += n;
        unknown += u;
    }
    println!("native packets: {total} predictions checked by real connections, {unknown} unknown");
    assert!(total > 100, "{total}");
}
