//! Pure tests of the protocol engine ([`Conn`]) against a scripted kernel, and of the retry
//! helpers against [`FakeTransport`]. No socket is opened.
//!
//! `mod.rs` holds the scripted kernel and message builders; the tests are grouped by topic.

mod batch;
mod dump;
mod fuzz;
mod recorded;
mod retry;
#[allow(unsafe_code)]
mod socket;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::fake::{done_reply, error_reply, headers, newgen_reply, FakeTransport, ScriptedIo};
use super::*;
use crate::nft::Batch;
use crate::wire::consts::*;
use crate::wire::{NfGenMsg, NlMsgWriter};

/// A small simulated nfnetlink: GETGEN answers the shared generation; a batch is checked
/// against it (ERESTART on BEGIN when stale); DELCHAIN messages fail with ENOENT; messages
/// flagged ACK are acknowledged, ECHO echoed; a clean batch bumps the generation.
pub(super) fn kernel(gen: Arc<AtomicU32>) -> ScriptedIo {
    ScriptedIo::new(move |d| {
        let hs = headers(d);
        let Some(first) = hs.first() else {
            return vec![];
        };
        if first.kind == nft_msg(NFT_MSG_GETGEN) {
            let mut r = vec![Ok(newgen_reply(first.seq, gen.load(Ordering::SeqCst)))];
            if first.flags & NLM_F_ACK != 0 {
                r.push(Ok(error_reply(first.seq, 0, first.kind, None)));
            }
            return r;
        }
        assert_eq!(
            first.kind, NFNL_MSG_BATCH_BEGIN,
            "sim only knows batches and GETGEN"
        );
        let info = inspect_batch(d).unwrap();
        if info.genid != 0 && info.genid != gen.load(Ordering::SeqCst) {
            return vec![Ok(error_reply(first.seq, ERESTART, first.kind, None))];
        }
        let mut out = vec![];
        let mut failed = false;
        for h in &hs {
            if h.kind == nft_msg(NFT_MSG_DELCHAIN) {
                failed = true;
                out.push(Ok(error_reply(
                    h.seq,
                    libc::ENOENT,
                    h.kind,
                    Some("no chain"),
                )));
            } else if h.flags & NLM_F_ACK != 0 {
                out.push(Ok(error_reply(h.seq, 0, h.kind, None)));
            }
            if h.flags & NLM_F_ECHO != 0 {
                out.push(Ok(newgen_reply(h.seq, 0)));
            }
        }
        if !failed {
            gen.fetch_add(1, Ordering::SeqCst);
        }
        out
    })
}

pub(super) fn msg(kind: u16, flags: u16) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(kind),
        NLM_F_REQUEST | flags,
        0,
        NfGenMsg {
            family: 2,
            ..Default::default()
        },
        |a| {
            a.string(NFTA_CHAIN_TABLE, "filter");
        },
    );
    w.into_bytes()
}

pub(super) fn batch(genid: u32, kinds: &[u16], flags: u16) -> Vec<u8> {
    let mut b = Batch::new(100, (genid != 0).then_some(genid));
    for &k in kinds {
        b.push_encoded(&msg(k, 0), flags, k).unwrap();
    }
    b.finish().into_bytes()
}

pub(super) fn conn(gen: u32) -> (Conn<ScriptedIo>, Arc<AtomicU32>) {
    let g = Arc::new(AtomicU32::new(gen));
    (Conn::new(kernel(g.clone())), g)
}
