//! The watch loop (see the module contract of [`super`]).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use dfw_core::model::Iface;
use dfw_core::policy::Drift;

use super::event::parse_events;
use super::guarded::{load, Enforcer};
use super::sys::{poll, FileWatch, Signals, Wake};
use super::WatchError;
use crate::firewall::Firewall;
use crate::safety::marker::{NetnsClaim, WatchMarker};
use crate::safety::record::{read_applied, read_watch};
use crate::safety::{owner, SafetyError, SshGuard, StateDir, DEFAULT_STATE_DIR, WATCH_LOCK};
use crate::transport::{EventRecv, EventSocket, NetlinkTransport};

/// How the watch runs.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The policy file (watched with inotify, reloaded on change and SIGHUP).
    pub config: PathBuf,
    /// Quiet time after the last relevant event before checking (default 100 ms).
    pub quiet: Duration,
    /// Longest wait after the first relevant event of a burst (default 400 ms).
    pub max_delay: Duration,
    /// Handle SIGHUP/SIGTERM/SIGINT through a signalfd (blocks them in the calling thread;
    /// for a process's main thread before it starts others).
    pub signals: bool,
    /// Kernel receive buffer of the event socket (default [`EventSocket::RCVBUF`]); a tiny
    /// one provokes lost events in tests.
    pub event_buffer: usize,
    /// The state directory shared with `commit`, `confirm` and `rollback` (default
    /// [`DEFAULT_STATE_DIR`]).
    pub state: PathBuf,
    /// The SSH sessions a (re)loaded policy must not lock out (default: every live one).
    pub ssh: SshGuard,
}

impl WatchOptions {
    /// Defaults for `config`: 100 ms quiet, 400 ms at most, no signal handling.
    pub fn new(config: impl Into<PathBuf>) -> Self {
        WatchOptions {
            config: config.into(),
            quiet: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            signals: false,
            event_buffer: EventSocket::RCVBUF,
            state: PathBuf::from(DEFAULT_STATE_DIR),
            ssh: SshGuard::default(),
        }
    }
}

/// What started a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The watch started.
    Start,
    /// Relevant nf_tables events (how many).
    Events(usize),
    /// The kernel dropped events (`ENOBUFS`).
    Lost,
    /// The config was reloaded.
    Reload,
}

/// One repair.
#[derive(Debug, Clone)]
pub struct Repair {
    /// What started it.
    pub cause: Cause,
    /// What was wrong.
    pub drift: Drift,
    /// When the first event of the burst was received (or the check was asked for).
    pub first_event: Instant,
    /// When the repair batch was committed.
    pub committed: Instant,
    /// Wall-clock time of the commit.
    pub at: SystemTime,
    /// The ruleset generation after the commit.
    pub generation: u32,
}

impl Repair {
    /// Time from the first event to the committed repair.
    pub fn latency(&self) -> Duration {
        self.committed.saturating_duration_since(self.first_event)
    }
}

