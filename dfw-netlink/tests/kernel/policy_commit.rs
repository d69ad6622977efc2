//! `enforce::commit_unguarded` of a Docker-host policy against the kernel (each test in its
//! own private network namespace, gated by `kernel_test`), checked with the real iptables-save:
//! creation like Docker on an empty kernel, Docker's rules kept byte for byte, a second
//! commit sends nothing, `"auto"` resolution, and the refusal of a foreign reference.

use dfw_core::model::{Family, Iface};
use dfw_core::policy::Policy;
use dfw_core::syntax::{print_ruleset, PrintOptions};
use dfw_netlink::enforce::{self, read_current, resolve_external, CommitError};
use dfw_netlink::firewall::Firewall;
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::{BatchOutcome, NetlinkTransport, Transport, TransportError};

use crate::support::{load_here, Fixture};

const POLICY: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp", "5353/udp"]
from = ["203.0.113.0/24", "2001:db8:1::/48"]
[whitelist]
sources = ["198.51.100.7", "2001:db8::7"]
[lan]
networks = ["192.168.1.0/24"]
"#;

fn policy() -> Policy {
    Policy::from_toml(POLICY, "test.toml").unwrap()
}

/// iptables-save output without comments and counters.
fn save(family: Family, table: &str) -> Vec<String> {
    let prog = match family {
        Family::Ipv4 => "iptables-save",
        Family::Ipv6 => "ip6tables-save",
    };
    run_cmd(prog, &["-t", table])
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(strip_counters)
        .collect()
}

/// A chain line without its `[packets:bytes]`.
fn strip_counters(l: &str) -> String {
    match l.split_once(" [") {
        Some((head, _)) if l.starts_with(':') => head.to_string(),
        _ => l.to_string(),
    }
}

/// Lines that are dfw's: its chains, their rules, its tagged jumps.
fn is_dfw_line(l: &str) -> bool {
    l.starts_with(":DFW-") || l.starts_with("-A DFW-") || l.contains("--comment dfw -j DFW-")
}

/// What the compiled policy prints as (the `show` text), without comments and counters.
fn compiled_lines(p: &Policy, family: Family) -> Vec<String> {
    let eth0 = Iface::parse("eth0").unwrap();
    let [v4, v6] = p.compile(&[eth0]).to_rulesets().unwrap();
    let rs = if family == Family::Ipv4 { v4 } else { v6 };
    print_ruleset(&rs, PrintOptions::default())
        .lines()
        .filter(|l| is_dfw_line(l))
        .map(strip_counters)
        .collect()
}

#[test]
fn kernel_commit_on_an_empty_kernel_creates_like_docker_and_is_idempotent() {
    kernel_test("kernel_commit_on_an_empty_kernel", || {
        let mut fw = Firewall::open().unwrap();
        let p = policy();
        let plan = enforce::plan(&mut fw, &p).unwrap();
        assert!(!plan.is_empty());
        assert!(plan
            .diff_text()
            .contains("+ -A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"));
        let r = enforce::commit_unguarded(&mut fw, &p).unwrap();
        assert!(!r.is_noop());
        for s in r.summaries() {
            assert!(s.chains_created >= 4, "{s}");
            assert_eq!(s.rules_removed, 0, "{s}");
        }
        for family in [Family::Ipv4, Family::Ipv6] {
            let lines = save(family, "filter");
            assert!(
                lines.contains(&":DOCKER-USER - ".trim_end().to_string())
                    || lines.iter().any(|l| l.starts_with(":DOCKER-USER ")),
                "{lines:?}"
            );
            let fwd: Vec<&String> = lines
                .iter()
                .filter(|l| l.starts_with("-A FORWARD"))
                .collect();
            assert_eq!(fwd, vec!["-A FORWARD -j DOCKER-USER"], "{family}");
            let du: Vec<&String> = lines
                .iter()
                .filter(|l| l.starts_with("-A DOCKER-USER"))
                .collect();
            assert_eq!(
                du,
                vec!["-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"]
            );
            assert!(lines.iter().any(|l| l == ":FORWARD ACCEPT"), "{lines:?}");
            let dfw: Vec<String> = lines.iter().filter(|l| is_dfw_line(l)).cloned().collect();
            assert_eq!(dfw, compiled_lines(&p, family), "{family}");
        }
        let again = enforce::commit_unguarded(&mut fw, &p).unwrap();
        assert!(again.is_noop(), "{:?}", again.summaries());
        assert!(enforce::plan(&mut fw, &p).unwrap().is_empty());
    });
}

