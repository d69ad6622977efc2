//! Unit tests of the lockout guard: fake `SSH_CONNECTION`s against compiled policies.

use dfw_core::model::{Family, Iface, TableName};
use dfw_core::policy::Policy;

use super::lockout::{
    check_lockout, check_lockout_change, check_lockout_change_with_sets, desired_filter,
    iface_names, SshConnection,
};
use crate::firewall::{ChainTarget, ChangeSet, KernelTable};

const NO_SSH: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
default = "reject"
host = true
[[allow]]
ports = ["80/tcp"]
"#;

const WITH_SSH: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
default = "reject"
host = true
[[allow]]
ports = ["80/tcp", "22/tcp"]
"#;

fn rules(policy: &str, family: Family) -> dfw_core::model::Ruleset {
    let p = Policy::from_toml(policy, "t.toml").unwrap();
    let c = p.compile(&[Iface::parse("eth0").unwrap()]);
    c.family(family).to_ruleset().unwrap()
}

fn eth0() -> Vec<Iface> {
    vec![Iface::parse("eth0").unwrap()]
}

#[test]
fn ssh_connection_parse() {
    let c = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    assert_eq!(c.family(), Family::Ipv4);
    assert_eq!(c.server_port, 22);
    let c = SshConnection::parse("2001:db8::9 50022 2001:db8::10 2222").unwrap();
    assert_eq!(c.family(), Family::Ipv6);
    let c = SshConnection::parse("::ffff:198.51.100.9 1 ::ffff:192.0.2.10 22").unwrap();
    assert_eq!(c.family(), Family::Ipv4);
    for bad in [
        "",
        "198.51.100.9 50022 192.0.2.10",
        "198.51.100.9 x 192.0.2.10 22",
        "198.51.100.9 1 192.0.2.10 70000",
        "198.51.100.9 1 2001:db8::10 22",
        "junk junk junk junk",
    ] {
        assert_eq!(SshConnection::parse(bad), None, "{bad}");
    }
}

#[test]
fn lockout_host_policy_without_ssh_is_refused_naming_the_reject_rule() {
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    let rs = rules(NO_SSH, Family::Ipv4);
    let l = check_lockout(&rs, &ssh, &eth0()).unwrap_err();
    assert_eq!(l.iface, "eth0");
    let text = l.to_string();
    assert!(text.contains("REJECT"), "{text}");
    assert!(text.contains("filter DFW-INPUT-EXT #"), "{text}");
    assert!(text.contains("(-A DFW-INPUT-EXT"), "{text}");
    assert!(
        text.contains("198.51.100.9:50022 -> 192.0.2.10:22/tcp"),
        "{text}"
    );
    assert!(text.contains("--force"), "{text}");
    // IPv6 too.
    let ssh6 = SshConnection::parse("2001:db8::9 50022 2001:db8::10 22").unwrap();
    let rs6 = rules(NO_SSH, Family::Ipv6);
    assert!(check_lockout(&rs6, &ssh6, &eth0()).is_err());
}

#[test]
fn lockout_host_policy_with_ssh_is_accepted() {
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    check_lockout(&rules(WITH_SSH, Family::Ipv4), &ssh, &eth0()).unwrap();
    let ssh6 = SshConnection::parse("2001:db8::9 50022 2001:db8::10 22").unwrap();
    check_lockout(&rules(WITH_SSH, Family::Ipv6), &ssh6, &eth0()).unwrap();
    // The other family's rules do not concern this session.
    check_lockout(&rules(NO_SSH, Family::Ipv6), &ssh, &eth0()).unwrap();
    // Not on a port the policy lets through: refused again.
    let other = SshConnection::parse("198.51.100.9 50022 192.0.2.10 2222").unwrap();
    assert!(check_lockout(&rules(WITH_SSH, Family::Ipv4), &other, &eth0()).is_err());
}

#[test]
fn lockout_host_false_never_refuses() {
    let p = NO_SSH.replace("host = true", "host = false");
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    check_lockout(&rules(&p, Family::Ipv4), &ssh, &eth0()).unwrap();
}

