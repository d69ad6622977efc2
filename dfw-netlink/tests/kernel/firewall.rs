//! The firewall against the kernel (each test in its own private network namespace, gated
//! by `kernel_test`): apply creates tables and chains as iptables-nft does, keeps handles of
//! unchanged rules, places inserted rules exactly, never flips an existing policy, and maps
//! a rejection back to the rule that caused it.

use dfw_core::model::{ChainName, Family, Policy, Rule, TableName};
use dfw_core::syntax::parse_rule;
use dfw_netlink::firewall::{ChainTarget, ChangeSet, Firewall, FirewallError, StepKind};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::Transport;

fn rule(spec: &str) -> Rule {
    parse_rule(Family::Ipv4, spec).unwrap()
}

fn target(chain: &str, create: bool, policy: Option<Policy>, rules: &[&str]) -> ChainTarget {
    ChainTarget {
        family: Family::Ipv4,
        table: TableName::Filter,
        chain: ChainName::new(chain).unwrap(),
        create,
        policy,
        rules: rules.iter().map(|s| rule(s).into()).collect(),
    }
}

fn save() -> String {
    run_cmd("iptables-save", &[])
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn kernel_apply_creates_edits_and_keeps_handles() {
    kernel_test("kernel_apply_creates_edits_and_keeps_handles", || {
        let mut fw = Firewall::open().unwrap();
        let change = ChangeSet {
            chains: vec![
                target(
                    "DFW",
                    true,
                    None,
                    &[" -s 192.0.2.1/32 -j ACCEPT", " -j RETURN"],
                ),
                target(
                    "INPUT",
                    true,
                    Some(Policy::Drop),
                    &[" -i lo -j ACCEPT", " -j DFW"],
                ),
            ],
            delete_chains: vec![],
        };
        let r = fw.apply(&change).unwrap();
        assert!(r.committed);
        assert_eq!(
            save(),
            "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:DFW - [0:0]\n\
             -A INPUT -i lo -j ACCEPT\n-A INPUT -j DFW\n\
             -A DFW -s 192.0.2.1/32 -j ACCEPT\n-A DFW -j RETURN\nCOMMIT\n"
        );
        let before = fw
            .read_chains(Family::Ipv4, TableName::Filter, &["DFW"])
            .unwrap();
        let keep = before[0].rules[1].handle;
        // Insert at the head, in the middle and at the end; delete the first rule.
        let change = ChangeSet {
            chains: vec![target(
                "DFW",
                false,
                None,
                &[
                    " -s 192.0.2.7/32 -j DROP",
                    " -s 192.0.2.8/32 -j DROP",
                    " -j RETURN",
                    " -s 192.0.2.9/32 -j DROP",
                    " -s 192.0.2.10/32 -j DROP",
                ],
            )],
            delete_chains: vec![],
        };
        let plan = fw.plan(&change).unwrap();
        assert_eq!(
            (
                plan.stats().kept,
                plan.stats().deleted,
                plan.stats().inserted
            ),
            (1, 1, 4)
        );
        fw.apply(&change).unwrap();
        let after = fw
            .read_chains(Family::Ipv4, TableName::Filter, &["DFW"])
            .unwrap();
        assert_eq!(
            after[0].rules[2].handle, keep,
            "the kept rule keeps its handle"
        );
        assert!(save().contains(
            "-A DFW -s 192.0.2.7/32 -j DROP\n-A DFW -s 192.0.2.8/32 -j DROP\n-A DFW -j RETURN\n\
             -A DFW -s 192.0.2.9/32 -j DROP\n-A DFW -s 192.0.2.10/32 -j DROP\n"
        ));
        // Nothing to do: no batch.
        assert!(!fw.apply(&change).unwrap().committed);
        // Delete the chain (and the jump to it).
        let change = ChangeSet {
            chains: vec![target("INPUT", false, None, &[" -i lo -j ACCEPT"])],
            delete_chains: vec![(
                Family::Ipv4,
                TableName::Filter,
                ChainName::new("DFW").unwrap(),
            )],
        };
        fw.apply(&change).unwrap();
        assert_eq!(
            save(),
            "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n\
             -A INPUT -i lo -j ACCEPT\nCOMMIT\n"
        );
    });
}

#[test]
fn kernel_existing_policy_is_never_flipped() {
    kernel_test("kernel_existing_policy_is_never_flipped", || {
        run_cmd("iptables", &["-P", "FORWARD", "DROP"]).unwrap();
        let mut fw = Firewall::open().unwrap();
        let change = ChangeSet {
            chains: vec![target("FORWARD", true, None, &[" -j ACCEPT"])],
            delete_chains: vec![],
        };
        fw.apply(&change).unwrap();
        assert!(save().contains(":FORWARD DROP [0:0]\n"), "{}", save());
    });
}

#[test]
fn kernel_rejection_names_the_rule_and_commits_nothing() {
    kernel_test(
        "kernel_rejection_names_the_rule_and_commits_nothing",
        || {
            let mut fw = Firewall::open().unwrap();
            fw.apply(&ChangeSet {
                chains: vec![target("INPUT", true, None, &[" -j ACCEPT"])],
                delete_chains: vec![],
            })
            .unwrap();
            let before = save();
            let change = ChangeSet {
                chains: vec![target(
                    "INPUT",
                    true,
                    None,
                    &[" -j ACCEPT", " -j DROP", " -j NOSUCH"],
                )],
                delete_chains: vec![],
            };
            match fw.apply(&change) {
                Err(FirewallError::Rejected { step, errno, .. }) => {
                    assert_eq!(errno, libc::ENOENT);
                    assert_eq!(step.chain.as_deref(), Some("INPUT"));
                    assert_eq!(step.kind, StepKind::InsertRule { position: 3 });
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(save(), before);
        },
    );
}

#[test]
fn kernel_both_families_in_one_atomic_batch() {
    kernel_test("kernel_both_families_in_one_atomic_batch", || {
        let mut fw = Firewall::open().unwrap();
        let v6 = |chain: &str, spec: &str| ChainTarget {
            family: Family::Ipv6,
            table: TableName::Filter,
            chain: ChainName::new(chain).unwrap(),
            create: true,
            policy: None,
            rules: vec![parse_rule(Family::Ipv6, spec).unwrap().into()],
        };
        // The ip6 part fails: nothing of the ip part may be committed either.
        let bad = ChangeSet {
            chains: vec![
                target("INPUT", true, None, &[" -s 192.0.2.1/32 -j DROP"]),
                v6("INPUT", " -j NOSUCH6"),
            ],
            delete_chains: vec![],
        };
        match fw.apply(&bad) {
            Err(FirewallError::Rejected { step, .. }) => assert_eq!(step.family, Family::Ipv6),
            other => panic!("{other:?}"),
        }
        assert_eq!(save(), "");
        let good = ChangeSet {
            chains: vec![
                target("INPUT", true, None, &[" -s 192.0.2.1/32 -j DROP"]),
                v6("INPUT", " -s 2001:db8::1/128 -j DROP"),
            ],
            delete_chains: vec![],
        };
        let gen = fw.transport().generation().unwrap();
        let r = fw.apply(&good).unwrap();
        assert_eq!(r.generation, gen + 1, "one batch, one generation");
        assert!(save().contains("-A INPUT -s 192.0.2.1/32 -j DROP\n"));
        let six = run_cmd("ip6tables-save", &[]).unwrap();
        assert!(
            six.contains("-A INPUT -s 2001:db8::1/128 -j DROP\n"),
            "{six}"
        );
    });
}

#[test]
fn kernel_opaque_rules_are_kept_marked_and_never_rewritten_silently() {
    kernel_test("kernel_opaque_rules", || {
        use dfw_core::syntax::RestoreScript;
        use dfw_netlink::firewall::{RestoreOptions, OPAQUE_MARK};
        run_cmd("iptables", &["-N", "X"]).unwrap();
        run_cmd("iptables", &["-A", "X", "-s", "192.0.2.1", "-j", "DROP"]).unwrap();
        // A native rule iptables-nft cannot express (meta skuid).
        run_cmd(
            "nft",
            &[
                "add", "rule", "ip", "filter", "X", "meta", "skuid", "0", "counter", "accept",
            ],
        )
        .unwrap();
        run_cmd("iptables", &["-A", "X", "-j", "RETURN"]).unwrap();
        let mut fw = Firewall::open().unwrap();
        let chains = fw
            .read_chains(Family::Ipv4, TableName::Filter, &["X"])
            .unwrap();
        let opaque: Vec<bool> = chains[0].rules.iter().map(|r| r.is_opaque()).collect();
        assert_eq!(opaque, [false, true, false]);
        let text = fw.save(Family::Ipv4, &[TableName::Filter], false).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("-A X") || l.starts_with('#'))
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert_eq!(lines[0], "-A X -s 192.0.2.1/32 -j DROP");
        assert!(
            lines[1].starts_with(&format!("{OPAQUE_MARK} -A X handle ")),
            "{text}"
        );
        assert_eq!(lines[2], "-A X -j RETURN");
        let noflush = RestoreOptions {
            noflush: true,
            ..RestoreOptions::default()
        };
        // Appending to the chain keeps the opaque rule exactly as it is (same handle, never
        // re-encoded): the new rule is placed after the last one.
        let append =
            RestoreScript::parse(Family::Ipv4, "*filter\n-A X -j ACCEPT\nCOMMIT\n").unwrap();
        fw.restore(&append, noflush)
            .expect("restore -n next to an opaque rule");
        let appended = fw.save(Family::Ipv4, &[TableName::Filter], false).unwrap();
        assert_eq!(
            appended,
            text.replace("-A X -j RETURN\n", "-A X -j RETURN\n-A X -j ACCEPT\n")
        );
        let again = fw
            .read_chains(Family::Ipv4, TableName::Filter, &["X"])
            .unwrap();
        assert_eq!(again[0].rules[1].handle, chains[0].rules[1].handle);
        // A chain the script replaces wholesale may be rewritten.
        let replace = RestoreScript::parse(
            Family::Ipv4,
            "*filter\n:X - [0:0]\n-A X -j ACCEPT\nCOMMIT\n",
        )
        .unwrap();
        fw.restore(&replace, noflush).unwrap();
        let after = fw.save(Family::Ipv4, &[TableName::Filter], false).unwrap();
        assert!(
            !after.contains(OPAQUE_MARK) && after.contains("-A X -j ACCEPT\n"),
            "{after}"
        );
    });
}

/// The kernel transport, with another writer (iptables) changing the ruleset right before the
/// first batch goes out.
struct Racing {
    inner: dfw_netlink::transport::NetlinkTransport,
    raced: bool,
}

impl Transport for Racing {
    fn generation(&mut self) -> Result<u32, dfw_netlink::transport::TransportError> {
        self.inner.generation()
    }
    fn dump(&mut self, r: &[u8]) -> Result<Vec<Vec<u8>>, dfw_netlink::transport::TransportError> {
        self.inner.dump(r)
    }
    fn send_batch(
        &mut self,
        b: &[u8],
    ) -> Result<dfw_netlink::transport::BatchOutcome, dfw_netlink::transport::TransportError> {
        if !self.raced {
            self.raced = true;
            run_cmd(
                "iptables",
                &["-A", "OUTPUT", "-d", "198.51.100.1", "-j", "DROP"],
            )
            .unwrap();
        }
        self.inner.send_batch(b)
    }
}

#[test]
fn kernel_generation_race_is_replanned_and_retried() {
    kernel_test("kernel_generation_race_is_replanned_and_retried", || {
        run_cmd("iptables", &["-A", "INPUT", "-j", "ACCEPT"]).unwrap();
        let t = Racing {
            inner: dfw_netlink::transport::NetlinkTransport::open().unwrap(),
            raced: false,
        };
        let mut fw = Firewall::new(t);
        let r = fw
            .apply(&ChangeSet {
                chains: vec![target(
                    "INPUT",
                    true,
                    None,
                    &[" -j ACCEPT", " -i lo -j ACCEPT"],
                )],
                delete_chains: vec![],
            })
            .unwrap();
        assert_eq!(r.attempts, 2, "ERESTART, then re-read and re-planned");
        let s = save();
        assert!(
            s.contains("-A INPUT -j ACCEPT\n-A INPUT -i lo -j ACCEPT\n"),
            "{s}"
        );
        assert!(s.contains("-A OUTPUT -d 198.51.100.1/32 -j DROP\n"), "{s}");
    });
}
