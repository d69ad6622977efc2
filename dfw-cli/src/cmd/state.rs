//! The `--state-dir DIR` option shared by `commit`, `confirm` and `rollback`.

use std::path::PathBuf;

use dfw_netlink::safety::{StateDir, DEFAULT_STATE_DIR};

/// The state directory option.
#[derive(Debug, clap::Args)]
pub struct StateArg {
    /// Where previous states and confirmation markers are kept (created 0700).
    #[arg(long = "state-dir", value_name = "DIR", env = "DFW_STATE_DIR", default_value = DEFAULT_STATE_DIR)]
    pub dir: PathBuf,
}

impl StateArg {
    /// Opens (creates) the directory; on error prints why and returns `None`.
    pub fn open(&self, cmd: &str) -> Option<StateDir> {
        match StateDir::open(&self.dir) {
            Ok(d) => Some(d),
            Err(e) => {
                crate::errln!("dfw-cli {cmd}: {e}");
                None
            }
        }
    }
}
