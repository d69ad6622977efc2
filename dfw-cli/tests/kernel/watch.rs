//! `dfw-cli status` and `dfw-cli watch` against the kernel: status exit codes (0 in sync,
//! 3 drifted with the differences listed, 1 error); the watch binary in a named namespace
//! (`--netns`) repairing `iptables -F DOCKER-USER` (latency printed, never asserted: a
//! performance figure), idle without CPU, reloading on SIGHUP and on a config edit, exiting 0
//! on SIGTERM; and the watch with only CAP_NET_ADMIN and no_new_privs, as
//! `dist/systemd/dfw-watch.service` runs it. The time limits only bound a broken watch.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use dfw_netlink::transport::testkit::{kernel_test, run_cmd, wait_idle_in_poll};

use crate::support::{docker_29, Netns, Scratch, BIN, EXAMPLE};

#[test]
fn kernel_cli_status_exit_codes() {
    kernel_test("kernel_cli_status_exit_codes", || {
        let tmp = Scratch::new("status");
        let cli = |args: &[&str]| tmp.cli(args);
        docker_29();
        let s = cli(&["status", "-c", EXAMPLE]);
        let out = String::from_utf8_lossy(&s.stdout).into_owned();
        assert_eq!(s.status.code(), Some(3), "{s:?}");
        assert!(out.starts_with("drifted: "), "{out}");
        assert!(out.contains("  missing   chain DFW-DOCKER"), "{out}");
        assert!(
            out.contains("  missing   -A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"),
            "{out}"
        );
        assert_eq!(cli(&["commit", "-c", EXAMPLE]).status.code(), Some(0));
        let s = cli(&["status", "-c", EXAMPLE]);
        assert_eq!(s.status.code(), Some(0), "{s:?}");
        assert_eq!(String::from_utf8_lossy(&s.stdout), "in sync\n");
        run_cmd(
            "iptables",
            &["-I", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"],
        )
        .unwrap();
        run_cmd("ip6tables", &["-F", "DOCKER-USER"]).unwrap();
        let s = cli(&["status", "-c", EXAMPLE]);
        let out = String::from_utf8_lossy(&s.stdout).into_owned();
        assert_eq!(s.status.code(), Some(3), "{s:?}");
        assert!(out.contains("IPv4 filter INPUT:\n  reordered "), "{out}");
        assert!(
            out.contains("IPv6 filter DOCKER-USER:\n  missing "),
            "{out}"
        );
        let s = cli(&["status", "-c", "/nonexistent/dfw.toml"]);
        assert_eq!(s.status.code(), Some(1), "{s:?}");
    });
}

/// How long the watch may take to log what a step expects before the test fails.
const LIMIT: Duration = Duration::from_secs(60);

/// A watch process and the namespace it runs in; both go away on drop.
struct Running {
    child: Child,
    lines: Receiver<String>,
    /// The thread reading stderr: it ends (closing the pipe) at the first line after `lines`
    /// was dropped.
    reader: Option<std::thread::JoinHandle<()>>,
    config: std::path::PathBuf,
    // Last: dropped after the child is killed.
    ns: Netns,
}

impl Running {
    /// Starts `prefix... dfw-cli ARGS watch -c CONFIG` after loading Docker 29 into a new
    /// named namespace.
    fn start(tag: &str, wrap: &[&str], netns_flag: bool) -> Running {
        let ns = Netns::new(tag);
        let netns = ns.name.clone();
        ns.docker_29();
        let config = ns.file("dfw.toml");
        std::fs::copy(EXAMPLE, &config).unwrap();
        let cfg = config.to_str().unwrap().to_string();
        let mut argv: Vec<String> = wrap.iter().map(|s| s.replace("NS", &netns)).collect();
        argv.push(BIN.into());
        if netns_flag {
            argv.extend(["--netns".into(), netns.clone()]);
        }
        // Its own state directory, never the machine's /var/lib/dfw.
        argv.extend(["watch".into(), "-c".into(), cfg, "--state-dir".into()]);
        argv.push(ns.state.display().to_string());
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let err = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        let reader = std::thread::spawn(move || {
            // Once the receiver is gone, the pipe is closed (dropped with the reader).
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            reader: Some(reader),
            config,
            ns,
        }
    }

    /// The next stderr line containing `what` (panics after `within`).
    fn expect(&self, what: &str, within: Duration) -> (String, Instant) {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) if l.contains(what) => return (l, Instant::now()),
                Ok(_) => continue,
                Err(e) => panic!("no line with {what:?} within {within:?}: {e}"),
            }
        }
    }

    fn ns(&self, args: &[&str]) -> String {
        self.ns.exec(args[0], &args[1..])
    }

    fn signal(&self, sig: &str) {
        run_cmd("kill", &[sig, &self.child.id().to_string()]).unwrap();
    }

    /// utime + stime of the process, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let f: Vec<u64> = rest
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        f[11] + f[12]
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn kernel_cli_watch_in_a_named_netns() {
    kernel_test("kernel_cli_watch_in_a_named_netns", || {
        let mut w = Running::start("watch", &[], true);
        let secs = LIMIT;
        let (line, _) = w.expect("repaired at start", secs);
        assert!(line.contains("DOCKER-USER: 1 missing"), "{line}");
        w.expect("watching", secs);
        let mut lat = Vec::new();
        for _ in 0..5 {
            w.ns(&["iptables", "-F", "DOCKER-USER"]);
            let end = Instant::now();
            let (line, at) = w.expect("repaired after", secs);
            assert!(line.contains("IPv4 DOCKER-USER: 1 missing"), "{line}");
            lat.push(at - end);
        }
        lat.sort();
        println!(
            "LATENCY kernel_cli_watch_in_a_named_netns: iptables -F end -> repair logged: \
             median {:?}, max {:?} (n = {})",
            lat[lat.len() / 2],
            lat[lat.len() - 1],
            lat.len()
        );
        let save = w.ns(&["iptables-save", "-t", "filter"]);
        assert!(
            save.contains("-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER"),
            "{save}"
        );
        // Idle: once it has handled everything (blocked in poll, nothing scheduled), no CPU
        // over 2 s.
        let task = std::path::PathBuf::from(format!("/proc/{0}/task/{0}", w.child.id()));
        wait_idle_in_poll(&task, LIMIT).unwrap();
        let before = w.cpu_ticks();
        std::thread::sleep(Duration::from_secs(2));
        assert_eq!(w.cpu_ticks(), before, "the idle watch used CPU");
        // SIGHUP reloads; an edit of the file reloads and applies the new policy.
        w.signal("-HUP");
        w.expect("reloaded", secs);
        let text = std::fs::read_to_string(&w.config).unwrap();
        std::fs::write(
            &w.config,
            format!("{text}\n[[allow]]\nports = [\"9443/tcp\"]\n"),
        )
        .unwrap();
        let (line, _) = w.expect("repaired after config reload", secs);
        assert!(line.contains("DFW-DOCKER-EXT"), "{line}");
        assert!(w.ns(&["iptables-save"]).contains("--dport 9443"));
        // An invalid edit is reported and the policy kept.
        std::fs::write(&w.config, "[policy\n").unwrap();
        w.expect("reload failed, keeping the previous policy", secs);
        // SIGTERM: clean exit.
        w.signal("-TERM");
        w.expect("signal 15, exiting", secs);
        let status = w.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{status:?}");
    });
}

