//! Golden bytes for the kernel's replies (generation, table/chain/rule dumps, DONE, errors),
//! decode direction only: the kernel writes its own attribute order (and no NLA_F_NESTED), so
//! its bytes are not what dfw would send; the encode direction of the same objects is covered
//! by `nft_golden_msg.rs` against iptables' requests.
//!
//! All bytes were captured with strace on this machine, see `common/captured.rs`.

use crate::support::common;

use common::captured::*;
use common::hex;
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use dfw_netlink::nft::*;
use dfw_netlink::wire::consts::*;
use dfw_netlink::wire::split_messages;

const IP: Family = Family::IPV4;

fn verdict(v: Verdict) -> Expr {
    Expr::Immediate {
        dreg: 0,
        data: ImmediateData::Verdict(v),
    }
}

fn accept() -> Expr {
    verdict(Verdict::Accept)
}

fn counter() -> Expr {
    Expr::Counter {
        packets: 0,
        bytes: 0,
    }
}

fn input_chain(policy: Option<u32>) -> ChainMsg {
    ChainMsg::base(
        IP,
        "filter",
        "INPUT",
        Hook {
            hooknum: 1,
            priority: 0,
        },
        "filter",
        policy,
    )
}

fn iif_eth0_exprs() -> Vec<Expr> {
    vec![
        Expr::Meta {
            key: MetaKey::IIFNAME,
            dreg: 1,
        },
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: b"eth0\0".to_vec(),
        },
        counter(),
        accept(),
    ]
}

/// Decodes the single message in `hex_bytes`.
fn reply(hex_bytes: &str) -> Reply {
    let b = hex(hex_bytes);
    let mut it = split_messages(&b);
    let (h, body) = it.next().expect("a message").expect("well-formed");
    assert!(it.next().is_none());
    parse_reply(&h, body).expect("decodes")
}

#[test]
fn reply_generation() {
    let want = GenMsg {
        id: 5,
        proc_pid: Some(10359),
        proc_name: Some("iptables-save".into()),
    };
    assert_eq!(reply(REPLY_NEWGEN), Reply::Gen(want));
}

#[test]
fn reply_table_and_done() {
    let want = TableMsg {
        family: IP,
        name: "filter".into(),
        handle: Some(1),
        flags: Some(0),
        use_count: Some(3),
        userdata: None,
        owner: None,
    };
    assert_eq!(reply(REPLY_TABLE), Reply::Table(want));
    assert_eq!(reply(REPLY_DONE), Reply::Done { errno: 0 });
}

#[test]
fn reply_chains() {
    let input = ChainMsg {
        handle: Some(1),
        use_count: Some(1),
        flags: Some(NFT_CHAIN_BASE),
        ..input_chain(Some(1))
    };
    assert_eq!(reply(REPLY_CHAIN_INPUT), Reply::Chain(input));
    let forward = ChainMsg {
        handle: Some(3),
        counters: Some(Counters::default()),
        use_count: Some(0),
        flags: Some(NFT_CHAIN_BASE),
        ..ChainMsg::base(
            IP,
            "filter",
            "FORWARD",
            Hook {
                hooknum: 2,
                priority: 0,
            },
            "filter",
            Some(0),
        )
    };
    assert_eq!(reply(REPLY_CHAIN_FORWARD), Reply::Chain(forward));
    let user = ChainMsg {
        handle: Some(4),
        use_count: Some(1),
        ..ChainMsg::user(IP, "filter", "FOO")
    };
    assert_eq!(reply(REPLY_CHAIN_USER), Reply::Chain(user));
}

fn dumped(chain: &str, handle: u64, position: Option<u64>, exprs: Vec<Expr>) -> Reply {
    Reply::Rule(RuleMsg {
        family: IP,
        table: "filter".into(),
        chain: chain.into(),
        handle: Some(handle),
        position,
        exprs,
        compat: None,
        userdata: None,
    })
}

#[test]
fn reply_rules() {
    assert_eq!(
        reply(REPLY_RULE_IIF),
        dumped("INPUT", 2, None, iif_eth0_exprs())
    );
    let saddr = vec![
        Expr::Payload {
            base: PayloadBase::Network,
            offset: 12,
            len: 3,
            dreg: 1,
        },
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![192, 0, 2],
        },
        counter(),
        verdict(Verdict::Return),
    ];
    assert_eq!(reply(REPLY_RULE_SADDR), dumped("FOO", 5, None, saddr));
}

