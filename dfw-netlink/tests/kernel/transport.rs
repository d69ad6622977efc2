//! Kernel tests of the transport. Each runs in its own private network namespace (see
//! `testkit`), so the host's ruleset is never touched. Without root they print `SKIPPED` and
//! pass, unless `DFW_REQUIRE_KERNEL=1` (then they fail).
//!
//! The few messages needed (NEWTABLE, NEWCHAIN, GETCHAIN/GETTABLE dumps) are hand-built here
//! with `NlMsgWriter`, in the form iptables-nft sends (xtables-nft-encoding.md 3.3).

use std::time::Instant;

use dfw_netlink::nft::Batch;
use dfw_netlink::transport::testkit::{kernel_test, netns_id, run_cmd};
use dfw_netlink::transport::{
    commit_with_retry, enter_netns, NetlinkSocket, NetlinkTransport, RetryPolicy, Transport,
    TransportError,
};
use dfw_netlink::wire::consts::*;
use dfw_netlink::wire::{split_messages, NfGenMsg, NlMsgWriter};

const AF_INET: u8 = 2;

fn gen(family: u8) -> NfGenMsg {
    NfGenMsg {
        family,
        version: NFNETLINK_V0,
        res_id: 0,
    }
}

/// NEWTABLE `table` (NLM_F_CREATE), as iptables sends it.
fn newtable(table: &str) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(NFT_MSG_NEWTABLE),
        NLM_F_REQUEST | NLM_F_CREATE,
        0,
        gen(AF_INET),
        |a| {
            a.string(NFTA_TABLE_NAME, table);
        },
    );
    w.into_bytes()
}

/// NEWCHAIN user chain `chain` in `table` (NLM_F_EXCL), as `iptables -N` sends it.
fn newchain(table: &str, chain: &str) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(NFT_MSG_NEWCHAIN),
        NLM_F_REQUEST | NLM_F_EXCL,
        0,
        gen(AF_INET),
        |a| {
            a.string(NFTA_CHAIN_TABLE, table)
                .string(NFTA_CHAIN_NAME, chain);
        },
    );
    w.into_bytes()
}

/// NEWRULE `-A chain -j ACCEPT` (counter + immediate accept + NFTA_RULE_COMPAT), the form of
/// the strace in xtables-nft-encoding.md 3.3.
fn accept_rule(table: &str, chain: &str) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(NFT_MSG_NEWRULE),
        NLM_F_REQUEST | NLM_F_CREATE | NLM_F_APPEND,
        0,
        gen(AF_INET),
        |a| {
            a.string(NFTA_RULE_TABLE, table)
                .string(NFTA_RULE_CHAIN, chain)
                .nested(NFTA_RULE_EXPRESSIONS, |l| {
                    l.nested(NFTA_LIST_ELEM, |e| {
                        e.string(NFTA_EXPR_NAME, "counter")
                            .nested(NFTA_EXPR_DATA, |d| {
                                d.u64_be(NFTA_COUNTER_BYTES, 0)
                                    .u64_be(NFTA_COUNTER_PACKETS, 0);
                            });
                    })
                    .nested(NFTA_LIST_ELEM, |e| {
                        e.string(NFTA_EXPR_NAME, "immediate")
                            .nested(NFTA_EXPR_DATA, |d| {
                                d.u32_be(NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT).nested(
                                    NFTA_IMMEDIATE_DATA,
                                    |v| {
                                        v.nested(NFTA_DATA_VERDICT, |c| {
                                            c.u32_be(NFTA_VERDICT_CODE, NF_ACCEPT as u32);
                                        });
                                    },
                                );
                            });
                    });
                })
                .nested(NFTA_RULE_COMPAT, |c| {
                    c.u32_be(NFTA_RULE_COMPAT_PROTO, 0)
                        .u32_be(NFTA_RULE_COMPAT_FLAGS, 0);
                });
        },
    );
    w.into_bytes()
}

fn dump_request(msg: u16) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(msg),
        NLM_F_REQUEST | NLM_F_DUMP,
        0,
        gen(AF_INET),
        |_| {},
    );
    w.into_bytes()
}

