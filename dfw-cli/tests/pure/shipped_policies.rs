//! Every policy the project ships or shows keeps SSH reachable (issue 14): the commented
//! example `examples/dfw.toml`, the Debian package's conffile `dist/dfw.toml` (installed as
//! /etc/dfw/dfw.toml) and the sample in the README's "Use" section. Each loads, names its
//! external interfaces (as `dfw.service` needs at boot), and the packet-path evaluator accepts
//! a new SSH connection (22/tcp) to the host from a stranger on every external interface, in
//! both families. A policy without the SSH allow is refused by the same check. Pure: no
//! kernel (the demo's kernel test makes the real connection for `examples/dfw.toml`).

use std::net::IpAddr;

use dfw_core::eval::{explain, Host, HostIface, IfaceKind, Packet, Route, Verdict};
use dfw_core::model::{Network, Ruleset};
use dfw_core::policy::Policy;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/..");

/// Sources in no list of any shipped policy (TEST-NET-1, RFC 9637's 3fff::/20), and the
/// host's own addresses.
const STRANGER_V4: &str = "192.0.2.77";
const STRANGER_V6: &str = "3fff::77";
const HOST_V4: &str = "203.0.113.1";
const HOST_V6: &str = "2001:db8:1::1";

fn ip(text: &str) -> IpAddr {
    text.parse().expect(text)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{ROOT}/{path}")).expect(path)
}

/// The first ```toml block of the README's "## Use" section.
fn readme_sample() -> String {
    let readme = read("README.md");
    let use_section = &readme[readme.find("\n## Use\n").expect("README has a Use section")..];
    let start = use_section
        .find("```toml\n")
        .expect("Use has a toml sample")
        + "```toml\n".len();
    let len = use_section[start..].find("```").expect("the sample ends");
    use_section[start..start + len].to_owned()
}

/// A host with loopback and `iface` (the external one) with both families' default routes.
fn host(iface: &str) -> Host {
    let any = |a: &str| Network::with_prefix(ip(a), 0).unwrap();
    Host {
        ifaces: vec![
            HostIface {
                name: "lo".into(),
                kind: IfaceKind::Loopback,
                addrs: vec![(ip("127.0.0.1"), 8), (ip("::1"), 128)],
            },
            HostIface {
                name: iface.into(),
                kind: IfaceKind::External,
                addrs: vec![(ip(HOST_V4), 24), (ip(HOST_V6), 64)],
            },
        ],
        routes: vec![
            Route {
                dest: any("0.0.0.0"),
                iface: iface.into(),
            },
            Route {
                dest: any("::"),
                iface: iface.into(),
            },
        ],
        forwarding: true,
        mark_rules: None,
        sets: Default::default(),
    }
}

/// The verdict for a new SSH connection from a stranger on each external interface of the
/// policy `text`, IPv4 then IPv6 per interface.
fn ssh_verdicts(name: &str, text: &str) -> Vec<(String, Verdict)> {
    let policy = Policy::from_toml(text, name).unwrap_or_else(|e| panic!("{e}"));
    let external = policy
        .named_external()
        .unwrap_or_else(|| panic!("{name}: name the external interfaces (dfw.service at boot)"))
        .to_vec();
    let [v4, v6]: [Ruleset; 2] = policy.compile(&external).to_rulesets().unwrap();
    let mut out = Vec::new();
    for iface in &external {
        // A wildcard (`eth+`) stands for every name it matches: try one.
        let dev = if iface.is_wildcard() {
            format!("{}0", iface.name())
        } else {
            iface.name().to_owned()
        };
        let h = host(&dev);
        for (rules, src, dst) in [(&v4, STRANGER_V4, HOST_V4), (&v6, STRANGER_V6, HOST_V6)] {
            let packet = Packet::tcp_syn(&dev, ip(src), ip(dst), 22);
            let trace = explain(rules, &packet, &h).unwrap();
            out.push((format!("{name}: {src} -> {dst}:22 on {dev}"), trace.verdict));
        }
    }
    assert!(!out.is_empty(), "{name}: no external interface");
    out
}

fn assert_ssh_open(name: &str, text: &str) {
    for (what, verdict) in ssh_verdicts(name, text) {
        assert_eq!(verdict, Verdict::Accept, "{what}");
    }
}

#[test]
fn the_commented_example_keeps_ssh_reachable() {
    assert_ssh_open("examples/dfw.toml", &read("examples/dfw.toml"));
}

#[test]
fn the_package_conffile_keeps_ssh_reachable() {
    assert_ssh_open("dist/dfw.toml", &read("dist/dfw.toml"));
}

#[test]
fn the_readme_sample_keeps_ssh_reachable() {
    assert_ssh_open("README.md", &readme_sample());
}

/// The check itself: the README's sample without its SSH allow locks SSH out.
#[test]
fn a_host_policy_without_the_ssh_allow_is_caught() {
    let sample = readme_sample();
    let without = sample.replace("\"22/tcp\"", "\"2222/tcp\"");
    assert_ne!(sample, without, "the README's sample allows \"22/tcp\"");
    for (what, verdict) in ssh_verdicts("README.md", &without) {
        assert!(matches!(verdict, Verdict::Reject(_)), "{what}: {verdict:?}");
    }
}
