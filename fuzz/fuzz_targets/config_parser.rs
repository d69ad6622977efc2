//! Fuzz target `config_parser`: the TOML config, then compile.
//! The check is `dfw_core::fuzzing::check_config`, shared with the replay test on stable.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| dfw_core::fuzzing::check_config(data));
