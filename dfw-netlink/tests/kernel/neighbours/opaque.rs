//! Rules dfw does not write, decodable or not, never block it. Each test runs in a
//! throwaway network namespace over Docker 29's rules (IPv4 + IPv6, loaded with the real
//! iptables-restore), with real neighbour rules added by the real tools: rules dfw cannot
//! decode (`-m string`, `-m u32`, `-m bpf`, `-m time`, a native nftables rule added with
//! `nft add rule`, and until dfw models ipset the CrowdSec-style `-m set --match-set
//! crowdsec-blacklists src`), and rules it decodes (limit, hashlimit, NFLOG, connlimit,
//! length, ttl/hl, pkttype, physdev, recent, mac, multiport, rt, TCPMSS). Then dfw commits
//! (guarded, with its rollback point), reports status, rolls back, repairs a flushed chain
//! (directly and under its watch): all must work, and the neighbours' rules must stay
//! exactly as they were (compared as `nft -a` lists them: expressions and handles, counters
//! left out).

use super::lab::{sh, with_watch_of, MachineRuleset, TempDir};
use crate::support::{load_fixture, run_in, Fixture};
use dfw_core::policy::Policy;
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::sim::NetNs;
use dfw_netlink::transport::testkit::kernel_gate;
use dfw_netlink::{CommitOptions, Dfw, SshGuard};

const POLICY: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp", "22/tcp"]
[whitelist]
sources = ["198.51.100.7", "2001:db8::7"]
"#;

fn policy() -> Policy {
    Policy::from_toml(POLICY, "t.toml").unwrap()
}

/// A namespace with Docker 29's rules and an ipset `crowdsec-blacklists` of each family.
fn docker_ns(test: &str) -> NetNs {
    let ns = NetNs::new(test).unwrap();
    load_fixture(&ns, Fixture::Docker29V4);
    load_fixture(&ns, Fixture::Docker29V6);
    sh(&ns, "ipset create crowdsec-blacklists hash:ip");
    sh(
        &ns,
        "ipset create crowdsec6-blacklists hash:ip family inet6",
    );
    sh(&ns, "ipset add crowdsec-blacklists 203.0.113.66");
    ns
}

/// IPv4 neighbour rules for `chain`, as `iptables` arguments, one rule per entry: what no
/// dfw version decodes, then what iptables-nft writes as native limit/log expressions or xt
/// matches (dfw decodes them), the CrowdSec-style set match, and more extensions.
const NEIGHBOURS_V4: &[&str] = &[
    "-m string --algo bm --string EVIL -j DROP",
    "-m u32 --u32 '0>>22&0x3C@0>>16=0x50' -j DROP",
    "-m bpf --bytecode '4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0' -j DROP",
    "-m limit --limit 5/min -j LOG --log-prefix 'nb: '",
    "-p tcp -m hashlimit --hashlimit-above 10/sec --hashlimit-name nb -j DROP",
    "-j NFLOG --nflog-group 3",
    "-m set --match-set crowdsec-blacklists src -j DROP",
    "-p tcp -m connlimit --connlimit-above 50 -j REJECT",
    "-m length --length 1400:65535 -j DROP",
    "-m ttl --ttl-lt 2 -j DROP",
    "-m pkttype --pkt-type broadcast -j DROP",
    "-m physdev --physdev-is-bridged -j ACCEPT",
    "-m recent --name nb --rcheck --seconds 30 -j DROP",
    "-m mac --mac-source 02:00:00:00:00:01 -j DROP",
    "-p tcp -m multiport --dports 22,80 -j DROP",
    "-m time --timestart 01:00 -j DROP",
];

/// IPv6 neighbour rules, as for [`NEIGHBOURS_V4`].
const NEIGHBOURS_V6: &[&str] = &[
    "-m string --algo bm --string EVIL -j DROP",
    "-m limit --limit 5/min -j LOG --log-prefix 'nb: '",
    "-j NFLOG --nflog-group 3",
    "-m set --match-set crowdsec6-blacklists src -j DROP",
    "-m hl --hl-lt 2 -j DROP",
    "-m rt --rt-type 0 -j DROP",
    "-m length --length 1400:65535 -j DROP",
];

/// Neighbour rules only FORWARD's hook takes (TCPMSS), for DOCKER-USER of both families.
const FORWARD_ONLY: &str = "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu";