#[test]
fn desired_filter_composes_kernel_and_changes() {
    // The kernel: an INPUT with policy DROP and nothing else; the change adds dfw's chains
    // and jumps of the SSH-less policy: the session is refused by the composed table.
    let compiled = rules(NO_SSH, Family::Ipv4);
    let filter = compiled.table(TableName::Filter).unwrap();
    let mut changes = ChangeSet::default();
    for c in filter.chains() {
        changes.chains.push(ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: c.name().clone(),
            create: true,
            policy: None,
            rules: c.rules.iter().cloned().map(Into::into).collect(),
        });
    }
    let kernel = KernelTable {
        family: Family::Ipv4,
        name: TableName::Filter,
        chains: Vec::new(),
    };
    let rs = desired_filter(&kernel, &changes).unwrap();
    let t = rs.table(TableName::Filter).unwrap();
    assert!(t.chain("DFW-INPUT-EXT").is_some());
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    assert!(check_lockout(&rs, &ssh, &eth0()).is_err());
    // Deleting dfw's chains (and emptying INPUT) lets it through again.
    let mut undo = ChangeSet::default();
    undo.chains.push(ChainTarget {
        family: Family::Ipv4,
        table: TableName::Filter,
        chain: dfw_core::model::ChainName::new("INPUT").unwrap(),
        create: false,
        policy: None,
        rules: Vec::new(),
    });
    for c in filter.chains().iter().filter(|c| !c.is_builtin()) {
        undo.delete_chains
            .push((Family::Ipv4, TableName::Filter, c.name().clone()));
    }
    let back = desired_filter(&kernel_of(&rs), &undo).unwrap();
    check_lockout(&back, &ssh, &eth0()).unwrap();
}

/// A kernel table holding a model table's chains (rules as decoded rules, no handles).
fn kernel_of(rs: &dfw_core::model::Ruleset) -> KernelTable {
    use crate::firewall::{BaseChain, Decoded, KernelChain, KernelRule};
    let t = rs.table(TableName::Filter).unwrap();
    KernelTable {
        family: rs.family(),
        name: TableName::Filter,
        chains: t
            .chains()
            .iter()
            .map(|c| KernelChain {
                name: c.name().as_str().into(),
                handle: 0,
                base: c.policy().map(|p| BaseChain {
                    hook: 1,
                    priority: 0,
                    chain_type: "filter".into(),
                    policy: Some(p),
                    counters: Default::default(),
                }),
                rules: c
                    .rules
                    .iter()
                    .map(|r| KernelRule {
                        handle: 0,
                        rule: Decoded::Rule(r.clone()),
                        counters: Default::default(),
                    })
                    .collect(),
                unread: None,
            })
            .collect(),
    }
}

/// A kernel `filter` table with an INPUT chain (policy ACCEPT) holding `rules`.
fn kernel_input(rules: Vec<crate::firewall::KernelRule>) -> KernelTable {
    use crate::firewall::{BaseChain, KernelChain};
    KernelTable {
        family: Family::Ipv4,
        name: TableName::Filter,
        chains: vec![KernelChain {
            name: "INPUT".into(),
            handle: 1,
            base: Some(BaseChain {
                hook: 1,
                priority: 0,
                chain_type: "filter".into(),
                policy: Some(dfw_core::model::Policy::Accept),
                counters: Default::default(),
            }),
            rules,
            unread: None,
        }],
    }
}

