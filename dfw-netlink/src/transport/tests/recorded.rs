//! Replies recorded from a real kernel, decoded by the engine.

use super::*;
use crate::nft::Batch;

/// Reply bytes recorded with `strace -xx` from the kernel (Linux 6.18) during the kernel test
/// `kernel_rejected_batch_names_the_message_and_leaves_nothing`: BEGIN seq 1, NEWTABLE 2,
/// NEWCHAIN 3, NEWCHAIN into a missing table 4, END 5, fence GETGEN 6; socket port 10450.
mod bytes {
    /// `NLMSG_ERROR` for seq 4: flags CAPPED|ACK_TLVS, -ENOENT, the rejected NEWCHAIN's header
    /// (len 48, flags REQUEST|EXCL), then `NLMSGERR_ATTR_OFFS` = 20.
    pub const ENOENT_SEQ4: [u8; 44] = [
        44, 0, 0, 0, 2, 0, 0, 3, 4, 0, 0, 0, 0xd2, 0x28, 0, 0, // nlmsghdr
        0xfe, 0xff, 0xff, 0xff, // error = -2
        48, 0, 0, 0, 3, 0x0a, 1, 2, 4, 0, 0, 0, 0, 0, 0, 0, // rejected message's header
        8, 0, 2, 0, 20, 0, 0, 0, // NLMSGERR_ATTR_OFFS = 20
    ];
    /// NEWGEN answering the fence (seq 6): genid 1, pid, process name.
    pub const NEWGEN_SEQ6: [u8; 56] = [
        56, 0, 0, 0, 0x0f, 0x0a, 0, 0, 6, 0, 0, 0, 0xd2, 0x28, 0, 0, // nlmsghdr
        0, 0, 0, 1, // nfgenmsg: res_id = low 16 bits of the genid
        8, 0, 1, 0, 0, 0, 0, 1, // NFTA_GEN_ID = 1
        8, 0, 2, 0, 0, 0, 0x28, 0xd5, // NFTA_GEN_PROC_PID
        20, 0, 3, 0, b'k', b'e', b'r', b'n', b'e', b'l', b'_', b'r', b'e', b'j', b'e', b'c', b't',
        b'e', b'd', 0, // NFTA_GEN_PROC_NAME
    ];
}

#[test]
fn recorded_kernel_replies_decode() {
    let mut c = Conn::new(ScriptedIo::new(|d| match headers(d)[0].kind {
        k if k == NFNL_MSG_BATCH_BEGIN => vec![Ok(bytes::ENOENT_SEQ4.to_vec())],
        _ => vec![Ok(bytes::NEWGEN_SEQ6.to_vec())],
    }));
    let mut b = Batch::new(1, Some(1));
    for k in [NFT_MSG_NEWTABLE, NFT_MSG_NEWCHAIN, NFT_MSG_NEWCHAIN] {
        b.push_encoded(&msg(k, 0), 0, k).unwrap();
    }
    let err = c.send_batch(b.finish().bytes()).unwrap_err();
    assert_eq!(headers(&c.io().sent[1])[0].seq, 6, "fence seq as recorded");
    let e = err.kernel_error().unwrap();
    assert_eq!(e.seq, 4);
    assert_eq!(e.errno, libc::ENOENT);
    assert_eq!(e.msg_type, Some(nft_msg(NFT_MSG_NEWCHAIN)));
    assert_eq!(e.bad_attr_offset, Some(20));
    // Our synthesized error has the kernel's layout (header flags, rejected header, TLVs).
    let ours = error_reply(4, libc::ENOENT, nft_msg(NFT_MSG_NEWCHAIN), None);
    assert_eq!(&ours[4..12], &[2, 0, 0, 1, 4, 0, 0, 0]);
    assert_eq!(&ours[16..20], &bytes::ENOENT_SEQ4[16..20]);
    assert_eq!(&ours[24..26], &bytes::ENOENT_SEQ4[24..26]);
    let (h, body) = crate::wire::split_messages(&bytes::NEWGEN_SEQ6)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(h.seq, 6);
    let gen = crate::wire::GenMsg::parse(body).unwrap();
    assert_eq!(
        (gen.id, gen.proc_name.as_deref()),
        (1, Some("kernel_rejected"))
    );
}
