//! The front door: [`Dfw`], one handle for what an embedding tool does with a policy, in the
//! order it does it: open, plan, commit (guarded, with a rollback point), status, confirm,
//! rollback. Every `dfw-cli` policy command is one call here.
//!
//! Contract: [`Dfw::commit`] is exactly `dfw-cli commit`: it refuses a policy that would lock
//! out a live SSH session (read from the kernel) or the one the process runs in (unless
//! [`crate::SshGuard::Off`]), saves dfw's objects as
//! they are (the rollback point) before changing anything, optionally starts the confirm
//! watchdog, and commits IPv4 and IPv6 in one atomic batch (see [`crate::safety`]). The state
//! directory ([`DEFAULT_STATE_DIR`] unless set) is created (mode 0700) the first time a
//! commit, confirm or rollback needs it, never by [`Dfw::plan`] or [`Dfw::status`], which
//! change nothing. The low-level engine stays reachable through [`Dfw::firewall`]; the same
//! commit without the guard and the rollback point is
//! [`crate::enforce::commit_unguarded`], named so.

use std::path::PathBuf;

use dfw_core::policy::Policy;

use crate::enforce::{self, CommitError, CommitReport, PolicyPlan, StatusReport};
use crate::firewall::{Firewall, FirewallError};
use crate::safety::{
    self, CommitOptions, Confirmed, RollbackOptions, SafeCommit, SafetyError, StateDir,
    DEFAULT_STATE_DIR,
};
use crate::transport::{NetlinkTransport, Transport};

/// dfw on one network namespace: a [`Firewall`] and the state directory of its commits.
///
/// ```no_run
/// use dfw_core::Policy;
/// use dfw_netlink::{CommitOptions, Dfw};
///
/// let text = std::fs::read_to_string("/etc/dfw/dfw.toml")?;
/// let policy = Policy::from_toml(&text, "/etc/dfw/dfw.toml")?; // names file:line:column
/// let mut dfw = Dfw::open()?; // root, in the calling thread's network namespace
/// let plan = dfw.plan(&policy)?; // what a commit would change; nothing is changed
/// print!("{}", plan.diff_text());
/// // Guards this SSH session, saves the rollback point, one atomic batch for IPv4 and IPv6.
/// let done = dfw.commit(policy, &CommitOptions::default())?;
/// for family in done.report.summaries() {
///     println!("{family}"); // `IPv4: 3 rules added, 0 removed, 2 chains created, 0 deleted`
/// }
/// // Later: `dfw.rollback()?` restores dfw's chains as they were before that commit.
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Dfw<T = NetlinkTransport> {
    fw: Firewall<T>,
    state_path: PathBuf,
    state: Option<StateDir>,
}

impl Dfw<NetlinkTransport> {
    /// Opens a netlink socket in the calling thread's network namespace; the state directory
    /// is [`DEFAULT_STATE_DIR`] (see [`Dfw::with_state_dir`]).
    ///
    /// # Errors
    /// [`FirewallError::Transport`] when the socket cannot be opened.
    pub fn open() -> Result<Self, FirewallError> {
        Ok(Dfw::new(Firewall::open()?))
    }
}

impl<T: Transport> Dfw<T> {
    /// dfw over `fw` (any transport), with the state directory [`DEFAULT_STATE_DIR`].
    pub fn new(fw: Firewall<T>) -> Self {
        Dfw {
            fw,
            state_path: PathBuf::from(DEFAULT_STATE_DIR),
            state: None,
        }
    }

    /// Keeps previous states and confirmation markers in `path` instead (created 0700 when
    /// first needed).
    pub fn with_state_dir(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_path = path.into();
        self.state = None;
        self
    }

    /// Uses a state directory already opened (its errors reported by the caller first).
    pub fn with_state(mut self, dir: StateDir) -> Self {
        self.state_path = dir.path().to_path_buf();
        self.state = Some(dir);
        self
    }

    /// The low-level engine: iptables tables read, planned, applied, restored, saved.
    pub fn firewall(&mut self) -> &mut Firewall<T> {
        &mut self.fw
    }