fn docker_fixture_kept(files: &[Fixture]) {
    let mut fw = Firewall::open().unwrap();
    for f in files {
        load_here(*f);
    }
    let before: Vec<(Family, Vec<String>, Vec<String>)> = files
        .iter()
        .map(|f| {
            if f.is_v6() {
                Family::Ipv6
            } else {
                Family::Ipv4
            }
        })
        .map(|f| (f, save(f, "filter"), save(f, "nat")))
        .collect();
    let p = policy();
    let r = enforce::commit_unguarded(&mut fw, &p).unwrap();
    assert!(r.applied.committed);
    for (family, filter, nat) in &before {
        let after = save(*family, "filter");
        let kept: Vec<String> = after.iter().filter(|l| !is_dfw_line(l)).cloned().collect();
        assert_eq!(&kept, filter, "{family}: Docker's filter rules changed");
        assert_eq!(&save(*family, "nat"), nat, "{family}: nat changed");
        let du: Vec<&String> = after
            .iter()
            .filter(|l| l.starts_with("-A DOCKER-USER"))
            .collect();
        assert_eq!(
            du[0],
            "-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"
        );
        let dfw: Vec<String> = after.iter().filter(|l| is_dfw_line(l)).cloned().collect();
        assert_eq!(dfw, compiled_lines(&p, *family), "{family}");
    }
    let again = enforce::commit_unguarded(&mut fw, &p).unwrap();
    assert!(again.is_noop(), "{:?}", again.summaries());
}

#[test]
fn kernel_commit_keeps_docker_27_rules() {
    kernel_test("kernel_commit_keeps_docker_27_rules", || {
        docker_fixture_kept(&[Fixture::Docker27V4]);
    });
}

#[test]
fn kernel_commit_keeps_docker_29_rules_both_families() {
    kernel_test("kernel_commit_keeps_docker_29_rules_both_families", || {
        docker_fixture_kept(&[Fixture::Docker29V4, Fixture::Docker29V6]);
    });
}

#[test]
fn kernel_commit_removes_chains_the_policy_dropped() {
    kernel_test("kernel_commit_removes_chains_the_policy_dropped", || {
        let mut fw = Firewall::open().unwrap();
        enforce::commit_unguarded(&mut fw, &policy()).unwrap();
        let no_host = POLICY.replace("host = true", "host = false");
        let p = Policy::from_toml(&no_host, "t.toml").unwrap();
        let r = enforce::commit_unguarded(&mut fw, &p).unwrap();
        for s in r.summaries() {
            assert_eq!(s.chains_deleted, 2, "{s}");
        }
        for family in [Family::Ipv4, Family::Ipv6] {
            let lines = save(family, "filter");
            assert!(!lines.iter().any(|l| l.contains("DFW-INPUT")), "{lines:?}");
            assert!(
                !lines.iter().any(|l| l.starts_with("-A INPUT")),
                "{lines:?}"
            );
        }
        assert!(enforce::commit_unguarded(&mut fw, &p).unwrap().is_noop());
    });
}

