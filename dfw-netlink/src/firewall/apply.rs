//! Changing the kernel: planning ([`Firewall::plan`]) and the atomic, retried apply
//! ([`Firewall::apply`], [`Firewall::apply_with`]; restore and the policy commit share the
//! same loop).
//!
//! Contract: [`Firewall::apply`] loops at most [`RetryPolicy::max_attempts`] times: read the
//! generation, read the chains the change names, plan, and (unless the plan is empty) send
//! one batch whose BEGIN carries that generation. `ERESTART` (someone else changed the
//! ruleset in between) or an interrupted dump starts the loop again after a doubling
//! backoff; a rejection is mapped to the [`Step`] that caused it.

use std::collections::HashMap;

use dfw_core::model::{Family, TableName};

use super::build::build_batch_in;
use super::cache::{echoed_handles, named};
use super::plan::{make_plan, Plan};
use super::read::{read, Scope};
use super::step::Step;
use super::types::{ApplyReport, ChangeSet, KernelTable};
use super::{Firewall, FirewallError};
use crate::transport::{snapshot, Retryable, Transport, TransportError};

/// Every (family, table) the change touches, with the chains it names there.
fn scopes(changes: &ChangeSet) -> Vec<(Family, TableName, Vec<String>)> {
    let mut out: Vec<(Family, TableName, Vec<String>)> = Vec::new();
    for (f, t, c) in named(changes) {
        match out.iter_mut().find(|(ff, tt, _)| *ff == f && *tt == t) {
            Some((_, _, v)) => {
                if !v.iter().any(|x| x == c) {
                    v.push(c.to_string());
                }
            }
            None => out.push((f, t, vec![c.to_string()])),
        }
    }
    out
}

/// Reads the chains `changes` names (one table entry per family and table).
pub(super) fn read_for<T: Transport + ?Sized>(
    t: &mut T,
    changes: &ChangeSet,
) -> Result<Vec<KernelTable>, FirewallError> {
    let mut state = Vec::new();
    for (family, table, chains) in scopes(changes) {
        let names: Vec<&str> = chains.iter().map(String::as_str).collect();
        state.extend(read(t, family, &Scope::Chains(table, &names))?);
    }
    Ok(state)
}

impl<T: Transport> Firewall<T> {
    /// What [`Firewall::apply`] would do now, without doing it.
    ///
    /// # Errors
    /// As [`Firewall::read_chains`], and the planning errors of [`Firewall::apply`].
    pub fn plan(&mut self, changes: &ChangeSet) -> Result<Plan, FirewallError> {
        let (_, state) = snapshot(&mut self.transport, &self.retry, |t| read_for(t, changes))?;
        make_plan(&state, changes)
    }

    /// Applies `changes` in one atomic batch (see the module contract).
    ///
    /// A handle whose last apply committed keeps the state it left (see `cache`): when the
    /// kernel's generation has not moved since, nothing is read before planning.
    ///
    /// # Errors
    /// [`FirewallError::Rejected`] naming the message the kernel refused (nothing committed);
    /// [`FirewallError::MissingChain`], [`FirewallError::Refused`], [`FirewallError::Encode`]
    /// before anything is sent; [`FirewallError::Transport`] with
    /// [`TransportError::RetriesExhausted`] when the ruleset kept changing.
    pub fn apply(&mut self, changes: &ChangeSet) -> Result<ApplyReport, FirewallError> {
        self.retrying(|fw, attempt| fw.apply_once(changes, attempt))
    }

    /// Runs `attempt` (given its 1-based number) until it succeeds, fails for good, or
    /// [`RetryPolicy::max_attempts`](crate::transport::RetryPolicy) retryable failures
    /// (generation races, interrupted dumps) happened, with a doubling backoff in between.
    /// `E` is the caller's error: a layer above keeps its own errors typed through the loop.
    pub(super) fn retrying<E, F>(&mut self, mut attempt: F) -> Result<ApplyReport, E>
    where
        E: Retryable,
        F: FnMut(&mut Self, u32) -> Result<ApplyReport, E>,
    {
        let policy = self.retry;
        policy.run(|n| attempt(self, n), E::into_retryable)
    }

    /// As [`Firewall::apply`], for a change set computed from the kernel inside each
    /// attempt: `make` reads what it needs through the transport (after the generation the
    /// batch will carry was read) and returns the changes. On a generation race both run
    /// again, so a change computed from contents someone else has changed since is never
    /// committed (a rule another program added in between is kept, not overwritten).
    ///
    /// # Errors
    /// As [`Firewall::apply`], and `make`'s errors.
    pub fn apply_with<F>(&mut self, mut make: F) -> Result<ApplyReport, FirewallError>
    where
        F: FnMut(&mut T) -> Result<ChangeSet, FirewallError>,
    {
        self.commit_loop(false, |t| {
            let changes = make(t)?;
            Ok((read_for(t, &changes)?, changes))
        })
    }

