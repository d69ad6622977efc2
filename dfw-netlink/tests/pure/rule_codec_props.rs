//! Property tests of the rule codec and the xt decoders: decode(encode(rule)) == rule for
//! arbitrary valid rules of both families, encode(decode(x)) == x on the encoder's image,
//! and no decoder panics on arbitrary input.

use crate::support::strategies;

use dfw_core::model::Family;
use dfw_netlink::expr::{CmpOp, Expr, ImmediateData, MetaKey, PayloadBase, Verdict};
use dfw_netlink::rule_codec::{
    decode_rule, decode_rule_with_userdata, encode_rule, Compat, DecodedRule,
};
use dfw_netlink::xt::{
    addrtype, comment, conntrack, icmp, iprange, log, mark, multiport, nat, reject, tcpudp,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_inverts_encode((family, rule) in strategies::any_rule()) {
        let enc = encode_rule(family, &rule).unwrap();
        let compat = enc.compat.unwrap();
        prop_assert_eq!(compat.proto, rule.header.proto.as_ref().map_or(0, |p| u32::from(p.value.number())));
        match decode_rule(family, &enc.exprs, enc.compat) {
            DecodedRule::Rule(back) => {
                prop_assert_eq!(&back, &rule);
                prop_assert_eq!(back.counters, Some(rule.counters.unwrap_or_default()));
                // encode(decode(x)) == x on the encoder's image.
                let again = encode_rule(family, &back).unwrap();
                prop_assert_eq!(again, enc);
            }
            DecodedRule::Opaque { reason, .. } => prop_assert!(false, "opaque: {}", reason),
        }
    }

    #[test]
    fn xt_decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), rev in 0u32..4) {
        for family in [Family::Ipv4, Family::Ipv6] {
            if let Ok(v) = conntrack::decode(family, &bytes) {
                let _ = conntrack::encode_match(&v);
            }
            if let Ok(v) = iprange::decode(family, &bytes) { prop_assert_eq!(iprange::encode(&v), bytes.clone()); }
            if let Ok(v) = reject::decode(family, &bytes) { prop_assert_eq!(reject::encode(v), bytes.clone()); }
            let _ = nat::decode_nat(nat::DNAT, family, rev, &bytes);
            if let Ok(v) = nat::decode_masquerade(family, &bytes) { prop_assert_eq!(nat::encode_masquerade(family, &v), bytes.clone()); }
        }
        if let Ok(v) = multiport::decode(&bytes) { prop_assert_eq!(multiport::encode(&v), bytes.clone()); }
        if let Ok(v) = comment::decode(&bytes) { prop_assert_eq!(comment::encode(&v), bytes.clone()); }
        if let Ok(v) = icmp::decode(&bytes) { prop_assert_eq!(icmp::encode(&v), bytes.clone()); }
        if let Ok(v) = addrtype::decode(&bytes) { prop_assert_eq!(addrtype::encode(&v), bytes.clone()); }
        if let Ok(v) = tcpudp::decode_tcp(&bytes) { prop_assert_eq!(tcpudp::encode_tcp(&v), bytes.clone()); }
        if let Ok(v) = tcpudp::decode_udp(&bytes) { prop_assert_eq!(tcpudp::encode_udp(&v), bytes.clone()); }
        if let Ok(v) = mark::decode(&bytes) { prop_assert_eq!(mark::encode(&v), bytes.clone()); }
        if let Ok(v) = log::decode(&bytes) { prop_assert_eq!(log::encode(&v), bytes.clone()); }
    }

    #[test]
    fn xt_decoders_never_panic_at_exact_lengths(seed in proptest::collection::vec(any::<u8>(), 168), sparse in any::<bool>()) {
        // Exact-length blobs reach the field checks; sparse ones (mostly zero) decode more often.
        let b = |n: usize| -> Vec<u8> {
            seed[..n].iter().enumerate().map(|(i, &x)| if sparse && i % 7 != 0 { 0 } else { x }).collect()
        };
        for family in [Family::Ipv4, Family::Ipv6] {
            let _ = conntrack::decode(family, &b(conntrack::INFO_LEN));
            if let Ok(v) = iprange::decode(family, &b(iprange::INFO_LEN)) { prop_assert_eq!(iprange::encode(&v), b(iprange::INFO_LEN)); }
            for (rev, len) in [(0, nat::COMPAT_LEN), (1, nat::RANGE_LEN), (2, nat::RANGE2_LEN)] {
                let _ = nat::decode_nat(nat::SNAT, family, rev, &b(len));
            }
        }
        if let Ok(v) = multiport::decode(&b(multiport::INFO_LEN)) { prop_assert_eq!(multiport::encode(&v), b(multiport::INFO_LEN)); }
        if let Ok(v) = tcpudp::decode_tcp(&b(16)) { prop_assert_eq!(tcpudp::encode_tcp(&v), b(16)); }
        if let Ok(v) = addrtype::decode(&b(8)) { prop_assert_eq!(addrtype::encode(&v), b(8)); }
        if let Ok(v) = log::decode(&b(32)) { prop_assert_eq!(log::encode(&v), b(32)); }
    }

    #[test]
    fn userdata_decoding_never_panics(udata in proptest::collection::vec(any::<u8>(), 0..64), text in "[ -~]{0,40}") {
        let e = [Expr::Counter { packets: 0, bytes: 0 }];
        let _ = decode_rule_with_userdata(Family::Ipv4, &e, None, Some(&udata));
        let mut tlv = vec![0u8, text.len() as u8 + 1];
        tlv.extend_from_slice(text.as_bytes());
        tlv.push(0);
        let decoded = decode_rule_with_userdata(Family::Ipv4, &e, None, Some(&tlv));
        prop_assert!(decoded.rule().is_some());
    }

    #[test]
    fn decode_rule_never_panics(exprs in proptest::collection::vec(arb_expr(), 0..8), fam in strategies::family(), c in proptest::option::of(any::<(u32, u32)>())) {
        let compat = c.map(|(proto, flags)| Compat { proto, flags });
        if let DecodedRule::Opaque { exprs: kept, compat: kc, .. } = decode_rule(fam, &exprs, compat) {
            prop_assert_eq!(kept, exprs);
            prop_assert_eq!(kc, compat);
        }
    }
}

