//! One real dockerd inside the lab's host namespace, never in the machine's own.
//!
//! How it runs: `ip netns exec HOST unshare --pid --fork --mount-proc --kill-child sh
//! start.sh`. `ip netns exec` gives it the host namespace and a private mount namespace (so
//! every mount dockerd and containerd make vanishes with them); `start.sh` mounts the cgroup
//! v1 hierarchies again there (ip netns exec's fresh `/sys` hides them) and execs dockerd with
//! this daemon's binaries first in `PATH`. dockerd is PID 1 of its own PID namespace: when it
//! ends, the kernel kills containerd, the shims and every container with it, and
//! `--kill-child` ends it when the `unshare` process (our child) is killed. Its data-root,
//! exec-root, pidfile and socket are under the daemon's own directory; storage is `vfs`.
//!
//! Readiness is real: [`Dockerd::start`] returns once the API answers on the socket, within
//! [`START_DEADLINE`], or panics with the daemon's log. [`Dockerd::stop`] sends SIGTERM to
//! dockerd and waits for the process tree to end. Dropping a running daemon kills it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::daemons::Daemon;

/// How long a daemon may take to answer after it was started (a loaded 2-core machine).
/// Measured: 0.3-3.5 s on a quiet machine, up to 107 s at a load average of 10 on 2 cores
/// (restoring its containers, each start calling iptables many times).
pub const START_DEADLINE: Duration = Duration::from_secs(300);
/// How long a stopping daemon may take to end.
pub const STOP_DEADLINE: Duration = Duration::from_secs(120);
/// A start slower than this prints the daemon's log of that start (to see where it waited).
const SLOW_START: Duration = Duration::from_secs(30);

/// The two daemon configurations users run, and Docker 29's nftables backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `ipv6`, `ip6tables`, `fixed-cidr-v6` (and `experimental` before 27): containers are
    /// dual-stack and IPv6 published ports are DNATed like IPv4.
    DualStack,
    /// Docker's defaults: IPv4-only containers; docker-proxy serves published ports over IPv6.
    Default,
    /// Docker 29+: `"firewall-backend": "nftables"` on top of dual-stack.
    Nftables,
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Mode::DualStack => "dual-stack",
            Mode::Default => "default (IPv4-only containers)",
            Mode::Nftables => "nftables backend (dual-stack)",
        })
    }
}

