//! `dfw-cli restore` / `save` against the kernel and iptables-nft (each test in its own
//! private network namespace; the binary inherits the test thread's namespace):
//! every shared file restored by the CLI is printed exactly by `iptables-save` and by
//! `dfw-cli save`; errors print `FILE:LINE: line` and change nothing; `--noflush` touches only
//! the chains named; `restore` never forks or executes anything (strace).

use std::process::Command;

use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

use crate::support::{cli, cli_stdin, testdata, without_comments, Netns, Scratch, BIN};

fn files() -> Vec<(String, bool)> {
    [
        "conformance/rules.v4",
        "conformance/rules.v6",
        "docker/docker-27.v4",
        "docker/docker-29.v4",
        "docker/docker-29.v6",
    ]
    .iter()
    .map(|f| (testdata(f), f.ends_with("v6")))
    .collect()
}

fn oracle_save(v6: bool) -> String {
    let tool = if v6 {
        "ip6tables-save"
    } else {
        "iptables-save"
    };
    without_comments(&run_cmd(tool, &[]).unwrap())
}

#[test]
fn kernel_cli_restore_and_save_round_trip_every_shared_file() {
    for (path, v6) in files() {
        kernel_test(&format!("cli restore {path}"), || {
            let text = std::fs::read_to_string(&path).unwrap();
            let mut args = vec!["restore"];
            if v6 {
                args.push("-6");
            }
            args.push(&path);
            let out = cli(&args);
            assert!(out.status.success(), "{path}: {out:?}");
            assert_eq!(oracle_save(v6), text, "{path}");
            let save = cli(if v6 { &["save", "-6"] } else { &["save"] });
            assert!(save.status.success());
            assert_eq!(String::from_utf8(save.stdout).unwrap(), text, "{path}");
            // From stdin, again: nothing to change, still exit 0.
            let again = cli_stdin(&args[..args.len() - 1], &text);
            assert!(again.status.success(), "{path}: {again:?}");
            assert_eq!(oracle_save(v6), text);
        });
    }
}

#[test]
fn kernel_cli_errors_name_the_line_and_change_nothing() {
    kernel_test("kernel_cli_errors", || {
        let conf = testdata("conformance/rules.v4");
        assert!(cli(&["restore", &conf]).status.success());
        let before = oracle_save(false);
        let bad = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n";
        let out = cli_stdin(&["restore"], bad);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("<stdin>:4: -A INPUT -p tcp --dport 99999 -j ACCEPT\n"),
            "{err}"
        );
        let missing = "*filter\n-A INPUT -j ACCEPT\n-A FORWARD -j NO-SUCH-CHAIN\nCOMMIT\n";
        let out = cli_stdin(&["restore", "--noflush"], missing);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.starts_with("<stdin>:3: -A FORWARD -j NO-SUCH-CHAIN\n"),
            "{err}"
        );
        // --test reads and plans, sends nothing.
        let ok = "*filter\n-A INPUT -j ACCEPT\nCOMMIT\n";
        assert!(cli_stdin(&["restore", "--test"], ok).status.success());
        assert_eq!(oracle_save(false), before);
        assert_eq!(cli(&["save", "-t", "nosuch"]).status.code(), Some(1));
    });
}

#[test]
fn kernel_cli_noflush_touches_only_named_chains() {
    kernel_test("kernel_cli_noflush", || {
        let conf = testdata("conformance/rules.v4");
        assert!(cli(&["restore", &conf]).status.success());
        let before = oracle_save(false);
        let input = "*filter\n-A WHITELIST-IP -s 198.51.100.7/32 -j ACCEPT\nCOMMIT\n";
        assert!(cli_stdin(&["restore", "-n"], input).status.success());
        let after = oracle_save(false);
        let want = before.replace(
            "COMMIT\n",
            "-A WHITELIST-IP -s 198.51.100.7/32 -j ACCEPT\nCOMMIT\n",
        );
        assert_eq!(after, want);
        // Without --noflush the named table is replaced: INPUT/FORWARD policies from the
        // declarations, undeclared user chains gone.
        let full =
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
        assert!(cli_stdin(&["restore"], full).status.success());
        assert_eq!(oracle_save(false), full);
        // An empty block empties the table (rules and user chains; policies stay).
        assert!(cli(&["restore", &conf]).status.success());
        assert!(cli_stdin(&["restore"], "*filter\nCOMMIT\n")
            .status
            .success());
        let emptied = oracle_save(false);
        assert!(
            !emptied.contains("-A ") && !emptied.contains(" - [0:0]"),
            "{emptied}"
        );
    });
}