#[test]
fn kernel_cli_watch_with_only_cap_net_admin() {
    kernel_test("kernel_cli_watch_with_only_cap_net_admin", || {
        // As dfw-watch.service: CapabilityBoundingSet=CAP_NET_ADMIN, NoNewPrivileges=yes.
        let wrap = [
            "ip",
            "netns",
            "exec",
            "NS",
            "setpriv",
            "--bounding-set=-all,+net_admin",
            "--inh-caps=-all",
            "--no-new-privs",
        ];
        let w = Running::start("watchcap", &wrap, false);
        let secs = LIMIT;
        w.expect("repaired at start", secs);
        w.expect("watching", secs);
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", w.child.id())).unwrap_or_default();
        let eff = status
            .lines()
            .find_map(|l| l.strip_prefix("CapEff:"))
            .map(str::trim)
            .unwrap_or_default()
            .to_string();
        assert_eq!(eff, "0000000000001000", "effective capabilities: {eff}");
        w.ns(&["ip6tables", "-F", "DOCKER-USER"]);
        let (line, _) = w.expect("repaired after", secs);
        assert!(line.contains("IPv6 DOCKER-USER: 1 missing"), "{line}");
        w.signal("-TERM");
        w.expect("signal 15, exiting", secs);
    });
}

/// The watch keeps repairing after its log reader went away (stderr a closed pipe): before,
/// the first log line after that panicked and the watch stopped.
#[test]
fn kernel_cli_watch_with_a_closed_stderr_keeps_repairing() {
    kernel_test("kernel_cli_watch_closed_stderr", || {
        let mut w = Running::start("watchpipe", &[], true);
        w.expect("watching", LIMIT);
        // Drop the receiver: the reader thread ends at the next line, closing the read end.
        let stderr_reader = std::mem::replace(&mut w.lines, channel().1);
        drop(stderr_reader);
        let jump = "-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER";
        for round in 0..3 {
            w.ns(&["iptables", "-F", "DOCKER-USER"]);
            let deadline = Instant::now() + LIMIT;
            while !w.ns(&["iptables-save", "-t", "filter"]).contains(jump) {
                assert!(
                    w.child.try_wait().unwrap().is_none(),
                    "round {round}: the watch died"
                );
                assert!(Instant::now() < deadline, "round {round}: not repaired");
                std::thread::sleep(Duration::from_millis(50));
            }
            if round == 0 {
                // Round 0's repair was logged and read: the reader is gone, and rounds 1 and
                // 2 log into a pipe nobody reads.
                w.reader.take().unwrap().join().unwrap();
            }
        }
        w.signal("-TERM");
        let status = w.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{status:?}");
    });
}