/// A batch at `genid` holding `msgs`; returns the bytes and each message's seq.
fn batch(genid: u32, msgs: &[Vec<u8>]) -> (Vec<u8>, Vec<u32>) {
    let mut b = Batch::new(1, Some(genid));
    let seqs = msgs
        .iter()
        .map(|m| b.push_encoded(m, 0, ()).unwrap())
        .collect();
    (b.finish().into_bytes(), seqs)
}

fn ruleset() -> String {
    run_cmd("nft", &["list", "ruleset"]).unwrap()
}

#[test]
fn kernel_getgen_works_and_increases_after_a_batch() {
    kernel_test("kernel_getgen_works_and_increases_after_a_batch", || {
        let mut t = NetlinkTransport::open().unwrap();
        let g0 = t.generation().unwrap();
        assert_eq!(t.generation().unwrap(), g0, "stable without writers");
        let (b, _) = batch(g0, &[newtable("filter")]);
        let out = t.send_batch(&b).unwrap();
        let g1 = t.generation().unwrap();
        assert!(g1 > g0, "{g0} -> {g1}");
        assert_eq!(out.generation, g1, "the fence reports the new generation");
    });
}

#[test]
fn kernel_batch_creates_user_chain_seen_by_iptables_save() {
    kernel_test(
        "kernel_batch_creates_user_chain_seen_by_iptables_save",
        || {
            let mut t = NetlinkTransport::open().unwrap();
            let g = t.generation().unwrap();
            let (b, _) = batch(g, &[newtable("filter"), newchain("filter", "DFW-TEST")]);
            t.send_batch(&b).unwrap();
            let save = run_cmd("iptables-save", &[]).unwrap();
            assert!(save.contains("*filter"), "{save}");
            assert!(save.contains(":DFW-TEST - [0:0]"), "{save}");
            // The same state through our own dumps.
            let tables = t.dump(&dump_request(NFT_MSG_GETTABLE)).unwrap();
            assert_eq!(tables.len(), 1);
            let chains = t.dump(&dump_request(NFT_MSG_GETCHAIN)).unwrap();
            assert_eq!(chains.len(), 1);
        },
    );
}

#[test]
fn kernel_rejected_batch_names_the_message_and_leaves_nothing() {
    kernel_test(
        "kernel_rejected_batch_names_the_message_and_leaves_nothing",
        || {
            let mut t = NetlinkTransport::open().unwrap();
            let g = t.generation().unwrap();
            let (b, seqs) = batch(
                g,
                &[
                    newtable("filter"),
                    newchain("filter", "DFW-OK"),
                    newchain("nosuchtable", "DFW-BAD"),
                ],
            );
            let err = t.send_batch(&b).unwrap_err();
            let TransportError::BatchRejected { errors } = &err else {
                panic!("{err:?}");
            };
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].seq, seqs[2]);
            assert_eq!(errors[0].errno, libc::ENOENT);
            assert_eq!(errors[0].msg_type, Some(nft_msg(NFT_MSG_NEWCHAIN)));
            println!("rejected batch: {err}");
            assert_eq!(ruleset().trim(), "", "nothing of the batch is left");
            assert_eq!(run_cmd("iptables-save", &[]).unwrap().trim(), "");
            println!(
                "genid {g} before the rejected batch, {} after",
                t.generation().unwrap()
            );
        },
    );
}

#[test]
fn kernel_stale_genid_is_generation_changed_and_retry_recovers() {
    kernel_test(
        "kernel_stale_genid_is_generation_changed_and_retry_recovers",
        || {
            let mut t = NetlinkTransport::open().unwrap();
            let stale = t.generation().unwrap();
            // Another writer commits (iptables itself, in this namespace).
            run_cmd("iptables", &["-N", "OTHER"]).unwrap();
            let (b, seqs) = batch(stale, &[newtable("filter"), newchain("filter", "DFW-A")]);
            let err = t.send_batch(&b).unwrap_err();
            match err {
                TransportError::GenerationChanged { seq, genid } => {
                    assert_eq!((seq, genid), (seqs[0] - 1, stale));
                }
                other => panic!("{other:?}"),
            }
            assert!(!ruleset().contains("DFW-A"));
            let mut attempts = 0;
            let out = commit_with_retry(&mut t, &RetryPolicy::default(), |_, genid| {
                attempts += 1;
                if attempts == 1 {
                    run_cmd("iptables", &["-N", "OTHER2"]).unwrap(); // race again once
                }
                Ok::<_, TransportError>(batch(genid, &[newchain("filter", "DFW-A")]).0)
            })
            .unwrap();
            assert_eq!(attempts, 2);
            assert!(out.generation > stale);
            let save = run_cmd("iptables-save", &[]).unwrap();
            assert!(save.contains(":DFW-A - [0:0]"), "{save}");
        },
    );
}

