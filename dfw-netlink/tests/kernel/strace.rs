//! Test-only: what iptables sends, captured with strace (`sendmsg` buffers dumped by
//! `-e write=all`) and parsed into expressions and the compat attribute (a small parser for
//! these tests; the library's own wire decoder is written elsewhere).
#![allow(dead_code)]

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use dfw_netlink::rule_codec::Compat;

fn attrs(b: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 4 <= b.len() {
        let len = u16::from_le_bytes([b[i], b[i + 1]]) as usize;
        let kind = u16::from_le_bytes([b[i + 2], b[i + 3]]) & 0x3fff;
        if len < 4 || i + len > b.len() {
            break;
        }
        out.push((kind, &b[i + 4..i + len]));
        i += (len + 3) & !3;
    }
    out
}

fn get(a: &[(u16, &[u8])], k: u16) -> Vec<u8> {
    a.iter()
        .find(|(t, _)| *t == k)
        .map(|(_, v)| v.to_vec())
        .unwrap_or_default()
}

fn be32(a: &[(u16, &[u8])], k: u16) -> u32 {
    let v = get(a, k);
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

fn value(a: &[(u16, &[u8])], k: u16) -> Vec<u8> {
    get(&attrs(&get(a, k)), 1)
}

fn op(v: u32) -> CmpOp {
    [
        CmpOp::Eq,
        CmpOp::Neq,
        CmpOp::Lt,
        CmpOp::Lte,
        CmpOp::Gt,
        CmpOp::Gte,
    ][v as usize]
}

fn expr(e: &[u8]) -> Expr {
    let top = attrs(e);
    let name = String::from_utf8(get(&top, 1))
        .unwrap()
        .trim_end_matches('\0')
        .to_string();
    let data = get(&top, 2);
    let a = attrs(&data);
    match name.as_str() {
        "meta" => Expr::Meta {
            key: MetaKey(be32(&a, 2)),
            dreg: be32(&a, 1),
        },
        "payload" => Expr::Payload {
            base: [
                PayloadBase::LinkLayer,
                PayloadBase::Network,
                PayloadBase::Transport,
            ][be32(&a, 2) as usize],
            offset: be32(&a, 3),
            len: be32(&a, 4),
            dreg: be32(&a, 1),
        },
        "cmp" => Expr::Cmp {
            sreg: be32(&a, 1),
            op: op(be32(&a, 2)),
            data: value(&a, 3),
        },
        "bitwise" => Expr::Bitwise {
            sreg: be32(&a, 1),
            dreg: be32(&a, 2),
            len: be32(&a, 3),
            mask: value(&a, 4),
            xor: value(&a, 5),
        },
        "range" => Expr::Range {
            sreg: be32(&a, 1),
            op: op(be32(&a, 2)),
            from: value(&a, 3),
            to: value(&a, 4),
        },
        "counter" => {
            let n = |k| u64::from_be_bytes(get(&a, k).try_into().unwrap());
            Expr::Counter {
                packets: n(2),
                bytes: n(1),
            }
        }
        "immediate" => {
            let dbuf = get(&a, 2);
            let d = attrs(&dbuf);
            let vbuf = get(&d, 2);
            let v = attrs(&vbuf);
            let chain = || {
                String::from_utf8(get(&v, 2))
                    .unwrap()
                    .trim_end_matches('\0')
                    .to_string()
            };
            let verdict = match be32(&v, 1) as i32 {
                0 => Verdict::Drop,
                1 => Verdict::Accept,
                -5 => Verdict::Return,
                -3 => Verdict::Jump(chain()),
                -4 => Verdict::Goto(chain()),
                c => Verdict::Unknown(c),
            };
            Expr::Immediate {
                dreg: be32(&a, 1),
                data: ImmediateData::Verdict(verdict),
            }
        }
        "match" | "target" => {
            let n = String::from_utf8(get(&a, 1))
                .unwrap()
                .trim_end_matches('\0')
                .to_string();
            let (rev, info) = (be32(&a, 2), get(&a, 3));
            if name == "match" {
                Expr::Match { name: n, rev, info }
            } else {
                Expr::Target { name: n, rev, info }
            }
        }
        _ => Expr::Other { name, data },
    }
}

/// Runs `cmd` (after `setup`) under strace, in a fresh netns when `new_netns` (else in the
/// calling thread's); returns the NEWRULEs it sent, parsed.
pub fn capture(setup: &str, cmd: &str, new_netns: bool) -> Vec<(Vec<Expr>, Option<Compat>)> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("dfw-oracle-{}-{n}.txt", std::process::id()));
    let script = format!(
        "{setup} strace -f -qq -e trace=sendmsg -e write=all -o {} {cmd}",
        out.display()
    );
    let st = if new_netns {
        Command::new("unshare")
            .args(["-n", "sh", "-c", &script])
            .status()
    } else {
        Command::new("sh").args(["-c", &script]).status()
    }
    .unwrap();
    assert!(st.success(), "{cmd}");
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut bufs: Vec<Vec<u8>> = Vec::new();
    for line in text.lines() {
        let l = line.trim_start();
        let l = l
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        if l.starts_with("* ") && l.contains("bytes in buffer") {
            bufs.push(Vec::new());
        } else if let Some(rest) = l.strip_prefix("| ") {
            let hexpart = rest.get(7..55).unwrap_or("");
            let b = bufs.last_mut().unwrap();
            b.extend(
                hexpart
                    .split_whitespace()
                    .map(|h| u8::from_str_radix(h, 16).unwrap()),
            );
        }
    }
    let mut rules = Vec::new();
    for b in bufs {
        let mut i = 0;
        while i + 16 <= b.len() {
            let len = u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as usize;
            let kind = u16::from_le_bytes([b[i + 4], b[i + 5]]);
            if len < 16 || i + len > b.len() {
                break;
            }
            if kind == (10 << 8) | 6 {
                let top = attrs(&b[i + 20..i + len]);
                let exprs = attrs(&get(&top, 4)).iter().map(|(_, e)| expr(e)).collect();
                let c = get(&top, 5);
                let compat = (!c.is_empty()).then(|| {
                    let ca = attrs(&c);
                    Compat {
                        proto: be32(&ca, 1),
                        flags: be32(&ca, 2),
                    }
                });
                rules.push((exprs, compat));
            }
            i += (len + 3) & !3;
        }
    }
    rules
}
