//! What the watch enforces and how it applies a (re)loaded policy: through the same guard,
//! rollback point and state lock as `dfw-cli commit` (see the module contract of
//! [`super`]).
//!
//! Contract of [`Enforcer::check`], holding the state lock:
//! - a commit awaiting confirmation whose watchdog lives: nothing is changed (held off);
//! - what was last applied through the state directory ([`record::read_applied`]): when
//!   another command applied something since the watch last looked and it is not the
//!   watch's policy (a rollback, the watchdog's revert, a commit of another policy), the
//!   watch stops enforcing until its file changes or SIGHUP (suspended); the same policy
//!   applied by a commit is simply adopted;
//! - a candidate policy (at start, after a reload) that differs from the kernel is applied
//!   only if no live SSH session would be locked out; its rollback point is staged before
//!   and promoted after, and the apply is recorded. Refused, the previous policy stays (at
//!   start: nothing is enforced);
//! - otherwise drift of the enforced policy is repaired (no guard, no rollback point: it
//!   restores what was already applied).

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use dfw_core::model::Iface;
use dfw_core::policy::{Compiled, Policy};

use super::run::{Cause, Notice, Repair};
use super::WatchError;
use crate::enforce::{self, resolve_external};
use crate::firewall::Firewall;
use crate::safety::marker::{NetnsClaim, WatchMarker};
use crate::safety::record::{self, policy_hash, write_applied, Applied, WatchInfo};
use crate::safety::{
    check_changes, kernel_snapshot, read_trusted, recover_staged, SafetyError, SshGuard, StateDir,
    STAGED, WATCH, WATCHDOG_LOCK,
};
use crate::transport::NetlinkTransport;

/// A policy as loaded: interfaces, compiled rules, hash.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The external interfaces.
    pub external: Vec<Iface>,
    /// The compiled policy.
    pub compiled: Compiled,
    /// Its hash ([`policy_hash`]).
    pub hash: String,
}

/// Reads (only if root or the running user alone can write it), validates and compiles the
/// policy file.
///
/// # Errors
/// [`WatchError`] naming the file.
pub fn load(path: &Path) -> Result<Loaded, WatchError> {
    let name = path.display().to_string();
    let bytes = read_trusted(path)?;
    let text = dfw_core::text::utf8(&bytes).map_err(|e| WatchError::ReadConfig {
        path: format!("{name}:{}:{}", e.line, e.column),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"),
    })?;
    let policy = Policy::from_toml(text, &name)?;
    let external = resolve_external(&policy)?;
    let compiled = policy.compile(&external);
    let hash = policy_hash(&compiled);
    Ok(Loaded {
        external,
        compiled,
        hash,
    })
}

/// The watch's policy state.
#[derive(Debug)]
pub struct Enforcer {
    /// The state directory.
    pub dir: StateDir,
    /// The network namespace's marker, held for the watch's lifetime.
    pub claim: NetnsClaim,
    /// The policy file.
    pub config: PathBuf,
    /// The guard for candidates.
    pub ssh: SshGuard,
    /// The policy enforced (`None` before one was applied or found in place).
    pub enforced: Option<Loaded>,
    /// A policy loaded but not yet applied.
    pub candidate: Option<Loaded>,
    /// Why enforcing is suspended.
    pub suspended: Option<String>,
    /// The id of the last applied record the watch knows of.
    pub known: Option<String>,
    /// The pending commit the watch last held off for.
    pub held_for: Option<String>,
}

impl Enforcer {
    /// The external interfaces of the enforced (or candidate) policy.
    pub fn external(&self) -> &[Iface] {
        self.enforced
            .as_ref()
            .or(self.candidate.as_ref())
            .map_or(&[], |l| &l.external)
    }

    /// A new candidate (a reload): enforcing resumes.
    pub fn propose(&mut self, loaded: Loaded) {
        self.suspended = None;
        self.candidate = Some(loaded);
    }

