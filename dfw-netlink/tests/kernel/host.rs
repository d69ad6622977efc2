//! Kernel test of the host description (`route::read_host`, `route::parse_link_details`) on
//! the simulated Docker host: interface kinds from `IFLA_LINKINFO`, addresses of both
//! families, main-table routes, forwarding, and the external interfaces (default-route ones,
//! or those named). Also the kernel's rules as a model ruleset (`kernel_ruleset::read_ruleset`) after
//! Docker 29's rules are loaded. Without root they print `SKIPPED` and pass, unless
//! `DFW_REQUIRE_KERNEL=1`.

use crate::support;

use std::net::IpAddr;

use dfw_core::eval::IfaceKind;
use dfw_core::model::{Family, Policy, TableName};
use dfw_netlink::firewall::Firewall;
use dfw_netlink::kernel_ruleset::read_ruleset;
use dfw_netlink::route::{dump_request, parse_link_details, read_host, LinkKind};
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::DockerHost;
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::{Conn, NetlinkSocket, Transport};

use support::{load_fixture, Fixture};

#[test]
fn kernel_host_description_of_the_simulated_docker_host() {
    if !kernel_gate("kernel_host_description_of_the_simulated_docker_host") {
        return;
    }
    let h = DockerHost::start().unwrap();
    let (links, v4, v6, named) = h
        .host()
        .run(|| {
            let mut conn = Conn::new(NetlinkSocket::open_route().unwrap());
            let dump = conn
                .dump(&dump_request(libc::RTM_GETLINK, Family::Ipv4))
                .unwrap();
            (
                parse_link_details(&dump).unwrap(),
                read_host(Family::Ipv4, &[]).unwrap(),
                read_host(Family::Ipv6, &[]).unwrap(),
                read_host(Family::Ipv4, &[LAN_IF.to_string()]).unwrap(),
            )
        })
        .unwrap();
    let kind = |n: &str| links.iter().find(|l| l.name == n).map(|l| l.kind.clone());
    assert_eq!(kind("lo"), Some(LinkKind::Loopback));
    assert_eq!(kind(BRIDGE), Some(LinkKind::Bridge));
    assert_eq!(
        kind(EXTERNAL_IF),
        Some(LinkKind::Other(Some("veth".into())))
    );
    assert!(links.iter().all(|l| l.up));

    for (host, addr, lan) in [(&v4, HOST_V4, HOST_LAN_V4), (&v6, HOST_V6, HOST_LAN_V6)] {
        let externals: Vec<&str> = host
            .ifaces_of(IfaceKind::External)
            .map(|i| i.name.as_str())
            .collect();
        assert_eq!(externals, [EXTERNAL_IF]);
        let eth0 = host.iface(EXTERNAL_IF).unwrap();
        let first = eth0
            .addrs
            .iter()
            .find(|(a, _)| a.is_ipv4() == addr.is_ipv4());
        assert_eq!(
            first.map(|(a, _)| *a),
            Some(addr),
            "global before link-local"
        );
        assert!(host
            .iface(LAN_IF)
            .unwrap()
            .addrs
            .iter()
            .any(|(a, _)| *a == lan));
        assert_eq!(host.iface(BRIDGE).unwrap().kind, IfaceKind::Bridge);
        assert_eq!(host.iface("lo").unwrap().kind, IfaceKind::Loopback);
        assert!(host.forwarding);
        assert!(host
            .routes
            .iter()
            .any(|r| r.dest.prefix() == Some(0) && r.iface == EXTERNAL_IF));
        let stranger: IpAddr = if addr.is_ipv4() {
            STRANGER_V4
        } else {
            STRANGER_V6
        };
        assert_eq!(host.lookup(&stranger), Some(EXTERNAL_IF));
        let web = if addr.is_ipv4() { WEB_V4 } else { WEB_V6 };
        assert_eq!(host.lookup(&web), Some(BRIDGE));
    }
    let ext: Vec<&str> = named
        .ifaces_of(IfaceKind::External)
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(ext, [LAN_IF]);
    assert!(h
        .host()
        .run(|| read_host(Family::Ipv4, &["eth9".into()]))
        .unwrap()
        .is_err());

    load_fixture(h.host(), Fixture::Docker29V4);
    let rs = h
        .host()
        .run(|| read_ruleset(&mut Firewall::open().unwrap(), Family::Ipv4))
        .unwrap()
        .unwrap();
    let filter = rs.table(TableName::Filter).unwrap();
    assert_eq!(
        filter.chain("FORWARD").unwrap().policy(),
        Some(Policy::Drop)
    );
    assert_eq!(filter.chain("DOCKER").unwrap().rules.len(), 4);
    assert!(filter.chain("DOCKER-USER").is_some());
    let nat = rs.table(TableName::Nat).unwrap();
    assert_eq!(nat.chain("DOCKER").unwrap().rules.len(), 3);
    assert_eq!(
        rs.table(TableName::Raw)
            .unwrap()
            .chain("PREROUTING")
            .unwrap()
            .rules
            .len(),
        2
    );
    h.shutdown().unwrap();
}
