//! Probes with the timeout their expected outcome needs, so no outcome depends on how busy
//! the machine is.
//!
//! A probe that must be answered (open: the handshake or the server's reply; refused: a RST
//! or an ICMP error) ends as soon as the answer arrives, so it gets [`ANSWER`], a bound that
//! only a broken path reaches. Only a probe that must go unanswered (a DROP) waits for its
//! whole timeout, [`SILENCE`]: a late answer cannot make it fail, it could only make a
//! broken DROP pass unnoticed on a very slow machine. With a single short timeout for both,
//! a loaded machine turned expected answers into timeouts.

use std::time::Duration;

use dfw_netlink::sim::{Check, DockerHost, Probe};

/// How long a probe that must be answered may wait before it counts as timed out.
pub const ANSWER: Duration = Duration::from_secs(10);

/// How long a probe that must go unanswered waits.
pub const SILENCE: Duration = DockerHost::PROBE_TIMEOUT;

/// The timeout a probe expected to end as `want` needs.
pub fn timeout_for(want: Probe) -> Duration {
    match want {
        Probe::TimedOut => SILENCE,
        Probe::Open | Probe::Refused => ANSWER,
    }
}

/// Runs every check concurrently, each with the timeout its expected outcome needs, and
/// returns the outcomes in order.
pub fn probe_all(h: &DockerHost, cases: &[(Check, Probe)]) -> Vec<Probe> {
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|(c, want)| s.spawn(move || h.check(c, timeout_for(*want))))
            .collect();
        handles
            .into_iter()
            .zip(cases)
            .map(|(t, (c, _))| match t.join() {
                Ok(r) => r.unwrap_or_else(|e| panic!("{c}: {e}")).0,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
