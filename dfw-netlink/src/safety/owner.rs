//! Where a state directory belongs: the network namespace (and boot) whose kernel its
//! rollback points and pending commits describe.
//!
//! Contract: [`claim`] (called holding the state lock by everything that changes the kernel
//! through a state directory) records in [`OWNER`] the calling thread's network namespace
//! (device and inode of `/proc/thread-self/ns/net`), the boot (`/proc/sys/kernel/random/
//! boot_id`) and whether it is the namespace of PID 1; the first use claims the directory.
//! Later uses must match: same boot and same namespace. After a reboot every namespace is
//! new, so the record of the host's own namespace (that of PID 1) is carried over to the new
//! boot's; a directory that belonged to any other namespace, of this boot or an earlier one,
//! is refused ([`SafetyError::Foreign`]): its rollback point is that namespace's state, and
//! applying it here would replace this kernel's dfw objects with another's.

use std::os::unix::fs::MetadataExt;

use super::store::OWNER;
use super::{SafetyError, StateDir};

/// A network namespace of one boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// `DEV:INODE` of the namespace.
    pub netns: String,
    /// The boot id.
    pub boot: String,
    /// True for the namespace of PID 1.
    pub init: bool,
}

impl Place {
    /// The calling thread's.
    ///
    /// # Errors
    /// The `/proc` read that failed.
    pub fn here() -> std::io::Result<Place> {
        let ns = |p: &str| std::fs::metadata(p).map(|m| format!("{}:{}", m.dev(), m.ino()));
        let netns = ns("/proc/thread-self/ns/net")?;
        let init = ns("/proc/1/ns/net").is_ok_and(|i| i == netns);
        let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")?
            .trim()
            .to_string();
        Ok(Place { netns, boot, init })
    }

    fn to_line(&self) -> String {
        format!(
            "netns {} boot {} init {}\n",
            self.netns,
            self.boot,
            u8::from(self.init)
        )
    }

    fn parse(text: &str) -> Option<Place> {
        let w: Vec<&str> = text.split_whitespace().collect();
        match w.as_slice() {
            ["netns", n, "boot", b, "init", i] => Some(Place {
                netns: n.to_string(),
                boot: b.to_string(),
                init: *i == "1",
            }),
            _ => None,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let which = if self.init { "the host's" } else { "a" };
        write!(
            f,
            "{which} network namespace (net {}) of boot {}",
            self.netns,
            self.boot.get(..8).unwrap_or(&self.boot)
        )
    }
}

/// Whether state recorded at `was` may be used at `now` (see the module contract).
pub fn compatible(was: &Place, now: &Place) -> bool {
    if was.boot == now.boot {
        was.netns == now.netns
    } else {
        was.init && now.init
    }
}

/// Claims `dir` for the calling thread's namespace, or refuses (see the module contract).
///
/// # Errors
/// [`SafetyError::Foreign`]; [`SafetyError::Io`].
pub fn claim(dir: &StateDir) -> Result<(), SafetyError> {
    let now = Place::here().map_err(|source| SafetyError::Io {
        path: "/proc/thread-self/ns/net".into(),
        op: "identify the network namespace",
        source,
    })?;
    if let Some(was) = recorded(dir)? {
        if !compatible(&was, &now) {
            return Err(SafetyError::Foreign {
                dir: dir.path().display().to_string(),
                recorded: was.to_string(),
                here: now.to_string(),
            });
        }
        if was == now {
            return Ok(());
        }
    }
    dir.write_atomic(OWNER, now.to_line().as_bytes())
}

/// The place `dir` belongs to, if recorded (an unreadable record counts as none).
///
/// # Errors
/// [`SafetyError::Io`].
pub fn recorded(dir: &StateDir) -> Result<Option<Place>, SafetyError> {
    Ok(dir.read(OWNER)?.and_then(|t| Place::parse(&t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(netns: &str, boot: &str, init: bool) -> Place {
        Place {
            netns: netns.into(),
            boot: boot.into(),
            init,
        }
    }

    #[test]
    fn same_boot_same_namespace_only_and_the_host_across_reboots() {
        let host = place("4:1", "b1", true);
        let other = place("4:2", "b1", false);
        assert!(compatible(&host, &host));
        assert!(!compatible(&host, &other));
        assert!(!compatible(&other, &host));
        assert!(compatible(&host, &place("4:9", "b2", true)), "reboot");
        assert!(!compatible(&other, &place("4:2", "b2", false)));
        assert!(!compatible(&host, &place("4:3", "b2", false)));
        assert_eq!(Place::parse(&host.to_line()), Some(host.clone()));
        assert_eq!(Place::parse("junk"), None);
        let here = Place::here().unwrap();
        assert!(here.netns.contains(':'));
    }
}
