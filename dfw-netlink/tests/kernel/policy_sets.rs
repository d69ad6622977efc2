//! Policies whose source lists become ipset sets, committed against the kernel (each test in
//! its own private network namespace, gated by `kernel_test`), with iptables-save and the
//! `ipset` tool as oracles: sets created before the rules that match them, O(change) updates,
//! destruction after the rules stop matching them, and failures injected at every request of
//! a commit leaving the previous policy (rules and sets) exactly as it was.

use std::cell::Cell;
use std::rc::Rc;

use dfw_core::policy::Policy;
use dfw_netlink::enforce::{self, CommitError};
use dfw_netlink::firewall::Firewall;
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::{
    BatchOutcome, KernelError, NetlinkSocket, NetlinkTransport, Transport, TransportError,
};

/// A transport that fails its `fail_at`-th request (dump or batch; 1-based) with `EPERM`.
struct Faulty {
    inner: NetlinkTransport,
    count: Rc<Cell<u32>>,
    fail_at: u32,
}

impl Faulty {
    fn hit(&mut self) -> Result<(), TransportError> {
        let n = self.count.get() + 1;
        self.count.set(n);
        if n == self.fail_at {
            return Err(TransportError::Kernel(KernelError {
                seq: n,
                errno: libc::EPERM,
                msg_type: None,
                reason: Some("injected".into()),
                bad_attr_offset: None,
                echoed: None,
            }));
        }
        Ok(())
    }
}

impl Transport for Faulty {
    fn generation(&mut self) -> Result<u32, TransportError> {
        self.inner.generation()
    }
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.hit()?;
        self.inner.dump(request)
    }
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        self.hit()?;
        self.inner.send_batch(batch)
    }
    fn settle(&mut self) -> Result<(), TransportError> {
        self.inner.settle()
    }
}

fn faulty(fail_at: u32) -> (Firewall<Faulty>, Rc<Cell<u32>>) {
    let count = Rc::new(Cell::new(0));
    let t = Faulty {
        inner: NetlinkTransport::new(NetlinkSocket::open().unwrap()),
        count: count.clone(),
        fail_at,
    };
    (Firewall::new(t), count)
}

