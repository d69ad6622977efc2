//! fail2ban (Debian's, 1.0) banning through dfw: `dist/fail2ban/action.d/dfw.conf` in a jail
//! watching a log file, fail2ban-server running in the test's private network namespace with
//! its own socket, pid file and database under a temporary directory (the machine's fail2ban,
//! if any, is not touched). Failed logins written to the log make fail2ban call
//! `dfw-cli ban IP --for BANTIME`; the ban is in dfw's ban set with the kernel's timeout;
//! `fail2ban-client unbanip` makes it call `dfw-cli unban IP`.
//!
//! fail2ban acts in its own threads: the test waits for the ban to appear (and go), bounded
//! at 60 s; each step normally takes about one polling interval (1 s).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dfw_netlink::transport::testkit::{kernel_test, REQUIRE_KERNEL_ENV};

const BIN: &str = env!("CARGO_BIN_EXE_dfw-cli");
const ATTACKER: &str = "198.51.100.200";

const POLICY: &str =
    "[interfaces]\nexternal = [\"eth0\"]\n[[allow]]\nports = [8080]\n[blocklist]\n";

fn have_fail2ban() -> bool {
    Command::new("fail2ban-server")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// The test's scratch directory (its state directory under it: never the machine's).
fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("dfw-f2b-{}", std::process::id()))
}

fn cli(args: &[&str]) -> (bool, String) {
    let o = Command::new(BIN)
        .args(args)
        .env("DFW_STATE_DIR", scratch().join("state"))
        .env_remove("SSH_CONNECTION")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), text)
}

fn bans() -> String {
    let (ok, text) = cli(&["bans"]);
    assert!(ok, "{text}");
    text
}

/// Waits (at most 60 s) until `done` holds; the fail2ban log is printed if it never does.
fn wait_for(what: &str, conf: &Path, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > Duration::from_secs(60) {
            let log = std::fs::read_to_string(conf.join("fail2ban.log")).unwrap_or_default();
            panic!("fail2ban did not {what} within 60 s; its log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kernel_fail2ban_bans_through_dfw() {
    if !have_fail2ban() {
        assert!(
            std::env::var(REQUIRE_KERNEL_ENV).as_deref() != Ok("1"),
            "fail2ban is not installed (.ci/setup installs it)"
        );
        println!("SKIPPED kernel_fail2ban_bans_through_dfw: fail2ban is not installed");
        return;
    }
    kernel_test("kernel_fail2ban_bans_through_dfw", || {
        let dir = scratch();
        let _ = std::fs::remove_dir_all(&dir);
        let d = dir.display();
        let policy = write(&dir, "dfw.toml", POLICY);
        let (ok, text) = cli(&["commit", "--force", "-c", policy.to_str().unwrap()]);
        assert!(ok, "{text}");
        let action = include_str!("../../../dist/fail2ban/action.d/dfw.conf");
        let conf = dir.join("conf");
        write(&conf, "action.d/dfw.conf", action);
        write(
            &conf,
            "fail2ban.conf",
            &format!(
                "[Definition]\nloglevel = INFO\nlogtarget = {d}/conf/fail2ban.log\n\
                 socket = {d}/conf/f2b.sock\npidfile = {d}/conf/f2b.pid\ndbfile = :memory:\n"
            ),
        );
        write(
            &conf,
            "filter.d/dfwtest.conf",
            "[Definition]\nfailregex = ^FAIL login from <HOST>$\ndatepattern = {NONE}\n",
        );
        let log = write(&dir, "auth.log", "");
        write(
            &conf,
            "jail.conf",
            &format!(
                "[DEFAULT]\nbackend = polling\n\n[dfwtest]\nenabled = true\nfilter = dfwtest\n\
                 logpath = {}\nmaxretry = 3\nfindtime = 600\nbantime = 3600\n\
                 action = dfw[dfw_cli=\"{BIN}\"]\n",
                log.display()
            ),
        );
        let conf_s = conf.to_str().unwrap().to_string();
        let _server = Server(
            // The client starts the server in the foreground with the jails of `conf`.
            Command::new("fail2ban-client")
                .args(["-c", &conf_s, "-x", "-f", "start"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let client = |args: &[&str]| {
            Command::new("fail2ban-client")
                .args(["-c", &conf_s])
                .args(args)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        wait_for("start", &conf, || client(&["status", "dfwtest"]));
        // Three failed logins: fail2ban bans through dfw-cli.
        let failures = format!("FAIL login from {ATTACKER}\n").repeat(3);
        std::fs::write(&log, failures).unwrap();
        wait_for("ban", &conf, || bans().contains(ATTACKER));
        let listed = bans();
        let line = listed.lines().find(|l| l.starts_with(ATTACKER)).unwrap();
        // fail2ban's bantime became the kernel's timeout.
        assert!(line.contains("expires in"), "{listed}");
        let ipset = Command::new("ipset")
            .args(["list", "dfw-ban4"])
            .output()
            .unwrap();
        let ipset = String::from_utf8_lossy(&ipset.stdout);
        assert!(ipset.contains(&format!("{ATTACKER} timeout ")), "{ipset}");
        // fail2ban lifts it: dfw-cli unban.
        assert!(client(&["set", "dfwtest", "unbanip", ATTACKER]));
        wait_for("unban", &conf, || !bans().contains(ATTACKER));
        assert!(client(&["stop"]));
        std::fs::remove_dir_all(&dir).unwrap();
    });
}
