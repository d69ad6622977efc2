//! Benchmarks for dfw live in `benches/` (criterion); this crate holds shared fixtures.
