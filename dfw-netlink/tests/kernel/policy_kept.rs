//! A long-lived handle's policy commits against the state its last commit left (each test in
//! its own private network namespace, gated by `kernel_test`): while the generation holds, a
//! recommit or a changed policy reads nothing from the kernel and still leaves exactly what a
//! fresh handle would plan; a rule or a `DFW-*` chain someone else adds moves the generation,
//! and the next commit reads again, keeps the foreign rule and removes the stray chain.

use dfw_core::model::Family;
use dfw_core::policy::Policy;
use dfw_netlink::enforce;
use dfw_netlink::firewall::Firewall;
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::{BatchOutcome, NetlinkTransport, Transport, TransportError};

use crate::support::{load_here, Fixture};

fn policy(whitelist: &str) -> Policy {
    let text = format!(
        r#"
[interfaces]
external = ["eth0"]
[policy]
host = true
[[allow]]
ports = ["8080/tcp"]
from = ["203.0.113.0/24", "2001:db8:1::/48"]
[whitelist]
sources = ["{whitelist}", "2001:db8::7"]
"#
    );
    Policy::from_toml(&text, "test.toml").unwrap()
}

/// A transport counting the dumps (reads) sent through it.
struct Counting {
    inner: NetlinkTransport,
    dumps: usize,
}

impl Transport for Counting {
    fn generation(&mut self) -> Result<u32, TransportError> {
        self.inner.generation()
    }
    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.dumps += 1;
        self.inner.dump(request)
    }
    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        self.inner.send_batch(batch)
    }
}

/// True when a fresh handle (reading everything) finds nothing to do for `p`.
fn converged(p: &Policy) -> bool {
    enforce::plan(&mut Firewall::open().unwrap(), p)
        .unwrap()
        .is_empty()
}

fn save(family: Family) -> String {
    let prog = match family {
        Family::Ipv4 => "iptables-save",
        Family::Ipv6 => "ip6tables-save",
    };
    run_cmd(prog, &["-t", "filter"]).unwrap()
}

#[test]
fn kernel_policy_warm_commits_read_nothing_until_someone_else_writes() {
    kernel_test("kernel_policy_warm_commits", || {
        load_here(Fixture::Docker29V4);
        let mut fw = Firewall::new(Counting {
            inner: NetlinkTransport::open().unwrap(),
            dumps: 0,
        });
        let a = policy("198.51.100.7");
        let b = policy("198.51.100.8");
        assert!(
            enforce::commit_unguarded(&mut fw, &a)
                .unwrap()
                .applied
                .committed
        );
        assert!(fw.transport().dumps > 0, "the first commit reads");

        // Unchanged generation: no read at all, for a no-op and for a change.
        let before = fw.transport().dumps;
        assert!(enforce::commit_unguarded(&mut fw, &a).unwrap().is_noop());
        let r = enforce::commit_unguarded(&mut fw, &b).unwrap();
        assert!(r.applied.committed);
        let s = r.applied.plan.stats();
        // The whitelisted address is one rule in each chain that whitelists.
        assert!(s.deleted == s.inserted && s.deleted <= 2, "{s:?}");
        assert_eq!(fw.transport().dumps, before, "warm commits read nothing");
        assert!(converged(&b), "the kept state matched the kernel");
        assert!(save(Family::Ipv4).contains("-s 198.51.100.8/32"));
        assert!(enforce::commit_unguarded(&mut fw, &b).unwrap().is_noop());
        assert_eq!(fw.transport().dumps, before);

        // Someone else adds a rule to DOCKER-USER: read again, the rule stays.
        run_cmd(
            "iptables",
            &["-A", "DOCKER-USER", "-s", "192.0.2.77", "-j", "DROP"],
        )
        .unwrap();
        assert!(
            enforce::commit_unguarded(&mut fw, &a)
                .unwrap()
                .applied
                .committed
        );
        assert!(fw.transport().dumps > before, "a moved generation reads");
        assert!(save(Family::Ipv4).contains("-A DOCKER-USER -s 192.0.2.77/32 -j DROP"));
        assert!(converged(&a));

        // Someone else creates a DFW-* chain (found by prefix only): read, and removed.
        run_cmd("ip6tables", &["-N", "DFW-STRAY"]).unwrap();
        let before = fw.transport().dumps;
        assert!(
            enforce::commit_unguarded(&mut fw, &a)
                .unwrap()
                .applied
                .committed
        );
        assert!(fw.transport().dumps > before);
        assert!(!save(Family::Ipv6).contains("DFW-STRAY"));
        assert!(converged(&a));
        let before = fw.transport().dumps;
        assert!(enforce::commit_unguarded(&mut fw, &a).unwrap().is_noop());
        assert_eq!(fw.transport().dumps, before);
    });
}

