//! Pure-code benchmarks of big policies: `audit` (the evaluator's audit of a compiled policy
//! of N rules, `dfw_benches::policy_with_rules`, IPv4: every mentioned source probed on one
//! external interface), at 10,000 and 100,000 rules. The kernel side of the same sizes
//! (restore over itself, no-op commit, status, audit through dfw-cli) is `dfw-scale`.
//!
//! `cargo bench -p dfw-benches --bench scale` measures; `cargo test --all-targets` runs each
//! benchmark once at 1,000 rules (criterion's test mode) so they never rot.

#[path = "common/args.rs"]
mod args;

use std::net::IpAddr;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use dfw_benches::{compile, policy_with_rules};
use dfw_core::eval::{audit, Host, HostIface, IfaceKind, Route};
use dfw_core::model::Network;

/// The sizes to run: all under `cargo bench`, a small one in `cargo test`'s smoke mode.
fn sizes() -> &'static [usize] {
    if std::env::args().any(|a| a == "--bench") {
        &[10_000, 100_000]
    } else {
        &[1_000]
    }
}

/// `eth0` (192.0.2.1/24) facing the world, routed by default.
fn host() -> Host {
    let ip = |s: &str| s.parse::<IpAddr>().expect("address");
    Host {
        ifaces: vec![HostIface {
            name: "eth0".into(),
            kind: IfaceKind::External,
            addrs: vec![(ip("192.0.2.1"), 24)],
        }],
        routes: vec![Route {
            dest: Network::with_prefix(ip("0.0.0.0"), 0).expect("/0"),
            iface: "eth0".into(),
        }],
        forwarding: true,
        mark_rules: None,
        sets: Default::default(),
    }
}

fn audit_bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("audit");
    g.sample_size(10);
    let h = host();
    for &n in sizes() {
        let compiled = compile(&policy_with_rules(n));
        let rs = compiled.v4.to_ruleset().expect("valid ruleset");
        let probes: usize = audit(&rs, &h)
            .host_ports
            .iter()
            .flat_map(|p| &p.exposure)
            .map(|e| e.probes.len())
            .sum();
        assert!(
            probes > n / 4,
            "every whitelisted source is probed ({probes})"
        );
        g.throughput(Throughput::Elements(compiled.v4.rules().count() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &rs, |b, rs| {
            b.iter(|| audit(rs, &h))
        });
    }
    g.finish();
}

criterion_group!(benches, audit_bench);

/// `criterion_main!`, after dropping the libtest options `cargo test` may pass.
fn main() {
    args::keep_criterion_args();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
