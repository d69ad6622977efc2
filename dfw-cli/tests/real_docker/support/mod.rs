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