#[test]
fn kernel_100k_chains_in_one_sendmsg() {
    kernel_test("kernel_100k_chains_in_one_sendmsg", || {
        const N: usize = 100_000;
        let mut t = NetlinkTransport::open().unwrap();
        let g = t.generation().unwrap();
        let mut b = Batch::new(1, Some(g));
        b.push_encoded(&newtable("filter"), 0, ()).unwrap();
        for i in 0..N {
            b.push_encoded(&newchain("filter", &format!("DFW-{i}")), 0, ())
                .unwrap();
        }
        let bytes = b.finish().into_bytes();
        let start = Instant::now();
        let out = t.send_batch(&bytes).unwrap();
        let sent = start.elapsed();
        assert!(t.io().send_buffer().unwrap() >= bytes.len());
        let start = Instant::now();
        let chains = t.dump(&dump_request(NFT_MSG_GETCHAIN)).unwrap();
        let dumped = start.elapsed();
        assert_eq!(chains.len(), N);
        println!(
            "100k chains: batch {} bytes committed in {sent:?} (generation {}), dump of {} \
             chains in {dumped:?}",
            bytes.len(),
            out.generation,
            chains.len()
        );
    });
}

#[test]
fn kernel_100k_rules_with_counter_in_one_sendmsg() {
    kernel_test("kernel_100k_rules_with_counter_in_one_sendmsg", || {
        const N: usize = 100_000;
        let mut t = NetlinkTransport::open().unwrap();
        let mut b = Batch::new(1, Some(t.generation().unwrap()));
        b.push_encoded(&newtable("filter"), 0, ()).unwrap();
        b.push_encoded(&newchain("filter", "DFW-TEST"), 0, ())
            .unwrap();
        let rule = accept_rule("filter", "DFW-TEST");
        for _ in 0..N {
            b.push_encoded(&rule, 0, ()).unwrap();
        }
        let bytes = b.finish().into_bytes();
        let start = Instant::now();
        t.send_batch(&bytes).unwrap();
        let sent = start.elapsed();
        let save = run_cmd("iptables-save", &[]).unwrap();
        let rules = save
            .lines()
            .filter(|l| *l == "-A DFW-TEST -j ACCEPT")
            .count();
        assert_eq!(rules, N);
        println!(
            "100k rules: batch {} bytes ({} per rule) committed in {sent:?}",
            bytes.len(),
            rule.len()
        );
    });
}

#[test]
fn kernel_100k_rejections_are_all_reported_without_loss() {
    kernel_test(
        "kernel_100k_rejections_are_all_reported_without_loss",
        || {
            const N: usize = 100_000;
            let mut t = NetlinkTransport::open().unwrap();
            let mut b = Batch::new(1, Some(t.generation().unwrap()));
            for i in 0..N {
                b.push_encoded(&newchain("nosuchtable", &format!("C{i}")), 0, ())
                    .unwrap();
            }
            let start = Instant::now();
            let err = t.send_batch(&b.finish().into_bytes()).unwrap_err();
            let TransportError::BatchRejected { errors } = err else {
                panic!("{err:?}");
            };
            assert_eq!(errors.len(), N);
            assert!(errors.iter().all(|e| e.errno == libc::ENOENT));
            println!("100k rejected messages reported in {:?}", start.elapsed());
        },
    );
}

