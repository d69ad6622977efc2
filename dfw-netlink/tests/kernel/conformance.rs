//! Conformance against the real iptables-nft 1.8.9 (each test in its own private network
//! namespace; `kernel_test` makes them fail rather than skip under `DFW_REQUIRE_KERNEL=1`).
//!
//! 1. Every file of `testdata/` (`testdata/conformance/*`, `testdata/docker/*`) written by dfw's
//!    library restore: `iptables-save` prints exactly the file; `iptables -C` finds every
//!    rule; `iptables -D` deletes every rule.
//! 2. The same files loaded by `iptables-restore`: dfw's save prints exactly what
//!    `iptables-save` prints (and the file).
//! 3. A batch whose last rule jumps to a missing chain leaves the ruleset exactly as before
//!    (`iptables-save` and `nft list ruleset` compared).
//! 4. dfw's writes next to Docker's rules (loaded by `iptables-restore`) change no byte of
//!    those rules (nft listing with handles compared) and keep `FORWARD DROP`.

use crate::support::oracle;

use dfw_core::model::{ChainName, Family, Rule, TableName};
use dfw_core::syntax::{parse_rule, RestoreScript};
use dfw_netlink::firewall::{
    ChainTarget, ChangeSet, Firewall, FirewallError, RestoreOptions, StepKind,
};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

use oracle::*;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn kernel_conformance_dfw_writes_iptables_reads_checks_and_deletes() {
    for (path, family) in files() {
        kernel_test(&format!("conformance write {path}"), || {
            let text = read(&path);
            let script = RestoreScript::parse(family, &text).unwrap();
            let mut fw = Firewall::open().unwrap();
            let report = fw.restore(&script, RestoreOptions::default()).unwrap();
            assert!(report.committed, "{path}");
            assert_eq!(oracle_save(family), text, "{path}: iptables-save");
            let rules = rule_lines(&text);
            for (table, args) in &rules {
                iptables_ok(family, table, "-C", args)
                    .unwrap_or_else(|e| panic!("{path}: -C {args:?}: {e}"));
            }
            for (table, args) in &rules {
                iptables_ok(family, table, "-D", args)
                    .unwrap_or_else(|e| panic!("{path}: -D {args:?}: {e}"));
            }
            let left = oracle_save(family);
            assert!(!left.contains("\n-A "), "{path}: rules left:\n{left}");
            // Restoring again over the emptied tables gives the file back.
            fw.restore(&script, RestoreOptions::default()).unwrap();
            assert_eq!(oracle_save(family), text, "{path}: second restore");
        });
    }
}

#[test]
fn kernel_conformance_iptables_writes_dfw_reads() {
    for (path, family) in files() {
        kernel_test(&format!("conformance read {path}"), || {
            let text = read(&path);
            run_cmd(&format!("{}-restore", tool(family)), &[path.as_str()]).unwrap();
            let mut fw = Firewall::open().unwrap();
            let saved = fw.save(family, &[], false).unwrap();
            assert_eq!(
                saved,
                oracle_save(family),
                "{path}: dfw save vs iptables-save"
            );
            assert_eq!(saved, text, "{path}: dfw save vs the file");
            let one = fw.save(family, &[TableName::Filter], false).unwrap();
            assert_eq!(
                one,
                strip_comments(
                    &run_cmd(&format!("{}-save", tool(family)), &["-t", "filter"]).unwrap()
                ),
                "{path}: -t filter"
            );
            // A restore of what is already there sends nothing.
            let script = RestoreScript::parse(family, &text).unwrap();
            let r = fw.restore(&script, RestoreOptions::default()).unwrap();
            assert!(
                !r.committed,
                "{path}: no-op restore sent a batch: {:?}",
                r.plan
            );
        });
    }
}

fn rule(spec: &str) -> Rule {
    parse_rule(Family::Ipv4, spec).unwrap()
}

