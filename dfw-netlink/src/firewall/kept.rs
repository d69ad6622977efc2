//! The state a handle keeps between commits ([`Firewall::has_cached_state`],
//! [`Firewall::forget_cached_state`]), and applying against it: the attempt shared by
//! [`Firewall::apply`] and [`Firewall::apply_scoped`], which plans against the state the
//! handle's last commit left when the kernel's generation has not moved since, and otherwise
//! reads.
//!
//! Contract: one attempt reads the generation `G`; the state kept at exactly `G` (if any) is
//! offered to the caller's `prepare`, which either takes it or reads through the transport;
//! the plan is sent in one batch checked against `G` (an `ERESTART` makes the caller's retry
//! loop start again, reading since the generation moved). After a commit from `G` to `G + 1`
//! (or no batch at all, the generation still `G`) the state the plan leaves is kept, keyed
//! by the new generation (see `cache`); otherwise nothing is kept.

use std::borrow::Cow;
use std::collections::HashSet;

use super::apply::{next_generation, read_for};
use super::cache::{ScopeRead, StateCache};
use super::plan::make_plan;
use super::types::{ApplyReport, ChangeSet, KernelTable};
use super::{Firewall, FirewallError};
use crate::transport::{snapshot, Retryable, Transport};

/// What an attempt plans from: the state before, and the change set.
type Prepared<'c, E> = Result<(StateCache, Cow<'c, ChangeSet>), E>;

impl<T: Transport> Firewall<T> {
    /// True when the next [`Firewall::apply`] of `changes` would plan against the kept state
    /// without reading, if the kernel's generation has not moved.
    pub fn has_cached_state(&self, changes: &ChangeSet) -> bool {
        self.cache.as_ref().is_some_and(|c| c.covers(changes))
    }

    /// Forgets the kept state: the next apply reads the kernel.
    pub fn forget_cached_state(&mut self) {
        self.cache = None;
    }

    /// Applies the change `changes_of` computes from a scope of chains the caller reads
    /// itself, in one atomic batch, retried as [`Firewall::apply`].
    ///
    /// `read` reads the whole scope through the transport (every chain of it that exists;
    /// a scope may be open-ended, like "every chain named `DFW-*`") and returns the tables
    /// and every chain it looked at, present or not. When the handle's last commit (made
    /// through this method) left the scope's state at the kernel's current generation,
    /// `read` is not called: `changes_of` sees that state. Every chain the change set names
    /// must be in the scope. Only one scope is kept per handle: a [`Firewall::apply`] in
    /// between keeps the scope only when it planned against it. `changes_of` fails with the
    /// caller's own error `E` (a policy that cannot be reconciled), returned as it is.
    ///
    /// # Errors
    /// As [`Firewall::apply`], and the errors of `read` and `changes_of`.
    pub(crate) fn apply_scoped<E, R, F>(
        &mut self,
        mut read: R,
        mut changes_of: F,
    ) -> Result<ApplyReport, E>
    where
        E: Retryable + From<FirewallError>,
        R: FnMut(&mut T) -> Result<ScopeRead, FirewallError>,
        F: FnMut(&[KernelTable]) -> Result<ChangeSet, E>,
    {
        self.retrying(|fw, attempt| {
            fw.kept_attempt(attempt, &mut |t, kept| {
                let before = match kept {
                    Some(k) if k.complete => k,
                    _ => {
                        let (tables, looked) = read(t)?;
                        StateCache::read(tables, looked.into_iter().collect(), true)
                    }
                };
                let changes = changes_of(&before.tables)?;
                Ok((before, Cow::Owned(changes)))
            })
        })
    }

    /// The tables of the complete state the last scoped read or commit left, if any (stale
    /// when someone else committed since; used only to know whether dfw's rules matched sets).
    pub(crate) fn kept_scope(&self) -> Option<&[KernelTable]> {
        self.cache
            .as_ref()
            .filter(|c| c.complete)
            .map(|c| c.tables.as_slice())
    }

    /// The generation of the complete scope state the handle keeps (the last scoped read or
    /// commit), if any: a plan made from that read still holds while the kernel's generation
    /// is this one.
    pub(crate) fn kept_scope_generation(&self) -> Option<u32> {
        self.cache
            .as_ref()
            .filter(|c| c.complete)
            .map(|c| c.generation)
    }

    /// Reads the scope `read` reads (as for [`Firewall::apply_scoped`]) in one consistent
    /// snapshot and keeps it as the handle's state at that snapshot's generation, so that an
    /// [`Firewall::apply_scoped`] at the same generation plans against it instead of reading
    /// again; the tables read.
    ///
    /// # Errors
    /// `read`'s errors; [`FirewallError::Transport`] when the ruleset kept changing.
    pub(crate) fn read_scope_kept<R>(
        &mut self,
        mut read: R,
    ) -> Result<&[KernelTable], FirewallError>
    where
        R: FnMut(&mut T) -> Result<ScopeRead, FirewallError>,
    {
        let (generation, (tables, looked)) = snapshot(&mut self.transport, &self.retry, &mut read)?;
        let mut kept = StateCache::read(tables, looked.into_iter().collect(), true);
        kept.generation = generation;
        Ok(&self.cache.insert(kept).tables)
    }

    /// One apply attempt of [`Firewall::apply`]: the kept state when it covers `changes`,
    /// or a read of the chains they name.
    pub(super) fn apply_once(
        &mut self,
        changes: &ChangeSet,
        attempts: u32,
    ) -> Result<ApplyReport, FirewallError> {
        self.kept_attempt(attempts, &mut |t, kept| {
            let before = match kept {
                Some(k) if k.covers(changes) => k,
                _ => StateCache::read(read_for(t, changes)?, HashSet::new(), false),
            };
            Ok((before, Cow::Borrowed(changes)))
        })
    }

    /// One attempt over kept state (see the module contract).
    fn kept_attempt<'c, E: From<FirewallError>>(
        &mut self,
        attempts: u32,
        prepare: &mut dyn FnMut(&mut T, Option<StateCache>) -> Prepared<'c, E>,
    ) -> Result<ApplyReport, E> {
        let genid = self.transport.generation().map_err(FirewallError::from)?;
        let kept = self.cache.take().filter(|c| c.generation == genid);
        let (before, changes) = prepare(&mut self.transport, kept)?;
        let plan = make_plan(&before.tables, &changes)?;
        let (report, handles) = self.send_plan(plan, &changes, genid, attempts, true)?;
        let certain = if report.committed {
            report.generation == next_generation(genid)
        } else {
            report.generation == genid
        };
        if let (true, Some(handles)) = (certain, handles) {
            self.cache = StateCache::after_commit(
                before,
                &changes,
                &report.plan,
                &handles,
                report.generation,
            );
        }
        Ok(report)
    }
}
