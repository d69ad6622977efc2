//! The `--state-dir DIR` option shared by `commit`, `confirm`, `rollback`, `status` and
//! `watch`, and what `status` says about the state directory.

use std::path::PathBuf;

use dfw_netlink::safety::{
    owner, record, StateDir, ABANDONED, DEFAULT_STATE_DIR, OUTCOME, STAGED, WATCHDOG_LOCK,
};

/// The state directory option.
#[derive(Debug, clap::Args)]
pub struct StateArg {
    /// Where rollback points and confirmation markers are kept (created 0700; refused when
    /// another user could write to it or it is a symbolic link).
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

    /// ` --state-dir DIR` when the directory is not the default (for the hints printed).
    pub fn hint(&self) -> String {
        if self.dir == std::path::Path::new(DEFAULT_STATE_DIR) {
            String::new()
        } else {
            format!(" --state-dir {}", self.dir.display())
        }
    }

    /// The lines `status` prints about the state directory (nothing is created or changed):
    /// a commit awaiting confirmation, a stale one, what the confirm watchdog did last, an
    /// interrupted commit, the watch that follows a policy, a directory of another network
    /// namespace.
    pub fn report(&self) -> Vec<String> {
        let dir = match StateDir::open_existing(&self.dir) {
            Ok(Some(d)) => d,
            Ok(None) => return Vec::new(),
            Err(e) => return vec![format!("state: {e}")],
        };
        let mut out = Vec::new();
        if let (Ok(Some(was)), Ok(now)) = (owner::recorded(&dir), owner::Place::here()) {
            if !owner::compatible(&was, &now) {
                out.push(format!(
                    "state: {} holds the state of {was}, not of this one",
                    self.dir.display()
                ));
            }
        }
        match (dir.pending(), dir.held(WATCHDOG_LOCK)) {
            (Ok(Some(p)), Ok(true)) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                out.push(format!(
                    "commit {} awaits confirmation: reverted in {} s unless `dfw-cli confirm{}` runs",
                    p.id,
                    p.deadline.saturating_sub(now),
                    self.hint()
                ));
            }
            (Ok(Some(p)), Ok(false)) => out.push(format!("commit {}: {ABANDONED}", p.id)),
            _ => {}
        }
        if let Ok(Some(t)) = dir.read(OUTCOME) {
            let when = std::fs::metadata(dir.file(OUTCOME))
                .and_then(|m| m.modified())
                .ok()
                .map(|t| format!(" at {}", super::watch::stamp(t)))
                .unwrap_or_default();
            let mut w = t.trim().splitn(2, ' ');
            if let (Some(id), Some(o)) = (w.next(), w.next()) {
                let o = dfw_netlink::safety::excerpt(o);
                let line = match o.as_str() {
                    "reverted" => format!(
                        "commit {id} was not confirmed in time: the watchdog reverted it{when}"
                    ),
                    _ => format!("commit {id}{when}: {o}"),
                };
                out.push(line);
            }
        }
        if dir.read(STAGED).ok().flatten().is_some() {
            out.push(
                "an interrupted commit or rollback left its rollback point staged; the next \
                 commit or rollback settles it"
                    .into(),
            );
        }
        if let Ok(Some(w)) = record::running_watch(&dir) {
            out.push(format!(
                "dfw-cli watch (pid {}) follows {}",
                w.pid, w.config
            ));
        }
        out
    }
}