    /// The retry loop shared by [`Firewall::apply`] and restore: `prepare` reads what it
    /// needs and says what to change; the plan is sent (unless `dry_run`) with the generation
    /// read before `prepare`, and everything starts again on a generation race.
    pub(super) fn commit_loop<F>(
        &mut self,
        dry_run: bool,
        mut prepare: F,
    ) -> Result<ApplyReport, FirewallError>
    where
        F: FnMut(&mut T) -> Result<(Vec<KernelTable>, ChangeSet), FirewallError>,
    {
        self.retrying(|fw, attempt| fw.attempt(&mut prepare, attempt, dry_run))
    }

    /// One read-plan-send attempt.
    fn attempt<F>(
        &mut self,
        prepare: &mut F,
        attempts: u32,
        dry_run: bool,
    ) -> Result<ApplyReport, FirewallError>
    where
        F: FnMut(&mut T) -> Result<(Vec<KernelTable>, ChangeSet), FirewallError>,
    {
        let genid = self.transport.generation()?;
        let (state, changes) = prepare(&mut self.transport)?;
        let mut plan = make_plan(&state, &changes)?;
        if dry_run {
            plan.native = self.native.clone();
            let sets = self.sets_for(&changes)?;
            build_batch_in(&plan, &changes, genid, 1, false, &sets)?;
            return self.unchanged(plan, genid, attempts);
        }
        self.send_plan(plan, &changes, genid, attempts, false)
            .map(|(r, _)| r)
    }

    /// The ipset indices the rules of `changes` need (none read when no rule has `-m set`).
    fn sets_for(
        &mut self,
        changes: &ChangeSet,
    ) -> Result<crate::rule_codec::SetIndex, FirewallError> {
        if super::setref::changes_use_sets(changes) {
            super::setref::read_set_index(&mut self.transport)
        } else {
            Ok(crate::rule_codec::SetIndex::new())
        }
    }

    /// The report of an attempt that sends nothing, after checking the generation held.
    fn unchanged(
        &mut self,
        plan: Plan,
        genid: u32,
        attempts: u32,
    ) -> Result<ApplyReport, FirewallError> {
        let now = self.transport.generation()?;
        if now != genid {
            return Err(TransportError::GenerationChanged { seq: 0, genid }.into());
        }
        Ok(ApplyReport {
            plan,
            attempts,
            generation: now,
            committed: false,
            kernel_time: std::time::Duration::ZERO,
        })
    }

    /// Sends `plan` (unless empty) in one batch checked against `genid`; with `echo`, returns
    /// the handles of the inserted rules when they are certain (see `cache`).
    pub(super) fn send_plan(
        &mut self,
        plan: Plan,
        changes: &ChangeSet,
        genid: u32,
        attempts: u32,
        echo: bool,
    ) -> Result<(ApplyReport, Option<Handles>), FirewallError> {
        let mut plan = plan;
        if plan.native.is_empty() {
            plan.native = self.native.clone();
        }
        if plan.is_empty() {
            return Ok((self.unchanged(plan, genid, attempts)?, Some(Handles::new())));
        }
        let seq = self.batch_seq();
        let sets = self.sets_for(changes)?;
        let batch = build_batch_in(&plan, changes, genid, seq, echo, &sets)?;
        let step = |seq: u32| -> Option<&Step> {
            match batch.part(seq)? {
                crate::nft::BatchPart::Message(s) => Some(s),
                _ => None,
            }
        };
        match self.transport.send_batch(batch.bytes()) {
            Ok(outcome) => {
                let handles = if echo {
                    echoed_handles(&outcome.echoes, seq, batch.descriptions())
                } else {
                    None
                };
                let report = ApplyReport {
                    plan,
                    attempts,
                    generation: outcome.generation,
                    committed: true,
                    kernel_time: outcome.batch_time,
                };
                Ok((report, handles))
            }
            Err(TransportError::BatchRejected { errors }) => {
                Err(
                    FirewallError::from_rejection(&errors, |s| step(s).cloned()).unwrap_or(
                        FirewallError::Transport(TransportError::BatchRejected { errors }),
                    ),
                )
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// Handles of inserted rules by (family, table, chain, wanted position).
pub(super) type Handles = HashMap<(Family, TableName, String, usize), u64>;

/// The generation after one commit from `genid` (nf_tables skips 0 when it wraps).
pub(super) fn next_generation(genid: u32) -> u32 {
    match genid.wrapping_add(1) {
        0 => 1,
        g => g,
    }
}
