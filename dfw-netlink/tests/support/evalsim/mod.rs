//! The evaluator's kernel test harness: the live ruleset and host read from the simulated
//! Docker host's kernel, what a real connection must do given `explain`'s verdict, and the
//! (source, destination) pairs probed. Used by `kernel/eval.rs`.

pub mod policy;

use std::net::{IpAddr, SocketAddr};

use dfw_core::eval::{DnatApplied, Host, RouteDecision, Trace, Verdict};
use dfw_core::model::{Family, Ruleset};
use dfw_core::syntax::RestoreScript;
use dfw_netlink::firewall::{Firewall, RestoreOptions};
use dfw_netlink::kernel_ruleset::read_ruleset;
use dfw_netlink::route::read_host;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{Check, DockerHost, Probe, Proto, Rtnl, Side};

/// The kernel's ruleset of `family` and the host description, read inside the host namespace
/// exactly as `dfw-cli audit` reads them.
/// `externals`: the interfaces the audit examines.
pub fn live(h: &DockerHost, family: Family, externals: &[&str]) -> (Ruleset, Host) {
    let externals: Vec<String> = externals.iter().map(|s| s.to_string()).collect();
    h.host()
        .run(|| {
            let mut fw = Firewall::open().expect("firewall");
            let rs = read_ruleset(&mut fw, family).expect("ruleset");
            let host = read_host(family, &externals).expect("host");
            (rs, host)
        })
        .expect("host namespace")
}

/// Whether a server listens at `addr:port` (the simulation's services).
pub fn listens(side: Side, proto: Proto, port: u16) -> bool {
    matches!(
        (side, proto, port),
        (Side::Host, Proto::Tcp, HOST_SSH)
            | (Side::Host, Proto::Tcp, HOST_APP)
            | (Side::Web, Proto::Tcp, WEB_PORT)
            | (Side::Db, Proto::Tcp, DB_PORT)
            | (Side::Db, Proto::Udp, DNS_PORT)
    )
}

/// The container side owning `addr`.
pub fn side_of(addr: IpAddr) -> Option<Side> {
    if [WEB_V4, WEB_V6].contains(&addr) {
        Some(Side::Web)
    } else if [DB_V4, DB_V6].contains(&addr) {
        Some(Side::Db)
    } else {
        None
    }
}

/// What a real connection must do given the trace: a drop times out, a reject is refused, an
/// accepted packet opens when a server listens at its final destination and is refused
/// otherwise (RST or port unreachable). `None` when the verdict is unknown.
pub fn expected(t: &Trace, proto: Proto, dst: SocketAddr) -> Option<Probe> {
    outcome(&t.verdict, t.dnat.as_ref(), t.route.as_ref(), proto, dst)
}

/// As [`expected`], from a verdict, the DNAT applied and the routing decision.
pub fn outcome(
    verdict: &Verdict,
    dnat: Option<&DnatApplied>,
    route: Option<&RouteDecision>,
    proto: Proto,
    dst: SocketAddr,
) -> Option<Probe> {
    match verdict {
        Verdict::Unknown(_) => None,
        Verdict::Drop => Some(Probe::TimedOut),
        Verdict::Reject(_) => Some(Probe::Refused),
        Verdict::Accept => {
            let (addr, port) = match dnat {
                Some(d) => (d.dst, d.port.unwrap_or(dst.port())),
                None => (dst.ip(), dst.port()),
            };
            let side = match route {
                Some(RouteDecision::Local) => Some(Side::Host),
                Some(RouteDecision::Forward(_)) => side_of(addr),
                _ => None,
            };
            Some(match side {
                Some(s) if listens(s, proto, port) => Probe::Open,
                _ => Probe::Refused,
            })
        }
    }
}

/// A probe pair: the check and the interface its packet arrives on at the host.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// The real connection.
    pub check: Check,
    /// The host interface it arrives on.
    pub iface: &'static str,
}

/// `n` random pairs of the family from the internet and LAN sides: published ports, host
/// ports, a closed port, the 2222 DNAT port, and the web container addressed directly.
pub fn random_pairs(rng: &mut policy::Lcg, v6: bool, n: usize) -> Vec<Pair> {
    let (inet, host, lan_src, lan_dst, web): (Vec<IpAddr>, _, _, _, _) = if v6 {
        (
            vec![INET_GW_V6, WHITELISTED_V6, OTHER_V6, STRANGER_V6],
            HOST_V6,
            LAN_CLIENT_V6,
            HOST_LAN_V6,
            WEB_V6,
        )
    } else {
        (
            vec![
                INET_GW_V4,
                WHITELISTED_V4,
                IN_RANGE_V4,
                STRANGER_V4,
                STRANGER2_V4,
            ],
            HOST_V4,
            LAN_CLIENT_V4,
            HOST_LAN_V4,
            WEB_V4,
        )
    };
    let services: &[(Proto, u16)] = &[
        (Proto::Tcp, WEB_PUBLISHED),
        (Proto::Tcp, DB_PORT),
        (Proto::Udp, DNS_PUBLISHED),
        (Proto::Tcp, HOST_SSH),
        (Proto::Tcp, HOST_APP),
        (Proto::Tcp, 2222),
        (Proto::Tcp, 81),
        (Proto::Udp, 9),
    ];
    (0..n)
        .map(|_| {
            let lan = rng.below(4) == 0;
            let (proto, port) = *rng.pick(services);
            let (from, src, iface) = if lan {
                (Side::Lan, lan_src, LAN_IF)
            } else {
                (Side::Internet, *rng.pick(&inet), EXTERNAL_IF)
            };
            let mut dst = match (lan, rng.below(3)) {
                (true, 0) => lan_dst,
                _ => host,
            };
            let mut port = port;
            let mut proto = proto;
            if rng.below(8) == 0 {
                (dst, port, proto) = (web, WEB_PORT, Proto::Tcp);
            }
            Pair {
                check: Check {
                    from,
                    src,
                    proto,
                    dst: SocketAddr::new(dst, port),
                },
                iface,
            }
        })
        .collect()
}

/// Loads `text` with dfw's own `Firewall::restore --noflush` inside the host namespace.
pub fn restore_with_dfw(h: &DockerHost, family: Family, text: &str) {
    let script = RestoreScript::parse(family, text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let opts = RestoreOptions {
        noflush: true,
        ..Default::default()
    };
    h.host()
        .run(|| Firewall::open().expect("firewall").restore(&script, opts))
        .expect("host namespace")
        .unwrap_or_else(|e| panic!("dfw restore: {e}\n{text}"));
}

/// Adds `addr` (a /32 or /128) to the link of `side`, so probes can start from it.
pub fn add_source(h: &DockerHost, side: Side, addr: IpAddr) {
    let ns = h.ns(side);
    let prefix = if addr.is_ipv4() { 32 } else { 128 };
    ns.run(|| Rtnl::open(ns.label())?.add_addr("eth0", addr, prefix))
        .expect("namespace")
        .expect("add address");
}
