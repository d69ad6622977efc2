//! Human-readable listings of expressions and rules in the format of `nft --debug=netlink`
//! (libnftnl's `nftnl_expr_snprintf`), for logs, debugging and comparing with nft's output.
//!
//! Contract: for the typed expressions the text is what libnftnl 1.2.x prints (values as
//! host-endian 32-bit words, `0x%08x`); [`Expr::Other`] prints its name and raw data length,
//! since only libnftnl knows how to print every expression. Pure formatting, no failure.

use super::RuleMsg;
use crate::expr::{CmpOp, Expr, ImmediateData, PayloadBase, Verdict};
use std::fmt::Write;

/// libnftnl's names for `enum nft_meta_keys` (index = key).
const META_KEYS: [&str; 38] = [
    "len",
    "protocol",
    "priority",
    "mark",
    "iif",
    "oif",
    "iifname",
    "oifname",
    "iiftype",
    "oiftype",
    "skuid",
    "skgid",
    "nftrace",
    "rtclassid",
    "secmark",
    "nfproto",
    "l4proto",
    "bri_iifname",
    "bri_oifname",
    "pkttype",
    "cpu",
    "iifgroup",
    "oifgroup",
    "cgroup",
    "random",
    "secpath",
    "iifkind",
    "oifkind",
    "bri_iifpvid",
    "bri_iifvproto",
    "time_ns",
    "time_day",
    "time_hour",
    "sdif",
    "sdifname",
    "bri_broute",
    "unknown",
    "unknown",
];

fn op(o: CmpOp) -> &'static str {
    match o {
        CmpOp::Eq => "eq",
        CmpOp::Neq => "neq",
        CmpOp::Lt => "lt",
        CmpOp::Lte => "lte",
        CmpOp::Gt => "gt",
        CmpOp::Gte => "gte",
    }
}

/// Appends `0x%08x ` for each host-endian 32-bit word of `data` (the last one zero-padded).
fn words(out: &mut String, data: &[u8]) {
    for chunk in data.chunks(4) {
        let mut w = [0u8; 4];
        w[..chunk.len()].copy_from_slice(chunk);
        let _ = write!(out, "0x{:08x} ", u32::from_ne_bytes(w));
    }
}

fn verdict(out: &mut String, v: &Verdict) {
    let _ = match v {
        Verdict::Accept => write!(out, "accept "),
        Verdict::Drop => write!(out, "drop "),
        Verdict::Return => write!(out, "return "),
        Verdict::Continue => write!(out, "continue "),
        Verdict::Break => write!(out, "break "),
        Verdict::Jump(c) => write!(out, "jump -> {c} "),
        Verdict::Goto(c) => write!(out, "goto -> {c} "),
        Verdict::Unknown(code) => write!(out, "unknown({code}) "),
    };
}

