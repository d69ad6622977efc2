//! `dfw-cli plan` / `commit` against the kernel (each test in its own private network
//! namespace, which the binary inherits): plan exits 2 with a diff while changes are
//! pending and 0 after commit; commit prints one summary line per family and a second
//! commit changes nothing; Docker's rules stay as they were; `--netns` works.

use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

use crate::support::{docker_29, stdout, without_comments, Netns, Scratch, EXAMPLE};

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
