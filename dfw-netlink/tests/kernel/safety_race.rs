//! Racing writers (private network namespace, Docker 29's rules): while two other threads loop
//! `iptables -A`/`-D` and `ip6tables -A`/`-D` in INPUT, DOCKER-USER and FORWARD (as Docker
//! does), 200 dfw commits of
//! changing policies all succeed through the generation-id retry; afterwards dfw's chains
//! hold exactly the last policy (a plan of it is empty, no jump twice) and every rule the
//! other writer left is there, in its order. The first commit's batch is made stale on
//! purpose ([`MeddleOnce`]), so the retry path is taken whatever the writers' timing, and
//! the commits may retry up to 100 times (the default 10 is a budget for real hosts; here a
//! loaded machine could let the writers win 10 times in a row). When retries run out (a
//! transport that lets iptables change the ruleset just before every batch), the error says
//! so and nothing of the commit is applied.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use dfw_core::model::{Family, Iface, TableName};
use dfw_core::policy::{Policy, Published};
use dfw_netlink::enforce::{self, commit_compiled_unguarded};
use dfw_netlink::firewall::Firewall;
use dfw_netlink::safety::{commit_policy, CommitOptions, SshGuard, StateDir};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::{
    BatchOutcome, NetlinkTransport, RetryPolicy, Transport, TransportError,
};

use crate::support::load_docker_29_here;

fn policy(i: usize) -> Policy {
    let text = format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = {}\n[[allow]]\nports = [\"{}/tcp\", \"22/tcp\"]\n",
        i.is_multiple_of(2),
        2000 + i
    );
    Policy::from_toml(&text, "race.toml").unwrap()
}

/// The lines of `chain` in iptables-save that are not dfw's.
fn others(save: &str, chain: &str) -> Vec<String> {
    let prefix = format!("-A {chain} ");
    save.lines()
        .filter(|l| l.starts_with(&prefix) && !l.contains("DFW-"))
        .map(str::to_string)
        .collect()
}

const CHAINS: [&str; 3] = ["INPUT", "DOCKER-USER", "FORWARD"];

/// The other writer: appends rules and deletes its older ones until `stop`; returns what it
/// left, per chain, in order.
fn writer(stop: &AtomicBool, v6: bool) -> Vec<Vec<String>> {
    let (tool, net, bits) = if v6 {
        ("ip6tables", "2001:db8:99::", "128")
    } else {
        ("iptables", "203.0.113.", "32")
    };
    let mut left: Vec<Vec<String>> = vec![Vec::new(); CHAINS.len()];
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let c = i % CHAINS.len();
        let src = format!("{net}{}", i % 250);
        let port = (1000 + i).to_string();
        let spec = ["-s", &src, "-p", "tcp", "--dport", &port, "-j", "ACCEPT"];
        let mut args = vec!["-A", CHAINS[c]];
        args.extend(spec);
        run_cmd(tool, &args).unwrap();
        // As iptables-save prints the address (`2001:db8:99::0` is `2001:db8:99::`).
        let shown: std::net::IpAddr = src.parse().unwrap();
        left[c].push(format!(
            "-A {} -s {shown}/{bits} -p tcp -m tcp --dport {port} -j ACCEPT",
            CHAINS[c]
        ));
        // Keep at most 3 of its rules per chain: delete the oldest.
        if left[c].len() > 3 {
            let old = left[c].remove(0);
            let words: Vec<&str> = old.split(' ').collect();
            let mut del = vec!["-D"];
            del.extend(&words[1..]);
            run_cmd(tool, &del).unwrap();
        }
        i += 1;
    }
    left
}

