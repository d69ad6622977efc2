//! Root only, `#[ignore]`d: compares explain's verdicts with real connections on a simulated
//! Docker host in private network namespaces (`dfwtest-ev-*`, deleted afterwards).
//!
//! Run: `cargo test -p dfw-core kernel_ -- --ignored --test-threads 1` as root.
//! Topology: namespace `host` with `eth0` (192.0.2.10/24, veth to `cli`) and bridge `docker0`
//! (172.17.0.1/16, veth to `ctr` holding 172.17.0.2 and 172.17.0.3 with listeners on 80 and
//! 5432); `cli` holds 192.0.2.20/24, 203.0.113.5 and 198.51.100.7 and connects from each. The
//! host listens on 22 and 9999. A connection that succeeds must be ACCEPT, one refused must be
//! REJECT, one that times out must be DROP.

use std::process::{Child, Command, Stdio};

use crate::eval::{explain, Packet, Verdict};
use crate::model::{Family, Ruleset, TableName};

use super::hosts::{docker_host, ip};
use super::rules::{fixture, insert, ruleset};

const HOST: &str = "dfwtest-ev-host";
const CLI: &str = "dfwtest-ev-cli";
const CTR: &str = "dfwtest-ev-ctr";

const LISTENER: &str = "import socket,sys,threading,time
def serve(p):
    s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
    s.bind(('0.0.0.0',p));s.listen(64)
    while True:
        c,_=s.accept();c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve,args=(int(p),),daemon=True).start()
time.sleep(3600)";

const CLIENT: &str = "import socket,sys
for item in sys.argv[1:]:
    src,port=item.rsplit(':',1)
    s=socket.socket();s.settimeout(1.0)
    try:
        s.bind((src,0));s.connect(('192.0.2.10',int(port)));r='connected'
    except ConnectionRefusedError: r='refused'
    except (socket.timeout,TimeoutError): r='timeout'
    except OSError as e: r='error'+str(e.errno)
    print(item,r);s.close()";

fn sh(cmd: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .map(|s| s.success());
    assert_eq!(ok.ok(), Some(true), "{cmd}");
}

/// The namespaces and listeners; dropping it kills the listeners and deletes the namespaces.
struct Lab {
    children: Vec<Child>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [HOST, CLI, CTR] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn listen(ns: &str, ports: &[&str]) -> Child {
    Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-c", LISTENER])
        .args(ports)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 listener")
}

fn lab() -> Lab {
    let mut lab = Lab {
        children: Vec::new(),
    };
    for ns in [HOST, CLI, CTR] {
        sh(&format!("ip netns add {ns}"));
    }
    let script = [
        format!("ip link add eth0 netns {HOST} type veth peer name ext0 netns {CLI}"),
        format!("ip link add vethc netns {HOST} type veth peer name eth0 netns {CTR}"),
        format!("ip -n {HOST} link add docker0 type bridge"),
        format!("ip -n {HOST} link set vethc master docker0"),
        format!("ip -n {HOST} addr add 192.0.2.10/24 dev eth0"),
        format!("ip -n {HOST} addr add 172.17.0.1/16 dev docker0"),
        format!("ip -n {CLI} addr add 192.0.2.20/24 dev ext0"),
        format!("ip -n {CLI} addr add 203.0.113.5/32 dev ext0"),
        format!("ip -n {CLI} addr add 198.51.100.7/32 dev ext0"),
        format!("ip -n {CTR} addr add 172.17.0.2/16 dev eth0"),
        format!("ip -n {CTR} addr add 172.17.0.3/16 dev eth0"),
    ];
    for cmd in &script {
        sh(cmd);
    }
    for (ns, links) in [
        (HOST, &["lo", "eth0", "vethc", "docker0"][..]),
        (CLI, &["lo", "ext0"][..]),
        (CTR, &["lo", "eth0"][..]),
    ] {
        for l in links {
            sh(&format!("ip -n {ns} link set {l} up"));
        }
    }
    sh(&format!(
        "ip -n {HOST} route add default via 192.0.2.20 dev eth0"
    ));
    sh(&format!("ip -n {CTR} route add default via 172.17.0.1"));
    sh(&format!(
        "ip netns exec {HOST} sysctl -qw net.ipv4.ip_forward=1"
    ));
    lab.children.push(listen(CTR, &["80", "5432"]));
    lab.children.push(listen(HOST, &["22", "9999"]));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    lab
}

/// Loads `text` with iptables-restore in the host namespace (`--noflush` when `keep`).
fn load(text: &str, keep: bool) {
    let path = std::env::temp_dir().join("dfwtest-ev-rules");
    std::fs::write(&path, text).unwrap();
    let flag = if keep { "--noflush" } else { "" };
    sh(&format!(
        "ip netns exec {HOST} iptables-restore {flag} < {}",
        path.display()
    ));
}

fn connect(probes: &[(&str, u16)]) -> Vec<String> {
    let args: Vec<String> = probes.iter().map(|(s, p)| format!("{s}:{p}")).collect();
    let out = Command::new("ip")
        .args(["netns", "exec", CLI, "python3", "-c", CLIENT])
        .args(&args)
        .output()
        .expect("python3 client");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
        .collect()
}

fn expected(v: &Verdict) -> &'static str {
    match v {
        Verdict::Accept => "connected",
        Verdict::Reject(_) => "refused",
        Verdict::Drop => "timeout",
        Verdict::Unknown(_) => "unknown",
    }
}

