//! Proof with real packets: the simulated Docker host (`dfw_netlink::sim`), Docker's rules
//! loaded from `testdata/docker/` with the real iptables-restore (the oracle), then
//! dfw's `enforce::commit_unguarded` of a test policy inside the host namespace. Checked with real
//! TCP connections and UDP exchanges from the internet, the LAN and the containers:
//! - before commit, every published port is reachable from anyone on the internet;
//! - after: allowed ports reachable, the others refused; `from` restrictions hold; the
//!   `to` (original destination address) holds; the whitelist and the LAN reach everything; containers' outgoing connections and their
//!   replies work; host services are refused from outside except allowed ports (`host =
//!   true`); IPv6 the same;
//! - after a simulated dockerd restart the policy still holds and a new plan is empty;
//! - `[[forward]]` (router mode): the LAN reaches the internet through the host despite
//!   Docker's FORWARD policy DROP (timed out before commit);
//! - dfw committed before Docker starts: Docker (simulated: it inserts its FORWARD jump at
//!   1 and adds its chains, keeping DOCKER-USER) finds dfw's DOCKER-USER, no duplicate jump
//!   appears, and the policy holds.
//!
//! For the Docker 27 (IPv4) and Docker 29 (IPv4 + IPv6) layouts, and for Docker 29 again
//! with a policy long enough to be spread over several chains per body. Each test builds its own
//! throwaway namespaces; the whole file runs in about 1.2 s (probes run concurrently; only
//! the few expected timeouts wait, 400 ms; answers end a probe at once, see `support::probes`).

use crate::support;

use std::net::{IpAddr, SocketAddr};

use dfw_core::policy::{Policy, SEGMENT_RULES};
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Rtnl, Side};
use dfw_netlink::transport::testkit::kernel_gate;

use support::probes::probe_all;
use support::{load_fixture, run_in, simulate_docker_restart, Fixture};

/// The test policy, written for the simulation's addresses.
const POLICY: &str = r#"
[interfaces]
external = ["eth0"]

[policy]
default = "reject"
host = true

[[allow]]                       # the web container, for everyone
ports = ["8080/tcp"]

[[allow]]                       # the db container, only from a range
ports = ["5432/tcp", "5353/udp"]
from = ["198.51.100.1-198.51.100.3", "2001:db8:2::/48"]

[[allow]]                       # `to`: the published address matches
ports = ["5353/udp"]
from = ["192.0.2.50"]
to = "203.0.113.1"

[[allow]]                       # `to`: another address, never matches here
ports = ["5432/tcp"]
from = ["192.0.2.50"]
to = "203.0.113.2"

[[allow]]                       # the host's ssh, only from the provider's network
ports = ["22/tcp"]
from = ["203.0.113.0/24", "2001:db8:1::/64"]

[whitelist]
sources = ["198.51.100.7", "2001:db8::7"]

[lan]
networks = ["192.168.1.0/24", "fd00:192:168:1::/64"]

[[forward]]                     # router mode: the LAN reaches the internet through the host
in = "eth1"
out = "eth0"
"#;

use Probe::{Open, Refused, TimedOut};

/// One expectation: from `side`, source `src`, to `dst:port` over `proto`, `want`.
type Want = (Side, IpAddr, Proto, IpAddr, u16, Probe);

const TCP: Proto = Proto::Tcp;
const UDP: Proto = Proto::Udp;

/// Runs every probe concurrently (each with the timeout its expected outcome needs) and
/// reports all mismatches at once.
fn expect(h: &DockerHost, stage: &str, wants: &[Want]) {
    let cases: Vec<(Check, Probe)> = wants
        .iter()
        .map(|&(from, src, proto, dst, port, want)| {
            let dst = SocketAddr::new(dst, port);
            (
                Check {
                    from,
                    src,
                    proto,
                    dst,
                },
                want,
            )
        })
        .collect();
    let got = probe_all(h, &cases);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, w), g)| w != *g)
        .map(|((c, w), g)| format!("  {c}: got {g}, want {w}"))
        .collect();
    assert!(wrong.is_empty(), "{stage}:\n{}", wrong.join("\n"));
}