/// One expression as `nft --debug=netlink` prints it, e.g. `[ meta load iifname => reg 1 ]`.
pub fn expr_listing(e: &Expr) -> String {
    let mut s = String::from("[ ");
    let o = &mut s;
    let _ = match e {
        Expr::Meta { key, dreg } => {
            let name = META_KEYS.get(key.0 as usize).copied().unwrap_or("unknown");
            write!(o, "meta load {name} => reg {dreg} ")
        }
        Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => {
            let b = match base {
                PayloadBase::LinkLayer => "link",
                PayloadBase::Network => "network",
                PayloadBase::Transport => "transport",
            };
            write!(
                o,
                "payload load {len}b @ {b} header + {offset} => reg {dreg} "
            )
        }
        Expr::Cmp { sreg, op: c, data } => {
            let _ = write!(o, "cmp {} reg {sreg} ", op(*c));
            words(o, data);
            Ok(())
        }
        Expr::Bitwise {
            sreg,
            dreg,
            mask,
            xor,
            ..
        } => {
            let _ = write!(o, "bitwise reg {dreg} = ( reg {sreg} & ");
            words(o, mask);
            o.push_str(") ^ ");
            words(o, xor);
            Ok(())
        }
        Expr::Range {
            sreg,
            op: c,
            from,
            to,
        } => {
            let _ = write!(o, "range {} reg {sreg} ", op(*c));
            words(o, from);
            words(o, to);
            Ok(())
        }
        Expr::Immediate { dreg, data } => {
            let _ = write!(o, "immediate reg {dreg} ");
            match data {
                ImmediateData::Verdict(v) => verdict(o, v),
                ImmediateData::Value(v) => words(o, v),
            }
            Ok(())
        }
        Expr::Counter { packets, bytes } => write!(o, "counter pkts {packets} bytes {bytes} "),
        Expr::Match { name, rev, .. } => write!(o, "match name {name} rev {rev} "),
        Expr::Target { name, rev, .. } => write!(o, "target name {name} rev {rev} "),
        Expr::Limit {
            rate,
            unit,
            burst,
            kind,
            flags,
        } => {
            let u = match unit {
                1 => "second".to_string(),
                60 => "minute".to_string(),
                3600 => "hour".to_string(),
                86400 => "day".to_string(),
                n => format!("{n}s"),
            };
            let k = if *kind == 0 { "packets" } else { "bytes" };
            write!(
                o,
                "limit rate {rate}/{u} burst {burst} type {k} flags 0x{flags:x} "
            )
        }
        Expr::Log(l) => {
            let _ = write!(o, "log ");
            if let Some(p) = &l.prefix {
                let _ = write!(o, "prefix {p} ");
            }
            if let Some(g) = l.group {
                let _ = write!(
                    o,
                    "group {g} snaplen {} qthreshold {} ",
                    l.snaplen.unwrap_or(0),
                    l.qthreshold.unwrap_or(0)
                );
            }
            if let Some(v) = l.level {
                let _ = write!(o, "level {v} ");
            }
            if let Some(v) = l.flags {
                let _ = write!(o, "flags {v} ");
            }
            Ok(())
        }
        Expr::Other { name, data } => write!(o, "{name} ({} bytes of attributes) ", data.len()),
    };
    s.push(']');
    s
}

/// A rule as `nft --debug=netlink list` prints it: `ip filter INPUT <handle> [<position>]`,
/// then one indented line per expression.
pub fn rule_listing(r: &RuleMsg) -> String {
    let mut s = format!("{} {} {}", r.family, r.table, r.chain);
    for n in [r.handle, r.position].into_iter().flatten() {
        let _ = write!(s, " {n}");
    }
    for e in &r.exprs {
        let _ = write!(s, "\n  {}", expr_listing(e));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::MetaKey;

    #[test]
    fn lines_as_nft_prints_them() {
        // From `nft --debug=netlink list ruleset` (nft 1.0.6) of `-i eth+ -j DROP` and
        // `meta mark set 1`.
        let cases = [
            (
                Expr::Cmp {
                    sreg: 1,
                    op: CmpOp::Eq,
                    data: b"eth".to_vec(),
                },
                "[ cmp eq reg 1 0x00687465 ]",
            ),
            (
                Expr::Immediate {
                    dreg: 0,
                    data: ImmediateData::Verdict(Verdict::Drop),
                },
                "[ immediate reg 0 drop ]",
            ),
            (
                Expr::Immediate {
                    dreg: 1,
                    data: ImmediateData::Value(1u32.to_ne_bytes().to_vec()),
                },
                "[ immediate reg 1 0x00000001 ]",
            ),
            (
                Expr::Meta {
                    key: MetaKey::IIFNAME,
                    dreg: 1,
                },
                "[ meta load iifname => reg 1 ]",
            ),
            (
                Expr::Meta {
                    key: MetaKey(999),
                    dreg: 1,
                },
                "[ meta load unknown => reg 1 ]",
            ),
            (
                Expr::Other {
                    name: "limit".into(),
                    data: vec![0; 8],
                },
                "[ limit (8 bytes of attributes) ]",
            ),
        ];
        for (e, want) in cases {
            assert_eq!(expr_listing(&e), want);
        }
    }
}