/// What the watch reports as it runs.
#[derive(Debug)]
pub enum Notice<'a> {
    /// Watching started (after the first check).
    Watching {
        /// The external interfaces the policy was compiled for.
        external: &'a [Iface],
    },
    /// A check found the kernel in sync (nothing committed).
    InSync(Cause),
    /// dfw's rules were repaired.
    Repaired(&'a Repair),
    /// The config was reloaded.
    Reloaded,
    /// The config could not be reloaded; the previous policy stays.
    ReloadFailed(&'a WatchError),
    /// A (re)loaded policy was not applied (it would lock out a live SSH session, or its
    /// rollback point could not be saved); the previous policy stays enforced (none at start).
    Refused(&'a SafetyError),
    /// Another dfw command applied something else through the state directory (a rollback,
    /// the confirm watchdog's revert, a commit of another policy): the watch stops enforcing
    /// its policy until the file changes or SIGHUP. What was applied, as a sentence.
    Suspended(&'a str),
    /// A commit awaits confirmation (its id): the watch changes nothing until it is settled.
    HeldOff(&'a str),
    /// The kernel dropped events; a full check follows.
    EventsLost,
    /// A check or repair failed (the watch goes on; the next event retries).
    Failed(&'a SafetyError),
    /// SIGTERM or SIGINT was received; the loop ends.
    Signal(i32),
    /// The kernel cannot own tables (before Linux 5.12): no marker says this watch runs, so
    /// a second watch through another state directory would not be refused.
    Unmarked,
}

/// Stops a running [`Watcher`] from another thread.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<Wake>);

impl StopHandle {
    /// Asks the loop to end; [`Watcher::run`] returns `Ok` soon after.
    pub fn stop(&self) {
        self.0.wake();
    }
}

/// The self-healing loop over one network namespace (that of the thread that created it).
#[derive(Debug)]
pub struct Watcher {
    opts: WatchOptions,
    events: EventSocket,
    fw: Firewall<NetlinkTransport>,
    own_portid: u32,
    file: FileWatch,
    signals: Option<Signals>,
    wake: Arc<Wake>,
    enforcer: Enforcer,
    _watch_lock: std::fs::File,
}

/// A burst of events waiting for quiet.
#[derive(Debug, Clone, Copy)]
struct Pending {
    first: Instant,
    last: Instant,
    cause: Cause,
}

impl Watcher {
    /// Loads the config, subscribes to nf_tables events (before any check, so no change is
    /// missed) and opens the firewall, in the calling thread's network namespace.
    ///
    /// # Errors
    /// [`WatchError`]: the config, the `"auto"` look-up, a socket or the other fds.
    pub fn new(opts: WatchOptions) -> Result<Self, WatchError> {
        let signals = if opts.signals {
            Some(Signals::new()?)
        } else {
            None
        };
        let dir = StateDir::open(&opts.state)?;
        let (watch_lock, known) = {
            let _lock = dir.lock()?;
            owner::claim(&dir)?;
            let Some(l) = dir.take(WATCH_LOCK)? else {
                let other = read_watch(&dir)?;
                return Err(WatchError::AlreadyWatched {
                    pid: other.as_ref().map_or(0, |w| w.pid),
                    config: other.map_or_else(|| "?".into(), |w| w.config),
                });
            };
            (l, read_applied(&dir)?.map(|a| a.id))
        };
        // Watched before it is read: an edit landing between the two is then seen (and
        // reloaded) by the loop instead of being missed until the next one.
        let file = FileWatch::new(&opts.config)?;
        let loaded = load(&opts.config)?;
        // The network namespace, claimed in the kernel: a watch through another state
        // directory (or another mount namespace) is refused here, before anything changed.
        let claim = NetnsClaim::take(WatchMarker {
            pid: std::process::id(),
            hash: loaded.hash.clone(),
            state: dir.id()?,
            state_path: opts.state.display().to_string(),
            config: opts.config.display().to_string(),
        })?;
        let mut enforcer = Enforcer {
            dir,
            claim,
            config: opts.config.clone(),
            ssh: opts.ssh,
            enforced: None,
            candidate: Some(loaded),
            suspended: None,
            known,
            held_for: None,
        };
        {
            let _lock = enforcer.dir.lock()?;
            enforcer.describe()?;
        }
        let events = EventSocket::open()?;
        events.set_receive_buffer(opts.event_buffer)?;
        let mut fw = Firewall::open()?;
        let own_portid = fw.transport().io().portid();
        Ok(Watcher {
            opts,
            events,
            fw,
            own_portid,
            file,
            signals,
            wake: Arc::new(Wake::new()?),
            enforcer,
            _watch_lock: watch_lock,
        })
    }

    /// A handle that stops [`Watcher::run`] from another thread.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(Arc::clone(&self.wake))
    }

    /// Runs until stopped (see the module contract), reporting through `notify`.
    ///
    /// # Errors
    /// [`WatchError::Sys`] or [`WatchError::Events`] when its own fds fail; kernel errors of
    /// a check or repair are reported as [`Notice::Failed`] and do not end the loop.
    pub fn run(&mut self, notify: &mut dyn FnMut(Notice<'_>)) -> Result<(), WatchError> {
        if !self.enforcer.claim.marked() {
            notify(Notice::Unmarked);
        }
        self.check(Cause::Start, Instant::now(), notify);
        notify(Notice::Watching {
            external: self.enforcer.external(),
        });
        let mut pending: Option<Pending> = None;
        loop {
            let timeout = pending.map(|p| {
                let due = (p.last + self.opts.quiet).min(p.first + self.opts.max_delay);
                due.saturating_duration_since(Instant::now())
            });
            let ready = {
                let mut fds = vec![self.events.fd(), self.wake.fd(), self.file.fd()];
                if let Some(s) = &self.signals {
                    fds.push(s.fd());
                }
                poll(&fds, timeout)?
            };
            if ready[1] {
                return Ok(());
            }
            if ready.get(3) == Some(&true) {
                for sig in self
                    .signals
                    .as_ref()
                    .map(Signals::take)
                    .transpose()?
                    .unwrap_or_default()
                {
                    if sig == libc::SIGHUP {
                        self.reload(&mut pending, notify);
                    } else {
                        notify(Notice::Signal(sig));
                        return Ok(());
                    }
                }
            }
            if ready[2] && self.file.changed()? {
                self.reload(&mut pending, notify);
            }
            if ready[0] {
                self.drain_events(&mut pending, notify)?;
            }
            if let Some(p) = pending {
                let now = Instant::now();
                let due = (p.last + self.opts.quiet).min(p.first + self.opts.max_delay);
                if now >= due {
                    pending = None;
                    self.check(p.cause, p.first, notify);
                }
            }
        }
    }

    /// Reads every queued event; relevant ones (not our own) extend the pending burst.
    fn drain_events(
        &mut self,
        pending: &mut Option<Pending>,
        notify: &mut dyn FnMut(Notice<'_>),
    ) -> Result<(), WatchError> {
        loop {
            let now = Instant::now();
            let relevant = match self.events.recv()? {
                EventRecv::Empty => return Ok(()),
                EventRecv::Lost => {
                    notify(Notice::EventsLost);
                    bump(pending, now, Cause::Lost);
                    continue;
                }
                EventRecv::Datagram(d) => {
                    let evs = parse_events(d);
                    let others = || evs.iter().filter(|e| e.portid != self.own_portid);
                    if let (Some(p), true) = (pending.as_mut(), others().any(|e| e.is_activity())) {
                        p.last = now;
                    }
                    others().filter(|e| e.concerns_dfw()).count()
                }
            };
            if relevant > 0 {
                bump(pending, now, Cause::Events(relevant));
            }
        }
    }

    /// Reloads the config (checked again: owner, mode, syntax); on success a check is due at
    /// once, which applies it through the guard.
    fn reload(&mut self, pending: &mut Option<Pending>, notify: &mut dyn FnMut(Notice<'_>)) {
        match load(&self.opts.config) {
            Ok(loaded) => {
                let same = self
                    .enforcer
                    .enforced
                    .as_ref()
                    .is_some_and(|e| e.hash == loaded.hash);
                if !same || self.enforcer.suspended.is_some() {
                    self.enforcer.propose(loaded);
                }
                notify(Notice::Reloaded);
                let now = Instant::now();
                let first = pending.map_or(now, |p| p.first);
                *pending = Some(Pending {
                    first,
                    last: now.checked_sub(self.opts.quiet).unwrap_or(now),
                    cause: Cause::Reload,
                });
            }
            Err(e) => notify(Notice::ReloadFailed(&e)),
        }
    }

    /// Checks the kernel: applies a candidate policy (guarded) or repairs drift.
    fn check(&mut self, cause: Cause, first: Instant, notify: &mut dyn FnMut(Notice<'_>)) {
        self.enforcer.check(&mut self.fw, cause, first, notify);
    }
}

/// Extends (or starts) the pending burst with an event seen at `now`.
fn bump(pending: &mut Option<Pending>, now: Instant, cause: Cause) {
    *pending = Some(match *pending {
        None => Pending {
            first: now,
            last: now,
            cause,
        },
        Some(p) => Pending {
            first: p.first,
            last: now,
            cause: match (p.cause, cause) {
                (Cause::Events(a), Cause::Events(b)) => Cause::Events(a + b),
                (Cause::Lost, _) | (_, Cause::Lost) => Cause::Lost,
                (c, _) => c,
            },
        },
    });
}