#[test]
fn kernel_lost_replies_are_a_typed_error_not_a_hang() {
    kernel_test("kernel_lost_replies_are_a_typed_error_not_a_hang", || {
        let mut sock = NetlinkSocket::open().unwrap();
        sock.set_receive_budget(0, 0);
        sock.set_receive_buffer(4096).unwrap();
        let mut t = dfw_netlink::transport::Conn::new(sock);
        let mut b = Batch::new(1, None);
        for i in 0..10_000 {
            b.push_encoded(&newchain("nosuchtable", &format!("C{i}")), 0, ())
                .unwrap();
        }
        let err = t.send_batch(&b.finish().into_bytes()).unwrap_err();
        assert!(
            matches!(err, TransportError::RepliesLost { during: "batch" }),
            "{err:?}"
        );
        // The socket recovers: the next exchange drains the leftovers.
        t.generation().unwrap();
    });
}

#[test]
fn kernel_acks_on_every_message_including_begin_and_end() {
    kernel_test(
        "kernel_acks_on_every_message_including_begin_and_end",
        || {
            let mut t = NetlinkTransport::open().unwrap();
            let g = t.generation().unwrap();
            let mut b = Batch::new(1, Some(g));
            let first = b.push_encoded(&newtable("filter"), NLM_F_ACK, ()).unwrap();
            let last = b
                .push_encoded(&newchain("filter", "X"), NLM_F_ACK, ())
                .unwrap();
            let bytes = b.finish().into_bytes();
            // Also ask for ACKs on BEGIN and END (honoured from Linux 6.10).
            let mut acked_all = bytes.clone();
            for (off, _) in offsets(&bytes) {
                let f = u16::from_ne_bytes([acked_all[off + 6], acked_all[off + 7]]) | NLM_F_ACK;
                acked_all[off + 6..off + 8].copy_from_slice(&f.to_ne_bytes());
            }
            let out = t.send_batch(&acked_all).unwrap();
            assert!(out.acked.contains(&first) && out.acked.contains(&last));
            println!("acked seqs (BEGIN=1, END={}): {:?}", last + 1, out.acked);
        },
    );
}

fn offsets(bytes: &[u8]) -> Vec<(usize, u32)> {
    let mut at = 0;
    let mut v = vec![];
    for m in split_messages(bytes) {
        let (h, _) = m.unwrap();
        v.push((at, h.seq));
        at += (h.len as usize + 3) & !3;
    }
    v
}

#[test]
fn kernel_child_process_inherits_the_threads_netns() {
    let host = netns_id().unwrap();
    kernel_test("kernel_child_process_inherits_the_threads_netns", || {
        let mine = netns_id().unwrap();
        assert_ne!(mine, host, "the test thread has its own namespace");
        let child = run_cmd("readlink", &["/proc/self/ns/net"]).unwrap();
        assert_eq!(
            child.trim(),
            mine,
            "a spawned child shares the thread's namespace"
        );
    });
}

/// Deletes the named namespace on drop.
struct NamedNetns(String);

impl Drop for NamedNetns {
    fn drop(&mut self) {
        let _ = run_cmd("ip", &["netns", "del", &self.0]);
    }
}

#[test]
fn kernel_enter_named_netns() {
    kernel_test("kernel_enter_named_netns", || {
        let name = format!("dfwtest-transport-{}", std::process::id());
        run_cmd("ip", &["netns", "add", &name]).unwrap();
        let _guard = NamedNetns(name.clone());
        std::thread::scope(|s| {
            s.spawn(|| {
                enter_netns(&name).unwrap();
                let mut t = NetlinkTransport::open().unwrap();
                let g = t.generation().unwrap();
                t.send_batch(&batch(g, &[newtable("filter")]).0).unwrap();
            })
            .join()
            .unwrap();
        });
        let there = run_cmd("ip", &["netns", "exec", &name, "nft", "list", "ruleset"]).unwrap();
        assert!(there.contains("table ip filter"), "{there}");
        assert!(
            !ruleset().contains("table ip filter"),
            "not in the test's own netns"
        );
        let missing = enter_netns("dfwtest-no-such-ns").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "network namespace dfwtest-no-such-ns does not exist (no /run/netns/dfwtest-no-such-ns: see `ip netns list`, or create it with `ip netns add dfwtest-no-such-ns`)"
        );
    });
}
