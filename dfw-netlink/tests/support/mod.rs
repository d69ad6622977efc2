//! The support module of dfw-netlink's integration tests, shared by the `pure` and `kernel`
//! test binaries (each declares it `pub`, so what one binary does not use is not dead code):
//! - [`common`]: hex helpers and the captured netlink messages of the golden-bytes tests;
//! - [`strategies`]: proptest strategies for arbitrary model rules;
//! - [`docker`]: Docker's fixtures loaded with the real `iptables-restore`;
//! - [`restart`]: a simulated dockerd restart with the real iptables tools;
//! - [`oracle`]: the testdata rule files, the iptables oracle's output, iptables under strace;
//! - [`evalsim`]: the evaluator's harness on the simulated Docker host;
//! - [`probes`]: probes with the timeout their expected outcome needs;
//! - [`replay`]: the fuzz corpora of `fuzz/`, replayed through the fuzz targets' checks;
//! - [`watch_lab`]: the in-process watch harness of the watch tests.

pub mod common;
pub mod docker;
pub mod evalsim;
pub mod native;
pub mod oracle;
pub mod probes;
#[path = "../../../fuzz/replay.rs"]
pub mod replay;
pub mod restart;
pub mod strategies;
pub mod watch_lab;

pub use docker::{load_docker_29_here, load_fixture, load_here, run_here, run_in, Fixture};
pub use restart::{normalized_save, restart_from_text, simulate_docker_restart};

/// Set in the child process [`run_alone`] starts, to the test it runs.
pub const ALONE_ENV: &str = "DFW_TEST_ALONE";

/// For a test that must be the only one in its process (it compares the process's threads or
/// fds before and after): returns `true` when it already is (in the child process started
/// here, which runs just that test on one test thread); otherwise runs that child, fails when
/// the test failed there, and returns `false`. `test` is the test's path in the binary, for
/// example `sim_teardown::kernel_sim_teardown_leaves_nothing`.
pub fn run_alone(test: &str) -> bool {
    if std::env::var(ALONE_ENV).as_deref() == Ok(test) {
        return true;
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let out = std::process::Command::new(exe)
        .args(["--exact", test, "--test-threads", "1", "--nocapture"])
        .env(ALONE_ENV, test)
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{test} failed in its own process");
    assert!(
        stdout.contains("test result: ok. 1 passed;"),
        "{test} did not run in its own process"
    );
    false
}
