//! The `-c FILE` option shared by `show`, `plan` and `commit`, and loading the policy: a
//! config error is printed as `file:line:column: key: reason` before anything touches the
//! kernel.
//!
//! Memory: loading a config also tunes glibc's allocator for the rest of the run. Blocks of
//! 128 KiB and more (the TOML parser's token list, rule lists, the netlink batch) are always
//! mapped and unmapped on their own (`mallopt(M_MMAP_THRESHOLD)`; glibc's default threshold
//! grows after each large free, so later large blocks would land in, and keep resident, the
//! heap), and once the policy is parsed the free heap pages are handed back (`malloc_trim`):
//! the parse tree of a large config is bigger than the policy. With 10,000 rules this keeps
//! `commit`'s peak resident memory about 3 MiB lower (`dfw-peakmem`).

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
        allocator::map_large_blocks();
        let name = self.config.display().to_string();
        let bytes = match std::fs::read(&self.config) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("dfw-cli {cmd}: {name}: {e}");
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
        let parsed = Policy::from_toml(text, &name);
        drop(bytes);
        allocator::release_free_memory();
        match parsed {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("dfw-cli {cmd}: {e}");
                None
            }
        }
    }
}

/// glibc allocator tuning (see the module contract); no-ops elsewhere.
#[allow(unsafe_code)] // mallopt(3), malloc_trim(3): the only FFI of the CLI.
mod allocator {
    /// Blocks of 128 KiB and more are mapped on their own and unmapped when freed.
    pub fn map_large_blocks() {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only sets an allocator parameter; a refusal (0) changes nothing.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
        }
    }

    /// Returns the allocator's free heap pages to the system.
    pub fn release_free_memory() {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim only releases free memory; it touches no live allocation.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}
