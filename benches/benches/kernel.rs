//! Kernel benchmarks, each in its own fresh private network namespace:
//! - `commit`: a fresh load of one chain of 10, 1,000 and 10,000 rules (the chain deleted
//!   before each, untimed), and replace-all (every rule differs from the chain's);
//! - `incremental`: one rule changed, one added, one removed in a 10,000-rule chain, with a
//!   warm handle (it made the last commit, so it plans against its kept state) and a cold one
//!   (a new handle: reads the chain first, like any process that starts per change); and the
//!   policy path (`enforce::commit_compiled_unguarded`) with a policy of as many rules: one
//!   whitelist entry changed, and a no-op recommit, warm handle.
//!
//! `cargo bench -p dfw-benches --bench kernel` measures (`DFW_BENCH_CHAIN=N` sets the
//! incremental chain's size); `cargo test --all-targets` runs
//! each once at small sizes. Without root or namespaces they print `SKIPPED` (fail under
//! `DFW_REQUIRE_KERNEL=1`).

#[path = "common/args.rs"]
mod args;

use std::time::{Duration, Instant};

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use dfw_benches::kernel::{
    chain_change, chain_rules, delete_change, enter_private_netns, kernel_available,
};
use dfw_benches::{compile, policy_with_rules, policy_with_rules_changed};
use dfw_core::model::Iface;
use dfw_core::policy::Compiled;
use dfw_netlink::enforce::commit_compiled_unguarded;
use dfw_netlink::firewall::{ChangeSet, Firewall};
use dfw_netlink::transport::NetlinkTransport;

type Fw = Firewall<NetlinkTransport>;

/// Pause after each untimed setup.
const SETTLE: Duration = Duration::from_millis(150);

/// `iters` rounds of `setup` (untimed) then `routine` (timed); the total time of `routine`.
fn timed(iters: u64, fw: &mut Fw, setup: impl Fn(&mut Fw), routine: impl Fn(&mut Fw)) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        setup(fw);
        // Let the kernel finish the previous batch's deferred work (rule destruction runs
        // after an RCU grace period; a new batch can wait for it), so each routine is timed
        // on a quiet ruleset, as a daemon applying changes seconds apart sees it.
        std::thread::sleep(SETTLE);
        let t = Instant::now();
        routine(fw);
        total += t.elapsed();
    }
    total
}

/// True under `cargo bench` (full sizes); false in `cargo test`'s smoke mode.
fn full() -> bool {
    std::env::args().any(|a| a == "--bench")
}

fn commit(c: &mut Criterion) {
    if !kernel_available("bench commit") {
        return;
    }
    enter_private_netns().expect("private namespace");
    let sizes: &[usize] = if full() {
        &[10, 1_000, 10_000]
    } else {
        &[10, 100]
    };
    let mut fw = Firewall::open().expect("netlink socket");
    let mut g = c.benchmark_group("commit");
    g.sample_size(10);
    for &n in sizes {
        let a = chain_change(chain_rules(n, 0));
        let b = chain_change(chain_rules(n, 1));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(BenchmarkId::new("fresh", n), |bench| {
            bench.iter_custom(|iters| {
                timed(
                    iters,
                    &mut fw,
                    |fw| {
                        fw.apply(&delete_change()).expect("delete");
                    },
                    |fw| {
                        fw.apply(&a).expect("load");
                    },
                )
            })
        });
        fw.apply(&a).expect("load");
        let mut flip = false;
        g.bench_function(BenchmarkId::new("replace-all", n), |bench| {
            bench.iter(|| {
                flip = !flip;
                let r = fw.apply(if flip { &b } else { &a }).expect("replace");
                assert_eq!(r.plan.stats().kept, 0);
            })
        });
        fw.apply(&delete_change()).expect("delete");
    }
    g.finish();
}

