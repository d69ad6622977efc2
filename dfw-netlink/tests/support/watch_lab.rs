//! The in-process watch harness of the watch's kernel tests (`kernel/watch.rs`): a
//! [`Watcher`] over Docker 29's rules (both families) in a fresh namespace, run on its own
//! thread with a stop handle, what it reports, and waiting for it to settle: its thread blocked
//! in `poll` with no timeout ([`wait_idle_in_poll`]), so every notice for what happened so far
//! has been given. Time limits here only bound a broken watch.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::time::{Duration, Instant};

use dfw_core::policy::Policy;
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::sim::NetNs;
use dfw_netlink::transport::testkit::{kernel_gate, wait_idle_in_poll};
use dfw_netlink::watch::{Cause, Notice, WatchOptions, Watcher};

use super::{load_fixture, run_in, Fixture};

/// The policy the watch enforces.
pub const POLICY: &str = r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp", "5353/udp"]
from = ["203.0.113.0/24", "2001:db8:1::/48"]
[whitelist]
sources = ["198.51.100.7", "2001:db8::7"]
"#;

/// How long the watch may take to handle a disturbance before the test fails (a bound that
/// only a broken watch reaches; the tests never wait for it otherwise).
pub const LIMIT: Duration = Duration::from_secs(60);

/// What the watch thread reports.
#[derive(Debug)]
pub enum Seen {
    Tid(i32),
    Repaired {
        cause: Cause,
        latency: Duration,
        committed: Instant,
        summary: String,
    },
    Lost,
    InSync,
    Failed(String),
}

/// A watch running in `ns` on its own thread, with a temporary config file.
pub struct Lab<'a> {
    /// The namespace the watch runs in.
    pub ns: &'a NetNs,
    /// The watch's config file.
    pub config: std::path::PathBuf,
    /// The policy it was started with ([`POLICY`] unless [`with_watch_policy`] gave another).
    pub policy: String,
    /// What the watch reported.
    pub rx: Receiver<Seen>,
    /// The watch thread's id.
    pub tid: i32,
    /// Held watches wait in their `Watching` notice until this is dropped ([`Lab::release`]).
    gate: Option<Sender<()>>,
}

impl Lab<'_> {
    /// Polls until the kernel holds the policy (or panics after [`LIMIT`]).
    pub fn wait_in_sync(&self) {
        let policy = Policy::from_toml(&self.policy, "t.toml").unwrap();
        let deadline = Instant::now() + LIMIT;
        loop {
            let r = self
                .ns
                .run(|| enforce::status(&mut Firewall::open().unwrap(), &policy).unwrap())
                .unwrap();
            if r.in_sync() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "never back in sync:\n{}",
                r.drift
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the watch has handled everything that happened so far (its thread is
    /// blocked in `poll` with no timeout) and returns what it reported meanwhile.
    pub fn settle(&self) -> Vec<Seen> {
        let task = std::path::PathBuf::from(format!("/proc/self/task/{}", self.tid));
        wait_idle_in_poll(&task, LIMIT).unwrap_or_else(|e| panic!("the watch never settled: {e}"));
        let out: Vec<Seen> = self.rx.try_iter().collect();
        if let Some(Seen::Failed(e)) = out.iter().find(|s| matches!(s, Seen::Failed(_))) {
            panic!("watch check failed: {e}");
        }
        out
    }

    /// Lets a held watch (see [`with_held_watch`]) go on from its start.
    pub fn release(&mut self) {
        self.gate = None;
    }

    pub fn ipt(&self, program: &str, args: &[&str]) {
        run_in(self.ns, program, args, "").unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Runs `body` against a watch over Docker 29 (both families) in a fresh namespace.
pub fn with_watch(
    test: &str,
    tweak: impl FnOnce(&mut WatchOptions) + Send,
    body: impl FnOnce(&Lab),
) {
    run_watch(test, POLICY, tweak, false, |lab| body(lab));
}

/// As [`with_watch`], the watch started with `policy` instead of [`POLICY`].
pub fn with_watch_policy(test: &str, policy: &str, body: impl FnOnce(&Lab)) {
    run_watch(test, policy, |_| {}, false, |lab| body(lab));
}

/// As [`with_watch`], but the watch thread stops after its start repair (in its `Watching`
/// notice) until the body calls [`Lab::release`]: what the body does meanwhile reaches the
/// watch as events all queued at once.
pub fn with_held_watch(
    test: &str,
    tweak: impl FnOnce(&mut WatchOptions) + Send,
    body: impl FnOnce(&mut Lab),
) {
    run_watch(test, POLICY, tweak, true, body);
}

pub fn run_watch(
    test: &str,
    policy: &str,
    tweak: impl FnOnce(&mut WatchOptions) + Send,
    hold: bool,
    body: impl FnOnce(&mut Lab),
) {
    if !kernel_gate(test) {
        return;
    }
    let ns = NetNs::new(test).unwrap();
    load_fixture(&ns, Fixture::Docker29V4);
    load_fixture(&ns, Fixture::Docker29V6);
    let config = std::env::temp_dir().join(format!("dfw-{test}-{}.toml", std::process::id()));
    std::fs::write(&config, policy).unwrap();
    let mut opts = WatchOptions::new(&config);
    // Its own state directory (one per network namespace), never the machine's /var/lib/dfw.
    opts.state = std::env::temp_dir().join(format!("dfw-{test}-{}-state", std::process::id()));
    let _ = std::fs::remove_dir_all(&opts.state);
    tweak(&mut opts);
    let (tx, rx) = channel();
    let (stop_tx, stop_rx) = channel();
    let (gate, held) = channel::<()>();
    std::thread::scope(|s| {
        let ns_ref = &ns;
        let watch = s.spawn(move || {
            ns_ref.enter().unwrap();
            let mut w = Watcher::new(opts).unwrap();
            stop_tx.send(w.stop_handle()).unwrap();
            let tid: i32 = std::fs::read_link("/proc/thread-self")
                .ok()
                .and_then(|p| p.file_name()?.to_str()?.parse().ok())
                .unwrap_or(0);
            tx.send(Seen::Tid(tid)).unwrap();
            w.run(&mut |n| {
                if hold && matches!(n, Notice::Watching { .. }) {
                    // Until the lab releases the gate (or is dropped).
                    let _ = held.recv();
                }
                let seen = match n {
                    Notice::Repaired(r) => Seen::Repaired {
                        cause: r.cause,
                        latency: r.latency(),
                        committed: r.committed,
                        summary: r.drift.summary(),
                    },
                    Notice::EventsLost => Seen::Lost,
                    Notice::InSync(_) => Seen::InSync,
                    Notice::Failed(e) => Seen::Failed(e.to_string()),
                    Notice::Refused(e) => Seen::Failed(format!("refused: {e}")),
                    Notice::ReloadFailed(e) => Seen::Failed(format!("reload failed: {e}")),
                    Notice::Suspended(s) => Seen::Failed(format!("suspended: {s}")),
                    _ => return,
                };
                let _ = tx.send(seen);
            })
            .unwrap();
        });
        let stop = stop_rx.recv_timeout(LIMIT).unwrap();
        let tid = match rx.recv_timeout(LIMIT).unwrap() {
            Seen::Tid(t) => t,
            other => panic!("{other:?}"),
        };
        let mut lab = Lab {
            ns: &ns,
            config: config.clone(),
            policy: policy.to_string(),
            rx,
            tid,
            gate: Some(gate),
        };
        if !hold {
            lab.release();
        }
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&mut lab)));
        // A held watch goes on when the gate is gone, so it can see the stop.
        drop(lab);
        stop.stop();
        watch.join().unwrap();
        let _ = std::fs::remove_file(&config);
        if let Err(p) = outcome {
            std::panic::resume_unwind(p);
        }
    });
}

/// One measured repair: the watch's own latency (first event -> committed) and the time from
/// the end of the disturbing command to the commit.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// First event -> repair committed.
    pub latency: Duration,
    /// End of the disturbing command -> repair committed.
    pub after_command: Duration,
}

