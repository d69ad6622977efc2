//! A userdata comment, as iptables 1.8.9 shows it.

use super::*;
use dfw_core::model::matches::Comment;
use dfw_netlink::rule_codec::decode_rule_with_userdata;

#[test]
fn udata_comment_is_a_final_comment_match() {
    // doc 2.2: `nft add rule ip filter INPUT ip saddr 1.2.3.4 counter accept comment
    // "native-udata-comment"` shows as `-s 1.2.3.4/32 -m comment --comment
    // native-udata-comment -j ACCEPT`. libnftnl TLV: type 0, length with the NUL.
    let e = [
        nh(12, 4),
        eq(&[1, 2, 3, 4]),
        counter(),
        verdict(Verdict::Accept),
    ];
    let mut udata = vec![0u8, 21];
    udata.extend_from_slice(b"native-udata-comment\0");
    let want = rule(
        RuleHeader {
            src: Some(Neg::is(net("1.2.3.4"))),
            ..Default::default()
        },
        vec![Match::Comment(
            Comment::new("native-udata-comment").unwrap(),
        )],
        Some(Target::Accept),
    );
    assert_eq!(
        decode_rule_with_userdata(V4, &e, None, Some(&udata)),
        DecodedRule::Rule(want)
    );
    // no userdata: plain decode_rule
    assert_eq!(
        decode_rule_with_userdata(V4, &e, None, None),
        decode_rule(V4, &e, None)
    );
    // another TLV type, or a comment without its NUL: opaque
    for bad in [vec![1u8, 1, 0], vec![0u8, 2, b'x', b'y'], vec![0u8, 9]] {
        assert!(matches!(
            decode_rule_with_userdata(V4, &e, None, Some(&bad)),
            DecodedRule::Opaque { .. }
        ));
    }
}
