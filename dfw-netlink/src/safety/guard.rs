//! The SSH lockout guard against the kernel, and the recovery of an interrupted commit.
//!
//! Contract:
//! - [`SshGuard`] says which sessions a change must not lock out; by default
//!   ([`SshGuard::Sessions`]) every live SSH session of this namespace the kernel shows
//!   ([`super::sessions`]) and the one this process runs in (`SSH_CONNECTION`, also found
//!   in an ancestor's environment under sudo).
//! - [`check_changes`] composes, per family with a session, the `filter` table as it will be
//!   after `changes`, reads every native nf_tables table the kernel holds (a commit leaves
//!   them as they are; their base chains run at the input hook too) and checks that a NEW connection from each session's client to its
//!   server port, arriving on the interface the host routes that client through (`lo` for a
//!   local client; each external interface when the host cannot say), is accepted, or is
//!   refused (or undecidable) now exactly as after, by the same neighbour's rule
//!   ([`super::lockout::check_lockout_change`]): not the change's doing.
//! - [`recover_staged`] settles a commit that was interrupted between saving its rollback
//!   point ([`STAGED`]) and renaming it into place: when the kernel's dfw objects still
//!   equal the staged state the commit never landed and the staged file goes; otherwise it
//!   landed and the staged state becomes the rollback point. Called holding the state lock.

use dfw_core::model::{Family, Iface, TableName};

use super::lockout::{check_lockout_change_with_sets, desired_filter, ingress, SshConnection};
use super::session::ssh_connection;
use super::sessions::live_ssh_sessions;
use super::store::STAGED;
use super::{SafetyError, Snapshot, StateDir};
use crate::enforce::{read_current, ListedSets};
use crate::firewall::{ChangeSet, Firewall, KernelTable};
use crate::transport::Transport;

/// Which SSH sessions a change must not lock out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SshGuard {
    /// Every live SSH session the kernel shows, and the one this process runs in.
    #[default]
    Sessions,
    /// This connection only.
    Connection(SshConnection),
    /// No guard (`--force`).
    Off,
}

impl SshGuard {
    /// The connections to protect.
    ///
    /// # Errors
    /// [`SafetyError::Sessions`] when the socket table cannot be read.
    pub fn connections(&self) -> Result<Vec<SshConnection>, SafetyError> {
        match self {
            SshGuard::Off => Ok(Vec::new()),
            SshGuard::Connection(c) => Ok(vec![*c]),
            SshGuard::Sessions => {
                let mut v = live_ssh_sessions()?.sessions;
                if let Some(c) = ssh_connection() {
                    if !v.contains(&c) {
                        v.push(c);
                    }
                }
                Ok(v)
            }
        }
    }
}

/// Checks `changes` against the sessions of `guard` (see the module contract); `sets` holds
/// the members of the sets the new rules match (see [`crate::enforce::host_sets`]), the
/// kernel's rules now are evaluated with the kernel's members.
///
/// # Errors
/// [`SafetyError::Lockout`] naming the session and the rule; reading the kernel.
pub fn check_changes<T: Transport>(
    fw: &mut Firewall<T>,
    guard: &SshGuard,
    external: &[Iface],
    changes: &ChangeSet,
    sets: &dfw_core::eval::HostSets,
) -> Result<(), SafetyError> {
    check_changes_in(fw, guard, external, changes, sets, &ListedSets::new())
}

