//! The Docker daemons the suite runs: what `.ci/docker-daemons` fetched into the cache
//! (`$DFW_DOCKER_CACHE`, default `/var/cache/dfw-docker`), listed in its `daemons` file as
//! `NAME ROOT VERSION` lines. A missing cache or daemon fails the test under
//! `DFW_REQUIRE_KERNEL=1` and skips it (saying so) otherwise.

use std::path::{Path, PathBuf};

use dfw_netlink::transport::testkit::{kernel_gate, REQUIRE_KERNEL_ENV};

/// The default cache directory of `.ci/docker-daemons`.
pub const DEFAULT_CACHE: &str = "/var/cache/dfw-docker";

/// One daemon: where its files are and which Debian version it is.
#[derive(Debug, Clone)]
pub struct Daemon {
    /// `docker-20.10`, `docker-26`, `docker-sid`.
    pub name: String,
    /// The root its `usr/sbin/dockerd` and `usr/bin/containerd` are under (`/` for the
    /// installed Debian 12 package).
    pub root: PathBuf,
    /// The Debian package version (`28.5.2+dfsg4-5`).
    pub version: String,
}

impl Daemon {
    /// The upstream major version (`28` of `28.5.2+dfsg4-5`, `20` of `20.10.24...`).
    pub fn major(&self) -> u32 {
        self.version
            .split(['.', '+', '~'])
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(0)
    }

    /// The upstream version without Debian's suffixes (`28.5.2`).
    pub fn upstream(&self) -> &str {
        self.version
            .split(['+', '~', '-'])
            .next()
            .unwrap_or(&self.version)
    }

    /// `PATH` for dockerd: this daemon's binaries first, then the system's (Debian 12's runc).
    pub fn path_env(&self) -> String {
        let r = self.root.display();
        format!("{r}/usr/sbin:{r}/usr/bin:/usr/sbin:/usr/bin:/sbin:/bin")
    }
}

fn cache_dir() -> PathBuf {
    std::env::var_os("DFW_DOCKER_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CACHE))
}

/// Parses the cache's `daemons` file.
pub fn parse_list(text: &str) -> Vec<Daemon> {
    text.lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            Some(Daemon {
                name: it.next()?.to_string(),
                root: PathBuf::from(it.next()?),
                version: it.next()?.to_string(),
            })
        })
        .collect()
}

/// The daemon `name`, or `None` (the test was skipped) when this machine cannot run it;
/// panics instead under `DFW_REQUIRE_KERNEL=1`.
pub fn find(test: &str, name: &str) -> Option<Daemon> {
    if !kernel_gate(test) {
        return None;
    }
    let list = cache_dir().join("daemons");
    let found = std::fs::read_to_string(&list)
        .map_err(|e| format!("{}: {e} (run .ci/docker-daemons)", list.display()))
        .and_then(|t| {
            parse_list(&t)
                .into_iter()
                .find(|d| d.name == name)
                .ok_or_else(|| format!("{name} is not in {}", list.display()))
        })
        .and_then(|d| {
            let dockerd = d.root.join("usr/sbin/dockerd");
            if Path::new(&dockerd).is_file() {
                Ok(d)
            } else {
                Err(format!("{} is missing", dockerd.display()))
            }
        });
    match found {
        Ok(d) => Some(d),
        Err(reason) if std::env::var(REQUIRE_KERNEL_ENV).as_deref() == Ok("1") => {
            panic!("{test}: {REQUIRE_KERNEL_ENV}=1 but the Docker daemon is missing: {reason}")
        }
        Err(reason) => {
            println!("SKIPPED {test}: {reason}");
            None
        }
    }
}

#[test]
fn daemon_list_parses() {
    let l = parse_list(
        "docker-20.10 / 20.10.24+dfsg1-1+deb12u1+b6\n\
         docker-sid /var/cache/dfw-docker/docker-sid/root 28.5.2+dfsg4-5\n",
    );
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].major(), 20);
    assert_eq!(l[0].upstream(), "20.10.24");
    assert_eq!(l[1].major(), 28);
    assert_eq!(l[1].upstream(), "28.5.2");
    assert!(l[1]
        .path_env()
        .starts_with("/var/cache/dfw-docker/docker-sid/root/usr/sbin:"));
}
