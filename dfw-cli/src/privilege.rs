//! The root check of the commands that need the kernel: one clear line before anything is
//! read, created or printed (`commit` would otherwise fail creating its state directory,
//! `demo` after printing its banner).
//!
//! Contract: [`require`] passes when this process has `CAP_NET_ADMIN` in its effective set
//! (root has it; so has `dfw-watch.service`, which keeps only that one), or when that cannot
//! be read (`/proc` not mounted: the kernel's own refusal then speaks). Otherwise it prints
//! `dfw-cli CMD: not root: run as root or with CAP_NET_ADMIN (CMD WHAT)` and fails.

use std::process::ExitCode;

/// A capability a command needs, by its bit in the capability sets (linux/capability.h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// `CAP_NET_ADMIN`: read and change nf_tables, rtnetlink changes.
    NetAdmin = 12,
    /// `CAP_SYS_ADMIN`: create network namespaces (`demo`).
    SysAdmin = 21,
}

impl Cap {
    fn name(self) -> &'static str {
        match self {
            Cap::NetAdmin => "CAP_NET_ADMIN",
            Cap::SysAdmin => "CAP_SYS_ADMIN",
        }
    }
}

/// The effective capability set of this process (`CapEff` of `/proc/self/status`), or
/// `None` when it cannot be read.
fn effective() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_cap_eff(&status)
}

/// `CapEff:` of a `/proc/PID/status` text.
fn parse_cap_eff(status: &str) -> Option<u64> {
    let hex = status.lines().find_map(|l| l.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

/// Passes when this process has `CAP_NET_ADMIN` (see the module contract); otherwise
/// prints why and returns the exit code. `what` says what needs root, e.g. "changes
/// nf_tables and writes the state directory".
pub fn require(cmd: &str, what: &str) -> Result<(), ExitCode> {
    require_caps(cmd, what, &[Cap::NetAdmin])
}

/// As [`require`] for every capability of `caps`.
pub fn require_caps(cmd: &str, what: &str, caps: &[Cap]) -> Result<(), ExitCode> {
    let Some(have) = effective() else {
        return Ok(());
    };
    let missing: Vec<&str> = caps
        .iter()
        .filter(|c| have & (1 << (**c as u32)) == 0)
        .map(|c| c.name())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    crate::errln!(
        "dfw-cli {cmd}: not root: run as root or with {} ({cmd} {what})",
        missing.join(" and ")
    );
    Err(ExitCode::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_eff_is_read_from_proc_status() {
        let root = "Name:\tx\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n";
        assert_eq!(parse_cap_eff(root), Some(0x1ff_ffff_ffff));
        let watch = "CapEff:\t0000000000001000\n";
        let net_admin = 1 << Cap::NetAdmin as u32;
        assert_eq!(parse_cap_eff(watch).map(|c| c & net_admin), Some(0x1000));
        assert_eq!(parse_cap_eff("CapPrm:\t0\n"), None);
        assert_eq!(parse_cap_eff("CapEff:\tzz\n"), None);
    }
}
