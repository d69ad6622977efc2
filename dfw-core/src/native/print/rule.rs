//! One rule's expressions back to nft's statements (what `netlink_delinearize.c` does for the
//! forms nft generates): loads and their comparisons become matches, the protocol
//! dependencies nft adds itself (`meta l4proto` before a transport field, `meta nfproto`
//! before a network field of an `inet` table) are left out, immediates feed NAT statements.
//! An expression the printer does not know prints as `<name>` so nothing is hidden.

use super::set::elements;
use super::types::{flags, prefix_len, value, Ty};
use crate::native::{CmpOp, Data, Expr, NatKind, NftFamily, PayloadBase, RejectKind, Rule, Table};

/// What a register holds: the text of its source and the type of its value.
#[derive(Debug, Clone)]
struct Lhs {
    text: String,
    ty: Ty,
    /// Set after a bitwise: a prefix length, or the flag mask.
    prefix: Option<u32>,
    mask: Option<Vec<u8>>,
    /// A load that may be a dependency (`meta l4proto`, `meta nfproto`).
    dep: Option<u32>,
}

struct Printer<'t> {
    table: &'t Table,
    out: Vec<String>,
    regs: Vec<(u32, Lhs)>,
    values: Vec<(u32, Vec<u8>)>,
    /// Registers holding a computed value (`meta mark & MASK | XOR`), as nft prints it.
    exprs: Vec<(u32, String)>,
    /// Dependency statements held back: (meta key, value, text).
    pending: Vec<(u32, u8, String)>,
    l4: Option<u8>,
    l3: Option<u8>,
}

fn meta(key: u32) -> (&'static str, Ty) {
    match key {
        1 => ("meta protocol", Ty::Integer),
        3 => ("meta mark", Ty::Mark),
        4 => ("iif", Ty::Ifindex),
        5 => ("oif", Ty::Ifindex),
        6 => ("iifname", Ty::Ifname),
        7 => ("oifname", Ty::Ifname),
        15 => ("meta nfproto", Ty::Nfproto),
        16 => ("meta l4proto", Ty::InetProto),
        _ => ("meta", Ty::Integer),
    }
}

fn ct(key: u32) -> (&'static str, Ty) {
    match key {
        0 => ("ct state", Ty::CtState),
        1 => ("ct direction", Ty::Integer),
        2 => ("ct status", Ty::CtStatus),
        3 => ("ct mark", Ty::Mark),
        _ => ("ct", Ty::Integer),
    }
}