#[test]
fn reply_rules_of_a_mixed_chain() {
    // The kernel adds NFTA_BITWISE_OP and POSITION (previous handle) and no NLA_F_NESTED.
    let slash12 = vec![
        Expr::Payload {
            base: PayloadBase::Network,
            offset: 12,
            len: 4,
            dreg: 1,
        },
        Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len: 4,
            mask: vec![0xff, 0xf0, 0, 0],
            xor: vec![0; 4],
        },
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![192, 0, 0, 0],
        },
        counter(),
        verdict(Verdict::Return),
    ];
    assert_eq!(reply(REPLY_RULE_SLASH12), dumped("INPUT", 2, None, slash12));
    let mut info = vec![0u8; 168];
    info[146] = 1;
    info[150] = 6;
    let ct = vec![
        Expr::Match {
            name: "conntrack".into(),
            rev: 3,
            info,
        },
        counter(),
        accept(),
    ];
    assert_eq!(reply(REPLY_RULE_CONNTRACK), dumped("INPUT", 3, Some(2), ct));
    let range = vec![
        Expr::Meta {
            key: MetaKey::L4PROTO,
            dreg: 1,
        },
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: vec![6],
        },
        Expr::Payload {
            base: PayloadBase::Transport,
            offset: 2,
            len: 2,
            dreg: 1,
        },
        Expr::Range {
            sreg: 1,
            op: CmpOp::Eq,
            from: vec![0x03, 0xe8],
            to: vec![0x07, 0xd0],
        },
        counter(),
        Expr::Target {
            name: "REJECT".into(),
            rev: 0,
            info: vec![3, 0, 0, 0, 0, 0, 0, 0],
        },
    ];
    assert_eq!(
        reply(REPLY_RULE_RANGE_REJECT),
        dumped("INPUT", 5, Some(3), range)
    );
    let jump = vec![counter(), verdict(Verdict::Jump("FOO".into()))];
    assert_eq!(reply(REPLY_RULE_JUMP), dumped("INPUT", 6, Some(5), jump));
}

#[test]
fn reply_errors_map_to_the_offending_seq() {
    let ebusy = ErrorMsg {
        errno: libc::EBUSY,
        seq: 1,
        msg_type: nft_msg(NFT_MSG_DELCHAIN),
        message: None,
        bad_attr_offset: Some(32),
    };
    assert_eq!(reply(REPLY_ERROR_EBUSY_EXTACK), Reply::Error(ebusy));
    let enoent = ErrorMsg {
        errno: libc::ENOENT,
        seq: 0,
        msg_type: nft_msg(NFT_MSG_GETCHAIN),
        ..ErrorMsg::default()
    };
    assert_eq!(reply(REPLY_ERROR_ENOENT), Reply::Error(enoent));
}

#[test]
fn decoded_dumps_list_exactly_like_nft_debug_netlink() {
    // `nft --debug=netlink list ruleset` of the same namespace as the dumps (nft 1.0.6).
    let nft = "\
ip filter INPUT 2
  [ payload load 4b @ network header + 12 => reg 1 ]
  [ bitwise reg 1 = ( reg 1 & 0x0000f0ff ) ^ 0x00000000 ]
  [ cmp eq reg 1 0x000000c0 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 return ]

ip filter INPUT 3 2
  [ match name conntrack rev 3 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 accept ]

ip filter INPUT 5 3
  [ meta load l4proto => reg 1 ]
  [ cmp eq reg 1 0x00000006 ]
  [ payload load 2b @ transport header + 2 => reg 1 ]
  [ range eq reg 1 0x0000e803 0x0000d007 ]
  [ counter pkts 0 bytes 0 ]
  [ target name REJECT rev 0 ]

ip filter INPUT 6 5
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 jump -> FOO ]

ip filter INPUT 2
  [ meta load iifname => reg 1 ]
  [ cmp eq reg 1 0x30687465 0x00000000 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 accept ]

ip filter FOO 5
  [ payload load 3b @ network header + 12 => reg 1 ]
  [ cmp eq reg 1 0x000200c0 ]
  [ counter pkts 0 bytes 0 ]
  [ immediate reg 0 return ]";
    let dumps = [
        REPLY_RULE_SLASH12,
        REPLY_RULE_CONNTRACK,
        REPLY_RULE_RANGE_REJECT,
        REPLY_RULE_JUMP,
        REPLY_RULE_IIF,
        REPLY_RULE_SADDR,
    ];
    let ours: Vec<String> = dumps
        .iter()
        .map(|d| match reply(d) {
            Reply::Rule(r) => rule_listing(&r),
            other => panic!("not a rule: {other:?}"),
        })
        .collect();
    assert_eq!(ours.join("\n\n"), nft);
}
