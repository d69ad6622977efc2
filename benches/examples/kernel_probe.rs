//! Probe of what bounds a one-rule change in a long chain, in the kernel: one chain of `N`
//! rules (and a small chain of 10 beside it, same table), then rounds of single-message
//! batches, each way of changing rule `N/2` in turn, timing the kernel's own work for each
//! batch (`BatchOutcome::batch_time`: its `sendmsg` up to the fence reply) and printing the
//! medians:
//! - `replace`: one NEWRULE `NLM_F_REPLACE` with the rule's handle (what dfw sends);
//! - `delete+insert`: DELRULE by handle + NEWRULE after the previous rule's handle (what dfw
//!   sent before);
//! - `delete`, `insert`: each half alone;
//! - `replace in a 10-rule chain of the same table`: the per-chain floor.
//!
//! `cargo run --release -p dfw-benches --example kernel_probe -- [N] [ROUNDS] [ONLY]` (ONLY:
//! the 0-based index of one batch kind above, to profile it alone; `PROBE_LOAD=iptables`
//! loads the long chain with `iptables-nft-restore -n`, in iptables 1.8.9's own encoding;
//! `PROBE_WARM=1` sends right after reading the chain (caches hot); root; the
//! thread runs in its own network namespace). Under `perf record -e cpu-clock -g` it shows
//! where the kernel spends a one-rule change.
//!
//! Measured on the development VM (kernel 6.18, 2 vCPUs shared), minimum of 20-40 rounds:
//! replace 4.1-4.5 ms, delete+insert 4.1-4.5 ms (+0.05-0.1 ms), delete 4.0 ms, insert 4.2 ms
//! at N = 10,000; replace 0.09 ms at N = 100, 0.44 ms at N = 1,000; in the 10-rule chain
//! beside the 10,000-rule one, 0.05-0.07 ms. `perf record -e cpu-clock -g` of `ONLY=0`
//! (samples inside `nfnetlink_rcv_batch`, the load excluded): `nf_tables_commit` 85.7%
//! inclusive (60.9% self: its inlined rebuild of the chain's rule blob walks every rule;
//! 24.8% `memcpy` of every rule's expressions into the new blob), `nf_tables_newrule` 13.0%
//! self (the handle lookup, a walk of the chain's rule list). The cost is the touched
//! chain's size; the rule encoding (`PROBE_LOAD=iptables`) and warm caches (`PROBE_WARM=1`)
//! do not change it.

use std::time::Duration;

use dfw_benches::kernel::{chain_rules, enter_private_netns, restore_script, CHAIN};
use dfw_core::diff::DiffStats;
use dfw_core::model::{ChainName, Family, Rule, TableName};
use dfw_netlink::firewall::{
    build_batch, ChainPlan, ChainTarget, ChangeSet, Firewall, Place, Plan, RuleOp,
};
use dfw_netlink::transport::{NetlinkTransport, Transport};

type Fw = Firewall<NetlinkTransport>;

const SMALL: &str = "DFWSMALL";

fn target(chain: &str, rules: Vec<Rule>) -> ChainTarget {
    ChainTarget {
        family: Family::Ipv4,
        table: TableName::Filter,
        chain: ChainName::new(chain).expect("valid name"),
        create: true,
        policy: None,
        rules: rules.into_iter().map(Into::into).collect(),
    }
}

/// Handles of `chain`, in order.
fn handles(fw: &mut Fw, chain: &str) -> Vec<u64> {
    fw.read_chains(Family::Ipv4, TableName::Filter, &[chain])
        .expect("read")
        .into_iter()
        .flat_map(|c| c.rules)
        .map(|r| r.handle)
        .collect()
}

/// Sends `ops` on `chain` as one batch; the kernel's time for it. Each insertion comes with
/// the rule it sends (a plan names its rules by position in a change set, built here).
fn send(fw: &mut Fw, chain: &str, ops: Vec<(RuleOp, Option<&Rule>)>) -> Duration {
    let len = ops
        .iter()
        .filter_map(|(op, _)| match op {
            RuleOp::Insert { position, .. } => Some(*position),
            RuleOp::Delete { .. } => None,
        })
        .max()
        .unwrap_or(0);
    let mut rules: Vec<Rule> = Vec::with_capacity(len);
    if let Some(filler) = ops.iter().find_map(|(_, r)| *r) {
        rules.resize(len, filler.clone());
    }
    for (op, rule) in &ops {
        if let (RuleOp::Insert { position, .. }, Some(r)) = (op, rule) {
            rules[position - 1] = (*r).clone();
        }
    }
    let changes = ChangeSet {
        chains: vec![target(chain, rules)],
        delete_chains: Vec::new(),
    };
    let plan = Plan {
        tables: Vec::new(),
        chains: vec![ChainPlan {
            family: Family::Ipv4,
            table: TableName::Filter,
            chain: chain.to_string(),
            create: None,
            set_policy: None,
            flush: false,
            ops: ops.into_iter().map(|(op, _)| op).collect(),
            stats: DiffStats::default(),
        }],
        delete_chains: Vec::new(),
        native: Vec::new(),
    };
    let t = fw.transport();
    let genid = t.generation().expect("generation");
    let batch = build_batch(&plan, &changes, genid, 0x2000_0000, false).expect("batch");
    t.send_batch(batch.bytes()).expect("batch").batch_time
}

