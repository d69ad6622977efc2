//! `comment` match revision 0 (`struct xt_comment_info { char comment[256]; }`).
//!
//! The text is NUL-terminated; libxt_comment leaves every byte after it zero.

use dfw_core::model::matches::Comment;

use super::{check_len, fixed_str, XtError};

/// Extension name.
pub const NAME: &str = "comment";
/// Revision.
pub const REV: u32 = 0;
/// `XT_ALIGN(sizeof(struct xt_comment_info))`.
pub const INFO_LEN: usize = 256;

const EXT: &str = "comment";

/// Encodes `-m comment --comment TEXT`.
pub fn encode(c: &Comment) -> Vec<u8> {
    let mut b = vec![0u8; INFO_LEN];
    let text = c.as_str().as_bytes();
    b[..text.len()].copy_from_slice(text);
    b
}

/// Decodes a comment blob.
///
/// # Errors
/// [`XtError`] for a wrong length, a missing NUL, non-UTF-8 text or non-zero bytes after the NUL.
pub fn decode(info: &[u8]) -> Result<Comment, XtError> {
    check_len(EXT, info, INFO_LEN)?;
    let text = fixed_str(EXT, info)?;
    Comment::new(&text).map_err(XtError::model(EXT))
}
