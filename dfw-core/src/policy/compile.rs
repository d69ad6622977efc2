//! The compiler: a [`Policy`] and the resolved external interfaces to dfw's chains, per family.
//!
//! Contract: pure and total; every rule it makes passes [`Rule::check`] for its family. Layout
//! (`filter` table of each family):
//! - `DOCKER-USER`: `-m comment --comment dfw -j DFW-DOCKER` at the top.
//! - `DFW-DOCKER`: each `[[forward]]` pair `-i IN -o OUT -j ACCEPT` and its replies
//!   `-i OUT -o IN -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT` (Docker sets FORWARD's
//!   policy to DROP), then `-i EXT -j DFW-DOCKER-EXT` per external interface.
//! - `DFW-DOCKER-EXT`: established/related, the block list (`-j DROP`: its static entries,
//!   the ban set, the sets of `ipsets`), whitelist, LAN, allowed ports (matched on the
//!   conntrack ORIGINAL destination port and address: DOCKER-USER sees packets after DNAT),
//!   all `-j RETURN` so Docker's own chains still decide; then the default action.
//! - With `host = true`, `INPUT`: `-m comment --comment dfw -j DFW-INPUT` at the top;
//!   `DFW-INPUT`: `-i lo -j ACCEPT`, then `-i EXT -j DFW-INPUT-EXT` per external interface;
//!   `DFW-INPUT-EXT`: established/related, the block list, what a host needs (IPv6 neighbour discovery, MLD and
//!   ICMPv6 errors; DHCP client replies), ping if enabled, whitelist, LAN, allowed ports
//!   (`-m tcp --dport`), all `-j ACCEPT`; then the default action.
//! - A body (`DFW-DOCKER-EXT`, `DFW-INPUT-EXT`) longer than [`SEGMENT_RULES`] is spread over
//!   chains `DFW-DOCKER-EXT.1`, `.2`, ... by source address, reached with `-s BLOCK -g`
//!   (`policy/segment.rs`: same verdict for every packet, linear reads back).
//!
//! With `host = false` and a `[blocklist]`, `DFW-BLOCK` (INPUT's jump
//! `-m comment --comment dfw -j DFW-BLOCK`) holds established/related `-j RETURN` and the block
//! list per external interface (`-i EXT ... -j DROP`): blocked sources are refused on the
//! host path too, and nothing else is filtered there.
//!
//! Long source lists (more than [`super::SET_THRESHOLD`] entries of a family) become one
//! `-m set --match-set dfw-... src` rule when [`CompileInputs::sets`] says the kernel has
//! ipset (see [`super::sets`]); the sets and their members are in [`Compiled::sets`].
//!
//! With `host = false`, the ports Docker publishes are filtered on INPUT too (docker-proxy's
//! path): [`Compiled::with_published`](super::Compiled::with_published), from the kernel's
//! DNAT rules, adds `DFW-PROXY` and its INPUT jump at commit time.
//!
//! Addresses go to their family: an allow whose `from` has no source of a family, or whose `to`
//! is of the other family, makes no rule in that family (it never means "everyone").

use super::compiled::{
    chain_name, dfw_comment, Compiled, DfwJump, FamilyRules, CHAIN_BLOCK, CHAIN_DOCKER,
    CHAIN_DOCKER_EXT, CHAIN_INPUT, CHAIN_INPUT_EXT, DOCKER_USER, INPUT,
};
use super::config::{Allow, DefaultAction, Policy, PortSpec, Source, Transport};
use super::segment::{segment, SEGMENT_RULES};
use super::sets::{set_members, SetMembers, SetRole, SetSpec, SET_THRESHOLD};
use crate::model::matches::{
    Conntrack, CtStates, IcmpType, IpRange, SetMatch, SetName, TcpMatch, UdpMatch,
};
use crate::model::target::{Reject, RejectV4, RejectV6};
use crate::model::{
    Family, Iface, Match, Neg, Network, PortRange, Protocol, Rule, RuleHeader, Target,
};

/// ICMPv6 types a host needs whatever the policy: errors (1 destination unreachable, 2 packet
/// too big, 3 time exceeded, 4 parameter problem), MLD (130, 131, 132, 143) and neighbour
/// discovery (133 router solicitation, 134 router advertisement, 135/136 neighbour
/// solicitation/advertisement), as RFC 4890 recommends.
pub const HOST_ICMPV6_TYPES: [u8; 12] = [1, 2, 3, 4, 130, 131, 132, 133, 134, 135, 136, 143];

