//! The scenarios, in one daemon lifetime per (daemon, configuration) where possible:
//! 1. before dfw: every published port open to everyone, both families (and which IPv6 path
//!    Docker uses: DNAT or docker-proxy); the Docker API names every published port; `init`
//!    committed keeps them all open and refuses a port published later;
//! 2. commit: the policy holds; status in sync; rollback opens everything again; commit again;
//! 3. dockerd restart; 4. a container re-created with a new address; 5. a newly published
//!    port; 6. new networks, IPv4 and `--ipv6`;
//! 7. `watch` running through a dockerd restart and a newly published port;
//! 8. boot order: the ruleset flushed (a reboot), dfw committed before dockerd starts, the
//!    watch running as its unit would.
//!
//! After each change the suite asks `status`: in sync must mean the policy holds (a status
//! that says "in sync" while a connection gets through is a bypass); drift must be reported
//! and a commit must repair it. Every step's findings are printed.

use std::time::Instant;

use crate::support::daemons::Daemon;
use crate::support::dfw::Dfw;
use crate::support::dockerd::{Dockerd, Mode};
use crate::support::image::{self, Ctr};
use crate::support::lab::Lab;
use crate::support::matrix::{self, Allow, Expect, Svc};
use crate::support::rules;

#[path = "scenarios_audit.rs"]
mod audit_stage;
#[path = "scenarios_init.rs"]
mod init_stage;

/// One (daemon, configuration) run.
pub struct Run {
    // Dropped in this order: the daemon (killed), the lab's namespaces, then the files.
    pub d: Dockerd,
    lab: Lab,
    dfw: Dfw,
    dir: std::path::PathBuf,
    _files: RemoveOnDrop,
    services: Vec<Svc>,
    containers: Vec<&'static str>,
    /// What the run found, printed as it goes.
    pub notes: Vec<String>,
    failures: Vec<String>,
    tar: std::path::PathBuf,
    tag: String,
}

fn svc(container: &'static str, port: u16, udp: bool, allow: Allow) -> Svc {
    Svc {
        container,
        port,
        udp,
        allow,
    }
}

