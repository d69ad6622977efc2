//! Golden bytes for every expression iptables-nft 1.8.9 emits, both directions.
//!
//! The expected bytes are `NFTA_LIST_ELEM` attributes cut out of real `iptables` batches
//! captured with strace on this machine (see `common/captured.rs` for the commands); the
//! listings in the comments are `nft --debug=netlink` of the same rules.

use crate::support::common;

use common::captured::*;
use common::{decode_one, encode_one, golden, hex, to_hex};
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, LogExpr, MetaKey, PayloadBase, Verdict};

fn verdict(v: Verdict) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmediateData::Verdict(v),
    }
}

#[test]
fn meta_iifname() {
    // [ meta load iifname => reg 1 ]
    golden(
        EXPR_META_IIFNAME,
        Expr::Meta {
            key: MetaKey::IIFNAME,
            dreg: 1,
        },
    );
}

#[test]
fn cmp_exact_interface_keeps_the_nul() {
    // [ cmp eq reg 1 0x30687465 0x00000000 ]: "eth0\0", 5 bytes
    golden(
        EXPR_CMP_ETH0,
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: b"eth0\0".to_vec(),
        },
    );
}

#[test]
fn cmp_wildcard_interface_has_no_nul() {
    // -i eth+ : [ cmp eq reg 1 0x00687465 ]: "eth", 3 bytes
    golden(
        EXPR_CMP_ETH_WILDCARD,
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: b"eth".to_vec(),
        },
    );
}

#[test]
fn payload_bitwise_cmp_for_a_slash_12_source() {
    // -s 192.0.0.0/12:
    // [ payload load 4b @ network header + 12 => reg 1 ]
    // [ bitwise reg 1 = ( reg 1 & 0x0000f0ff ) ^ 0x00000000 ]
    // [ cmp eq reg 1 0x000000c0 ]
    golden(
        EXPR_PAYLOAD_SADDR,
        Expr::Payload {
            base: PayloadBase::Network,
            offset: 12,
            len: 4,
            dreg: 1,
        },
    );
    golden(
        EXPR_BITWISE_12,
        Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len: 4,
            mask: vec![0xff, 0xf0, 0, 0],
            xor: vec![0; 4],
        },
    );
    golden(
        EXPR_CMP_SADDR,
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![192, 0, 0, 0],
        },
    );
}

#[test]
fn l4proto_meta_and_cmp() {
    // -p tcp: [ meta load l4proto => reg 1 ] [ cmp eq reg 1 0x00000006 ]
    golden(
        EXPR_META_L4PROTO,
        Expr::Meta {
            key: MetaKey::L4PROTO,
            dreg: 1,
        },
    );
    golden(
        EXPR_CMP_TCP,
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![6],
        },
    );
}

#[test]
fn immediate_verdicts() {
    golden(EXPR_IMM_ACCEPT, verdict(Verdict::Accept));
    golden(EXPR_IMM_DROP, verdict(Verdict::Drop));
    golden(EXPR_IMM_RETURN, verdict(Verdict::Return));
    golden(EXPR_IMM_JUMP, verdict(Verdict::Jump("FOO".into())));
    golden(EXPR_IMM_GOTO, verdict(Verdict::Goto("FOO".into())));
}

#[test]
fn counter() {
    // [ counter pkts 0 bytes 0 ]
    golden(
        EXPR_COUNTER,
        Expr::Counter {
            packets: 0,
            bytes: 0,
        },
    );
}

#[test]
fn counter_with_values_is_bytes_then_packets() {
    // Layout as in EXPR_COUNTER (libnftnl: BYTES then PACKETS, big-endian u64).
    let e = Expr::Counter {
        packets: 5,
        bytes: 0x0102_0304_0506_0708,
    };
    let expect = concat!(
        "2c000180",
        "0c000100636f756e74657200",
        "1c000280",
        "0c0001000102030405060708",
        "0c0002000000000000000005",
    );
    golden(expect, e);
}

#[test]
fn match_conntrack_rev3_with_168_byte_info() {
    // -m conntrack --ctstate RELATED,ESTABLISHED: xt_conntrack_mtinfo3, match_flags = STATE
    // (0x1) at offset 146, state_mask = ESTABLISHED|RELATED (0x6) at offset 150, host order.
    let mut info = vec![0u8; 168];
    info[146] = 0x01;
    info[150] = 0x06;
    golden(
        EXPR_MATCH_CONNTRACK,
        Expr::Match {
            name: "conntrack".into(),
            rev: 3,
            info,
        },
    );
}

#[test]
fn target_reject() {
    // -j REJECT: ipt_reject_info { with = IPT_ICMP_PORT_UNREACHABLE (3) }, XT_ALIGNed to 8.
    golden(
        EXPR_TARGET_REJECT,
        Expr::Target {
            name: "REJECT".into(),
            rev: 0,
            info: vec![3, 0, 0, 0, 0, 0, 0, 0],
        },
    );
}

