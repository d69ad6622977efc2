//! What the compiler needs from the machine besides the external interfaces: whether the
//! kernel has ipset, the entries of `[blocklist] files`, and which `[blocklist] ipsets` exist.
//!
//! Contract: [`compile_policy`] is the one way the policy layer compiles a policy for this
//! kernel (plan, commit, status, watch and the guarded commit all call it): a kernel without
//! ipset compiles every list to rules and says so ([`SetNote::NoIpset`]); a block list file is
//! read in full and parsed before anything is sent (an unreadable or bad file is an error
//! naming it, its line and the token, and nothing changes); a named ipset that does not exist
//! is left out and said ([`SetNote::MissingIpset`]), so a boot before CrowdSec created its set
//! still gets a firewall.

use std::fmt;

use dfw_core::model::matches::SetName;
use dfw_core::model::Iface;
use dfw_core::policy::{parse_block_file, CompileInputs, Compiled, Policy};

use super::{resolve_external, CommitError};
use crate::ipset::{IpsetClient, IpsetError};
use crate::transport::Transport;

/// Something a plan or commit reports about sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetNote {
    /// The kernel has no ipset: every list is one rule per entry and there are no bans.
    NoIpset {
        /// The errno of the ipset request.
        code: i32,
    },
    /// A set of `[blocklist] ipsets` does not exist: its members are not blocked.
    MissingIpset {
        /// Its name.
        name: SetName,
    },
    /// A set of `[blocklist] ipsets` is not of family inet or inet6 (a `list:set`): not used.
    UnusableIpset {
        /// Its name.
        name: SetName,
        /// Its type.
        typename: String,
    },
}

impl fmt::Display for SetNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetNote::NoIpset { code } => write!(
                f,
                "this kernel has no ip_set ({}): every source list is compiled to one rule per \
                 entry, and dfw-cli ban is not available",
                crate::ipset::ipset_errno_text(*code)
            ),
            SetNote::MissingIpset { name } => write!(
                f,
                "[blocklist] ipsets: set {name} does not exist: its members are NOT blocked; \
                 commit again once it exists"
            ),
            SetNote::UnusableIpset { name, typename } => write!(
                f,
                "[blocklist] ipsets: set {name} is a {typename} without an address family: \
                 not used"
            ),
        }
    }
}

/// The external interfaces, the compiled policy and the notes about sets.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    /// The external interfaces (configured, or resolved for `"auto"`).
    pub external: Vec<Iface>,
    /// The policy compiled for this kernel.
    pub compiled: Compiled,
    /// What to tell about sets.
    pub notes: Vec<SetNote>,
}

/// The entries of every `[blocklist] files` file, in order (none without a block list).
///
/// # Errors
/// [`CommitError::BlockFile`] for a file that cannot be read, [`CommitError::BlockList`] for
/// one that is not a block list (file, line and token named).
pub fn read_block_files(policy: &Policy) -> Result<Vec<dfw_core::policy::Source>, CommitError> {
    let mut out = Vec::new();
    for (i, path) in policy
        .blocklist
        .iter()
        .flat_map(|b| b.files.iter())
        .enumerate()
    {
        let text = std::fs::read_to_string(path).map_err(|source| CommitError::BlockFile {
            path: path.clone(),
            source,
        })?;
        out.extend(parse_block_file(&text, path, i).map_err(CommitError::BlockList)?);
    }
    Ok(out)
}

/// True when `policy` may compile to sets: it has a `[blocklist]` (its ban sets), or a
/// source list longer than [`dfw_core::policy::SET_THRESHOLD`] (the block list files are
/// counted when read).
pub fn may_use_sets(policy: &Policy) -> bool {
    let long = |l: &[dfw_core::policy::Source]| l.len() > dfw_core::policy::SET_THRESHOLD;
    policy.blocklist.is_some()
        || long(&policy.whitelist)
        || long(&policy.lan)
        || policy
            .allow
            .iter()
            .any(|a| a.from.as_deref().is_some_and(long))
}

