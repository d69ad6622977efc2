//! dfw-netlink's integration tests that need neither root nor a kernel (one test binary,
//! `pure`): golden bytes of the nf_tables codec (expressions, messages, replies, whole rules,
//! xt info structs), codec properties, and the netlink fuzz corpora replayed on stable. The
//! kernel tests are in `tests/kernel/`.

#[path = "../support/mod.rs"]
pub mod support;

mod fuzz_replay;
mod ipset_golden;
mod native_encode_golden;
mod native_eval;
mod native_golden;
mod native_lockout;
mod nft_golden_expr;
mod nft_golden_msg;
mod nft_golden_replies;
mod nft_proptest;
mod rule_codec_props;
mod rule_golden;
mod xt_golden;
