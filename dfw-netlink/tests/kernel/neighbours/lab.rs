//! The neighbours' test lab: shell commands inside a namespace, the neighbours' rules as
//! `iptables-save` and `nft -a` show them, the machine's own ruleset (which no test may
//! change), temporary directories, dfw's commit, status and watch in a namespace, and real
//! connections with the timeout their expected outcome needs.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use dfw_core::eval::{explain, Packet};
use dfw_core::model::Family;
use dfw_core::policy::Policy;
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::kernel_ruleset::read_ruleset;
use dfw_netlink::route::read_host;
use dfw_netlink::sim::{Check, DockerHost, NetNs, Probe, Proto, Side};
use dfw_netlink::watch::{Notice, WatchOptions, Watcher};
use dfw_netlink::{CommitOptions, Dfw, SshGuard};

use crate::support::evalsim::expected;
use crate::support::run_in;

/// Runs a shell command line inside `ns`; panics with its output when it fails.
pub fn sh(ns: &NetNs, line: &str) -> String {
    run_in(ns, "sh", &["-c", line], "").unwrap_or_else(|e| panic!("{line}: {e}"))
}

/// `family`'s `iptables-save` (or `ip6tables-save`) of `filter` inside `ns`, without
/// comment lines, counters and dfw's lines (its chains, their rules, its tagged jumps):
/// the neighbours' rules, Docker's included, as text.
pub fn others_save(ns: &NetNs, family: Family) -> Vec<String> {
    let prog = match family {
        Family::Ipv4 => "iptables-save",
        Family::Ipv6 => "ip6tables-save",
    };
    sh(ns, &format!("{prog} -t filter"))
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| !l.starts_with(":DFW-") && !l.starts_with("-A DFW-"))
        .filter(|l| !l.contains("--comment dfw -j DFW-"))
        .map(|l| match l.split_once(" [") {
            Some((head, _)) if l.starts_with(':') => head.to_string(),
            _ => l.to_string(),
        })
        .collect()
}

/// Panics unless `after` is `before`, line for line, showing only the lines that differ.
pub fn assert_same_lines(before: &[String], after: &[String], what: &str) {
    if before == after {
        return;
    }
    let ops = dfw_core::diff::diff(before, after);
    let mut out = Vec::new();
    for op in ops {
        match op {
            dfw_core::diff::DiffOp::Delete { old } => out.push(format!("- {}", before[old])),
            dfw_core::diff::DiffOp::Insert { new } => out.push(format!("+ {}", after[new])),
            dfw_core::diff::DiffOp::Keep { .. } => {}
        }
    }
    panic!("{what} changed:\n{}", out.join("\n"));
}

/// The machine's own ruleset (`nft list ruleset` in the test process's namespace): read
/// when a test starts and compared when it ends.
pub struct MachineRuleset(String);

impl MachineRuleset {
    /// Reads it now.
    pub fn read() -> Self {
        MachineRuleset(machine_ruleset())
    }

    /// Panics unless the machine's ruleset is what it was.
    pub fn unchanged(&self) {
        assert_eq!(
            machine_ruleset(),
            self.0,
            "the machine's own ruleset changed"
        );
    }
}

