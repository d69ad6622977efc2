//! A policy whose body is longer than [`SEGMENT_RULES`] (each test in its own private network
//! namespace): committed spread over `DFW-*-EXT.K` chains exactly as compiled (iptables-save
//! and ip6tables-save read back what dfw wrote, gotos included), in sync for a fresh handle,
//! a second commit sends nothing, and one changed source entry touches one rule of one
//! part (plus its block's dispatch when the address moves to another block).

use dfw_core::model::{Family, Iface};
use dfw_core::policy::{Policy, SEGMENT_RULES};
use dfw_core::syntax::{print_ruleset, PrintOptions};
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

/// `n` allows of one port each from one IPv4 source (allow `moved`'s source in 10.200.0.0/16
/// instead), two IPv6 whitelist entries, host filtering on. Each source list has one entry,
/// so it stays one rule (no kernel set) and the body grows with `n`.
fn policy(n: usize, moved: Option<usize>) -> Policy {
    let mut t = String::from(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[whitelist]\n\
         sources = [\"2001:db8::7\", \"2001:db8::8\"]\n[[allow]]\nports = [\"22/tcp\"]\n",
    );
    for i in 0..n {
        let hi = if Some(i) == moved { 200 } else { i >> 16 };
        t.push_str(&format!(
            "[[allow]]\nports = [\"{}/tcp\"]\nfrom = [\"10.{hi}.{}.{}\"]\n",
            1000 + i,
            (i >> 8) & 0xff,
            i & 0xff
        ));
    }
    Policy::from_toml(&t, "segments.toml").unwrap()
}

/// dfw's lines of iptables-save (or ip6tables-save), counters left out.
fn saved(family: Family) -> Vec<String> {
    let prog = match family {
        Family::Ipv4 => "iptables-save",
        Family::Ipv6 => "ip6tables-save",
    };
    run_cmd(prog, &["-t", "filter"])
        .unwrap()
        .lines()
        .filter(|l| l.starts_with(":DFW-") || l.starts_with("-A DFW-"))
        .map(|l| l.split(" [").next().unwrap_or(l).to_string())
        .collect()
}

fn compiled(p: &Policy, family: Family) -> Vec<String> {
    let [v4, v6] = p
        .compile(&[Iface::parse("eth0").unwrap()])
        .to_rulesets()
        .unwrap();
    let rs = if family == Family::Ipv4 { v4 } else { v6 };
    print_ruleset(&rs, PrintOptions::default())
        .lines()
        .filter(|l| l.starts_with(":DFW-") || l.starts_with("-A DFW-"))
        .map(|l| l.split(" [").next().unwrap_or(l).to_string())
        .collect()
}

#[test]
fn kernel_a_long_policy_is_spread_committed_exactly_and_edited_in_one_part() {
    kernel_test("kernel_a_long_policy_is_spread", || {
        let n = SEGMENT_RULES * 3;
        let p = policy(n, None);
        let mut fw = Firewall::open().unwrap();
        enforce::commit_unguarded(&mut fw, &p).unwrap();
        let v4 = saved(Family::Ipv4);
        assert!(
            v4.iter().any(|l| l.starts_with(":DFW-DOCKER-EXT.3")),
            "{v4:?}"
        );
        assert!(v4.iter().any(|l| l.contains(" -g DFW-INPUT-EXT.")));
        for family in Family::ALL {
            assert_eq!(saved(family), compiled(&p, family), "{family}");
        }

        // A fresh handle reads everything back: in sync, nothing to send.
        let mut fresh = Firewall::open().unwrap();
        assert!(enforce::status(&mut fresh, &p).unwrap().in_sync());
        let again = enforce::commit_unguarded(&mut fresh, &p).unwrap();
        assert!(again.is_noop(), "{:?}", again.summaries());

        // One entry moved to another block: one rule out of its part per path, one rule into
        // another part, and the dispatch of the new block.
        let q = policy(n, Some(5));
        let r = enforce::commit_unguarded(&mut Firewall::open().unwrap(), &q).unwrap();
        let v4 = r
            .summaries()
            .into_iter()
            .find(|s| s.family == Family::Ipv4)
            .unwrap();
        assert_eq!(v4.rules_removed, 2, "{v4}");
        assert!(v4.rules_added <= 6, "{v4}");
        for family in Family::ALL {
            assert_eq!(saved(family), compiled(&q, family), "{family}");
        }
    });
}