#[test]
fn kernel_drift_check_then_repair_reads_the_kernel_once() {
    kernel_test("kernel_drift_then_repair", || {
        load_here(Fixture::Docker29V4);
        let mut fw = Firewall::new(Counting {
            inner: NetlinkTransport::open().unwrap(),
            dumps: 0,
        });
        let a = policy("198.51.100.7");
        let external = vec![dfw_core::model::Iface::parse("eth0").unwrap()];
        let compiled = a.compile(&external);
        assert!(
            enforce::commit_compiled_unguarded(&mut fw, external.clone(), &compiled)
                .unwrap()
                .applied
                .committed
        );
        // Someone flushes DOCKER-USER (the watch daemon's case): the drift check reads once,
        // and the repair plans against that read.
        run_cmd("iptables", &["-F", "DOCKER-USER"]).unwrap();
        let before = fw.transport().dumps;
        assert!(!enforce::drift(&mut fw, &compiled).unwrap().is_empty());
        let after_check = fw.transport().dumps;
        assert!(after_check > before, "the drift check reads");
        let r = enforce::commit_compiled_unguarded(&mut fw, external, &compiled).unwrap();
        assert!(r.applied.committed);
        assert_eq!(
            fw.transport().dumps,
            after_check,
            "the repair reads nothing more"
        );
        assert!(enforce::drift(&mut fw, &compiled).unwrap().is_empty());
        assert!(
            save(Family::Ipv4).contains("-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER")
        );
    });
}

#[test]
fn kernel_warm_commits_keep_dfws_native_table_without_reading() {
    kernel_test("kernel_warm_commits_native", || {
        load_here(Fixture::Docker29V4);
        let mut fw = Firewall::new(Counting {
            inner: NetlinkTransport::open().unwrap(),
            dumps: 0,
        });
        let with_key = |w: &str, mark: &str| {
            let text = format!(
                "[interfaces]\nexternal = [\"eth0\"]\n[whitelist]\nsources = [\"{w}\"]\n\
                 [[forward]]\nin = \"eth1\"\nout = \"docker0\"\n\
                 [docker]\naccept_fwmark = \"{mark}\"\n"
            );
            Policy::from_toml(&text, "test.toml").unwrap()
        };
        let a = with_key("198.51.100.7", "0x100/0xff00");
        assert!(
            enforce::commit_unguarded(&mut fw, &a)
                .unwrap()
                .applied
                .committed
        );
        let list = || run_cmd("nft", &["list", "table", "inet", "dfw"]);
        assert!(list().unwrap().contains("0x00000100"));
        // Warm: a no-op, a rule change and a mark change read nothing; the kernel agrees.
        let before = fw.transport().dumps;
        assert!(enforce::commit_unguarded(&mut fw, &a).unwrap().is_noop());
        let b = with_key("198.51.100.8", "0x200/0xff00");
        assert!(
            enforce::commit_unguarded(&mut fw, &b)
                .unwrap()
                .applied
                .committed
        );
        assert_eq!(fw.transport().dumps, before, "warm commits read nothing");
        assert!(list().unwrap().contains("0x00000200"));
        assert!(converged(&b));
        // Someone deletes the table: the generation moves, the next commit reads and repairs.
        run_cmd("nft", &["delete", "table", "inet", "dfw"]).unwrap();
        assert!(
            enforce::commit_unguarded(&mut fw, &b)
                .unwrap()
                .applied
                .committed
        );
        assert!(fw.transport().dumps > before);
        assert!(list().unwrap().contains("0x00000200"));
        assert!(converged(&b));
    });
}
