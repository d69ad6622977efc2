//! The real-Docker suite's support: the daemons from the cache ([`daemons`]), the lab's
//! namespaces ([`lab`]), one dockerd in them ([`dockerd`]), the image and containers
//! ([`image`]), the connection matrix ([`matrix`]), the dfw-cli binary ([`dfw`]) and its
//! audit checked against the connections ([`audit`]).
#![allow(dead_code)]

pub mod audit;
pub mod daemons;
pub mod dfw;
pub mod dockerd;
pub mod image;
pub mod lab;
pub mod matrix;

use dfw_netlink::transport::testkit::run_cmd;

/// Prints a line on the process's standard error directly, so the test harness does not
/// capture it: which daemon versions ran and how long they took show in every CI log.
pub fn announce(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// `iptables-save` and `ip6tables-save` of the namespace, for failure messages.
pub fn rules(netns: &str) -> String {
    let mut out = String::new();
    for tool in ["iptables-save", "ip6tables-save"] {
        match run_cmd("ip", &["netns", "exec", netns, tool]) {
            Ok(t) => out.extend(
                t.lines()
                    .filter(|l| !l.starts_with('#'))
                    .map(|l| format!("{l}\n")),
            ),
            Err(e) => out.push_str(&format!("{tool}: {e}\n")),
        }
    }
    out
}
