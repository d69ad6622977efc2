//! Tests of the evaluator. `rules` builds rulesets from iptables-save text with the model API
//! (test-only); `hosts` holds the simulated Docker host of the fixtures.

mod audit;
mod docker;
mod ext;
mod hosts;
mod matches;
mod opaque;
mod prop;
mod rules;
mod semantics;
