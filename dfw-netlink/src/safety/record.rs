//! What the last commit applied, and which watch follows which policy: how commits, the
//! confirm watchdog, rollbacks and a running watch learn of each other through the state
//! directory.
//!
//! Contract:
//! - [`APPLIED`] holds one line, `ID BY HASH SOURCE`, written (holding the state lock) by
//!   every operation that changed dfw's objects in the kernel to something new: a commit
//!   (`commit`, the policy's hash and file), a rollback (`rollback`), the watchdog's revert
//!   (`revert`) and a watch's apply of a (re)loaded policy (`watch`). A watch's repairs of
//!   the policy it already applied do not write it. [`policy_hash`] is the hash of the
//!   compiled policy's rules, so the same policy from two files has the same hash.
//! - A running watch holds [`WATCH_LOCK`] for its lifetime and describes itself in
//!   [`WATCH`] (`PID HASH FILE`); [`running_watch`] is that description while the lock is
//!   held (a watch that died left nothing that counts).

use dfw_core::policy::Compiled;

use super::snapshot::{fnv1a64, rules_text};
use super::store::{APPLIED, WATCH, WATCH_LOCK};
use super::{SafetyError, StateDir};

/// Who applied what (see the module contract).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// A fresh id of this apply.
    pub id: String,
    /// `commit`, `rollback`, `revert` or `watch`.
    pub by: String,
    /// The policy's hash ([`policy_hash`]); `-` for a rollback or revert.
    pub hash: String,
    /// The policy file, or `-`.
    pub source: String,
}

impl Applied {
    /// A record with a fresh id.
    pub fn new(by: &str, hash: &str, source: &str) -> Applied {
        Applied {
            id: new_id(),
            by: by.into(),
            hash: hash.into(),
            source: if source.is_empty() {
                "-".into()
            } else {
                source.replace(char::is_whitespace, "?")
            },
        }
    }

    fn parse(text: &str) -> Option<Applied> {
        let mut w = text.trim_end().splitn(4, ' ');
        Some(Applied {
            id: w.next()?.into(),
            by: w.next()?.into(),
            hash: w.next()?.into(),
            source: w.next()?.into(),
        })
    }
}

/// A running watch, as it describes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchInfo {
    /// Its process id.
    pub pid: u32,
    /// The hash of the policy it applies.
    pub hash: String,
    /// The file it follows.
    pub config: String,
}

impl WatchInfo {
    /// The line of [`WATCH`].
    pub fn to_line(&self) -> String {
        format!("{} {} {}\n", self.pid, self.hash, self.config)
    }

    fn parse(text: &str) -> Option<WatchInfo> {
        let mut w = text.trim_end().splitn(3, ' ');
        Some(WatchInfo {
            pid: w.next()?.parse().ok()?,
            hash: w.next()?.into(),
            config: w.next()?.into(),
        })
    }
}

/// The hash of a compiled policy's rules (hex).
pub fn policy_hash(compiled: &Compiled) -> String {
    let text = rules_text(compiled).unwrap_or_default();
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

/// Records what was applied (call holding the state lock).
///
/// # Errors
/// As [`StateDir::write_atomic`].
pub fn write_applied(dir: &StateDir, a: &Applied) -> Result<(), SafetyError> {
    let line = format!("{} {} {} {}\n", a.id, a.by, a.hash, a.source);
    dir.write_atomic(APPLIED, line.as_bytes())
}

/// What the last commit applied, if recorded.
///
/// # Errors
/// [`SafetyError::Io`].
pub fn read_applied(dir: &StateDir) -> Result<Option<Applied>, SafetyError> {
    Ok(dir.read(APPLIED)?.and_then(|t| Applied::parse(&t)))
}

/// The watch following a policy through `dir`, if one runs.
///
/// # Errors
/// [`SafetyError::Io`].
pub fn running_watch(dir: &StateDir) -> Result<Option<WatchInfo>, SafetyError> {
    if !dir.held(WATCH_LOCK)? {
        return Ok(None);
    }
    Ok(dir.read(WATCH)?.and_then(|t| WatchInfo::parse(&t)))
}

/// The description a watch left in [`WATCH`] (whether or not it still runs).
///
/// # Errors
/// [`SafetyError::Io`].
pub fn read_watch(dir: &StateDir) -> Result<Option<WatchInfo>, SafetyError> {
    Ok(dir.read(WATCH)?.and_then(|t| WatchInfo::parse(&t)))
}

/// A fresh id: time and pid.
pub fn new_id() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{t:x}-{}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let a = Applied::new("commit", "00ff", "/etc/dfw/my file.toml");
        assert_eq!(a.source, "/etc/dfw/my?file.toml");
        let line = format!("{} {} {} {}\n", a.id, a.by, a.hash, a.source);
        assert_eq!(Applied::parse(&line), Some(a));
        let w = WatchInfo {
            pid: 42,
            hash: "ab".into(),
            config: "/etc/dfw/dfw.toml".into(),
        };
        assert_eq!(WatchInfo::parse(&w.to_line()), Some(w));
        assert_eq!(WatchInfo::parse("x y z"), None);
    }
}
