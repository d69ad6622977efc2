//! Kernel tests of the simulated Docker host (`dfw_netlink::sim`): the topology, reachability
//! without rules, Docker's rules (loaded with the real `iptables-restore`, the test oracle,
//! inside the host namespace) publishing ports to the internet, and clean teardown.
//! Without root they print `SKIPPED` and pass, unless `DFW_REQUIRE_KERNEL=1` (then they fail).

use crate::support;
use crate::support::probes::{probe_all, ANSWER};

use std::net::SocketAddr;
use std::time::Instant;

use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{Check, DockerHost, NetNs, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;

use support::{load_fixture, Fixture};

fn sa(ip: std::net::IpAddr, port: u16) -> SocketAddr {
    SocketAddr::new(ip, port)
}

fn tcp(from: Side, src: std::net::IpAddr, dst: std::net::IpAddr, port: u16) -> Check {
    Check {
        from,
        src,
        proto: Proto::Tcp,
        dst: sa(dst, port),
    }
}

fn udp(from: Side, src: std::net::IpAddr, dst: std::net::IpAddr, port: u16) -> Check {
    Check {
        proto: Proto::Udp,
        ..tcp(from, src, dst, port)
    }
}

/// Runs every check concurrently (each with the timeout its expected outcome needs) and
/// asserts each expected outcome, listing all mismatches.
fn expect(h: &DockerHost, cases: &[(Check, Probe)]) {
    let got = probe_all(h, cases);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, want), got)| want != *got)
        .map(|((c, want), got)| format!("{c}: want {want}, got {got}"))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn kernel_sim_topology_comes_up_and_routes() {
    if !kernel_gate("kernel_sim_topology_comes_up_and_routes") {
        return;
    }
    let t0 = Instant::now();
    let h = DockerHost::start().unwrap();
    let up = t0.elapsed();
    use Probe::*;
    use Side::*;
    expect(
        &h,
        &[
            (tcp(Internet, INET_GW_V4, HOST_V4, HOST_SSH), Open),
            (tcp(Internet, STRANGER_V6, HOST_V6, HOST_APP), Open),
            (tcp(Lan, LAN_CLIENT_V4, HOST_LAN_V4, HOST_SSH), Open),
            (tcp(Lan, LAN_CLIENT_V6, HOST_LAN_V6, HOST_SSH), Open),
            (tcp(Host, HOST_LAN_V4, LAN_CLIENT_V4, HOST_SSH), Open),
            (tcp(Web, WEB_V4, DB_V4, DB_PORT), Open),
            (tcp(Db, DB_V6, WEB_V6, WEB_PORT), Open),
            (udp(Web, WEB_V4, DB_V4, DNS_PORT), Open),
            // No rules: the host routes, and nothing is NATed.
            (tcp(Web, WEB_V4, WHITELISTED_V4, INET_HTTPS), Open),
            (tcp(Internet, STRANGER2_V4, WEB_V4, WEB_PORT), Open),
            (tcp(Internet, OTHER_V6, WEB_V6, WEB_PORT), Open),
            // No DNAT yet: the published ports are closed on the host (RST / port unreachable).
            (tcp(Internet, STRANGER_V4, HOST_V4, WEB_PUBLISHED), Refused),
            (udp(Internet, STRANGER_V4, HOST_V4, DNS_PUBLISHED), Refused),
            (tcp(Internet, STRANGER_V6, HOST_V6, WEB_PUBLISHED), Refused),
        ],
    );
    // The servers see real source addresses.
    let (p, g) = h
        .check(&tcp(Web, WEB_V4, INET_GW_V4, INET_HTTPS), ANSWER)
        .unwrap();
    assert_eq!(p, Open);
    let g = g.unwrap();
    assert_eq!((g.service.as_str(), g.peer), ("internet-https", WEB_V4));
    let t1 = Instant::now();
    drop(h);
    println!("DockerHost up in {up:?}, down in {:?}", t1.elapsed());
}