/// Which path a policy body is for: forwarded (Docker) traffic RETURNs, host traffic ACCEPTs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    Docker,
    Host,
}

impl Path {
    fn allowed(self) -> Target {
        match self {
            Path::Docker => Target::Return,
            Path::Host => Target::Accept,
        }
    }
}

/// What the compiler needs besides the policy and the external interfaces: facts about the
/// machine that a pure compiler cannot look up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompileInputs {
    /// The kernel has ipset: long source lists become sets, and `[blocklist]` gets its ban
    /// sets. Without it every list is one rule per entry and there are no bans.
    pub sets: bool,
    /// The entries read from `[blocklist] files` (see [`super::parse_block_file`]).
    pub block_files: Vec<Source>,
    /// The sets of `[blocklist] ipsets` that exist, with their family (a set that does not
    /// exist is left out by the caller, who says so).
    pub ipsets: Vec<(SetName, Family)>,
}

/// How one source list is matched in one family.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ListForm {
    /// One rule per entry.
    Linear,
    /// One rule matching this set.
    Set(SetName),
}

/// The decisions for one family's source lists, made once for both paths.
#[derive(Debug, Clone)]
struct Lists {
    whitelist: ListForm,
    lan: ListForm,
    allows: Vec<ListForm>,
    /// Static block entries (sources and files) of the family, when linear.
    block: Vec<Source>,
    /// Sets whose members are dropped: dfw's block set, ban set, then foreign sets.
    block_sets: Vec<SetName>,
}

impl Policy {
    /// Compiles the policy for both families. `external` is the list of external interfaces:
    /// the configured names, or those the caller resolved for `"auto"` (duplicates are
    /// ignored). With no external interface nothing is filtered (only `[[forward]]` applies).
    /// Lists stay one rule per entry (as [`Policy::compile_with`] without sets).
    pub fn compile(&self, external: &[Iface]) -> Compiled {
        self.compile_with(external, &CompileInputs::default())
    }

    /// Compiles the policy for both families with the machine's facts (see
    /// [`CompileInputs`] and [`super::sets`] for when a list becomes a set).
    pub fn compile_with(&self, external: &[Iface], inputs: &CompileInputs) -> Compiled {
        let mut ext: Vec<&Iface> = Vec::new();
        for i in external {
            if !ext.contains(&i) {
                ext.push(i);
            }
        }
        let mut sets = Vec::new();
        let l4 = self.lists(Family::Ipv4, inputs, &mut sets);
        let l6 = self.lists(Family::Ipv6, inputs, &mut sets);
        Compiled {
            v4: self.compile_family(&ext, Family::Ipv4, &l4),
            v6: self.compile_family(&ext, Family::Ipv6, &l6),
            sets,
            native: self
                .accept_fwmark
                .map(|m| super::fwmark::mark_table(&self.forward, m)),
        }
    }

    /// Decides how each source list of `family` is matched, adding the sets it needs.
    fn lists(&self, family: Family, inputs: &CompileInputs, sets: &mut Vec<SetSpec>) -> Lists {
        let mut form = |role: SetRole, sources: &mut dyn Iterator<Item = &Source>| {
            let sources: Vec<&Source> = sources.filter(|s| s.family() == family).collect();
            if !inputs.sets || sources.len() <= SET_THRESHOLD {
                return ListForm::Linear;
            }
            match set_members(sources, family) {
                Some(members) => {
                    let name = role.set_name(family);
                    sets.push(SetSpec {
                        name: name.clone(),
                        role,
                        family,
                        members: SetMembers::Static(members),
                    });
                    ListForm::Set(name)
                }
                None => ListForm::Linear,
            }
        };
        let whitelist = form(SetRole::Whitelist, &mut self.whitelist.iter());
        let lan = form(SetRole::Lan, &mut self.lan.iter());
        let allows = self
            .allow
            .iter()
            .enumerate()
            .map(|(i, a)| match &a.from {
                Some(from) if a.applies_to(family) => form(SetRole::Allow(i), &mut from.iter()),
                _ => ListForm::Linear,
            })
            .collect();
        let mut block = Vec::new();
        let mut block_sets = Vec::new();
        if let Some(b) = &self.blocklist {
            let mut all = b.sources.iter().chain(&inputs.block_files);
            match form(SetRole::Block, &mut all) {
                ListForm::Set(name) => block_sets.push(name),
                ListForm::Linear => block.extend(
                    b.sources
                        .iter()
                        .chain(&inputs.block_files)
                        .filter(|s| s.family() == family)
                        .copied(),
                ),
            }
            block.dedup();
            if inputs.sets {
                let name = SetRole::Ban.set_name(family);
                sets.push(SetSpec {
                    name: name.clone(),
                    role: SetRole::Ban,
                    family,
                    members: SetMembers::Dynamic,
                });
                block_sets.push(name);
                block_sets.extend(
                    inputs
                        .ipsets
                        .iter()
                        .filter(|(n, f)| *f == family && b.ipsets.contains(n))
                        .map(|(n, _)| n.clone()),
                );
            }
        }
        Lists {
            whitelist,
            lan,
            allows,
            block,
            block_sets,
        }
    }

