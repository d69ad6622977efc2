//! Bounded retries around the two races with other ruleset writers (Docker, iptables, nft,
//! kube-proxy): a batch built from a stale generation (`ERESTART`), and a dump or read that
//! saw the ruleset change under it (`NLM_F_DUMP_INTR`, or the generation moved).
//!
//! Contract: every loop is bounded by [`RetryPolicy::max_attempts`], sleeps an exponentially
//! growing backoff between attempts, and ends with [`TransportError::RetriesExhausted`]
//! carrying the last error. Errors that are not retryable return at once.

use std::time::Duration;

use super::collect::BatchOutcome;
use super::conn::Transport;
use super::error::TransportError;

/// How often and how patiently to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1 is made).
    pub max_attempts: u32,
    /// Sleep after the first failed attempt.
    pub initial_backoff: Duration,
    /// Upper bound of the doubling backoff.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 10 attempts, backoff 2 ms doubling up to 250 ms (about 1 s in all).
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(250),
        }
    }
}

impl RetryPolicy {
    /// No sleeping between attempts (for tests).
    pub fn immediate(max_attempts: u32) -> Self {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        }
    }

    /// Runs `attempt` (given the attempt number from 1) until it succeeds, fails with an error
    /// `retryable` hands back as `Err` (not retryable), or the attempts are spent.
    pub(crate) fn run<R, E>(
        &self,
        mut attempt: impl FnMut(u32) -> Result<R, E>,
        retryable: impl Fn(E) -> Result<TransportError, E>,
    ) -> Result<R, E>
    where
        E: From<TransportError>,
    {
        let mut backoff = self.initial_backoff;
        let mut n = 1;
        loop {
            let e = match attempt(n) {
                Ok(r) => return Ok(r),
                Err(e) => retryable(e)?,
            };
            if n >= self.max_attempts.max(1) {
                let last = Box::new(e);
                return Err(TransportError::RetriesExhausted { attempts: n, last }.into());
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(self.max_backoff);
            n += 1;
        }
    }
}

/// An error that may be (or hold) a transport error a fresh read and a retry can cure
/// ([`TransportError::is_retryable`]): what the retry loops of every layer need to know of
/// the errors of the layers above, without turning them into transport errors.
pub trait Retryable: From<TransportError> + Sized {
    /// The retryable transport error this is, or `self` back when it is not retryable.
    ///
    /// # Errors
    /// `self`, when a retry cannot cure it.
    fn into_retryable(self) -> Result<TransportError, Self>;
}

impl Retryable for TransportError {
    fn into_retryable(self) -> Result<TransportError, Self> {
        if self.is_retryable() {
            Ok(self)
        } else {
            Err(self)
        }
    }
}

/// Commits a batch, rebuilding it whenever the ruleset changed in between: reads the
/// generation, calls `build(attempt, genid)` (which re-reads whatever state it needs through
/// `attempt`, a [`Transport`], and returns batch bytes whose BEGIN carries `genid`), sends it,
/// and on [`TransportError::GenerationChanged`] starts again after a backoff. Because `genid`
/// is read before `build`'s dumps, a change during them makes the batch stale and the kernel
/// refuses it: a committed batch was always built from the state it was committed against.
/// If `build` fails after one of its transport calls met a retryable error (an interrupted
/// dump), the attempt is retried too.
///
/// # Errors
/// `build`'s other errors at once; [`TransportError::RetriesExhausted`] when every attempt met
/// a generation change or an interrupted dump; any other [`Transport::send_batch`] error at
/// once.
pub fn commit_with_retry<T, E, F>(
    transport: &mut T,
    policy: &RetryPolicy,
    mut build: F,
) -> Result<BatchOutcome, E>
where
    T: Transport + ?Sized,
    E: From<TransportError>,
    F: FnMut(&mut Attempt<'_, T>, u32) -> Result<Vec<u8>, E>,
{
    policy
        .run(
            |_| {
                let genid = transport.generation()?;
                let mut attempt = Attempt {
                    inner: transport,
                    retryable: None,
                };
                let built = build(&mut attempt, genid);
                let batch = match (built, attempt.retryable) {
                    (Ok(b), _) => b,
                    (Err(e), Some(t)) => return Err(Wrapped::CallerRetryable(e, t)),
                    (Err(e), None) => return Err(Wrapped::Caller(e)),
                };
                Ok::<_, Wrapped<E>>(transport.send_batch(&batch)?)
            },
            Wrapped::retryable,
        )
        .map_err(Wrapped::into_inner)
}

/// The transport as [`commit_with_retry`] lends it to `build`: forwards every call and notes
/// retryable errors, so an attempt whose dump was interrupted is retried.
#[derive(Debug)]
pub struct Attempt<'a, T: ?Sized> {
    inner: &'a mut T,
    retryable: Option<TransportError>,
}