/// Appends every neighbour rule to `chain` of both families, and one native nftables rule.
fn add_neighbours(ns: &NetNs, chain: &str) {
    for r in NEIGHBOURS_V4 {
        sh(ns, &format!("iptables -A {chain} {r}"));
    }
    for r in NEIGHBOURS_V6 {
        sh(ns, &format!("ip6tables -A {chain} {r}"));
    }
    if chain == "DOCKER-USER" {
        for prog in ["iptables", "ip6tables"] {
            sh(ns, &format!("{prog} -A {chain} {FORWARD_ONLY}"));
        }
    }
    for fam in ["ip", "ip6"] {
        sh(
            ns,
            &format!("nft add rule {fam} filter {chain} tcp dport {{ 22, 80 }} meta mark set 0x5"),
        );
    }
}

/// What `nft -a` lists of `family`'s `filter` table, without dfw's chains and tagged jumps
/// and without counter values: every other rule as `CHAIN: RULE # handle N`, in order.
fn neighbours(ns: &NetNs, family: &str) -> Vec<String> {
    let text = sh(ns, &format!("nft -a list table {family} filter"));
    let mut out = Vec::new();
    let mut chain = "";
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("chain ") {
            chain = rest.split_whitespace().next().unwrap_or("");
            continue;
        }
        // Rules end with their handle; nft does not print the xt comment of dfw's jumps.
        let is_rule = line.contains("# handle ") && !line.starts_with("table ");
        if !is_rule || chain.starts_with("DFW-") || line.contains("jump DFW-") {
            continue;
        }
        out.push(format!("{chain}: {}", strip_counter(line)));
    }
    out
}

fn strip_counter(line: &str) -> String {
    match line.find("counter packets ") {
        Some(at) => {
            let rest = &line[at..];
            let end = rest
                .find(" bytes ")
                .and_then(|b| rest[b + 7..].find(' ').map(|e| b + 7 + e))
                .unwrap_or(rest.len());
            format!("{}counter{}", &line[..at], &rest[end..])
        }
        None => line.to_string(),
    }
}

/// The rule lines of `chain` as `iptables-save` (or ip6tables-save) prints them, in order.
fn save_chain(ns: &NetNs, prog: &str, chain: &str) -> Vec<String> {
    let text = sh(ns, &format!("{prog}-save -t filter 2>/dev/null || true"));
    let prefix = format!("-A {chain} ");
    text.lines()
        .filter(|l| l.starts_with(&prefix))
        .map(String::from)
        .collect()
}

#[test]
fn kernel_neighbour_rules_do_not_block_commit_status_rollback() {
    let test = "kernel_neighbour_rules_commit";
    if !kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let ns = docker_ns(test);
    for chain in ["DOCKER-USER", "INPUT"] {
        add_neighbours(&ns, chain);
    }
    // A neighbour rule that can accept, above Docker's jump in FORWARD: dfw moves Docker's
    // jump above it, and leaves the rule as it is.
    sh(
        &ns,
        "iptables -I FORWARD 1 -m string --algo bm --string OK -j ACCEPT",
    );
    let before = [neighbours(&ns, "ip"), neighbours(&ns, "ip6")];
    let state = TempDir::new(test);
    let dir = state.path();
    let opts = CommitOptions {
        confirm: None,
        ssh: SshGuard::Off,
        source: None,
    };
    ns.run(|| {
        let mut dfw = Dfw::open().unwrap().with_state_dir(dir);
        dfw.commit(policy(), &opts).expect("commit with neighbours");
        let status = dfw.status(&policy()).expect("status with neighbours");
        assert!(status.in_sync(), "{}", status.drift);
        let again = dfw.commit(policy(), &opts).expect("second commit");
        assert!(again.report.is_noop(), "a second commit changes nothing");
    })
    .unwrap();
    for (prog, fam) in [("iptables", 0), ("ip6tables", 1)] {
        for chain in ["DOCKER-USER", "INPUT"] {
            let lines = save_chain(&ns, prog, chain);
            if let Some(first) = lines.first() {
                assert!(
                    first.contains("--comment dfw -j DFW-"),
                    "{prog} {chain}: dfw's jump is not first: {lines:#?}"
                );
            }
        }
        let forward = neighbours(&ns, ["ip", "ip6"][fam]);
        let first = forward
            .iter()
            .find(|l| l.starts_with("FORWARD: "))
            .cloned()
            .unwrap_or_default();
        assert!(
            first.starts_with("FORWARD: counter jump DOCKER-USER"),
            "{prog}: FORWARD's first rule is {first:?}"
        );
    }
    let after = [neighbours(&ns, "ip"), neighbours(&ns, "ip6")];
    assert_eq!(
        without_forward_jump(&before[0]),
        without_forward_jump(&after[0]),
        "IPv4 neighbours"
    );
    assert_eq!(
        without_forward_jump(&before[1]),
        without_forward_jump(&after[1]),
        "IPv6 neighbours"
    );
    ns.run(|| {
        let mut dfw = Dfw::open().unwrap().with_state_dir(dir);
        dfw.rollback().expect("rollback with neighbours");
    })
    .unwrap();
    let rolled = [neighbours(&ns, "ip"), neighbours(&ns, "ip6")];
    assert_eq!(
        without_forward_jump(&before[0]),
        without_forward_jump(&rolled[0])
    );
    assert_eq!(
        without_forward_jump(&before[1]),
        without_forward_jump(&rolled[1])
    );
    machine.unchanged();
}