/// [`POLICY`] with enough extra whitelist entries (never a source of the probes) that both
/// families' bodies are spread over `DFW-*-EXT.K` chains (`dfw_core::policy::SEGMENT_RULES`).
fn spread_policy() -> String {
    let mut extra = String::new();
    for i in 0..SEGMENT_RULES + 200 {
        extra.push_str(&format!(
            "\"10.{}.{}.{}\", \"fd00:ffff::{:x}\", ",
            i >> 16,
            (i >> 8) & 0xff,
            i & 0xff,
            i
        ));
    }
    let spread = POLICY.replace("sources = [", &format!("sources = [{extra}"));
    let eth0 = dfw_core::model::Iface::parse("eth0").unwrap();
    let c = Policy::from_toml(&spread, "t.toml")
        .unwrap()
        .compile(&[eth0]);
    for rules in [&c.v4, &c.v6] {
        assert!(
            rules.chain("DFW-DOCKER-EXT.1").is_some() && rules.chain("DFW-INPUT-EXT.1").is_some()
        );
    }
    spread
}

fn commit(h: &DockerHost, policy: &str) {
    let p = Policy::from_toml(policy, "test.toml").unwrap();
    let report = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(report.applied.committed);
    let again = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(again.is_noop(), "second commit: {:?}", again.summaries());
}

fn plan_is_empty(h: &DockerHost, policy: &str) -> bool {
    let p = Policy::from_toml(policy, "test.toml").unwrap();
    h.host()
        .run(|| {
            enforce::plan(&mut Firewall::open().unwrap(), &p)
                .unwrap()
                .is_empty()
        })
        .unwrap()
}

fn before_v4() -> Vec<Want> {
    let s = Side::Internet;
    vec![
        (s, STRANGER_V4, TCP, HOST_V4, WEB_PUBLISHED, Open),
        (s, STRANGER_V4, TCP, HOST_V4, DB_PORT, Open),
        (s, STRANGER_V4, UDP, HOST_V4, DNS_PUBLISHED, Open),
        (s, STRANGER_V4, TCP, HOST_V4, HOST_SSH, Open),
        (s, STRANGER_V4, TCP, HOST_V4, HOST_APP, Open),
        // Routing the LAN out: Docker's FORWARD policy DROP stops it.
        (
            Side::Lan,
            LAN_CLIENT_V4,
            TCP,
            INET_GW_V4,
            INET_HTTPS,
            TimedOut,
        ),
    ]
}

fn after_v4() -> Vec<Want> {
    let i = Side::Internet;
    let lan = Side::Lan;
    vec![
        // A stranger: only the port allowed for everyone.
        (i, STRANGER_V4, TCP, HOST_V4, WEB_PUBLISHED, Open),
        (i, STRANGER_V4, TCP, HOST_V4, DB_PORT, Refused),
        (i, STRANGER_V4, UDP, HOST_V4, DNS_PUBLISHED, Refused),
        (i, STRANGER_V4, TCP, HOST_V4, HOST_SSH, Refused),
        (i, STRANGER_V4, TCP, HOST_V4, HOST_APP, Refused),
        (i, STRANGER2_V4, TCP, HOST_V4, WEB_PUBLISHED, Open),
        (i, STRANGER2_V4, TCP, HOST_V4, DB_PORT, Refused),
        (i, STRANGER2_V4, UDP, HOST_V4, DNS_PUBLISHED, Open),
        // `from` a range: the db ports, nothing else.
        (i, IN_RANGE_V4, TCP, HOST_V4, DB_PORT, Open),
        (i, IN_RANGE_V4, UDP, HOST_V4, DNS_PUBLISHED, Open),
        (i, IN_RANGE_V4, TCP, HOST_V4, HOST_SSH, Refused),
        // `from` a network: the host's ssh, nothing else.
        (i, INET_GW_V4, TCP, HOST_V4, HOST_SSH, Open),
        (i, INET_GW_V4, TCP, HOST_V4, HOST_APP, Refused),
        (i, INET_GW_V4, TCP, HOST_V4, DB_PORT, Refused),
        // The whitelist reaches everything.
        (i, WHITELISTED_V4, TCP, HOST_V4, DB_PORT, Open),
        (i, WHITELISTED_V4, UDP, HOST_V4, DNS_PUBLISHED, Open),
        (i, WHITELISTED_V4, TCP, HOST_V4, HOST_SSH, Open),
        (i, WHITELISTED_V4, TCP, HOST_V4, HOST_APP, Open),
        // The LAN reaches everything.
        (lan, LAN_CLIENT_V4, TCP, HOST_LAN_V4, WEB_PUBLISHED, Open),
        (lan, LAN_CLIENT_V4, TCP, HOST_LAN_V4, DB_PORT, Open),
        (lan, LAN_CLIENT_V4, UDP, HOST_LAN_V4, DNS_PUBLISHED, Open),
        (lan, LAN_CLIENT_V4, TCP, HOST_LAN_V4, HOST_APP, Open),
        // Containers' own connections out, and their replies.
        (Side::Web, WEB_V4, TCP, INET_GW_V4, INET_HTTPS, Open),
        (Side::Db, DB_V4, UDP, INET_GW_V4, INET_DNS, Open),
        // `[[forward]]`: the LAN reaches the internet through the host, and the replies back.
        (lan, LAN_CLIENT_V4, TCP, INET_GW_V4, INET_HTTPS, Open),
        (lan, LAN_CLIENT_V4, UDP, INET_GW_V4, INET_DNS, Open),
    ]
}

