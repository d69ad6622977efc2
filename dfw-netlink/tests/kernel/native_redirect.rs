//! Kernel test of native `redirect` (firewalld writes `redirect to :PORT` for a forward-port
//! to a local port): a DNAT to the incoming interface's address, with the port when given.
//! The table is loaded with the real `nft -f` on the simulated host; `explain_with` must
//! predict what real connections do (and which service answers), and the rules must print as
//! `nft list ruleset` prints them.

use std::net::SocketAddr;

use crate::support::docker::run_in;
use crate::support::evalsim::live;
use crate::support::probes::timeout_for;

use dfw_core::eval::{explain_with, Packet, Verdict};
use dfw_core::model::Family;
use dfw_core::native::print::ruleset_text;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

const REDIRECTS: &str = r#"table inet forwards {
	chain nat_PREROUTING {
		type nat hook prerouting priority dstnat + 10; policy accept;
		iifname "eth0" tcp dport 2222 redirect to :9999
		iifname "eth1" tcp dport 2222 redirect to :22
		iifname "eth0" tcp dport 2223 redirect
	}
}
"#;

#[test]
fn kernel_native_redirect_is_a_dnat_to_the_incoming_address() {
    if !kernel_gate("kernel_native_redirect_is_a_dnat_to_the_incoming_address") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    run_in(h.host(), "nft", &["-f", "-"], REDIRECTS).unwrap_or_else(|e| panic!("{e}"));
    let listed = run_in(h.host(), "nft", &["list", "ruleset"], "").unwrap();
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    assert_eq!(ruleset_text(&native), listed);

    let (rs, host) = live(&h, Family::Ipv4, &[EXTERNAL_IF, LAN_IF]);
    let cases = [
        // To the host's external address: redirected to its own port 9999.
        (
            Side::Internet,
            STRANGER_V4,
            EXTERNAL_IF,
            HOST_V4,
            2222,
            Some("host-app"),
        ),
        // To the LAN address over eth0: still the incoming interface's (eth0's) address.
        (
            Side::Internet,
            STRANGER_V4,
            EXTERNAL_IF,
            HOST_V4,
            2223,
            None,
        ),
        (
            Side::Lan,
            LAN_CLIENT_V4,
            LAN_IF,
            HOST_LAN_V4,
            2222,
            Some("host-ssh"),
        ),
    ];
    for (side, src, iface, dst, port, service) in cases {
        let t = explain_with(&rs, &native, &Packet::tcp_syn(iface, src, dst, port), &host)
            .expect("explain");
        assert_eq!(t.verdict, Verdict::Accept, "{port}: {:?}", t.decided_by);
        let d = t.dnat.as_ref().expect("redirected");
        let incoming = if iface == EXTERNAL_IF {
            HOST_V4
        } else {
            HOST_LAN_V4
        };
        assert_eq!(d.dst, incoming);
        let want = if service.is_some() {
            Probe::Open
        } else {
            Probe::Refused
        };
        let check = Check {
            from: side,
            src,
            proto: Proto::Tcp,
            dst: SocketAddr::new(dst, port),
        };
        let (got, greeting) = h.check(&check, timeout_for(want)).expect("probe");
        assert_eq!(got, want, "{check}");
        assert_eq!(greeting.map(|g| g.service).as_deref(), service, "{check}");
    }
}
