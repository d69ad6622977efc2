//! `dfw-cli plan` / `commit` against the kernel (each test in its own private network
//! namespace, which the binary inherits): plan exits 2 with a diff while changes are
//! pending and 0 after commit; commit prints one summary line per family and a second
//! commit changes nothing; Docker's rules stay as they were; `--netns` works.

use std::process::{Command, Output};

use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

const BIN: &str = env!("CARGO_BIN_EXE_dfw-cli");
const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml");

/// Runs the CLI with its state dir (previous states of `commit`) in a per-process temporary
/// directory, never the machine's /var/lib/dfw.
fn cli(args: &[&str]) -> Output {
    let state = std::env::temp_dir().join(format!("dfw-test-state-{}", std::process::id()));
    Command::new(BIN)
        .args(args)
        .env("DFW_STATE_DIR", state)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn docker_29() {
    for (tool, f) in [
        ("iptables-restore", "docker-29.v4"),
        ("ip6tables-restore", "docker-29.v6"),
    ] {
        let path = format!("{}/../testdata/docker/{f}", env!("CARGO_MANIFEST_DIR"));
        run_cmd(tool, &[&path]).unwrap();
    }
}

fn without_dfw(save: &str) -> String {
    save.lines()
        .filter(|l| !l.starts_with('#') && !l.contains("DFW-"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn kernel_cli_plan_commit_plan() {
    kernel_test("kernel_cli_plan_commit_plan", || {
        docker_29();
        let before = run_cmd("iptables-save", &[]).unwrap();
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
        assert_eq!(
            run_cmd("iptables-save", &[]).unwrap(),
            before,
            "plan changed the kernel"
        );

        let commit = cli(&["commit", "-c", EXAMPLE]);
        assert!(commit.status.success(), "{commit:?}");
        let lines: Vec<String> = stdout(&commit).lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with("IPv4: ") && lines[0].contains("rules added"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("IPv6: ") && lines[1].contains("chains created"),
            "{lines:?}"
        );

        let after = run_cmd("iptables-save", &[]).unwrap();
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

#[test]
fn kernel_cli_commit_in_a_named_netns() {
    kernel_test("kernel_cli_commit_in_a_named_netns", || {
        let name = format!("dfwtest-commit-{}", std::process::id());
        run_cmd("ip", &["netns", "add", &name]).unwrap();
        let commit = cli(&["--netns", &name, "commit", "-c", EXAMPLE]);
        let plan = cli(&["--netns", &name, "plan", "-c", EXAMPLE]);
        let inside = run_cmd("ip", &["netns", "exec", &name, "iptables-save"]);
        let here = run_cmd("iptables-save", &[]).unwrap();
        run_cmd("ip", &["netns", "del", &name]).unwrap();
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
        let path = std::env::temp_dir().join(format!("dfw-auto-{}.toml", std::process::id()));
        std::fs::write(&path, "[interfaces]\nexternal = [\"auto\"]\n").unwrap();
        let out = cli(&["show", "-c", path.to_str().unwrap()]);
        let _ = std::fs::remove_file(&path);
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
