//! What the model cannot express is kept, marked opaque; what iptables cannot add is refused.

use super::*;

fn is_opaque(family: Family, exprs: &[Expr], c: Option<Compat>, why: &str) {
    match decode_rule(family, exprs, c) {
        DecodedRule::Opaque {
            reason,
            exprs: kept,
            compat: kc,
        } => {
            assert_eq!(kept, exprs);
            assert_eq!(kc, c);
            assert!(reason.contains(why), "reason {reason:?} lacks {why:?}");
        }
        DecodedRule::Rule(r) => panic!("decoded {r:?}"),
    }
}

#[test]
fn unknown_expressions_and_extensions() {
    let acc = verdict(Verdict::Accept);
    is_opaque(
        V4,
        &[
            Expr::Other {
                name: "lookup".into(),
                data: vec![1, 2, 3, 4],
            },
            counter(),
            acc.clone(),
        ],
        None,
        "lookup",
    );
    // -j TEE --gateway 192.0.2.1: an xt target dfw does not model
    is_opaque(
        V4,
        &[
            counter(),
            xt("TEE", 1, &format!("c0000201{}", "00".repeat(36))),
        ],
        compat(0, 0),
        "TEE",
    );
    // An xt MARK target of the wrong length.
    is_opaque(
        V4,
        &[counter(), xt("MARK", 2, "10000000ffffffff00")],
        compat(0, 0),
        "MARK",
    );
    is_opaque(
        V4,
        &[xm("limit", 0, "00"), counter(), acc.clone()],
        compat(0, 0),
        "limit",
    );
    // meta skuid (doc 2.3): a key iptables cannot print
    is_opaque(
        V4,
        &[meta(MetaKey(10)), eq(&[0, 0, 0, 0]), counter(), acc.clone()],
        None,
        "meta key 10",
    );
    // ip6 nexthdr (nh + 6)
    is_opaque(
        V6,
        &[nh(6, 1), eq(&[6]), counter(), acc.clone()],
        None,
        "offset 6",
    );
    // a conntrack blob with a stray byte in its padding
    let mut blob = hex(&"0".repeat(336));
    blob[146] = 1;
    blob[150] = 2;
    blob[167] = 9;
    is_opaque(
        V4,
        &[
            Expr::Match {
                name: "conntrack".into(),
                rev: 3,
                info: blob,
            },
            counter(),
            acc,
        ],
        None,
        "conntrack",
    );
}

#[test]
fn shapes_iptables_cannot_express() {
    let acc = verdict(Verdict::Accept);
    // strace  ! -o +: `cmp eq "INVAL/D\0"`
    is_opaque(
        V4,
        &[
            meta(MetaKey::OIFNAME),
            eq(b"INVAL/D\0"),
            counter(),
            acc.clone(),
        ],
        compat(0, 0),
        "interface",
    );
    // verdict continue (iptables silently shows no -j)
    is_opaque(
        V4,
        &[counter(), verdict(Verdict::Continue)],
        None,
        "Continue",
    );
    // anything after the target
    is_opaque(
        V4,
        &[counter(), acc.clone(), counter()],
        None,
        "after the target",
    );
    // another register
    is_opaque(
        V4,
        &[
            Expr::Meta {
                key: MetaKey::L4PROTO,
                dreg: 2,
            },
            Expr::Cmp {
                sreg: 2,
                op: CmpOp::Eq,
                data: vec![6],
            },
            counter(),
            acc.clone(),
        ],
        None,
        "register 2",
    );
    // a load nothing compares
    is_opaque(
        V4,
        &[meta(MetaKey::L4PROTO), counter(), acc.clone()],
        None,
        "pending",
    );
    // a match after the counter
    is_opaque(
        V4,
        &[counter(), xm("comment", 0, &"0".repeat(512)), acc.clone()],
        None,
        "after the counter",
    );
    // a port match without -p tcp/udp
    is_opaque(
        V4,
        &[th(2, 2), eq(&[0, 22]), counter(), acc.clone()],
        None,
        "without -p",
    );
    // strace  ! --sport 80 ! --dport 22: `cmp neq` on 4 bytes negates the pair, not each port
    let mut e = l4(6).to_vec();
    e.extend([th(0, 4), ne(&[0, 80, 0, 22]), counter(), acc.clone()]);
    is_opaque(V4, &e, compat(6, 0), "combined");
    // a compat attribute that disagrees with -p
    let mut e = l4(6).to_vec();
    e.extend([counter(), acc]);
    is_opaque(V4, &e, compat(17, 0), "compat");
}

#[test]
fn encode_refuses_what_iptables_cannot_add() {
    // iptables -A INPUT ! -s 0.0.0.0/0 fails with EINVAL (zero-length payload load).
    let r = rule(
        RuleHeader {
            src: Some(Neg::not(net("0.0.0.0/0"))),
            ..Default::default()
        },
        vec![],
        Some(Target::Accept),
    );
    assert!(encode_rule(V4, &r).is_err());
    // A v6 address in a v4 rule.
    let r = rule(
        RuleHeader {
            src: Some(Neg::is(net("2001:db8::/32"))),
            ..Default::default()
        },
        vec![],
        None,
    );
    assert!(encode_rule(V4, &r).is_err());
}