impl Run {
    /// Builds the lab and starts the daemon.
    pub fn start(tag: &str, daemon: Daemon, mode: Mode) -> Run {
        let name = format!("dfwrd-{tag}-{}", std::process::id());
        let dir = std::env::temp_dir().join(&name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let lab = Lab::new(&name).unwrap_or_else(|e| panic!("{tag}: lab: {e}"));
        let mut d = Dockerd::new(daemon, mode, &name, &dir.join("docker"));
        d.start();
        let dfw = Dfw::new(&name, &dir.join("dfw")).with_docker(&d.socket());
        let tar = image::build(&dir.join("image"));
        Run {
            d,
            lab,
            dfw,
            _files: RemoveOnDrop(dir.clone()),
            dir,
            services: Vec::new(),
            containers: Vec::new(),
            notes: Vec::new(),
            failures: Vec::new(),
            tar,
            tag: tag.to_string(),
        }
    }

    fn note(&mut self, s: String) {
        println!("[{}] {s}", self.tag);
        self.notes.push(s);
    }

    fn netns(&self) -> String {
        self.lab.name().to_string()
    }

    /// Runs a container and adds its services.
    fn add(&mut self, c: Ctr, services: &[Svc]) {
        image::run(&self.d, &c);
        self.containers.push(c.name);
        self.services.extend_from_slice(services);
    }

    fn wait_containers(&self) {
        image::wait_ready(&self.d, &self.lab.host, &self.containers);
    }

    /// Probes everything; anything that differs from `expect` is recorded as a failure
    /// (with the rules) and the run goes on, so one run shows every finding; [`Run::finish`]
    /// fails the test.
    fn check(&mut self, stage: &str, expect: Expect) -> Vec<matrix::Seen> {
        let seen = matrix::probe_all(&self.lab, &self.services, expect);
        let bad = matrix::failures(&seen);
        if bad.is_empty() {
            println!(
                "[{}] {stage}: {} connections as expected",
                self.tag,
                seen.len()
            );
        } else {
            let msg = format!("{stage}: connections differ from {expect:?}:\n{bad}");
            println!(
                "[{}] FAILED {msg}rules:\n{}",
                self.tag,
                rules(&self.netns())
            );
            self.failures.push(msg);
        }
        seen
    }

    /// Fails the test when any check failed.
    pub fn finish(&self) {
        assert!(
            self.failures.is_empty(),
            "[{}] {} failed checks:\n{}",
            self.tag,
            self.failures.len(),
            self.failures.join("\n")
        );
    }

    /// After Docker changed something: status must be honest (in sync means the policy
    /// holds); drift must be repaired by a commit.
    fn honest(&mut self, stage: &str) {
        match self.dfw.status() {
            Ok(()) => {
                self.check(&format!("{stage} (status: in sync)"), Expect::Policy);
            }
            Err(drift) => {
                let first: Vec<&str> = drift.lines().take(12).collect();
                self.note(format!(
                    "{stage}: status reports drift:\n    {}",
                    first.join("\n    ")
                ));
                let plan = self.dfw.with_policy(&["plan"]);
                assert_eq!(plan.status.code(), Some(2), "plan after drift: {plan:?}");
                self.dfw.commit();
                assert_eq!(self.dfw.status(), Ok(()), "{stage}: status after commit");
                self.check(&format!("{stage} (after commit)"), Expect::Policy);
            }
        }
    }

    /// The whole sequence.
    pub fn scenarios(&mut self) {
        let t0 = Instant::now();
        let server = self.d.must(&["version", "--format", "{{.Server.Version}}"]);
        crate::support::announce(&format!(
            "[{}] ran {} ({}): dockerd {server}, {}",
            self.tag, self.d.daemon.name, self.d.daemon.version, self.d.mode
        ));
        self.note(format!(
            "{} ({}), dockerd {server}, {}, started in {:?}",
            self.d.daemon.name, self.d.daemon.version, self.d.mode, self.d.starts[0]
        ));
        image::import(&self.d, &self.tar);
        self.add(
            Ctr {
                name: "web",
                network: None,
                publish: vec!["8080:80"],
            },
            &[svc("web", 8080, false, Allow::Everyone)],
        );
        self.add(
            Ctr {
                name: "db",
                network: None,
                publish: vec!["9000:80", "5353:53/udp"],
            },
            &[
                svc("db", 9000, false, Allow::Listed),
                svc("db", 5353, true, Allow::Listed),
            ],
        );
        self.add(
            Ctr {
                name: "admin",
                network: None,
                publish: vec!["6000:80"],
            },
            &[svc("admin", 6000, false, Allow::LanOnly)],
        );
        self.wait_containers();

        // 1. Docker alone.
        let seen = self.check("before dfw", Expect::AllOpen);
        self.note(format!(
            "IPv6 paths before dfw: {}",
            matrix::ipv6_paths(&seen)
        ));
        self.audit("before dfw", Expect::AllOpen);
        self.init_stage();

        // 2. Commit, rollback, commit.
        self.dfw.commit();
        assert_eq!(self.dfw.status(), Ok(()), "status right after commit");
        self.check("after commit", Expect::Policy);
        self.audit("after commit", Expect::Policy);
        let o = self.dfw.run(&["rollback"]);
        assert!(
            o.status.success(),
            "rollback: {}",
            crate::support::dfw::text(&o)
        );
        self.check("after rollback", Expect::AllOpen);
        self.dfw.commit();
        self.check("after commit again", Expect::Policy);

        // 3. dockerd restart.
        self.d.restart();
        self.wait_containers();
        self.honest("dockerd restart");

        // 4. A container re-created with a new address.
        self.d.must(&["rm", "-f", "db"]);
        self.containers.retain(|c| *c != "db");
        image::run(
            &self.d,
            &Ctr {
                name: "filler",
                network: None,
                publish: vec![],
            },
        );
        self.containers.push("filler");
        image::run(
            &self.d,
            &Ctr {
                name: "db",
                network: None,
                publish: vec!["9000:80", "5353:53/udp"],
            },
        );
        self.containers.push("db");
        self.wait_containers();
        self.honest("db re-created with a new address");

        // 5. A newly published port (not in the policy: LAN only).
        self.add(
            Ctr {
                name: "extra",
                network: None,
                publish: vec!["7000:80"],
            },
            &[svc("extra", 7000, false, Allow::LanOnly)],
        );
        self.wait_containers();
        self.honest("new published port 7000");

        // 6. New networks: IPv4 only, and --ipv6.
        self.d
            .must(&["network", "create", "--subnet", "192.0.2.160/28", "net4"]);
        self.add(
            Ctr {
                name: "n4",
                network: Some("net4"),
                publish: vec!["8081:80", "7100:80"],
            },
            &[
                svc("n4", 8081, false, Allow::Everyone),
                svc("n4", 7100, false, Allow::LanOnly),
            ],
        );
        self.d.must(&[
            "network",
            "create",
            "--ipv6",
            "--subnet",
            "192.0.2.176/28",
            "--subnet",
            "2001:db8:d0c:2::/64",
            "net6",
        ]);
        self.add(
            Ctr {
                name: "n6",
                network: Some("net6"),
                publish: vec!["8082:80", "7200:80"],
            },
            &[
                svc("n6", 8082, false, Allow::Everyone),
                svc("n6", 7200, false, Allow::LanOnly),
            ],
        );
        self.wait_containers();
        self.honest("new networks net4 and net6 (--ipv6)");
        self.audit("new networks", Expect::Policy);

        // 7. The watch through a dockerd restart and a newly published port.
        let watch = self.dfw.watch(&self.dir.join("watch.log"));
        watch.wait_watching();
        self.d.restart();
        self.wait_containers();
        self.dfw
            .wait_in_sync("watch, dockerd restart", &|| watch.log());
        self.check("watch: after dockerd restart", Expect::Policy);
        self.add(
            Ctr {
                name: "extra2",
                network: None,
                publish: vec!["7001:80"],
            },
            &[svc("extra2", 7001, false, Allow::LanOnly)],
        );
        self.wait_containers();
        self.dfw
            .wait_in_sync("watch, new published port 7001", &|| watch.log());
        self.check("watch: new published port 7001", Expect::Policy);
        let log = watch.stop();
        let repairs = log.lines().filter(|l| l.contains("repaired")).count();
        self.note(format!("watch: {repairs} repairs"));

        // 8. Boot order: everything flushed, dfw first, then dockerd, the watch running.
        self.d.stop();
        let ns = self.netns();
        for cmd in [
            vec!["nft", "flush", "ruleset"],
            vec!["sysctl", "-q", "-w", "net.ipv4.ip_forward=0"],
            vec!["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=0"],
        ] {
            let mut a = vec!["netns", "exec", ns.as_str()];
            a.extend(cmd);
            dfw_netlink::transport::testkit::run_cmd("ip", &a).unwrap();
        }
        self.dfw.commit();
        let watch = self.dfw.watch(&self.dir.join("watch-boot.log"));
        watch.wait_watching();
        self.d.start();
        self.wait_containers();
        self.dfw
            .wait_in_sync("boot order, watch running", &|| watch.log());
        self.check(
            "boot order: dfw first, then dockerd (watch running)",
            Expect::Policy,
        );
        let log = watch.stop();
        let repairs: Vec<&str> = log.lines().filter(|l| l.contains("repaired")).collect();
        self.note(format!("boot order: watch made {} repairs", repairs.len()));
        self.honest("boot order, watch stopped");

        self.audit_without_default_route();

        let starts: Vec<String> = self.d.starts.iter().map(|d| format!("{d:.1?}")).collect();
        crate::support::announce(&format!(
            "[{}] scenarios took {:.1?} (dockerd starts: {})",
            self.tag,
            t0.elapsed(),
            starts.join(", ")
        ));
        self.note(format!(
            "scenarios took {:.1?} (dockerd starts: {})",
            t0.elapsed(),
            starts.join(", ")
        ));
    }
}

/// Removes a directory when dropped.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
