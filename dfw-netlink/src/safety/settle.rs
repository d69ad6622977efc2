//! Settling commits: [`confirm`] and [`rollback`] over a [`StateDir`].
//!
//! Contract:
//! - [`confirm`], holding the state lock: with a pending commit whose watchdog lives, renames
//!   the pending marker to [`CONFIRMED`] (a rename: it works on a full disk). The watchdog
//!   reverts only while the marker names its commit and only holding the state lock, so
//!   once the rename is done the commit stays; `confirm` then waits (up to 3 s) for the
//!   watchdog to acknowledge. A pending commit whose watchdog is gone is stale: `confirm`
//!   says so ([`SafetyError::Stale`]) and removes the marker. After the watchdog reverted,
//!   [`SafetyError::TooLate`].
//! - [`rollback`], holding the state lock: restores the rollback point in one atomic commit
//!   of dfw-owned objects, refused when it would lock out a live SSH session (unless
//!   [`SshGuard::Off`]). The state it replaces is written ([`super::store::STAGED`]) BEFORE
//!   the kernel changes (a full disk refuses the rollback with the kernel unchanged) and
//!   renamed to the rollback point after, so a second rollback undoes the first; a pending
//!   confirmation is cancelled (its marker removed: the watchdog exits without reverting).
//!   Refused while a watch in this network namespace works through another state directory
//!   ([`SafetyError::WatchedElsewhere`], from its kernel marker): it would undo the rollback.

use std::time::Duration;

use super::flow::ABANDONED;
use super::guard::{check_changes, kernel_snapshot, recover_staged, SshGuard};
use super::marker::read_marker;
use super::record::{write_applied, Applied};
use super::store::{CONFIRMED, OUTCOME, PENDING, STAGED, WATCHDOG_LOCK};
use super::{crash, owner, SafetyError, StateDir};
use crate::enforce::{self, CommitReport};
use crate::firewall::Firewall;
use crate::transport::Transport;

/// What [`confirm`] learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// The watchdog acknowledged and exited; the commit stays.
    Acknowledged(String),
    /// The commit stays (the watchdog can no longer revert it); it did not acknowledge
    /// within 3 s.
    Marked(String),
}

/// Confirms the pending commit (see the module contract).
///
/// # Errors
/// [`SafetyError::NothingPending`], [`SafetyError::TooLate`], [`SafetyError::Stale`],
/// [`SafetyError::Foreign`], state-directory I/O.
pub fn confirm(dir: &StateDir) -> Result<Confirmed, SafetyError> {
    let id = {
        let _lock = dir.lock()?;
        owner::claim(dir)?;
        let Some(p) = dir.pending()? else {
            return Err(too_late_or_nothing(dir)?);
        };
        if !dir.held(WATCHDOG_LOCK)? {
            dir.remove(PENDING)?;
            let _ = dir.write_atomic(OUTCOME, format!("{} {ABANDONED}\n", p.id).as_bytes());
            return Err(SafetyError::Stale { id: p.id });
        }
        dir.rename(PENDING, CONFIRMED)?;
        p.id
    };
    for _ in 0..30 {
        if outcome(dir, &id)?.as_deref() == Some("confirmed") {
            return Ok(Confirmed::Acknowledged(id));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Confirmed::Marked(id))
}

/// How a rollback is made.
#[derive(Debug, Clone, Default)]
pub struct RollbackOptions {
    /// The SSH sessions not to lock out.
    pub ssh: SshGuard,
}

/// Restores the rollback point (see the module contract).
///
/// # Errors
/// [`SafetyError::NoPrevious`], [`SafetyError::Lockout`], [`SafetyError::Foreign`], the
/// commit's errors, state-directory I/O (the kernel unchanged then).
pub fn rollback<T: Transport>(
    fw: &mut Firewall<T>,
    dir: &StateDir,
    opts: &RollbackOptions,
) -> Result<CommitReport, SafetyError> {
    let _lock = dir.lock()?;
    owner::claim(dir)?;
    // A watch through another state directory would undo the rollback (one through this
    // one stands down when it sees it).
    if let Some(m) = read_marker(fw.transport())? {
        if m.state != dir.id()? {
            return Err(SafetyError::WatchedElsewhere {
                pid: m.pid,
                config: m.config,
                state: m.state_path,
            });
        }
    }
    recover_staged(fw, dir)?;
    let previous = dir.previous()?.ok_or_else(|| SafetyError::NoPrevious {
        dir: dir.path().display().to_string(),
    })?;
    let now = kernel_snapshot(fw)?;
    let plan = enforce::plan_compiled(fw, Vec::new(), previous.0.clone())?;
    check_changes(fw, &opts.ssh, &[], &plan.changes)?;
    drop(plan);
    dir.stage_previous(&now)?;
    drop(now);
    crash::point("rollback-staged");
    if dir.pending()?.is_some() {
        dir.remove(PENDING)?;
    }
    let report = match enforce::commit_compiled_unguarded(fw, Vec::new(), &previous.0) {
        Ok(r) => r,
        Err(e) => {
            let _ = dir.remove(STAGED);
            return Err(e.into());
        }
    };
    crash::point("rollback-committed");
    if report.is_noop() {
        let _ = dir.remove(STAGED);
    } else {
        let _ = dir.promote_staged();
        let _ = write_applied(dir, &Applied::new("rollback", "-", "-"));
    }
    Ok(report)
}

/// The watchdog's outcome for `id`, if it wrote one.
pub(super) fn outcome(dir: &StateDir, id: &str) -> Result<Option<String>, SafetyError> {
    Ok(dir.read(OUTCOME)?.and_then(|t| {
        t.trim()
            .strip_prefix(id)
            .map(|rest| rest.trim().to_string())
    }))
}

/// The error of a `confirm` with nothing pending: too late when the last outcome is not a
/// confirmation of the last commit confirmed.
fn too_late_or_nothing(dir: &StateDir) -> Result<SafetyError, SafetyError> {
    if let Some(t) = dir.read(OUTCOME)? {
        let mut w = t.trim().splitn(2, ' ');
        if let (Some(id), Some(o)) = (w.next(), w.next()) {
            let confirmed = dir.marker(CONFIRMED)?;
            if o.starts_with("abandoned") {
                return Ok(SafetyError::Stale { id: id.into() });
            }
            if o != "confirmed" && o != "dismissed" && confirmed.as_deref() != Some(id) {
                return Ok(SafetyError::TooLate {
                    id: id.into(),
                    outcome: super::store::excerpt(o),
                });
            }
        }
    }
    Ok(SafetyError::NothingPending)
}