#[test]
fn kernel_conformance_invalid_last_rule_leaves_ruleset_unchanged() {
    kernel_test("kernel_conformance_invalid_last_rule", || {
        let conf = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../testdata/conformance/rules.v4"
        );
        run_cmd("iptables-restore", &[conf]).unwrap();
        let before = (
            oracle_save(Family::Ipv4),
            run_cmd("nft", &["list", "ruleset"]).unwrap(),
        );
        let mut fw = Firewall::open().unwrap();
        let target = |chain: &str, rules: Vec<Rule>| ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: ChainName::new(chain).unwrap(),
            create: true,
            policy: None,
            rules: rules.into_iter().map(Into::into).collect(),
        };
        let change = ChangeSet {
            chains: vec![
                target("NEW-CHAIN", vec![rule(" -j RETURN")]),
                target("INPUT", vec![rule(" -i lo -j ACCEPT")]),
                target(
                    "FILTERS",
                    vec![rule(" -s 192.0.2.1/32 -j DROP"), rule(" -j MISSING-CHAIN")],
                ),
            ],
            delete_chains: vec![(
                Family::Ipv4,
                TableName::Filter,
                ChainName::new("WHITELIST-IP").unwrap(),
            )],
        };
        match fw.apply(&change) {
            Err(FirewallError::Rejected { step, .. }) => {
                assert_eq!(step.chain.as_deref(), Some("FILTERS"));
                assert_eq!(step.kind, StepKind::InsertRule { position: 2 });
                let text = FirewallError::Rejected {
                    step,
                    errno: libc::ENOENT,
                    reason: None,
                    others: 0,
                }
                .to_string();
                assert!(text.contains("ip filter FILTERS rule 2") && text.contains("ENOENT"));
            }
            other => panic!("{other:?}"),
        }
        let after = (
            oracle_save(Family::Ipv4),
            run_cmd("nft", &["list", "ruleset"]).unwrap(),
        );
        assert_eq!(before, after);
    });
}

/// `nft -a list table` of every Docker table, minus the chains dfw was allowed to touch.
fn docker_listing(family: Family, skip: &[&str]) -> String {
    let fam = family.nft_name();
    let mut out = String::new();
    for t in ["raw", "filter", "nat"] {
        let Ok(text) = run_cmd("nft", &["-a", "list", "table", fam, t]) else {
            continue;
        };
        let mut keep = true;
        for l in text.lines() {
            let trimmed = l.trim_start();
            if let Some(name) = trimmed.strip_prefix("chain ") {
                let name = name.split_whitespace().next().unwrap_or("");
                keep = !skip.contains(&name);
            }
            if keep && !trimmed.starts_with("table ") {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn kernel_conformance_dfw_never_touches_docker_rules() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/docker");
    for (name, family) in [
        ("docker-27.v4", Family::Ipv4),
        ("docker-29.v4", Family::Ipv4),
        ("docker-29.v6", Family::Ipv6),
    ] {
        kernel_test(&format!("docker {name}"), || {
            let path = format!("{root}/{name}");
            run_cmd(&format!("{}-restore", tool(family)), &[path.as_str()]).unwrap();
            let before = docker_listing(family, &["DOCKER-USER", "INPUT", "DFW-IN"]);
            let net = match family {
                Family::Ipv4 => "192.0.2.0/24",
                Family::Ipv6 => "2001:db8::/32",
            };
            // 1. An iptables-restore --noflush of DOCKER-USER (the way users feed it).
            let script = format!(
                "*filter\n:DOCKER-USER - [0:0]\n-A DOCKER-USER -s {net} -j DROP\n\
                 -A DOCKER-USER -j RETURN\nCOMMIT\n"
            );
            let script = RestoreScript::parse(family, &script).unwrap();
            let mut fw = Firewall::open().unwrap();
            let noflush = RestoreOptions {
                noflush: true,
                ..RestoreOptions::default()
            };
            fw.restore(&script, noflush).unwrap();
            // 2. A change set: a new chain jumped to from INPUT (no policy given).
            let spec = |s: &str| parse_rule(family, s).unwrap();
            let change = ChangeSet {
                chains: vec![
                    ChainTarget {
                        family,
                        table: TableName::Filter,
                        chain: ChainName::new("DFW-IN").unwrap(),
                        create: true,
                        policy: None,
                        rules: vec![spec(&format!(" -s {net} -j ACCEPT")).into()],
                    },
                    ChainTarget {
                        family,
                        table: TableName::Filter,
                        chain: ChainName::new("INPUT").unwrap(),
                        create: true,
                        policy: None,
                        rules: vec![spec(" -j DFW-IN").into()],
                    },
                ],
                delete_chains: vec![],
            };
            fw.apply(&change).unwrap();
            assert_eq!(
                docker_listing(family, &["DOCKER-USER", "INPUT", "DFW-IN"]),
                before,
                "{name}: Docker's chains changed"
            );
            let saved = oracle_save(family);
            assert!(saved.contains(":FORWARD DROP [0:0]\n"), "{name}:\n{saved}");
            assert!(saved.contains(&format!("-A DOCKER-USER -s {net} -j DROP\n")));
            assert!(saved.contains("-A INPUT -j DFW-IN\n"));
            // Everything of the fixture outside the touched chains is still there.
            let fixture = read(&path);
            for l in fixture.lines().filter(|l| {
                l.starts_with("-A ")
                    && !l.starts_with("-A DOCKER-USER ")
                    && !l.starts_with("-A INPUT ")
            }) {
                assert!(saved.contains(&format!("{l}\n")), "{name}: lost {l}");
            }
        });
    }
}
