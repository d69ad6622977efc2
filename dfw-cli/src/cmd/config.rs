//! The `-c FILE` option shared by `show`, `plan` and `commit`, and loading the policy: a
//! config error is printed as `file:line:column: key: reason` before anything touches the
//! kernel. A policy file that another user could write is refused, naming the file and what
//! to fix (`dfw_netlink::safety::read_trusted`).

use std::path::PathBuf;

use dfw_core::policy::{Policy, DEFAULT_PATH};

/// The config file option.
#[derive(Debug, clap::Args)]
pub struct ConfigArg {
    /// The policy file.
    #[arg(short = 'c', long = "config", value_name = "FILE", default_value = DEFAULT_PATH)]
    pub config: PathBuf,
}

impl ConfigArg {
    /// Reads and validates the policy; on error prints why (prefixed with `dfw-cli CMD:`)
    /// and returns `None`.
    pub fn load(&self, cmd: &str) -> Option<Policy> {
        let name = self.config.display().to_string();
        let bytes = match dfw_netlink::safety::read_trusted(&self.config) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("dfw-cli {cmd}: {e}");
                return None;
            }
        };
        let text = match dfw_core::text::utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "dfw-cli {cmd}: {name}:{}:{}: not UTF-8 text",
                    e.line, e.column
                );
                return None;
            }
        };
        match Policy::from_toml(text, &name) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("dfw-cli {cmd}: {e}");
                None
            }
        }
    }
}
