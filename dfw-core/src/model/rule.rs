//! A rule: the fixed header (`-s -d -i -o -p`), extension matches in order, one target.

use super::{Family, Iface, Match, ModelError, Neg, Network, Protocol, Target};

/// Packet and byte counters (`[p:b]`, `-c p b`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// The part of a rule every iptables rule has (`struct ipt_ip`), printed first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct RuleHeader {
    /// `-s`.
    pub src: Option<Neg<Network>>,
    /// `-d`.
    pub dst: Option<Neg<Network>>,
    /// `-i`.
    pub in_iface: Option<Neg<Iface>>,
    /// `-o`.
    pub out_iface: Option<Neg<Iface>>,
    /// `-p`.
    pub proto: Option<Neg<Protocol>>,
}

/// One rule. Equality compares everything but counters.
#[derive(Debug, Clone, Eq, Default)]
pub struct Rule {
    /// Addresses, interfaces, protocol.
    pub header: RuleHeader,
    /// Extension matches, in order.
    pub matches: Vec<Match>,
    /// The target, if any (a rule without one only counts).
    pub target: Option<Target>,
    /// Counters, when known.
    pub counters: Option<Counters>,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.header == other.header && self.matches == other.matches && self.target == other.target
    }
}

impl std::hash::Hash for Rule {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.header.hash(state);
        self.matches.hash(state);
        self.target.hash(state);
    }
}

impl Rule {
    /// A rule with only a target.
    pub fn with_target(target: Target) -> Self {
        Rule {
            target: Some(target),
            ..Rule::default()
        }
    }

    /// The protocol the rule is bound to (`-p tcp`, not inverted), if any.
    pub fn bound_proto(&self) -> Option<Protocol> {
        self.header
            .proto
            .as_ref()
            .filter(|p| !p.negated)
            .map(|p| p.value)
    }

    /// Checks the rule belongs to `family` and its protocol-bound parts have their protocol:
    /// `tcp`/`udp`/`icmp`/`icmp6` matches and `--reject-with tcp-reset` need `-p` of that
    /// protocol, as the kernel requires.
    ///
    /// # Errors
    /// [`ModelError`] naming the offending part.
    pub fn check(&self, family: Family) -> Result<(), ModelError> {
        for net in [&self.header.src, &self.header.dst].into_iter().flatten() {
            if net.value.family() != family {
                return Err(ModelError::WrongFamily {
                    addr: net.value.addr().to_string(),
                    family,
                });
            }
        }
        let proto = self.bound_proto();
        let need = |m: &str, p: Protocol| -> Result<(), ModelError> {
            if proto == Some(p) {
                Ok(())
            } else {
                Err(ModelError::Invalid {
                    what: "match",
                    reason: format!("-m {m} needs -p {p}"),
                })
            }
        };
        for m in &self.matches {
            m.check_family(family)?;
            match m {
                Match::Tcp(_) => need("tcp", Protocol::TCP)?,
                Match::Udp(_) => need("udp", Protocol::UDP)?,
                Match::Icmp(_) => need("icmp", Protocol::ICMP)?,
                Match::Icmp6(_) => need("icmp6", Protocol::ICMPV6)?,
                Match::Sctp(_) => need("sctp", Protocol::SCTP)?,
                Match::Multiport(_)
                    if !matches!(proto.map(|p| p.number()), Some(6 | 17 | 132 | 33 | 136)) =>
                {
                    return Err(ModelError::Invalid {
                        what: "match",
                        reason: "-m multiport needs -p tcp, udp, udplite, sctp or dccp".into(),
                    });
                }
                _ => {}
            }
        }
        if let Some(t) = &self.target {
            t.check_family(family)?;
            let ports = match t {
                Target::Dnat(n) | Target::Snat(n) => n.ports.is_some(),
                Target::Masquerade(m) => m.ports.is_some(),
                _ => false,
            };
            // libxt NAT targets take ports for tcp, udp, sctp and dccp and, IPv4 only, the ICMP
            // id of -p icmp: what iptables 1.8.9 and ip6tables 1.8.9 accept (measured).
            let port_proto = matches!(
                (family, proto.map(|p| p.number())),
                (_, Some(6 | 17 | 33 | 132)) | (Family::Ipv4, Some(1))
            );
            if ports && !port_proto {
                return Err(ModelError::Invalid {
                    what: "target",
                    reason: "NAT ports need -p tcp, udp, sctp or dccp (or icmp for IPv4)".into(),
                });
            }
            if matches!(t, Target::Tcpmss(_)) && proto != Some(Protocol::TCP) {
                return Err(ModelError::Invalid {
                    what: "TCPMSS",
                    reason: "-j TCPMSS needs -p tcp".into(),
                });
            }
            if let Target::Redirect(r) = t {
                if r.ports.is_some() && !port_proto {
                    return Err(ModelError::Invalid {
                        what: "REDIRECT",
                        reason: "--to-ports needs -p tcp, udp, sctp or dccp (or icmp for IPv4)"
                            .into(),
                    });
                }
            }
            if let Target::Reject(r) = t {
                if r.is_tcp_reset() && proto != Some(Protocol::TCP) {
                    return Err(ModelError::Invalid {
                        what: "REJECT",
                        reason: "--reject-with tcp-reset needs -p tcp".into(),
                    });
                }
            }
        }
        Ok(())
    }
}
