//! Per-namespace sysctls. `/proc/sys/net` shows the network namespace of the thread that
//! opens it, so writing from inside [`NetNs::run`] is plain file I/O.

use super::error::SimError;
use super::netns::NetNs;

/// Writes each `(key, value)` (key relative to `/proc/sys`, for example
/// `net/ipv4/ip_forward`) inside `ns`, in order.
///
/// # Errors
/// [`SimError::Sysctl`] naming the first key that could not be written.
pub fn write_sysctls(ns: &NetNs, settings: &[(&str, &str)]) -> Result<(), SimError> {
    ns.run(|| {
        for (key, value) in settings {
            std::fs::write(format!("/proc/sys/{key}"), value).map_err(|source| {
                SimError::Sysctl {
                    ns: ns.label().into(),
                    key: (*key).into(),
                    value: (*value).into(),
                    source,
                }
            })?;
        }
        Ok(())
    })?
}
