//! Pure tests of the protocol engine ([`Conn`]) against a scripted kernel, and of the retry
//! helpers against [`FakeTransport`]. No socket is opened.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::fake::{done_reply, error_reply, headers, newgen_reply, FakeTransport, ScriptedIo};
use super::*;
use crate::wire::consts::*;
use crate::wire::{NfGenMsg, NlMsgWriter};

/// A small simulated nfnetlink: GETGEN answers the shared generation; a batch is checked
/// against it (ERESTART on BEGIN when stale); DELCHAIN messages fail with ENOENT; messages
/// flagged ACK are acknowledged, ECHO echoed; a clean batch bumps the generation.
fn kernel(gen: Arc<AtomicU32>) -> ScriptedIo {
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

fn msg(kind: u16, flags: u16) -> Vec<u8> {
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

fn batch(genid: u32, kinds: &[u16], flags: u16) -> Vec<u8> {
    let mut b = Batch::new(genid, 100);
    for &k in kinds {
        b.push_encoded(&msg(k, 0), flags).unwrap();
    }
    b.finish()
}

fn conn(gen: u32) -> (Conn<ScriptedIo>, Arc<AtomicU32>) {
    let g = Arc::new(AtomicU32::new(gen));
    (Conn::new(kernel(g.clone())), g)
}

#[test]
fn generation_sends_getgen_with_ack_and_reads_newgen() {
    let (mut c, _) = conn(7);
    assert_eq!(c.generation().unwrap(), 7);
    let sent = headers(&c.io().sent[0]);
    assert_eq!(sent[0].kind, nft_msg(NFT_MSG_GETGEN));
    assert_eq!(sent[0].flags, NLM_F_REQUEST | NLM_F_ACK);
}

#[test]
fn batch_commits_and_fence_reports_new_generation() {
    let (mut c, gen) = conn(3);
    let b = batch(3, &[NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN], 0);
    let out = c.send_batch(&b).unwrap();
    assert_eq!(out.generation, 4);
    assert_eq!(gen.load(Ordering::SeqCst), 4);
    assert!(out.acked.is_empty() && out.echoes.is_empty());
    // Exactly two datagrams: the batch as is (one sendmsg), then the fence.
    assert_eq!(c.io().sent.len(), 2);
    assert_eq!(c.io().sent[0], b);
    let fence = headers(&c.io().sent[1]);
    assert_eq!(fence[0].kind, nft_msg(NFT_MSG_GETGEN));
    assert_eq!(
        fence[0].seq, 104,
        "first seq after BEGIN 100, two messages, END 103"
    );
}

#[test]
fn rejected_batch_names_seq_errno_type_and_reason() {
    let (mut c, gen) = conn(1);
    let b = batch(
        1,
        &[NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_DELCHAIN],
        0,
    );
    let err = c.send_batch(&b).unwrap_err();
    let TransportError::BatchRejected { errors } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].seq, 103);
    assert_eq!(errors[0].errno, libc::ENOENT);
    assert_eq!(errors[0].msg_type, Some(nft_msg(NFT_MSG_DELCHAIN)));
    assert_eq!(errors[0].reason.as_deref(), Some("no chain"));
    assert!(
        err.to_string().contains("ENOENT on DELCHAIN (seq 103)"),
        "{err}"
    );
    assert_eq!(gen.load(Ordering::SeqCst), 1, "nothing committed");
}