/// Resolves the external interfaces and the compile inputs over `t`, and compiles `policy`.
///
/// # Errors
/// [`CommitError`] for the `"auto"` look-up, an unreadable or invalid block list file, or an
/// ipset failure other than "no ipset here".
pub fn compile_policy<T: Transport + ?Sized>(
    t: &mut T,
    policy: &Policy,
) -> Result<CompiledPolicy, CommitError> {
    let external = resolve_external(policy)?;
    let mut notes = Vec::new();
    let mut inputs = CompileInputs::default();
    let mut c = IpsetClient::new(t);
    // Only a policy that can use sets asks the kernel (short lists compile the same either way).
    if may_use_sets(policy) {
        match c.protocol() {
            Ok(_) => inputs.sets = true,
            Err(IpsetError::Unsupported { code }) => notes.push(SetNote::NoIpset { code }),
            Err(e) => return Err(CommitError::Ipset(Box::new(e))),
        }
    }
    inputs.block_files = read_block_files(policy)?;
    if let Some(b) = &policy.blocklist {
        if inputs.sets {
            for name in &b.ipsets {
                match c.header(name) {
                    Ok(None) => notes.push(SetNote::MissingIpset { name: name.clone() }),
                    Ok(Some(h)) => match h.family {
                        Some(f) => inputs.ipsets.push((name.clone(), f)),
                        None => notes.push(SetNote::UnusableIpset {
                            name: name.clone(),
                            typename: h.typename,
                        }),
                    },
                    Err(e) => return Err(CommitError::Ipset(Box::new(e))),
                }
            }
        }
    }
    let compiled = policy.compile_with(&external, &inputs);
    Ok(CompiledPolicy {
        external,
        compiled,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::fake::FakeTransport;
    use crate::transport::{KernelError, TransportError};

    fn policy() -> Policy {
        let many: Vec<String> = (1..=30).map(|i| format!("\"198.51.100.{i}\"")).collect();
        let text = format!(
            "[interfaces]\nexternal = [\"eth0\"]\n[whitelist]\nsources = [{}]\n\
             [blocklist]\nsources = [\"192.0.2.66\"]\nipsets = [\"crowdsec-blacklists\"]\n",
            many.join(", ")
        );
        Policy::from_toml(&text, "p.toml").unwrap()
    }

    #[test]
    fn a_kernel_without_ipset_gets_rules_and_a_note() {
        let mut t = FakeTransport::default();
        // nfnetlink answers a request for a subsystem it does not have with EINVAL.
        t.dump_replies
            .push_back(Err(TransportError::Kernel(KernelError {
                seq: 1,
                errno: libc::EINVAL,
                msg_type: None,
                reason: None,
                bad_attr_offset: None,
                echoed: None,
            })));
        let c = compile_policy(&mut t, &policy()).unwrap();
        assert!(c.compiled.sets.is_empty());
        assert_eq!(c.notes, [SetNote::NoIpset { code: libc::EINVAL }]);
        assert!(c.notes[0].to_string().contains("one rule per entry"));
        let rules: Vec<_> = c.compiled.v4.rules().collect();
        assert!(rules.iter().all(|r| !r
            .matches
            .iter()
            .any(|m| matches!(m, dfw_core::model::Match::Set(_)))));
        assert_eq!(
            rules.iter().filter(|r| r.header.src.is_some()).count(),
            32,
            "30 whitelisted; the blocked one on the Docker path and in DFW-BLOCK"
        );
        // One request only: the probe; nothing else was asked of ipset.
        assert_eq!(t.dump_requests.len(), 1);
    }

    #[test]
    fn a_short_policy_asks_nothing() {
        let mut t = FakeTransport::default();
        let p = Policy::from_toml("[interfaces]\nexternal = [\"eth0\"]\n", "p").unwrap();
        let c = compile_policy(&mut t, &p).unwrap();
        assert!(c.notes.is_empty() && c.compiled.sets.is_empty());
        assert!(t.dump_requests.is_empty());
    }
}