    /// The check (see the module contract).
    pub fn check(
        &mut self,
        fw: &mut Firewall<NetlinkTransport>,
        cause: Cause,
        first: Instant,
        notify: &mut dyn FnMut(Notice<'_>),
    ) {
        if let Err(e) = self.check_locked(fw, cause, first, notify) {
            match e {
                e @ (SafetyError::Lockout(_)
                | SafetyError::Sessions(_)
                | SafetyError::Io { .. }
                | SafetyError::Untrusted(_)) => notify(Notice::Refused(&e)),
                e => notify(Notice::Failed(&e)),
            }
        }
    }

    fn check_locked(
        &mut self,
        fw: &mut Firewall<NetlinkTransport>,
        cause: Cause,
        first: Instant,
        notify: &mut dyn FnMut(Notice<'_>),
    ) -> Result<(), SafetyError> {
        let _lock = self.dir.lock()?;
        recover_staged(fw, &self.dir)?;
        if let Some(p) = self.dir.pending().ok().flatten() {
            if self.dir.held(WATCHDOG_LOCK)? {
                if self.held_for.as_deref() != Some(&p.id) {
                    notify(Notice::HeldOff(&p.id));
                    self.held_for = Some(p.id);
                }
                return Ok(());
            }
        }
        self.held_for = None;
        self.notice_others(notify)?;
        if self.suspended.is_some() {
            return Ok(());
        }
        if let Some(c) = self.candidate.take() {
            match self.apply(fw, &c, cause, first, notify) {
                Ok(()) => {
                    self.enforced = Some(c);
                    self.describe()?;
                    return Ok(());
                }
                Err(e) => {
                    if self.enforced.is_none() {
                        self.suspended = Some(format!("{e}"));
                    }
                    return Err(e);
                }
            }
        }
        let Some(enforced) = &self.enforced else {
            return Ok(());
        };
        let drift = enforce::drift(fw, &enforced.compiled)?;
        if drift.is_empty() {
            notify(Notice::InSync(cause));
            return Ok(());
        }
        let report =
            enforce::commit_compiled_unguarded(fw, enforced.external.clone(), &enforced.compiled)?;
        notify(Notice::Repaired(&Repair {
            cause,
            drift,
            first_event: first,
            committed: Instant::now(),
            at: SystemTime::now(),
            generation: report.applied.generation,
        }));
        Ok(())
    }

    /// Learns what others applied since the last look (see the module contract).
    fn notice_others(&mut self, notify: &mut dyn FnMut(Notice<'_>)) -> Result<(), SafetyError> {
        let Some(a) = record::read_applied(&self.dir)? else {
            return Ok(());
        };
        if self.known.as_deref() == Some(&a.id) {
            return Ok(());
        }
        self.known = Some(a.id.clone());
        let ours = self
            .enforced
            .as_ref()
            .or(self.candidate.as_ref())
            .is_some_and(|l| l.hash == a.hash);
        if ours {
            return Ok(());
        }
        let what = match a.by.as_str() {
            "rollback" => "`dfw-cli rollback` restored the rollback point".to_string(),
            "revert" => "the confirm watchdog reverted an unconfirmed commit".to_string(),
            "watch" => format!("another dfw-cli watch applied {}", a.source),
            _ => format!("`dfw-cli commit` applied {}", a.source),
        };
        let line = format!(
            "{what} (id {}): not enforcing {} until it changes or SIGHUP",
            a.id,
            self.config.display()
        );
        notify(Notice::Suspended(&line));
        self.candidate = None;
        self.suspended = Some(line);
        Ok(())
    }

    /// Applies a candidate: guard, rollback point, commit, record.
    fn apply(
        &mut self,
        fw: &mut Firewall<NetlinkTransport>,
        c: &Loaded,
        cause: Cause,
        first: Instant,
        notify: &mut dyn FnMut(Notice<'_>),
    ) -> Result<(), SafetyError> {
        let drift = enforce::drift(fw, &c.compiled)?;
        if drift.is_empty() {
            notify(Notice::InSync(cause));
            return Ok(());
        }
        let plan = enforce::plan_compiled(fw, c.external.clone(), c.compiled.clone())?;
        check_changes(fw, &self.ssh, &c.external, &plan.changes)?;
        drop(plan);
        let before = kernel_snapshot(fw)?;
        self.dir.stage_previous(&before)?;
        drop(before);
        let report = match enforce::commit_compiled_unguarded(fw, c.external.clone(), &c.compiled) {
            Ok(r) => r,
            Err(e) => {
                let _ = self.dir.remove(STAGED);
                return Err(e.into());
            }
        };
        if report.is_noop() {
            let _ = self.dir.remove(STAGED);
        } else {
            let _ = self.dir.promote_staged();
            let a = Applied::new("watch", &c.hash, &self.config.display().to_string());
            if write_applied(&self.dir, &a).is_ok() {
                self.known = Some(a.id);
            }
        }
        notify(Notice::Repaired(&Repair {
            cause,
            drift,
            first_event: first,
            committed: Instant::now(),
            at: SystemTime::now(),
            generation: report.applied.generation,
        }));
        Ok(())
    }

    /// Writes the watch's description ([`WATCH`]: pid, hash, file) and makes the kernel
    /// marker say the same.
    pub fn describe(&mut self) -> Result<(), SafetyError> {
        let hash = self
            .enforced
            .as_ref()
            .or(self.candidate.as_ref())
            .map_or("-".to_string(), |l| l.hash.clone());
        let info = WatchInfo {
            pid: std::process::id(),
            hash,
            config: self.config.display().to_string(),
        };
        self.dir.write_atomic(WATCH, info.to_line().as_bytes())?;
        self.claim.update(WatchMarker {
            pid: info.pid,
            hash: info.hash,
            state: self.dir.id()?,
            state_path: self.dir.path().display().to_string(),
            config: info.config,
        })?;
        Ok(())
    }
}
