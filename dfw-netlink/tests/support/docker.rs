//! Docker's fixtures (`testdata/docker/`) loaded with the real `iptables-restore` (the test
//! oracle), inside a namespace or in the calling thread's own.

use std::io::Write;
use std::process::{Command, Stdio};

use dfw_netlink::sim::NetNs;

/// A Docker fixture of `testdata/docker/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixture {
    /// Docker 27, IPv4.
    Docker27V4,
    /// Docker 29, IPv4.
    Docker29V4,
    /// Docker 29, IPv6.
    Docker29V6,
}

impl Fixture {
    /// The fixture's text.
    pub fn text(self) -> &'static str {
        match self {
            Fixture::Docker27V4 => include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../testdata/docker/docker-27.v4"
            )),
            Fixture::Docker29V4 => include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../testdata/docker/docker-29.v4"
            )),
            Fixture::Docker29V6 => include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../testdata/docker/docker-29.v6"
            )),
        }
    }

    /// `true` for an IPv6 fixture.
    pub fn is_v6(self) -> bool {
        self == Fixture::Docker29V6
    }

    /// The iptables program of the fixture's family.
    pub fn iptables(self) -> &'static str {
        if self.is_v6() {
            "ip6tables"
        } else {
            "iptables"
        }
    }
}

/// Runs `program args` with `stdin` from a thread inside `ns` (a child inherits the spawning
/// thread's network namespace) and returns its standard output.
pub fn run_in(ns: &NetNs, program: &str, args: &[&str], stdin: &str) -> Result<String, String> {
    ns.run(|| run_here(program, args, stdin))
        .map_err(|e| e.to_string())?
}

/// Runs `program args` with `stdin` from the calling thread (so in its network namespace: a
/// private one inside `kernel_test`) and returns its standard output.
pub fn run_here(program: &str, args: &[&str], stdin: &str) -> Result<String, String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    let mut pipe = child.stdin.take().ok_or("no stdin")?;
    pipe.write_all(stdin.as_bytes())
        .map_err(|e| format!("{program} stdin: {e}"))?;
    drop(pipe);
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Loads `fixture` with `iptables-restore` (or `ip6tables-restore`) inside `ns`.
pub fn load_fixture(ns: &NetNs, fixture: Fixture) {
    let program = format!("{}-restore", fixture.iptables());
    run_in(ns, &program, &[], fixture.text()).unwrap_or_else(|e| panic!("{e}"));
}

/// Loads `fixture` with `iptables-restore` (or `ip6tables-restore`) in the calling thread's
/// network namespace.
pub fn load_here(fixture: Fixture) {
    let program = format!("{}-restore", fixture.iptables());
    run_here(&program, &[], fixture.text()).unwrap_or_else(|e| panic!("{e}"));
}

/// Docker 29's rules, both families, in the calling thread's network namespace.
pub fn load_docker_29_here() {
    load_here(Fixture::Docker29V4);
    load_here(Fixture::Docker29V6);
}
