//! proptest strategies for arbitrary valid model rules of both families, every match and
//! target kind. Shared by the codec property tests (`pure/rule_codec_props.rs`, `kernel/random_rules.rs`).
//!
//! The rules come from [`dfw_core::fuzzing::rule`], the byte-driven builder the fuzz targets
//! use, so the property tests and the fuzzers explore the same space (rules the codec can
//! represent exactly); proptest shrinks the bytes.

use dfw_core::fuzzing::{rule as rule_from, Bytes};
use dfw_core::model::{Family, Rule};
use proptest::prelude::*;

/// Either family.
pub fn family() -> impl Strategy<Value = Family> {
    prop_oneof![Just(Family::Ipv4), Just(Family::Ipv6)]
}

/// The first valid rule the bytes build, trying successive start offsets.
fn first_rule(family: Family, bytes: &[u8]) -> Option<Rule> {
    (0..bytes.len().min(64)).find_map(|skip| rule_from(&mut Bytes::new(&bytes[skip..]), family))
}

/// A valid rule of `family`.
pub fn rule(family: Family) -> BoxedStrategy<Rule> {
    proptest::collection::vec(any::<u8>(), 64..512)
        .prop_filter_map("bytes that build a valid rule", move |b| {
            first_rule(family, &b)
        })
        .boxed()
}

/// A family and a valid rule of it.
pub fn any_rule() -> impl Strategy<Value = (Family, Rule)> {
    family().prop_flat_map(|f| rule(f).prop_map(move |r| (f, r)))
}