fn before_v6() -> Vec<Want> {
    let s = Side::Internet;
    vec![
        (s, STRANGER_V6, TCP, HOST_V6, WEB_PUBLISHED, Open),
        (s, STRANGER_V6, TCP, HOST_V6, HOST_SSH, Open),
        (s, STRANGER_V6, TCP, HOST_V6, HOST_APP, Open),
        (
            Side::Lan,
            LAN_CLIENT_V6,
            TCP,
            INET_GW_V6,
            INET_HTTPS,
            TimedOut,
        ),
    ]
}

fn after_v6() -> Vec<Want> {
    let i = Side::Internet;
    let lan = Side::Lan;
    vec![
        (i, STRANGER_V6, TCP, HOST_V6, WEB_PUBLISHED, Open),
        (i, STRANGER_V6, TCP, HOST_V6, HOST_SSH, Refused),
        (i, STRANGER_V6, TCP, HOST_V6, HOST_APP, Refused),
        (i, OTHER_V6, TCP, HOST_V6, WEB_PUBLISHED, Open),
        (i, OTHER_V6, TCP, HOST_V6, HOST_SSH, Refused),
        (i, INET_GW_V6, TCP, HOST_V6, HOST_SSH, Open),
        (i, INET_GW_V6, TCP, HOST_V6, HOST_APP, Refused),
        (i, WHITELISTED_V6, TCP, HOST_V6, HOST_SSH, Open),
        (i, WHITELISTED_V6, TCP, HOST_V6, HOST_APP, Open),
        (lan, LAN_CLIENT_V6, TCP, HOST_LAN_V6, WEB_PUBLISHED, Open),
        (lan, LAN_CLIENT_V6, TCP, HOST_LAN_V6, HOST_APP, Open),
        (Side::Web, WEB_V6, TCP, INET_GW_V6, INET_HTTPS, Open),
        (lan, LAN_CLIENT_V6, TCP, INET_GW_V6, INET_HTTPS, Open),
    ]
}

/// The host answers every rejected probe with an ICMP error; the kernel's per-destination
/// ICMP rate limit (a burst of 6, then one a second) would turn later refusals from the same
/// source into timeouts. Off in the simulated host only.
fn no_icmp_rate_limit(h: &DockerHost) {
    write_sysctls(
        h.host(),
        &[
            ("net/ipv4/icmp_ratelimit", "0"),
            ("net/ipv6/icmp/ratelimit", "0"),
        ],
    )
    .unwrap();
}

/// The internet side routes the LAN's networks via the host (no NAT on the way out), so
/// routed LAN traffic gets its replies.
fn route_lan_from_internet(h: &DockerHost) {
    let lan_v4: IpAddr = [192, 168, 1, 0].into();
    let lan_v6: IpAddr = [0xfd00, 0x192, 0x168, 1, 0, 0, 0, 0].into();
    h.ns(Side::Internet)
        .run(|| -> Result<(), dfw_netlink::sim::SimError> {
            let mut r = Rtnl::open("internet")?;
            r.add_route(lan_v4, 24, HOST_V4)?;
            r.add_route(lan_v6, 64, HOST_V6)
        })
        .unwrap()
        .unwrap();
}