#[test]
fn kernel_cli_restore_never_forks_or_executes() {
    kernel_test("kernel_cli_restore_never_forks", || {
        let conf = testdata("conformance/rules.v4");
        let tmp = Scratch::new("strace");
        let log = tmp.path("strace.log").display().to_string();
        let out = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-e",
                "trace=execve,execveat,fork,vfork,clone,clone3",
                "-o",
                &log,
                BIN,
                "restore",
                &conf,
            ])
            .output()
            .expect("strace is installed");
        assert!(out.status.success(), "{out:?}");
        let trace = std::fs::read_to_string(&log).unwrap();
        // With -f each line starts with the pid.
        let calls: Vec<&str> = trace
            .lines()
            .filter(|l| !l.contains("+++"))
            .map(|l| {
                l.trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim_start()
            })
            .collect();
        assert_eq!(calls.len(), 1, "{trace}");
        assert!(
            calls[0].starts_with("execve(") && calls[0].contains(BIN),
            "{trace}"
        );
        assert_eq!(oracle_save(false), std::fs::read_to_string(&conf).unwrap());
    });
}

#[test]
fn kernel_cli_netns_enters_the_named_namespace() {
    kernel_test("kernel_cli_netns", || {
        let ns = Netns::new("cli");
        let name = ns.name.clone();
        let input = "*filter\n:DFW - [0:0]\n-A DFW -s 203.0.113.9/32 -j DROP\nCOMMIT\n";
        let out = cli_stdin(&["--netns", &name, "restore", "-n"], input);
        assert!(out.status.success(), "{out:?}");
        let there = run_cmd("ip", &["netns", "exec", &name, "iptables-save"]).unwrap();
        assert!(
            there.contains("-A DFW -s 203.0.113.9/32 -j DROP\n"),
            "{there}"
        );
        assert!(
            !oracle_save(false).contains("203.0.113.9"),
            "leaked into the test's netns"
        );
        let saved = cli(&["--netns", &name, "save", "-t", "filter"]);
        assert!(String::from_utf8(saved.stdout)
            .unwrap()
            .contains("-A DFW -s 203.0.113.9/32"));
        let out = cli(&["--netns", "dfwtest-no-such-netns", "save"]);
        assert_eq!(out.status.code(), Some(1));
    });
}

/// A full restore over a table that already holds Docker's chains (user chains with rules
/// jumping to each other) ends exactly where iptables-restore ends: every chain the file does
/// not declare is emptied and deleted in the same batch.
#[test]
fn kernel_cli_full_restore_replaces_dockers_chains_like_iptables_restore() {
    let over = [
        ("docker/docker-29.v4", "conformance/rules.v4", false),
        ("docker/docker-27.v4", "conformance/rules.v4", false),
        ("docker/docker-29.v6", "conformance/rules.v6", true),
    ];
    for (docker, file, v6) in over {
        let (restore, fam) = if v6 {
            ("ip6tables-restore", vec!["-6"])
        } else {
            ("iptables-restore", vec![])
        };
        let expected = kernel_test("full restore over docker (oracle)", || {
            run_cmd(restore, &[&testdata(docker)]).unwrap();
            run_cmd(restore, &[&testdata(file)]).unwrap();
            oracle_save(v6)
        });
        let got = kernel_test("full restore over docker (dfw)", || {
            run_cmd(restore, &[&testdata(docker)]).unwrap();
            let mut args = vec!["restore"];
            args.extend(&fam);
            let path = testdata(file);
            args.push(&path);
            let o = cli(&args);
            assert!(
                o.status.success(),
                "{docker} then {file}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            oracle_save(v6)
        });
        assert_eq!(got, expected, "{docker} then {file}");
    }
}
