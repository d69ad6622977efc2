//! `dfw-cli plan` / `commit` against the kernel (each test in its own private network
//! namespace, which the binary inherits): plan exits 2 with a diff while changes are
//! pending and 0 after commit; commit prints what it changed and one summary line per
//! family, and a second commit changes nothing; Docker's rules stay as they were; `--netns`
//! works; `--json` documents of plan, status, commit and rollback.

use std::process::{Command, Output};

use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

use crate::support::{docker_29, stdout, without_comments, Netns, Scratch, BIN, EXAMPLE};

fn without_dfw(save: &str) -> String {
    save.lines()
        .filter(|l| !l.starts_with('#') && !l.contains("DFW-"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn kernel_cli_plan_commit_plan() {
    kernel_test("kernel_cli_plan_commit_plan", || {
        let tmp = Scratch::new("plan");
        let cli = |args: &[&str]| tmp.cli(args);
        docker_29();
        // Without iptables-save's `#` lines: they carry the time of day, to the second.
        let save = || without_comments(&run_cmd("iptables-save", &[]).unwrap());
        let before = save();
        let plan = cli(&["plan", "-c", EXAMPLE]);
        assert_eq!(plan.status.code(), Some(2), "{plan:?}");
        let text = stdout(&plan);
        assert!(
            text.contains("IPv4 filter DFW-DOCKER-EXT (new chain):"),
            "{text}"
        );
        assert!(
            text.contains("+ -A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"),
            "{text}"
        );
        assert_eq!(save(), before, "plan changed the kernel");
        // `dfw-cli plan | head`: the closed pipe ends the output quietly, the exit code is
        // still plan's.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let closed = Command::new(BIN)
            .args(["plan", "-c", EXAMPLE])
            .stdout(writer)
            .output()
            .unwrap();
        assert_eq!(closed.status.code(), Some(2), "{closed:?}");
        let err = String::from_utf8_lossy(&closed.stderr);
        assert!(!err.contains("panicked"), "{err}");

        let commit = cli(&["commit", "-c", EXAMPLE]);
        assert!(commit.status.success(), "{commit:?}");
        // What it changed (the plan's diff, without the kept rules), then the counts.
        let text = stdout(&commit);
        let lines: Vec<&str> = text.lines().collect();
        let n = lines.len();
        assert!(n > 2, "{lines:?}");
        assert!(
            lines[n - 2].starts_with("IPv4: ") && lines[n - 2].contains("rules added"),
            "{lines:?}"
        );
        assert!(
            lines[n - 1].starts_with("IPv6: ") && lines[n - 1].contains("chains created"),
            "{lines:?}"
        );
        assert!(
            text.contains("IPv4 filter DFW-DOCKER-EXT (new chain):\n"),
            "{text}"
        );
        assert!(
            text.contains("+ -A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER\n"),
            "{text}"
        );
        assert!(
            lines[..n - 2]
                .iter()
                .all(|l| l.starts_with("+ ") || l.ends_with(':')),
            "{text}"
        );

        let after = save();
        assert_eq!(without_dfw(&after), without_dfw(&before));

        let plan = cli(&["plan", "-c", EXAMPLE]);
        assert_eq!(plan.status.code(), Some(0), "{plan:?}");
        let again = cli(&["commit", "-c", EXAMPLE]);
        assert_eq!(
            stdout(&again),
            "IPv4: nothing to change\nIPv6: nothing to change\n"
        );
    });
}

/// `--json` on plan, commit, status and rollback: the documented schemas, the same facts as
/// the text; rollback shows what it changed.
#[test]
fn kernel_cli_json_documents_and_rollback_diff() {
    kernel_test("kernel_cli_json_documents", || {
        let tmp = Scratch::new("json");
        let cli = |args: &[&str]| tmp.cli(args);
        docker_29();
        let json = |o: &Output| -> serde_json::Value {
            serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {o:?}"))
        };
        let plan = cli(&["plan", "-c", EXAMPLE, "--json"]);
        assert_eq!(plan.status.code(), Some(2), "{plan:?}");
        let p = json(&plan);
        assert_eq!(p["schema"], "dfw.plan/1");
        assert_eq!(p["pending"], true);
        assert_eq!(p["external"], serde_json::json!(["eth0"]));
        let status = cli(&["status", "-c", EXAMPLE, "--json"]);
        assert_eq!(status.status.code(), Some(3), "{status:?}");
        let s = json(&status);
        assert_eq!(
            (s["schema"].as_str(), s["in_sync"].as_bool()),
            (Some("dfw.status/1"), Some(false))
        );
        assert!(!s["drift"].as_array().unwrap().is_empty());
        let commit = cli(&["commit", "-c", EXAMPLE, "--json"]);
        assert!(commit.status.success(), "{commit:?}");
        let c = json(&commit);
        assert_eq!(c["schema"], "dfw.commit/1");
        assert_eq!(c["changed"], true);
        assert_eq!(c["confirm"], serde_json::Value::Null);
        // The commit's changes are the plan's, without the kept lines.
        let added = |doc: &serde_json::Value| -> Vec<String> {
            doc["changes"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|ch| ch["lines"].as_array().unwrap().clone())
                .filter(|l| l["op"] != "keep")
                .map(|l| format!("{} {}", l["op"], l["rule"]))
                .collect()
        };
        assert_eq!(added(&c), added(&p));
        let s = json(&cli(&["status", "-c", EXAMPLE, "--json"]));
        assert_eq!(s["in_sync"], true);
        assert_eq!(s["drift"], serde_json::json!([]));
        let again = json(&cli(&["commit", "-c", EXAMPLE, "--json"]));
        assert_eq!(again["changed"], false);
        assert_eq!(again["changes"], serde_json::json!([]));
        // Rollback: back to before the first commit (the second changed nothing, so it saved
        // no new rollback point), printing what it removed.
        let rb = cli(&["rollback"]);
        assert!(rb.status.success(), "{rb:?}");
        let text = stdout(&rb);
        assert!(
            text.contains("- -A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER\n"),
            "{text}"
        );
        assert!(
            text.contains("IPv4 filter DFW-DOCKER-EXT (deleted):\n- -X DFW-DOCKER-EXT\n"),
            "{text}"
        );
        let rb = json(&cli(&["rollback", "--json"]));
        assert_eq!(rb["schema"], "dfw.commit/1");
        assert_eq!(rb["config"], serde_json::Value::Null);
        assert_eq!(rb["changed"], true);
    });
}

#[test]
fn kernel_cli_commit_in_a_named_netns() {
    kernel_test("kernel_cli_commit_in_a_named_netns", || {
        let ns = Netns::new("commit");
        let name = ns.name.as_str();
        let commit = ns.cli(&["commit", "-c", EXAMPLE]);
        let plan = ns.cli(&["plan", "-c", EXAMPLE]);
        let inside = run_cmd("ip", &["netns", "exec", name, "iptables-save"]);
        let here = run_cmd("iptables-save", &[]).unwrap();
        drop(ns);
        assert!(commit.status.success(), "{commit:?}");
        assert_eq!(plan.status.code(), Some(0), "{plan:?}");
        assert!(inside
            .unwrap()
            .contains("-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"));
        assert!(!here.contains("DFW-"), "committed in the wrong namespace");
    });
}

#[test]
fn kernel_cli_show_auto_without_a_default_route_uses_a_placeholder() {
    kernel_test("kernel_cli_show_auto_placeholder", || {
        let tmp = Scratch::new("auto");
        let path = tmp.write("auto.toml", "[interfaces]\nexternal = [\"auto\"]\n");
        let out = tmp.cli(&["show", "-c", &path]);
        assert!(out.status.success(), "{out:?}");
        let text = stdout(&out);
        assert!(
            text.contains("# AUTO stands for the interfaces of the default routes"),
            "{text}"
        );
        assert!(
            text.contains("-A DFW-DOCKER -i AUTO -j DFW-DOCKER-EXT"),
            "{text}"
        );
        assert_eq!(
            run_cmd("iptables-save", &[]).unwrap(),
            "",
            "show touched the kernel"
        );
    });
}
