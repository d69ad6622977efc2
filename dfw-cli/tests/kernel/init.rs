//! `dfw-cli init`, and the container names of `audit`, `explain` and `init`, against the kernel:
//! a simulated Docker host (Docker 29's rules, a hand-written IPv4 restriction on 8080) and a
//! fake Docker API on a Unix socket (`DOCKER_HOST`) serving a response captured from a real
//! Docker 28 daemon. init's policy loads without warning, names the containers, keeps every
//! published port's reach exactly as it was once committed, and refuses a port published
//! afterwards; it never overwrites a file without `--force`. Without the API, everything
//! works the same, without names.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use dfw_netlink::sim::DockerHost;
use dfw_netlink::transport::testkit::kernel_gate;
use serde_json::Value;

use crate::support::{stdout, unique, Scratch, BIN};
/// Captured from Debian unstable's dockerd 28 by the real-Docker suite: web publishes
/// 8080/tcp, db 9000/tcp and 5353/udp, admin 6000/tcp.
const CAPTURE: &[u8] = include_bytes!("../../../dfw-docker/tests/captures/docker-sid-default.http");

const POLICY_V4: &str = "*filter
-I DOCKER-USER 1 -i eth0 -s 198.51.100.0/24 -j RETURN
-I DOCKER-USER 2 -i eth0 -j DROP
COMMIT
";

fn fixture(name: &str) -> String {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `ip netns exec NS PROGRAM ARGS < stdin`, which must succeed.
fn exec(ns: &str, program: &str, args: &[&str], stdin: &str) {
    let mut c = Command::new("ip")
        .args(["netns", "exec", ns, program])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = c.wait_with_output().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
}

/// A fake Docker API in `dir` serving the capture to every connection; its socket's path.
fn fake_api(dir: &Scratch) -> PathBuf {
    let path = dir.path("docker.sock");
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            let mut r = BufReader::new(s);
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) && !line.ends_with("\r\n\r\n") {}
            let _ = r.get_mut().write_all(CAPTURE);
        }
    });
    path
}

/// dfw-cli in the namespace `ns`, its state directory in `tmp`, the API socket `api`.
fn cli(ns: &str, tmp: &Scratch, api: Option<&PathBuf>, args: &[&str]) -> Output {
    let mut c = Command::new(BIN);
    c.args(["--netns", ns]).args(args).env("SSH_CONNECTION", "");
    c.env("DFW_STATE_DIR", tmp.state());
    match api {
        Some(p) => c.env("DOCKER_HOST", format!("unix://{}", p.display())),
        None => c.env_remove("DOCKER_HOST"),
    };
    c.output().unwrap()
}

/// Each published port of the audit document: (family, proto, port) -> (reach per
/// interface, container).
fn reach(doc: &Value) -> Vec<(String, String, String, String, Value)> {
    let mut out = Vec::new();
    for f in doc["families"].as_array().unwrap() {
        for p in f["published"].as_array().unwrap() {
            let r: Vec<String> = p["exposure"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| format!("{} {} {}", e["iface"], e["reach"], e["sources"]))
                .collect();
            out.push((
                f["family"].to_string(),
                p["proto"].to_string(),
                p["host_ports"].to_string(),
                r.join("; "),
                p["container"].clone(),
            ));
        }
    }
    out
}