#[test]
fn a_neighbours_undecidable_rule_the_commit_does_not_change_is_no_lockout() {
    use crate::firewall::{KernelRule, Wanted};
    use crate::rule_codec::DecodedRule;
    // A neighbour's rule dfw cannot decode on top of INPUT (say `-m u32 ... -j DROP`): a new
    // SSH connection's fate is unknown now.
    let opaque = KernelRule {
        handle: 7,
        rule: DecodedRule::Opaque {
            reason: "xt match u32".into(),
            exprs: Vec::new(),
            compat: None,
        },
        counters: Default::default(),
    };
    let kernel = kernel_input(vec![opaque]);
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    let now = desired_filter(&kernel, &ChangeSet::default()).unwrap();
    let err = check_lockout(&now, &ssh, &eth0()).unwrap_err();
    assert!(
        err.to_string().contains("a rule dfw cannot decode"),
        "{err}"
    );
    // A commit that leaves INPUT as it is (host = false: no INPUT jump) keeps the same
    // unknown verdict, decided by the same rule: not the commit's doing.
    let compiled = rules(&NO_SSH.replace("host = true", "host = false"), Family::Ipv4);
    let mut changes = ChangeSet::default();
    for c in compiled.table(TableName::Filter).unwrap().chains() {
        if c.is_builtin() {
            continue;
        }
        changes.chains.push(ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: c.name().clone(),
            create: true,
            policy: None,
            rules: c.rules.iter().cloned().map(Into::into).collect(),
        });
    }
    let after = desired_filter(&kernel, &changes).unwrap();
    check_lockout_change(
        &now,
        &after,
        &Default::default(),
        &ssh,
        &iface_names(&eth0()),
    )
    .unwrap();
    // dfw's jump on top of INPUT moves the neighbour's rule to #2; SSH falls through dfw's
    // chain to it: the same rule (by its text and handle) still decides.
    let proxy = dfw_core::model::ChainName::new("DFW-PROXY").unwrap();
    let parse = |s: &str| dfw_core::syntax::parse_rule(Family::Ipv4, s).unwrap();
    let mut moved = ChangeSet::default();
    moved.chains.push(ChainTarget {
        family: Family::Ipv4,
        table: TableName::Filter,
        chain: proxy,
        create: true,
        policy: None,
        rules: vec![parse("-i eth0 -p tcp -m tcp --dport 8080 -j DROP").into()],
    });
    moved.chains.push(ChainTarget {
        family: Family::Ipv4,
        table: TableName::Filter,
        chain: dfw_core::model::ChainName::new("INPUT").unwrap(),
        create: false,
        policy: None,
        rules: vec![
            parse("-m comment --comment dfw -j DFW-PROXY").into(),
            Wanted::Kernel(7),
        ],
    });
    let after = desired_filter(&kernel, &moved).unwrap();
    check_lockout(&after, &ssh, &eth0()).unwrap_err();
    check_lockout_change(
        &now,
        &after,
        &Default::default(),
        &ssh,
        &iface_names(&eth0()),
    )
    .unwrap();
    // host = true without SSH: dfw's jump on top of INPUT, the opaque rule kept below it;
    // dfw's chain rejects SSH: a lockout the commit makes, whatever was there before.
    let compiled = rules(NO_SSH, Family::Ipv4);
    let mut changes = ChangeSet::default();
    for c in compiled.table(TableName::Filter).unwrap().chains() {
        let mut wanted: Vec<Wanted> = c.rules.iter().cloned().map(Into::into).collect();
        if c.name().as_str() == "INPUT" {
            wanted.push(Wanted::Kernel(7));
        }
        changes.chains.push(ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: c.name().clone(),
            create: !c.is_builtin(),
            policy: None,
            rules: wanted,
        });
    }
    let after = desired_filter(&kernel, &changes).unwrap();
    let input = after
        .table(TableName::Filter)
        .unwrap()
        .chain("INPUT")
        .unwrap();
    assert_eq!(
        input.rules.len(),
        2,
        "dfw's jump, then the kept opaque rule"
    );
    let err = check_lockout_change(
        &now,
        &after,
        &Default::default(),
        &ssh,
        &iface_names(&eth0()),
    )
    .unwrap_err();
    assert!(
        matches!(err.verdict, dfw_core::eval::Verdict::Reject(_)),
        "{err}"
    );
}

#[test]
fn lockout_change_sees_an_address_taken_out_of_a_set() {
    use dfw_core::eval::{HostSets, SetContents};
    use dfw_core::model::matches::SetName;
    use dfw_core::model::Network;
    let ssh = SshConnection::parse("198.51.100.9 50022 192.0.2.10 22").unwrap();
    // The same rules before and after: only the set's members change.
    let rules = dfw_core::syntax::parse_ruleset(
        Family::Ipv4,
        "*filter\n:INPUT DROP [0:0]\n\
         -A INPUT -m set --match-set dfw-whitelist4 src -j ACCEPT\nCOMMIT\n",
    )
    .unwrap();
    let with = |members: &[&str]| -> HostSets {
        let mut s = HostSets::new();
        s.insert(
            SetName::new("dfw-whitelist4").unwrap(),
            SetContents::Nets {
                family: Family::Ipv4,
                members: members
                    .iter()
                    .map(|a| Network::host(a.parse().unwrap()))
                    .collect(),
            },
        );
        s
    };
    let (client, other) = (with(&["198.51.100.9"]), with(&["203.0.113.5"]));
    let ifaces = iface_names(&eth0());
    let nat = dfw_core::native::Ruleset::default();
    check_lockout_change_with_sets((&rules, &client), (&rules, &client), &nat, &ssh, &ifaces)
        .unwrap();
    let e =
        check_lockout_change_with_sets((&rules, &client), (&rules, &other), &nat, &ssh, &ifaces)
            .unwrap_err();
    assert!(e.to_string().contains("198.51.100.9"), "{e}");
    // Refused before as after (the client was never in the set): not the change's doing.
    check_lockout_change_with_sets((&rules, &other), (&rules, &other), &nat, &ssh, &ifaces)
        .unwrap();
}
