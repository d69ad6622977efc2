//! `dfw-cli audit` and `dfw-cli explain` against the kernel: a simulated Docker host
//! (`DockerHost::start_named`) with Docker 29's rules (both families) and a small policy
//! loaded by the real `iptables-restore` inside it, examined with `dfw-cli --netns NAME`.
//! Checks the text output, every field of the `dfw.audit/1` JSON document, and explain's
//! trace (rules, jumps, DNAT, routing, verdict). Without root they print `SKIPPED` and pass,
//! unless `DFW_REQUIRE_KERNEL=1`.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use dfw_netlink::sim::DockerHost;
use dfw_netlink::transport::testkit::kernel_gate;
use serde_json::Value;

use crate::support::{testdata, unique, BIN};

const POLICY_V4: &str = "*filter
-I DOCKER-USER 1 -i eth0 -s 198.51.100.0/24 -j RETURN
-I DOCKER-USER 2 -i eth0 -j DROP
-A INPUT -i eth0 -p tcp -m tcp --dport 22 -j DROP
COMMIT
";

fn fixture(name: &str) -> String {
    let path = testdata(&format!("docker/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `ip netns exec NS PROGRAM ARGS < stdin`, which must succeed.
fn restore(ns: &str, program: &str, args: &[&str], stdin: &str) {
    let mut c = Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ip netns exec");
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// dfw-cli run with `--netns NS`.
fn cli_in(ns: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(["--netns", ns])
        .args(args)
        .output()
        .expect("dfw-cli")
}

/// Standard output, whatever the exit code.
fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The standard output of a run that must have succeeded.
fn succeeded(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The simulated host named `name` with Docker 29's rules and the policy loaded.
fn docker_host(name: &str) -> DockerHost {
    let h = DockerHost::start_named(name).expect("simulated host");
    restore(name, "iptables-restore", &[], &fixture("docker-29.v4"));
    restore(name, "ip6tables-restore", &[], &fixture("docker-29.v6"));
    restore(name, "iptables-restore", &["--noflush"], POLICY_V4);
    h
}

fn published<'a>(family: &'a Value, port: &str) -> &'a Value {
    family["published"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["host_ports"][0] == port)
        .unwrap_or_else(|| panic!("no published {port} in {family}"))
}

fn host_port(family: &Value, port: u64) -> &Value {
    family["host_ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == port && p["proto"] == "tcp")
        .unwrap_or_else(|| panic!("no host port {port} in {family}"))
}

#[test]
fn kernel_cli_audit_reports_reach_in_text_and_json() {
    if !kernel_gate("kernel_cli_audit_reports_reach_in_text_and_json") {
        return;
    }
    let name = unique("cli-audit");
    let ns = name.as_str();
    let h = docker_host(ns);

    let text = succeeded(&cli_in(ns, &["audit"]));
    println!("{text}");
    for want in [
        "IPv4 (external: eth0)",
        "tcp 8080 -> 172.17.0.2:80",
        "published by nat DOCKER #1: ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
        "eth0: only 198.51.100.0/24",
        "decided by rule filter DOCKER-USER #2: -i eth0 -j DROP",
        "tcp 22\n    eth0: nobody\n      decided by rule filter INPUT #1: -i eth0 -p tcp -m tcp --dport 22 -j DROP",
        "IPv6 (external: eth0)",
        "tcp 8080 -> [fd00:dead:beef::2]:80",
    ] {
        assert!(text.contains(want), "missing {want:?}");
    }

    let json: Value = serde_json::from_str(&succeeded(&cli_in(ns, &["audit", "--json"]))).unwrap();
    assert_eq!(json["schema"], "dfw.audit/1");
    let fams = json["families"].as_array().unwrap();
    assert_eq!(fams.len(), 2);
    let v4 = &fams[0];
    assert_eq!(v4["family"], "ipv4");
    assert_eq!(v4["externals"], serde_json::json!(["eth0"]));
    assert!(v4["error"].is_null());
    let web = published(v4, "8080");
    assert_eq!(web["proto"], "tcp");
    assert_eq!(web["to"], "172.17.0.2:80");
    assert!(web["host_addr"].is_null());
    assert_eq!(web["rule"]["table"], "nat");
    assert_eq!(web["rule"]["chain"], "DOCKER");
    assert_eq!(web["rule"]["number"], 1);
    assert!(web["rule"]["text"]
        .as_str()
        .unwrap()
        .contains("--dport 8080"));
    let e = &web["exposure"][0];
    assert_eq!(e["iface"], "eth0");
    assert_eq!(e["reach"], "sources");
    assert_eq!(
        e["sources"],
        serde_json::json!([{"kind": "network", "value": "198.51.100.0/24"}])
    );
    assert!(e["unknown_reason"].is_null());
    assert_eq!(e["decided_by"]["kind"], "rule");
    assert_eq!(e["decided_by"]["rule"]["chain"], "DOCKER-USER");
    assert_eq!(e["decided_by"]["rule"]["number"], 2);
    let probes = e["probes"].as_array().unwrap();
    assert_eq!(probes[0]["source"]["kind"], "outside");
    assert_eq!(probes[0]["verdict"], "drop");
    assert_eq!(probes[0]["reaches"], false);
    let fields = [
        "source",
        "addr",
        "verdict",
        "reject_with",
        "unknown_reason",
        "reaches",
        "decided_by",
        "dnat",
    ];
    for p in probes {
        for f in fields {
            assert!(p.get(f).is_some(), "probe field {f} missing: {p}");
        }
    }
    let white = probes
        .iter()
        .find(|p| p["source"]["value"] == "198.51.100.0/24")
        .expect("whitelist probe");
    assert_eq!(white["verdict"], "accept");
    assert_eq!(white["reaches"], true);
    assert_eq!(white["dnat"]["dst"], "172.17.0.2");
    assert_eq!(white["dnat"]["port"], 80);
    assert_eq!(white["dnat"]["rule"]["chain"], "DOCKER");
    let ssh = host_port(v4, 22);
    assert_eq!(ssh["unnamed"], false);
    assert_eq!(ssh["exposure"][0]["reach"], "nobody");
    assert_eq!(ssh["exposure"][0]["decided_by"]["rule"]["chain"], "INPUT");
    let any = v4["host_ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["unnamed"] == true)
        .expect("unnamed port");
    assert_eq!(any["exposure"][0]["reach"], "everyone");
    assert_eq!(any["exposure"][0]["decided_by"]["kind"], "policy");
    assert_eq!(any["exposure"][0]["decided_by"]["policy"], "ACCEPT");

    let v6 = &fams[1];
    assert_eq!(v6["family"], "ipv6");
    let web6 = published(v6, "8080");
    assert_eq!(web6["to"], "[fd00:dead:beef::2]:80");
    let reach6 = web6["exposure"][0]["reach"].as_str().unwrap();
    assert!(reach6.starts_with("everyone"), "{reach6}");

    let named = succeeded(&cli_in(ns, &["audit", "--json", "--external", "eth1"]));
    let json: Value = serde_json::from_str(&named).unwrap();
    assert_eq!(
        json["families"][0]["externals"],
        serde_json::json!(["eth1"])
    );
    let bad = cli_in(ns, &["audit", "--external", "eth9"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("eth9"));
    h.shutdown().unwrap();
}

#[test]
fn kernel_cli_explain_prints_the_path_and_verdict() {
    if !kernel_gate("kernel_cli_explain_prints_the_path_and_verdict") {
        return;
    }
    let name = unique("cli-explain");
    let ns = name.as_str();
    let h = docker_host(ns);
    let args = ["explain", "--in", "eth0", "--src", "198.51.100.7"];
    let accepted = cli_in(ns, &[&args[..], &["--dst-port", "8080"]].concat());
    assert_eq!(accepted.status.code(), Some(0), "{accepted:?}");
    let ok = succeeded(&accepted);
    println!("{ok}");
    for want in [
        "packet: tcp 198.51.100.7 -> 203.0.113.1 port 8080 in eth0",
        "raw PREROUTING:",
        "nat PREROUTING:",
        "  -> jump to nat DOCKER",
        "DNAT by nat DOCKER #1: destination now 172.17.0.2 port 80",
        "routing: forward out of docker0 (FORWARD path)",
        "  -> jump to filter DOCKER-USER",
        "  #1 -s 198.51.100.0/24 -i eth0 -j RETURN: matched",
        "  <- return to filter FORWARD",
        "verdict: ACCEPT",
    ] {
        assert!(ok.contains(want), "missing {want:?}");
    }

    let dropped = cli_in(
        ns,
        &[
            "explain",
            "--in",
            "eth0",
            "--src",
            "192.0.2.50",
            "--dst-port",
            "8080",
        ],
    );
    // Not accepted: exit 4.
    assert_eq!(dropped.status.code(), Some(4), "{dropped:?}");
    let drop = text(&dropped);
    let j = cli_in(
        ns,
        &[
            "explain",
            "--in",
            "eth0",
            "--src",
            "192.0.2.50",
            "--dst-port",
            "8080",
            "--json",
        ],
    );
    assert_eq!(j.status.code(), Some(4), "{j:?}");
    let doc: Value = serde_json::from_str(&text(&j)).unwrap();
    assert_eq!(doc["schema"], "dfw.explain/1");
    assert_eq!(doc["verdict"], "drop");
    assert_eq!(doc["decided_by"]["rule"]["text"], "-i eth0 -j DROP");
    assert!(drop.contains("  #1 -s 198.51.100.0/24 -i eth0 -j RETURN: not matched"));
    assert!(drop.contains("verdict: DROP"));
    assert!(drop.contains("decided by rule filter DOCKER-USER #2: -i eth0 -j DROP"));

    let udp = succeeded(&cli_in(
        ns,
        &[&args[..], &["--dst-port", "5353", "--proto", "udp"]].concat(),
    ));
    assert!(udp.contains("packet: udp 198.51.100.7 -> 203.0.113.1 port 5353"));
    assert!(udp.contains("destination now 172.17.0.3 port 53"));

    let local = succeeded(&cli_in(
        ns,
        &[
            "explain",
            "--in",
            "eth1",
            "--src",
            "192.168.1.10",
            "--dst-port",
            "22",
        ],
    ));
    assert!(local.contains("-> 192.168.1.1 port 22"));
    assert!(local.contains("routing: local (INPUT path)"));
    assert!(local.contains("verdict: ACCEPT"));

    let v6 = succeeded(&cli_in(
        ns,
        &[
            "explain",
            "--in",
            "eth0",
            "--src",
            "3fff::7",
            "--dst-port",
            "8080",
        ],
    ));
    assert!(v6.contains("-> 2001:db8:1::1 port 8080"));
    assert!(v6.contains("destination now fd00:dead:beef::2 port 80"));
    assert!(v6.contains("verdict: ACCEPT"));

    let to = cli_in(
        ns,
        &[&args[..], &["--dst-port", "22", "--dst", "203.0.113.1"]].concat(),
    );
    assert_eq!(to.status.code(), Some(4), "{to:?}");
    assert!(text(&to).contains("verdict: DROP"));

    let bad = cli_in(
        ns,
        &[
            "explain",
            "--in",
            "nosuch0",
            "--src",
            "192.0.2.1",
            "--dst-port",
            "1",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("nosuch0"));

    // A rule on the source port, which a new connection's description does not give: DROP
    // or on to ACCEPT, undecidable: exit 5.
    restore(
        ns,
        "iptables-restore",
        &["--noflush"],
        "*filter\n-I DOCKER-USER 1 -i eth0 -p tcp --sport 40000 -j DROP\nCOMMIT\n",
    );
    let unknown = cli_in(ns, &[&args[..], &["--dst-port", "8080"]].concat());
    assert_eq!(unknown.status.code(), Some(5), "{unknown:?}");
    assert!(text(&unknown).contains("verdict: UNKNOWN"), "{unknown:?}");
    h.shutdown().unwrap();
}