/// Lines without FORWARD's `-j DOCKER-USER` (Docker's jump, which dfw moves as Docker does).
fn without_forward_jump(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|l| !l.starts_with("FORWARD: counter jump DOCKER-USER "))
        .cloned()
        .collect()
}

#[test]
fn kernel_flush_plus_opaque_rule_is_repaired() {
    let test = "kernel_flush_plus_opaque";
    if !kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let ns = docker_ns(test);
    ns.run(|| {
        let mut fw = Firewall::open().unwrap();
        enforce::commit_unguarded(&mut fw, &policy()).unwrap();
    })
    .unwrap();
    // What a neighbour's reload does: flush the chain, add its own rules back.
    sh(&ns, "iptables -F DOCKER-USER");
    sh(
        &ns,
        "iptables -A DOCKER-USER -m string --algo bm --string EVIL -j DROP",
    );
    sh(&ns, "iptables -F INPUT");
    sh(
        &ns,
        "iptables -A INPUT -m u32 --u32 '0>>22&0x3C@0>>16=0x50' -j DROP",
    );
    let before = neighbours(&ns, "ip");
    ns.run(|| {
        let mut fw = Firewall::open().unwrap();
        let s = enforce::status(&mut fw, &policy()).expect("status after flush");
        assert!(!s.in_sync());
        let text = s.drift.to_string();
        assert!(text.contains("missing"), "{text}");
        enforce::commit_unguarded(&mut fw, &policy()).expect("repair after flush");
        let s = enforce::status(&mut fw, &policy()).unwrap();
        assert!(s.in_sync(), "{}", s.drift);
    })
    .unwrap();
    assert_eq!(before, neighbours(&ns, "ip"));
    let lines = save_chain(&ns, "iptables", "DOCKER-USER");
    assert!(
        lines[0].contains("--comment dfw -j DFW-DOCKER"),
        "{lines:#?}"
    );
    assert!(lines[1].contains("--string \"EVIL\""), "{lines:#?}");
    machine.unchanged();
}

#[test]
fn kernel_opaque_rule_in_a_dfw_chain_does_not_block_saving() {
    let test = "kernel_opaque_in_dfw_chain";
    if !kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let ns = docker_ns(test);
    let state = TempDir::new(test);
    let dir = state.path();
    let opts = CommitOptions {
        confirm: None,
        ssh: SshGuard::Off,
        source: None,
    };
    ns.run(|| {
        let mut dfw = Dfw::open().unwrap().with_state_dir(dir);
        dfw.commit(policy(), &opts).unwrap();
    })
    .unwrap();
    sh(
        &ns,
        "iptables -I DFW-DOCKER-EXT 1 -m string --algo bm --string EVIL -j DROP",
    );
    ns.run(|| {
        let mut dfw = Dfw::open().unwrap().with_state_dir(dir);
        let s = dfw.status(&policy()).unwrap();
        assert!(s.drift.to_string().contains("extra"), "{}", s.drift);
        // Saving the rollback point must not fail; the commit removes the stray rule.
        dfw.commit(policy(), &opts)
            .expect("commit over a stray opaque rule");
        assert!(dfw.status(&policy()).unwrap().in_sync());
        dfw.rollback().expect("rollback");
    })
    .unwrap();
    machine.unchanged();
}

/// `iptables-restore --noflush` text touching chains that hold rules dfw cannot decode:
/// appends, inserts by number, replaces and deletes by number (an opaque rule among them).
const RESTORE_N: &str = "*filter
-A DOCKER-USER -s 192.0.2.7/32 -j RETURN
-I DOCKER-USER 2 -p tcp -m tcp --dport 25 -j DROP
-D INPUT 3
-R INPUT 1 -s 192.0.2.8/32 -j DROP
COMMIT
";

