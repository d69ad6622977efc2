//! Test-only: builds rulesets with the model API from a small subset of iptables-save text
//! (the options the Docker fixtures and these tests use). Panics on anything else.

use std::net::IpAddr;

use crate::model::matches::{
    AddrType, AddrTypes, Comment, Conntrack, CtDirection, CtStates, CtStatus, IcmpType, IpRange,
    LimitIface, Mark, Multiport, MultiportKind, TcpFlag, TcpFlags, TcpMatch, UdpMatch,
};
use crate::model::target::{Log, LogFlags, Masquerade, Nat, Reject};
use crate::model::{
    AddrRange, ChainName, Counters, Family, Iface, Match, Neg, Network, Policy, PortRange,
    Protocol, Rule, Ruleset, TableName, Target,
};

fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `addr`, `addr/prefix` or `addr/mask`.
pub fn net(text: &str) -> Network {
    let (a, m) = text.split_once('/').unwrap_or((text, ""));
    let addr: IpAddr = a.parse().expect(a);
    if m.is_empty() {
        Network::host(addr)
    } else if let Ok(p) = m.parse::<u8>() {
        Network::with_prefix(addr, p).unwrap()
    } else {
        Network::with_mask(addr, m.parse().expect(m)).unwrap()
    }
}

fn ports(text: &str) -> PortRange {
    match text.split_once(':') {
        Some((a, b)) => PortRange::new(a.parse().unwrap(), b.parse().unwrap()).unwrap(),
        None => PortRange::single(text.parse().expect(text)),
    }
}

fn range(text: &str) -> AddrRange {
    let (a, b) = text.split_once('-').unwrap();
    AddrRange::new(a.parse().unwrap(), b.parse().unwrap()).unwrap()
}

fn flags(text: &str) -> TcpFlag {
    let mut f = TcpFlag::empty();
    for n in text.split(',') {
        f |= match n {
            "NONE" => TcpFlag::empty(),
            "ALL" => TcpFlag::all(),
            n => TcpFlag::from_name(n).expect(n),
        };
    }
    f
}

fn states(text: &str) -> CtStates {
    text.split(',')
        .map(|n| CtStates::NAMES.iter().find(|(_, s)| *s == n).expect(n).0)
        .fold(CtStates::empty(), |a, b| a | b)
}

fn addrtypes(text: &str) -> AddrTypes {
    text.split(',')
        .map(|n| AddrTypes::NAMES.iter().find(|(_, s)| *s == n).expect(n).0)
        .fold(AddrTypes::empty(), |a, b| a | b)
}

fn icmp_type(text: &str) -> IcmpType {
    match text.split_once('/') {
        _ if text == "any" => IcmpType::Any,
        Some((t, c)) => IcmpType::TypeCode(t.parse().unwrap(), c.parse().unwrap()),
        None => IcmpType::Type(text.parse().expect(text)),
    }
}

fn nat_to(text: &str) -> Nat {
    let (addr, port) = if let Some(rest) = text.strip_prefix('[') {
        let (a, p) = rest.split_once(']').unwrap();
        (a, p.strip_prefix(':'))
    } else if text.matches(':').count() == 1 {
        let (a, p) = text.split_once(':').unwrap();
        (a, Some(p))
    } else {
        (text, None)
    };
    let addrs = (!addr.is_empty()).then(|| {
        let a: IpAddr = addr.parse().expect(addr);
        AddrRange::new(a, a).unwrap()
    });
    let ports = port.map(|p| ports(&p.replace('-', ":")));
    Nat {
        addrs,
        ports,
        ..Nat::default()
    }
}