fn ins(position: usize, place: Place, rule: &Rule) -> (RuleOp, Option<&Rule>) {
    (RuleOp::Insert { position, place }, Some(rule))
}

fn del(handle: u64, position: usize) -> (RuleOp, Option<&'static Rule>) {
    (RuleOp::Delete { handle, position }, None)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let rounds: usize = args.next().and_then(|v| v.parse().ok()).unwrap_or(30);
    let only: Option<usize> = args.next().and_then(|v| v.parse().ok());
    enter_private_netns().expect("private namespace (root?)");
    let mut fw = Firewall::open().expect("socket");
    let variants = [chain_rules(n, 0), chain_rules(n, 1)];
    let small = [chain_rules(10, 0), chain_rules(10, 1)];
    let mut load = vec![target(SMALL, small[0].clone())];
    if std::env::var("PROBE_LOAD").as_deref() == Ok("iptables") {
        // iptables-nft 1.8.9's own encoding of the same rules (native tcp port match).
        let path = std::env::temp_dir().join(format!("kernel-probe-{}.v4", std::process::id()));
        std::fs::write(&path, restore_script(n, 0)).expect("write script");
        let status = std::process::Command::new("iptables-nft-restore")
            .arg("-n")
            .stdin(std::fs::File::open(&path).expect("script"))
            .status()
            .expect("iptables-nft-restore");
        let _ = std::fs::remove_file(&path);
        assert!(status.success(), "iptables-nft-restore failed");
    } else {
        load.push(target(CHAIN, variants[0].clone()));
    }
    fw.apply(&ChangeSet {
        chains: load,
        delete_chains: Vec::new(),
    })
    .expect("load");
    let mid = n / 2;
    // PROBE_WARM=1: send right after reading the chain (its rules hot in the CPU caches, as
    // for iptables, which dumps the ruleset before each batch), instead of 150 ms later.
    let pause = match std::env::var("PROBE_WARM") {
        Ok(_) => Duration::ZERO,
        Err(_) => Duration::from_millis(150),
    };
    let settle = || std::thread::sleep(pause);
    let names = [
        "replace (1 NEWRULE, NLM_F_REPLACE)",
        "delete+insert (DELRULE + NEWRULE after)",
        "delete (DELRULE)",
        "insert (NEWRULE after)",
        "replace in a 10-rule chain of the same table",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    let mut v = 0;
    for _ in 0..rounds {
        for (k, list) in times.iter_mut().enumerate() {
            if only.is_some_and(|o| o != k) {
                continue;
            }
            let w = 1 - v;
            let h = handles(&mut fw, CHAIN);
            settle();
            let took = match k {
                0 => send(
                    &mut fw,
                    CHAIN,
                    vec![ins(mid + 1, Place::Replace(h[mid]), &variants[w][mid])],
                ),
                1 => send(
                    &mut fw,
                    CHAIN,
                    vec![
                        del(h[mid], mid + 1),
                        ins(mid + 1, Place::After(h[mid - 1]), &variants[w][mid]),
                    ],
                ),
                2 => {
                    let t = send(&mut fw, CHAIN, vec![del(h[mid], mid + 1)]);
                    settle();
                    send(
                        &mut fw,
                        CHAIN,
                        vec![ins(mid + 1, Place::After(h[mid - 1]), &variants[w][mid])],
                    );
                    t
                }
                3 => {
                    let t = send(
                        &mut fw,
                        CHAIN,
                        vec![ins(mid + 2, Place::After(h[mid]), &variants[w][mid])],
                    );
                    settle();
                    send(&mut fw, CHAIN, vec![del(h[mid], mid + 1)]);
                    t
                }
                _ => {
                    let s = handles(&mut fw, SMALL);
                    settle();
                    send(
                        &mut fw,
                        SMALL,
                        vec![ins(6, Place::Replace(s[5]), &small[w][5])],
                    )
                }
            };
            list.push(took);
            if k < 4 {
                v = w;
            }
        }
    }
    println!("one-rule change, rule {} of a {n}-rule chain, {rounds} rounds, kernel batch time (sendmsg to fence reply):", mid + 1);
    println!("| batch | median ms | min ms |");
    println!("|---|---:|---:|");
    for (name, list) in names.iter().zip(times) {
        if list.is_empty() {
            continue;
        }
        let min = *list.iter().min().expect("rounds > 0");
        println!(
            "| {name} | {:.3} | {:.3} |",
            median(list).as_secs_f64() * 1e3,
            min.as_secs_f64() * 1e3
        );
    }
}
