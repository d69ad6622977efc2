//! Golden tests of the native decoder (`dfw_netlink::native::decode_dumps`): the kernel's
//! dumps after `nft -f` of every test ruleset (captured by the kernel test `native_capture`)
//! decode into the model, every expression typed.

use crate::support::native::{captured_dumps, RULESETS};

use dfw_core::model::Hook;
use dfw_core::native::{ChainPolicy, Data, Expr, NatKind, NftFamily, Verdict};
use dfw_netlink::native::decode_dumps;

#[test]
fn every_capture_decodes_with_every_expression_typed() {
    for (name, _) in RULESETS {
        let rs = decode_dumps(&captured_dumps(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!rs.tables.is_empty(), "{name}");
        for t in &rs.tables {
            for c in &t.chains {
                for r in &c.rules {
                    for e in &r.exprs {
                        assert!(
                            !matches!(e, Expr::Other { .. } | Expr::Xt { .. }),
                            "{name} {} {} {}: {e:?}",
                            t.name,
                            c.name,
                            r.handle
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn docker_sim_host_decodes_as_written() {
    let rs = decode_dumps(&captured_dumps("sim-host")).unwrap();
    let t = rs.table(NftFamily::Ip, "docker-bridges").unwrap();
    assert!(rs.table(NftFamily::Ip6, "docker-bridges").is_some());
    let fwd = t.chain("filter-FORWARD").unwrap();
    let base = fwd.base.as_ref().unwrap();
    assert_eq!(
        (base.hook, base.priority, base.policy),
        (Hook::Forward, 0, ChainPolicy::Accept)
    );
    let pre = t.chain("nat-PREROUTING").unwrap().base.clone().unwrap();
    assert_eq!(
        (pre.hook, pre.priority, pre.chain_type.as_str()),
        (Hook::Prerouting, -100, "nat")
    );
    // oifname vmap @filter-forward-in-jumps
    assert!(matches!(
        &fwd.rules[0].exprs[..],
        [Expr::Meta { key: 7, dreg: 1 }, Expr::Lookup { sreg: 1, set, dreg: Some(0), invert: false }]
            if set == "filter-forward-in-jumps"
    ));
    let map = t.set("filter-forward-in-jumps").unwrap();
    assert!(map.is_map());
    assert_eq!(map.elems.len(), 1);
    assert_eq!(&map.elems[0].key[..8], b"docker0\0");
    assert_eq!(
        map.elems[0].data,
        Some(Data::Verdict(Verdict::Jump(
            "filter-forward-in__docker0".into()
        )))
    );
    // iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80 comment "DNAT"
    let dnat = &t.chain("nat-prerouting-and-output").unwrap().rules[0];
    assert_eq!(dnat.comment.as_deref(), Some("DNAT"));
    assert!(dnat.exprs.iter().any(|e| matches!(
        e,
        Expr::Nat {
            kind: NatKind::Dnat,
            family: 2,
            addr: Some(_),
            proto: Some(_),
            ..
        }
    )));
    assert!(dnat.exprs.iter().any(
        |e| matches!(e, Expr::Immediate { data: Data::Value(v), .. } if v == &[172, 17, 0, 2])
    ));
    let ct = &t.chain("filter-forward-in__docker0").unwrap().rules[0];
    assert!(matches!(
        ct.exprs[0],
        Expr::Ct {
            key: 0,
            dir: None,
            dreg: 1
        }
    ));
}

/// The printer against nft's own `nft list ruleset` of every test ruleset: every line.
#[test]
fn the_printer_prints_what_nft_lists() {
    let mut bad = Vec::new();
    let mut lines = 0;
    for (name, _) in RULESETS {
        let rs = decode_dumps(&captured_dumps(name)).unwrap();
        let ours = dfw_core::native::print::ruleset_text(&rs);
        let nft = crate::support::native::captured_listing(name);
        for (i, (a, b)) in ours.lines().zip(nft.lines()).enumerate() {
            lines += 1;
            if a != b {
                bad.push(format!("{name}:{}:\n  dfw: {a}\n  nft: {b}", i + 1));
            }
        }
        if ours.lines().count() != nft.lines().count() {
            bad.push(format!(
                "{name}: {} lines, nft {}",
                ours.lines().count(),
                nft.lines().count()
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {lines} lines differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
