//! Commit, commit-confirmed, confirm and rollback over a [`StateDir`].
//!
//! Contract:
//! - [`commit_policy`] plans the policy; refuses it when a new connection like the SSH
//!   session to protect ([`SshGuard`]; by default the one this process runs in) would be
//!   refused; saves the dfw-owned objects as
//!   they are (the previous state) when something is to change; with `confirm`, starts the
//!   watchdog BEFORE the commit (so a kill at any moment after the commit still reverts);
//!   then commits. A commit is refused while another awaits confirmation.
//! - [`confirm`] writes the pending commit's id to the confirm marker and waits (up to 3 s)
//!   for the watchdog's answer: [`SafetyError::TooLate`] if it had already reverted.
//! - [`rollback`] restores the previous state in one atomic commit of dfw-owned objects
//!   (cancelling a pending confirmation first) and saves the state it replaced as the new
//!   previous state, so a second rollback undoes the first.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use dfw_core::model::{Family, TableName};
use dfw_core::policy::Policy;

use super::lockout::{check_lockout_with_sets, desired_filter, SshConnection};
use super::session::ssh_connection;
use super::store::{Pending, CONFIRMED, OUTCOME, PENDING};
use super::watchdog::{alive, spawn_watchdog};
use super::{SafetyError, Snapshot, StateDir};
use crate::enforce::{self, read_current, CommitReport};
use crate::firewall::{Firewall, KernelTable};
use crate::transport::Transport;

/// How a commit is made. The default is what `dfw-cli commit` does without options: guard
/// the SSH session this process runs in, no confirmation.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// Revert unless confirmed within this time.
    pub confirm: Option<Duration>,
    /// The SSH session not to lock out: a new connection like it must still be accepted.
    pub ssh: SshGuard,
}

/// Which SSH session a commit must not lock out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SshGuard {
    /// The session this process runs in ([`ssh_connection`]: `SSH_CONNECTION`, found under
    /// `sudo` too); nothing to guard outside an SSH session.
    #[default]
    ThisSession,
    /// This connection.
    Connection(SshConnection),
    /// No guard: commit even if a new SSH connection would be refused (`dfw-cli commit
    /// --force`).
    Off,
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

impl SshGuard {
    /// The connection to protect, if any.
    pub fn connection(&self) -> Option<SshConnection> {
        match self {
            SshGuard::ThisSession => ssh_connection(),
            SshGuard::Connection(c) => Some(*c),
            SshGuard::Off => None,
        }
    }
}

/// What a safe commit did.
#[derive(Debug, Clone)]
pub struct SafeCommit {
    /// The commit.
    pub report: CommitReport,
    /// The pending confirmation (`None` without `confirm`, or when nothing changed).
    pub pending: Option<Pending>,
}

/// What [`confirm`] learnt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// The watchdog acknowledged and exited; the commit stays.
    Acknowledged(String),
    /// The marker is written; the watchdog did not answer within 3 s (it is gone).
    Marked(String),
}

/// Commits `policy` safely (see the module contract). The policy is taken by value and
/// dropped as soon as it is compiled: what is committed is its compiled form (a 10,000-rule
/// policy is about 2 MB, held otherwise through the whole commit).
///
/// # Errors
/// [`SafetyError::Pending`], [`SafetyError::Lockout`], the commit's errors, state-directory
/// I/O, the watchdog's start.
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
    refuse_if_pending(dir)?;
    let c = enforce::compile_policy(fw.transport(), &policy)?;
    let (external, compiled, notes) = (c.external, c.compiled, c.notes);
    drop(policy);
    // Keep only what is used below: the reconciled chains and the firewall plan (each a copy
    // of the wanted rules) go before the commit makes its own.
    let (external, compiled, current, changes, empty) = {
        let p = enforce::plan_compiled(fw, external, compiled)?;
        let empty = p.is_empty();
        (p.external, p.compiled, p.current, p.changes, empty)
    };
    if let Some(ssh) = opts.ssh.connection() {
        let family = ssh.family();
        let kernel = fw
            .read_tables(family, &[TableName::Filter])?
            .into_iter()
            .next()
            .unwrap_or(KernelTable {
                family,
                name: TableName::Filter,
                chains: Vec::new(),
            });
        let desired = desired_filter(&kernel, &changes).map_err(SafetyError::Compose)?;
        let sets = enforce::host_sets(fw.transport(), &compiled)?;
        check_lockout_with_sets(&desired, &ssh, &external, &sets).map_err(SafetyError::Lockout)?;
    }
    drop(changes);
    if empty {
        let mut report = enforce::commit_compiled_unguarded(fw, external, &compiled)?;
        report.notes = notes;
        return Ok(SafeCommit {
            report,
            pending: None,
        });
    }
    let snapshot = Snapshot::from_current(&current)?;
    drop(current);
    dir.save_previous(&snapshot)?;
    let mut pending = None;
    if let Some(wait) = opts.confirm {
        let deadline = SystemTime::now() + wait;
        let id = new_id();
        dir.remove(CONFIRMED)?;
        let pid = spawn_watchdog(dir, &id, &snapshot, deadline)?;
        let p = Pending {
            id,
            deadline: deadline
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            pid,
        };
        dir.set_pending(&p)?;
        pending = Some(p);
    }
    drop(snapshot);
    // Reconciled inside the firewall's retry loop: on a generation race (Docker or an admin
    // changed the ruleset meanwhile) the chains are re-read and re-reconciled, so another
    // writer's rules in DOCKER-USER, INPUT or FORWARD are never overwritten by a stale plan.
    match enforce::commit_compiled_unguarded(fw, external, &compiled) {
        Ok(mut report) => {
            report.notes = notes;
            Ok(SafeCommit { report, pending })
        }
        Err(e) => {
            // Nothing was committed (the batch is atomic): dismiss the watchdog.
            if let Some(p) = &pending {
                dir.write_atomic(CONFIRMED, p.id.as_bytes())?;
            }
            Err(e.into())
        }
    }
}

