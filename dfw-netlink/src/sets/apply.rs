//! The set engine's side effects, ordered around the nf_tables batch so that no packet meets a
//! half-applied policy and a failure at any step leaves the previous policy in force.
//!
//! Contract: [`prepare`] runs every [`SetStep`] before the rules change, recording how to undo
//! each in a [`Prepared`] journal: a created set (not yet matched by any rule) is destroyed; a
//! staging set swapped in is swapped back; entries added in place are deleted, entries deleted
//! in place are added back. When a step fails, `prepare` undoes the steps before it, newest
//! first, and returns the error. After `prepare`, the caller sends the rules batch: if it
//! fails, [`Prepared::undo`] restores every set; if it commits, [`Prepared::finish`] destroys
//! the staging sets (now holding the old members) and the sets the rules no longer use.
//!
//! What packets see: a new set is invisible until the batch makes a rule match it; a set the
//! batch stops matching is destroyed only after it. A swap replaces a set's members at once.
//! An in-place update adds before it deletes, so an entry in both the old and new list is
//! never absent; for the microseconds between the two requests the set holds the union. Sets
//! change just before the rules: a commit that changes both passes, for that instant, through
//! the new members with the old rules, which is the policy of the same change made in two
//! commits (sets first), never a mix of rule sets.

use dfw_core::model::matches::SetName;
use dfw_core::model::Network;

use super::plan::{entries, SetPlan, SetStep};
use super::SetsError;
use crate::ipset::{Entry, IpsetClient, IpsetError};
use crate::transport::Transport;

/// How to undo one step that was done.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Undo {
    Destroy(SetName),
    SwapBack { live: SetName, staging: SetName },
    Del { set: SetName, net: Network },
    Add { set: SetName, net: Network },
}

/// The set steps done before the rules batch, with how to undo them.
#[derive(Debug, Default)]
#[must_use = "undo() after a failed batch, finish() after a committed one"]
pub struct Prepared {
    journal: Vec<Undo>,
    /// Staging sets holding old members after their swap, destroyed by `finish`.
    staging: Vec<SetName>,
    destroy: Vec<SetName>,
    /// Entries added and removed, for the report.
    pub added: usize,
    /// Entries removed.
    pub removed: usize,
    /// Sets created (staging sets included).
    pub created: usize,
}

fn ignore_absent(r: Result<(), IpsetError>) -> Result<(), IpsetError> {
    match r {
        Err(IpsetError::Rejected {
            code: libc::ENOENT, ..
        }) => Ok(()),
        r => r,
    }
}

fn step<T: Transport + ?Sized>(
    c: &mut IpsetClient<'_, T>,
    s: &SetStep,
    p: &mut Prepared,
) -> Result<(), IpsetError> {
    match s {
        SetStep::Create { spec, entries: e } => {
            c.create(spec)?;
            p.journal.push(Undo::Destroy(spec.name.clone()));
            p.created += 1;
            c.add_all(&spec.name, &entries(e), false)?;
            p.added += e.len();
        }
        SetStep::Replace {
            staging,
            live,
            entries: e,
            had,
        } => {
            // A staging set a crashed commit left behind.
            ignore_absent(c.destroy(&staging.name))?;
            c.create(staging)?;
            p.journal.push(Undo::Destroy(staging.name.clone()));
            p.created += 1;
            c.add_all(&staging.name, &entries(e), false)?;
            c.swap(live, &staging.name)?;
            // Undoing the swap comes first; the destroy of the staging set after it.
            p.journal.push(Undo::SwapBack {
                live: live.clone(),
                staging: staging.name.clone(),
            });
            p.staging.push(staging.name.clone());
            p.added += e.len();
            p.removed += had;
        }
        SetStep::Update { name, add, del } => {
            for net in add {
                c.add(name, &Entry::net(*net), false)?;
                p.journal.push(Undo::Del {
                    set: name.clone(),
                    net: *net,
                });
                p.added += 1;
            }
            for net in del {
                c.del(name, net, false)?;
                p.journal.push(Undo::Add {
                    set: name.clone(),
                    net: *net,
                });
                p.removed += 1;
            }
        }
    }
    Ok(())
}

/// Runs every step of `plan` (see the module contract).
///
/// # Errors
/// [`SetsError::Step`] with the failed request, after undoing what was done (or
/// [`SetsError::UndoFailed`] when that failed too).
pub fn prepare<T: Transport + ?Sized>(t: &mut T, plan: &SetPlan) -> Result<Prepared, SetsError> {
    let mut p = Prepared {
        destroy: plan.destroy.clone(),
        ..Prepared::default()
    };
    let mut c = IpsetClient::new(t);
    for s in &plan.steps {
        if let Err(e) = step(&mut c, s, &mut p) {
            return Err(match p.undo(c.transport()) {
                Ok(()) => SetsError::Step(Box::new(e)),
                Err(undo) => SetsError::UndoFailed {
                    cause: Box::new(e),
                    undo: Box::new(undo),
                },
            });
        }
    }
    Ok(p)
}

impl Prepared {
    /// Undoes every step, newest first: the sets hold what they held before `prepare`.
    ///
    /// # Errors
    /// The first undo step that failed (the others are still tried).
    pub fn undo<T: Transport + ?Sized>(&mut self, t: &mut T) -> Result<(), IpsetError> {
        let mut c = IpsetClient::new(t);
        let mut first = None;
        while let Some(u) = self.journal.pop() {
            let r = match &u {
                Undo::Destroy(name) => ignore_absent(c.destroy(name)),
                Undo::SwapBack { live, staging } => c.swap(live, staging),
                Undo::Del { set, net } => c.del(set, net, true),
                Undo::Add { set, net } => c.add(set, &Entry::net(*net), true),
            };
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        }
        self.staging.clear();
        self.destroy.clear();
        first.map_or(Ok(()), Err)
    }

    /// After the rules batch committed: destroys the staging sets and the sets no rule uses
    /// any more. A set still in use (`IPSET_ERR_BUSY`: a rule someone else wrote matches it)
    /// is left and named in the result; the next commit tries again.
    pub fn finish<T: Transport + ?Sized>(mut self, t: &mut T) -> Vec<(SetName, IpsetError)> {
        self.journal.clear();
        let mut left = Vec::new();
        if !self.staging.is_empty() || !self.destroy.is_empty() {
            // The batch's removed rules still hold their sets until the kernel's deferred
            // release has run: make it run now. Should that fail, the destroys below say
            // which sets are still held (`IPSET_ERR_BUSY`) and the next commit retries them.
            let _ = t.settle();
        }
        let mut c = IpsetClient::new(t);
        for name in self.staging.drain(..).chain(self.destroy.drain(..)) {
            if let Err(e) = ignore_absent(c.destroy(&name)) {
                left.push((name, e));
            }
        }
        left
    }

    /// True when nothing was done.
    pub fn is_empty(&self) -> bool {
        self.journal.is_empty() && self.destroy.is_empty()
    }
}
