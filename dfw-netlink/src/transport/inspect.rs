//! The check of a finished batch's shape before it is sent: BEGIN (nf_tables, with or
//! without `NFNL_BATCH_GENID`), requests, END, distinct sequence numbers.
//!
//! Contract: pure. Batches are built by [`crate::nft::Batch`] (the one batch builder, whose
//! descriptions map a rejected seq back to the object it encodes); the transport only
//! inspects them, so the reply reader knows every seq and the genid.

use std::collections::HashMap;

use super::error::{BadShape, TransportError};
use crate::wire::consts::{
    NFNL_BATCH_GENID, NFNL_MSG_BATCH_BEGIN, NFNL_MSG_BATCH_END, NFNL_SUBSYS_NFTABLES,
};
use crate::wire::{split_messages, NfGenMsg, NlMsgHeader};

fn invalid(reason: BadShape) -> TransportError {
    TransportError::InvalidBatch { reason }
}

fn framing(at: &'static str, source: crate::wire::WireError) -> TransportError {
    invalid(BadShape::Framing { at, source })
}

/// One message of a batch, as [`inspect_batch`] saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMessage {
    /// Its sequence number.
    pub seq: u32,
    /// Its nlmsg type.
    pub kind: u16,
    /// Its `NLM_F_*` flags.
    pub flags: u16,
}

/// The shape of a finished batch: what the reply reader needs to know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInfo {
    /// Every message, BEGIN first and END last, in order.
    pub messages: Vec<BatchMessage>,
    /// The `NFNL_BATCH_GENID` of BEGIN (`0` when absent: no generation check).
    pub genid: u32,
    /// seq -> index in `messages`.
    index: HashMap<u32, usize>,
}

impl BatchInfo {
    /// Sequence number of BEGIN.
    pub fn begin_seq(&self) -> u32 {
        self.messages.first().map_or(0, |m| m.seq)
    }

    /// The message with sequence number `seq`.
    pub fn find(&self, seq: u32) -> Option<&BatchMessage> {
        self.index.get(&seq).and_then(|&i| self.messages.get(i))
    }

    /// A sequence number used by no message of the batch (for the fence request).
    pub fn unused_seq(&self) -> u32 {
        let mut s = self.messages.last().map_or(1, |m| m.seq.wrapping_add(1));
        while s == 0 || self.index.contains_key(&s) {
            s = s.wrapping_add(1);
        }
        s
    }
}

/// Checks that `batch` is BEGIN (res_id nf_tables), any number of nf_tables messages, END,
/// with distinct sequence numbers, and reads its genid.
///
/// # Errors
/// [`TransportError::InvalidBatch`] naming the first problem found. The kernel would drop a
/// batch of another shape, often without any reply, so it is never sent.
pub fn inspect_batch(batch: &[u8]) -> Result<BatchInfo, TransportError> {
    let mut messages = Vec::new();
    let mut genid = 0;
    let mut index = HashMap::new();
    for m in split_messages(batch) {
        let (h, body): (NlMsgHeader, &[u8]) = m.map_err(|source| framing("", source))?;
        let first = messages.is_empty();
        if first {
            if h.kind != NFNL_MSG_BATCH_BEGIN {
                return Err(invalid(BadShape::NoBegin));
            }
            let gen = NfGenMsg::parse(body).map_err(|source| framing("BEGIN", source))?;
            if gen.res_id != NFNL_SUBSYS_NFTABLES {
                return Err(invalid(BadShape::NotNfTables(gen.res_id)));
            }
            genid = begin_genid(&body[crate::wire::NFGENMSG_LEN..])?;
        } else if h.kind == NFNL_MSG_BATCH_BEGIN {
            return Err(invalid(BadShape::SecondBegin(h.seq)));
        }
        if index.insert(h.seq, messages.len()).is_some() {
            return Err(invalid(BadShape::SeqTwice(h.seq)));
        }
        let end = h.kind == NFNL_MSG_BATCH_END;
        messages.push(BatchMessage {
            seq: h.seq,
            kind: h.kind,
            flags: h.flags,
        });
        if end {
            break;
        }
    }
    match messages.last() {
        Some(m) if m.kind == NFNL_MSG_BATCH_END && messages.len() >= 2 => {}
        _ => return Err(invalid(BadShape::NoEnd)),
    }
    let used: usize = messages.len();
    if split_messages(batch).count() != used {
        return Err(invalid(BadShape::TrailingBytes));
    }
    Ok(BatchInfo {
        messages,
        genid,
        index,
    })
}