#[test]
fn kernel_commit_refuses_to_delete_a_chain_someone_references() {
    kernel_test("kernel_commit_refuses_foreign_reference", || {
        let mut fw = Firewall::open().unwrap();
        enforce::commit_unguarded(&mut fw, &policy()).unwrap();
        run_cmd(
            "iptables",
            &["-A", "DOCKER-USER", "-s", "192.0.2.9", "-j", "DFW-INPUT"],
        )
        .unwrap();
        let no_host = POLICY.replace("host = true", "host = false");
        let p = Policy::from_toml(&no_host, "t.toml").unwrap();
        let before = save(Family::Ipv4, "filter");
        let err = enforce::commit_unguarded(&mut fw, &p).unwrap_err();
        assert!(matches!(err, CommitError::Reconcile(_)), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("DOCKER-USER") && msg.contains("192.0.2.9"),
            "{msg}"
        );
        assert_eq!(save(Family::Ipv4, "filter"), before);
    });
}

#[test]
fn kernel_auto_resolves_the_default_route_interfaces() {
    kernel_test("kernel_auto_resolves_default_routes", || {
        let p = Policy::from_toml("[interfaces]\nexternal = [\"auto\"]\n", "t.toml").unwrap();
        assert!(matches!(
            resolve_external(&p),
            Err(CommitError::NoDefaultRoute)
        ));
        for cmd in [
            "link add wan7 type veth peer name wan7p",
            "link set wan7 up",
            "addr add 192.0.2.2/24 dev wan7",
            "route add default via 192.0.2.1 dev wan7",
        ] {
            run_cmd("ip", &cmd.split(' ').collect::<Vec<_>>()).unwrap();
        }
        let ext = resolve_external(&p).unwrap();
        assert_eq!(ext, vec![Iface::parse("wan7").unwrap()]);
        let mut fw = Firewall::open().unwrap();
        let r = enforce::commit_unguarded(&mut fw, &p).unwrap();
        assert_eq!(r.external, ext);
        let lines = save(Family::Ipv4, "filter");
        assert!(
            lines
                .iter()
                .any(|l| l == "-A DFW-DOCKER -i wan7 -j DFW-DOCKER-EXT"),
            "{lines:?}"
        );
    });
}

/// A transport that lets "Docker" add a rule to DOCKER-USER right after the `fire_after`-th
/// dump: after dfw has read the chains, before the firewall reads them to plan the batch.
struct Racy {
    inner: NetlinkTransport,
    dumps: usize,
    fire_after: usize,
}

impl Transport for Racy {
    fn generation(&mut self) -> Result<u32, TransportError> {
        self.inner.generation()
    }
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        let r = self.inner.dump(request);
        self.dumps += 1;
        if self.dumps == self.fire_after {
            run_cmd(
                "iptables",
                &["-A", "DOCKER-USER", "-s", "192.0.2.77", "-j", "DROP"],
            )
            .unwrap();
        }
        r
    }
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        self.inner.send_batch(batch)
    }
}

fn racy(fire_after: usize) -> Firewall<Racy> {
    Firewall::new(Racy {
        inner: NetlinkTransport::open().unwrap(),
        dumps: 0,
        fire_after,
    })
}

#[test]
fn kernel_commit_never_loses_a_rule_added_while_it_plans() {
    kernel_test("kernel_commit_race", || {
        load_here(Fixture::Docker27V4);
        // How many dumps reading dfw's chains takes (reads change nothing).
        let mut counter = racy(usize::MAX);
        read_current(&mut counter, Family::Ipv4).unwrap();
        read_current(&mut counter, Family::Ipv6).unwrap();
        let reads = counter.transport().dumps;
        let mut fw = racy(reads);
        let r = enforce::commit_unguarded(&mut fw, &policy()).unwrap();
        assert!(fw.transport().dumps > reads, "the race never happened");
        assert!(r.applied.committed);
        assert_eq!(
            r.applied.attempts, 2,
            "the first batch must have been refused"
        );
        let du: Vec<String> = save(Family::Ipv4, "filter")
            .into_iter()
            .filter(|l| l.starts_with("-A DOCKER-USER"))
            .collect();
        assert_eq!(
            du,
            [
                "-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER",
                "-A DOCKER-USER -j RETURN",
                "-A DOCKER-USER -s 192.0.2.77/32 -j DROP",
            ]
        );
    });
}
