//! Golden tests of the native encoder (`dfw_netlink::native::table_requests`): dfw's table for
//! `[docker] accept_fwmark` (`dfw_core::policy::mark_table`) encodes to the very batch nft
//! 1.0.6 sends for the same table written as text (`testdata/nftables/fwmark/NAME.nft`,
//! captured by `tests/capture/capture_fwmark.sh` into `NAME.batch.hex`: BEGIN, the messages,
//! END, one per line), and each rule decodes back to the model; the printer gives nft's own
//! listing of it (`NAME.list`).

use dfw_core::model::Iface;
use dfw_core::native::print::table_text;
use dfw_core::policy::{mark_table, Forward, FwMark};
use dfw_netlink::native::{native_expr, table_requests, NativeRequest};
use dfw_netlink::nft::{Batch, RuleMsg};
use dfw_netlink::wire::split_messages;

fn pair(i: &str, o: &str) -> Forward {
    Forward {
        in_iface: Iface::parse(i).unwrap(),
        out_iface: Iface::parse(o).unwrap(),
    }
}

fn cases() -> Vec<(
    &'static str,
    Vec<Forward>,
    &'static str,
    &'static str,
    &'static str,
)> {
    vec![
        (
            "pairs-masked",
            vec![pair("eth1", "docker0"), pair("wg+", "br-+")],
            "0x100/0xff00",
            include_str!("../../../testdata/nftables/fwmark/pairs-masked.batch.hex"),
            include_str!("../../../testdata/nftables/fwmark/pairs-masked.list"),
        ),
        (
            "pair-full-mask",
            vec![pair("eth1", "docker0")],
            "2",
            include_str!("../../../testdata/nftables/fwmark/pair-full-mask.batch.hex"),
            include_str!("../../../testdata/nftables/fwmark/pair-full-mask.list"),
        ),
        (
            "no-pairs",
            vec![],
            "0x1",
            include_str!("../../../testdata/nftables/fwmark/no-pairs.batch.hex"),
            include_str!("../../../testdata/nftables/fwmark/no-pairs.list"),
        ),
    ]
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn dfw_table_encodes_as_nft_sends_it() {
    for (name, pairs, mark, golden, _) in cases() {
        let t = mark_table(&pairs, FwMark::parse(mark).unwrap());
        let mut b: Batch<()> = Batch::new(0, None);
        for r in table_requests(&t).unwrap() {
            b.push(&r, ()).unwrap();
        }
        let bytes = b.finish().into_bytes();
        let ours: Vec<String> = split_messages(&bytes)
            .map(|m| {
                let (h, body) = m.unwrap();
                let mut whole = Vec::new();
                whole.extend_from_slice(&h.len.to_ne_bytes());
                whole.extend_from_slice(&h.kind.to_ne_bytes());
                whole.extend_from_slice(&h.flags.to_ne_bytes());
                whole.extend_from_slice(&h.seq.to_ne_bytes());
                whole.extend_from_slice(&h.pid.to_ne_bytes());
                whole.extend_from_slice(body);
                hex(&whole)
            })
            .collect();
        let theirs: Vec<&str> = golden.lines().collect();
        assert_eq!(ours.len(), theirs.len(), "{name}: message count");
        for (i, (o, t)) in ours.iter().zip(&theirs).enumerate() {
            assert_eq!(o, t, "{name}: message {i}");
        }
    }
}

#[test]
fn dfw_table_rules_decode_back_and_print_as_nft_lists_them() {
    for (name, pairs, mark, _, listing) in cases() {
        let t = mark_table(&pairs, FwMark::parse(mark).unwrap());
        assert_eq!(table_text(&t), listing, "{name}");
        let mut rules = t.chains[0].rules.iter();
        for r in table_requests(&t).unwrap() {
            let NativeRequest::Rule { .. } = &r else {
                continue;
            };
            let mut w = dfw_netlink::wire::NlMsgWriter::new();
            dfw_netlink::nft::encode_request(&r, 1, 0, &mut w).unwrap();
            let (_, body) = split_messages(w.as_bytes()).next().unwrap().unwrap();
            let msg = RuleMsg::parse(body).unwrap();
            let back: Vec<_> = msg.exprs.iter().map(|e| native_expr(e).unwrap()).collect();
            assert_eq!(&back, &rules.next().unwrap().exprs, "{name}");
        }
    }
}

mod props {
    use super::*;
    use dfw_netlink::native::decode_dumps;
    use proptest::prelude::*;

    fn iface() -> impl Strategy<Value = String> {
        ("[a-z][a-z0-9_.-]{0,13}", any::<bool>())
            .prop_map(|(n, w)| if w { format!("{n}+") } else { n })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any table `mark_table` makes encodes, and the kernel's form of those messages (as
        /// the reader decodes NEWTABLE/NEWCHAIN/NEWRULE) is the same table, printed alike;
        /// `mark_table_params` gives back the pairs and mark.
        #[test]
        fn mark_tables_round_trip(
            pairs in prop::collection::vec((iface(), iface()), 0..5),
            mark in any::<u32>(),
            mask in any::<u32>(),
        ) {
            let pairs: Vec<Forward> = pairs.iter().map(|(i, o)| pair(i, o)).collect();
            let m = FwMark::new(mark & mask, mask).unwrap();
            let t = mark_table(&pairs, m);
            let mut msgs = Vec::new();
            for (seq, r) in table_requests(&t).unwrap().iter().enumerate() {
                let mut w = dfw_netlink::wire::NlMsgWriter::new();
                dfw_netlink::nft::encode_request(r, seq as u32, 0, &mut w).unwrap();
                msgs.push(w.as_bytes().to_vec());
            }
            let back = decode_dumps(&msgs).unwrap();
            prop_assert_eq!(back.tables.len(), 1);
            prop_assert_eq!(table_text(&back.tables[0]), table_text(&t));
            let (p, m2) = dfw_core::policy::mark_table_params(&back.tables[0]).unwrap();
            let mut distinct: Vec<Forward> = Vec::new();
            for f in pairs {
                if !distinct.contains(&f) {
                    distinct.push(f);
                }
            }
            prop_assert_eq!(p, distinct.clone());
            if !distinct.is_empty() {
                prop_assert_eq!(m2, m);
            }
        }
    }
}
