//! `dfw-cli demo` end to end (kernel test): the published ports are open to everyone before
//! the commit, only to what `examples/dfw.toml` allows after it; a second commit changes
//! nothing; the namespace it was started from is left without any rule.

use std::process::Command;

use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

use crate::support::BIN;

/// The cells of every table row starting with `label`, in order of appearance.
fn rows(out: &str, label: &str) -> Vec<Vec<String>> {
    out.lines()
        .filter(|l| l.trim_start().starts_with(label))
        .map(|l| {
            l.split_whitespace()
                .rev()
                .take(6)
                .map(str::to_string)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect()
        })
        .collect()
}

#[test]
fn kernel_cli_demo_shows_the_problem_and_the_fix() {
    kernel_test("kernel_cli_demo", || {
        // Every cell of the demo's tables is answered (open or refused), so a long timeout
        // costs nothing and no answer counts as timed out on a busy machine.
        let out = Command::new(BIN)
            .args(["demo", "--timeout-ms", "10000"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let all = |w: &str| vec![w.to_string(); 6];
        let web = rows(&text, "8080/tcp");
        assert_eq!(web.len(), 2, "{text}");
        assert_eq!(web[0], all("open"), "before:\n{text}");
        // stranger, provider (allowed from), in-range (allowed from), whitelist, v6 stranger
        // (the allow's `to` is IPv4), lan.
        let after = ["refused", "open", "open", "open", "refused", "open"];
        assert_eq!(web[1], after.map(String::from).to_vec(), "after:\n{text}");
        let db = rows(&text, "5432/tcp");
        assert_eq!(
            db[0],
            ["open", "open", "open", "open", "-", "open"]
                .map(String::from)
                .to_vec()
        );
        let db_after = ["refused", "refused", "refused", "open", "-", "open"];
        assert_eq!(db[1], db_after.map(String::from).to_vec(), "{text}");
        // The example keeps SSH to the host open to everyone; the host's other ports are
        // filtered (host = true).
        let ssh = rows(&text, "22/tcp");
        assert_eq!(ssh[0], all("open"));
        assert_eq!(ssh[1], all("open"), "{text}");
        let app = rows(&text, "9999/tcp");
        assert_eq!(app[0], all("open"));
        let app_after = ["refused", "refused", "refused", "open", "refused", "open"];
        assert_eq!(app[1], app_after.map(String::from).to_vec(), "{text}");
        assert!(
            text.contains("IPv4: nothing to change\nIPv6: nothing to change\n"),
            "{text}"
        );
        assert!(text
            .lines()
            .any(|l| l.starts_with("IPv4: ") && l.contains("rules added")));
        // Nothing was written where the demo was started.
        assert_eq!(run_cmd("iptables-save", &[]).unwrap(), "");
        assert_eq!(run_cmd("ip6tables-save", &[]).unwrap(), "");
    });
}

/// `dfw-cli demo | head -1`: the reader going away ends the output quietly (before the fix,
/// the next line panicked with "failed printing to stdout").
#[test]
fn kernel_cli_demo_with_a_closed_stdout() {
    kernel_test("kernel_cli_demo_closed_stdout", || {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(BIN)
            .arg("demo")
            .stdout(writer)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{err}");
        assert!(err.is_empty(), "{err}");
    });
}
