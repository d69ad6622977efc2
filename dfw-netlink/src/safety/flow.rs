//! The guarded commit over a [`StateDir`].
//!
//! Contract of [`commit_policy`], holding the state lock throughout:
//! 1. the directory is claimed for this network namespace ([`super::owner`]), an interrupted
//!    earlier commit is settled ([`recover_staged`]), a commit awaiting confirmation refuses
//!    this one while its watchdog lives ([`SafetyError::Pending`]) and is forgotten as stale
//!    when its watchdog is gone (whatever its pid or deadline says);
//! 2. while a watch follows a different policy through this directory, or in this network
//!    namespace through another one (its kernel marker, [`super::marker`]), the commit is
//!    refused ([`SafetyError::Watched`]): the watch would undo it;
//! 3. the policy is planned; a plan that changes nothing, while the kernel's generation is
//!    still the one it was planned at, ends the commit here (nothing sent, no rollback point
//!    written, no confirmation armed: the report says nothing changed); when the generation
//!    moved it is planned again and goes on. A plan with changes is checked against the live
//!    SSH sessions ([`SshGuard`]);
//! 4. dfw's objects as they are (the rollback point) are written to [`STAGED`]; with
//!    `confirm`, the pending marker is written and only then the watchdog started (it acts
//!    only while the marker names its commit, so a failed write never leaves one armed);
//! 5. the commit, one atomic batch; then the staged rollback point is renamed into place
//!    (when the commit changed nothing the old rollback point stays) and what was applied is
//!    recorded ([`super::record`]). A failed commit removes the pending marker (the watchdog
//!    exits without reverting) and the staged file. A crash at any step leaves the kernel
//!    old or new and a state the next operation settles.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfw_core::policy::Policy;

use super::guard::{check_changes_in, recover_staged, with_kernel_sets_in, SshGuard};
use super::marker::read_marker;
use super::record::{new_id, policy_hash, running_watch, write_applied, Applied};
use super::store::{Pending, OUTCOME, PENDING, STAGED, WATCHDOG_LOCK};
use super::watchdog::spawn_watchdog;
use super::{crash, owner, SafetyError, Snapshot, StateDir};
use crate::enforce::{self, CommitReport};
use crate::firewall::Firewall;
use crate::transport::Transport;

/// How a commit is made. The default is what `dfw-cli commit` does without options: guard
/// the live SSH sessions, no confirmation.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Revert unless confirmed within this time.
    pub confirm: Option<Duration>,
    /// The SSH sessions not to lock out.
    pub ssh: SshGuard,
    /// The policy's file, for the record of what was applied and the watch's check.
    pub source: Option<PathBuf>,
}

impl CommitOptions {
    /// No SSH guard: commit even if a new SSH connection would be refused (`--force`).
    pub fn force(mut self) -> Self {
        self.ssh = SshGuard::Off;
        self
    }

    /// Revert unless confirmed within `wait` (`--confirm SECONDS`).
    pub fn confirm_within(mut self, wait: Duration) -> Self {
        self.confirm = Some(wait);
        self
    }
}

/// What a safe commit did.
#[derive(Debug, Clone)]
pub struct SafeCommit {
    /// The commit.
    pub report: CommitReport,
    /// The pending confirmation (`None` without `confirm`, or when nothing changed).
    pub pending: Option<Pending>,
    /// A stale pending commit that was forgotten (its watchdog was gone).
    pub stale: Option<Pending>,
    /// The watch following this same policy, if one runs.
    pub watch: Option<super::record::WatchInfo>,
}