/// Confirms the pending commit (see the module contract).
///
/// # Errors
/// [`SafetyError::NothingPending`], [`SafetyError::TooLate`], state-directory I/O.
pub fn confirm(dir: &StateDir) -> Result<Confirmed, SafetyError> {
    let Some(p) = dir.pending()? else {
        return Err(too_late_or_nothing(dir, None)?);
    };
    dir.write_atomic(CONFIRMED, p.id.as_bytes())?;
    for _ in 0..30 {
        if let Some(o) = outcome(dir, &p.id)? {
            if o == "confirmed" {
                return Ok(Confirmed::Acknowledged(p.id));
            }
            return Err(SafetyError::TooLate {
                id: p.id,
                outcome: o,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(Confirmed::Marked(p.id))
}

/// Restores the previous state (see the module contract).
///
/// # Errors
/// [`SafetyError::NoPrevious`], the commit's errors, state-directory I/O.
pub fn rollback<T: Transport>(
    fw: &mut Firewall<T>,
    dir: &StateDir,
) -> Result<CommitReport, SafetyError> {
    let previous = dir.previous()?.ok_or_else(|| SafetyError::NoPrevious {
        dir: dir.path().display().to_string(),
    })?;
    if let Some(p) = dir.pending()? {
        dir.write_atomic(CONFIRMED, p.id.as_bytes())?;
    }
    let now = Snapshot::from_current(&[
        read_current(fw, Family::Ipv4)?,
        read_current(fw, Family::Ipv6)?,
    ])?;
    let report = enforce::commit_compiled_unguarded(fw, Vec::new(), &previous.0)?;
    dir.save_previous(&now)?;
    dir.remove(PENDING)?;
    Ok(report)
}

/// Refuses while a commit awaits confirmation and its watchdog lives; forgets a stale one.
fn refuse_if_pending(dir: &StateDir) -> Result<(), SafetyError> {
    if let Some(p) = dir.pending()? {
        if alive(p.pid) {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            return Err(SafetyError::Pending {
                id: p.id,
                seconds_left: p.deadline.saturating_sub(now),
            });
        }
        dir.remove(PENDING)?;
    }
    Ok(())
}

/// The watchdog's outcome for `id`, if it wrote one.
fn outcome(dir: &StateDir, id: &str) -> Result<Option<String>, SafetyError> {
    Ok(dir.read(OUTCOME)?.and_then(|t| {
        t.trim()
            .strip_prefix(id)
            .map(|rest| rest.trim().to_string())
    }))
}

/// The error of a `confirm` with nothing pending: too late when the last outcome reverted.
fn too_late_or_nothing(dir: &StateDir, _id: Option<&str>) -> Result<SafetyError, SafetyError> {
    if let Some(t) = dir.read(OUTCOME)? {
        let mut w = t.trim().splitn(2, ' ');
        if let (Some(id), Some(o)) = (w.next(), w.next()) {
            if o != "confirmed" && dir.marker(CONFIRMED)?.as_deref() != Some(id) {
                return Ok(SafetyError::TooLate {
                    id: id.into(),
                    outcome: o.into(),
                });
            }
        }
    }
    Ok(SafetyError::NothingPending)
}

/// A fresh commit id: time and pid.
fn new_id() -> String {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{t:x}-{}", std::process::id())
}
