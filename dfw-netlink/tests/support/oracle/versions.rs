//! The iptables releases the extension oracle tests compare with: the system's (1.8.9, Debian
//! 12) and the 1.8.7 and 1.8.11 that `.ci/iptables-oracles` extracts into
//! `$DFW_IPTABLES_ORACLES` (default `/var/cache/dfw-iptables`), listed in its `oracles` file.
//!
//! Also the differences between their iptables-save texts, measured: 1.8.7 ends a rule without
//! a target with a space and prints `--nflog-prefix  "x"` (two spaces); otherwise the three
//! print every rule of the extension corpus the same.

use std::process::Command;

use dfw_core::model::Family;

/// One iptables-nft release.
#[derive(Debug, Clone)]
pub struct Ipt {
    /// `1.8.7`, `1.8.9`, `1.8.11`.
    pub version: String,
    /// The extracted package root; `None` for the system's iptables.
    root: Option<String>,
}

/// Where `.ci/iptables-oracles` put the other releases.
fn cache() -> String {
    std::env::var("DFW_IPTABLES_ORACLES").unwrap_or_else(|_| "/var/cache/dfw-iptables".into())
}

impl Ipt {
    /// The system's iptables (1.8.9 on Debian 12).
    pub fn system() -> Ipt {
        Ipt {
            version: "1.8.9".into(),
            root: None,
        }
    }

    /// The system's release and every release `.ci/iptables-oracles` fetched. Missing releases
    /// fail the test under `DFW_REQUIRE_KERNEL=1` (CI), and are skipped with a note otherwise.
    pub fn all() -> Vec<Ipt> {
        let mut out = vec![Ipt::system()];
        let list = format!("{}/oracles", cache());
        match std::fs::read_to_string(&list) {
            Ok(text) => out.extend(text.lines().filter_map(|l| {
                let (v, root) = l.split_once(' ')?;
                Some(Ipt {
                    version: v.to_string(),
                    root: Some(root.to_string()),
                })
            })),
            Err(e) if std::env::var("DFW_REQUIRE_KERNEL").as_deref() == Ok("1") => {
                panic!(
                    "{list}: {e}: run .ci/iptables-oracles (it fetches iptables 1.8.7 and 1.8.11)"
                )
            }
            Err(e) => println!("SKIPPED iptables 1.8.7 and 1.8.11: {list}: {e}"),
        }
        out
    }

    /// A shell command prefix running `tool` (`iptables`, `ip6tables-save`, ...) of this
    /// release.
    pub fn shell(&self, tool: &str) -> String {
        match &self.root {
            None => tool.to_string(),
            Some(r) => format!(
                "env LD_LIBRARY_PATH={r}/usr/lib/x86_64-linux-gnu \
                 XTABLES_LIBDIR={r}/usr/lib/x86_64-linux-gnu/xtables \
                 {r}/usr/sbin/xtables-nft-multi {tool}"
            ),
        }
    }

    /// Runs `tool args...` of this release from the calling thread (its network namespace).
    ///
    /// # Errors
    /// The exit status and standard error when it fails.
    pub fn run(&self, tool: &str, args: &[&str]) -> Result<String, String> {
        let mut cmd = match &self.root {
            None => Command::new(tool),
            Some(r) => {
                let mut c = Command::new(format!("{r}/usr/sbin/xtables-nft-multi"));
                c.env("LD_LIBRARY_PATH", format!("{r}/usr/lib/x86_64-linux-gnu"))
                    .env(
                        "XTABLES_LIBDIR",
                        format!("{r}/usr/lib/x86_64-linux-gnu/xtables"),
                    )
                    .arg(tool);
                c
            }
        };
        let out = cmd
            .args(args)
            .output()
            .map_err(|e| format!("{tool}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "iptables {} {tool} {args:?}: {}: {}",
                self.version,
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// `iptables` or `ip6tables` (`suffix` appended: `-save`, `-restore`).
    pub fn tool(family: Family, suffix: &str) -> String {
        match family {
            Family::Ipv4 => format!("iptables{suffix}"),
            Family::Ipv6 => format!("ip6tables{suffix}"),
        }
    }

    /// This release's iptables-save of `family`, without `#` lines, in 1.8.9's spelling.
    pub fn save(&self, family: Family) -> String {
        let text = self.run(&Self::tool(family, "-save"), &[]).unwrap();
        self.as_189(&super::strip_comments(&text))
    }

    /// Restores `path` with this release's iptables-restore.
    pub fn restore(&self, family: Family, path: &str) {
        self.run(&Self::tool(family, "-restore"), &[path]).unwrap();
    }

    /// This release's iptables-save text in 1.8.9's spelling: the measured differences of
    /// 1.8.7 (a space after a rule without target, two spaces after `--nflog-prefix`) undone.
    pub fn as_189(&self, text: &str) -> String {
        if self.version != "1.8.7" {
            return text.to_string();
        }
        text.lines()
            .map(|l| {
                format!(
                    "{}\n",
                    l.trim_end_matches(' ')
                        .replace("--nflog-prefix  ", "--nflog-prefix ")
                )
            })
            .collect()
    }
}