#[test]
fn kernel_racing_writer_200_commits() {
    kernel_test("kernel_racing_writer_200_commits", || {
        load_docker_29_here();
        let base = run_cmd("iptables-save", &[]).unwrap();
        let base6 = run_cmd("ip6tables-save", &[]).unwrap();
        let dir = std::env::temp_dir().join(format!("dfw-race-{}", std::process::id()));
        let state = StateDir::open(&dir).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let t0 = std::time::Instant::now();
        let (left, left6, retried) = std::thread::scope(|s| {
            // Threads spawned here share this thread's (private) network namespace.
            let w = s.spawn(|| writer(&stop, false));
            let w6 = s.spawn(|| writer(&stop, true));
            // Stops the writer even when a commit fails (the panic unwinds through it).
            let _guard = StopOnDrop(&stop);
            let meddler = MeddleOnce {
                inner: NetlinkTransport::open().unwrap(),
                done: false,
            };
            let retry = RetryPolicy {
                max_attempts: 100,
                ..RetryPolicy::default()
            };
            let mut fw = Firewall::new(meddler).with_retry(retry);
            let mut retried = 0;
            for i in 0..200 {
                let opts = CommitOptions {
                    ssh: SshGuard::Off,
                    ..CommitOptions::default()
                };
                let r = commit_policy(&mut fw, &state, policy(i), &opts)
                    .unwrap_or_else(|e| panic!("commit {i}: {e}"));
                if r.report.applied.attempts > 1 {
                    retried += 1;
                }
            }
            stop.store(true, Ordering::Relaxed);
            (w.join().unwrap(), w6.join().unwrap(), retried)
        });
        eprintln!(
            "200 commits in {:?} with a racing writer; {retried} needed a retry",
            t0.elapsed()
        );
        assert!(
            retried > 0,
            "no commit was retried: the test proves nothing"
        );
        let save = run_cmd("iptables-save", &[]).unwrap();
        for (c, chain) in CHAINS.iter().enumerate() {
            let mut want = others(&base, chain);
            want.extend(left[c].iter().cloned());
            assert_eq!(
                others(&save, chain),
                want,
                "{chain}: the other writer's rules"
            );
        }
        let save6 = run_cmd("ip6tables-save", &[]).unwrap();
        for (c, chain) in CHAINS.iter().enumerate() {
            let mut want = others(&base6, chain);
            want.extend(left6[c].iter().cloned());
            assert_eq!(
                others(&save6, chain),
                want,
                "IPv6 {chain}: the other writer's rules"
            );
        }
        // dfw holds exactly the last policy: nothing to change, every jump once.
        let mut fw = Firewall::open().unwrap();
        let last = policy(199);
        assert!(enforce::plan(&mut fw, &last).unwrap().is_empty());
        // With what Docker publishes (the docker-proxy path of `host = false`).
        let mut nat = |f| fw.read_chains(f, TableName::Nat, &["DOCKER"]).unwrap();
        let rules = |c: Vec<dfw_netlink::firewall::KernelChain>| -> Vec<_> {
            c.iter()
                .flat_map(|c| c.rules.iter().filter_map(|r| r.comparable()))
                .collect()
        };
        let published = Published::from_dnat(&rules(nat(Family::Ipv4)), &rules(nat(Family::Ipv6)));
        let compiled = last
            .compile(&[Iface::parse("eth0").unwrap()])
            .with_published(&published)
            .into_owned();
        let dfw: Vec<&str> = save.lines().filter(|l| l.contains("DFW-")).collect();
        let want: usize = compiled.v4.rules().count();
        let rule_lines = dfw.iter().filter(|l| l.starts_with("-A ")).count();
        assert_eq!(rule_lines, want, "{dfw:#?}");
        assert_eq!(
            save.matches("-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER\n")
                .count(),
            1
        );
        assert_eq!(
            save.matches("-j DFW-INPUT\n").count(),
            0,
            "policy 199 has host = false"
        );
        let _ = std::fs::remove_dir_all(dir);
    });
}

struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A transport that changes the ruleset generation (a chain created and deleted in the mangle
/// table, which nothing else looks at) just before its first batch goes out, so that batch is
/// stale and retried.
struct MeddleOnce {
    inner: NetlinkTransport,
    done: bool,
}

impl Transport for MeddleOnce {
    fn generation(&mut self) -> Result<u32, TransportError> {
        self.inner.generation()
    }
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.inner.dump(request)
    }
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        if !std::mem::replace(&mut self.done, true) {
            for op in ["-N", "-X"] {
                run_cmd("iptables", &["-t", "mangle", op, "TEST-MEDDLE"]).unwrap();
            }
        }
        self.inner.send_batch(batch)
    }
}

/// A transport that lets iptables add a rule just before each batch goes out, so every
/// batch carries a stale generation.
struct Meddler {
    inner: NetlinkTransport,
    n: u32,
}

impl Transport for Meddler {
    fn generation(&mut self) -> Result<u32, TransportError> {
        self.inner.generation()
    }
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.inner.dump(request)
    }
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        self.n += 1;
        let src = format!("198.51.100.{}", self.n);
        run_cmd("iptables", &["-A", "INPUT", "-s", &src, "-j", "ACCEPT"]).unwrap();
        self.inner.send_batch(batch)
    }
}

#[test]
fn kernel_retries_exhausted_says_so_and_applies_nothing() {
    kernel_test(
        "kernel_retries_exhausted_says_so_and_applies_nothing",
        || {
            load_docker_29_here();
            let compiled = policy(0).compile(&[Iface::parse("eth0").unwrap()]);
            for attempts in [1u32, 3] {
                let before = run_cmd("iptables-save", &[]).unwrap();
                let t = Meddler {
                    inner: NetlinkTransport::open().unwrap(),
                    n: attempts * 10,
                };
                let mut fw = Firewall::new(t).with_retry(RetryPolicy::immediate(attempts));
                let e = commit_compiled_unguarded(&mut fw, Vec::new(), &compiled).unwrap_err();
                let text = e.to_string();
                assert!(
                    text.contains(&format!("gave up after {attempts} attempts")),
                    "{text}"
                );
                assert!(text.contains("generation"), "{text}");
                assert_eq!(fw.transport().n, attempts * 11, "one batch per attempt");
                let after = run_cmd("iptables-save", &[]).unwrap();
                assert!(!after.contains("DFW-"), "half applied: {after}");
                // Only the meddler's own rules were added.
                let mut want = others(&before, "INPUT");
                for k in 1..=attempts {
                    want.push(format!(
                        "-A INPUT -s 198.51.100.{}/32 -j ACCEPT",
                        attempts * 10 + k
                    ));
                }
                assert_eq!(others(&after, "INPUT"), want);
                assert_eq!(others(&after, "FORWARD"), others(&before, "FORWARD"));
            }
        },
    );
}
