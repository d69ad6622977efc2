//! The guarded commit of a policy the kernel already holds (private network namespace,
//! Docker 29's rules): nothing is sent, no rollback point is staged or replaced, and with
//! `confirm` no confirmation is armed. When the kernel moves between the plan and the
//! commit (another program drops one of dfw's rules right then, [`MeddleAt`]), the commit
//! plans again and takes the full path: the rollback point is replaced by the state the
//! kernel had just before the commit, and the rule is back.

use std::time::Duration;

use dfw_core::policy::Policy;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::safety::{commit_policy, CommitOptions, SshGuard, StateDir, STAGED};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::{BatchOutcome, NetlinkTransport, Transport, TransportError};

use crate::support::load_docker_29_here;

/// A policy with a whitelist long enough to become a kernel set.
fn policy() -> Policy {
    let sources: Vec<String> = (1..=30).map(|i| format!("\"198.51.100.{i}\"")).collect();
    let text = format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [\"8080/tcp\"]\n[whitelist]\nsources = [{}]\n",
        sources.join(", ")
    );
    Policy::from_toml(&text, "noop.toml").unwrap()
}

/// A transport counting the generation reads and batches; at generation read number `at`
/// (1-based) it first deletes dfw's rule `-A DFW-INPUT-EXT -p tcp -m tcp --dport 8080 -j
/// ACCEPT` with iptables, as another program could right then.
struct MeddleAt {
    inner: NetlinkTransport,
    generations: u32,
    batches: u32,
    at: u32,
}

impl MeddleAt {
    fn new(at: u32) -> Self {
        MeddleAt {
            inner: NetlinkTransport::open().unwrap(),
            generations: 0,
            batches: 0,
            at,
        }
    }
}

impl Transport for MeddleAt {
    fn generation(&mut self) -> Result<u32, TransportError> {
        self.generations += 1;
        if self.generations == self.at {
            let rule = [
                "-D",
                "DFW-INPUT-EXT",
                "-p",
                "tcp",
                "-m",
                "tcp",
                "--dport",
                "8080",
            ];
            run_cmd("iptables", &[&rule[..], &["-j", "ACCEPT"]].concat()).unwrap();
        }
        self.inner.generation()
    }
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.inner.dump(request)
    }
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        self.batches += 1;
        self.inner.send_batch(batch)
    }
}

fn opts(confirm: Option<Duration>) -> CommitOptions {
    CommitOptions {
        ssh: SshGuard::Off,
        confirm,
        ..CommitOptions::default()
    }
}

fn previous_text(dir: &StateDir) -> String {
    dir.previous().unwrap().unwrap().to_text().unwrap()
}

#[test]
fn kernel_noop_commit_stages_nothing_and_a_moved_kernel_takes_the_full_path() {
    kernel_test(
        "kernel_noop_commit_stages_nothing_and_a_moved_kernel_takes_the_full_path",
        || {
            load_docker_29_here();
            let path = std::env::temp_dir().join(format!("dfw-noop-{}", std::process::id()));
            let dir = StateDir::open(&path).unwrap();
            let first =
                commit_policy(&mut Firewall::open().unwrap(), &dir, policy(), &opts(None)).unwrap();
            assert!(!first.report.is_noop());
            let before_dfw = previous_text(&dir);
            let save = run_cmd("iptables-save", &[]).unwrap();
            assert!(
                save.contains("-A DFW-INPUT-EXT -p tcp -m tcp --dport 8080 -j ACCEPT"),
                "{save}"
            );
            assert!(
                save.contains("--match-set"),
                "the whitelist is a set:\n{save}"
            );

            // Already in force, with --confirm: nothing sent or staged, nothing to confirm.
            let mut fw = Firewall::new(MeddleAt::new(0));
            let noop = commit_policy(
                &mut fw,
                &dir,
                policy(),
                &opts(Some(Duration::from_secs(60))),
            )
            .unwrap();
            assert!(noop.report.is_noop());
            assert!(noop.report.changes.is_empty());
            assert!(noop.pending.is_none());
            assert_eq!(dir.pending().unwrap(), None);
            assert_eq!(dir.read(STAGED).unwrap(), None);
            assert_eq!(previous_text(&dir), before_dfw, "the rollback point stays");
            assert_eq!(fw.transport().batches, 0);
            // The last generation read of a no-op commit is the check that the kernel has
            // not moved since the plan's read.
            let last = fw.transport().generations;
            assert_eq!(run_cmd("iptables-save", &[]).unwrap(), save);

            // The kernel moves right before that check: planned again, full path.
            let mut fw = Firewall::new(MeddleAt::new(last));
            let moved = commit_policy(&mut fw, &dir, policy(), &opts(None)).unwrap();
            assert!(!moved.report.is_noop(), "the dropped rule is restored");
            let [v4, _] = moved.report.summaries();
            assert_eq!((v4.rules_added, v4.rules_removed), (1, 0), "{v4}");
            assert_eq!(fw.transport().batches, 1);
            let now = run_cmd("iptables-save", &[]).unwrap();
            assert!(now.contains("-A DFW-INPUT-EXT -p tcp -m tcp --dport 8080 -j ACCEPT"));
            // The rollback point is the kernel just before this commit: without the rule.
            let point = previous_text(&dir);
            assert_ne!(point, before_dfw);
            let (v4, v6) = point.split_once("# family: ipv6").unwrap();
            let rule = "-A DFW-INPUT-EXT -p tcp -m tcp --dport 8080 -j ACCEPT";
            assert!(!v4.contains(rule) && v6.contains(rule), "{point}");
            assert_eq!(dir.read(STAGED).unwrap(), None);
            std::fs::remove_dir_all(&path).unwrap();
        },
    );
}
