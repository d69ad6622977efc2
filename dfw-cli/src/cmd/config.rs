//! The `-c FILE` option shared by `show`, `plan` and `commit`, and loading the policy: a
//! config error is printed as `file:line:column: key: reason` before anything touches the
//! kernel.

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
        let bytes = match std::fs::read(&self.config) {
            Ok(b) => b,
            Err(e) => {
                crate::errln!("dfw-cli {cmd}: {name}: {e}");
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
        match Policy::from_toml(text, &name) {
            Ok(p) => Some(p),
            Err(e) => {
                crate::errln!("dfw-cli {cmd}: {e}");
                None
            }
        }
    }
}