/// Parses one rule's options (everything after `-A CHAIN`).
pub fn rule(family: Family, text: &str) -> Rule {
    let t = tokens(text);
    let mut r = Rule::default();
    let mut i = 0;
    let mut neg = false;
    let mut module = String::new();
    let mut next = |i: &mut usize| -> String {
        *i += 1;
        t[*i].clone()
    };
    while i < t.len() {
        let opt = t[i].clone();
        if opt == "!" {
            neg = true;
            i += 1;
            continue;
        }
        let n = neg;
        neg = false;
        match opt.as_str() {
            "-s" => r.header.src = Some(Neg::new(net(&next(&mut i)), n)),
            "-d" => r.header.dst = Some(Neg::new(net(&next(&mut i)), n)),
            "-i" => r.header.in_iface = Some(Neg::new(Iface::parse(&next(&mut i)).unwrap(), n)),
            "-o" => r.header.out_iface = Some(Neg::new(Iface::parse(&next(&mut i)).unwrap(), n)),
            "-p" => {
                let p = Protocol::parse(&next(&mut i)).unwrap().unwrap();
                r.header.proto = Some(Neg::new(p, n));
            }
            "-m" => {
                module = next(&mut i);
                let m = match module.as_str() {
                    "tcp" => Match::Tcp(TcpMatch::default()),
                    "udp" => Match::Udp(UdpMatch::default()),
                    "conntrack" => Match::Conntrack(Conntrack::default()),
                    "addrtype" => Match::AddrType(AddrType::default()),
                    _ => {
                        i += 1;
                        continue;
                    }
                };
                r.matches.push(m);
            }
            "-j" | "-g" => {
                let name = next(&mut i);
                r.target = Some(match name.as_str() {
                    "ACCEPT" => Target::Accept,
                    "DROP" => Target::Drop,
                    "RETURN" => Target::Return,
                    "REJECT" => Target::Reject(Reject::default_for(family)),
                    "LOG" => Target::Log(Log::new(4, LogFlags::empty(), "").unwrap()),
                    "DNAT" => Target::Dnat(Nat::default()),
                    "SNAT" => Target::Snat(Nat::default()),
                    "MASQUERADE" => Target::Masquerade(Masquerade::default()),
                    c if opt == "-j" => Target::Jump(ChainName::new(c).unwrap()),
                    c => Target::Goto(ChainName::new(c).unwrap()),
                });
            }
            "--to-destination" | "--to-source" => {
                let nat = nat_to(&next(&mut i));
                match r.target.as_mut().unwrap() {
                    Target::Dnat(x) | Target::Snat(x) => *x = nat,
                    _ => panic!("{opt} without NAT target"),
                }
            }
            "--reject-with" => {
                let w = Reject::parse(family, &next(&mut i)).unwrap();
                r.target = Some(Target::Reject(w));
            }
            "--syn" | "--limit-iface-in" | "--limit-iface-out" => match r.matches.last_mut() {
                Some(Match::Tcp(tm)) => tm.flags = Some(Neg::new(TcpFlags::SYN, n)),
                Some(Match::AddrType(a)) => {
                    a.limit_iface = Some(if opt.ends_with("in") {
                        LimitIface::In
                    } else {
                        LimitIface::Out
                    })
                }
                m => panic!("{opt} after {m:?}"),
            },
            _ => match_option(family, &mut r, &module, &opt, n, &mut next, &mut i),
        }
        i += 1;
    }
    r
}

fn match_option(
    family: Family,
    r: &mut Rule,
    module: &str,
    opt: &str,
    n: bool,
    next: &mut impl FnMut(&mut usize) -> String,
    i: &mut usize,
) {
    let v = next(i);
    let new = match (module, opt) {
        ("multiport", o) => {
            let kind = match o {
                "--dports" => MultiportKind::Destination,
                "--sports" => MultiportKind::Source,
                _ => MultiportKind::Either,
            };
            Some(Match::Multiport(
                Multiport::new(kind, v.split(',').map(ports).collect(), n).unwrap(),
            ))
        }
        ("state", _) => Some(Match::State(Neg::new(states(&v), n))),
        ("comment", _) => Some(Match::Comment(Comment::new(&v).unwrap())),
        ("icmp", _) => Some(Match::Icmp(Neg::new(icmp_type(&v), n))),
        ("icmp6", _) => Some(Match::Icmp6(Neg::new(icmp_type(&v), n))),
        ("mark", _) => {
            let (a, m) = v.split_once('/').unwrap_or((&v, "0xffffffff"));
            let num = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
            Some(Match::Mark(Mark::new(num(a), num(m), n)))
        }
        ("iprange", o) => {
            let rg = Some(Neg::new(range(&v), n));
            let m = if o == "--src-range" {
                IpRange::new(rg, None)
            } else {
                IpRange::new(None, rg)
            };
            Some(Match::IpRange(m.unwrap()))
        }
        _ => None,
    };
    if let Some(m) = new {
        r.matches.push(m);
        return;
    }
    let last = r.matches.last_mut().expect("option without -m");
    let _ = family;
    match (last, opt) {
        (Match::Tcp(t), "--dport") => t.dport = Some(Neg::new(ports(&v), n)),
        (Match::Tcp(t), "--sport") => t.sport = Some(Neg::new(ports(&v), n)),
        (Match::Tcp(t), "--tcp-flags") => {
            let comp = next(i);
            t.flags = Some(Neg::new(
                TcpFlags {
                    mask: flags(&v),
                    comp: flags(&comp),
                },
                n,
            ));
        }
        (Match::Tcp(t), "--tcp-option") => t.option = Some(Neg::new(v.parse().unwrap(), n)),
        (Match::Udp(u), "--dport") => u.dport = Some(Neg::new(ports(&v), n)),
        (Match::Udp(u), "--sport") => u.sport = Some(Neg::new(ports(&v), n)),
        (Match::AddrType(a), "--dst-type") => a.dst = Some(Neg::new(addrtypes(&v), n)),
        (Match::AddrType(a), "--src-type") => a.src = Some(Neg::new(addrtypes(&v), n)),
        (Match::Conntrack(c), o) => conntrack_option(c, o, &v, n),
        (m, o) => panic!("unsupported option {o} for {m:?}"),
    }
}

