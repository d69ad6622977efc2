//! Crash points for the tests that kill dfw at each step of a commit, a rollback and a
//! state-file write (the model: the SIGKILL tests of the confirm watchdog).
//!
//! Contract: [`point`] does nothing unless dfw-netlink is built with feature
//! `test-support` (as `cargo test` builds `dfw-cli`) AND the environment variable
//! [`CRASH_AT`] names this point: then the process sends itself SIGKILL there, as a power
//! cut or the OOM killer would stop it. Release builds have no such code.

/// The variable naming the step to die at (feature `test-support` only).
pub const CRASH_AT: &str = "DFW_TEST_CRASH_AT";

/// Dies here by SIGKILL when [`CRASH_AT`] names `name` (feature `test-support` only).
#[allow(unused_variables)]
pub fn point(name: &str) {
    #[cfg(feature = "test-support")]
    if std::env::var_os(CRASH_AT).is_some_and(|v| v == name) {
        // SAFETY: kill(getpid(), SIGKILL) only ends this process.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
