//! Properties of the nf_tables codec: decode is the inverse of encode for every expression
//! and object, and no input makes a decoder panic.

use crate::support::common;

use common::captured::{BATCH_APPEND_IIF, REPLY_ERROR_EBUSY_EXTACK, REPLY_RULE_RANGE_REJECT};
use common::hex;
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use dfw_netlink::nft::*;
use dfw_netlink::wire::{split_messages, AttrIter, AttrWriter, NlMsgWriter};
use proptest::prelude::*;

const KNOWN: [&str; 9] = [
    "meta",
    "payload",
    "cmp",
    "bitwise",
    "range",
    "immediate",
    "counter",
    "match",
    "target",
];

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_.-]{1,28}"
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..max)
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Neq),
        Just(CmpOp::Lt),
        Just(CmpOp::Lte),
        Just(CmpOp::Gt),
        Just(CmpOp::Gte)
    ]
}

fn verdict() -> impl Strategy<Value = Verdict> {
    prop_oneof![
        Just(Verdict::Accept),
        Just(Verdict::Drop),
        Just(Verdict::Return),
        Just(Verdict::Continue),
        Just(Verdict::Break),
        name().prop_map(Verdict::Jump),
        name().prop_map(Verdict::Goto),
        // Codes with a named variant are not canonical as Unknown.
        any::<i32>()
            .prop_filter("named code", |c| ![0, 1, -1, -2, -5].contains(c))
            .prop_map(Verdict::Unknown),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let base = prop_oneof![
        Just(PayloadBase::LinkLayer),
        Just(PayloadBase::Network),
        Just(PayloadBase::Transport)
    ];
    prop_oneof![
        (any::<u32>(), any::<u32>()).prop_map(|(k, dreg)| Expr::Meta {
            key: MetaKey(k),
            dreg
        }),
        (base, any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(base, offset, len, dreg)| {
            Expr::Payload {
                base,
                offset,
                len,
                dreg,
            }
        }),
        (any::<u32>(), cmp_op(), bytes(40)).prop_map(|(sreg, op, data)| Expr::Cmp {
            sreg,
            op,
            data
        }),
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            bytes(20),
            bytes(20)
        )
            .prop_map(|(sreg, dreg, len, mask, xor)| Expr::Bitwise {
                sreg,
                dreg,
                len,
                mask,
                xor
            }),
        (any::<u32>(), cmp_op(), bytes(20), bytes(20))
            .prop_map(|(sreg, op, from, to)| Expr::Range { sreg, op, from, to }),
        (any::<u32>(), verdict()).prop_map(|(dreg, v)| Expr::Immediate {
            dreg,
            data: ImmediateData::Verdict(v)
        }),
        (any::<u32>(), bytes(20)).prop_map(|(dreg, v)| Expr::Immediate {
            dreg,
            data: ImmediateData::Value(v)
        }),
        (any::<u64>(), any::<u64>()).prop_map(|(packets, bytes)| Expr::Counter { packets, bytes }),
        (name(), any::<u32>(), bytes(300)).prop_map(|(name, rev, info)| Expr::Match {
            name,
            rev,
            info
        }),
        (name(), any::<u32>(), bytes(100)).prop_map(|(name, rev, info)| Expr::Target {
            name,
            rev,
            info
        }),
        ("[a-z_]{1,16}", bytes(200))
            .prop_filter("typed name", |(n, _)| !KNOWN.contains(&n.as_str()))
            .prop_map(|(name, data)| Expr::Other { name, data }),
    ]
}

fn rule() -> impl Strategy<Value = RuleMsg> {
    let compat =
        (any::<u32>(), any::<u32>()).prop_map(|(proto, flags)| RuleCompat { proto, flags });
    (
        any::<u8>(),
        name(),
        name(),
        any::<Option<u64>>(),
        any::<Option<u64>>(),
        prop::collection::vec(expr(), 0..8),
        prop::option::of(compat),
        prop::option::of(bytes(64)),
    )
        .prop_map(
            |(f, table, chain, handle, position, exprs, compat, userdata)| RuleMsg {
                family: Family(f),
                table,
                chain,
                handle,
                position,
                exprs,
                compat,
                userdata,
            },
        )
}