impl Printer<'_> {
    fn lhs(&self, reg: u32) -> Option<Lhs> {
        self.regs
            .iter()
            .rev()
            .find(|(r, _)| *r == reg)
            .map(|(_, l)| l.clone())
    }

    fn set(&mut self, reg: u32, lhs: Lhs) {
        self.regs.push((reg, lhs));
    }

    fn flush(&mut self) {
        for (_, _, text) in std::mem::take(&mut self.pending) {
            self.out.push(text);
        }
    }

    /// A load of a network (`l3`) or transport (`!l3`) field: the dependencies nft adds for
    /// it (`meta nfproto` for a network field, `meta l4proto` for a transport field and, for
    /// ICMP and ICMPv6, the `meta nfproto` before it) are implied; others print.
    fn implied(&mut self, l3: bool) {
        let l4 = self.pending.iter().find(|d| d.0 == 16).map(|d| d.1);
        for (key, v, text) in std::mem::take(&mut self.pending) {
            let implied = match key {
                15 if l3 => true,
                15 => matches!((v, l4), (2, Some(1)) | (10, Some(58))),
                16 => !l3,
                _ => false,
            };
            match (implied, key) {
                (true, 15) => self.l3 = Some(v),
                (true, _) => self.l4 = Some(v),
                (false, _) => self.out.push(text),
            }
        }
    }

    fn payload(&mut self, base: PayloadBase, offset: u32, len: u32) -> Lhs {
        let v6 = match self.table.family {
            NftFamily::Ip6 => true,
            NftFamily::Ip => false,
            NftFamily::Inet => self.l3 == Some(10) || len == 16,
        };
        let addr = |text: &str, ty, full: u32| Lhs {
            text: text.into(),
            ty,
            prefix: (len < full).then_some(len * 8),
            mask: None,
            dep: None,
        };
        match (base, v6, offset, len) {
            (PayloadBase::Network, false, 12, 1..=4) => return addr("ip saddr", Ty::Ipv4, 4),
            (PayloadBase::Network, false, 16, 1..=4) => return addr("ip daddr", Ty::Ipv4, 4),
            (PayloadBase::Network, true, 8, 1..=16) => return addr("ip6 saddr", Ty::Ipv6, 16),
            (PayloadBase::Network, true, 24, 1..=16) => return addr("ip6 daddr", Ty::Ipv6, 16),
            _ => {}
        }
        let (text, ty) = match (base, v6, offset, len) {
            (PayloadBase::Network, false, 9, 1) => ("ip protocol".into(), Ty::InetProto),
            (PayloadBase::Network, true, 8, 16) => ("ip6 saddr".into(), Ty::Ipv6),
            (PayloadBase::Network, true, 24, 16) => ("ip6 daddr".into(), Ty::Ipv6),
            (PayloadBase::Network, true, 6, 1) => ("ip6 nexthdr".into(), Ty::InetProto),
            (PayloadBase::Transport, _, o, l) => {
                let proto = match self.l4 {
                    Some(6) => "tcp",
                    Some(17) => "udp",
                    Some(1) => "icmp",
                    Some(58) => "icmpv6",
                    _ => "th",
                };
                match (proto, o, l) {
                    ("icmp", 0, 1) => ("icmp type".into(), Ty::IcmpType),
                    ("icmpv6", 0, 1) => ("icmpv6 type".into(), Ty::Icmp6Type),
                    (p, 0, 2) => (format!("{p} sport"), Ty::Service),
                    (p, 2, 2) => (format!("{p} dport"), Ty::Service),
                    (p, o, l) => (format!("@th,{},{} {p}", o * 8, l * 8), Ty::Integer),
                }
            }
            (b, _, o, l) => (
                format!("@{b:?},{},{}", o * 8, l * 8).to_lowercase(),
                Ty::Integer,
            ),
        };
        Lhs {
            text,
            ty,
            prefix: None,
            mask: None,
            dep: None,
        }
    }

    fn cmp(&mut self, sreg: u32, op: CmpOp, data: &[u8]) {
        let Some(l) = self.lhs(sreg) else {
            self.out.push("<cmp>".into());
            return;
        };
        if let (Some(key), CmpOp::Eq) = (l.dep, op) {
            let v = data.first().copied().unwrap_or(0);
            let text = format!("{} {}", l.text, value(l.ty, data));
            self.pending.push((key, v, text));
            return;
        }
        self.flush();
        let opt = match op {
            CmpOp::Eq => "",
            CmpOp::Neq => "!= ",
            CmpOp::Lt => "< ",
            CmpOp::Lte => "<= ",
            CmpOp::Gt => "> ",
            CmpOp::Gte => ">= ",
        };
        let text = match (&l.mask, l.prefix) {
            (Some(m), _) if l.ty.is_flags() && data.iter().all(|&b| b == 0) => {
                let bits =
                    u32::from_ne_bytes(std::array::from_fn(|i| m.get(i).copied().unwrap_or(0)));
                let neg = if op == CmpOp::Eq { "!= " } else { "" };
                format!("{} {neg}{}", l.text, flags(l.ty, bits))
            }
            (_, Some(p)) => {
                let mut full = data.to_vec();
                full.resize(if l.ty == Ty::Ipv6 { 16 } else { 4 }, 0);
                format!("{} {opt}{}/{p}", l.text, value(l.ty, &full))
            }
            _ if l.ty == Ty::Boolean => format!("{} {}", l.text, value(l.ty, data)),
            _ => format!("{} {opt}{}", l.text, value(l.ty, data)),
        };
        self.out.push(text);
    }

    fn expr(&mut self, e: &Expr) {
        match e {
            Expr::Meta { key, dreg } => {
                let (text, ty) = meta(*key);
                let dep = matches!(key, 15 | 16).then_some(*key);
                self.set(
                    *dreg,
                    Lhs {
                        text: text.into(),
                        ty,
                        prefix: None,
                        mask: None,
                        dep,
                    },
                );
            }
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            } => {
                self.implied(*base == PayloadBase::Network);
                let l = self.payload(*base, *offset, *len);
                self.set(*dreg, l);
            }
            Expr::Ct { key, dreg, .. } => {
                let (text, ty) = ct(*key);
                self.set(
                    *dreg,
                    Lhs {
                        text: text.into(),
                        ty,
                        prefix: None,
                        mask: None,
                        dep: None,
                    },
                );
            }
            Expr::Fib {
                flags,
                result,
                dreg,
            } => {
                let mut parts = vec![if flags & 1 != 0 { "saddr" } else { "daddr" }];
                for (bit, name) in [(4, "mark"), (8, "iif"), (16, "oif")] {
                    if flags & bit != 0 {
                        parts.push(name);
                    }
                }
                let (res, ty) = match (result, flags & 32 != 0) {
                    (_, true) => ("oif", Ty::Boolean),
                    (1, _) => ("oif", Ty::Ifindex),
                    (2, _) => ("oifname", Ty::Ifname),
                    _ => ("type", Ty::FibAddr),
                };
                let text = format!("fib {} {res}", parts.join(" . "));
                self.set(
                    *dreg,
                    Lhs {
                        text,
                        ty,
                        prefix: None,
                        mask: None,
                        dep: None,
                    },
                );
            }
            Expr::Bitwise {
                sreg,
                dreg,
                mask,
                xor,
                ..
            } if self.lhs(*sreg).is_some_and(|l| l.ty == Ty::Mark)
                && xor.iter().any(|&b| b != 0) =>
            {
                // `meta mark & MASK | XOR` (a value for `meta mark set`): nft prints the
                // mask with the xor bits set.
                let l = self.lhs(*sreg).unwrap_or_else(|| unreachable!("checked"));
                let word = |v: &[u8]| {
                    u32::from_ne_bytes(std::array::from_fn(|i| v.get(i).copied().unwrap_or(0)))
                };
                let (m, x) = (word(mask), word(xor));
                self.exprs
                    .push((*dreg, format!("{} & {:#010x} | {x:#010x}", l.text, m | x)));
            }
            Expr::Bitwise {
                sreg, dreg, mask, ..
            } => {
                if let Some(mut l) = self.lhs(*sreg) {
                    if l.ty.is_flags() {
                        l.mask = Some(mask.clone());
                    } else {
                        l.prefix = prefix_len(mask).or(l.prefix);
                    }
                    self.set(*dreg, l);
                }
            }
            Expr::Cmp { sreg, op, data } => self.cmp(*sreg, *op, data),
            Expr::Range { sreg, op, from, to } => {
                self.flush();
                if let Some(l) = self.lhs(*sreg) {
                    let neg = if *op == CmpOp::Neq { "!= " } else { "" };
                    self.out.push(format!(
                        "{} {neg}{}-{}",
                        l.text,
                        value(l.ty, from),
                        value(l.ty, to)
                    ));
                }
            }
            Expr::Lookup {
                sreg,
                set,
                dreg,
                invert,
            } => {
                self.flush();
                let l = self.lhs(*sreg);
                let text = l
                    .as_ref()
                    .map_or("<lookup>".to_string(), |l| l.text.clone());
                let neg = if *invert { "!= " } else { "" };
                let vmap = if *dreg == Some(0) {
                    "vmap "
                } else if dreg.is_some() {
                    "map "
                } else {
                    ""
                };
                let rhs = match self.table.set(set) {
                    Some(s) if s.is_anonymous() => {
                        let ty = l.map_or(Ty::from_id(s.key_type), |l| l.ty);
                        format!("{{ {} }}", elements(s, ty).join(", "))
                    }
                    _ => format!("@{set}"),
                };
                self.out.push(format!("{text} {neg}{vmap}{rhs}"));
            }
            Expr::Immediate {
                dreg: 0,
                data: Data::Verdict(v),
            } => {
                self.flush();
                self.out.push(super::verdict(v));
            }
            Expr::Immediate {
                dreg,
                data: Data::Value(v),
            } => self.values.push((*dreg, v.clone())),
            Expr::Counter { packets, bytes } => {
                self.flush();
                self.out
                    .push(format!("counter packets {packets} bytes {bytes}"));
            }
            Expr::Log { prefix, .. } => {
                self.flush();
                self.out.push(match prefix {
                    Some(p) => format!("log prefix \"{p}\""),
                    None => "log".into(),
                });
            }
            Expr::Nat {
                kind,
                family,
                addr,
                proto,
                ..
            } => {
                self.flush();
                self.out.push(self.nat(*kind, *family, *addr, *proto));
            }
            Expr::Masquerade { .. } => {
                self.flush();
                self.out.push("masquerade".into());
            }
            Expr::Redirect { proto, .. } => {
                self.flush();
                let p = proto
                    .and_then(|(lo, _)| self.value_of(lo))
                    .map(|v| value(Ty::Service, v));
                self.out.push(match p {
                    Some(p) => format!("redirect to :{p}"),
                    None => "redirect".into(),
                });
            }
            Expr::Reject(k) => {
                self.flush();
                self.out.push(self.reject(*k));
            }
            Expr::MetaSet { key, sreg } if meta(*key).1 == Ty::Mark => {
                self.flush();
                let rhs = match (
                    self.exprs.iter().rev().find(|(r, _)| r == sreg),
                    self.value_of(*sreg),
                ) {
                    (Some((_, text)), _) => text.clone(),
                    (None, Some(v)) => value(Ty::Mark, v),
                    (None, None) => "<register>".into(),
                };
                self.out.push(format!("{} set {rhs}", meta(*key).0));
            }
            other => {
                self.flush();
                self.out.push(format!("<{other:?}>"));
            }
        }
    }

    fn value_of(&self, reg: u32) -> Option<&Vec<u8>> {
        self.values
            .iter()
            .rev()
            .find(|(r, _)| *r == reg)
            .map(|(_, v)| v)
    }

    fn nat(
        &self,
        kind: NatKind,
        family: u32,
        addr: Option<(u32, u32)>,
        proto: Option<(u32, u32)>,
    ) -> String {
        let word = match kind {
            NatKind::Dnat => "dnat",
            NatKind::Snat => "snat",
        };
        let v6 = family == 10;
        let fam = match (self.table.family, v6) {
            (NftFamily::Inet, false) => " ip",
            (NftFamily::Inet, true) => " ip6",
            _ => "",
        };
        let a = addr
            .and_then(|(lo, _)| self.value_of(lo))
            .map(|v| value(if v6 { Ty::Ipv6 } else { Ty::Ipv4 }, v));
        let p = proto
            .and_then(|(lo, _)| self.value_of(lo))
            .map(|v| value(Ty::Service, v));
        let to = match (a, p) {
            (Some(a), Some(p)) if v6 => format!("[{a}]:{p}"),
            (Some(a), Some(p)) => format!("{a}:{p}"),
            (Some(a), None) => a,
            (None, Some(p)) => format!(":{p}"),
            (None, None) => String::new(),
        };
        format!("{word}{fam} to {to}")
    }

    fn reject(&self, k: RejectKind) -> String {
        let v6 = self.table.family == NftFamily::Ip6 || self.l3 == Some(10);
        match k {
            RejectKind::TcpRst => "reject with tcp reset".into(),
            RejectKind::Icmp(3) if !v6 => "reject".into(),
            RejectKind::Icmp(4) if v6 => "reject".into(),
            RejectKind::Icmp(c) if v6 => {
                let n = [
                    "no-route",
                    "admin-prohibited",
                    "2",
                    "addr-unreachable",
                    "port-unreachable",
                ];
                format!(
                    "reject with icmpv6 {}",
                    n.get(c as usize).copied().unwrap_or("?")
                )
            }
            RejectKind::Icmp(c) => format!("reject with icmp {c}"),
            RejectKind::Icmpx(1) => "reject".into(),
            RejectKind::Icmpx(c) => {
                let n = [
                    "no-route",
                    "port-unreachable",
                    "host-unreachable",
                    "admin-prohibited",
                ];
                format!(
                    "reject with icmpx {}",
                    n.get(c as usize).copied().unwrap_or("?")
                )
            }
        }
    }
}

/// One rule as `nft list ruleset` prints it inside its chain.
pub fn rule_text(table: &Table, rule: &Rule) -> String {
    let mut p = Printer {
        table,
        out: Vec::new(),
        regs: Vec::new(),
        values: Vec::new(),
        exprs: Vec::new(),
        pending: Vec::new(),
        l4: None,
        l3: None,
    };
    for e in &rule.exprs {
        p.expr(e);
    }
    p.flush();
    if let Some(c) = &rule.comment {
        p.out.push(format!("comment \"{c}\""));
    }
    p.out.join(" ")
}
