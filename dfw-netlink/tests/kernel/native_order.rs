//! Kernel test of the order of base chains with the same hook and priority: the kernel runs
//! the one registered last first (net/netfilter/core.c, `nf_hook_entries_grow`), and
//! `explain_with` must follow it (`dfw_core::native::registration_rank`). Each case loads two
//! chains that decide differently (a drop, which times out, and a reject, which is refused;
//! or two DNATs to different containers, which greet differently) with the real
//! `iptables-restore` and `nft -f` in both orders, then checks that a real connection does
//! what `explain_with` predicts and that it names the rule of the chain registered last.

use std::net::SocketAddr;

use crate::support::docker::run_in;
use crate::support::evalsim::live;
use crate::support::probes::timeout_for;

use dfw_core::eval::{explain_with, Decision, Packet, TableRef, Trace, Verdict};
use dfw_core::model::{Family, TableName};
use dfw_core::native::NftFamily;
use dfw_netlink::native::read_native;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{write_sysctls, Check, DockerHost, Probe, Proto, Side};
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::transport::NetlinkTransport;

/// What loads a chain: `iptables-restore --noflush` text, or `nft -f` text.
#[derive(Clone, Copy)]
enum Load {
    Xt(&'static str),
    Nft(&'static str),
}

const XT_REJECT: Load = Load::Xt("*filter\n-A FORWARD -i eth1 -j REJECT\nCOMMIT\n");
const NFT_DROP: Load = Load::Nft(
    "table ip late {\n\tchain fw {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tiifname \"eth1\" drop\n\t}\n}\n",
);
const NFT_REJECT_OTHER: Load = Load::Nft(
    "table ip other {\n\tchain fw {\n\t\ttype filter hook forward priority filter; policy accept;\n\t\tiifname \"eth1\" reject\n\t}\n}\n",
);
const NFT_SECOND_CHAIN: Load = Load::Nft(
    "add chain ip late again { type filter hook forward priority filter; policy accept; }\nadd rule ip late again iifname \"eth1\" reject\n",
);
const XT_DNAT_WEB: Load = Load::Xt(
    "*nat\n-A PREROUTING -p tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80\nCOMMIT\n",
);
const NFT_DNAT_DB: Load = Load::Nft(
    "table ip natted {\n\tchain pre {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\ttcp dport 8080 dnat to 172.17.0.3:5432\n\t}\n}\n",
);

fn load(h: &DockerHost, what: Load) {
    let r = match what {
        Load::Xt(text) => run_in(h.host(), "iptables-restore", &["--noflush"], text),
        Load::Nft(text) => run_in(h.host(), "nft", &["-f", "-"], text),
    };
    r.unwrap_or_else(|e| panic!("{e}"));
}

fn explain(h: &DockerHost, pkt: &Packet) -> Trace {
    let (rs, host) = live(h, Family::Ipv4, &[EXTERNAL_IF, LAN_IF]);
    let native = h
        .host()
        .run(|| read_native(&mut NetlinkTransport::open().expect("socket")).expect("native"))
        .expect("host namespace");
    explain_with(&rs, &native, pkt, &host).expect("explain")
}

fn decider(t: &Trace) -> (TableRef, String) {
    match &t.decided_by {
        Some(Decision::Rule(r)) => (r.table.clone(), r.chain.clone()),
        other => panic!("decided by {other:?}"),
    }
}

fn native(name: &str) -> TableRef {
    TableRef::Native(NftFamily::Ip, name.into())
}

/// Loads `order`, checks the LAN client's connection to `dst` against the prediction and
/// returns the trace and the service that answered.
fn run(h: &DockerHost, order: &[Load], dst: SocketAddr) -> (Trace, Option<String>) {
    run_in(h.host(), "nft", &["flush", "ruleset"], "").unwrap_or_else(|e| panic!("{e}"));
    for l in order {
        load(h, *l);
    }
    let pkt = Packet::tcp_syn(LAN_IF, LAN_CLIENT_V4, dst.ip(), dst.port());
    let t = explain(h, &pkt);
    let want = match &t.verdict {
        Verdict::Accept => Probe::Open,
        Verdict::Drop => Probe::TimedOut,
        Verdict::Reject(_) => Probe::Refused,
        Verdict::Unknown(u) => panic!("unknown: {u:?}"),
    };
    let check = Check {
        from: Side::Lan,
        src: LAN_CLIENT_V4,
        proto: Proto::Tcp,
        dst,
    };
    let (got, greeting) = h.check(&check, timeout_for(want)).expect("probe");
    assert_eq!(got, want, "{check}: {} by {:?}", t.verdict, t.decided_by);
    (t, greeting.map(|g| g.service))
}

#[test]
fn kernel_equal_priority_base_chains_run_last_registered_first() {
    if !kernel_gate("kernel_equal_priority_base_chains_run_last_registered_first") {
        return;
    }
    let h = DockerHost::start().expect("simulated host");
    write_sysctls(h.host(), &[("net/ipv4/icmp_ratelimit", "0")]).expect("sysctls");
    let web: SocketAddr = (WEB_V4, WEB_PORT).into();
    let filter = TableRef::Xt(TableName::Filter);

    // iptables' filter FORWARD and a native forward chain, both at priority 0.
    let (t, _) = run(&h, &[XT_REJECT, NFT_DROP], web);
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(decider(&t), (native("late"), "fw".into()));
    let (t, _) = run(&h, &[NFT_DROP, XT_REJECT], web);
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{}", t.verdict);
    assert_eq!(decider(&t), (filter, "FORWARD".into()));

    // Two native tables.
    let (t, _) = run(&h, &[NFT_DROP, NFT_REJECT_OTHER], web);
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{}", t.verdict);
    assert_eq!(decider(&t), (native("other"), "fw".into()));
    let (t, _) = run(&h, &[NFT_REJECT_OTHER, NFT_DROP], web);
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(decider(&t), (native("late"), "fw".into()));

    // Two base chains of one table: the one created later runs first.
    let (t, _) = run(&h, &[NFT_DROP, NFT_SECOND_CHAIN], web);
    assert!(matches!(t.verdict, Verdict::Reject(_)), "{}", t.verdict);
    assert_eq!(decider(&t), (native("late"), "again".into()));

    // Inside the NAT hook: the first binding wins, so the DNAT registered last decides
    // which container answers.
    let published: SocketAddr = (HOST_LAN_V4, WEB_PUBLISHED).into();
    let (t, service) = run(&h, &[XT_DNAT_WEB, NFT_DNAT_DB], published);
    assert_eq!(t.dnat.as_ref().map(|d| d.dst), Some(DB_V4));
    assert_eq!(service.as_deref(), Some("db"));
    let (t, service) = run(&h, &[NFT_DNAT_DB, XT_DNAT_WEB], published);
    assert_eq!(t.dnat.as_ref().map(|d| d.dst), Some(WEB_V4));
    assert_eq!(service.as_deref(), Some("web"));
}