#[test]
fn stale_generation_is_a_typed_error() {
    let (mut c, _) = conn(9);
    let err = c.send_batch(&batch(8, &[NFT_MSG_NEWTABLE], 0)).unwrap_err();
    assert!(
        matches!(
            err,
            TransportError::GenerationChanged { seq: 100, genid: 8 }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[test]
fn acks_and_echoes_are_reported_and_required() {
    let (mut c, _) = conn(1);
    let out = c
        .send_batch(&batch(
            1,
            &[NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN],
            NLM_F_ACK | NLM_F_ECHO,
        ))
        .unwrap();
    assert_eq!(out.acked, vec![101, 102]);
    assert_eq!(out.echoes.len(), 2);
    // A kernel that drops an asked-for ACK is caught.
    let mut c = Conn::new(ScriptedIo::new(|d| {
        let hs = headers(d);
        match hs.first() {
            Some(h) if h.kind == nft_msg(NFT_MSG_GETGEN) => vec![Ok(newgen_reply(h.seq, 2))],
            _ => vec![],
        }
    }));
    let err = c
        .send_batch(&batch(0, &[NFT_MSG_NEWTABLE], NLM_F_ACK))
        .unwrap_err();
    assert!(
        matches!(err, TransportError::UnexpectedReply { seq: 101, .. }),
        "{err:?}"
    );
}

#[test]
fn lost_replies_timeouts_and_stale_replies() {
    let g = Arc::new(AtomicU32::new(1));
    let mut io = kernel(g.clone());
    // Leftovers of an abandoned exchange, and an old overrun: drained, not misread.
    io.preload(Ok(error_reply(
        101,
        libc::EEXIST,
        nft_msg(NFT_MSG_NEWTABLE),
        None,
    )));
    io.preload(Err(libc::ENOBUFS));
    let mut c = Conn::new(io);
    assert_eq!(
        c.send_batch(&batch(1, &[NFT_MSG_NEWTABLE], 0))
            .unwrap()
            .generation,
        2
    );

    let mut c = Conn::new(ScriptedIo::new(|_| vec![Err(libc::ENOBUFS)]));
    let err = c.send_batch(&batch(0, &[NFT_MSG_NEWTABLE], 0)).unwrap_err();
    assert!(
        matches!(err, TransportError::RepliesLost { during: "batch" }),
        "{err:?}"
    );

    let mut c = Conn::new(ScriptedIo::new(|_| vec![]));
    assert!(matches!(
        c.generation(),
        Err(TransportError::Timeout { .. })
    ));
}

#[test]
fn invalid_batches_are_never_sent() {
    let (mut c, _) = conn(1);
    let err = c.send_batch(&msg(NFT_MSG_NEWTABLE, 0)).unwrap_err();
    assert!(
        matches!(err, TransportError::InvalidBatch { .. }),
        "{err:?}"
    );
    let err = c.dump(&[1, 2, 3]).unwrap_err();
    assert!(
        matches!(err, TransportError::InvalidRequest { .. }),
        "{err:?}"
    );
    assert!(c.io().sent.is_empty());
}

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

fn getchain_dump() -> Vec<u8> {
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
        Ok(reads)
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

#[test]
fn commit_with_retry_rebuilds_on_generation_change_then_gives_up() {
    let (mut c, gen) = conn(10);
    let mut builds = vec![];
    let out = commit_with_retry(&mut c, &RetryPolicy::immediate(5), |_t, genid| {
        builds.push(genid);
        if builds.len() == 1 {
            gen.fetch_add(1, Ordering::SeqCst); // another writer commits in between
        }
        Ok::<_, TransportError>(batch(genid, &[NFT_MSG_NEWTABLE], 0))
    })
    .unwrap();
    assert_eq!(builds, vec![10, 11]);
    assert_eq!(out.generation, 12);

    let mut fake = FakeTransport {
        generation: 5,
        ..FakeTransport::default()
    };
    let err = commit_with_retry(&mut fake, &RetryPolicy::immediate(3), |t, genid| {
        t.inner().generation += 1;
        Ok::<_, TransportError>(batch(genid, &[NFT_MSG_NEWTABLE], 0))
    })
    .unwrap_err();
    let TransportError::RetriesExhausted { attempts, last } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*attempts, 3);
    assert!(matches!(**last, TransportError::GenerationChanged { .. }));
    assert_eq!(fake.sent_batches.len(), 3);
}

#[test]
fn commit_with_retry_passes_other_errors_through() {
    #[derive(Debug)]
    enum MyErr {
        Codec,
        T(TransportError),
    }
    impl From<TransportError> for MyErr {
        fn from(e: TransportError) -> Self {
            MyErr::T(e)
        }
    }
    let mut fake = FakeTransport::default();
    let r = commit_with_retry(&mut fake, &RetryPolicy::default(), |_, _| Err(MyErr::Codec));
    assert!(matches!(r, Err(MyErr::Codec)));
    let (mut c, _) = conn(1);
    let r = commit_with_retry(&mut c, &RetryPolicy::default(), |_, g| {
        Ok::<_, MyErr>(batch(g, &[NFT_MSG_DELCHAIN], 0))
    });
    assert!(matches!(
        r,
        Err(MyErr::T(TransportError::BatchRejected { .. }))
    ));
}

#[test]
fn commit_with_retry_retries_a_build_whose_dump_was_interrupted() {
    let mut fake = FakeTransport::default();
    fake.dump_replies
        .push_back(Err(TransportError::DumpInterrupted { seq: 4 }));
    let mut builds = 0;
    let out = commit_with_retry(&mut fake, &RetryPolicy::immediate(3), |t, genid| {
        builds += 1;
        t.dump(&getchain_dump())?;
        Ok::<_, TransportError>(batch(genid, &[NFT_MSG_NEWTABLE], 0))
    });
    assert!(out.is_ok(), "{out:?}");
    assert_eq!(builds, 2);
    assert_eq!(fake.dump_requests.len(), 2);
    assert_eq!(fake.sent_batches.len(), 1);
}