/// What Docker 29's IPv4 rules do to the simulated host: the problem, reproduced.
#[test]
fn kernel_sim_docker29_v4_publishes_ports_to_the_internet() {
    if !kernel_gate("kernel_sim_docker29_v4_publishes_ports_to_the_internet") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker29V4);
    use Probe::*;
    use Side::*;
    let mut cases = Vec::new();
    for src in [
        STRANGER_V4,
        STRANGER2_V4,
        IN_RANGE_V4,
        WHITELISTED_V4,
        INET_GW_V4,
    ] {
        cases.push((tcp(Internet, src, HOST_V4, WEB_PUBLISHED), Open));
        cases.push((tcp(Internet, src, HOST_V4, DB_PORT), Open));
        cases.push((udp(Internet, src, HOST_V4, DNS_PUBLISHED), Open));
    }
    cases.extend([
        // INPUT is open: the host's own services too.
        (tcp(Internet, STRANGER_V4, HOST_V4, HOST_SSH), Open),
        // Unpublished port: not DNATed, closed on the host.
        (tcp(Internet, STRANGER_V4, HOST_V4, WEB_PORT), Refused),
        // Docker 28+ drops container addresses routed from outside (raw PREROUTING).
        (tcp(Internet, STRANGER_V4, WEB_V4, WEB_PORT), TimedOut),
        (tcp(Internet, STRANGER_V4, DB_V4, DB_PORT), TimedOut),
        (tcp(Lan, LAN_CLIENT_V4, WEB_V4, WEB_PORT), TimedOut),
        // The LAN reaches published ports too (DNAT on every interface but docker0).
        (tcp(Lan, LAN_CLIENT_V4, HOST_LAN_V4, WEB_PUBLISHED), Open),
        // So does the host itself (nat OUTPUT).
        (tcp(Host, HOST_V4, HOST_V4, WEB_PUBLISHED), Open),
        // Containers: outgoing connections and their replies, and each other.
        (tcp(Web, WEB_V4, INET_GW_V4, INET_HTTPS), Open),
        (udp(Db, DB_V4, WHITELISTED_V4, INET_DNS), Open),
        (tcp(Web, WEB_V4, DB_V4, DB_PORT), Open),
    ]);
    expect(&h, &cases);
    // The DNAT reaches the right container, which sees the real client address; the
    // container's own connections leave MASQUERADEd behind the host's address.
    let (_, g) = h
        .check(&tcp(Internet, STRANGER_V4, HOST_V4, WEB_PUBLISHED), ANSWER)
        .unwrap();
    let g = g.unwrap();
    assert_eq!((g.service.as_str(), g.peer), ("web", STRANGER_V4));
    let (_, g) = h
        .check(&udp(Internet, STRANGER_V4, HOST_V4, DNS_PUBLISHED), ANSWER)
        .unwrap();
    assert_eq!(g.unwrap().service, "db-dns");
    let (_, g) = h
        .check(&udp(Db, DB_V4, INET_GW_V4, INET_DNS), ANSWER)
        .unwrap();
    assert_eq!(g.unwrap().peer, HOST_V4);
}

/// Docker 27's layout: no raw-table drops, so container addresses routed straight from
/// outside are reachable on their published ports too; no UDP publication in that fixture.
#[test]
fn kernel_sim_docker27_v4_publishes_ports_to_the_internet() {
    if !kernel_gate("kernel_sim_docker27_v4_publishes_ports_to_the_internet") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker27V4);
    use Probe::*;
    use Side::*;
    expect(
        &h,
        &[
            (tcp(Internet, STRANGER_V4, HOST_V4, WEB_PUBLISHED), Open),
            (tcp(Internet, STRANGER2_V4, HOST_V4, DB_PORT), Open),
            (tcp(Internet, STRANGER_V4, WEB_V4, WEB_PORT), Open),
            (tcp(Internet, STRANGER_V4, DB_V4, DB_PORT), Open),
            // Not published: FORWARD policy DROP, or closed on the host.
            (udp(Internet, STRANGER_V4, DB_V4, DNS_PORT), TimedOut),
            (udp(Internet, STRANGER_V4, HOST_V4, DNS_PUBLISHED), Refused),
            (tcp(Internet, STRANGER_V4, HOST_V4, HOST_APP), Open),
            (tcp(Web, WEB_V4, INET_GW_V4, INET_HTTPS), Open),
            (udp(Db, DB_V4, INET_GW_V4, INET_DNS), Open),
        ],
    );
    let (_, g) = h
        .check(&tcp(Web, WEB_V4, STRANGER_V4, INET_HTTPS), ANSWER)
        .unwrap();
    assert_eq!(g.unwrap().peer, HOST_V4, "MASQUERADE");
}

