//! `dfw-cli watch [-c FILE] [--state-dir DIR]`: keeps the kernel true to the policy. Applies
//! it at start, repairs drift on nf_tables events (debounced), reloads the config on SIGHUP
//! or when the file is closed after writing or renamed into place (never half-written;
//! owner and mode checked again), and exits 0 on SIGTERM/SIGINT. A (re)loaded policy is
//! applied as `commit` applies one: refused (the previous policy stays, logged as REFUSED)
//! when it would lock out a live SSH session, with a rollback point saved. While a commit
//! awaits confirmation it changes nothing; after a rollback, a watchdog's revert or a commit
//! of another policy it stops enforcing (logged as SUSPENDED) until the file changes or
//! SIGHUP. A second watch in the same network namespace refuses to start, whatever its state
//! directory (the first holds a marker in the kernel, `table inet dfw-watch`, that its socket
//! owns and that goes when it ends), before changing anything. Every repair, reload
//! and refusal is one line on standard error, prefixed with a UTC timestamp. Exit 1 when it
//! cannot start.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use dfw_netlink::watch::{Cause, Notice, WatchOptions, Watcher};

use super::config::ConfigArg;
use super::state::StateArg;

/// `watch` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::WATCH)]
pub struct Args {
    #[command(flatten)]
    config: ConfigArg,
    /// Quiet time after the last change before repairing, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 100)]
    quiet_ms: u64,
    /// Longest wait after the first change of a burst, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 400)]
    max_delay_ms: u64,
    #[command(flatten)]
    state: StateArg,
}

/// Runs `watch`.
pub fn run(a: Args) -> ExitCode {
    // Validate first so a config error reads like the other subcommands'.
    let Some(checked) = a.config.load_checked("watch") else {
        return ExitCode::FAILURE;
    };
    if let Err(code) = crate::privilege::require("watch", "reads and repairs nf_tables") {
        return code;
    }
    super::config::print_warnings("watch", &checked.warnings);
    let mut opts = WatchOptions::new(&a.config.config);
    opts.quiet = std::time::Duration::from_millis(a.quiet_ms);
    opts.max_delay = std::time::Duration::from_millis(a.max_delay_ms.max(a.quiet_ms));
    opts.signals = true;
    opts.state = a.state.dir.clone();
    let mut w = match Watcher::new(opts) {
        Ok(w) => w,
        Err(e) => {
            crate::errln!("dfw-cli watch: {e}");
            return ExitCode::FAILURE;
        }
    };
    let config = a.config.config.display().to_string();
    let result = w.run(&mut |n| log(&config, n));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::errln!("{} dfw-cli watch: {e}", stamp(SystemTime::now()));
            ExitCode::FAILURE
        }
    }
}

/// One line to standard error per notice.
fn log(config: &str, n: Notice<'_>) {
    let now = SystemTime::now();
    let line = match n {
        Notice::Watching { external } => {
            let ext: Vec<String> = external.iter().map(|i| i.to_string()).collect();
            format!("watching ({config}, external {})", ext.join(","))
        }
        Notice::Repaired(r) => {
            let cause = match r.cause {
                Cause::Start => "at start".to_string(),
                Cause::Events(n) => format!("after {n} nf_tables event(s)"),
                Cause::Lost => "after lost events".to_string(),
                Cause::Reload => "after config reload".to_string(),
            };
            format!(
                "repaired {cause} in {} ms (generation {}): {}",
                r.latency().as_millis(),
                r.generation,
                r.drift.summary()
            )
        }
        Notice::InSync(Cause::Start) => "in sync at start".to_string(),
        Notice::InSync(_) => return,
        Notice::Reloaded => format!("reloaded {config}"),
        Notice::ReloadFailed(e) => format!("reload failed, keeping the previous policy: {e}"),
        Notice::Refused(e) => format!("REFUSED, the previous policy stays: {e}"),
        Notice::Suspended(what) => format!("SUSPENDED: {what}"),
        Notice::HeldOff(id) => {
            format!("commit {id} awaits confirmation: changing nothing until it is settled")
        }
        Notice::EventsLost => "events lost (ENOBUFS); full check".to_string(),
        Notice::Failed(e) => format!("check failed: {e}"),
        Notice::Signal(s) => format!("signal {s}, exiting"),
        Notice::Unmarked => "WARNING: this kernel cannot own nf_tables tables (Linux 5.12 or \
                             later can): no marker says this watch runs, so a second watch \
                             through another state directory would not be refused"
            .to_string(),
    };
    let at = match n {
        Notice::Repaired(r) => r.at,
        _ => now,
    };
    crate::errln!("{} dfw-cli watch: {line}", stamp(at));
}

/// `2026-11-23T22:14:54.123Z`.
pub fn stamp(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::stamp;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn stamps_are_utc_iso8601() {
        assert_eq!(stamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_795_472_094_123);
        assert_eq!(stamp(t), "2026-11-23T22:14:54.123Z");
        let t = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(stamp(t), "2000-02-29T00:00:00.000Z");
    }
}
