//! `dfw-cli demo`: dfw on a simulated Docker host, without touching this machine's own
//! firewall or network.
//!
//! Builds the simulated Docker host of `dfw_netlink::sim` in throwaway network namespaces,
//! loads Docker 29's rules there (IPv4 and IPv6, the fixture texts embedded in this binary)
//! with dfw's own restore, shows what the internet and the LAN can reach with real
//! connections, commits the embedded `examples/dfw.toml` (its external interface, `eth0`, is
//! the simulated host's link to the internet) and shows it again. Everything disappears when
//! it ends. Needs root (network namespaces); never runs another program.

use std::process::ExitCode;
use std::time::Duration;

use dfw_core::model::Family;
use dfw_core::policy::Policy;
use dfw_core::syntax::RestoreScript;
use dfw_netlink::enforce::commit_unguarded;
use dfw_netlink::sim::{write_sysctls, DockerHost};
use dfw_netlink::{Firewall, RestoreOptions};

use super::demo_table;
use crate::privilege::Cap;

/// Docker 29's rules: the repository's fixtures `testdata/docker/docker-29.v4` and `.v6`, which
/// the tests use too (through the symlinks in `dfw-cli/fixtures/`, so that the published crate
/// carries them).
const DOCKER_V4: &str = include_str!("../../fixtures/docker-29.v4");
const DOCKER_V6: &str = include_str!("../../fixtures/docker-29.v6");
/// The example policy of the repository, `examples/dfw.toml` (through the symlink
/// `dfw-cli/examples/dfw.toml`, so that the published crate carries it).
const EXAMPLE: &str = include_str!("../../examples/dfw.toml");

/// `demo` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// How long a probe waits for an answer, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 400)]
    timeout_ms: u64,
}

/// Runs `demo`.
pub fn run(a: Args) -> ExitCode {
    if let Err(code) = crate::privilege::require_caps(
        "demo",
        "creates network namespaces and loads rules into them",
        &[Cap::NetAdmin, Cap::SysAdmin],
    ) {
        return code;
    }
    match demo(Duration::from_millis(a.timeout_ms)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            crate::errln!("dfw-cli demo: {e}");
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error + Send + Sync>;

fn demo(timeout: Duration) -> Result<(), Error> {
    let policy = Policy::from_toml(EXAMPLE, "examples/dfw.toml")?;
    crate::outln!("dfw demo: a simulated Docker host in throwaway network namespaces");
    crate::outln!("(this machine's own firewall and network are not touched)\n");
    crate::outln!(
        "  host: eth0 203.0.113.1 / 2001:db8:1::1 to the internet, eth1 192.168.1.1 to the LAN"
    );
    crate::outln!("  containers on docker0: web 172.17.0.2 published as 8080/tcp -> 80,");
    crate::outln!(
        "                         db 172.17.0.3 published as 5432/tcp and 5353/udp -> 53\n"
    );
    let h = DockerHost::start()?;
    // The host answers each refused probe with an ICMP error: no rate limit in the demo.
    write_sysctls(
        h.host(),
        &[
            ("net/ipv4/icmp_ratelimit", "0"),
            ("net/ipv6/icmp/ratelimit", "0"),
        ],
    )?;
    h.host().run(load_docker)??;
    crate::outln!("Docker 29's rules loaded, as dockerd writes them (IPv4 and IPv6).\n");
    crate::outln!(
        "Before dfw: who reaches what (published ports bypass INPUT: Docker forwards them)"
    );
    crate::out!("{}", demo_table::survey(&h, timeout)?);

    crate::outln!("\n$ dfw-cli commit -c examples/dfw.toml   (external = [\"eth0\"])");
    let report = h.host().run(|| -> Result<_, Error> {
        // In the simulated host's namespace, no SSH session to guard nor state to keep.
        let mut fw = Firewall::open()?;
        let first = commit_unguarded(&mut fw, &policy)?;
        let second = commit_unguarded(&mut fw, &policy)?;
        Ok((first, second))
    })??;
    for s in report.0.summaries() {
        crate::outln!("{s}");
    }
    crate::outln!("\nAfter dfw: who reaches what");
    crate::out!("{}", demo_table::survey(&h, timeout)?);
    crate::outln!("\nA second commit of the same file changes nothing:");
    for s in report.1.summaries() {
        crate::outln!("{s}");
    }
    h.shutdown()?;
    Ok(())
}

/// Loads Docker 29's rules in the current (host) namespace with dfw's own restore.
fn load_docker() -> Result<(), Error> {
    let mut fw = Firewall::open()?;
    for (family, text) in [(Family::Ipv4, DOCKER_V4), (Family::Ipv6, DOCKER_V6)] {
        let script = RestoreScript::parse(family, text)?;
        fw.restore(&script, RestoreOptions::default())?;
    }
    Ok(())
}
