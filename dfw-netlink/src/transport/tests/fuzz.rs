//! No panics on any input: every decoder of kernel bytes and every batch check returns an
//! error (or ignores the bytes) on arbitrary input.

use proptest::prelude::*;

use super::*;
use crate::nft::Batch;
use crate::wire::{ErrorMsg, GenMsg, NlMsgHeader};

/// Arbitrary bytes, half of the time behind a plausible netlink header of a given type.
fn datagram() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        (
            prop_oneof![
                Just(NLMSG_ERROR),
                Just(NLMSG_DONE),
                Just(nft_msg(NFT_MSG_NEWGEN))
            ],
            any::<u16>(),
            1u32..8,
            proptest::collection::vec(any::<u8>(), 0..120),
        )
            .prop_map(|(kind, flags, seq, body)| {
                let mut v = vec![0u8; 16];
                NlMsgHeader {
                    len: (16 + body.len()) as u32,
                    kind,
                    flags,
                    seq,
                    pid: 0,
                }
                .emit(&mut v);
                v.extend(body);
                v
            }),
    ]
}

proptest! {
    #[test]
    fn collectors_never_panic(d in datagram()) {
        let mut c = DumpCollector::new(1, true, nft_msg(NFT_MSG_GETCHAIN));
        let _ = c.absorb(&d);
        let _ = c.finish();
        let info = inspect_batch(&batch(1, &[NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN], 0)).unwrap();
        let mut b = BatchCollector::new(&info, 5);
        let _ = b.absorb(&d);
        let _ = b.finish();
    }

    #[test]
    fn batch_checks_never_panic(d in datagram()) {
        let _ = inspect_batch(&d);
        let mut b = Batch::new(1, Some(1));
        let _ = b.push_encoded(&d, 0, ());
        prop_assert!(inspect_batch(b.finish().bytes()).is_ok());
    }

    #[test]
    fn error_messages_never_panic(flags: u16, body in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = ErrorMsg::parse(flags, &body);
        let _ = GenMsg::parse(&body);
    }
}