/// Docker 29 with IPv6 (both families loaded): the v6 publication is open to the internet.
#[test]
fn kernel_sim_docker29_v6_publishes_ports_to_the_internet() {
    if !kernel_gate("kernel_sim_docker29_v6_publishes_ports_to_the_internet") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker29V4);
    load_fixture(h.host(), Fixture::Docker29V6);
    use Probe::*;
    use Side::*;
    expect(
        &h,
        &[
            (tcp(Internet, STRANGER_V6, HOST_V6, WEB_PUBLISHED), Open),
            (tcp(Internet, OTHER_V6, HOST_V6, WEB_PUBLISHED), Open),
            (tcp(Internet, WHITELISTED_V6, HOST_V6, WEB_PUBLISHED), Open),
            (tcp(Internet, INET_GW_V6, HOST_V6, HOST_SSH), Open),
            (tcp(Internet, STRANGER_V6, HOST_V6, DB_PORT), Refused),
            (tcp(Internet, STRANGER_V6, WEB_V6, WEB_PORT), TimedOut),
            (tcp(Internet, STRANGER_V6, DB_V6, DB_PORT), TimedOut),
            (tcp(Lan, LAN_CLIENT_V6, HOST_LAN_V6, WEB_PUBLISHED), Open),
            (tcp(Web, WEB_V6, INET_GW_V6, INET_HTTPS), Open),
            (udp(Db, DB_V6, STRANGER_V6, INET_DNS), Open),
            (tcp(Internet, STRANGER_V4, HOST_V4, WEB_PUBLISHED), Open),
        ],
    );
    let (_, g) = h
        .check(&tcp(Internet, STRANGER_V6, HOST_V6, WEB_PUBLISHED), ANSWER)
        .unwrap();
    let g = g.unwrap();
    assert_eq!((g.service.as_str(), g.peer), ("web", STRANGER_V6));
    let (_, g) = h
        .check(&tcp(Web, WEB_V6, INET_GW_V6, INET_HTTPS), ANSWER)
        .unwrap();
    assert_eq!(g.unwrap().peer, HOST_V6, "MASQUERADE");
}

/// The stranger's survey the demo prints: everything published is open before dfw.
#[test]
fn kernel_sim_internet_survey_before_dfw() {
    if !kernel_gate("kernel_sim_internet_survey_before_dfw") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker29V4);
    load_fixture(h.host(), Fixture::Docker29V6);
    let checks = DockerHost::internet_survey();
    let got = h.check_all(&checks, ANSWER).unwrap();
    assert!(got.iter().all(|p| *p == Probe::Open), "{checks:?}: {got:?}");
}

/// A source that is not an address of the probing side is an error, not an outcome.
#[test]
fn kernel_sim_probe_from_a_foreign_address_is_an_error() {
    if !kernel_gate("kernel_sim_probe_from_a_foreign_address_is_an_error") {
        return;
    }
    let h = DockerHost::start().unwrap();
    let e = h
        .tcp_probe(Side::Lan, HOST_V4, sa(HOST_LAN_V4, HOST_SSH), ANSWER)
        .unwrap_err();
    assert!(e.to_string().contains("lan"), "{e}");
}

/// A closure run in a namespace sees that namespace, and the caller's thread never moves.
#[test]
fn kernel_sim_netns_run_moves_only_its_thread() {
    if !kernel_gate("kernel_sim_netns_run_moves_only_its_thread") {
        return;
    }
    let me = std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    let ns = NetNs::new("probe").unwrap();
    let inside = ns
        .run(|| std::fs::read_link("/proc/thread-self/ns/net").unwrap())
        .unwrap();
    assert_eq!(
        inside.to_string_lossy(),
        format!("net:[{}]", ns.inode().unwrap())
    );
    assert_ne!(inside, me);
    assert_eq!(std::fs::read_link("/proc/thread-self/ns/net").unwrap(), me);
}

