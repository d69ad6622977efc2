//! `[docker] accept_fwmark` on the Docker-29-nftables host, with real connections: Docker's
//! ruleset (`sim-host.nft`) with the db container reachable by routing (its network in
//! routed mode for IPv4: no `DROP DIRECT ACCESS`, 5432 not published, as moby's
//! `usernet-portmap-routed` page shows routed networks) and Docker's
//! `--bridge-accept-fwmark=0x100/0xff00` rule `meta mark & 0x0000ff00 == 0x00000100 counter
//! accept comment "ALLOW FW MARK"` where moby's nftabler puts it (filter-forward-in__docker0,
//! after the established rule). A `[[forward]] eth1 -> docker0` pair works with the key and
//! not without it (Docker's `UNPUBLISHED PORT DROP`); removing the key deletes dfw's table;
//! traffic the policy denies stays denied even when everything carries the mark; explain's
//! predictions equal the real outcomes; status and plan name a deleted or changed table, a
//! commit restores it; a rollback point records it.

use std::net::SocketAddr;
use std::time::Duration;

use crate::support::docker::run_in;
use crate::support::evalsim::live;
use crate::support::native::ruleset;

use dfw_core::eval::{explain_with, Decision, MatchResult, Packet, Step, TableRef, Trace, Verdict};
use dfw_core::model::Family;
use dfw_core::native::NftFamily;
use dfw_core::policy::{DriftKind, Policy};
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{DockerHost, Probe, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;
use dfw_netlink::{CommitOptions, Dfw, SshGuard};

const BASE: &str = r#"
[interfaces]
external = ["eth0"]

[[allow]]
ports = ["8080/tcp"]

[[forward]]
in = "eth1"
out = "docker0"
"#;

const KEY: &str = "\n[docker]\naccept_fwmark = \"0x100/0xff00\"\n";

/// sim-host.nft with the db container routed (see the module doc) and Docker's fwmark rule.
fn docker_ruleset() -> String {
    let text = ruleset("sim-host");
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("ip daddr 172.17.0.3 iifname != \"docker0\"")
            || t.starts_with("ip daddr 172.17.0.3 tcp dport 5432")
            || t.starts_with("iifname != \"docker0\" tcp dport 5432")
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if t == "ct state established,related counter accept"
            && out.contains("chain filter-forward-in__docker0 {\n\t\tct state")
            && !out.contains("ALLOW FW MARK")
        {
            out.push_str(
                "\t\tmeta mark & 0x0000ff00 == 0x00000100 counter accept comment \"ALLOW FW MARK\"\n",
            );
        }
    }
    assert!(out.contains("ALLOW FW MARK"), "{out}");
    out
}

fn commit(h: &DockerHost, text: &str) {
    let p = Policy::from_toml(text, "test.toml").unwrap();
    let report = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(report.applied.committed);
}

/// `enforce::status` and the plan's text for `p`.
fn status_and_plan(h: &DockerHost, p: &Policy) -> (enforce::StatusReport, String) {
    h.host()
        .run(|| {
            let mut fw = Firewall::open().unwrap();
            let st = enforce::status(&mut fw, p).unwrap();
            let pl = enforce::plan(&mut fw, p).unwrap().diff_text();
            (st, pl)
        })
        .unwrap()
}

fn dfw_table(h: &DockerHost) -> Option<String> {
    h.host()
        .run(|| {
            let rs = read_native(&mut NetlinkTransport::open().unwrap()).unwrap();
            rs.table(NftFamily::Inet, "dfw")
                .map(dfw_core::native::print::table_text)
        })
        .unwrap()
}

fn trace(h: &DockerHost, pkt: &Packet) -> Trace {
    let (rs, host) = live(h, Family::Ipv4, &[EXTERNAL_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().unwrap()).unwrap())
        .unwrap();
    explain_with(&rs, &native, pkt, &host).unwrap()
}

fn predicted(h: &DockerHost, pkt: &Packet) -> Verdict {
    trace(h, pkt).verdict
}