fn audit(ns: &str, tmp: &Scratch, api: Option<&PathBuf>) -> Value {
    let o = cli(ns, tmp, api, &["audit", "--json"]);
    assert!(o.status.success(), "{o:?}");
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn kernel_cli_names_from_the_docker_api() {
    if !kernel_gate("kernel_cli_names_from_the_docker_api") {
        return;
    }
    let name = unique("cli-names");
    let ns = name.as_str();
    let tmp = Scratch::new("names");
    let h = DockerHost::start_named(ns).expect("simulated host");
    exec(ns, "iptables-restore", &[], &fixture("docker-29.v4"));
    exec(ns, "ip6tables-restore", &[], &fixture("docker-29.v6"));
    let api = fake_api(&tmp);
    let text = stdout(&cli(ns, &tmp, Some(&api), &["audit"]));
    assert!(
        text.contains("tcp 8080 -> 172.17.0.2:80 (container web)\n"),
        "{text}"
    );
    assert!(
        text.contains("udp 5353 -> 172.17.0.3:53 (container db)\n"),
        "{text}"
    );
    // The capture publishes no 5432: no name.
    assert!(text.contains("tcp 5432 -> 172.17.0.3:5432\n"), "{text}");
    let named = reach(&audit(ns, &tmp, Some(&api)));
    assert!(
        named.iter().any(|p| p.2 == "[\"8080\"]" && p.4 == "web"),
        "{named:?}"
    );
    // Without the API: the same audit, no names.
    let plain = reach(&audit(ns, &tmp, None));
    assert!(plain.iter().all(|p| p.4.is_null()), "{plain:?}");
    let strip = |v: Vec<(String, String, String, String, Value)>| -> Vec<_> {
        v.into_iter().map(|p| (p.0, p.1, p.2, p.3)).collect()
    };
    assert_eq!(strip(named), strip(plain));
    let args = [
        "explain",
        "--in",
        "eth0",
        "--src",
        "198.51.100.7",
        "--dst-port",
        "8080",
    ];
    let e = cli(ns, &tmp, Some(&api), &args);
    assert!(stdout(&e).contains("published by container web\n"), "{e:?}");
    let mut j = args.to_vec();
    j.push("--json");
    let doc: Value = serde_json::from_str(&stdout(&cli(ns, &tmp, Some(&api), &j))).unwrap();
    assert_eq!(doc["container"], "web");
    let doc: Value = serde_json::from_str(&stdout(&cli(ns, &tmp, None, &j))).unwrap();
    assert!(doc["container"].is_null());
    // A socket that is there but answers nothing useful: one line, and the command goes on.
    let bad = tmp.path("not-a-socket");
    std::fs::write(&bad, "not a socket").unwrap();
    let o = cli(ns, &tmp, Some(&bad), &["audit"]);
    assert!(o.status.success(), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("dfw-cli audit: container names unavailable: "),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    h.shutdown().unwrap();
}

#[test]
fn kernel_cli_init_keeps_todays_reach_and_closes_later_ports() {
    if !kernel_gate("kernel_cli_init_keeps_todays_reach_and_closes_later_ports") {
        return;
    }
    let name = unique("cli-init");
    let ns = name.as_str();
    let tmp = Scratch::new("init");
    let h = DockerHost::start_named(ns).expect("simulated host");
    exec(ns, "iptables-restore", &[], &fixture("docker-29.v4"));
    exec(ns, "ip6tables-restore", &[], &fixture("docker-29.v6"));
    exec(ns, "iptables-restore", &["--noflush"], POLICY_V4);
    let api = fake_api(&tmp);
    let before = audit(ns, &tmp, Some(&api));

    let printed = cli(ns, &tmp, Some(&api), &["init", "-o", "-"]);
    assert!(printed.status.success(), "{printed:?}");
    let text = stdout(&printed);
    println!("{text}");
    for want in [
        "external = [\"eth0\"]",
        "#   SSH: not run from an SSH session; port 22 assumed",
        "host = false",
        "# 8080/tcp (container web): reachable today: IPv4 only 198.51.100.0/24; IPv6 everyone",
        "from = [\"198.51.100.0/24\", \"::/0\"]\nallow_everyone = true\ncomment = \"web\"",
        "ports = [\"5353/udp\"]\nfrom = [\"198.51.100.0/24\"]\ncomment = \"db\"",
        "# 5432/tcp: reachable today: IPv4 only 198.51.100.0/24.\n",
    ] {
        assert!(text.contains(want), "missing {want:?}:\n{text}");
    }
    let file = tmp.path("etc/dfw.toml");
    let f = file.to_str().unwrap();
    let o = cli(ns, &tmp, Some(&api), &["init", "-o", f]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    // Loads in `show` without a warning.
    let show = Command::new(BIN)
        .args(["--netns", ns, "show", "-c", f])
        .output()
        .unwrap();
    assert!(show.status.success() && show.stderr.is_empty(), "{show:?}");
    // Never over an existing file without --force.
    std::fs::write(&file, "# mine\n").unwrap();
    let o = cli(ns, &tmp, Some(&api), &["init", "-o", f]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("exists: not overwritten"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "# mine\n");
    let o = cli(ns, &tmp, Some(&api), &["init", "-o", f, "--force"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);

    // Committed: every published port reaches exactly whom it reached.
    let c = cli(ns, &tmp, Some(&api), &["commit", "-c", f]);
    assert!(c.status.success(), "{c:?}");
    let after = audit(ns, &tmp, Some(&api));
    assert_eq!(reach(&after), reach(&before));

    // A port published afterwards is refused from outside, over both families.
    exec(
        ns,
        "iptables",
        &[
            "-t",
            "nat",
            "-A",
            "DOCKER",
            "!",
            "-i",
            "docker0",
            "-p",
            "tcp",
            "--dport",
            "7777",
            "-j",
            "DNAT",
            "--to-destination",
            "172.17.0.2:80",
        ],
        "",
    );
    let late = [
        "explain",
        "--in",
        "eth0",
        "--src",
        "198.51.100.7",
        "--dst-port",
        "7777",
    ];
    let e = cli(ns, &tmp, None, &late);
    assert_eq!(e.status.code(), Some(4), "{e:?}");
    assert!(
        stdout(&e).contains("decided by rule filter DFW-DOCKER-EXT"),
        "{e:?}"
    );
    // ... while 8080 from the same client is still accepted.
    let ok = [
        "explain",
        "--in",
        "eth0",
        "--src",
        "198.51.100.7",
        "--dst-port",
        "8080",
    ];
    assert_eq!(cli(ns, &tmp, None, &ok).status.code(), Some(0));
    h.shutdown().unwrap();
}
