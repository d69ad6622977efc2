//! Unit tests of the lockout guard: fake `SSH_CONNECTION`s against compiled policies.

use dfw_core::model::{Family, Iface, TableName};
use dfw_core::policy::Policy;

use super::lockout::{check_lockout, desired_filter, SshConnection};
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
            rules: c.rules.clone(),
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