/// The chain, the chain with rule `n/2` changed, with one rule added at `n/2`, and with rule
/// `n/2` removed.
fn variants(n: usize) -> [ChangeSet; 4] {
    let base = chain_rules(n, 0);
    let other = chain_rules(n, 1);
    let mid = n / 2;
    let mut changed = base.clone();
    changed[mid] = other[mid].clone();
    let mut added = base.clone();
    added.insert(mid, chain_rules(n + 1, 0)[n].clone());
    let mut removed = base.clone();
    removed.remove(mid);
    [base, changed, added, removed].map(chain_change)
}

fn incremental(c: &mut Criterion) {
    if !kernel_available("bench incremental") {
        return;
    }
    enter_private_netns().expect("private namespace");
    let n = match std::env::var("DFW_BENCH_CHAIN")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => n,
        None if full() => 10_000,
        None => 100,
    };
    let [base, changed, added, removed] = variants(n);
    let mut fw = Firewall::open().expect("netlink socket");
    fw.apply(&base).expect("load");
    fw.apply(&base).expect("warm");
    let mut g = c.benchmark_group("incremental");
    g.sample_size(20);
    for (name, target) in [
        ("change1", &changed),
        ("add1", &added),
        ("remove1", &removed),
    ] {
        g.bench_function(BenchmarkId::new(format!("{name}-warm"), n), |bench| {
            bench.iter_custom(|iters| {
                timed(
                    iters,
                    &mut fw,
                    |fw| {
                        fw.apply(&base).expect("back to base");
                    },
                    |fw| {
                        let r = fw.apply(target).expect("apply");
                        assert!(r.plan.stats().deleted + r.plan.stats().inserted <= 2);
                    },
                )
            })
        });
    }
    g.bench_function(BenchmarkId::new("change1-cold", n), |bench| {
        bench.iter_custom(|iters| {
            timed(
                iters,
                &mut fw,
                |fw| {
                    fw.apply(&base).expect("back to base");
                    fw.forget_cached_state();
                },
                |fw| {
                    fw.apply(&changed).expect("apply");
                },
            )
        })
    });
    g.bench_function(BenchmarkId::new("noop-warm", n), |bench| {
        fw.apply(&base).expect("back to base");
        bench.iter(|| assert!(!fw.apply(&base).expect("apply").committed))
    });
    fw.apply(&delete_change()).expect("delete");
    policy(&mut g, &mut fw, n);
    g.finish();
}

/// The policy path (`enforce::commit_compiled_unguarded`, what `dfw-cli commit` and the
/// watch daemon's repairs run) with a policy of about `n` rules: one whitelist entry changed, and a
/// no-op recommit, with a warm handle.
fn policy(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    fw: &mut Fw,
    n: usize,
) {
    let base = compile(&policy_with_rules(n));
    let changed = compile(&policy_with_rules_changed(n, Some(n / 4)));
    let ext = vec![Iface::parse("eth0").expect("valid name")];
    let commit =
        |fw: &mut Fw, c: &Compiled| commit_compiled_unguarded(fw, ext.clone(), c).expect("commit");
    commit(fw, &base);
    commit(fw, &base);
    g.bench_function(BenchmarkId::new("policy-change1-warm", n), |bench| {
        bench.iter_custom(|iters| {
            timed(
                iters,
                fw,
                |fw| {
                    commit(fw, &base);
                },
                |fw| {
                    let r = commit(fw, &changed);
                    let s = r.applied.plan.stats();
                    assert!(s.deleted + s.inserted <= 2, "{s:?}");
                },
            )
        })
    });
    g.bench_function(BenchmarkId::new("policy-noop-warm", n), |bench| {
        commit(fw, &base);
        bench.iter(|| assert!(commit(fw, &base).is_noop()))
    });
}

criterion_group!(benches, commit, incremental);

/// `criterion_main!`, after dropping the libtest options `cargo test` may pass.
fn main() {
    args::keep_criterion_args();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
