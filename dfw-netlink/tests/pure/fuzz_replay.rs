//! The netlink and codec fuzz corpora (`fuzz/corpus/`, `fuzz/regressions/`) replayed on
//! stable through the fuzz targets' own checks (`dfw_netlink::fuzzing`).

use crate::support::replay;

#[test]
fn replay_netlink_decoder_corpus() {
    replay::replay("netlink_decoder", 20, dfw_netlink::fuzzing::check_netlink);
}

#[test]
fn replay_codec_roundtrip_corpus() {
    replay::replay("codec_roundtrip", 20, dfw_netlink::fuzzing::check_codec);
}
