//! Golden documents: `dfw.plan/1`, `dfw.commit/1`, `dfw.status/1` of a small policy against
//! an empty kernel, and `dfw.explain/1` of a packet through Docker 29's rules, byte for byte
//! as `golden/*.json` (rewrite them with `DFW_UPDATE_GOLDEN=1` after a deliberate change, and
//! bump the schema version if a field was renamed, removed or changed in meaning).

use std::net::IpAddr;

use dfw_core::eval::{explain, Host, HostIface, IfaceKind, Packet, Route};
use dfw_core::model::{Family, Network};
use dfw_core::policy::{drift, reconcile, Current, HostFacts, Policy};
use dfw_core::syntax::parse_ruleset;
use dfw_netlink::enforce::{chain_changes, change_set, PolicyPlan};
use dfw_netlink::firewall::{make_plan, ApplyReport};
use dfw_netlink::{CommitReport, StatusReport};

use super::{render, CommitDoc, ConfirmJ, PlanDoc, StatusDoc, WatchJ};
use crate::cmd::explain_json;

const POLICY: &str = "[interfaces]\nexternal = [\"eth0\"]\n[[allow]]\n\
    ports = [\"8080/tcp\", \"8080/tcp\"]\nfrom = [\"203.0.113.0/24\"]\ncomment = \"web\"\n";

fn golden(name: &str, got: &str) {
    let path = format!("{}/src/cmd/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var_os("DFW_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(got, want, "{path}");
}

/// The plan of [`POLICY`] against a kernel without any chain, and its warnings.
fn plan() -> (PolicyPlan, Vec<dfw_core::policy::PolicyWarning>) {
    let c = Policy::from_toml_checked(POLICY, "dfw.toml", &HostFacts::default()).unwrap();
    let external = c.policy.named_external().unwrap().to_vec();
    let compiled = c.policy.compile(&external);
    let current = [Current::default(), Current::default()];
    let reconciled = [
        reconcile(&compiled.v4, &current[0]).unwrap(),
        reconcile(&compiled.v6, &current[1]).unwrap(),
    ];
    let changes = change_set(&[], reconciled.clone());
    let plan = make_plan(&[], &changes).unwrap();
    let p = PolicyPlan {
        external,
        compiled,
        current,
        reconciled,
        changes,
        plan,
        sets: Default::default(),
        listed: Default::default(),
        notes: Vec::new(),
        native: dfw_netlink::enforce::NativeState::InSync,
    };
    (p, c.warnings)
}

#[test]
fn plan_document() {
    let (p, w) = plan();
    assert_eq!(w.len(), 1, "{w:?}");
    use dfw_core::native::docker::DockerNote;
    // On a host where Docker uses nftables: the backend, and the pair its chain drops.
    let notes = [
        DockerNote::Backend {
            family: Family::Ipv4,
            table: "ip docker-bridges".into(),
            docker_user: false,
        },
        DockerNote::ForwardBlocked {
            family: Family::Ipv4,
            in_iface: "eth1".into(),
            out_iface: "eth0".into(),
            table: "ip docker-bridges".into(),
            chain: "filter-FORWARD".into(),
        },
    ];
    golden(
        "dfw.plan.json",
        &render(&PlanDoc::new("dfw.toml", &w, &p, &notes)),
    );
}

#[test]
fn commit_document() {
    let (p, w) = plan();
    let report = CommitReport {
        external: p.external.clone(),
        changes: chain_changes(&p.reconciled, &p.current, Some(&p.plan), false),
        sets: Default::default(),
        notes: Vec::new(),
        applied: ApplyReport {
            plan: p.plan.clone(),
            attempts: 1,
            generation: 42,
            committed: true,
            kernel_time: std::time::Duration::ZERO,
        },
    };
    let confirm = ConfirmJ {
        id: "18c2f-4711".into(),
        deadline: 1_795_472_094,
        seconds: 60,
    };
    let watch = WatchJ {
        pid: 4242,
        config: "/etc/dfw/dfw.toml".into(),
    };
    let doc = CommitDoc::new(Some("dfw.toml"), &w, &report, Some(confirm)).with_watch(Some(watch));
    golden("dfw.commit.json", &render(&doc));
}

#[test]
fn status_document() {
    let (p, w) = plan();
    let mut d = drift(&p.compiled.v4, &p.current[0]).unwrap();
    d.extend(drift(&p.compiled.v6, &p.current[1]).unwrap());
    let r = StatusReport {
        external: p.external.clone(),
        drift: d,
        sets: Default::default(),
    };
    golden(
        "dfw.status.json",
        &render(&StatusDoc::new(
            "dfw.toml",
            &w,
            &r,
            vec!["commit 1-2 awaits confirmation".into()],
            &[dfw_core::native::docker::DockerNote::ForwardPolicyDrop {
                family: Family::Ipv6,
            }],
        )),
    );
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn explain_document() {
    let text = include_str!("../../fixtures/docker-29.v4");
    let rs = parse_ruleset(Family::Ipv4, text).unwrap();
    let host = Host {
        sets: Default::default(),
        ifaces: vec![
            HostIface {
                name: "eth0".into(),
                kind: IfaceKind::External,
                addrs: vec![(ip("203.0.113.1"), 24)],
            },
            HostIface {
                name: "docker0".into(),
                kind: IfaceKind::Bridge,
                addrs: vec![(ip("172.17.0.1"), 16)],
            },
        ],
        routes: vec![
            Route {
                dest: Network::with_prefix(ip("0.0.0.0"), 0).unwrap(),
                iface: "eth0".into(),
            },
            Route {
                dest: Network::with_prefix(ip("172.17.0.0"), 16).unwrap(),
                iface: "docker0".into(),
            },
        ],
        forwarding: true,
        mark_rules: None,
    };
    let pkt = Packet::tcp_syn("eth0", ip("198.51.100.9"), ip("203.0.113.1"), 8080);
    let t = explain(&rs, &pkt, &host).unwrap();
    let doc = explain_json::Document::new(&rs, &pkt, &t, Some("web".into()));
    golden("dfw.explain.json", &render(&doc));
}
