//! Committing against the state dfw reconciled from, not a later one.
//!
//! Contract: [`Firewall::apply`] re-reads and re-plans the rule edits itself, but the wanted
//! contents of DOCKER-USER and INPUT were computed by dfw from an earlier read; a rule
//! another program (Docker) added in between would be removed. So the batch is sent with the
//! generation read BEFORE dfw's read ([`Pinned`] reports it as the current one): the kernel
//! refuses the batch (`ERESTART`) if anything changed since, and the whole read, reconcile
//! and apply starts again, with bounded backoff.

use crate::firewall::{ApplyReport, ChangeSet, Firewall, FirewallError};
use crate::transport::{BatchOutcome, RetryPolicy, Transport, TransportError};

/// A transport that reports a fixed generation, so the batch carries it.
struct Pinned<'a, T> {
    inner: &'a mut T,
    genid: u32,
}

impl<T: Transport> Transport for Pinned<'_, T> {
    fn generation(&mut self) -> Result<u32, TransportError> {
        Ok(self.genid)
    }

    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        self.inner.dump(request)
    }

    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        self.inner.send_batch(batch)
    }
}

/// Reads, computes and applies until the batch commits against the state it was computed
/// from. `prepare` reads what it needs through the firewall and returns the changes plus
/// anything the caller wants back; `retry` bounds the attempts.
///
/// # Errors
/// The first error of `prepare`, or of the apply that is not a generation race;
/// [`TransportError::RetriesExhausted`] when the ruleset kept changing.
pub(super) fn apply_consistent<T, R, E, F>(
    fw: &mut Firewall<T>,
    retry: RetryPolicy,
    mut prepare: F,
) -> Result<(R, ApplyReport), E>
where
    T: Transport,
    E: From<FirewallError>,
    F: FnMut(&mut Firewall<T>) -> Result<(R, ChangeSet), E>,
{
    let mut backoff = retry.initial_backoff;
    let mut attempt = 1;
    loop {
        let genid = fw.transport().generation().map_err(|e| E::from(e.into()))?;
        let (extra, changes) = prepare(fw)?;
        let once = RetryPolicy {
            max_attempts: 1,
            ..retry
        };
        let pinned = Pinned {
            inner: fw.transport(),
            genid,
        };
        let last =
            match Firewall::new(pinned).with_retry(once).apply(&changes) {
                Ok(mut report) => {
                    report.attempts = attempt;
                    return Ok((extra, report));
                }
                Err(FirewallError::Transport(TransportError::RetriesExhausted {
                    last, ..
                })) if last.is_retryable() => *last,
                Err(FirewallError::Transport(e)) if e.is_retryable() => e,
                Err(e) => return Err(e.into()),
            };
        if attempt >= retry.max_attempts.max(1) {
            let e = TransportError::RetriesExhausted {
                attempts: attempt,
                last: Box::new(last),
            };
            return Err(FirewallError::from(e).into());
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(retry.max_backoff);
        attempt += 1;
    }
}