fn arb_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..20),
        Just(b"eth0\0".to_vec()),
        Just(vec![6]),
        Just(vec![0, 22]),
    ]
}

fn arb_op() -> impl Strategy<Value = CmpOp> {
    proptest::sample::select(vec![
        CmpOp::Eq,
        CmpOp::Neq,
        CmpOp::Lt,
        CmpOp::Lte,
        CmpOp::Gt,
        CmpOp::Gte,
    ])
}

fn arb_expr() -> impl Strategy<Value = Expr> {
    let reg = prop_oneof![Just(1u32), 0u32..4];
    prop_oneof![
        (
            proptest::sample::select(vec![1u32, 3, 6, 7, 15, 16, 99]),
            reg.clone()
        )
            .prop_map(|(k, dreg)| Expr::Meta {
                key: MetaKey(k),
                dreg
            }),
        (
            proptest::sample::select(vec![
                PayloadBase::Network,
                PayloadBase::Transport,
                PayloadBase::LinkLayer
            ]),
            proptest::sample::select(vec![0u32, 2, 8, 9, 12, 13, 16, 24]),
            proptest::sample::select(vec![0u32, 1, 2, 3, 4, 16]),
            reg.clone()
        )
            .prop_map(|(base, offset, len, dreg)| Expr::Payload {
                base,
                offset,
                len,
                dreg
            }),
        (reg.clone(), arb_op(), arb_bytes()).prop_map(|(sreg, op, data)| Expr::Cmp {
            sreg,
            op,
            data
        }),
        (reg.clone(), arb_op(), arb_bytes(), arb_bytes())
            .prop_map(|(sreg, op, from, to)| Expr::Range { sreg, op, from, to }),
        (0u32..17, arb_bytes(), arb_bytes()).prop_map(|(len, mask, xor)| Expr::Bitwise {
            sreg: 1,
            dreg: 1,
            len,
            mask,
            xor
        }),
        any::<(u64, u64)>().prop_map(|(packets, bytes)| Expr::Counter { packets, bytes }),
        prop_oneof![
            Just(Verdict::Accept),
            Just(Verdict::Continue),
            Just(Verdict::Jump("X".into())),
            Just(Verdict::Goto(String::new()))
        ]
        .prop_map(|v| Expr::Immediate {
            dreg: 0,
            data: ImmediateData::Verdict(v)
        }),
        (
            proptest::sample::select(vec![
                "tcp",
                "udp",
                "conntrack",
                "mark",
                "comment",
                "icmp",
                "limit"
            ]),
            0u32..4,
            proptest::collection::vec(any::<u8>(), 0..170)
        )
            .prop_map(|(n, rev, info)| Expr::Match {
                name: n.into(),
                rev,
                info
            }),
        (
            proptest::sample::select(vec!["REJECT", "LOG", "DNAT", "SNAT", "MASQUERADE", "MARK"]),
            0u32..4,
            proptest::collection::vec(any::<u8>(), 0..50)
        )
            .prop_map(|(n, rev, info)| Expr::Target {
                name: n.into(),
                rev,
                info
            }),
        Just(Expr::Other {
            name: "lookup".into(),
            data: vec![]
        }),
    ]
}