    fn compile_family(&self, ext: &[&Iface], family: Family, lists: &Lists) -> FamilyRules {
        let mut chains = Vec::new();
        let mut entry = Vec::new();
        for f in &self.forward {
            entry.push(rule(
                iface_header(&f.in_iface, Some(&f.out_iface)),
                vec![],
                Target::Accept,
            ));
            entry.push(rule(
                iface_header(&f.out_iface, Some(&f.in_iface)),
                vec![ct_established()],
                Target::Accept,
            ));
        }
        entry.extend(dispatch(ext, CHAIN_DOCKER_EXT));
        chains.push((chain_name(CHAIN_DOCKER), entry));
        chains.extend(segment(
            chain_name(CHAIN_DOCKER_EXT),
            self.body(family, Path::Docker, lists),
            SEGMENT_RULES,
        ));
        let mut jumps = vec![jump_into(DOCKER_USER, CHAIN_DOCKER)];
        if self.host {
            let lo = Iface::new("lo", false).unwrap_or_else(|_| unreachable!("valid name"));
            let mut entry = vec![rule(iface_header(&lo, None), vec![], Target::Accept)];
            entry.extend(dispatch(ext, CHAIN_INPUT_EXT));
            chains.push((chain_name(CHAIN_INPUT), entry));
            chains.extend(segment(
                chain_name(CHAIN_INPUT_EXT),
                self.body(family, Path::Host, lists),
                SEGMENT_RULES,
            ));
            jumps.push(jump_into(INPUT, CHAIN_INPUT));
        } else if self.blocklist.is_some() && !ext.is_empty() {
            // The block list on the host path too, without filtering anything else there.
            let mut block = vec![rule(
                RuleHeader::default(),
                vec![ct_established()],
                Target::Return,
            )];
            for i in ext {
                for mut r in block_rules(lists) {
                    r.header.in_iface = Some(Neg::is((*i).clone()));
                    block.push(r);
                }
            }
            chains.push((chain_name(CHAIN_BLOCK), block));
            jumps.push(jump_into(INPUT, CHAIN_BLOCK));
        }
        FamilyRules {
            family,
            chains,
            jumps,
        }
    }

    /// The policy proper, for traffic in from an external interface. Its rules are counted
    /// first, so the list is allocated once at its exact size.
    fn body(&self, family: Family, path: Path, lists: &Lists) -> Vec<Rule> {
        let ok = path.allowed();
        let host = match path {
            Path::Host => host_needs(family, self.ping),
            Path::Docker => Vec::new(),
        };
        let count_of = |form: &ListForm, list: &[Source]| match form {
            ListForm::Set(_) => 1,
            ListForm::Linear => list.iter().filter(|s| s.family() == family).count(),
        };
        let count = 2
            + lists.block.len()
            + lists.block_sets.len()
            + host.len()
            + count_of(&lists.whitelist, &self.whitelist)
            + count_of(&lists.lan, &self.lan)
            + self
                .allow
                .iter()
                .zip(&lists.allows)
                .map(|(a, form)| allow_rule_count(a, family, form))
                .sum::<usize>();
        let mut rules = Vec::with_capacity(count);
        rules.push(rule(
            RuleHeader::default(),
            vec![ct_established()],
            ok.clone(),
        ));
        rules.extend(block_rules(lists));
        rules.extend(host);
        for (form, list) in [(&lists.whitelist, &self.whitelist), (&lists.lan, &self.lan)] {
            match form {
                ListForm::Set(set) => {
                    rules.push(rule(RuleHeader::default(), vec![set_src(set)], ok.clone()))
                }
                ListForm::Linear => {
                    for src in list.iter().filter(|s| s.family() == family) {
                        rules.push(sourced(
                            Some(src),
                            RuleHeader::default(),
                            Vec::new(),
                            ok.clone(),
                        ));
                    }
                }
            }
        }
        for (allow, form) in self.allow.iter().zip(&lists.allows) {
            allow_rules(allow, family, path, form, &mut rules);
        }
        rules.push(rule(
            RuleHeader::default(),
            vec![],
            default_target(self.default, family),
        ));
        rules
    }
}

