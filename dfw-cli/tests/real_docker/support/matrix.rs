//! Who can connect: real TCP connections and UDP exchanges from the internet (a listed and an
//! unlisted source) and the LAN, both families, to every published port, each answered (or
//! not) by the container's greeter. An expected "open" must be answered by the right
//! container; an expected "blocked" must not be answered at all.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use dfw_netlink::sim::{tcp_greeting, udp_greeting, Greeting, Probe};

use super::lab::{host_ext, host_lan, lan_client, listed, stranger, Lab};

/// How long one probe waits for an answer. Blocked ports are rejected (an immediate ICMP
/// error), so this only bounds a failure; it never decides a pass.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Who the policy lets reach a published port from the internet (the LAN is never filtered:
/// it is not an external interface).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allow {
    /// Everyone.
    Everyone,
    /// Only the listed sources.
    Listed,
    /// Nobody from the internet.
    LanOnly,
}

/// One published port.
#[derive(Debug, Clone, Copy)]
pub struct Svc {
    /// The container that serves it (its greeting).
    pub container: &'static str,
    /// The published host port.
    pub port: u16,
    /// UDP (else TCP).
    pub udp: bool,
    /// What the policy says.
    pub allow: Allow,
}

/// Where a probe comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum From {
    /// The internet, a source the policy lists.
    Listed,
    /// The internet, a source the policy does not mention.
    Stranger,
    /// The LAN.
    Lan,
}

/// What a stage expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// Docker alone (no dfw, or after a rollback to none): everything published is open.
    AllOpen,
    /// dfw's policy.
    Policy,
}

fn open_expected(e: Expect, s: &Svc, from: From) -> bool {
    matches!(
        (e, s.allow, from),
        (Expect::AllOpen, _, _)
            | (_, _, From::Lan)
            | (_, Allow::Everyone, _)
            | (_, Allow::Listed, From::Listed)
    )
}

/// One probe's result.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Where from.
    pub from: From,
    /// The source address.
    pub src: IpAddr,
    /// The destination.
    pub dst: SocketAddr,
    /// The service.
    pub svc: Svc,
    /// The outcome.
    pub probe: Probe,
    /// The answer, if any.
    pub greeting: Option<Greeting>,
    /// What was expected.
    pub want_open: bool,
}

impl Seen {
    /// True when the outcome is what the stage expects.
    pub fn ok(&self) -> bool {
        let answered = self.probe == Probe::Open
            && self
                .greeting
                .as_ref()
                .is_some_and(|g| g.service == self.svc.container);
        if self.want_open {
            answered
        } else {
            self.probe != Probe::Open
        }
    }
}

impl std::fmt::Display for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let proto = if self.svc.udp { "udp" } else { "tcp" };
        write!(
            f,
            "{:?} {} -> {}/{proto} ({}): {}",
            self.from, self.src, self.dst, self.svc.container, self.probe
        )?;
        if let Some(g) = &self.greeting {
            write!(f, " [{} saw {}]", g.service, g.peer)?;
        }
        write!(
            f,
            ", expected {}",
            if self.want_open { "open" } else { "blocked" }
        )
    }
}

/// Probes every service from every source, both families.
pub fn probe_all(lab: &Lab, services: &[Svc], expect: Expect) -> Vec<Seen> {
    let mut out = Vec::new();
    for v6 in [false, true] {
        for from in [From::Stranger, From::Listed, From::Lan] {
            let (ns, src, host) = match from {
                From::Stranger => (&lab.internet, stranger(v6), host_ext(v6)),
                From::Listed => (&lab.internet, listed(v6), host_ext(v6)),
                From::Lan => (&lab.lan, lan_client(v6), host_lan(v6)),
            };
            for s in services {
                let dst = SocketAddr::new(host, s.port);
                let r = if s.udp {
                    udp_greeting(ns, src, dst, PROBE_TIMEOUT)
                } else {
                    tcp_greeting(ns, src, dst, PROBE_TIMEOUT)
                };
                let (probe, greeting) = r.unwrap_or_else(|e| panic!("probe {src} -> {dst}: {e}"));
                out.push(Seen {
                    from,
                    src,
                    dst,
                    svc: *s,
                    probe,
                    greeting,
                    want_open: open_expected(expect, s, from),
                });
            }
        }
    }
    out
}

/// The failed probes of `seen`, one per line (empty when all passed).
pub fn failures(seen: &[Seen]) -> String {
    let mut out = String::new();
    for s in seen.iter().filter(|s| !s.ok()) {
        let _ = writeln!(out, "  {s}");
    }
    out
}

/// How the IPv6 clients reached each published port from the internet: `DNAT` when the
/// container saw the client's address, `proxy` when it saw another one (docker-proxy's).
pub fn ipv6_paths(seen: &[Seen]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for s in seen
        .iter()
        .filter(|s| s.src.is_ipv6() && s.from == From::Stranger)
    {
        let how = match &s.greeting {
            Some(g) if g.peer == s.src => "DNAT",
            Some(_) => "proxy",
            None => "no answer",
        };
        let proto = if s.svc.udp { "udp" } else { "tcp" };
        parts.push(format!("{}/{proto} {how}", s.svc.port));
    }
    parts.join(", ")
}
