//! Fuzz target `restore_parser`: iptables-save / iptables-restore text, both families.
//! The check is `dfw_core::fuzzing::check_restore`, shared with the replay test on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dfw_core::fuzzing::check_restore(data));
