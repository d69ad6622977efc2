//! Golden bytes of the extensions added for ufw, fail2ban and Docker's neighbours, both
//! directions, from the strace captures in `ext_captured.rs`: for each row, the rule parsed from
//! the spec given to iptables encodes to exactly iptables' blob, and the blob decodes to exactly
//! that rule's match or target.

use dfw_core::model::{Family, Match, Target};
use dfw_core::syntax::parse_rule;
use dfw_netlink::expr::Expr;
use dfw_netlink::rule_codec::{decode_xt_match, decode_xt_target, encode_rule};

use super::hex;

/// One captured blob.
pub struct G {
    /// An ip6tables rule.
    pub v6: bool,
    /// The rule as given to iptables (after `-A CHAIN`).
    pub spec: &'static str,
    /// The xt extension.
    pub name: &'static str,
    /// Its revision.
    pub rev: u32,
    /// False when dfw deliberately writes another form (decode only).
    pub exact: bool,
    /// `NFTA_MATCH_INFO` / `NFTA_TARGET_INFO`.
    pub info: &'static str,
}

fn family(g: &G) -> Family {
    if g.v6 {
        Family::Ipv6
    } else {
        Family::Ipv4
    }
}

#[test]
fn every_captured_extension_blob_both_directions() {
    let mut names = std::collections::BTreeSet::new();
    for g in super::ext_captured::ROWS {
        let f = family(g);
        let rule = parse_rule(f, g.spec).unwrap_or_else(|e| panic!("{}: {e}", g.spec));
        let info = hex(g.info);
        let enc = encode_rule(f, &rule).unwrap();
        let ours = enc.exprs.iter().find_map(|e| match e {
            Expr::Match { name, rev, info } | Expr::Target { name, rev, info }
                if name == g.name =>
            {
                Some((*rev, info.clone()))
            }
            _ => None,
        });
        let (rev, ours) =
            ours.unwrap_or_else(|| panic!("{}: no {} in {:?}", g.spec, g.name, enc.exprs));
        assert_eq!(rev, g.rev, "{}", g.spec);
        if g.exact {
            assert_eq!(ours, info, "{}: encode", g.spec);
        }
        let is_target = rule.target.as_ref().is_some_and(|t| match t {
            Target::Ct(c) if c.alias => g.name == "CT",
            t => t.name() == g.name,
        });
        if is_target {
            let t = decode_xt_target(f, g.name, g.rev, &info)
                .unwrap_or_else(|e| panic!("{}: {e}", g.spec));
            assert_eq!(Some(&t), rule.target.as_ref(), "{}: decode", g.spec);
        } else {
            let m = decode_xt_match(f, g.name, g.rev, &info)
                .unwrap_or_else(|e| panic!("{}: {e}", g.spec));
            let want: Vec<&Match> = rule.matches.iter().filter(|m| m.name() == g.name).collect();
            assert_eq!(want, [&m], "{}: decode", g.spec);
        }
        names.insert(g.name);
    }
    for n in [
        "recent",
        "hashlimit",
        "connlimit",
        "pkttype",
        "mac",
        "owner",
        "physdev",
        "sctp",
        "ttl",
        "hl",
        "length",
        "rt",
        "connmark",
        "NFLOG",
        "MARK",
        "CONNMARK",
        "TCPMSS",
        "REDIRECT",
        "CT",
    ] {
        assert!(names.contains(n), "no golden row for {n}");
    }
}