fn hosts(prefix: &str, n: usize) -> String {
    (1..=n)
        .map(|i| format!("\"{prefix}.{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn policy(whitelist: usize, from: &str, block: bool) -> Policy {
    let mut text = format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n\
         [[allow]]\nports = [22]\n\
         [[allow]]\nports = [\"8080/tcp\"]\nfrom = [{from}]\n\
         [whitelist]\nsources = [{}, \"2001:db8::7\"]\n",
        hosts("198.51.100", whitelist)
    );
    if block {
        text.push_str("[blocklist]\nsources = [\"192.0.2.66\"]\n");
    }
    Policy::from_toml(&text, "sets.toml").unwrap()
}

/// Everything a commit may change: both rulesets (no comments, no counters) and every set.
fn state() -> String {
    let mut out = String::new();
    for prog in ["iptables-save", "ip6tables-save"] {
        for l in run_cmd(prog, &[]).unwrap().lines() {
            if !l.starts_with('#') {
                out.push_str(l.split(" [").next().unwrap_or(l));
                out.push('\n');
            }
        }
    }
    // `create` lines carry a random initval: drop it, keep the rest.
    let mut sets: Vec<String> = run_cmd("ipset", &["save"])
        .unwrap()
        .lines()
        .map(|l| match l.find(" initval ") {
            Some(at) => l[..at].to_string(),
            None => l.to_string(),
        })
        .collect();
    sets.sort();
    out.push_str(&sets.join("\n"));
    out
}

fn ipset_has(set: &str, addr: &str) -> bool {
    run_cmd("ipset", &["test", set, addr]).is_ok()
}

#[test]
fn kernel_long_lists_become_sets_and_change_in_place() {
    kernel_test("kernel_long_lists_become_sets_and_change_in_place", || {
        let (mut fw, count) = faulty(0);
        let from = hosts("203.0.113", 40);
        let r = enforce::commit_unguarded(&mut fw, &policy(30, &from, true)).unwrap();
        assert!(r.applied.committed);
        // whitelist4, allow1-4, ban4, ban6 (the v6 whitelist has one entry: a rule).
        assert_eq!(r.sets.created, 4, "{:?}", r.sets);
        let save = run_cmd("iptables-save", &[]).unwrap();
        for rule in [
            "-A DFW-DOCKER-EXT -m set --match-set dfw-whitelist4 src -j RETURN",
            "-A DFW-INPUT-EXT -m set --match-set dfw-whitelist4 src -j ACCEPT",
            "-A DFW-DOCKER-EXT -p tcp -m conntrack --ctorigdstport 8080 -m set --match-set dfw-allow1-4 src -j RETURN",
            "-A DFW-DOCKER-EXT -s 192.0.2.66/32 -j DROP",
            "-A DFW-DOCKER-EXT -m set --match-set dfw-ban4 src -j DROP",
            "-A DFW-INPUT-EXT -m set --match-set dfw-ban4 src -j DROP",
        ] {
            assert!(save.contains(&format!("{rule}\n")), "{rule}\n{save}");
        }
        let save6 = run_cmd("ip6tables-save", &[]).unwrap();
        assert!(
            save6.contains("-A DFW-DOCKER-EXT -s 2001:db8::7/128 -j RETURN\n"),
            "{save6}"
        );
        assert!(
            save6.contains("-m set --match-set dfw-ban6 src -j DROP\n"),
            "{save6}"
        );
        let list = run_cmd("ipset", &["list", "dfw-whitelist4"]).unwrap();
        assert!(list.contains("Number of entries: 30"), "{list}");
        assert!(run_cmd("ipset", &["list", "dfw-ban6"])
            .unwrap()
            .contains("family inet6"));
        assert!(ipset_has("dfw-allow1-4", "203.0.113.40"));
        // iptables itself checks the rule dfw wrote.
        run_cmd(
            "iptables",
            &[
                "-C",
                "DFW-INPUT-EXT",
                "-m",
                "set",
                "--match-set",
                "dfw-whitelist4",
                "src",
                "-j",
                "ACCEPT",
            ],
        )
        .unwrap();
        // The same policy again: nothing.
        let r = enforce::commit_unguarded(&mut fw, &policy(30, &from, true)).unwrap();
        assert!(r.is_noop(), "{:?} {:?}", r.sets, r.applied.plan);
        // One entry changed: one ADD and one DEL, no batch.
        let changed = from.replace("\"203.0.113.40\"", "\"203.0.113.99\"");
        let before = count.get();
        let r = enforce::commit_unguarded(&mut fw, &policy(30, &changed, true)).unwrap();
        assert!(!r.applied.committed);
        assert_eq!((r.sets.added, r.sets.removed, r.sets.created), (1, 1, 0));
        assert!(ipset_has("dfw-allow1-4", "203.0.113.99"));
        assert!(!ipset_has("dfw-allow1-4", "203.0.113.40"));
        // PROTOCOL, LIST -t, LIST of each static set (2), TYPE, then the ADD and the DEL;
        // the rules are read and found equal.
        let requests = count.get() - before;
        assert!(requests <= 12, "{requests} requests");
        // Short lists again: the sets the rules no longer match are destroyed after them.
        let r = enforce::commit_unguarded(&mut fw, &policy(5, "\"203.0.113.1\"", false)).unwrap();
        assert!(r.applied.committed);
        let mut gone = r
            .sets
            .destroyed
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>();
        gone.sort();
        assert_eq!(
            gone,
            ["dfw-allow1-4", "dfw-ban4", "dfw-ban6", "dfw-whitelist4"]
        );
        assert_eq!(run_cmd("ipset", &["list", "-n"]).unwrap().trim(), "");
        let save = run_cmd("iptables-save", &[]).unwrap();
        assert!(!save.contains("match-set"), "{save}");
        assert!(
            save.contains("-A DFW-DOCKER-EXT -s 198.51.100.5/32 -j RETURN\n"),
            "{save}"
        );
    });
}

#[test]
fn kernel_failure_at_every_step_leaves_the_previous_policy() {
    kernel_test(
        "kernel_failure_at_every_step_leaves_the_previous_policy",
        || {
            // Before: whitelist of 30 (a set), allow from 40 (a set), block list with bans.
            let from = hosts("203.0.113", 40);
            let (mut fw, _) = faulty(0);
            enforce::commit_unguarded(&mut fw, &policy(30, &from, true)).unwrap();
            drop(fw);
            let before = state();
            // After: the whitelist grows past the in-place limit (a swap), one allow source
            // changes (in place), the block list goes (its ban sets destroyed after the batch),
            // and a new allow list of 25 appears... as the changed allow: rules change too.
            let wide = (0..2000)
                .map(|i| format!("\"10.{}.{}.1\"", i / 200, i % 200))
                .collect::<Vec<_>>()
                .join(", ");
            let text = format!(
                "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n\
             [[allow]]\nports = [22]\n\
             [[allow]]\nports = [\"8080/tcp\", \"8443/tcp\"]\nfrom = [{}]\n\
             [whitelist]\nsources = [{wide}, \"2001:db8::7\"]\n",
                from.replace("\"203.0.113.40\"", "\"203.0.113.99\"")
            );
            let after_policy = Policy::from_toml(&text, "after.toml").unwrap();
            let mut k = 1;
            let after = loop {
                let (mut fw, count) = faulty(k);
                let r = enforce::commit_unguarded(&mut fw, &after_policy);
                match r {
                    Err(e) => {
                        assert!(
                            !matches!(e, CommitError::SetsUndo { .. }),
                            "request {k}: undo failed: {e}"
                        );
                        assert_eq!(state(), before, "request {k} failed ({e}): state changed");
                    }
                    Ok(r) if count.get() < k => {
                        // No request failed: the commit is complete.
                        assert!(r.applied.committed);
                        assert!(r.sets.left.is_empty(), "{:?}", r.sets.left);
                        break state();
                    }
                    Ok(r) => {
                        // The failure hit a destroy after the batch: the new policy is in force and
                        // the set that could not be destroyed is named.
                        assert!(r.applied.committed, "request {k}");
                        assert_eq!(r.sets.left.len(), 1, "request {k}: {:?}", r.sets);
                        // Put the previous policy back for the next round.
                        let (mut fw, _) = faulty(0);
                        enforce::commit_unguarded(&mut fw, &policy(30, &from, true)).unwrap();
                        assert_eq!(state(), before, "request {k}: could not go back");
                    }
                }
                k += 1;
                assert!(k < 200, "never completed");
            };
            assert!(k > 8, "only {k} requests: the test injects too little");
            let members = after
                .lines()
                .filter(|l| l.starts_with("add dfw-whitelist4 "))
                .count();
            assert_eq!(members, 2000, "{after}");
            eprintln!("failures injected at requests 1 to {}", k - 1);
            assert!(!after.contains("dfw-ban4"), "{after}");
        },
    );
}