/// The block list's rules (`-j DROP`): static entries, then the sets.
fn block_rules(lists: &Lists) -> impl Iterator<Item = Rule> + '_ {
    let statics = lists
        .block
        .iter()
        .map(|src| sourced(Some(src), RuleHeader::default(), Vec::new(), Target::Drop));
    let sets = lists
        .block_sets
        .iter()
        .map(|set| rule(RuleHeader::default(), vec![set_src(set)], Target::Drop));
    statics.chain(sets)
}

/// `-m set --match-set NAME src`.
fn set_src(name: &SetName) -> Match {
    Match::Set(SetMatch::src(name.clone()))
}

fn rule(header: RuleHeader, matches: Vec<Match>, target: Target) -> Rule {
    Rule {
        header,
        matches,
        target: Some(target),
        counters: None,
    }
}

fn iface_header(input: &Iface, output: Option<&Iface>) -> RuleHeader {
    RuleHeader {
        in_iface: Some(Neg::is(input.clone())),
        out_iface: output.map(|o| Neg::is(o.clone())),
        ..RuleHeader::default()
    }
}

fn dispatch(ext: &[&Iface], chain: &'static str) -> Vec<Rule> {
    ext.iter()
        .map(|i| {
            rule(
                iface_header(i, None),
                vec![],
                Target::Jump(chain_name(chain)),
            )
        })
        .collect()
}

fn jump_into(chain: &'static str, to: &'static str) -> DfwJump {
    DfwJump {
        chain: chain_name(chain),
        rule: rule(
            RuleHeader::default(),
            vec![dfw_comment()],
            Target::Jump(chain_name(to)),
        ),
    }
}

fn ct_established() -> Match {
    Match::Conntrack(Conntrack {
        state: Some(Neg::is(CtStates::RELATED | CtStates::ESTABLISHED)),
        ..Conntrack::default()
    })
}

/// A rule restricted to `src`: `-s NET` in the header, or `-m iprange --src-range` first.
fn sourced(src: Option<&Source>, mut header: RuleHeader, mut m: Vec<Match>, t: Target) -> Rule {
    match src {
        Some(Source::Net(n)) => header.src = Some(Neg::is(*n)),
        Some(Source::Range(r)) => {
            // A lone source range is always a valid iprange match.
            if let Ok(ipr) = IpRange::new(Some(Neg::is(*r)), None) {
                m.insert(0, Match::IpRange(ipr));
            }
        }
        None => {}
    }
    rule(header, m, t)
}

fn proto_header(proto: Protocol) -> RuleHeader {
    RuleHeader {
        proto: Some(Neg::is(proto)),
        ..RuleHeader::default()
    }
}

/// The port match of the path: conntrack original destination (Docker) or `--dport` (host).
fn port_match(spec: &PortSpec, to: Option<Network>, path: Path) -> Match {
    let dport = Some(Neg::is(spec.ports));
    match (path, spec.proto) {
        (Path::Docker, _) => Match::Conntrack(Conntrack {
            orig_dst: to.map(Neg::is),
            orig_dst_port: dport,
            ..Conntrack::default()
        }),
        (Path::Host, Transport::Tcp) => Match::Tcp(TcpMatch {
            dport,
            ..TcpMatch::default()
        }),
        (Path::Host, Transport::Udp) => Match::Udp(UdpMatch {
            dport,
            ..UdpMatch::default()
        }),
    }
}

