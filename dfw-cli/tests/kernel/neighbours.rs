//! `dfw-cli` next to rules it cannot decode (a neighbour's `-m u32` and `-m string`, which no
//! dfw version decodes) in DOCKER-USER and INPUT of a simulated Docker host: `commit`,
//! `status`, `plan`, `audit`, `explain` and `rollback` all work; the neighbours' rules stay
//! byte for byte (as `iptables-save` prints them); the audit and explain say "unknown" only
//! where such a rule can change the verdict, naming it, and stay certain everywhere else.

use std::path::Path;
use std::process::{Command, Output};

use dfw_netlink::sim::DockerHost;
use dfw_netlink::transport::testkit::{kernel_gate, run_cmd};

use crate::support::{docker_29_files, state, stderr, stdout, unique, Scratch};

const POLICY: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp", "22/tcp"]
"#;

/// The neighbours' rules: `iptables` arguments per family.
const NEIGHBOURS: &[(&str, &str)] = &[
    // A TCP SYN check dfw cannot decode, after dfw's jump in DOCKER-USER.
    (
        "iptables",
        "-A DOCKER-USER -p tcp -m u32 --u32 '0>>22&0x3C@12>>26&0x3F=0x02' -j DROP",
    ),
    // UDP only: its known conditions exclude every TCP packet.
    (
        "iptables",
        "-A INPUT -p udp -m string --algo bm --string EVIL -j DROP",
    ),
    (
        "ip6tables",
        "-A DOCKER-USER -m string --algo bm --string EVIL -j DROP",
    ),
];

/// `ip netns exec NS sh -c LINE`, its output; panics when it fails.
fn sh(ns: &str, line: &str) -> String {
    run_cmd("ip", &["netns", "exec", ns, "sh", "-c", line]).unwrap()
}

/// dfw-cli (the one under test) with `--netns NS`, and `--state-dir DIR` when given.
fn cli(ns: &str, args: &[&str], dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(state::bin());
    cmd.arg("--netns").arg(ns).args(args);
    if let Some(d) = dir {
        cmd.arg("--state-dir").arg(d);
    }
    cmd.env("SSH_CONNECTION", "").output().unwrap()
}

/// `iptables-save` and `ip6tables-save` in `ns` without comment lines, counters and dfw's
/// lines: the neighbours' (and Docker's) rules.
fn others(ns: &str) -> String {
    let mut out = String::new();
    for prog in ["iptables-save", "ip6tables-save"] {
        for l in sh(ns, prog).lines() {
            if l.starts_with('#') || l.contains("DFW-") {
                continue;
            }
            let l = match l.split_once(" [") {
                Some((head, _)) if l.starts_with(':') => head,
                _ => l,
            };
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

fn ok(what: &str, o: &Output) -> String {
    assert!(o.status.success(), "{what}: {o:?}\n{}", stderr(o));
    stdout(o)
}

#[test]
fn kernel_cli_next_to_rules_dfw_cannot_decode() {
    let test = "kernel_cli_neighbours";
    if !kernel_gate(test) {
        return;
    }
    let name = unique("nb");
    let ns = name.as_str();
    let _host = DockerHost::start_named(ns).expect("simulated host");
    for (tool, path) in docker_29_files() {
        sh(ns, &format!("{tool} {path}"));
    }
    for (prog, rule) in NEIGHBOURS {
        sh(ns, &format!("{prog} {rule}"));
    }
    let scratch = Scratch::new("nb");
    let c = scratch.write("dfw.toml", POLICY);
    let c = c.as_str();
    let state = scratch.state();
    let dir = Some(state.as_path());
    let before = others(ns);

    let commit = ok("commit", &cli(ns, &["commit", "-c", c], dir));
    assert!(commit.contains("IPv4: "), "{commit}");
    let status = cli(ns, &["status", "-c", c], dir);
    assert!(ok("status", &status).contains("in sync"), "{status:?}");
    let plan = cli(ns, &["plan", "-c", c], None);
    assert_eq!(plan.status.code(), Some(0), "{plan:?}");
    let again = ok("second commit", &cli(ns, &["commit", "-c", c], dir));
    assert_eq!(again, "IPv4: nothing to change\nIPv6: nothing to change\n");
    assert_eq!(others(ns), before, "the neighbours' rules changed");
    let save = sh(ns, "iptables-save -t filter");
    let user: Vec<&str> = save
        .lines()
        .filter(|l| l.starts_with("-A DOCKER-USER "))
        .collect();
    assert!(user[0].contains("--comment dfw -j DFW-DOCKER"), "{user:#?}");
    assert!(user[1].contains("-m u32"), "{user:#?}");

    // audit: 8080 is allowed by dfw, then meets the u32 rule: unknown, naming it; 5432 is
    // refused by dfw before it: certain.
    let audit = ok("audit", &cli(ns, &["audit"], None));
    println!("{audit}");
    let v4 = audit.split("IPv6").next().unwrap();
    let web = section(v4, "tcp 8080 ->");
    assert!(
        web.contains("eth0: unknown (filter DOCKER-USER #2: "),
        "8080:\n{web}"
    );
    let db = section(v4, "tcp 5432 ->");
    assert!(db.contains("eth0: nobody"), "5432:\n{db}");
    assert!(!db.contains("unknown"), "5432:\n{db}");

    // explain: the same, one packet each; a TCP packet to the host passes the UDP-only
    // string rule in INPUT with certainty.
    // Exit 0 for ACCEPT, 4 for DROP or REJECT, 5 for an undecided verdict.
    let explain = |port: &str, code: i32| {
        let args = [
            "explain",
            "--in",
            "eth0",
            "--src",
            "192.0.2.50",
            "--dst-port",
            port,
        ];
        let o = cli(ns, &args, None);
        assert_eq!(o.status.code(), Some(code), "explain {port}: {o:?}");
        stdout(&o)
    };
    let web = explain("8080", 5);
    assert!(web.contains("verdict: UNKNOWN"), "{web}");
    assert!(web.contains("filter DOCKER-USER #2"), "{web}");
    let db = explain("5432", 4);
    assert!(!db.contains("UNKNOWN"), "{db}");
    let ssh = explain("22", 0);
    assert!(ssh.contains("verdict: ACCEPT"), "{ssh}");

    let rollback = cli(ns, &["rollback"], dir);
    ok("rollback", &rollback);
    assert_eq!(others(ns), before, "the neighbours' rules changed");
}

/// The lines of `text` from the one starting with `head` (after spaces) to the next line as
/// little indented.
fn section<'a>(text: &'a str, head: &str) -> &'a str {
    let start = text
        .find(head)
        .unwrap_or_else(|| panic!("no {head:?} in:\n{text}"));
    let indent = text[..start].rsplit('\n').next().unwrap_or("").len();
    let rest = &text[start..];
    let mut end = rest.len();
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if i > 0 && line.len() - line.trim_start().len() <= indent && !line.trim().is_empty() {
            end = offset;
            break;
        }
        offset += line.len();
    }
    &rest[..end]
}