    /// What committing `policy` would change, as a diff and counts; changes nothing
    /// (`dfw-cli plan`; see [`enforce::plan`]).
    ///
    /// # Errors
    /// [`CommitError`]: the `"auto"` look-up, a rule that prevents reaching the policy, or
    /// reading the kernel.
    pub fn plan(&mut self, policy: &Policy) -> Result<PolicyPlan, CommitError> {
        enforce::plan(&mut self.fw, policy)
    }

    /// Commits `policy` as `dfw-cli commit` does (see the module contract): the SSH guard of
    /// `opts.ssh`, the rollback point, the watchdog of `opts.confirm`, one atomic batch. The
    /// policy is dropped once compiled (a large policy is not held through the commit).
    ///
    /// # Errors
    /// [`SafetyError::Lockout`] naming the rule that would refuse a new SSH connection;
    /// [`SafetyError::Pending`] while another commit awaits confirmation; the commit's
    /// errors ([`SafetyError::Commit`]); state-directory I/O. Nothing is committed then.
    pub fn commit(
        &mut self,
        policy: Policy,
        opts: &CommitOptions,
    ) -> Result<SafeCommit, SafetyError> {
        let dir = state(&mut self.state, &self.state_path)?;
        safety::commit_policy(&mut self.fw, dir, policy, opts)
    }

    /// How the kernel differs from `policy`; changes nothing (`dfw-cli status`).
    ///
    /// # Errors
    /// As [`Dfw::plan`].
    pub fn status(&mut self, policy: &Policy) -> Result<StatusReport, CommitError> {
        enforce::status(&mut self.fw, policy)
    }

    /// Keeps a commit made with [`CommitOptions::confirm`]: its watchdog exits without
    /// reverting (`dfw-cli confirm`).
    ///
    /// # Errors
    /// [`SafetyError::NothingPending`], [`SafetyError::TooLate`], state-directory I/O.
    pub fn confirm(&mut self) -> Result<Confirmed, SafetyError> {
        safety::confirm(state(&mut self.state, &self.state_path)?)
    }

    /// Restores dfw's chains and jumps as they were before the last commit, in one atomic
    /// batch, cancelling a pending confirmation (`dfw-cli rollback`; a second rollback undoes
    /// the first).
    ///
    /// # Errors
    /// [`SafetyError::NoPrevious`], the commit's errors, state-directory I/O.
    pub fn rollback(&mut self) -> Result<CommitReport, SafetyError> {
        self.rollback_with(&RollbackOptions::default())
    }

    /// As [`Dfw::rollback`] with options (`opts.ssh`: the SSH guard; a rollback that would
    /// lock out a live SSH session is refused unless [`crate::SshGuard::Off`]).
    ///
    /// # Errors
    /// As [`Dfw::rollback`], and [`SafetyError::Lockout`].
    pub fn rollback_with(&mut self, opts: &RollbackOptions) -> Result<CommitReport, SafetyError> {
        let dir = state(&mut self.state, &self.state_path)?;
        safety::rollback(&mut self.fw, dir, opts)
    }

    /// The SSH lockout a commit of `plan` would cause, as an error, without committing
    /// (`dfw-cli plan` prints it as a warning): the live SSH sessions and this process's
    /// are checked as [`Dfw::commit`] checks them.
    ///
    /// # Errors
    /// [`SafetyError::Lockout`]; reading the kernel or the socket table.
    pub fn check_ssh(&mut self, plan: &PolicyPlan) -> Result<(), SafetyError> {
        let sets = crate::enforce::host_sets(self.fw.transport(), &plan.compiled)?;
        safety::check_changes(
            &mut self.fw,
            &crate::SshGuard::Sessions,
            &plan.external,
            &plan.changes,
            &sets,
        )
    }
}

/// The state directory, opened (and created) on first use.
fn state<'a>(
    state: &'a mut Option<StateDir>,
    path: &std::path::Path,
) -> Result<&'a StateDir, SafetyError> {
    let dir = match state.take() {
        Some(dir) => dir,
        None => StateDir::open(path)?,
    };
    Ok(state.insert(dir))
}