/// Commits `policy` safely (see the module contract). The policy is taken by value and
/// dropped as soon as it is compiled.
///
/// # Errors
/// [`SafetyError::Pending`], [`SafetyError::Watched`], [`SafetyError::Foreign`],
/// [`SafetyError::Lockout`], the commit's errors, state-directory I/O, the watchdog's start.
/// Nothing is committed then.
///
/// # Example
/// ```no_run
/// use dfw_netlink::safety::{commit_policy, CommitOptions, StateDir, DEFAULT_STATE_DIR};
/// use dfw_netlink::Firewall;
///
/// let text = std::fs::read_to_string("/etc/dfw/dfw.toml")?;
/// let policy = dfw_core::Policy::from_toml(&text, "/etc/dfw/dfw.toml")?;
/// let dir = StateDir::open(DEFAULT_STATE_DIR)?;
/// let done = commit_policy(&mut Firewall::open()?, &dir, policy, &CommitOptions::default())?;
/// for family in done.report.summaries() {
///     println!("{family}");
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn commit_policy<T: Transport>(
    fw: &mut Firewall<T>,
    dir: &StateDir,
    policy: Policy,
    opts: &CommitOptions,
) -> Result<SafeCommit, SafetyError> {
    let _lock = dir.lock()?;
    owner::claim(dir)?;
    recover_staged(fw, dir)?;
    let stale = settle_pending(dir)?;
    let c = enforce::compile_policy(fw.transport(), &policy)?;
    let (external, compiled, notes) = (c.external, c.compiled, c.notes);
    drop(policy);
    let source = opts
        .source
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    // The watch of this state directory, else the one the kernel's marker names (a watch
    // through another state directory in this network namespace); one with no policy yet
    // (`-`) undoes nothing.
    let watch = match running_watch(dir)? {
        Some(w) => Some(w),
        None => read_marker(fw.transport())?
            .map(|m| m.info())
            .filter(|w| w.hash != "-"),
    };
    // The policy's hash (all its rules printed) is made only when a watch is compared with
    // it, or a commit that changed something records it.
    if let Some(w) = &watch {
        if w.hash != policy_hash(&compiled) {
            return Err(SafetyError::Watched {
                pid: w.pid,
                config: w.config.clone(),
            });
        }
    }
    let mut p = enforce::plan_compiled(fw, external, compiled)?;
    if p.is_empty() {
        // Nothing to change, and the kernel has not moved since the read the plan was made
        // from: no lockout to check, no rollback point to write, nothing to confirm.
        // Otherwise plan again, and the full path below writes the rollback point before
        // anything changes.
        match enforce::commit_empty_plan(fw, p)? {
            Ok(mut report) => {
                report.notes = notes;
                return Ok(SafeCommit {
                    report,
                    pending: None,
                    stale,
                    watch,
                });
            }
            Err(back) => p = enforce::plan_compiled(fw, back.external, back.compiled)?,
        }
    }
    // The rest of the plan (its reconciliation and batch plan) is dropped here. The sets as
    // the plan listed them serve the guard, the rollback point and the commit: under the
    // state lock only dfw changes dfw's sets, so listing them again would read the same.
    let (external, compiled, current, changes, set_plan, listed) = {
        let p = p;
        (
            p.external, p.compiled, p.current, p.changes, p.sets, p.listed,
        )
    };
    let sets = enforce::host_sets(fw.transport(), &compiled)?;
    check_changes_in(fw, &opts.ssh, &external, &changes, &sets, &listed)?;
    drop(changes);
    let snapshot = with_kernel_sets_in(fw, Snapshot::from_current(&current)?, &listed)?;
    drop((current, listed));
    dir.stage_previous(&snapshot)?;
    crash::point("commit-staged");
    let pending = match opts.confirm {
        Some(wait) => match arm(dir, &snapshot, wait) {
            Ok(p) => Some(p),
            Err(e) => {
                let _ = dir.remove(PENDING);
                let _ = dir.remove(STAGED);
                return Err(e);
            }
        },
        None => None,
    };
    drop(snapshot);
    // Reconciled inside the firewall's retry loop: on a generation race (Docker or an admin
    // changed the ruleset meanwhile) the chains are re-read and re-reconciled, so another
    // writer's rules in DOCKER-USER, INPUT or FORWARD are never overwritten by a stale plan.
    let mut report = match enforce::commit_compiled_with(fw, external, &compiled, Some(set_plan)) {
        Ok(r) => r,
        Err(e) => {
            // Nothing was committed (the batch is atomic): dismiss the watchdog.
            let _ = dir.remove(PENDING);
            let _ = dir.remove(STAGED);
            return Err(e.into());
        }
    };
    crash::point("commit-committed");
    report.notes = notes;
    if report.is_noop() {
        // Nothing changed: the old rollback point stays, and there is nothing to confirm.
        let _ = dir.remove(PENDING);
        let _ = dir.remove(STAGED);
        return Ok(SafeCommit {
            report,
            pending: None,
            stale,
            watch,
        });
    }
    // Failing here leaves the staged file for `recover_staged`: the commit happened.
    let _ = dir.promote_staged();
    crash::point("commit-promoted");
    let hash = policy_hash(&compiled);
    let _ = write_applied(dir, &Applied::new("commit", &hash, &source));
    Ok(SafeCommit {
        report,
        pending,
        stale,
        watch,
    })
}

/// Writes the pending marker, then starts the watchdog.
fn arm(dir: &StateDir, snapshot: &Snapshot, wait: Duration) -> Result<Pending, SafetyError> {
    let deadline = SystemTime::now() + wait;
    let mut p = Pending {
        id: new_id(),
        deadline: deadline
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        pid: 0,
    };
    dir.set_pending(&p)?;
    crash::point("commit-pending-written");
    p.pid = spawn_watchdog(dir, &p.id, snapshot, deadline)?;
    crash::point("commit-watchdog-started");
    // For people and status: the watchdog's pid. Failing to write it changes nothing (the
    // marker already names the commit, and the watchdog's lock says it lives).
    let _ = dir.set_pending(&p);
    Ok(p)
}

/// Refuses while a commit awaits confirmation and its watchdog lives; forgets a stale one
/// (returned). Called holding the state lock.
pub(super) fn settle_pending(dir: &StateDir) -> Result<Option<Pending>, SafetyError> {
    let p = match dir.pending() {
        Ok(Some(p)) => p,
        Ok(None) => return Ok(None),
        // An unreadable marker has no watchdog acting on it (the watchdog needs its id).
        Err(SafetyError::Corrupt { .. }) if !dir.held(WATCHDOG_LOCK)? => {
            dir.remove(PENDING)?;
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if dir.held(WATCHDOG_LOCK)? {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        return Err(SafetyError::Pending {
            id: p.id,
            seconds_left: p.deadline.saturating_sub(now),
        });
    }
    dir.remove(PENDING)?;
    let _ = dir.write_atomic(OUTCOME, format!("{} {ABANDONED}\n", p.id).as_bytes());
    Ok(Some(p))
}

/// The outcome of a pending commit whose watchdog was gone before it acted.
pub const ABANDONED: &str = "abandoned: its watchdog was gone (killed, or the machine restarted), so it was neither confirmed nor reverted";
