//! Root-only oracle test: the real iptables-restore 1.8 (nf_tables) accepts what the compiler
//! makes, and iptables-save prints it back identically. Runs ONLY inside a private network
//! namespace (`unshare -n`), never touching the machine's own ruleset. Skipped, with a note,
//! when not root or when iptables/unshare are missing; fails instead with `DFW_REQUIRE_KERNEL=1`.

use crate::support;

use std::io::Write;
use std::process::{Command, Stdio};

use dfw_core::model::{Family, Iface};
use dfw_core::policy::Policy;
use support::golden::{GOLDEN_V4, GOLDEN_V6};

fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when the oracle can run here; prints why not otherwise.
fn oracle_available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let tools = have("iptables-restore", "--version") && have("unshare", "--version");
    if !(root && tools) {
        assert!(
            std::env::var_os("DFW_REQUIRE_KERNEL").is_none_or(|v| v != "1"),
            "DFW_REQUIRE_KERNEL=1 but this test cannot run: needs root, iptables-restore and unshare (root={root})"
        );
        eprintln!("skipped: needs root, iptables-restore and unshare (root={root})");
    }
    root && tools
}

/// Restores `text` in a fresh network namespace and returns iptables-save's filter table,
/// without comment lines and built-in chain lines (iptables-restore adds those it lacks).
fn restore_and_save(family: Family, text: &str) -> String {
    let (restore, save) = match family {
        Family::Ipv4 => ("iptables-restore", "iptables-save"),
        Family::Ipv6 => ("ip6tables-restore", "ip6tables-save"),
    };
    let mut child = Command::new("unshare")
        .args(["-n", "sh", "-c", &format!("{restore} && {save} -t filter")])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("unshare runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(text.as_bytes())
        .expect("write ruleset");
    let out = child.wait_with_output().expect("unshare finishes");
    assert!(
        out.status.success(),
        "{restore} refused:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    strip(&String::from_utf8_lossy(&out.stdout))
}

fn strip(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            ![":INPUT ", ":FORWARD ", ":OUTPUT "]
                .iter()
                .any(|b| l.starts_with(b))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn root_oracle_iptables_round_trips_the_goldens() {
    if !oracle_available() {
        return;
    }
    assert_eq!(restore_and_save(Family::Ipv4, GOLDEN_V4), strip(GOLDEN_V4));
    assert_eq!(restore_and_save(Family::Ipv6, GOLDEN_V6), strip(GOLDEN_V6));
}

#[test]
fn root_oracle_iptables_round_trips_every_feature() {
    if !oracle_available() {
        return;
    }
    let config = r#"
        [interfaces]
        external = ["eth0", "wan+"]
        [policy]
        default = "drop"
        host = true
        ping = false
        [[allow]]
        comment = "web \"front\" door"
        ports = ["80", "443/tcp", "60000-61000/udp"]
        from = ["2001:db8::1-2001:db8::ff", "2001:db8:2::/48"]
        to = "2001:db8::/64"
        [[allow]]
        ports = [22]
        to = "203.0.113.0/29"
        [whitelist]
        sources = ["198.51.100.1-198.51.100.9"]
        [lan]
        networks = ["10.0.0.0/8", "fd00::/8"]
        [[forward]]
        in = "br-lan"
        out = "wan+"
    "#;
    let p = Policy::from_toml(config, "every.toml").unwrap();
    let compiled = p.compile(p.named_external().unwrap_or(&[] as &[Iface]));
    let [v4, v6] = compiled.to_rulesets().unwrap();
    for (family, rs) in [(Family::Ipv4, v4), (Family::Ipv6, v6)] {
        let text = support::print(&rs);
        assert_eq!(restore_and_save(family, &text), strip(&text), "{family}");
    }
}
