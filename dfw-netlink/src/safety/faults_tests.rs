//! Unit tests of fault messages (scripted transport): a kernel without a module, a user
//! without CAP_NET_ADMIN and a missing table each give one line that says what to do, and a
//! failed commit leaves the state directory's previous state as it was.

use dfw_core::model::{ChainName, Family, Iface, TableName};
use dfw_core::policy::Policy;
use dfw_core::syntax::parse_rule;

use super::{commit_policy, CommitOptions, SshGuard, StateDir};
use crate::enforce::commit_compiled_unguarded;
use crate::firewall::{ChainTarget, ChangeSet, Firewall};
use crate::transport::fake::FakeTransport;
use crate::transport::{KernelError, RetryPolicy, TransportError};

fn kernel_error(seq: u32, errno: i32) -> KernelError {
    KernelError {
        seq,
        errno,
        msg_type: None,
        reason: None,
        bad_attr_offset: None,
    }
}

fn conntrack_change() -> ChangeSet {
    ChangeSet {
        chains: vec![ChainTarget {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: ChainName::new("DFW-T").unwrap(),
            create: true,
            policy: None,
            rules: vec![parse_rule(
                Family::Ipv4,
                " -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            )
            .unwrap()
            .into()],
        }],
        delete_chains: vec![],
    }
}

#[test]
fn fault_missing_module_one_line_says_which() {
    for errno in [libc::EOPNOTSUPP, libc::ENOENT] {
        let mut t = FakeTransport::default();
        // BEGIN at 0x1000_0000, table +1, chain +2, the rule +3.
        t.batch_results
            .push_back(Err(TransportError::BatchRejected {
                errors: vec![kernel_error(0x1000_0003, errno)],
            }));
        let mut fw = Firewall::new(t);
        let e = fw.apply(&conntrack_change()).unwrap_err().to_string();
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains("ip filter DFW-T rule 1 (insert)"), "{e}");
        let hint = if errno == libc::EOPNOTSUPP {
            "missing kernel module (nf_tables / nft_compat / xt_conntrack ...)"
        } else {
            "no such table, chain, rule or extension"
        };
        assert!(e.contains(hint), "{e}");
    }
}

#[test]
fn fault_not_root_and_missing_table_one_line() {
    let policy = Policy::from_toml("[interfaces]\nexternal = [\"eth0\"]\n", "p.toml").unwrap();
    let compiled = policy.compile(&[Iface::parse("eth0").unwrap()]);
    for (errno, hint) in [
        (libc::EPERM, "not root: run as root or with CAP_NET_ADMIN"),
        (libc::ENOENT, "no such table, chain, rule or extension"),
    ] {
        let mut t = FakeTransport::default();
        t.dump_replies
            .push_back(Err(TransportError::Kernel(kernel_error(1, errno))));
        let mut fw = Firewall::new(t).with_retry(RetryPolicy::immediate(1));
        let e = commit_compiled_unguarded(&mut fw, Vec::new(), &compiled)
            .unwrap_err()
            .to_string();
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(hint), "{e}");
        assert!(fw.transport().sent_batches.is_empty());
    }
}

#[test]
fn fault_failed_commit_keeps_previous_state_file() {
    let base = std::env::temp_dir().join(format!("dfw-faults-{}", std::process::id()));
    let dir = StateDir::open(&base).unwrap();
    let empty = super::Snapshot::from_current(&Default::default()).unwrap();
    dir.save_previous(&empty).unwrap();
    let policy = Policy::from_toml("[interfaces]\nexternal = [\"eth0\"]\n", "p.toml").unwrap();
    let mut t = FakeTransport::default();
    t.batch_results
        .push_back(Err(TransportError::BatchRejected {
            errors: vec![kernel_error(0x1000_0001, libc::EPERM)],
        }));
    let mut fw = Firewall::new(t);
    let opts = CommitOptions {
        ssh: SshGuard::Off,
        ..CommitOptions::default()
    };
    let e = commit_policy(&mut fw, &dir, policy, &opts).unwrap_err();
    assert!(e.to_string().contains("not root"), "{e}");
    // A failed commit leaves the rollback point as it was (and no staged one).
    assert!(dir.previous().unwrap().unwrap().is_empty());
    assert_eq!(dir.read(super::STAGED).unwrap(), None);
    std::fs::remove_dir_all(base).unwrap();
}
