//! Pure-code benchmarks: `generate` (policy -> rules), `encode` (rules -> netlink batch bytes)
//! and `decode` (batch bytes -> rules), at 10, 1,000, 10,000 and 100,000 rules.
//!
//! `cargo bench -p dfw-benches --bench codec` measures; `cargo test --all-targets` runs each
//! benchmark once (criterion's test mode) so they never rot.

#[path = "common/args.rs"]
mod args;

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use dfw_benches::{
    compile, decode_batch, encode_batch, encode_compiled, policy_with_rules, rule_count,
};

const SIZES: [usize; 4] = [10, 1_000, 10_000, 100_000];

/// The sizes to run: all of them under `cargo bench`; the small ones in `cargo test`'s
/// one-iteration smoke mode (debug builds), so the test suite stays fast.
fn sizes() -> &'static [usize] {
    if std::env::args().any(|a| a == "--bench") {
        &SIZES
    } else {
        &SIZES[..2]
    }
}

fn generate(c: &mut Criterion) {
    let mut g = c.benchmark_group("generate");
    g.sample_size(10);
    for &n in sizes() {
        let policy = policy_with_rules(n);
        g.throughput(Throughput::Elements(rule_count(&compile(&policy)) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &policy, |b, p| {
            b.iter(|| compile(p))
        });
    }
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    g.sample_size(10);
    for &n in sizes() {
        let compiled = compile(&policy_with_rules(n));
        g.throughput(Throughput::Elements(rule_count(&compiled) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &compiled, |b, c| {
            b.iter(|| encode_batch(c).expect("encodes"))
        });
    }
    g.finish();
}

fn generate_and_encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("generate+encode");
    g.sample_size(10);
    for &n in sizes() {
        let policy = policy_with_rules(n);
        g.throughput(Throughput::Elements(rule_count(&compile(&policy)) as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &policy, |b, p| {
            b.iter(|| encode_compiled(compile(p)).expect("encodes"))
        });
    }
    g.finish();
}

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    g.sample_size(10);
    for &n in sizes() {
        let compiled = compile(&policy_with_rules(n));
        let bytes = encode_batch(&compiled).expect("encodes");
        let count = rule_count(&compiled);
        assert_eq!(decode_batch(&bytes), count, "every rule decodes");
        g.throughput(Throughput::Elements(count as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &bytes, |b, bytes| {
            b.iter(|| decode_batch(bytes))
        });
    }
    g.finish();
}

criterion_group!(benches, generate, encode, generate_and_encode, decode);

/// `criterion_main!`, after dropping the libtest options `cargo test` may pass.
fn main() {
    args::keep_criterion_args();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