/// The start repair (the watch commits the policy first).
pub fn started(lab: &Lab<'_>) {
    let reps = lab.settle();
    assert!(
        reps.iter().any(|r| matches!(
            r,
            Seen::Repaired {
                cause: Cause::Start,
                ..
            }
        )),
        "{reps:?}"
    );
    lab.wait_in_sync();
}

/// Disturbs the kernel, waits for the repairs, checks the policy is back; returns the last
/// repair's measurements (`None` when no repair was needed).
pub fn disturb(lab: &Lab<'_>, what: impl FnOnce(&Lab<'_>)) -> Option<Measured> {
    what(lab);
    let end = Instant::now();
    let reps = lab.settle();
    lab.wait_in_sync();
    let mut last = None;
    for r in &reps {
        if let Seen::Repaired {
            latency,
            committed,
            summary,
            ..
        } = r
        {
            println!("repaired in {latency:?}: {summary}");
            last = Some(Measured {
                latency: *latency,
                after_command: committed.saturating_duration_since(end),
            });
        }
    }
    last
}

/// Runs `what` `n` times, each repaired, and prints median/max latencies.
pub fn measure(test: &str, lab: &Lab<'_>, n: usize, what: impl Fn(&Lab<'_>, usize)) {
    let mut runs: Vec<Measured> = Vec::new();
    for i in 0..n {
        let m = disturb(lab, |l| what(l, i));
        runs.push(m.unwrap_or_else(|| panic!("{test}: run {i}: no repair")));
    }
    report(test, &runs);
}

pub fn report(test: &str, runs: &[Measured]) {
    let mut lat: Vec<Duration> = runs.iter().map(|m| m.latency).collect();
    let mut cmd: Vec<Duration> = runs.iter().map(|m| m.after_command).collect();
    lat.sort();
    cmd.sort();
    println!(
        "LATENCY {test}: first event -> repair committed: median {:?}, max {:?}; command end \
         -> repair committed: median {:?}, max {:?} (n = {})",
        lat[lat.len() / 2],
        lat[lat.len() - 1],
        cmd[cmd.len() / 2],
        cmd[cmd.len() - 1],
        runs.len()
    );
}

/// Docker 29's IPv4 rules only (no dfw), as a full restore would load them.
pub fn docker_v4() -> &'static str {
    Fixture::Docker29V4.text()
}