fn conntrack_option(c: &mut Conntrack, o: &str, v: &str, n: bool) {
    match o {
        "--ctstate" => c.state = Some(Neg::new(states(v), n)),
        "--ctproto" => c.proto = Some(Neg::new(Protocol::parse(v).unwrap().unwrap(), n)),
        "--ctorigsrc" => c.orig_src = Some(Neg::new(net(v), n)),
        "--ctorigdst" => c.orig_dst = Some(Neg::new(net(v), n)),
        "--ctreplsrc" => c.repl_src = Some(Neg::new(net(v), n)),
        "--ctrepldst" => c.repl_dst = Some(Neg::new(net(v), n)),
        "--ctorigsrcport" => c.orig_src_port = Some(Neg::new(ports(v), n)),
        "--ctorigdstport" => c.orig_dst_port = Some(Neg::new(ports(v), n)),
        "--ctreplsrcport" => c.repl_src_port = Some(Neg::new(ports(v), n)),
        "--ctrepldstport" => c.repl_dst_port = Some(Neg::new(ports(v), n)),
        "--ctstatus" => {
            let s = v
                .split(',')
                .filter(|x| *x != "NONE")
                .map(|x| CtStatus::NAMES.iter().find(|(_, s)| *s == x).expect(x).0)
                .fold(CtStatus::empty(), |a, b| a | b);
            c.status = Some(Neg::new(s, n));
        }
        "--ctexpire" => {
            let (a, b) = v.split_once(':').unwrap_or((v, v));
            c.expire = Some(Neg::new((a.parse().unwrap(), b.parse().unwrap()), n));
        }
        "--ctdir" => {
            c.direction = Some(if v == "ORIGINAL" {
                CtDirection::Original
            } else {
                CtDirection::Reply
            })
        }
        _ => panic!("unsupported conntrack option {o}"),
    }
}

/// Builds a ruleset from iptables-save text (tables, policies, user chains, `-A` rules).
pub fn ruleset(family: Family, text: &str) -> Ruleset {
    let mut rs = Ruleset::new(family);
    let mut table: Option<TableName> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('*') {
            let t = TableName::parse(name).unwrap();
            rs.ensure_table(t);
            table = Some(t);
        } else if let Some(decl) = line.strip_prefix(':') {
            let mut parts = decl.split_whitespace();
            let (name, policy) = (parts.next().unwrap(), parts.next().unwrap());
            let t = rs.table_mut(table.unwrap()).unwrap();
            match Policy::parse(policy) {
                Some(p) => t.set_policy(name, p, Counters::default()).unwrap(),
                None => t.add_user_chain(ChainName::new(name).unwrap()).unwrap(),
            }
        } else if let Some(rest) = line.strip_prefix("-A ") {
            let (chain, opts) = rest.split_once(' ').unwrap_or((rest, ""));
            let r = rule(family, opts);
            let t = rs.table_mut(table.unwrap()).unwrap();
            t.append_rule(chain, r)
                .unwrap_or_else(|e| panic!("{line}: {e}"));
        }
    }
    rs
}

/// A fixture file of `../shared/fixtures/docker/`.
pub fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../../shared/fixtures/docker/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Inserts `rule` (iptables-save options) at 0-based `index` of `chain` in `table`.
pub fn insert(rs: &mut Ruleset, table: TableName, chain: &str, index: usize, text: &str) {
    let r = rule(rs.family(), text);
    rs.table_mut(table)
        .unwrap()
        .insert_rule(chain, index, r)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
}