fn begin_genid(attrs: &[u8]) -> Result<u32, TransportError> {
    for a in crate::wire::AttrIter::new(attrs) {
        let a = a.map_err(|source| framing("BEGIN", source))?;
        if a.kind == NFNL_BATCH_GENID {
            return a
                .u32_be("BATCH_BEGIN")
                .map_err(|source| framing("BEGIN", source));
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nft::Batch;
    use crate::wire::consts::{
        nft_msg, NFTA_TABLE_NAME, NFT_MSG_NEWTABLE, NLM_F_ACK, NLM_F_CREATE, NLM_F_REQUEST,
    };
    use crate::wire::NlMsgWriter;

    fn newtable(seq: u32) -> Vec<u8> {
        let mut w = NlMsgWriter::new();
        w.message(
            nft_msg(NFT_MSG_NEWTABLE),
            NLM_F_REQUEST | NLM_F_CREATE,
            seq,
            NfGenMsg {
                family: 2,
                ..Default::default()
            },
            |a| {
                a.string(NFTA_TABLE_NAME, "filter");
            },
        );
        w.into_bytes()
    }

    /// The first two messages of the strace in xtables-nft-encoding.md 3.3 (genid 1), and END.
    #[test]
    fn matches_iptables_bytes() {
        let mut b = Batch::new(1, Some(1));
        assert_eq!(b.push_encoded(&newtable(99), 0, ()).unwrap(), 2);
        let bytes = b.finish().into_bytes();
        let begin: [u8; 28] = [
            28, 0, 0, 0, 0x10, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, // nlmsghdr
            0, 0, 0, 10, // AF_UNSPEC, v0, htons(10)
            8, 0, 1, 0, 0, 0, 0, 1, // NFNL_BATCH_GENID = 1 (BE)
        ];
        assert_eq!(&bytes[..28], &begin);
        assert_eq!(&bytes[28..28 + 32], &newtable(2)[..]);
        let end = &bytes[60..];
        assert_eq!(
            end,
            &[20, 0, 0, 0, 0x11, 0, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]
        );
        let info = inspect_batch(&bytes).unwrap();
        assert_eq!(info.genid, 1);
        assert_eq!(info.begin_seq(), 1);
        assert_eq!(info.messages.len(), 3);
        assert_eq!(info.unused_seq(), 4);
    }

    #[test]
    fn push_encoded_renumbers_and_adds_flags() {
        let mut b = Batch::new(10, None);
        assert_eq!(b.push_encoded(&newtable(50), NLM_F_ACK, "a").unwrap(), 11);
        assert_eq!(b.push_encoded(&newtable(50), NLM_F_ACK, "b").unwrap(), 12);
        assert_eq!(b.next_seq(), 13);
        let info = inspect_batch(b.finish().bytes()).unwrap();
        assert_eq!(info.genid, 0);
        let seqs: Vec<_> = info.messages.iter().map(|m| m.seq).collect();
        assert_eq!(seqs, [10, 11, 12, 13]);
        assert_eq!(
            info.messages[1].flags,
            NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK
        );
        assert!(info.find(12).is_some());
    }

    #[test]
    fn rejects_bad_input() {
        let mut b = Batch::new(1, None);
        assert!(b.push_encoded(&[1, 2, 3], 0, ()).is_err());
        assert!(b.push_encoded(&newtable(1), NLM_F_CREATE, ()).is_err());
        let mut two = newtable(1);
        two.extend(newtable(2));
        assert!(b.push_encoded(&two, 0, ()).is_err(), "two messages");
        let nested = Batch::<()>::new(1, None).finish().into_bytes();
        assert!(b.push_encoded(&nested[..20], 0, ()).is_err(), "BEGIN");
        assert_eq!(b.next_seq(), 2, "failed pushes leave the batch unchanged");
        let ok = b.finish().into_bytes();
        assert!(inspect_batch(&ok).is_ok());
        assert!(inspect_batch(&ok[..ok.len() - 20]).is_err(), "no END");
        assert!(inspect_batch(&newtable(1)).is_err(), "no BEGIN");
        assert!(inspect_batch(&[]).is_err());
        let mut trailing = ok.clone();
        trailing.extend(newtable(9));
        assert!(inspect_batch(&trailing).is_err());
        let mut dup = Batch::<()>::new(1, None).finish().into_bytes();
        dup[28] = 1; // END's seq (at 20 + 8) = BEGIN's seq
        assert!(inspect_batch(&dup).is_err(), "duplicate seq");
    }
}