fn chain() -> impl Strategy<Value = ChainMsg> {
    let hook =
        (any::<u32>(), any::<i32>()).prop_map(|(hooknum, priority)| Hook { hooknum, priority });
    let counters =
        (any::<u64>(), any::<u64>()).prop_map(|(packets, bytes)| Counters { packets, bytes });
    (
        (any::<u8>(), name(), name(), any::<Option<u64>>()),
        (
            prop::option::of(hook),
            any::<Option<u32>>(),
            prop::option::of("[a-z]{1,10}"),
        ),
        (
            prop::option::of(counters),
            any::<Option<u32>>(),
            any::<Option<u32>>(),
        ),
    )
        .prop_map(
            |(
                (f, table, name, handle),
                (hook, policy, chain_type),
                (counters, use_count, flags),
            )| {
                ChainMsg {
                    family: Family(f),
                    table,
                    name,
                    handle,
                    hook,
                    policy,
                    chain_type,
                    counters,
                    use_count,
                    flags,
                }
            },
        )
}

/// The body (after `nlmsghdr`) of the single message `req` frames to.
fn body_of<R: NftRequest>(req: &R) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    encode_request(req, 1, 0, &mut w).expect("encodes");
    let bytes = w.into_bytes();
    let (_, body) = split_messages(&bytes).next().unwrap().unwrap();
    body.to_vec()
}

/// Runs every decoder over `bytes`; they may fail but must not panic.
fn decode_everything(bytes: &[u8]) {
    for a in AttrIter::new(bytes).flatten() {
        let _ = decode_expr(a);
    }
    let _ = RuleMsg::parse(bytes);
    let _ = ChainMsg::parse(bytes);
    let _ = TableMsg::parse(bytes);
    let _ = GenMsg::parse(bytes);
    let _ = parse_batch_begin(bytes);
    for flags in [0, 0x100, 0x200, 0x300] {
        let _ = ErrorMsg::parse(flags, bytes);
    }
    for r in parse_replies(bytes) {
        let _ = r;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn expr_decode_inverts_encode(e in expr()) {
        let mut buf = Vec::new();
        encode_expr(&e, &mut AttrWriter::new(&mut buf)).unwrap();
        let mut it = AttrIter::new(&buf);
        let attr = it.next().unwrap().unwrap();
        prop_assert!(it.next().is_none());
        prop_assert_eq!(decode_expr(attr).unwrap(), e);
    }

    #[test]
    fn rule_decode_inverts_encode(r in rule()) {
        let req = NewRule { rule: r.clone(), mode: RuleMode::Append };
        prop_assert_eq!(RuleMsg::parse(&body_of(&req)).unwrap(), r);
    }

    #[test]
    fn chain_decode_inverts_encode(c in chain()) {
        let req = NewChain { chain: c.clone(), mode: CreateMode::Create };
        prop_assert_eq!(ChainMsg::parse(&body_of(&req)).unwrap(), c);
    }

    #[test]
    fn table_decode_inverts_encode(f in any::<u8>(), n in name(), h in any::<Option<u64>>(), fl in any::<Option<u32>>(), u in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64))) {
        let t = TableMsg { family: Family(f), name: n, handle: h, flags: fl, use_count: None, userdata: u, owner: None };
        prop_assert_eq!(TableMsg::parse(&body_of(&NewTable(t.clone()))).unwrap(), t);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in bytes(600)) {
        decode_everything(&b);
    }

    #[test]
    fn mutated_real_messages_never_panic(
        which in 0usize..3,
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut b = hex([BATCH_APPEND_IIF, REPLY_RULE_RANGE_REJECT, REPLY_ERROR_EBUSY_EXTACK][which]);
        for (at, v) in flips {
            let i = at.index(b.len());
            b[i] = v;
        }
        decode_everything(&b);
        if b.len() > 16 {
            decode_everything(&b[16..]);
        }
        b.truncate(cut.index(b.len() + 1));
        decode_everything(&b);
    }
}
