//! The retry helpers against the scripted kernel and [`FakeTransport`].

use super::dump::getchain_dump;
use super::*;

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
