//! Transport errors: what went wrong between dfw and the kernel, with the errno's name, a hint
//! for a person, and the sequence number of the message the kernel rejected, so a higher layer
//! can map it back to the table, chain or rule position it encoded there.

use std::time::Duration;

use super::names::{errno_hint, errno_name, msg_type_name};
use crate::wire::{ErrorMsg, WireError};

/// One message the kernel answered with a non-zero errno.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelError {
    /// Sequence number of the rejected message.
    pub seq: u32,
    /// Positive errno (`2` = `ENOENT`).
    pub errno: i32,
    /// nlmsg type of the rejected message, when the reply or the batch tells it.
    pub msg_type: Option<u16>,
    /// The kernel's extended-ack text (`NLMSGERR_ATTR_MSG`), if any.
    pub reason: Option<String>,
    /// Byte offset of the offending attribute in the rejected message (`NLMSGERR_ATTR_OFFS`).
    pub bad_attr_offset: Option<u32>,
    /// The rejected message as the kernel echoed it back whole (not capped), when it did: ipset
    /// does, with the failing entry's line number written into it.
    pub echoed: Option<Vec<u8>>,
}

impl KernelError {
    /// The error an `NLMSG_ERROR` reports; `seq` is that message's own sequence number (the
    /// one replies are matched by).
    pub(crate) fn from_msg(seq: u32, e: ErrorMsg) -> KernelError {
        KernelError {
            seq,
            errno: e.errno,
            msg_type: Some(e.msg_type),
            reason: e.message,
            bad_attr_offset: e.bad_attr_offset,
            echoed: None,
        }
    }
}

impl std::fmt::Display for KernelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", errno_name(self.errno))?;
        if let Some(t) = self.msg_type {
            write!(f, " on {}", msg_type_name(t))?;
        }
        write!(f, " (seq {})", self.seq)?;
        let hint = errno_hint(self.errno);
        if !hint.is_empty() {
            write!(f, ": {hint}")?;
        }
        if let Some(r) = &self.reason {
            write!(f, "; kernel says: {r}")?;
        }
        if let Some(o) = self.bad_attr_offset {
            write!(f, "; bad attribute at byte {o}")?;
        }
        Ok(())
    }
}

/// Everything the transport can fail with.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A system call on the netlink socket failed.
    #[error("{op} failed: {}{}", errno_name(*errno), hint_suffix(*errno))]
    Sys {
        /// The operation (`"socket"`, `"sendmsg"`, ...).
        op: &'static str,
        /// Positive errno.
        errno: i32,
    },
    /// The kernel rejected a single (non-batch) request.
    #[error("kernel rejected request: {0}")]
    Kernel(KernelError),
    /// The kernel rejected one or more messages of a batch; nothing of the batch was committed.
    #[error("batch rejected, nothing committed: {}{}", .errors[0], more(.errors.len()))]
    BatchRejected {
        /// Every error the kernel reported, in arrival order (never empty).
        errors: Vec<KernelError>,
    },
    /// The batch's generation id was stale (`ERESTART` on the BEGIN message): re-read and retry.
    #[error(
        "ruleset generation changed since genid {genid} was read (ERESTART on batch begin seq \
         {seq}): re-read the ruleset and retry"
    )]
    GenerationChanged {
        /// Sequence number of the BATCH_BEGIN message.
        seq: u32,
        /// The stale generation the batch carried.
        genid: u32,
    },
    /// A dump reply carried `NLM_F_DUMP_INTR`: the ruleset changed during the dump. Retry it.
    #[error("dump seq {seq} was interrupted by a concurrent ruleset change: retry the dump")]
    DumpInterrupted {
        /// Sequence number of the dump request.
        seq: u32,
    },
    /// The socket's receive queue overflowed (`ENOBUFS`): kernel replies were dropped.
    #[error(
        "netlink replies were lost during {during} (ENOBUFS: receive buffer overrun); its \
         outcome is unknown: re-read the ruleset"
    )]
    RepliesLost {
        /// What was being read (`"batch"`, `"dump"`, `"generation"`).
        during: &'static str,
    },
    /// The kernel did not answer in time.
    #[error("no reply from the kernel to seq {seq} within {timeout:?}")]
    Timeout {
        /// The sequence number waited for.
        seq: u32,
        /// How long we waited.
        timeout: Duration,
    },
    /// A reply from the kernel could not be parsed.
    #[error("malformed netlink reply: {0}")]
    Malformed(#[from] WireError),
    /// A reply that makes no sense for the request (wrong type, missing attribute).
    #[error("unexpected reply to seq {seq}: {reason}")]
    UnexpectedReply {
        /// Sequence number of the request.
        seq: u32,
        /// What was wrong.
        reason: &'static str,
    },
    /// A batch buffer that does not have the BEGIN ... END shape the kernel requires.
    #[error("invalid batch: {reason}")]
    InvalidBatch {
        /// What is wrong with it.
        reason: BadShape,
    },
    /// A request buffer that is not exactly one well-formed netlink message.
    #[error("invalid request: {reason}")]
    InvalidRequest {
        /// What is wrong with it.
        reason: BadShape,
    },
    /// The batch is larger than the socket send buffer could be raised to.
    #[error(
        "batch of {len} bytes exceeds the socket send buffer ({limit} bytes): run as root \
         (SO_SNDBUFFORCE) or raise net.core.wmem_max"
    )]
    BatchTooLarge {
        /// Batch length in bytes.
        len: usize,
        /// The send buffer the kernel granted.
        limit: usize,
    },
    /// The ruleset generation kept changing; the retry budget is spent.
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// Attempts made.
        attempts: u32,
        /// The error of the last attempt.
        last: Box<TransportError>,
    },
    /// `/run/netns/NAME` does not exist.
    #[error(
        "network namespace {name} does not exist (no /run/netns/{name}: see `ip netns list`, \
         or create it with `ip netns add {name}`)"
    )]
    NetnsNotFound {
        /// The namespace name.
        name: String,
    },
    /// Opening or entering a network namespace failed.
    #[error("network namespace {name}: {op} failed: {}{}", errno_name(*errno), hint_suffix(*errno))]
    Netns {
        /// The namespace name (`"<private>"` for an anonymous one).
        name: String,
        /// The operation (`"open"`, `"setns"`, `"unshare"`).
        op: &'static str,
        /// Positive errno.
        errno: i32,
    },
}

