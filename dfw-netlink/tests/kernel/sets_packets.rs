//! Sets and bans with real packets: the simulated Docker host (`dfw_netlink::sim`) with Docker
//! 29's rules, a policy whose whitelist (30 entries) and allow `from` (25 entries) are sets
//! and with a `[blocklist]` (a source, a file), committed by dfw; then bans added and lifted
//! at run time with `sets::bans`, checked with real TCP connections and UDP exchanges from
//! the internet, on the Docker path (published ports) and the host path (INPUT). A reference
//! set another tool manages (`[blocklist] ipsets`, created and filled here with the `ipset`
//! tool, as CrowdSec's bouncer or fail2ban's ipset actions would) blocks on both paths, and
//! what that tool adds or removes applies at once, without a commit.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::support::probes::probe_all;
use crate::support::{load_fixture, Fixture};
use dfw_core::model::Network;
use dfw_core::policy::Policy;
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::sets::bans;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{Check, DockerHost, Probe, Proto};
use dfw_netlink::transport::testkit::{kernel_gate, run_cmd};
use dfw_netlink::transport::NetlinkSocket;
use dfw_netlink::NetlinkTransport;

use Probe::{Open, Refused, TimedOut};

fn policy(block_file: &str) -> Policy {
    let many = |prefix: &str, n: usize, extra: &str| {
        let mut v: Vec<String> = (1..=n).map(|i| format!("\"{prefix}.{i}\"")).collect();
        v.push(format!("\"{extra}\""));
        v.join(", ")
    };
    let text = format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n\
         [[allow]]\nports = [\"8080/tcp\", \"22/tcp\"]\n\
         [[allow]]\nports = [\"5353/udp\"]\nfrom = [{}]\n\
         [whitelist]\nsources = [{}]\n\
         [blocklist]\nsources = [\"{STRANGER2_V4}\"]\nfiles = [\"{block_file}\"]\n",
        many("10.9.9", 24, &IN_RANGE_V4.to_string()),
        many("10.8.8", 29, &WHITELISTED_V4.to_string()),
    );
    Policy::from_toml(&text, "sets.toml").unwrap()
}

type Want = (IpAddr, Proto, u16, Probe);

fn expect(h: &DockerHost, stage: &str, wants: &[Want]) {
    let cases: Vec<(Check, Probe)> = wants
        .iter()
        .map(|&(src, proto, port, want)| {
            let c = Check {
                from: Side::Internet,
                src,
                proto,
                dst: SocketAddr::new(HOST_V4, port),
            };
            (c, want)
        })
        .collect();
    let got = probe_all(h, &cases);
    let wrong: Vec<String> = cases
        .iter()
        .zip(&got)
        .filter(|((_, w), g)| w != *g)
        .map(|((c, w), g)| format!("  {c}: got {g}, want {w}"))
        .collect();
    assert!(wrong.is_empty(), "{stage}:\n{}", wrong.join("\n"));
}

fn in_host<R: Send>(h: &DockerHost, f: impl FnOnce(&mut NetlinkTransport) -> R + Send) -> R {
    h.host()
        .run(|| f(&mut NetlinkTransport::new(NetlinkSocket::open().unwrap())))
        .unwrap()
}

const TCP: Proto = Proto::Tcp;
const UDP: Proto = Proto::Udp;

