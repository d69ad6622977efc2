//! Helpers shared by the golden-bytes tests (pure, no kernel).

pub mod captured;
pub mod ipset_captured;

use dfw_netlink::expr::Expr;
use dfw_netlink::nft::{decode_expr, encode_expr};
use dfw_netlink::wire::{AttrIter, AttrWriter};

/// Bytes from a hex string (whitespace ignored).
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(s.len() & 1 == 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Lower-case hex of `b`, for readable assertion failures.
pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Encodes `expr` after 8 bytes of 0xa5 and returns what was appended, checking the prefix
/// survived.
pub fn encode_one(expr: &Expr) -> Vec<u8> {
    let mut buf = vec![0xa5u8; 8];
    encode_expr(expr, &mut AttrWriter::new(&mut buf)).expect("encodes");
    assert_eq!(
        &buf[..8],
        &[0xa5; 8],
        "bytes before the expression were touched"
    );
    buf.split_off(8)
}

/// Decodes the single `NFTA_LIST_ELEM` in `bytes`.
pub fn decode_one(bytes: &[u8]) -> Expr {
    let mut it = AttrIter::new(bytes);
    let attr = it.next().expect("one attribute").expect("well-formed");
    assert!(it.next().is_none(), "exactly one attribute");
    decode_expr(attr).expect("decodes")
}

/// Checks both directions: `decode(bytes) == expr` and `encode(expr) == bytes`.
pub fn golden(hex_bytes: &str, expr: Expr) {
    let bytes = hex(hex_bytes);
    assert_eq!(decode_one(&bytes), expr, "decode");
    assert_eq!(to_hex(&encode_one(&expr)), to_hex(&bytes), "encode");
}

/// Removes every top-level attribute of type `kind` from a complete netlink message (header
/// and nfgenmsg kept) and fixes `nlmsg_len`.
pub fn strip_attr(msg: &[u8], kind: u16) -> Vec<u8> {
    let mut out = msg[..20].to_vec();
    let mut off = 20;
    while off + 4 <= msg.len() {
        let len = u16::from_ne_bytes([msg[off], msg[off + 1]]) as usize;
        let ty = u16::from_ne_bytes([msg[off + 2], msg[off + 3]]) & 0x3fff;
        let end = (off + len + 3) & !3;
        if ty != kind {
            out.extend_from_slice(&msg[off..end.min(msg.len())]);
        }
        off = end;
    }
    let n = out.len() as u32;
    out[..4].copy_from_slice(&n.to_ne_bytes());
    out
}