/// What is wrong with a buffer handed to the transport (see [`TransportError::InvalidBatch`],
/// [`TransportError::InvalidRequest`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadShape {
    /// The netlink framing itself is broken (in the message `at`, e.g. `BEGIN`).
    #[error("{at}{}{source}", if at.is_empty() { "" } else { ": " })]
    Framing {
        /// Which message, when it matters (`"BEGIN"`, `"request"`).
        at: &'static str,
        /// The framing error.
        source: WireError,
    },
    /// A request buffer holding more or less than one message.
    #[error("request must be exactly one message")]
    NotOneMessage,
    /// A batch whose first message is not `NFNL_MSG_BATCH_BEGIN`.
    #[error("does not start with NFNL_MSG_BATCH_BEGIN")]
    NoBegin,
    /// A BEGIN for another subsystem than nf_tables.
    #[error("BEGIN res_id {0} is not nf_tables")]
    NotNfTables(u16),
    /// A second BEGIN, at this seq.
    #[error("second BEGIN at seq {0}")]
    SecondBegin(u32),
    /// A sequence number used by two messages.
    #[error("sequence number {0} used twice")]
    SeqTwice(u32),
    /// A batch whose last message is not `NFNL_MSG_BATCH_END`.
    #[error("does not end with NFNL_MSG_BATCH_END")]
    NoEnd,
    /// Bytes after `NFNL_MSG_BATCH_END`.
    #[error("bytes after NFNL_MSG_BATCH_END")]
    TrailingBytes,
}

impl TransportError {
    /// True for errors that a fresh read of the ruleset and a retry can cure
    /// ([`TransportError::GenerationChanged`], [`TransportError::DumpInterrupted`]).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::GenerationChanged { .. } | TransportError::DumpInterrupted { .. }
        )
    }

    /// The first kernel error carried by this error, if it carries one.
    pub fn kernel_error(&self) -> Option<&KernelError> {
        match self {
            TransportError::Kernel(e) => Some(e),
            TransportError::BatchRejected { errors } => errors.first(),
            TransportError::RetriesExhausted { last, .. } => last.kernel_error(),
            _ => None,
        }
    }

    /// The error of the last `errno` system call.
    pub(crate) fn last_os(op: &'static str) -> Self {
        TransportError::Sys {
            op,
            errno: last_errno(),
        }
    }
}

/// The calling thread's `errno`.
pub(crate) fn last_errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn hint_suffix(errno: i32) -> String {
    match errno_hint(errno) {
        "" => String::new(),
        h => format!(" ({h})"),
    }
}

fn more(n: usize) -> String {
    match n {
        0 | 1 => String::new(),
        n => format!(" (and {} more errors)", n - 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::consts::{nft_msg, NFT_MSG_NEWCHAIN};

    #[test]
    fn kernel_error_names_message_seq_and_reason() {
        let e = KernelError {
            seq: 7,
            errno: libc::ENOENT,
            msg_type: Some(nft_msg(NFT_MSG_NEWCHAIN)),
            reason: Some("table not found".into()),
            bad_attr_offset: Some(20),
            echoed: None,
        };
        let s = TransportError::BatchRejected {
            errors: vec![e.clone(), e],
        }
        .to_string();
        assert!(s.contains("ENOENT on NEWCHAIN (seq 7)"), "{s}");
        assert!(s.contains("kernel says: table not found"), "{s}");
        assert!(s.contains("and 1 more"), "{s}");
    }

    #[test]
    fn retryable_errors() {
        assert!(TransportError::GenerationChanged { seq: 1, genid: 3 }.is_retryable());
        assert!(TransportError::DumpInterrupted { seq: 1 }.is_retryable());
        assert!(!TransportError::RepliesLost { during: "batch" }.is_retryable());
    }
}