fn prove(fixtures: &[Fixture], policy: &str) {
    let h = DockerHost::start().unwrap();
    no_icmp_rate_limit(&h);
    route_lan_from_internet(&h);
    for f in fixtures {
        load_fixture(h.host(), *f);
    }
    let v6 = fixtures.iter().any(|f| f.is_v6());
    let (mut before, mut after) = (before_v4(), after_v4());
    if v6 {
        before.extend(before_v6());
        after.extend(after_v6());
    }
    if fixtures.contains(&Fixture::Docker27V4) {
        // Docker 27's fixture publishes no UDP port.
        before.retain(|w| w.4 != DNS_PUBLISHED);
        after.retain(|w| w.4 != DNS_PUBLISHED);
    }
    expect(&h, "before commit (the problem)", &before);
    commit(&h, policy);
    expect(&h, "after commit", &after);
    for f in fixtures {
        simulate_docker_restart(h.host(), *f).unwrap();
    }
    expect(&h, "after a dockerd restart", &after);
    assert!(
        plan_is_empty(&h, policy),
        "a dockerd restart left dfw's rules changed"
    );
    h.shutdown().unwrap();
}

#[test]
fn kernel_packets_docker27_v4() {
    if kernel_gate("kernel_packets_docker27_v4") {
        prove(&[Fixture::Docker27V4], POLICY);
    }
}

#[test]
fn kernel_packets_docker29_v4_and_v6() {
    if kernel_gate("kernel_packets_docker29_v4_and_v6") {
        prove(&[Fixture::Docker29V4, Fixture::Docker29V6], POLICY);
    }
}

/// The same proof with both families' bodies spread over several chains.
#[test]
fn kernel_packets_docker29_v4_and_v6_spread() {
    if kernel_gate("kernel_packets_docker29_v4_and_v6_spread") {
        prove(
            &[Fixture::Docker29V4, Fixture::Docker29V6],
            &spread_policy(),
        );
    }
}

/// What dockerd does at its first start when DOCKER-USER and FORWARD's jump already exist:
/// `-D FORWARD -j DOCKER-USER`, `-I FORWARD -j DOCKER-USER`, then its own chains and rules
/// (`iptables-restore -n` of the fixture without DOCKER-USER and without that jump).
fn docker_starts(h: &DockerHost, f: Fixture) {
    let ipt = f.iptables();
    run_in(h.host(), ipt, &["-D", "FORWARD", "-j", "DOCKER-USER"], "").unwrap();
    run_in(h.host(), ipt, &["-I", "FORWARD", "-j", "DOCKER-USER"], "").unwrap();
    let rest: String = f
        .text()
        .lines()
        .filter(|l| !l.contains("DOCKER-USER"))
        .map(|l| format!("{l}\n"))
        .collect();
    run_in(h.host(), &format!("{ipt}-restore"), &["-n"], &rest).unwrap();
}

#[test]
fn kernel_packets_dfw_before_docker29() {
    if !kernel_gate("kernel_packets_dfw_before_docker29") {
        return;
    }
    let h = DockerHost::start().unwrap();
    no_icmp_rate_limit(&h);
    route_lan_from_internet(&h);
    commit(&h, POLICY);
    let fixtures = [Fixture::Docker29V4, Fixture::Docker29V6];
    for f in fixtures {
        docker_starts(&h, f);
        let forward = run_in(h.host(), f.iptables(), &["-S", "FORWARD"], "").unwrap();
        let jumps = forward
            .lines()
            .filter(|l| l.contains("DOCKER-USER"))
            .count();
        assert_eq!(jumps, 1, "{forward}");
        assert!(
            forward.starts_with("-P FORWARD DROP\n-A FORWARD -j DOCKER-USER\n"),
            "{forward}"
        );
    }
    let mut after = after_v4();
    after.extend(after_v6());
    expect(&h, "dfw first, then Docker", &after);
    assert!(
        plan_is_empty(&h, POLICY),
        "Docker's start changed dfw's rules"
    );
    h.shutdown().unwrap();
}