#[test]
fn kernel_sets_and_bans_with_real_packets() {
    if !kernel_gate("kernel_sets_and_bans_with_real_packets") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker29V4);
    load_fixture(h.host(), Fixture::Docker29V6);
    let dir = std::env::temp_dir().join(format!("dfw-sets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("level1.netset");
    // A FireHOL-style list: the internet gateway's address is blocked.
    std::fs::write(
        &file,
        format!("# firehol_level1\n{INET_GW_V4}/32\n203.0.113.128/25\n"),
    )
    .unwrap();
    let p = policy(file.to_str().unwrap());
    let r = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(r.applied.committed);
    assert_eq!(
        r.sets.created, 4,
        "whitelist4, allow1-4, ban4, ban6: {:?}",
        r.sets
    );
    expect(
        &h,
        "after commit",
        &[
            // Everyone: the web port and the host's ssh.
            (STRANGER_V4, TCP, WEB_PUBLISHED, Open),
            (STRANGER_V4, TCP, HOST_SSH, Open),
            (STRANGER_V4, TCP, DB_PORT, Refused),
            // The whitelist set reaches everything, on both paths.
            (WHITELISTED_V4, TCP, DB_PORT, Open),
            (WHITELISTED_V4, TCP, HOST_APP, Open),
            // The allow's `from` set: the DNS port only.
            (IN_RANGE_V4, UDP, DNS_PUBLISHED, Open),
            (IN_RANGE_V4, TCP, DB_PORT, Refused),
            // The block list (a source, a file entry) drops before anything else.
            (STRANGER2_V4, TCP, WEB_PUBLISHED, TimedOut),
            (STRANGER2_V4, TCP, HOST_SSH, TimedOut),
            (INET_GW_V4, TCP, WEB_PUBLISHED, TimedOut),
        ],
    );
    // A ban: at once, on both paths, for new connections; the others are untouched.
    let stranger = Network::host(STRANGER_V4);
    in_host(&h, |t| {
        bans::ban(t, stranger, Some(Duration::from_secs(3600)))
    })
    .unwrap();
    expect(
        &h,
        "banned",
        &[
            (STRANGER_V4, TCP, WEB_PUBLISHED, TimedOut),
            (STRANGER_V4, TCP, HOST_SSH, TimedOut),
            (WHITELISTED_V4, TCP, WEB_PUBLISHED, Open),
        ],
    );
    let list = in_host(&h, bans::bans).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].net, stranger);
    assert!(
        list[0].expires_in.is_some_and(|s| s > 3000 && s <= 3600),
        "{list:?}"
    );
    // A commit keeps the bans (the ban set is dynamic) and changes nothing.
    let again = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(again.is_noop(), "{:?}", again.sets);
    assert_eq!(in_host(&h, bans::bans).unwrap().len(), 1);
    // Unban: reachable again; a second unban says it was not banned.
    assert!(in_host(&h, |t| bans::unban(t, stranger)).unwrap());
    assert!(!in_host(&h, |t| bans::unban(t, stranger)).unwrap());
    expect(&h, "unbanned", &[(STRANGER_V4, TCP, WEB_PUBLISHED, Open)]);
    // IPv6 bans go to the IPv6 set; a permanent ban has no expiry.
    let v6 = Network::with_prefix(STRANGER_V6, 64).unwrap();
    in_host(&h, |t| bans::ban(t, v6, None)).unwrap();
    let list = in_host(&h, bans::bans).unwrap();
    assert_eq!(
        list.iter()
            .map(|b| (b.net, b.expires_in))
            .collect::<Vec<_>>(),
        [(v6, None)]
    );
    std::fs::remove_dir_all(&dir).unwrap();
    h.shutdown().unwrap();
}

#[test]
fn kernel_reference_ipsets_block_on_both_paths() {
    if !kernel_gate("kernel_reference_ipsets_block_on_both_paths") {
        return;
    }
    let h = DockerHost::start().unwrap();
    load_fixture(h.host(), Fixture::Docker29V4);
    load_fixture(h.host(), Fixture::Docker29V6);
    let ipset = |args: &[&str]| h.host().run(|| run_cmd("ipset", args).unwrap()).unwrap();
    // The other tool's set, as CrowdSec's bouncer creates it.
    ipset(&[
        "create",
        "crowdsec-blacklists",
        "hash:net",
        "family",
        "inet",
        "timeout",
        "0",
    ]);
    ipset(&["add", "crowdsec-blacklists", &format!("{STRANGER2_V4}/32")]);
    let text = "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n\
                [[allow]]\nports = [\"8080/tcp\", \"22/tcp\"]\n\
                [blocklist]\nipsets = [\"crowdsec-blacklists\"]\n";
    let p = Policy::from_toml(text, "crowdsec.toml").unwrap();
    let r = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(r.applied.committed);
    let save = h
        .host()
        .run(|| run_cmd("iptables-save", &[]).unwrap())
        .unwrap();
    assert!(
        save.contains("-m set --match-set crowdsec-blacklists src -j DROP"),
        "{save}"
    );
    expect(
        &h,
        "after commit",
        &[
            (STRANGER2_V4, TCP, WEB_PUBLISHED, TimedOut),
            (STRANGER2_V4, TCP, HOST_SSH, TimedOut),
            (STRANGER_V4, TCP, WEB_PUBLISHED, Open),
            (STRANGER_V4, TCP, HOST_SSH, Open),
        ],
    );
    // The other tool bans and lifts at run time: applied at once, no commit.
    ipset(&[
        "add",
        "crowdsec-blacklists",
        &format!("{STRANGER_V4}/32"),
        "timeout",
        "600",
    ]);
    ipset(&["del", "crowdsec-blacklists", &format!("{STRANGER2_V4}/32")]);
    expect(
        &h,
        "after the other tool's changes",
        &[
            (STRANGER_V4, TCP, WEB_PUBLISHED, TimedOut),
            (STRANGER_V4, TCP, HOST_SSH, TimedOut),
            (STRANGER2_V4, TCP, WEB_PUBLISHED, Open),
            (STRANGER2_V4, TCP, HOST_SSH, Open),
        ],
    );
    // dfw never touches that set: a commit keeps it and its members.
    let again = h
        .host()
        .run(|| enforce::commit_unguarded(&mut Firewall::open().unwrap(), &p))
        .unwrap()
        .unwrap();
    assert!(!again.applied.committed);
    let listed = ipset(&["list", "crowdsec-blacklists"]);
    assert!(
        listed.contains(&format!("{STRANGER_V4} timeout")),
        "{listed}"
    );
    h.shutdown().unwrap();
}
