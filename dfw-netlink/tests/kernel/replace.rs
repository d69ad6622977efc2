//! In-place replacement against the kernel (private network namespace, gated by
//! `kernel_test`): a changed rule is sent as one NEWRULE with `NLM_F_REPLACE`; the rule keeps
//! its place and its handle, iptables-save shows it there and `iptables -C` finds it, and
//! the handle's kept state stays exact (a fresh read agrees, later warm changes converge).

use dfw_core::model::{ChainName, Family, Rule, TableName};
use dfw_core::syntax::parse_rule;
use dfw_netlink::firewall::{ChainTarget, ChangeSet, Firewall, Place, RuleOp};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::NetlinkTransport;

const CHAIN: &str = "DFWREPL";

fn spec(i: usize, port: usize) -> String {
    format!(
        " -s 198.51.100.{i}/32 -p tcp -m tcp --dport {port} -m conntrack --ctstate NEW -j ACCEPT"
    )
}

fn rules(n: usize) -> Vec<Rule> {
    (0..n)
        .map(|i| parse_rule(Family::Ipv4, &spec(i, 1000 + i)).unwrap())
        .collect()
}

fn change(rules: Vec<Rule>) -> ChangeSet {
    ChangeSet {
        chains: vec![ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: ChainName::new(CHAIN).unwrap(),
            create: true,
            policy: None,
            rules: rules.into_iter().map(Into::into).collect(),
        }],
        delete_chains: Vec::new(),
    }
}

fn kernel(fw: &mut Firewall<NetlinkTransport>) -> Vec<(u64, Rule)> {
    fw.read_chains(Family::Ipv4, TableName::Filter, &[CHAIN])
        .unwrap()
        .into_iter()
        .flat_map(|c| c.rules)
        .map(|r| (r.handle, r.comparable().expect("expressible")))
        .collect()
}

#[test]
fn kernel_changed_rule_is_replaced_in_place_keeping_its_handle() {
    kernel_test("kernel_replace_in_place", || {
        let mut fw = Firewall::open().unwrap();
        let base = rules(5);
        fw.apply(&change(base.clone())).unwrap();
        let before = kernel(&mut fw);

        let mut wanted = base.clone();
        let new_spec = spec(2, 4242);
        wanted[2] = parse_rule(Family::Ipv4, &new_spec).unwrap();
        let r = fw.apply(&change(wanted.clone())).unwrap();
        let ops = &r.plan.chains[0].ops;
        assert!(
            matches!(ops.as_slice(), [RuleOp::Insert { position: 3, place: Place::Replace(h), .. }] if *h == before[2].0),
            "{ops:?}"
        );
        let s = r.plan.stats();
        assert_eq!((s.kept, s.deleted, s.inserted), (4, 1, 1));
        assert!(
            r.kernel_time > std::time::Duration::ZERO,
            "the batch was timed"
        );

        // Same handles, the new rule in place.
        let after = kernel(&mut fw);
        let handles: Vec<u64> = after.iter().map(|(h, _)| *h).collect();
        let old_handles: Vec<u64> = before.iter().map(|(h, _)| *h).collect();
        assert_eq!(handles, old_handles);
        assert_eq!(
            after.into_iter().map(|(_, r)| r).collect::<Vec<_>>(),
            wanted
        );
        let save = run_cmd("iptables-save", &["-t", "filter"]).unwrap();
        let lines: Vec<&str> = save
            .lines()
            .filter(|l| l.starts_with(&format!("-A {CHAIN} ")))
            .collect();
        assert_eq!(lines[2], format!("-A {CHAIN}{new_spec}"));
        let mut check = vec!["-C", CHAIN];
        check.extend(new_spec.split_whitespace());
        run_cmd("iptables", &check).expect("iptables -C finds the replaced rule");

        // The kept state is exact: warm changes around the replaced rule converge, and
        // a fresh handle finds nothing to do.
        wanted.insert(3, parse_rule(Family::Ipv4, &spec(9, 9)).unwrap());
        wanted[0] = parse_rule(Family::Ipv4, &spec(0, 7)).unwrap();
        let r = fw.apply(&change(wanted.clone())).unwrap();
        assert!(r.committed);
        assert!(fw.has_cached_state(&change(wanted.clone())));
        assert_eq!(
            kernel(&mut fw)
                .into_iter()
                .map(|(_, r)| r)
                .collect::<Vec<_>>(),
            wanted
        );
        let mut fresh = Firewall::open().unwrap();
        assert!(fresh.plan(&change(wanted.clone())).unwrap().is_empty());
        // A warm no-op plans against the kept state and sends nothing.
        let r = fw.apply(&change(wanted)).unwrap();
        assert!(!r.committed);
        assert_eq!(r.kernel_time, std::time::Duration::ZERO);
    });
}
