//! The systemd units in `dist/systemd/` pass `systemd-analyze verify`, with their
//! `ExecStart` binary replaced by the freshly built `dfw-cli` (verify needs it to exist),
//! and keep the orderings the boot depends on. When `systemd-analyze` is not installed the
//! test is skipped, unless `DFW_REQUIRE_KERNEL=1` (CI), where it fails.

use std::path::Path;
use std::process::Command;

use crate::support::{Scratch, BIN};

const UNITS: [&str; 2] = ["dfw.service", "dfw-watch.service"];

fn unit(name: &str) -> String {
    let path = format!("{}/../dist/systemd/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn has_line(text: &str, key: &str, words: &[&str]) -> bool {
    text.lines().any(|l| {
        l.strip_prefix(key)
            .and_then(|v| v.strip_prefix('='))
            .is_some_and(|v| words.iter().all(|w| v.split_whitespace().any(|x| x == *w)))
    })
}

#[test]
fn units_order_boot_as_documented() {
    let boot = unit("dfw.service");
    assert!(has_line(&boot, "Type", &["oneshot"]));
    assert!(has_line(&boot, "RemainAfterExit", &["yes"]));
    assert!(has_line(&boot, "DefaultDependencies", &["no"]));
    assert!(has_line(&boot, "After", &["local-fs.target"]));
    assert!(has_line(
        &boot,
        "Before",
        &["docker.service", "network-pre.target", "sysinit.target"]
    ));
    assert!(has_line(&boot, "Wants", &["network-pre.target"]));
    assert!(has_line(
        &boot,
        "ExecStart",
        &["/usr/local/bin/dfw-cli", "commit"]
    ));
    let watch = unit("dfw-watch.service");
    assert!(has_line(
        &watch,
        "After",
        &["dfw.service", "docker.service"]
    ));
    assert!(has_line(&watch, "Restart", &["on-failure"]));
    assert!(has_line(
        &watch,
        "CapabilityBoundingSet",
        &["CAP_NET_ADMIN"]
    ));
    assert!(has_line(&watch, "NoNewPrivileges", &["yes"]));
    assert!(has_line(
        &watch,
        "ExecStart",
        &["/usr/local/bin/dfw-cli", "watch"]
    ));
}

#[test]
fn systemd_analyze_verify_passes() {
    let found = Command::new("systemd-analyze").arg("--version").output();
    if found.is_err() {
        if std::env::var("DFW_REQUIRE_KERNEL").as_deref() == Ok("1") {
            panic!("systemd-analyze is not installed (.ci/setup installs systemd)");
        }
        println!("SKIPPED systemd_analyze_verify_passes: systemd-analyze not installed");
        return;
    }
    let dir = Scratch::new("units");
    let bin = BIN;
    assert!(Path::new(bin).exists());
    let mut paths = Vec::new();
    for name in UNITS {
        let text = unit(name).replace("/usr/local/bin/dfw-cli", bin);
        let p = dir.path(name);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "systemd-analyze verify: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
