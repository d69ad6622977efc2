//! dfw-cli's exit codes: one table for every subcommand, shown in each `--help` (as its
//! "Exit status" section) and in the README.
//!
//! Contract: 0 is success (nothing to change, in sync, accepted); 1 is an error (bad config,
//! kernel refusal, not root, I/O; nothing was changed); 2 is `plan`'s "changes pending"; 3 is
//! `status`'s "drifted"; 4 and 5 are `explain`'s "not accepted" and "undecidable"; 64
//! (`EX_USAGE` of sysexits.h) is a usage error: an unknown option, a missing or malformed
//! argument. `--help` and `--version` exit 0. The numbers never change meaning.

use std::process::ExitCode;

/// `plan`: a commit would change something.
pub const CHANGES_PENDING: u8 = 2;
/// `status`: the kernel drifted from the policy.
pub const DRIFTED: u8 = 3;
/// `explain`: the packet is dropped or rejected.
pub const NOT_ACCEPTED: u8 = 4;
/// `explain`: the verdict cannot be decided (an undecidable match on the path).
pub const UNDECIDED: u8 = 5;
/// Bad arguments (`EX_USAGE`).
pub const USAGE: u8 = 64;

/// The exit code `n`.
pub fn code(n: u8) -> ExitCode {
    ExitCode::from(n)
}

/// The lines every subcommand shares, after its own.
macro_rules! common {
    () => {
        "  1   error: nothing was changed (bad config, kernel refusal, not root, I/O)\n  \
         64  usage error (unknown option, missing or malformed argument)"
    };
}

/// The "Exit status" section of commands that only succeed or fail.
pub const PLAIN: &str = concat!("Exit status:\n  0   success\n", common!());

/// `plan`.
pub const PLAN: &str = concat!(
    "Exit status:\n  0   nothing to change\n  2   changes pending\n",
    common!()
);

/// `status`.
pub const STATUS: &str = concat!(
    "Exit status:\n  0   in sync\n  3   drifted (the differences are listed)\n",
    common!()
);

/// `explain`.
pub const EXPLAIN: &str = concat!(
    "Exit status:\n  0   ACCEPT\n  4   DROP or REJECT\n  5   UNKNOWN: the verdict cannot be decided \
     (the undecidable matches are listed)\n",
    common!()
);

/// `confirm`.
pub const CONFIRM: &str =
    "Exit status:\n  0   confirmed\n  1   nothing awaits confirmation, too late (it was \
     reverted), its watchdog is gone (it stays, unconfirmed), or another error\n  64  usage \
     error (unknown option, missing or malformed argument)";

/// `watch`.
pub const WATCH: &str =
    "Exit status:\n  0   stopped by SIGTERM or SIGINT\n  1   could not start (bad config, not \
     root, kernel)\n  64  usage error (unknown option, missing or malformed argument)";

/// The whole table, for `dfw-cli --help`.
pub const TABLE: &str =
    "Exit status (every subcommand):\n  0   success: nothing to change, in sync, accepted\n  \
     1   error: nothing was changed (bad config, kernel refusal, not root, I/O)\n  \
     2   plan: changes pending\n  3   status: drifted\n  4   explain: DROP or REJECT\n  \
     5   explain: UNKNOWN (undecidable)\n  \
     64  usage error (unknown option, missing or malformed argument)\n\
     --help and --version exit 0.";
