//! The `-c FILE` option shared by the policy commands, and loading the policy: a config
//! error is printed as `file:line:column: key: reason` before anything touches the kernel;
//! the warnings (host bits, duplicates, mapped addresses, interfaces this host lacks) as
//! `dfw-cli CMD: warning: file:line:column: key: "value": reason` on standard error, and the
//! command goes on. A policy file that another user could write is refused, naming the file
//! and what to fix (`dfw_netlink::safety::read_trusted`).

use std::path::PathBuf;

use dfw_core::policy::{Checked, HostFacts, Policy, PolicyWarning, DEFAULT_PATH};

/// The config file option.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// The policy file.
    #[arg(short = 'c', long = "config", value_name = "FILE", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
}

/// What this host knows for the checks a file cannot decide: its interfaces (rtnetlink, no
/// privilege needed), or nothing when they cannot be read.
pub fn host_facts() -> HostFacts {
    HostFacts {
        interfaces: dfw_netlink::route::link_names().ok(),
    }
}

impl ConfigArg {
    /// Reads and validates the policy, printing its warnings; on error prints why (prefixed
    /// with `dfw-cli CMD:`) and returns `None`.
    pub fn load(&self, cmd: &str) -> Option<Policy> {
        let checked = self.load_checked(cmd)?;
        print_warnings(cmd, &checked.warnings);
        Some(checked.policy)
    }

    /// Reads and validates the policy with its warnings, not printed; on error prints why
    /// and returns `None`.
    pub fn load_checked(&self, cmd: &str) -> Option<Checked> {
        let name = self.config.display().to_string();
        let bytes = match dfw_netlink::safety::read_trusted(&self.config) {
            Ok(b) => b,
            Err(e) => {
                crate::errln!("dfw-cli {cmd}: {e}");
                return None;
            }
        };
        let text = match dfw_core::text::utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                crate::errln!(
                    "dfw-cli {cmd}: {name}:{}:{}: not UTF-8 text",
                    e.line,
                    e.column
                );
                return None;
            }
        };
        match Policy::from_toml_checked(text, &name, &host_facts()) {
            Ok(c) => Some(c),
            Err(e) => {
                crate::errln!("dfw-cli {cmd}: {e}");
                None
            }
        }
    }
}

/// One line per warning on standard error.
pub fn print_warnings(cmd: &str, warnings: &[PolicyWarning]) {
    for w in warnings {
        crate::errln!("dfw-cli {cmd}: {w}");
    }
}