/// The texts of the native rules of `table` that matched on the reported path.
fn matched_native(t: &Trace, table: &TableRef) -> Vec<String> {
    t.steps
        .iter()
        .filter_map(|s| match s {
            Step::NativeRule {
                at,
                text,
                result: MatchResult::Matched,
                ..
            } if &at.table == table => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn decider(t: &Trace) -> Option<TableRef> {
    match &t.decided_by {
        Some(Decision::Rule(r)) => Some(r.table.clone()),
        _ => None,
    }
}

fn lan_pkt() -> Packet {
    Packet::tcp_syn(LAN_IF, LAN_CLIENT_V4, DB_V4, DB_PORT).with_mark(0)
}

const WAIT: Duration = Duration::from_secs(2);

fn lan_to_db(h: &DockerHost) -> (Probe, Verdict) {
    let dst = SocketAddr::new(DB_V4, DB_PORT);
    let real = h.tcp_probe(Side::Lan, LAN_CLIENT_V4, dst, WAIT).unwrap();
    let pkt = Packet::tcp_syn(LAN_IF, LAN_CLIENT_V4, DB_V4, DB_PORT).with_mark(0);
    (real, predicted(h, &pkt))
}

fn stranger_to_db(h: &DockerHost) -> (Probe, Verdict) {
    let dst = SocketAddr::new(DB_V4, DB_PORT);
    let real = h.tcp_probe(Side::Internet, STRANGER_V4, dst, WAIT).unwrap();
    let pkt = Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, DB_V4, DB_PORT).with_mark(0);
    (real, predicted(h, &pkt))
}

#[test]
fn kernel_accept_fwmark_lets_forward_pairs_through_docker_nftables() {
    if !kernel_gate("kernel_accept_fwmark_lets_forward_pairs_through_docker_nftables") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    run_in(h.host(), "nft", &["-f", "-"], &docker_ruleset()).unwrap_or_else(|e| panic!("{e}"));

    // Without the key: dfw accepts the pair, Docker's UNPUBLISHED PORT DROP drops it.
    commit(&h, BASE);
    assert_eq!(dfw_table(&h), None);
    let (real, pred) = lan_to_db(&h);
    assert_eq!(real, Probe::TimedOut, "without the key");
    assert!(!pred.is_accept(), "{pred}");
    let bridges = TableRef::Native(NftFamily::Ip, "docker-bridges".into());
    let dfw = TableRef::Native(NftFamily::Inet, "dfw".into());
    let t = trace(&h, &lan_pkt());
    assert_eq!(decider(&t), Some(bridges.clone()), "Docker's drop decides");

    // With the key: dfw's table marks the pair; Docker accepts it; explain agrees.
    commit(&h, &format!("{BASE}{KEY}"));
    let table = dfw_table(&h).expect("table inet dfw");
    assert!(
        table.contains(
            "iifname \"eth1\" oifname \"docker0\" meta mark set meta mark & 0xffff01ff | \
             0x00000100 comment \"dfw forward eth1 -> docker0\""
        ),
        "{table}"
    );
    let (real, pred) = lan_to_db(&h);
    assert_eq!(real, Probe::Open, "with the key");
    assert!(pred.is_accept(), "{pred}");
    // explain names dfw's native rule (it marks the packet) and Docker's rule it satisfies.
    let t = trace(&h, &lan_pkt());
    let ours = matched_native(&t, &dfw);
    assert_eq!(ours.len(), 1, "{:#?}", t.steps);
    assert!(ours[0].contains("meta mark set"), "{ours:?}");
    let theirs = matched_native(&t, &bridges);
    assert!(
        theirs.iter().any(|r| r.contains("ALLOW FW MARK")),
        "{theirs:?}"
    );
    // What the policy denies stays denied: a stranger on the external interface, not marked.
    let (real, pred) = stranger_to_db(&h);
    assert_ne!(real, Probe::Open);
    assert!(!pred.is_accept(), "{pred}");
    // ... even when someone else marks every forwarded packet: Docker accepts it, dfw's
    // iptables chain (the policy's default reject) still refuses it, and a refusal is final.
    run_in(
        h.host(),
        "nft",
        &["-f", "-"],
        "table inet other {\n\tchain mark-all {\n\t\ttype filter hook forward priority -2; \
         policy accept;\n\t\tmeta mark set 0x00000100\n\t}\n}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (real, pred) = stranger_to_db(&h);
    assert_eq!(real, Probe::Refused, "marked stranger");
    assert!(!pred.is_accept(), "{pred}");
    let t = trace(
        &h,
        &Packet::tcp_syn(EXTERNAL_IF, STRANGER_V4, DB_V4, DB_PORT).with_mark(0),
    );
    assert!(
        matches!(decider(&t), Some(TableRef::Xt(_))),
        "dfw's iptables rule decides: {:?}",
        t.decided_by
    );
    run_in(h.host(), "nft", &["delete", "table", "inet", "other"], "")
        .unwrap_or_else(|e| panic!("{e}"));

    // A second commit of the same policy changes nothing.
    let p = Policy::from_toml(&format!("{BASE}{KEY}"), "test.toml").unwrap();
    let again = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(!again.applied.committed, "in sync: no batch");

    // Someone deletes the table: status says so, plan shows it, the next commit puts it back.
    run_in(h.host(), "nft", &["delete", "table", "inet", "dfw"], "")
        .unwrap_or_else(|e| panic!("{e}"));
    let (st, pl) = status_and_plan(&h, &p);
    assert_eq!(st.drift.native.len(), 1, "{}", st.drift);
    assert_eq!(st.drift.native[0].kind, DriftKind::Missing);
    assert!(st.drift.chains.is_empty(), "{}", st.drift);
    assert!(
        pl.contains("table inet dfw (create):\n+ table inet dfw {"),
        "{pl}"
    );
    commit(&h, &format!("{BASE}{KEY}"));
    assert_eq!(dfw_table(&h), Some(table.clone()));

    // Someone flushes its chain: status names the change, a commit restores it.
    run_in(
        h.host(),
        "nft",
        &["flush", "chain", "inet", "dfw", "forward"],
        "",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let (st, pl) = status_and_plan(&h, &p);
    assert_eq!(st.drift.native[0].kind, DriftKind::Changed, "{}", st.drift);
    assert!(pl.contains("table inet dfw (replace):"), "{pl}");
    assert_eq!(lan_to_db(&h).0, Probe::TimedOut, "chain flushed");
    commit(&h, &format!("{BASE}{KEY}"));
    assert_eq!(dfw_table(&h), Some(table.clone()));
    let restored = table;
    assert!(status_and_plan(&h, &p).0.in_sync());
    assert_eq!(lan_to_db(&h).0, Probe::Open, "restored");

    // Rollback points include the table: a guarded commit without the key deletes it, the
    // rollback to the point saved before that commit puts it back.
    let state = std::env::temp_dir().join(format!("dfw-fwmark-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&state);
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let opts = CommitOptions {
        confirm: None,
        ssh: SshGuard::Off,
        source: None,
    };
    h.host()
        .run(|| {
            let mut dfw = Dfw::open().unwrap().with_state_dir(&state);
            dfw.commit(Policy::from_toml(BASE, "t.toml").unwrap(), &opts)
                .unwrap();
        })
        .unwrap();
    assert_eq!(dfw_table(&h), None, "guarded commit without the key");
    h.host()
        .run(|| {
            Dfw::open()
                .unwrap()
                .with_state_dir(&state)
                .rollback()
                .unwrap()
        })
        .unwrap();
    let _ = std::fs::remove_dir_all(&state);
    assert_eq!(
        dfw_table(&h).as_deref(),
        Some(restored.as_str()),
        "rolled back"
    );
    assert_eq!(lan_to_db(&h).0, Probe::Open, "after the rollback");

    // Removing the key deletes the table, in the same batch; the pair stops working.
    commit(&h, BASE);
    assert_eq!(dfw_table(&h), None);
    let (real, _) = lan_to_db(&h);
    assert_eq!(real, Probe::TimedOut, "key removed");
}
