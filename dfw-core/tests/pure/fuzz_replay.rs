//! The restore and config fuzz corpora (`fuzz/corpus/`, `fuzz/regressions/`) replayed on
//! stable through the fuzz targets' own checks (`dfw_core::fuzzing`).

use crate::support::replay;

#[test]
fn replay_restore_parser_corpus() {
    replay::replay("restore_parser", 20, dfw_core::fuzzing::check_restore);
}

#[test]
fn replay_config_parser_corpus() {
    replay::replay("config_parser", 20, dfw_core::fuzzing::check_config);
}
