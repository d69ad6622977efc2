//! Rule userdata (`NFTA_RULE_USERDATA`): libnftnl's TLV list `{u8 type; u8 len; value}`.
//!
//! Contract: [`parse_udata`] splits the bytes into TLVs (an error if one runs past the end);
//! [`build_udata`] is its inverse. Type 0 (`NFTNL_UDATA_RULE_COMMENT`) is the comment nft and
//! iptables-save show (`-m comment`); its value is NUL-terminated, at most 128 bytes with the
//! NUL in nft. Other types are free for dfw (for example to tag its own rules).

use super::EncodeError;
use crate::wire::WireError;

/// `NFTNL_UDATA_RULE_COMMENT`.
pub const UDATA_RULE_COMMENT: u8 = 0;
/// Longest comment nft accepts, NUL included (`NFTNL_UDATA_COMMENT_MAXLEN`).
pub const UDATA_COMMENT_MAXLEN: usize = 128;

/// One userdata TLV.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Udata {
    /// Type.
    pub kind: u8,
    /// Value (for a comment: the text and its NUL).
    pub value: Vec<u8>,
}

impl Udata {
    /// A comment TLV as nft writes it (`comment "text"`).
    ///
    /// # Errors
    /// [`EncodeError::BadName`] when the text holds a NUL or is longer than 127 bytes.
    pub fn comment(text: &str) -> Result<Self, EncodeError> {
        if text.as_bytes().contains(&0) || text.len() >= UDATA_COMMENT_MAXLEN {
            return Err(EncodeError::BadName {
                what: "rule comment",
                name: text.to_owned(),
                reason: "NUL byte or longer than 127 bytes",
            });
        }
        let mut value = text.as_bytes().to_vec();
        value.push(0);
        Ok(Udata {
            kind: UDATA_RULE_COMMENT,
            value,
        })
    }

    /// The comment text, if this is a well-formed comment TLV.
    pub fn as_comment(&self) -> Option<&str> {
        match self.value.split_last() {
            Some((0, text)) if self.kind == UDATA_RULE_COMMENT => std::str::from_utf8(text).ok(),
            _ => None,
        }
    }
}

/// Splits rule userdata into its TLVs.
///
/// # Errors
/// [`WireError::Truncated`] when a TLV's length runs past the end.
pub fn parse_udata(mut buf: &[u8]) -> Result<Vec<Udata>, WireError> {
    let mut out = Vec::new();
    while let [kind, len, rest @ ..] = buf {
        let len = *len as usize;
        if rest.len() < len {
            return Err(WireError::Truncated {
                what: "rule userdata TLV",
                need: len,
                have: rest.len(),
            });
        }
        out.push(Udata {
            kind: *kind,
            value: rest[..len].to_vec(),
        });
        buf = &rest[len..];
    }
    if !buf.is_empty() {
        return Err(WireError::Truncated {
            what: "rule userdata TLV header",
            need: 2,
            have: buf.len(),
        });
    }
    Ok(out)
}

/// Joins TLVs into rule userdata.
///
/// # Errors
/// [`EncodeError::TooLong`] when a value exceeds 255 bytes.
pub fn build_udata(tlvs: &[Udata]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::new();
    for t in tlvs {
        let len = u8::try_from(t.value.len()).map_err(|_| EncodeError::TooLong {
            what: "rule userdata TLV",
            len: t.value.len(),
        })?;
        out.push(t.kind);
        out.push(len);
        out.extend_from_slice(&t.value);
    }
    Ok(out)
}

/// The comment in a rule's userdata, if any (as iptables-save shows it).
pub fn udata_comment(userdata: &[u8]) -> Option<String> {
    parse_udata(userdata)
        .ok()?
        .iter()
        .find_map(|t| t.as_comment().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comment_round_trip_and_malformed_input() {
        // `nft --debug=netlink`: userdata = { \x00\x0bfrom-udata\x00 } (shared doc, 3.4).
        let bytes = b"\x00\x0bfrom-udata\x00";
        let tlvs = parse_udata(bytes).unwrap();
        assert_eq!(tlvs, vec![Udata::comment("from-udata").unwrap()]);
        assert_eq!(build_udata(&tlvs).unwrap(), bytes);
        assert_eq!(udata_comment(bytes).as_deref(), Some("from-udata"));
        assert!(parse_udata(b"\x00\x05ab").is_err());
        assert!(parse_udata(b"\x07").is_err());
        assert_eq!(parse_udata(b"").unwrap(), vec![]);
        assert!(Udata::comment(&"x".repeat(128)).is_err());
        assert!(Udata::comment("a\0b").is_err());
        let big = Udata {
            kind: 9,
            value: vec![0; 256],
        };
        assert!(build_udata(&[big]).is_err());
    }
}
