//! [`DockerHost`]: the simulated Docker host of [`super::topology`], built over rtnetlink in
//! five fresh namespaces, with its servers running.
//!
//! Contract: [`DockerHost::start`] returns only when every link is operationally up (passes
//! packets: the kernel has handled its carrier change, see [`Rtnl::await_up`]), every address
//! usable (IPv6 without DAD) and every server listening; on error, everything built so far is torn
//! down. It loads no firewall rule: callers load Docker's (and dfw's) rules inside
//! [`DockerHost::host`]. Dropping it stops and joins the server threads first, then closes the
//! namespaces (unbinding `/run/netns/NAME` for [`DockerHost::start_named`]); the kernel frees
//! each namespace, with its links, addresses, routes and rules, once its last reference is gone.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::error::SimError;
use super::netns::NetNs;
use super::probe::{self, Check, Greeting, Probe, Proto};
use super::rtnl_conn::Rtnl;
use super::server::{Servers, Service};
use super::sysctl::write_sysctls;
use super::topology::*;

/// The simulated Docker host (see the module contract and [`super::topology`]).
#[derive(Debug)]
pub struct DockerHost {
    // Declaration order is drop order: servers (and their sockets) go before the namespaces.
    servers: Servers,
    host: NetNs,
    internet: NetNs,
    lan: NetNs,
    web: NetNs,
    db: NetNs,
}

/// One line of a [`DockerHost::survey`]: the check, its outcome and the server's greeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// What was tried.
    pub check: Check,
    /// What happened.
    pub probe: Probe,
    /// What the server said, when it answered.
    pub greeting: Option<Greeting>,
}

impl std::fmt::Display for Outcome {
    /// `internet 198.51.100.200 -> 203.0.113.1:8080/tcp: open (web)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.probe)?;
        if let Some(g) = &self.greeting {
            write!(f, " ({})", g.service)?;
        }
        Ok(())
    }
}

/// An address with its prefix length.
type Cidr = (IpAddr, u8);

impl DockerHost {
    /// A probe timeout that keeps test suites fast and is still far above the simulated
    /// round-trip time (tens of microseconds).
    pub const PROBE_TIMEOUT: Duration = Duration::from_millis(400);

    /// How long [`DockerHost::start`] waits for a link to come up before it gives up.
    pub(super) const LINK_UP_LIMIT: Duration = Duration::from_secs(30);

    /// Builds the topology in anonymous namespaces and starts its servers.
    ///
    /// # Errors
    /// Any [`SimError`] of building it (namespaces, rtnetlink, sysctls, sockets).
    pub fn start() -> Result<Self, SimError> {
        Self::build(NetNs::new(Side::Host.name())?)
    }

    /// As [`DockerHost::start`], with the host namespace bound at `/run/netns/NAME` so that
    /// `dfw-cli --netns NAME` (and `ip netns exec NAME iptables-save`) reach it.
    ///
    /// # Errors
    /// As [`DockerHost::start`], and [`SimError::NameTaken`] when the name exists.
    pub fn start_named(name: &str) -> Result<Self, SimError> {
        Self::build(NetNs::named(name)?)
    }

    fn build(host: NetNs) -> Result<Self, SimError> {
        let mut this = DockerHost {
            servers: Servers::new(),
            host,
            internet: NetNs::new(Side::Internet.name())?,
            lan: NetNs::new(Side::Lan.name())?,
            web: NetNs::new(Side::Web.name())?,
            db: NetNs::new(Side::Db.name())?,
        };
        for side in Side::ALL {
            let forward = if side == Side::Host { "1" } else { "0" };
            write_sysctls(this.ns(side), &sysctls(forward))?;
        }
        this.wire_host()?;
        for side in [Side::Internet, Side::Lan, Side::Web, Side::Db] {
            let (addrs, routes) = peer_plan(side);
            configure(this.ns(side), &["lo", "eth0"], "eth0", &addrs, &routes)?;
        }
        this.await_links_up()?;
        let mut servers = Servers::new();
        for side in Side::ALL {
            servers.start(this.ns(side), &services(side))?;
        }
        this.servers = servers;
        Ok(this)
    }