fn machine_ruleset() -> String {
    let out = std::process::Command::new("nft")
        .args(["list", "ruleset"])
        .output()
        .expect("nft");
    assert!(out.status.success(), "nft list ruleset failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A directory of the test's own (mode 0700), removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A fresh one named after `test`.
    pub fn new(test: &str) -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("dfw-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        TempDir(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The policy of the real-neighbour tests: the host's own INPUT left to the neighbours
/// (`host = false`), Docker's published 8080 open to everyone, the rest refused.
pub const POLICY: &str = r#"
[interfaces]
external = ["eth0"]
[[allow]]
ports = ["8080/tcp"]
"#;

/// [`POLICY`], parsed.
pub fn policy() -> Policy {
    Policy::from_toml(POLICY, "neighbours.toml").unwrap()
}

/// Commits [`POLICY`] in `ns` as `dfw-cli commit --force` does (rollback point in `state`).
pub fn commit(ns: &NetNs, state: &Path) {
    let opts = CommitOptions {
        confirm: None,
        ssh: SshGuard::Off,
        source: None,
    };
    ns.run(|| {
        let mut dfw = Dfw::open().unwrap().with_state_dir(state);
        dfw.commit(policy(), &opts)
            .expect("commit with the neighbours");
    })
    .unwrap();
}

/// True when the kernel in `ns` holds [`POLICY`] (status in sync); panics on an error.
pub fn in_sync(ns: &NetNs) -> bool {
    in_sync_with(ns, POLICY)
}

/// True when the kernel in `ns` holds the policy `text` (status in sync); panics on an error.
pub fn in_sync_with(ns: &NetNs, text: &str) -> bool {
    let policy = Policy::from_toml(text, "neighbours.toml").unwrap();
    ns.run(|| {
        let mut fw = Firewall::open().unwrap();
        enforce::status(&mut fw, &policy)
            .expect("status with the neighbours")
            .in_sync()
    })
    .unwrap()
}

/// Waits until `what` holds, checking every 50 ms, for at most `limit` (a bound only a
/// broken test reaches: each step it waits for is a repair or a daemon's reaction).
pub fn wait_until(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// How long a repair or a daemon's reaction may take before the test fails.
pub const REACTION: Duration = Duration::from_secs(60);

/// A watch running in a namespace (see [`with_watch`]).
pub struct WatchLab<'a> {
    /// The namespace.
    pub ns: &'a NetNs,
    /// The policy the watch follows.
    policy: &'a str,
    failed: Receiver<String>,
    repairs: Receiver<String>,
}

impl WatchLab<'_> {
    /// Waits until the kernel holds the policy again, and checks the watch reported no
    /// failed check.
    pub fn wait_repaired(&self, after: &str) {
        wait_until(&format!("in sync after {after}"), REACTION, || {
            in_sync_with(self.ns, self.policy)
        });
        if let Ok(e) = self.failed.try_recv() {
            panic!("the watch's check failed after {after}: {e}");
        }
    }

    /// As [`WatchLab::wait_repaired`], for a change that removed dfw's rules: the watch must
    /// have repaired them (its repair notices so far are consumed).
    pub fn wait_repair_of(&self, after: &str) {
        self.wait_repaired(after);
        let first = self
            .repairs
            .recv_timeout(REACTION)
            .unwrap_or_else(|_| panic!("no repair after {after}"));
        eprintln!("{after}: repaired {first}");
        while let Ok(more) = self.repairs.try_recv() {
            eprintln!("{after}: repaired {more}");
        }
    }

    /// Forgets the repair notices so far.
    pub fn forget_repairs(&self) {
        while self.repairs.try_recv().is_ok() {}
    }
}

/// Runs `body` while a watch of [`POLICY`] runs in `ns` on its own thread, with `dir` as its
/// state directory (the one [`commit`] was given), guarding no SSH session.
pub fn with_watch(ns: &NetNs, dir: &TempDir, body: impl FnOnce(&WatchLab)) {
    with_watch_of(ns, dir, POLICY, body);
}

/// As [`with_watch`], for the policy `text`.
pub fn with_watch_of(ns: &NetNs, dir: &TempDir, text: &str, body: impl FnOnce(&WatchLab)) {
    let config = dir.path().join("dfw.toml");
    std::fs::write(&config, text).unwrap();
    let mut opts = WatchOptions::new(&config);
    opts.state = dir.path().to_path_buf();
    opts.ssh = SshGuard::Off;
    let (tx, failed) = channel();
    let (rtx, repairs) = channel();
    let (stop_tx, stop_rx) = channel();
    std::thread::scope(|s| {
        let watch = s.spawn(move || {
            ns.enter().unwrap();
            let mut w = Watcher::new(opts).unwrap();
            stop_tx.send(w.stop_handle()).unwrap();
            w.run(&mut |n| match n {
                Notice::Failed(e) => {
                    let _ = tx.send(e.to_string());
                }
                Notice::Repaired(r) => {
                    let _ = rtx.send(r.drift.summary());
                }
                _ => {}
            })
            .unwrap();
        });
        let stop = stop_rx.recv().unwrap();
        let lab = WatchLab {
            ns,
            policy: text,
            failed,
            repairs,
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&lab)));
        stop.stop();
        watch.join().unwrap();
        if let Err(p) = result {
            std::panic::resume_unwind(p);
        }
    });
}

