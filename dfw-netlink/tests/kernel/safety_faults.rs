//! A batch the kernel rejects anywhere leaves the ruleset byte for byte as before (private
//! network namespace holding Docker 29's rules, both families, and a few chains of our own):
//! the bad message first, in the middle and last of the batch (a jump to a missing chain, a
//! jump that makes a loop, deleting a chain another rule still jumps to), IPv4 and IPv6 in
//! one batch. The error names the message (family, table, chain, position) and the errno,
//! on one line; iptables-save, ip6tables-save and `nft list ruleset` are unchanged.

use dfw_core::model::{ChainName, Family, Rule, TableName};
use dfw_core::syntax::parse_rule;
use dfw_netlink::firewall::{ChainTarget, ChangeSet, Firewall, FirewallError, StepKind};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

use crate::support::load_docker_29_here;

fn rule(family: Family, spec: &str) -> Rule {
    parse_rule(family, spec).unwrap()
}

fn target(family: Family, chain: &str, rules: &[&str]) -> ChainTarget {
    ChainTarget {
        family,
        table: TableName::Filter,
        chain: ChainName::new(chain).unwrap(),
        create: false,
        policy: None,
        rules: rules.iter().map(|s| rule(family, s).into()).collect(),
    }
}

fn dump() -> String {
    let strip = |t: String| -> String {
        t.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect()
    };
    format!(
        "{}{}{}",
        strip(run_cmd("iptables-save", &["-c"]).unwrap()),
        strip(run_cmd("ip6tables-save", &["-c"]).unwrap()),
        run_cmd("nft", &["-a", "list", "ruleset"]).unwrap()
    )
}

/// Docker 29's rules and a few chains of our own (a loop-ready pair, one chain in use).
fn setup() {
    load_docker_29_here();
    for tool in ["iptables", "ip6tables"] {
        for c in ["T1", "T2", "T3", "LOOPA", "LOOPB", "USED"] {
            run_cmd(tool, &["-N", c]).unwrap();
        }
        // Reachable from a base chain: the kernel checks loops from there.
        run_cmd(tool, &["-A", "INPUT", "-j", "LOOPA"]).unwrap();
        run_cmd(tool, &["-A", "LOOPA", "-j", "LOOPB"]).unwrap();
        run_cmd(tool, &["-A", "T3", "-j", "USED"]).unwrap();
    }
}

/// Applies `change`, expects a rejection at `chain` / `kind` with `errno`, and an unchanged
/// kernel.
fn rejected(
    fw: &mut Firewall<impl dfw_netlink::transport::Transport>,
    change: &ChangeSet,
    family: Family,
    chain: &str,
    kind: StepKind,
    errno: i32,
) {
    let before = dump();
    match fw.apply(change) {
        Err(e @ FirewallError::Rejected { .. }) => {
            let text = e.to_string();
            assert_eq!(text.lines().count(), 1, "{text}");
            let FirewallError::Rejected {
                step, errno: got, ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(step.family, family, "{text}");
            assert_eq!(step.chain.as_deref(), Some(chain), "{text}");
            assert_eq!(step.kind, kind, "{text}");
            assert_eq!(got, errno, "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(dump(), before, "a rejected batch changed the kernel");
}

#[test]
fn kernel_rejected_batch_first_middle_last_changes_nothing() {
    kernel_test(
        "kernel_rejected_batch_first_middle_last_changes_nothing",
        || {
            setup();
            let mut fw = Firewall::open().unwrap();
            let v4 = Family::Ipv4;
            let v6 = Family::Ipv6;
            let good = |f, c| target(f, c, &[" -s 192.0.2.1/32 -j ACCEPT"]);
            let good6 = |c| target(v6, c, &[" -s 2001:db8::1/128 -j ACCEPT"]);
            // First message: a jump to a chain that does not exist; then good rules, both
            // families.
            let first = ChangeSet {
                chains: vec![
                    target(v4, "T1", &[" -j NOSUCH"]),
                    good(v4, "T2"),
                    good6("T1"),
                    good6("T2"),
                ],
                delete_chains: vec![],
            };
            rejected(
                &mut fw,
                &first,
                v4,
                "T1",
                StepKind::InsertRule { position: 1 },
                libc::ENOENT,
            );
            // Middle: a jump that closes a loop (LOOPA -> LOOPB -> LOOPA), good rules around it.
            let middle = ChangeSet {
                chains: vec![
                    good(v4, "T1"),
                    target(v4, "LOOPB", &[" -j LOOPA"]),
                    good(v4, "T2"),
                    good6("T1"),
                ],
                delete_chains: vec![],
            };
            let before = dump();
            match fw.apply(&middle) {
                Err(FirewallError::Rejected { step, errno, .. }) => {
                    assert_eq!(step.chain.as_deref(), Some("LOOPB"));
                    // The kernel's jump-depth check reports the loop as EMLINK (ELOOP elsewhere).
                    assert!(
                        [libc::ELOOP, libc::EMLINK].contains(&errno),
                        "{step}: {errno}"
                    );
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(dump(), before);
            // Last: deleting a chain T3 still jumps to (IPv6), after good insertions.
            let last = ChangeSet {
                chains: vec![good(v4, "T1"), good6("T2")],
                delete_chains: vec![(v6, TableName::Filter, ChainName::new("USED").unwrap())],
            };
            let before = dump();
            match fw.apply(&last) {
                Err(e @ FirewallError::Rejected { .. }) => {
                    let FirewallError::Rejected { step, errno, .. } = &e else {
                        unreachable!()
                    };
                    assert_eq!(step.family, v6, "{e}");
                    assert_eq!(step.chain.as_deref(), Some("USED"), "{e}");
                    assert_eq!(*errno, libc::EBUSY, "{e}");
                    assert!(e.to_string().contains("chain in use"), "{e}");
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(dump(), before);
            // Last insertion of the batch (IPv6 after IPv4).
            let last_rule = ChangeSet {
                chains: vec![
                    good(v4, "T1"),
                    good(v4, "T2"),
                    target(v6, "T2", &[" -j NOSUCH6"]),
                ],
                delete_chains: vec![],
            };
            rejected(
                &mut fw,
                &last_rule,
                v6,
                "T2",
                StepKind::InsertRule { position: 1 },
                libc::ENOENT,
            );
            // And the same changes without the bad message go through.
            let fine = ChangeSet {
                chains: vec![good(v4, "T1"), good(v4, "T2"), good6("T1")],
                delete_chains: vec![],
            };
            assert!(fw.apply(&fine).unwrap().committed);
        },
    );
}