impl<T: ?Sized> Attempt<'_, T> {
    /// The underlying transport.
    pub fn inner(&mut self) -> &mut T {
        self.inner
    }

    fn note<R>(&mut self, r: Result<R, TransportError>) -> Result<R, TransportError> {
        if let Err(e) = &r {
            if let Some(copy) = retryable_copy(e) {
                self.retryable = Some(copy);
            }
        }
        r
    }
}

impl<T: Transport + ?Sized> Transport for Attempt<'_, T> {
    fn generation(&mut self) -> Result<u32, TransportError> {
        let r = self.inner.generation();
        self.note(r)
    }

    fn dump(&mut self, request: &[u8]) -> Result<Vec<Vec<u8>>, TransportError> {
        let r = self.inner.dump(request);
        self.note(r)
    }

    fn send_batch(&mut self, batch: &[u8]) -> Result<BatchOutcome, TransportError> {
        let r = self.inner.send_batch(batch);
        self.note(r)
    }
}

/// A copy of a retryable error (those hold only plain data); `None` for the others.
fn retryable_copy(e: &TransportError) -> Option<TransportError> {
    match *e {
        TransportError::GenerationChanged { seq, genid } => {
            Some(TransportError::GenerationChanged { seq, genid })
        }
        TransportError::DumpInterrupted { seq } => Some(TransportError::DumpInterrupted { seq }),
        _ => None,
    }
}

/// Runs `read` (some dumps) between two GETGEN calls and retries until the generation did not
/// move and no dump was interrupted, so the result is one consistent snapshot. Returns the
/// generation the snapshot belongs to, for the batch built from it. `read` fails with its own
/// layer's error type; only the retryable transport errors it holds are retried.
///
/// # Errors
/// `read`'s non-retryable errors at once; [`TransportError::RetriesExhausted`] when the
/// ruleset kept changing.
pub fn snapshot<T, R, E, F>(
    transport: &mut T,
    policy: &RetryPolicy,
    mut read: F,
) -> Result<(u32, R), E>
where
    T: Transport + ?Sized,
    E: Retryable,
    F: FnMut(&mut T) -> Result<R, E>,
{
    policy.run(
        |_| {
            let before = transport.generation()?;
            let value = read(transport)?;
            let after = transport.generation()?;
            if before != after {
                return Err(TransportError::GenerationChanged {
                    seq: 0,
                    genid: before,
                }
                .into());
            }
            Ok((after, value))
        },
        E::into_retryable,
    )
}

/// Error of one attempt: the caller's own (possibly caused by a retryable transport error),
/// or a transport error of the loop itself.
enum Wrapped<E> {
    Caller(E),
    CallerRetryable(E, TransportError),
    Transport(TransportError),
}

impl<E> From<TransportError> for Wrapped<E> {
    fn from(e: TransportError) -> Self {
        Wrapped::Transport(e)
    }
}

impl<E: From<TransportError>> Wrapped<E> {
    fn retryable(self) -> Result<TransportError, Self> {
        match self {
            Wrapped::Transport(e @ TransportError::GenerationChanged { .. }) => Ok(e),
            Wrapped::CallerRetryable(_, t) => Ok(t),
            other => Err(other),
        }
    }

    fn into_inner(self) -> E {
        match self {
            Wrapped::Caller(e) | Wrapped::CallerRetryable(e, _) => e,
            Wrapped::Transport(t) => t.into(),
        }
    }
}