    /// Creates every link from the host side (peers directly in their namespaces) and
    /// configures the host's end.
    fn wire_host(&self) -> Result<(), SimError> {
        self.host.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(self.host.label())?;
            r.add_veth(EXTERNAL_IF, "eth0", &self.internet)?;
            r.add_veth(LAN_IF, "eth0", &self.lan)?;
            r.add_bridge(BRIDGE)?;
            r.add_veth("vethweb", "eth0", &self.web)?;
            r.add_veth("vethdb", "eth0", &self.db)?;
            r.set_master("vethweb", BRIDGE)?;
            r.set_master("vethdb", BRIDGE)?;
            Ok(())
        })??;
        let links = ["lo", EXTERNAL_IF, LAN_IF, BRIDGE, "vethweb", "vethdb"];
        configure(&self.host, &links, EXTERNAL_IF, &[], &[])?;
        let addrs: [(&str, Cidr); 6] = [
            (EXTERNAL_IF, (HOST_V4, 24)),
            (EXTERNAL_IF, (HOST_V6, 64)),
            (LAN_IF, (HOST_LAN_V4, 24)),
            (LAN_IF, (HOST_LAN_V6, 64)),
            (BRIDGE, (DOCKER0_V4, 16)),
            (BRIDGE, (DOCKER0_V6, 64)),
        ];
        self.host.run(|| -> Result<(), SimError> {
            let mut r = Rtnl::open(self.host.label())?;
            for (link, (addr, prefix)) in addrs {
                r.add_addr(link, addr, prefix)?;
            }
            r.add_route(HOST_V4, 0, INET_GW_V4)?;
            r.add_route(HOST_V6, 0, INET_GW_V6)?;
            Ok(())
        })?
    }

    /// Waits until every link passes packets (see [`Rtnl::await_up`]): each veth end, then
    /// the bridge, whose ports are enabled only once their link is up.
    fn await_links_up(&self) -> Result<(), SimError> {
        for side in Side::ALL {
            let links: &[&str] = match side {
                Side::Host => &[EXTERNAL_IF, LAN_IF, "vethweb", "vethdb", BRIDGE],
                _ => &["eth0"],
            };
            let ns = self.ns(side);
            ns.run(|| -> Result<(), SimError> {
                let mut r = Rtnl::open(ns.label())?;
                for link in links {
                    r.await_up(link, Self::LINK_UP_LIMIT)?;
                }
                Ok(())
            })??;
        }
        Ok(())
    }

    /// The host namespace: load firewall rules here (the oracle `iptables-restore` spawned
    /// from [`NetNs::run`], or dfw's commit).
    pub fn host(&self) -> &NetNs {
        &self.host
    }

    /// The namespace of `side`.
    pub fn ns(&self, side: Side) -> &NetNs {
        match side {
            Side::Host => &self.host,
            Side::Internet => &self.internet,
            Side::Lan => &self.lan,
            Side::Web => &self.web,
            Side::Db => &self.db,
        }
    }

    /// A TCP connection from `src` (an address of `from`) to `dst` (see [`Probe`] for
    /// how outcomes are classified).
    ///
    /// # Errors
    /// [`SimError::Socket`] for failures that are not an outcome.
    pub fn tcp_probe(
        &self,
        from: Side,
        src: IpAddr,
        dst: SocketAddr,
        timeout: Duration,
    ) -> Result<Probe, SimError> {
        probe::tcp_probe(self.ns(from), src, dst, timeout)
    }

    /// A UDP exchange from `src` (an address of `from`) to `dst` (see [`Probe`] for
    /// how outcomes are classified).
    ///
    /// # Errors
    /// [`SimError::Socket`] for failures that are not an outcome.
    pub fn udp_probe(
        &self,
        from: Side,
        src: IpAddr,
        dst: SocketAddr,
        timeout: Duration,
    ) -> Result<Probe, SimError> {
        probe::udp_probe(self.ns(from), src, dst, timeout)
    }

    /// Runs one [`Check`], also returning what the server said (its name and the source it
    /// saw) when it answered.
    ///
    /// # Errors
    /// [`SimError::Socket`] for failures that are not an outcome.
    pub fn check(
        &self,
        check: &Check,
        timeout: Duration,
    ) -> Result<(Probe, Option<Greeting>), SimError> {
        let ns = self.ns(check.from);
        match check.proto {
            Proto::Tcp => probe::tcp_greeting(ns, check.src, check.dst, timeout),
            Proto::Udp => probe::udp_greeting(ns, check.src, check.dst, timeout),
        }
    }

    /// Runs `checks` concurrently (so their timeouts overlap) and returns the outcomes in
    /// order.
    ///
    /// # Errors
    /// The first [`SimError`] of any check.
    pub fn check_all(&self, checks: &[Check], timeout: Duration) -> Result<Vec<Probe>, SimError> {
        Ok(self
            .survey(checks, timeout)?
            .into_iter()
            .map(|o| o.probe)
            .collect())
    }

    /// As [`DockerHost::check_all`], keeping each check and what the server said: a report
    /// that prints one line per check (for the demo).
    ///
    /// # Errors
    /// The first [`SimError`] of any check.
    pub fn survey(&self, checks: &[Check], timeout: Duration) -> Result<Vec<Outcome>, SimError> {
        std::thread::scope(|s| {
            let handles: Vec<_> = checks
                .iter()
                .map(|c| s.spawn(move || self.check(c, timeout)))
                .collect();
            checks
                .iter()
                .zip(handles)
                .map(|(c, h)| match h.join() {
                    Ok(r) => r.map(|(probe, greeting)| Outcome {
                        check: *c,
                        probe,
                        greeting,
                    }),
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }

    /// What a stranger on the internet (198.51.100.200, 3fff::7) tries: every published port
    /// and the host's own services, over IPv4 and IPv6, addressed to the host.
    pub fn internet_survey() -> Vec<Check> {
        let tcp = |src, dst, port| Check {
            from: Side::Internet,
            src,
            proto: Proto::Tcp,
            dst: SocketAddr::new(dst, port),
        };
        let mut checks: Vec<Check> = [WEB_PUBLISHED, DB_PORT, HOST_SSH, HOST_APP]
            .into_iter()
            .map(|p| tcp(STRANGER_V4, HOST_V4, p))
            .collect();
        checks.push(Check {
            proto: Proto::Udp,
            ..tcp(STRANGER_V4, HOST_V4, DNS_PUBLISHED)
        });
        checks.extend(
            [WEB_PUBLISHED, HOST_SSH, HOST_APP]
                .into_iter()
                .map(|p| tcp(STRANGER_V6, HOST_V6, p)),
        );
        checks
    }

    /// Stops the servers and closes the namespaces now, reporting what `Drop` must ignore
    /// (unbinding `/run/netns/NAME`).
    ///
    /// # Errors
    /// [`SimError::Netns`] when the named namespace cannot be unbound.
    pub fn shutdown(mut self) -> Result<(), SimError> {
        self.servers.stop();
        let DockerHost { host, .. } = self;
        host.close()
    }
}

/// The sysctls of every namespace (`forward`: "1" on the host only). DAD is off so IPv6
/// addresses (link-local ones too) are usable at once; reverse-path filtering is off so the
/// extra internet sources are never dropped by it. No ICMP error is rate limited (empty
/// `ratemask`: neither the per-destination limit, 6 at once then 1 per second, nor the
/// namespace-wide burst of 50), so every REJECT and closed port answers however many probes
/// arrive at once, and a probe that should be refused is never seen as timed out.
pub(super) fn sysctls(forward: &str) -> [(&'static str, &str); 10] {
    [
        ("net/ipv4/icmp_ratemask", "0"),
        ("net/ipv6/icmp/ratemask", "\n"),
        ("net/ipv6/conf/all/accept_dad", "0"),
        ("net/ipv6/conf/default/accept_dad", "0"),
        ("net/ipv4/conf/all/rp_filter", "0"),
        ("net/ipv4/conf/default/rp_filter", "0"),
        ("net/ipv6/bindv6only", "0"),
        ("net/ipv4/ip_forward", forward),
        ("net/ipv6/conf/all/forwarding", forward),
        ("net/ipv4/conf/all/forwarding", forward),
    ]
}

/// Addresses (on `eth0`) and routes (`dst/prefix via gateway`) of a side other than the host.
fn peer_plan(side: Side) -> (Vec<Cidr>, Vec<(IpAddr, u8, IpAddr)>) {
    let unspec4: IpAddr = std::net::Ipv4Addr::UNSPECIFIED.into();
    let unspec6: IpAddr = std::net::Ipv6Addr::UNSPECIFIED.into();
    let defaults = |gw4, gw6| vec![(unspec4, 0, gw4), (unspec6, 0, gw6)];
    match side {
        Side::Internet => {
            let mut addrs = vec![(INET_GW_V4, 24), (INET_GW_V6, 64)];
            addrs.extend(
                INTERNET_SOURCES
                    .iter()
                    .map(|a| (*a, if a.is_ipv4() { 32 } else { 128 })),
            );
            let docker_v4: IpAddr = [172, 17, 0, 0].into();
            let docker_v6: IpAddr = [0xfd00, 0xdead, 0xbeef, 0, 0, 0, 0, 0].into();
            (
                addrs,
                vec![(docker_v4, 16, HOST_V4), (docker_v6, 64, HOST_V6)],
            )
        }
        Side::Lan => (
            vec![(LAN_CLIENT_V4, 24), (LAN_CLIENT_V6, 64)],
            defaults(HOST_LAN_V4, HOST_LAN_V6),
        ),
        Side::Web => (
            vec![(WEB_V4, 16), (WEB_V6, 64)],
            defaults(DOCKER0_V4, DOCKER0_V6),
        ),
        Side::Db => (
            vec![(DB_V4, 16), (DB_V6, 64)],
            defaults(DOCKER0_V4, DOCKER0_V6),
        ),
        Side::Host => (Vec::new(), Vec::new()),
    }
}

/// Sets `links` up, adds `addrs` to `link`, then adds `routes`, inside `ns`.
fn configure(
    ns: &NetNs,
    links: &[&str],
    link: &str,
    addrs: &[Cidr],
    routes: &[(IpAddr, u8, IpAddr)],
) -> Result<(), SimError> {
    ns.run(|| -> Result<(), SimError> {
        let mut r = Rtnl::open(ns.label())?;
        for l in links {
            r.set_up(l)?;
        }
        for (addr, prefix) in addrs {
            r.add_addr(link, *addr, *prefix)?;
        }
        for (dst, prefix, gw) in routes {
            r.add_route(*dst, *prefix, *gw)?;
        }
        Ok(())
    })?
}

/// The servers of each side.
fn services(side: Side) -> Vec<Service> {
    let tcp = |name, port| Service {
        name,
        proto: Proto::Tcp,
        port,
        addr: None,
    };
    let udp = |name, port| Service {
        name,
        proto: Proto::Udp,
        port,
        addr: None,
    };
    match side {
        Side::Host => vec![tcp("host-ssh", HOST_SSH), tcp("host-app", HOST_APP)],
        Side::Internet => {
            // UDP once per address, so each answer leaves from the address that was asked.
            let mut all = vec![tcp("internet-https", INET_HTTPS)];
            all.extend(
                [INET_GW_V4, INET_GW_V6]
                    .iter()
                    .chain(&INTERNET_SOURCES)
                    .map(|a| Service {
                        addr: Some(*a),
                        ..udp("internet-dns", INET_DNS)
                    }),
            );
            all
        }
        Side::Lan => vec![tcp("lan-ssh", HOST_SSH)],
        Side::Web => vec![tcp("web", WEB_PORT)],
        Side::Db => vec![tcp("db", DB_PORT), udp("db-dns", DNS_PORT)],
    }
}