/// As [`check_changes`], taking the kernel's members of the sets in `listed` from there (the
/// plan of the same commit listed them).
///
/// # Errors
/// As [`check_changes`].
pub fn check_changes_in<T: Transport>(
    fw: &mut Firewall<T>,
    guard: &SshGuard,
    external: &[Iface],
    changes: &ChangeSet,
    sets: &dfw_core::eval::HostSets,
    listed: &ListedSets,
) -> Result<(), SafetyError> {
    let conns = guard.connections()?;
    if conns.is_empty() {
        return Ok(());
    }
    // Every native table (Docker's nftables backend, nftables.service, firewalld, an
    // admin's): their base chains run at the input hook with iptables' tables.
    let native = crate::native::read_native(fw.transport())?;
    for family in [Family::Ipv4, Family::Ipv6] {
        let mine: Vec<&SshConnection> = conns.iter().filter(|c| c.family() == family).collect();
        if mine.is_empty() {
            continue;
        }
        let kernel = fw
            .read_tables(family, &[TableName::Filter])?
            .into_iter()
            .next()
            .unwrap_or(KernelTable {
                family,
                name: TableName::Filter,
                chains: Vec::new(),
            });
        let desired = desired_filter(&kernel, changes).map_err(SafetyError::Compose)?;
        let now = desired_filter(&kernel, &ChangeSet::default()).map_err(SafetyError::Compose)?;
        let before_sets = crate::enforce::ruleset_sets_in(fw.transport(), &now, listed)?;
        let host = crate::route::read_host(family, &[]).ok();
        for c in mine {
            let ifaces = ingress(host.as_ref(), c, external);
            check_lockout_change_with_sets(
                (&now, &before_sets),
                (&desired, sets),
                &native,
                c,
                &ifaces,
            )
            .map_err(SafetyError::Lockout)?;
        }
    }
    Ok(())
}

/// dfw's objects in the kernel now, both families, with the members of its static sets.
///
/// # Errors
/// Reading the kernel; [`SafetyError::Opaque`].
pub fn kernel_snapshot<T: Transport>(fw: &mut Firewall<T>) -> Result<Snapshot, SafetyError> {
    let rules = Snapshot::from_current(&[
        read_current(fw, Family::Ipv4)?,
        read_current(fw, Family::Ipv6)?,
    ])?;
    with_kernel_sets(fw, rules)
}

/// `rules` with the kernel's members of the dfw sets they match (see [`Snapshot::with_sets`]).
///
/// # Errors
/// Reading the sets.
pub fn with_kernel_sets<T: Transport>(
    fw: &mut Firewall<T>,
    rules: Snapshot,
) -> Result<Snapshot, SafetyError> {
    with_kernel_sets_in(fw, rules, &ListedSets::new())
}

/// As [`with_kernel_sets`], taking the members of the sets in `listed` from there (the plan
/// of the same commit listed them). Also records dfw's native table (`[docker]
/// accept_fwmark`) as the kernel holds it.
///
/// # Errors
/// As [`with_kernel_sets`].
pub fn with_kernel_sets_in<T: Transport>(
    fw: &mut Firewall<T>,
    mut rules: Snapshot,
    listed: &ListedSets,
) -> Result<Snapshot, SafetyError> {
    rules.0.native = crate::native::read_native_table(
        fw.transport(),
        dfw_core::native::NftFamily::Inet,
        dfw_core::policy::MARK_TABLE,
    )?;
    if crate::enforce::referenced_sets(&rules.0).is_empty() {
        return Ok(rules);
    }
    let sets = crate::enforce::static_set_contents_in(fw.transport(), &rules.0, listed)?;
    Ok(rules.with_sets(sets))
}

/// Settles an interrupted commit (see the module contract).
///
/// # Errors
/// Reading the kernel; state-directory I/O.
pub fn recover_staged<T: Transport>(
    fw: &mut Firewall<T>,
    dir: &StateDir,
) -> Result<(), SafetyError> {
    let staged = match dir.snapshot(STAGED) {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(()),
        // Torn while being written: the commit had not started.
        Err(SafetyError::Corrupt { .. }) => return dir.remove(STAGED),
        Err(e) => return Err(e),
    };
    // Compared as text: the form the staged state was written in.
    if kernel_snapshot(fw)?.to_text()? == staged.to_text()? {
        dir.remove(STAGED)
    } else {
        dir.promote_staged()
    }
}
