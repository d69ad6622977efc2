//! Which SSH connection the command runs in.
//!
//! Contract: [`ssh_connection`] takes `SSH_CONNECTION` from the environment; when it is
//! absent (as under `sudo`, whose `env_reset` drops it) it is looked up in the environments
//! of the process's ancestors (`/proc/PID/environ`, following `PPid` in `/proc/PID/status`,
//! at most 64 levels), so `sudo dfw-cli commit` in an SSH session is still guarded. Set to
//! an empty string, it means "no SSH session" and nothing is looked up.

use super::SshConnection;

/// The variable sshd sets.
pub const SSH_CONNECTION: &str = "SSH_CONNECTION";

/// The SSH connection this process runs in, if any (see the module contract).
pub fn ssh_connection() -> Option<SshConnection> {
    if let Some(v) = std::env::var_os(SSH_CONNECTION) {
        return SshConnection::parse(&v.to_string_lossy());
    }
    let mut pid = parent(std::process::id())?;
    for _ in 0..64 {
        if pid <= 1 {
            return None;
        }
        if let Some(v) = environ_var(pid, SSH_CONNECTION) {
            return if v.is_empty() {
                None
            } else {
                SshConnection::parse(&v)
            };
        }
        pid = parent(pid)?;
    }
    None
}

/// The parent of `pid`, from `/proc/PID/status`.
fn parent(pid: u32) -> Option<u32> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// `name`'s value in the environment `pid` started with.
fn environ_var(pid: u32, name: &str) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
    env.split(|b| *b == 0).find_map(|kv| {
        let kv = String::from_utf8_lossy(kv);
        kv.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('='))
            .map(str::to_string)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_environment_is_read() {
        // This process's parent exists and has a readable environment.
        let me = std::process::id();
        let p = parent(me).unwrap();
        assert!(p >= 1);
        assert_eq!(environ_var(me, "DFW_SURELY_UNSET_VARIABLE"), None);
        let path = std::env::var("PATH").ok();
        if path.is_some() {
            assert_eq!(environ_var(me, "PATH"), path);
        }
    }
}
