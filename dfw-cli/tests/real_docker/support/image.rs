//! The containers' image and the containers. No registry is reachable: the image is a rootfs
//! of Debian's busybox-static plus `greeter` (`greeter.c`, built static with `cc` once per
//! test process), imported with `docker import`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dfw_netlink::sim::{tcp_greeting, NetNs, Probe};
use dfw_netlink::transport::testkit::run_cmd;

use super::dockerd::Dockerd;

/// The image's name in every daemon.
pub const IMAGE: &str = "dfw-greeter:latest";
/// How long containers may take to run and listen (restored ones start with the daemon; a
/// loaded 2-core machine is slow).
pub const READY_DEADLINE: Duration = Duration::from_secs(240);

/// Builds the rootfs tarball under `dir`; its path.
pub fn build(dir: &Path) -> PathBuf {
    {
        let root = dir.join("rootfs");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::copy("/bin/busybox", root.join("bin/busybox"))
            .expect("/bin/busybox (Debian's busybox-static; run .ci/docker-daemons)");
        std::os::unix::fs::symlink("busybox", root.join("bin/sh")).unwrap();
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/real_docker/greeter.c");
        let bin = root.join("bin/greeter");
        run_cmd("cc", &["-static", "-O2", "-o", bin.to_str().unwrap(), src])
            .expect("building greeter.c (cc and libc6-dev)");
        let tar = dir.join("rootfs.tar");
        run_cmd(
            "tar",
            &[
                "-C",
                root.to_str().unwrap(),
                "-cf",
                tar.to_str().unwrap(),
                ".",
            ],
        )
        .unwrap();
        tar
    }
}

/// Imports the image (the tarball of [`build`]) into `d`.
pub fn import(d: &Dockerd, tar: &Path) {
    d.must(&["import", tar.to_str().unwrap(), IMAGE]);
}

/// A container to run: its name (also its greeting), network and published ports
/// (`HOST:CTR[/udp]`). It serves TCP and UDP on ports 80 and 53.
#[derive(Debug, Clone)]
pub struct Ctr {
    /// Name and greeting.
    pub name: &'static str,
    /// `None`: the default bridge.
    pub network: Option<&'static str>,
    /// `-p` arguments.
    pub publish: Vec<&'static str>,
}

/// Runs `c` (restart policy `always`, so it comes back after a daemon restart).
pub fn run(d: &Dockerd, c: &Ctr) {
    let mut args = vec!["run", "-d", "--name", c.name, "--restart", "always"];
    if let Some(n) = c.network {
        args.extend(["--network", n]);
    }
    for p in &c.publish {
        args.extend(["-p", p]);
    }
    args.extend([IMAGE, "/bin/greeter", c.name, "80", "53"]);
    d.must(&args);
}

/// The container's IPv4 address on its first network once it runs, or `None` while it does not.
fn running_addr(d: &Dockerd, name: &str) -> Option<String> {
    let f = "{{.State.Running}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}";
    let out = d.docker(&["inspect", "-f", f, name]).ok()?;
    let mut it = out.split_whitespace();
    (it.next()? == "true")
        .then(|| it.next().map(str::to_string))
        .flatten()
}

/// Waits until every container in `names` runs and answers on its address from the host
/// namespace (its server listens); returns their addresses.
pub fn wait_ready(d: &Dockerd, host: &NetNs, names: &[&str]) -> Vec<String> {
    let t0 = Instant::now();
    let mut addrs = Vec::new();
    for name in names {
        loop {
            if let Some(a) = running_addr(d, name) {
                let dst = format!("{a}:80").parse().unwrap();
                let src = "0.0.0.0".parse().unwrap();
                if let Ok((Probe::Open, Some(g))) =
                    tcp_greeting(host, src, dst, Duration::from_secs(5))
                {
                    if g.service == *name {
                        addrs.push(a);
                        break;
                    }
                }
            }
            assert!(
                t0.elapsed() < READY_DEADLINE,
                "{}: container {name} not running and listening within {READY_DEADLINE:?}:\n{}",
                d.daemon.name,
                d.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    addrs
}
