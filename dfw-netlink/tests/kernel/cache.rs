//! Kernel tests of the long-lived handle's kept state (firewall `cache`): a warm apply plans
//! without reading and leaves the chain exactly as wanted; a change made by someone else
//! (iptables) moves the generation, and the next apply re-reads and still converges.

use dfw_core::model::{ChainName, Family, Rule, TableName};
use dfw_core::syntax::parse_rule;
use dfw_netlink::firewall::{ChainTarget, ChangeSet, Firewall};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

fn rules(n: usize, shift: usize) -> Vec<Rule> {
    (0..n)
        .map(|i| {
            let spec = format!(
                " -s 198.51.100.{}/32 -p tcp -m tcp --dport {} -j ACCEPT",
                i % 250,
                1000 + i + shift
            );
            parse_rule(Family::Ipv4, &spec).unwrap()
        })
        .collect()
}

fn change(rules: Vec<Rule>) -> ChangeSet {
    ChangeSet {
        chains: vec![ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: ChainName::new("DFWCACHE").unwrap(),
            create: true,
            policy: None,
            rules: rules.into_iter().map(Into::into).collect(),
        }],
        delete_chains: Vec::new(),
    }
}

fn kernel_rules(fw: &mut Firewall<dfw_netlink::transport::NetlinkTransport>) -> Vec<Rule> {
    fw.read_chains(Family::Ipv4, TableName::Filter, &["DFWCACHE"])
        .unwrap()
        .into_iter()
        .flat_map(|c| c.rules)
        .map(|r| r.comparable().expect("expressible"))
        .collect()
}

#[test]
fn warm_apply_converges_and_foreign_change_rereads() {
    kernel_test("warm_apply_converges_and_foreign_change_rereads", || {
        let mut fw = Firewall::open().unwrap();
        let base = rules(300, 0);
        let c0 = change(base.clone());
        assert!(fw.apply(&c0).unwrap().committed);
        assert!(fw.has_cached_state(&c0), "a commit keeps its state");
        // Every handle kept is the kernel's (consecutive handles, checked by two echoes).
        let handles: Vec<u64> = fw
            .read_chains(Family::Ipv4, TableName::Filter, &["DFWCACHE"])
            .unwrap()[0]
            .rules
            .iter()
            .map(|r| r.handle)
            .collect();
        assert_eq!(handles.len(), 300);

        // One changed, one added, one removed, applied warm, several times in a row.
        let mut wanted = base.clone();
        wanted[10] = rules(50, 7)[10].clone();
        wanted.insert(20, rules(400, 0)[355].clone());
        wanted.remove(40);
        let c1 = change(wanted.clone());
        let r = fw.apply(&c1).unwrap();
        assert_eq!(
            (r.plan.stats().deleted, r.plan.stats().inserted),
            (2, 2),
            "{:?}",
            r.plan.stats()
        );
        assert_eq!(kernel_rules(&mut fw), wanted);
        assert!(
            !fw.apply(&c1).unwrap().committed,
            "warm no-op sends nothing"
        );
        assert_eq!(fw.apply(&c0).unwrap().plan.stats().inserted, 2);
        assert_eq!(kernel_rules(&mut fw), base);

        // Replace every rule: one flush of the chain, then the new rules; the kept state
        // follows (a warm change right after lands where it should).
        let other = rules(300, 5000);
        let r = fw.apply(&change(other.clone())).unwrap();
        assert_eq!(r.plan.stats().kept, 0);
        assert_eq!(kernel_rules(&mut fw), other);
        let mut edited = other.clone();
        edited.remove(150);
        assert_eq!(
            fw.apply(&change(edited.clone()))
                .unwrap()
                .plan
                .stats()
                .deleted,
            1
        );
        assert_eq!(kernel_rules(&mut fw), edited);
        fw.apply(&c0).unwrap();
        assert_eq!(kernel_rules(&mut fw), base);

        // Someone else edits the chain: the generation moves, the kept state is not used.
        run_cmd("iptables", &["-w", "-D", "DFWCACHE", "5"]).unwrap();
        run_cmd("iptables", &["-w", "-I", "DFWCACHE", "1", "-j", "DROP"]).unwrap();
        let r = fw.apply(&c0).unwrap();
        assert!(r.committed);
        assert_eq!(kernel_rules(&mut fw), base);
        assert!(!fw.apply(&c0).unwrap().committed);
    });
}