#[test]
fn kernel_restore_noflush_over_rules_dfw_cannot_decode_matches_iptables_restore() {
    let test = "kernel_restore_noflush_opaque";
    if !kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    // The same kernel twice: dfw restores into one, iptables-restore -n into the other.
    let [dfw_ns, ipt_ns] = ["dfw", "ipt"].map(|side| {
        let ns = docker_ns(&format!("{test}-{side}"));
        for chain in ["DOCKER-USER", "INPUT"] {
            for r in NEIGHBOURS_V4 {
                sh(&ns, &format!("iptables -A {chain} {r}"));
            }
        }
        ns
    });
    let kept_before = neighbours(&dfw_ns, "ip");
    let script =
        dfw_core::syntax::RestoreScript::parse(dfw_core::model::Family::Ipv4, RESTORE_N).unwrap();
    dfw_ns
        .run(|| {
            let mut fw = Firewall::open().unwrap();
            let opts = dfw_netlink::firewall::RestoreOptions {
                noflush: true,
                ..Default::default()
            };
            fw.restore(&script, opts)
                .expect("restore -n over opaque rules");
        })
        .unwrap();
    run_in(&ipt_ns, "iptables-restore", &["--noflush"], RESTORE_N).unwrap();
    let save = |ns: &NetNs| {
        save_chain(ns, "iptables", "DOCKER-USER")
            .into_iter()
            .chain(save_chain(ns, "iptables", "INPUT"))
            .collect::<Vec<_>>()
    };
    assert_eq!(save(&dfw_ns), save(&ipt_ns));
    // The neighbours' rules the script did not touch kept their handles: never re-encoded.
    let after = neighbours(&dfw_ns, "ip");
    // INPUT's first rule (string) was replaced and its third (bpf) deleted by the script.
    let untouched: Vec<&String> = kept_before
        .iter()
        .filter(|l| l.starts_with("DOCKER-USER: ") || l.starts_with("INPUT: "))
        .filter(|l| {
            !l.starts_with("INPUT: xt match string") && !l.starts_with("INPUT: xt match bpf")
        })
        .collect();
    for l in untouched {
        assert!(after.contains(l), "{l} was rewritten or lost:\n{after:#?}");
    }
    machine.unchanged();
}

/// dfw's watch after a neighbour flushed DOCKER-USER and INPUT (both families) and put back
/// its own rules, which dfw cannot decode: the watch repairs dfw's jumps on top of them, and
/// the neighbours' rules stay with their handles.
#[test]
fn kernel_watch_repairs_a_flush_plus_rules_dfw_cannot_decode() {
    let test = "kernel_watch_flush_opaque";
    if !kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let ns = docker_ns(test);
    let state = TempDir::new(test);
    with_watch_of(&ns, &state, POLICY, |lab| {
        lab.wait_repaired("the watch's start");
        lab.forget_repairs();
        for (prog, chain, rule) in [
            (
                "iptables",
                "DOCKER-USER",
                "-m string --algo bm --string EVIL -j DROP",
            ),
            (
                "iptables",
                "INPUT",
                "-m u32 --u32 '0>>22&0x3C@0>>16=0x50' -j DROP",
            ),
            (
                "ip6tables",
                "DOCKER-USER",
                "-m string --algo bm --string EVIL -j DROP",
            ),
            (
                "ip6tables",
                "INPUT",
                "-m string --algo bm --string EVIL -j DROP",
            ),
        ] {
            sh(
                &ns,
                &format!("{prog} -F {chain} && {prog} -A {chain} {rule}"),
            );
        }
        lab.wait_repair_of("flushes plus rules dfw cannot decode");
    });
    for prog in ["iptables", "ip6tables"] {
        for chain in ["DOCKER-USER", "INPUT"] {
            let lines = save_chain(&ns, prog, chain);
            assert_eq!(lines.len(), 2, "{prog} {chain}: {lines:#?}");
            assert!(
                lines[0].contains("--comment dfw -j DFW-"),
                "{prog} {chain}: {lines:#?}"
            );
            assert!(
                lines[1].contains("-m string") || lines[1].contains("-m u32"),
                "{prog} {chain}: {lines:#?}"
            );
        }
    }
    machine.unchanged();
}