/// How refusals look to the probes: REJECT with ICMP (host-prohibited, adm-prohibited, port
/// unreachable) or tcp-reset is `Refused`, DROP is `TimedOut`, on INPUT and on FORWARD.
#[test]
fn kernel_sim_probe_outcomes_of_reject_and_drop() {
    if !kernel_gate("kernel_sim_probe_outcomes_of_reject_and_drop") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker29V4);
    load_fixture(h.host(), Fixture::Docker29V6);
    let rules: [(&str, &str); 7] = [
        ("iptables", "-I INPUT -p tcp --dport 9999 -j REJECT --reject-with icmp-host-prohibited"),
        ("iptables", "-I INPUT -p tcp --dport 22 -j DROP"),
        ("iptables", "-I DOCKER-USER -p tcp -m conntrack --ctorigdstport 5432 -j REJECT --reject-with tcp-reset"),
        ("iptables", "-I DOCKER-USER -p udp -j REJECT --reject-with icmp-port-unreachable"),
        ("iptables", "-I DOCKER-USER -s 198.51.100.200 -j REJECT --reject-with icmp-admin-prohibited"),
        ("ip6tables", "-I INPUT -p tcp --dport 9999 -j REJECT --reject-with icmp6-adm-prohibited"),
        ("ip6tables", "-I DOCKER-USER -s 3fff::/20 -j REJECT --reject-with icmp6-adm-prohibited"),
    ];
    for (program, args) in rules {
        let args: Vec<&str> = args.split(' ').collect();
        support::run_in(h.host(), program, &args, "").unwrap();
    }
    use Probe::*;
    use Side::*;
    expect(
        &h,
        &[
            (tcp(Internet, STRANGER2_V4, HOST_V4, HOST_APP), Refused),
            (tcp(Internet, STRANGER2_V4, HOST_V4, HOST_SSH), TimedOut),
            (tcp(Internet, STRANGER2_V4, HOST_V4, DB_PORT), Refused),
            (udp(Internet, STRANGER2_V4, HOST_V4, DNS_PUBLISHED), Refused),
            (tcp(Internet, STRANGER_V4, HOST_V4, WEB_PUBLISHED), Refused),
            (tcp(Internet, STRANGER2_V4, HOST_V4, WEB_PUBLISHED), Open),
            (tcp(Internet, OTHER_V6, HOST_V6, HOST_APP), Refused),
            (tcp(Internet, STRANGER_V6, HOST_V6, WEB_PUBLISHED), Refused),
            (tcp(Internet, OTHER_V6, HOST_V6, WEB_PUBLISHED), Open),
        ],
    );
    // Every check but the one DROPped (v4 port 22, checked above) is answered, so the survey
    // waits for no timeout.
    let answered: Vec<Check> = DockerHost::internet_survey()
        .into_iter()
        .filter(|c| c.dst != sa(HOST_V4, HOST_SSH))
        .collect();
    let lines: Vec<String> = h
        .survey(&answered, ANSWER)
        .unwrap()
        .iter()
        .map(|o| o.to_string())
        .collect();
    assert!(
        lines.contains(&"internet 198.51.100.200 -> 203.0.113.1:8080/tcp: refused".to_string()),
        "{lines:#?}"
    );
    assert!(
        lines.contains(&"internet 3fff::7 -> [2001:db8:1::1]:22/tcp: open (host-ssh)".to_string()),
        "{lines:#?}"
    );
}

/// rtnetlink refusals name the namespace, the object and the errno.
#[test]
fn kernel_sim_rtnl_errors_name_the_object() {
    if !kernel_gate("kernel_sim_rtnl_errors_name_the_object") {
        return;
    }
    use dfw_netlink::sim::{Rtnl, SimError};
    let ns = NetNs::new("scratch").unwrap();
    ns.run(|| {
        let mut r = Rtnl::open("scratch").unwrap();
        r.add_bridge("br0").unwrap();
        let e = r.add_bridge("br0").unwrap_err().to_string();
        assert!(
            e.contains("scratch") && e.contains("create bridge br0"),
            "{e}"
        );
        assert!(e.contains("EEXIST"), "{e}");
        match r.set_master("br0", "nosuch0") {
            Err(SimError::NoSuchLink { ns, name }) => {
                assert_eq!((ns.as_str(), name.as_str()), ("scratch", "nosuch0"))
            }
            other => panic!("{other:?}"),
        }
        let gw: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let e = r.add_route(HOST_V4, 0, gw).unwrap_err().to_string();
        assert!(e.contains("add default route via 192.0.2.1"), "{e}");
        assert!(r.link_index("lo").unwrap() > 0);
    })
    .unwrap();
}