/// The daemon.json of `mode` for `daemon` (without the paths).
pub fn config(daemon: &Daemon, mode: Mode) -> String {
    let mut c = vec![
        r#""storage-driver": "vfs""#.to_string(),
        r#""exec-opts": ["native.cgroupdriver=cgroupfs"]"#.into(),
        r#""shutdown-timeout": 1"#.into(),
        r#""bip": "192.0.2.1/25""#.into(),
        r#""log-level": "info""#.into(),
    ];
    if matches!(mode, Mode::DualStack | Mode::Nftables) {
        c.push(r#""ipv6": true"#.into());
        c.push(r#""fixed-cidr-v6": "2001:db8:d0c:1::/64""#.into());
        c.push(r#""ip6tables": true"#.into());
        if daemon.major() < 27 {
            c.push(r#""experimental": true"#.into());
        }
    }
    if mode == Mode::Nftables {
        c.push(r#""firewall-backend": "nftables""#.into());
    }
    c.join(",\n  ")
}

/// A dockerd and its files.
pub struct Dockerd {
    /// The daemon's binaries.
    pub daemon: Daemon,
    /// Its configuration.
    pub mode: Mode,
    netns: String,
    dir: PathBuf,
    child: Option<Child>,
    /// How long each start took until the API answered.
    pub starts: Vec<Duration>,
}

const START_SH: &str = r#"set -e
mount -t tmpfs cgroup /sys/fs/cgroup
for s in cpu cpuacct cpuset memory devices freezer blkio pids; do
  mkdir -p /sys/fs/cgroup/$s
  mount -t cgroup -o $s cgroup /sys/fs/cgroup/$s
done
mkdir -p /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
exec dockerd --config-file "$DIR/daemon.json"
"#;

impl Dockerd {
    /// Prepares the daemon's directory (`dir`, emptied) for the namespace `netns`; nothing
    /// runs yet.
    pub fn new(daemon: Daemon, mode: Mode, netns: &str, dir: &Path) -> Dockerd {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        let json = format!(
            "{{\n  {},\n  \"data-root\": \"{d}/data\",\n  \"exec-root\": \"{d}/exec\",\n  \
             \"pidfile\": \"{d}/docker.pid\",\n  \"hosts\": [\"unix://{d}/docker.sock\"]\n}}\n",
            config(&daemon, mode),
            d = dir.display()
        );
        std::fs::write(dir.join("daemon.json"), json).unwrap();
        std::fs::write(dir.join("start.sh"), START_SH).unwrap();
        Dockerd {
            daemon,
            mode,
            netns: netns.to_string(),
            dir: dir.to_path_buf(),
            child: None,
            starts: Vec::new(),
        }
    }

    /// The API socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("docker.sock")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("dockerd.log")
    }

    /// The end of the daemon's log (for failure messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Starts dockerd and waits until its API answers (see the module contract).
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "dockerd already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let t0 = Instant::now();
        let log_from = std::fs::metadata(self.log_path()).map_or(0, |m| m.len() as usize);
        let child = Command::new("ip")
            .args(["netns", "exec", &self.netns])
            .args(["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"])
            .arg("sh")
            .arg(self.dir.join("start.sh"))
            .env("DIR", &self.dir)
            .env("PATH", self.daemon.path_env())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawning ip netns exec ... dockerd");
        self.child = Some(child);
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                panic!(
                    "{} ({}): dockerd exited during start ({status}):\n{}",
                    self.daemon.name,
                    self.mode,
                    self.log_tail()
                );
            }
            if self
                .docker(&["version", "--format", "{{.Server.Version}}"])
                .is_ok()
            {
                break;
            }
            assert!(
                t0.elapsed() < START_DEADLINE,
                "{}: dockerd did not answer within {START_DEADLINE:?}:\n{}",
                self.daemon.name,
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let took = t0.elapsed();
        self.starts.push(took);
        if took > SLOW_START {
            let log = std::fs::read(self.log_path()).unwrap_or_default();
            let text = String::from_utf8_lossy(log.get(log_from..).unwrap_or_default());
            let lines: Vec<&str> = text.lines().collect();
            let head = &lines[..lines.len().min(10)];
            let tail = &lines[lines.len().saturating_sub(10)..];
            super::announce(&format!(
                "{} ({}): dockerd took {took:.1?} to answer; its log of that start ({} lines), \
                 first and last:\n{}\n...\n{}",
                self.daemon.name,
                self.mode,
                lines.len(),
                head.join("\n"),
                tail.join("\n")
            ));
        }
    }

    /// The pid (in the machine's PID namespace) of dockerd: the only child of `unshare`.
    fn dockerd_pid(&self) -> Option<u32> {
        self.dockerd_pid_of(self.child.as_ref()?)
    }

    fn dockerd_pid_of(&self, child: &Child) -> Option<u32> {
        let pid = child.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        children.split_whitespace().next()?.parse().ok()
    }

    /// Stops dockerd with SIGTERM (it stops its containers first) and waits for it to end.
    pub fn stop(&mut self) {
        let Some(pid) = self.dockerd_pid() else {
            panic!("{}: no dockerd process to stop", self.daemon.name)
        };
        let out = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "kill -TERM {pid}: {out:?}");
        let t0 = Instant::now();
        let child = self.child.as_mut().unwrap();
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            if t0.elapsed() > STOP_DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                self.child = None;
                panic!(
                    "{}: dockerd did not stop within {STOP_DEADLINE:?}",
                    self.daemon.name
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child = None;
    }

    /// Stops and starts dockerd again (containers with `--restart always` come back).
    pub fn restart(&mut self) {
        self.stop();
        self.start();
    }

    /// Runs the docker client against this daemon; its standard output, trimmed.
    pub fn docker(&self, args: &[&str]) -> Result<String, String> {
        let out = Command::new("docker")
            .arg("-H")
            .arg(format!("unix://{}", self.socket().display()))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("docker: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "docker {args:?}: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    /// As [`Dockerd::docker`], panicking with the daemon's log on failure.
    pub fn must(&self, args: &[&str]) -> String {
        self.docker(args)
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", self.daemon.name, self.log_tail()))
    }

    /// True while the daemon process runs.
    pub fn running(&self) -> bool {
        self.child.is_some()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGKILL to dockerd, PID 1 of its namespace: the kernel kills every process left
            // in that namespace, and `unshare` reaps dockerd and exits. Killing `unshare`
            // itself (--kill-child then kills dockerd) is the fallback.
            match self.dockerd_pid_of(&child) {
                Some(pid) => {
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .output();
                }
                None => {
                    let _ = child.kill();
                }
            }
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
