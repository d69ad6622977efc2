//! The real `dfw-cli` binary against the lab's host namespace (`--netns`), with the suite's
//! policy file and a private state directory; and `dfw-cli watch` as a child process that is
//! always stopped (SIGTERM, then SIGKILL on drop).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The policy every stage is checked against (see `matrix::Svc` for who may reach what).
pub const POLICY: &str = r#"# dfw's real-Docker suite
[interfaces]
external = ["ext0"]

[policy]
default = "reject"

[[allow]]
ports = ["8080-8089/tcp"]
comment = "web"

[[allow]]
ports = ["9000/tcp", "5353/udp"]
from = ["203.0.113.10", "2001:db8:1::10"]
"#;

/// How long the watch may take to bring the kernel back in sync after Docker's changes (the
/// debounce is 100-400 ms; the rest is a loaded machine).
pub const SYNC_DEADLINE: Duration = Duration::from_secs(120);

const BIN: &str = env!("CARGO_BIN_EXE_dfw-cli");

/// dfw-cli for one namespace.
pub struct Dfw {
    netns: String,
    policy: PathBuf,
    state: PathBuf,
    docker_host: Option<String>,
}

impl Dfw {
    /// Writes the policy under `dir`.
    pub fn new(netns: &str, dir: &Path) -> Dfw {
        std::fs::create_dir_all(dir).unwrap();
        let policy = dir.join("dfw.toml");
        std::fs::write(&policy, POLICY).unwrap();
        Dfw {
            netns: netns.to_string(),
            policy,
            state: dir.join("state"),
            docker_host: None,
        }
    }

    /// Names containers from the daemon at `socket` (`DOCKER_HOST`; with `--netns`, dfw-cli
    /// asks no other).
    pub fn with_docker(mut self, socket: &Path) -> Dfw {
        self.docker_host = Some(format!("unix://{}", socket.display()));
        self
    }

    /// The policy file.
    pub fn policy(&self) -> &Path {
        &self.policy
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--netns").arg(&self.netns).args(args);
        c.env("DFW_STATE_DIR", &self.state)
            .env("SSH_CONNECTION", "");
        if let Some(h) = &self.docker_host {
            c.env("DOCKER_HOST", h);
        }
        c.stdin(Stdio::null());
        c
    }

    /// Runs `dfw-cli ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Runs `dfw-cli ARGS -c POLICY`.
    pub fn with_policy(&self, args: &[&str]) -> Output {
        let mut a = args.to_vec();
        a.extend(["-c", self.policy.to_str().unwrap()]);
        self.run(&a)
    }

    /// `commit`, which must succeed.
    pub fn commit(&self) -> String {
        let o = self.with_policy(&["commit"]);
        assert!(o.status.success(), "dfw-cli commit failed: {}", text(&o));
        stdout(&o)
    }

    /// `status`: `Ok(())` in sync, `Err(drift text)` drifted; panics on an error.
    pub fn status(&self) -> Result<(), String> {
        let o = self.with_policy(&["status"]);
        match o.status.code() {
            Some(0) => Ok(()),
            Some(3) => Err(stdout(&o)),
            _ => panic!("dfw-cli status failed: {}", text(&o)),
        }
    }

    /// Polls `status` until in sync (the watch repaired what Docker changed) or panics after
    /// [`SYNC_DEADLINE`] with the last drift and `log`.
    pub fn wait_in_sync(&self, what: &str, log: &dyn Fn() -> String) {
        let t0 = Instant::now();
        loop {
            match self.status() {
                Ok(()) => return,
                Err(drift) if t0.elapsed() > SYNC_DEADLINE => {
                    panic!(
                        "{what}: not in sync after {SYNC_DEADLINE:?}:\n{drift}\n{}",
                        log()
                    )
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// Starts `dfw-cli watch` (its output goes to `log`).
    pub fn watch(&self, log: &Path) -> Watch {
        let f = std::fs::File::create(log).unwrap();
        let child = self
            .command(&["watch", "-c", self.policy.to_str().unwrap()])
            .stdout(f.try_clone().unwrap())
            .stderr(f)
            .spawn()
            .unwrap();
        Watch {
            child: Some(child),
            log: log.to_path_buf(),
        }
    }
}

/// A running `dfw-cli watch`.
pub struct Watch {
    child: Option<Child>,
    log: PathBuf,
}

impl Watch {
    /// What it printed so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until it says it watches (its first check is done).
    pub fn wait_watching(&self) {
        let t0 = Instant::now();
        while !self.log().contains("watching") {
            assert!(
                t0.elapsed() < SYNC_DEADLINE,
                "dfw-cli watch did not start:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops it with SIGTERM; it must exit 0. Returns its output.
    pub fn stop(mut self) -> String {
        let mut child = self.child.take().unwrap();
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).output();
        let status = child.wait().unwrap();
        let log = self.log();
        assert!(status.success(), "dfw-cli watch exited {status}:\n{log}");
        log
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Standard output of a run.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Exit status, standard output and error of a run, for messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}\nstdout:\n{}stderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
