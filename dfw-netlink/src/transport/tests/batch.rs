//! Batches through the engine: commit, rejection, stale generation, ACK/echo, lost replies.

use super::*;

#[test]
fn generation_sends_getgen_without_ack_and_reads_newgen() {
    let (mut c, _) = conn(7);
    assert_eq!(c.generation().unwrap(), 7);
    let sent = headers(&c.io().sent[0]);
    assert_eq!(sent[0].kind, nft_msg(NFT_MSG_GETGEN));
    assert_eq!(
        sent[0].flags, NLM_F_REQUEST,
        "no ACK to wait for: NEWGEN ends it"
    );
    // The NEWGEN was the exchange's end: nothing is left queued.
    assert!(c.io_mut().recv(false).unwrap().is_none());
}

#[test]
fn refused_getgen_is_a_kernel_error() {
    let mut c = Conn::new(ScriptedIo::new(|d| {
        let h = headers(d)[0];
        vec![Ok(error_reply(h.seq, libc::EPERM, h.kind, None))]
    }));
    let err = c.generation().unwrap_err();
    assert!(
        matches!(&err, TransportError::Kernel(k) if k.errno == libc::EPERM),
        "{err:?}"
    );
}

#[test]
fn replies_left_by_an_abandoned_exchange_are_drained_before_the_next() {
    let g = Arc::new(AtomicU32::new(5));
    let mut c = Conn::new(kernel(g));
    assert_eq!(c.generation().unwrap(), 5);
    // A reply lost in transit (ENOBUFS) abandons the exchange...
    c.io_mut().preload(Err(libc::ENOBUFS));
    let err = c.send_batch(&batch(5, &[NFT_MSG_NEWTABLE], 0)).unwrap_err();
    assert!(matches!(err, TransportError::RepliesLost { .. }), "{err:?}");
    // ...whose replies are still queued: the next exchange discards them first.
    assert_eq!(c.generation().unwrap(), 6);
    assert!(c.io_mut().recv(false).unwrap().is_none());
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
