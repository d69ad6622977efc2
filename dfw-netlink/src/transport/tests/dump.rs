//! Dumps and single gets through the engine: multipart, interruption, errors.

use super::*;

fn chain_msg(seq: u32, flags: u16) -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(NFT_MSG_NEWCHAIN),
        flags,
        seq,
        NfGenMsg::default(),
        |a| {
            a.string(NFTA_CHAIN_NAME, "X");
        },
    );
    w.into_bytes()
}

/// A kernel answering every dump with two datagrams (two chains, then a third chain and
/// DONE), with `intr_flag` on the last chain, and a stale message from another seq mixed in.
fn dump_kernel(intr_flag: u16) -> ScriptedIo {
    ScriptedIo::new(move |d| {
        let s = headers(d)[0].seq;
        let mut first = chain_msg(s, NLM_F_MULTI);
        first.extend(chain_msg(s.wrapping_add(50), NLM_F_MULTI));
        first.extend(chain_msg(s, NLM_F_MULTI));
        let mut second = chain_msg(s, NLM_F_MULTI | intr_flag);
        second.extend(done_reply(s, 0));
        vec![Ok(first), Ok(second)]
    })
}

pub(super) fn getchain_dump() -> Vec<u8> {
    let mut w = NlMsgWriter::new();
    w.message(
        nft_msg(NFT_MSG_GETCHAIN),
        NLM_F_REQUEST | NLM_F_DUMP,
        0,
        NfGenMsg::default(),
        |_| {},
    );
    w.into_bytes()
}

#[test]
fn dump_collects_multipart_replies_until_done() {
    let mut c = Conn::new(dump_kernel(0));
    let msgs = c.dump(&getchain_dump()).unwrap();
    assert_eq!(msgs.len(), 3);
    assert!(msgs.iter().all(|m| m == &chain_msg(1, NLM_F_MULTI)));
    let sent = headers(&c.io().sent[0]);
    assert_eq!(
        sent[0].flags,
        NLM_F_REQUEST | NLM_F_DUMP,
        "no ACK added to a dump"
    );
}

#[test]
fn interrupted_dump_is_retryable_and_snapshot_retries() {
    let mut c = Conn::new(dump_kernel(NLM_F_DUMP_INTR));
    let err = c.dump(&getchain_dump()).unwrap_err();
    assert!(
        matches!(err, TransportError::DumpInterrupted { seq: 1 }),
        "{err:?}"
    );

    let mut fake = FakeTransport::default();
    let mut reads = 0;
    let (gen, n) = snapshot(&mut fake, &RetryPolicy::immediate(5), |t| {
        reads += 1;
        if reads < 3 {
            t.generation = t.generation.wrapping_add(1); // a writer raced us
        }
        Ok::<_, TransportError>(reads)
    })
    .unwrap();
    assert_eq!((gen, n), (2, 3));
}

#[test]
fn dump_error_is_a_kernel_error() {
    let mut c = Conn::new(ScriptedIo::new(|d| {
        let h = headers(d)[0];
        vec![Ok(error_reply(h.seq, libc::ENOENT, h.kind, None))]
    }));
    let err = c.dump(&getchain_dump()).unwrap_err();
    let e = err.kernel_error().unwrap();
    assert_eq!((e.seq, e.errno), (1, libc::ENOENT));
}
