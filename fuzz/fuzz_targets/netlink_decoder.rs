//! Fuzz target `netlink_decoder`: every netlink reply, object, expression and xt decoder.
//! The check is `dfw_netlink::fuzzing::check_netlink`, shared with the replay test on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dfw_netlink::fuzzing::check_netlink(data));
