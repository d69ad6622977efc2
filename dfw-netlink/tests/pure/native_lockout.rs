//! The SSH lockout guard with native tables (`safety::check_lockout_change`), on Debian's
//! `/etc/nftables.conf` with a drop policy as the kernel dumped it (`debian-drop`): its
//! `tcp dport 22 ct state new accept` cannot save a session dfw's REJECT refuses (an accept
//! ends only its own base chain); its final drop of other ports is not blamed on a commit.

use crate::support::native::captured_dumps;

use dfw_core::eval::{Decision, TableRef, Verdict};
use dfw_core::model::{Family, Iface, Ruleset};
use dfw_core::native::NftFamily;
use dfw_core::policy::Policy;
use dfw_netlink::native::decode_dumps;
use dfw_netlink::safety::{check_lockout_change, SshConnection};

fn compiled(ports: &str, family: Family) -> Ruleset {
    let text = format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [{ports}]\n"
    );
    let p = Policy::from_toml(&text, "t.toml").unwrap();
    let c = p.compile(&[Iface::parse("eth0").unwrap()]);
    c.family(family).to_ruleset().unwrap()
}

#[test]
fn native_accept_cannot_save_a_session_and_native_drops_are_not_the_commits() {
    let native = decode_dumps(&captured_dumps("debian-drop")).unwrap();
    let eth0 = ["eth0".to_string()];
    for (family, ssh, ssh_other) in [
        (
            Family::Ipv4,
            "198.51.100.9 50022 192.0.2.10 22",
            "198.51.100.9 50022 192.0.2.10 2222",
        ),
        (
            Family::Ipv6,
            "2001:db8::9 50022 2001:db8::10 22",
            "2001:db8::9 50022 2001:db8::10 2222",
        ),
    ] {
        let before = Ruleset::new(family);
        let ssh = SshConnection::parse(ssh).unwrap();
        // Port 22: Debian's table accepts it, dfw allows it: no lockout.
        check_lockout_change(
            &before,
            &compiled("\"22/tcp\"", family),
            &native,
            &ssh,
            &eth0,
        )
        .unwrap();
        // dfw refuses it: the native accept does not save it.
        let after = compiled("\"80/tcp\"", family);
        let l = check_lockout_change(&before, &after, &native, &ssh, &eth0).unwrap_err();
        assert!(matches!(l.verdict, Verdict::Reject(_)), "{l}");
        assert!(
            l.rule
                .as_deref()
                .unwrap_or("")
                .starts_with("-A DFW-INPUT-EXT"),
            "{l}"
        );
        // Port 2222: Debian's table drops it (its last rule), before and after: not the
        // commit's doing, whatever dfw's policy says.
        let other = SshConnection::parse(ssh_other).unwrap();
        for ports in ["\"80/tcp\"", "\"2222/tcp\""] {
            check_lockout_change(&before, &compiled(ports, family), &native, &other, &eth0)
                .unwrap();
        }
        // dfw's REJECT before, Debian's drop after: refused on both sides.
        check_lockout_change(
            &compiled("\"80/tcp\"", family),
            &compiled("\"2222/tcp\"", family),
            &native,
            &other,
            &eth0,
        )
        .unwrap();
        // Without the native table that refusal would be the commit's.
        let none = dfw_core::native::Ruleset::default();
        let l = check_lockout_change(&before, &after, &none, &other, &eth0).unwrap_err();
        assert!(matches!(l.verdict, Verdict::Reject(_)), "{l}");
    }
}

#[test]
fn a_lockout_by_a_native_rule_names_it_as_nft_prints_it() {
    let native = decode_dumps(&captured_dumps("debian-drop")).unwrap();
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 2222").unwrap();
    // Debian's final drop refuses a new connection to 2222: the lockout names that rule and
    // its text as nft prints it.
    let l = dfw_netlink::safety::check_lockout_on_with(
        &Ruleset::new(Family::Ipv4),
        &native,
        &ssh,
        &["eth0".to_string()],
    )
    .unwrap_err();
    assert_eq!(l.verdict, Verdict::Drop, "{l}");
    match &l.decided_by {
        Some(Decision::Rule(r)) => {
            assert_eq!(r.table, TableRef::Native(NftFamily::Inet, "filter".into()));
            assert_eq!(r.chain, "input");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        l.rule.as_deref(),
        Some("inet filter input: counter packets 0 bytes 0 drop"),
        "{l}"
    );
    assert!(l.to_string().contains("by rule inet filter input #"), "{l}");
}
