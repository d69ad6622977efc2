//! Test-only helpers for the tests that need root: a minimal `Expr` -> attribute writer, a
//! one-rule batch, and a raw netlink socket in the calling thread's network namespace.
//!
//! This writer exists only so the rule codec can be checked against the kernel and iptables
//! before the real wire codec lands; it is not the library's writer.
#![allow(dead_code, unsafe_code)]

pub mod strace;

use dfw_core::model::Family;
use dfw_netlink::expr::{Expr, ImmediateData, Verdict};
use dfw_netlink::rule_codec::EncodedRule;
use dfw_netlink::wire::consts::*;
use dfw_netlink::wire::{split_messages, AttrWriter, NfGenMsg, NlMsgWriter};

fn name(e: &Expr) -> &str {
    match e {
        Expr::Meta { .. } => "meta",
        Expr::Payload { .. } => "payload",
        Expr::Cmp { .. } => "cmp",
        Expr::Bitwise { .. } => "bitwise",
        Expr::Range { .. } => "range",
        Expr::Immediate { .. } => "immediate",
        Expr::Counter { .. } => "counter",
        Expr::Match { .. } => "match",
        Expr::Target { .. } => "target",
        Expr::Other { name, .. } => name,
    }
}

fn data(a: &mut AttrWriter<'_>, kind: u16, bytes: &[u8]) {
    a.nested(kind, |d| {
        d.bytes(NFTA_DATA_VALUE, bytes);
    });
}

fn expr_data(a: &mut AttrWriter<'_>, e: &Expr) {
    match e {
        Expr::Meta { key, dreg } => {
            a.u32_be(2, key.0).u32_be(1, *dreg);
        }
        Expr::Payload {
            base,
            offset,
            len,
            dreg,
        } => {
            a.u32_be(1, *dreg)
                .u32_be(2, *base as u32)
                .u32_be(3, *offset)
                .u32_be(4, *len);
        }
        Expr::Cmp { sreg, op, data: d } => {
            a.u32_be(1, *sreg).u32_be(2, *op as u32);
            data(a, 3, d);
        }
        Expr::Bitwise {
            sreg,
            dreg,
            len,
            mask,
            xor,
        } => {
            a.u32_be(1, *sreg).u32_be(2, *dreg).u32_be(3, *len);
            data(a, 4, mask);
            data(a, 5, xor);
        }
        Expr::Range { sreg, op, from, to } => {
            a.u32_be(1, *sreg).u32_be(2, *op as u32);
            data(a, 3, from);
            data(a, 4, to);
        }
        Expr::Counter { packets, bytes } => {
            a.u64_be(1, *bytes).u64_be(2, *packets);
        }
        Expr::Immediate {
            dreg,
            data: ImmediateData::Verdict(v),
        } => {
            a.u32_be(1, *dreg);
            a.nested(2, |d| {
                d.nested(NFTA_DATA_VERDICT, |vv| {
                    let (code, chain) = match v {
                        Verdict::Accept => (1, None),
                        Verdict::Drop => (0, None),
                        Verdict::Return => (-5, None),
                        Verdict::Continue => (-1, None),
                        Verdict::Break => (-2, None),
                        Verdict::Jump(c) => (-3, Some(c)),
                        Verdict::Goto(c) => (-4, Some(c)),
                        Verdict::Unknown(c) => (*c, None),
                    };
                    vv.u32_be(NFTA_VERDICT_CODE, code as u32);
                    if let Some(c) = chain {
                        vv.string(NFTA_VERDICT_CHAIN, c);
                    }
                });
            });
        }
        Expr::Immediate {
            dreg,
            data: ImmediateData::Value(v),
        } => {
            a.u32_be(1, *dreg);
            data(a, 2, v);
        }
        Expr::Match { name, rev, info } | Expr::Target { name, rev, info } => {
            a.string(1, name).u32_be(2, *rev).bytes(3, info);
        }
        Expr::Other { .. } => unreachable!("the codec never emits Other"),
    }
}

/// A batch appending `rule` to `table`/`chain` of `family`, with an ACK requested.
pub fn batch(family: Family, table: &str, chain: &str, rule: &EncodedRule) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    let unspec = NfGenMsg {
        family: 0,
        version: 0,
        res_id: NFNL_SUBSYS_NFTABLES,
    };
    w.message(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, 1, unspec, |_| {});
    let gen = NfGenMsg {
        family: family.nfproto(),
        version: 0,
        res_id: 0,
    };
    let flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK;
    w.message(nft_msg(NFT_MSG_NEWRULE), flags, 2, gen, |a| {
        a.string(NFTA_RULE_TABLE, table)
            .string(NFTA_RULE_CHAIN, chain);
        a.nested(NFTA_RULE_EXPRESSIONS, |list| {
            for e in &rule.exprs {
                list.nested(NFTA_LIST_ELEM, |el| {
                    el.string(NFTA_EXPR_NAME, name(e));
                    el.nested(NFTA_EXPR_DATA, |d| expr_data(d, e));
                });
            }
        });
        if let Some(c) = rule.compat {
            a.nested(NFTA_RULE_COMPAT, |n| {
                n.u32_be(NFTA_RULE_COMPAT_PROTO, c.proto)
                    .u32_be(NFTA_RULE_COMPAT_FLAGS, c.flags);
            });
        }
    });
    w.message(NFNL_MSG_BATCH_END, NLM_F_REQUEST, 3, unspec, |_| {});
    w.into_bytes()
}

/// Moves the calling thread into a fresh network namespace.
pub fn enter_new_netns() {
    // SAFETY: unshare(2) only changes this thread's namespace membership; no memory is shared.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET): {}",
        std::io::Error::last_os_error()
    );
}

/// Sends `batch` and returns the errno of the NEWRULE (0 = ACK).
pub fn send(batch: &[u8]) -> i32 {
    // SAFETY: plain socket(2) call; the fd is closed below.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW, NETLINK_NETFILTER) };
    assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
    let tv = libc::timeval {
        tv_sec: 2,
        tv_usec: 0,
    };
    // SAFETY: tv lives across the call and its size is passed.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as u32,
        )
    };
    // SAFETY: an all-zero sockaddr_nl is valid; family is set below.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as u16;
    // SAFETY: batch and addr outlive the call; lengths are theirs.
    let sent = unsafe {
        libc::sendto(
            fd,
            batch.as_ptr().cast(),
            batch.len(),
            0,
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as u32,
        )
    };
    assert_eq!(
        sent,
        batch.len() as isize,
        "sendto: {}",
        std::io::Error::last_os_error()
    );
    let mut buf = vec![0u8; 65536];
    let mut result = None;
    while result.is_none() {
        // SAFETY: buf is valid for its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        assert!(n > 0, "recv: {}", std::io::Error::last_os_error());
        for m in split_messages(&buf[..n as usize]) {
            let (h, body) = m.unwrap();
            if h.kind == NLMSG_ERROR {
                let err = i32::from_ne_bytes(body[..4].try_into().unwrap());
                if err != 0 || h.seq == 2 {
                    result = Some(-err);
                }
            }
        }
    }
    // SAFETY: fd is ours and closed once.
    unsafe { libc::close(fd) };
    result.unwrap_or(0)
}