/// Policies added to the fixture: (table, chain, rules).
fn policies() -> Vec<Vec<(TableName, &'static str, &'static str)>> {
    let f = TableName::Filter;
    vec![
        vec![],
        vec![
            (
                f,
                "DOCKER-USER",
                "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
            ),
            (f, "DOCKER-USER", "-i eth0 -s 198.51.100.0/24 -j RETURN"),
            (
                f,
                "DOCKER-USER",
                "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
            ),
            (
                f,
                "DOCKER-USER",
                "-i eth0 -j REJECT --reject-with icmp-port-unreachable",
            ),
        ],
        vec![
            (f, "DOCKER-USER", "-i eth0 -p tcp -m tcp --dport 80 -j DROP"),
            (
                f,
                "INPUT",
                "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            ),
            (
                f,
                "INPUT",
                "-s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j ACCEPT",
            ),
            (
                f,
                "INPUT",
                "-i eth0 -p tcp -m multiport --dports 22,9999 -j DROP",
            ),
        ],
        vec![
            (f, "DOCKER-USER", "-i eth0 -s 192.0.2.0/24 -g LANONLY"),
            (f, "DOCKER-USER", "-i eth0 -j DROP"),
            (
                f,
                "LANONLY",
                "-p tcp -m conntrack --ctorigdstport 5432 -j REJECT",
            ),
        ],
    ]
}

fn with(base: &Ruleset, rules: &[(TableName, &str, &str)]) -> Ruleset {
    let mut rs = base.clone();
    for (t, chain, _) in rules {
        if rs.table(*t).unwrap().chain(chain).is_none() {
            let name = crate::model::ChainName::new(chain).unwrap();
            rs.table_mut(*t).unwrap().add_user_chain(name).unwrap();
        }
    }
    let mut count = std::collections::HashMap::new();
    for (t, chain, r) in rules {
        let n = count.entry((*t, *chain)).or_insert(0usize);
        insert(&mut rs, *t, chain, *n, r);
        *n += 1;
    }
    rs
}

/// The policy as iptables-restore `--noflush` input (new chains declared, rules inserted).
fn policy_text(rules: &[(TableName, &str, &str)], base_text: &str) -> String {
    let mut text = String::new();
    let mut per_table: Vec<(TableName, Vec<String>)> = Vec::new();
    let mut count = std::collections::HashMap::new();
    for (t, chain, r) in rules {
        let n = count.entry((*t, *chain)).or_insert(0usize);
        *n += 1;
        let line = format!("-I {chain} {n} {r}");
        match per_table.iter_mut().find(|(x, _)| x == t) {
            Some((_, v)) => v.push(line),
            None => per_table.push((*t, vec![line])),
        }
    }
    for (t, lines) in per_table {
        text.push_str(&format!("*{}\n", t.as_str()));
        let mut made = Vec::new();
        for (tt, chain, _) in rules {
            if *tt == t && !base_text.contains(&format!(":{chain} ")) && !made.contains(chain) {
                text.push_str(&format!(":{chain} - [0:0]\n"));
                made.push(*chain);
            }
        }
        for l in lines {
            text.push_str(&l);
            text.push('\n');
        }
        text.push_str("COMMIT\n");
    }
    text
}

#[test]
#[ignore = "needs root, iproute2, iptables-nft and python3; creates network namespaces"]
fn kernel_explain_matches_real_connections() {
    let _lab = lab();
    let sources = ["192.0.2.20", "203.0.113.5", "198.51.100.7"];
    let ports = [8080u16, 5432, 22, 9999];
    let probes: Vec<(&str, u16)> = sources
        .iter()
        .flat_map(|s| ports.iter().map(move |p| (*s, *p)))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    for name in ["docker-27.v4", "docker-29.v4"] {
        let text = fixture(name);
        let base = ruleset(Family::Ipv4, &text);
        for policy in policies() {
            let rs = with(&base, &policy);
            load(&text, false);
            load(&policy_text(&policy, &text), true);
            let got = connect(&probes);
            assert_eq!(got.len(), probes.len(), "client output");
            for ((src, port), real) in probes.iter().zip(&got) {
                let p = Packet::tcp_syn("eth0", ip(src), ip("192.0.2.10"), *port);
                let t = explain(&rs, &p, &docker_host()).unwrap();
                assert_eq!(
                    expected(&t.verdict),
                    real,
                    "{name} {policy:?}: {src} -> {port}: explain says {}",
                    t.verdict
                );
                seen.push(real.clone());
            }
        }
    }
    assert_eq!(seen.len(), 2 * 4 * 12);
    for outcome in ["connected", "refused", "timeout"] {
        let n = seen.iter().filter(|s| *s == outcome).count();
        assert!(n > 0, "no probe ended {outcome}");
    }
}