/// How many rules [`allow_rules`] makes for `allow` in `family`.
fn allow_rule_count(allow: &Allow, family: Family, form: &ListForm) -> usize {
    if !allow.applies_to(family) {
        return 0;
    }
    let sources = match (form, &allow.from) {
        (ListForm::Set(_), _) | (_, None) => 1,
        (ListForm::Linear, Some(from)) => from.iter().filter(|s| s.family() == family).count(),
    };
    allow.ports.len() * sources
}

/// Appends the rules of one `[[allow]]` in one family to `out`: one per port and source, or
/// one per port matching the set of its sources (after the port, so only packets to the port
/// pay for the set look-up).
fn allow_rules(allow: &Allow, family: Family, path: Path, form: &ListForm, out: &mut Vec<Rule>) {
    if !allow.applies_to(family) {
        return;
    }
    let one = |spec: &PortSpec, src: Option<&Source>, set: Option<&SetName>| {
        let mut header = proto_header(spec.proto.protocol());
        if path == Path::Host {
            header.dst = allow.to.map(Neg::is);
        }
        let range = matches!(src, Some(Source::Range(_)));
        let mut matches = Vec::with_capacity(
            1 + usize::from(allow.comment.is_some()) + usize::from(range || set.is_some()),
        );
        matches.push(port_match(spec, allow.to, path));
        matches.extend(set.map(set_src));
        matches.extend(allow.comment.clone().map(Match::Comment));
        sourced(src, header, matches, path.allowed())
    };
    for spec in &allow.ports {
        match (&allow.from, form) {
            (None, _) => out.push(one(spec, None, None)),
            (Some(_), ListForm::Set(set)) => out.push(one(spec, None, Some(set))),
            (Some(from), ListForm::Linear) => out.extend(
                from.iter()
                    .filter(|s| s.family() == family)
                    .map(|s| one(spec, Some(s), None)),
            ),
        }
    }
}

/// Always-allowed host traffic: ICMPv6 essentials, DHCP client replies, ping if enabled.
fn host_needs(family: Family, ping: bool) -> Vec<Rule> {
    let icmp = |t: u8| match family {
        Family::Ipv4 => (Protocol::ICMP, Match::Icmp(Neg::is(IcmpType::Type(t)))),
        Family::Ipv6 => (Protocol::ICMPV6, Match::Icmp6(Neg::is(IcmpType::Type(t)))),
    };
    let icmp_rule = |t: u8| {
        let (p, m) = icmp(t);
        rule(proto_header(p), vec![m], Target::Accept)
    };
    let dhcp = |server: u16, client: u16| UdpMatch {
        sport: Some(Neg::is(PortRange::single(server))),
        dport: Some(Neg::is(PortRange::single(client))),
    };
    let mut rules = Vec::new();
    match family {
        Family::Ipv4 => {
            let m = vec![Match::Udp(dhcp(67, 68))];
            rules.push(rule(proto_header(Protocol::UDP), m, Target::Accept));
        }
        Family::Ipv6 => {
            rules.extend(HOST_ICMPV6_TYPES.into_iter().map(icmp_rule));
            let link_local = Network::with_prefix([0xfe80u16, 0, 0, 0, 0, 0, 0, 0].into(), 10)
                .unwrap_or_else(|_| unreachable!("/10 is a valid IPv6 prefix"));
            let mut header = proto_header(Protocol::UDP);
            header.src = Some(Neg::is(link_local));
            header.dst = Some(Neg::is(link_local));
            rules.push(rule(
                header,
                vec![Match::Udp(dhcp(547, 546))],
                Target::Accept,
            ));
        }
    }
    if ping {
        rules.push(icmp_rule(match family {
            Family::Ipv4 => 8,
            Family::Ipv6 => 128,
        }));
    }
    rules
}

fn default_target(action: DefaultAction, family: Family) -> Target {
    match (action, family) {
        (DefaultAction::Drop, _) => Target::Drop,
        (DefaultAction::Reject, Family::Ipv4) => {
            Target::Reject(Reject::V4(RejectV4::HostProhibited))
        }
        (DefaultAction::Reject, Family::Ipv6) => {
            Target::Reject(Reject::V6(RejectV6::AdmProhibited))
        }
    }
}
