//! Fuzz target `codec_roundtrip`: model rule -> encode_rule -> wire -> decode_rule.
//! The check is `dfw_netlink::fuzzing::check_codec`, shared with the replay test on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dfw_netlink::fuzzing::check_codec(data));