#[test]
fn range_for_a_port_range() {
    // --dport 1000:2000:
    // [ payload load 2b @ transport header + 2 => reg 1 ] [ range eq reg 1 0x0000e803 0x0000d007 ]
    golden(
        EXPR_PAYLOAD_DPORT,
        Expr::Payload {
            base: PayloadBase::Transport,
            offset: 2,
            len: 2,
            dreg: 1,
        },
    );
    golden(
        EXPR_RANGE_DPORT,
        Expr::Range {
            sreg: 1,
            op: CmpOp::Eq,
            from: vec![0x03, 0xe8],
            to: vec![0x07, 0xd0],
        },
    );
}

#[test]
fn native_limit() {
    // nft's `limit rate 10/second`: RATE 10, UNIT 1 (u64), BURST 5, TYPE 0, FLAGS 0 (u32), as
    // iptables-nft writes `-m limit` too.
    golden(
        EXPR_LIMIT_NFT,
        Expr::Limit {
            rate: 10,
            unit: 1,
            burst: 5,
            kind: 0,
            flags: 0,
        },
    );
}

#[test]
fn unknown_expression_is_kept_byte_for_byte() {
    // The same attributes under a name dfw does not type (`quota`): kept raw, re-encoded as read.
    let data = concat!(
        "0c000100000000000000000a",
        "0c0002000000000000000001",
        "0800030000000005",
        "0800040000000000",
        "0800050000000000",
    );
    let bytes = hex(&EXPR_LIMIT_NFT.replace("6c696d6974", "71756f7461"));
    let e = decode_one(&bytes);
    assert_eq!(
        e,
        Expr::Other {
            name: "quota".into(),
            data: hex(data)
        }
    );
    assert_eq!(to_hex(&encode_one(&e)), to_hex(&bytes));
}

#[test]
fn immediate_value() {
    // nft's `meta mark set 1`: [ immediate reg 1 0x00000001 ] (the mark is host-endian).
    golden(
        EXPR_IMM_VALUE_1,
        Expr::Immediate {
            dreg: 1,
            data: ImmediateData::Value(1u32.to_ne_bytes().to_vec()),
        },
    );
}

#[test]
fn known_name_with_unmodelled_attributes_becomes_other() {
    // nft's `meta mark set 1`: [ meta set mark with reg 1 ]: KEY, SREG (no DREG), kept raw.
    let bytes = hex(EXPR_META_SET_MARK);
    let e = decode_one(&bytes);
    assert_eq!(
        e,
        Expr::Other {
            name: "meta".into(),
            data: hex("08000200000000030800030000000001")
        }
    );
    assert_eq!(to_hex(&encode_one(&e)), to_hex(&bytes));
}

/// An `NFTA_LIST_ELEM` around an expression's NAME and DATA attributes (hex).
fn elem(inner: &str) -> String {
    let len = (inner.len() / 2 + 4) as u16;
    let [lo, hi] = len.to_le_bytes();
    format!("{lo:02x}{hi:02x}0180{inner}")
}

#[test]
fn native_limit_and_log_as_iptables_writes_them() {
    // strace of iptables 1.8.9 (tests/golden/extcap.py): `-m limit --limit 3/min
    // --limit-burst 10`, `-m limit` (3/hour, burst 5), `-j NFLOG --nflog-prefix "dfw drop"
    // --nflog-group 2 --nflog-size 128 --nflog-threshold 10`, `-j NFLOG` (group 0 only).
    let limit = |rate, unit, burst| Expr::Limit {
        rate,
        unit,
        burst,
        kind: 0,
        flags: 0,
    };
    golden(
        &elem("0a0001006c696d6974000000340002800c00010000000000000000030c000200000000000000003c080003000000000a08000400000000000800050000000000"),
        limit(3, 60, 10),
    );
    golden(
        &elem("0a0001006c696d6974000000340002800c00010000000000000000030c0002000000000000000e10080003000000000508000400000000000800050000000000"),
        limit(3, 3600, 5),
    );
    golden(
        &elem("080001006c6f67002c0002800d0002006466772064726f70000000000600010000020000080003000000008006000400000a0000"),
        Expr::Log(LogExpr {
            prefix: Some("dfw drop".into()),
            group: Some(2),
            snaplen: Some(128),
            qthreshold: Some(10),
            level: None,
            flags: None,
        }),
    );
    golden(
        &elem("080001006c6f67000c0002800600010000000000"),
        Expr::Log(LogExpr {
            group: Some(0),
            ..LogExpr::default()
        }),
    );
}