/// `dfw-cli audit --external eth0` of `family` in `ns`: the ruleset and host as it reads
/// them, audited.
pub fn audit_of(ns: &NetNs, family: Family) -> dfw_core::eval::Audit {
    ns.run(|| {
        let mut fw = Firewall::open().unwrap();
        let rs = read_ruleset(&mut fw, family).expect("ruleset with the neighbours");
        let host = read_host(family, &["eth0".to_string()]).unwrap();
        dfw_core::eval::audit(&rs, &host)
    })
    .unwrap()
}

/// Who can reach published host port `port` through `eth0`, as the audit says.
pub fn published_reach(a: &dfw_core::eval::Audit, port: u16) -> Option<dfw_core::eval::Reach> {
    a.published
        .iter()
        .find(|p| p.host_ports.iter().any(|r| r.contains(port)))
        .and_then(|p| p.exposure.iter().find(|e| e.iface == "eth0"))
        .map(|e| e.reach.clone())
}

/// A TCP check from the internet side.
pub fn tcp(src: IpAddr, dst: IpAddr, port: u16) -> Check {
    Check {
        from: Side::Internet,
        src,
        proto: Proto::Tcp,
        dst: SocketAddr::new(dst, port),
    }
}

/// How long a probe that must be answered may wait (it ends at the answer).
const ANSWER: Duration = Duration::from_secs(10);

/// Connects every check for real, concurrently, each with the timeout its expected outcome
/// needs (an expected DROP waits [`DockerHost::PROBE_TIMEOUT`]), and asserts the outcomes.
/// Also asserts that what `explain` says with certainty of each, from the ruleset and host
/// read back as `dfw-cli explain` reads them, is what happened.
pub fn connect(h: &DockerHost, cases: &[(Check, Probe)], context: &str) {
    let (v4, v6) = h
        .host()
        .run(|| {
            let mut fw = Firewall::open().unwrap();
            let v4 = read_ruleset(&mut fw, Family::Ipv4).expect("IPv4 ruleset");
            let v6 = read_ruleset(&mut fw, Family::Ipv6).expect("IPv6 ruleset");
            let ext = ["eth0".to_string()];
            let h4 = read_host(Family::Ipv4, &ext).unwrap();
            let h6 = read_host(Family::Ipv6, &ext).unwrap();
            ((v4, h4), (v6, h6))
        })
        .unwrap();
    let got: Vec<Probe> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(c, want)| {
                let t = match want {
                    Probe::TimedOut => DockerHost::PROBE_TIMEOUT,
                    _ => ANSWER,
                };
                s.spawn(move || h.check(c, t).unwrap_or_else(|e| panic!("{c}: {e}")).0)
            })
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut wrong = Vec::new();
    for ((c, want), got) in cases.iter().zip(&got) {
        if got != want {
            wrong.push(format!("{c}: want {want}, got {got}"));
        }
        let (rs, host) = if c.src.is_ipv4() { &v4 } else { &v6 };
        let p = match c.proto {
            Proto::Tcp => Packet::tcp_syn("eth0", c.src, c.dst.ip(), c.dst.port()),
            Proto::Udp => Packet::udp("eth0", c.src, c.dst.ip(), c.dst.port()),
        };
        let t = explain(rs, &p, host).expect("explain");
        if let Some(said) = expected(&t, c.proto, c.dst) {
            if said != *got {
                wrong.push(format!(
                    "{c}: explain says {said} ({} by {:?}), the connection was {got}",
                    t.verdict, t.decided_by
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{context}:\n{}", wrong.join("\n"));
}
