//! The SSH lockout guard from the kernel, with a real sshd (Debian's openssh-server, a
//! throwaway host key, port 2222) in the dfw host's namespace and TCP sessions to it from a
//! client namespace behind `eth0` (external), from a LAN namespace behind `eth1` (not
//! external) and over loopback; `SSH_CONNECTION` empty or garbage, as under systemd:
//! - a policy refusing new connections to 2222 on eth0 is refused while a client holds a
//!   session (IPv4 and IPv6), naming the client and the rule, the kernel unchanged; `plan`
//!   warns; `--force` commits; a policy allowing 2222 commits;
//! - `rollback` to such a state is refused the same way (unless `--force`);
//! - sessions over loopback and over the internal interface are not a lockout;
//! - `watch` refuses a reload that would cut a session (logged REFUSED, the old policy
//!   stays) and applies it once no session is left (SIGHUP).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::support::state::{bin, write_policy};
use crate::support::watch_proc::{rewrite, Watch};
use crate::support::{dfw_lines, stderr, Netns};
use dfw_netlink::transport::testkit::{kernel_gate, run_cmd};

/// dfw's rules in iptables-save form (the nft listing's counters move with the sessions).
fn rules(dump: &str) -> Vec<String> {
    dfw_lines(dump)
        .into_iter()
        .filter(|l| l.starts_with("-A") || l.starts_with(':'))
        .collect()
}

const SSHD: &str = "/usr/sbin/sshd";

/// One lab (three namespaces, a real sshd, sessions) at a time.
static ONE_LAB: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `host = true` on eth0 allowing `ports`.
fn policy(ports: &str) -> String {
    format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [{ports}]\n"
    )
}

fn ip(args: &[&str]) {
    run_cmd("ip", args).unwrap();
}

/// The host `srv` with eth0 to `cli` (192.0.2.0/24, 2001:db8::/64) and eth1 to `lan`
/// (198.51.100.0/24), a real sshd listening on 2222.
struct Lab {
    srv: Netns,
    cli: Netns,
    lan: Netns,
    sshd: Child,
    keydir: std::path::PathBuf,
}

impl Lab {
    fn new(tag: &str) -> Lab {
        assert!(
            std::path::Path::new(SSHD).exists(),
            "{SSHD} missing: install openssh-server (.ci/setup does)"
        );
        let (srv, cli, lan) = (
            Netns::new(&format!("{tag}-srv")),
            Netns::new(&format!("{tag}-cli")),
            Netns::new(&format!("{tag}-lan")),
        );
        srv.docker_29();
        ip(&[
            "link", "add", "eth0", "netns", &srv.name, "type", "veth", "peer", "name", "eth0",
            "netns", &cli.name,
        ]);
        ip(&[
            "link", "add", "eth1", "netns", &srv.name, "type", "veth", "peer", "name", "eth0",
            "netns", &lan.name,
        ]);
        for (ns, dev, v4, v6) in [
            (&srv, "eth0", "192.0.2.1/24", "2001:db8::1/64"),
            (&cli, "eth0", "192.0.2.2/24", "2001:db8::2/64"),
            (&srv, "eth1", "198.51.100.1/24", "2001:db8:1::1/64"),
            (&lan, "eth0", "198.51.100.2/24", "2001:db8:1::2/64"),
        ] {
            ip(&["-n", &ns.name, "addr", "add", v4, "dev", dev]);
            ip(&["-n", &ns.name, "addr", "add", v6, "dev", dev, "nodad"]);
            ip(&["-n", &ns.name, "link", "set", dev, "up"]);
            ip(&["-n", &ns.name, "link", "set", "lo", "up"]);
        }
        let keydir = std::env::temp_dir().join(format!("{}-keys", srv.name));
        let _ = std::fs::remove_dir_all(&keydir);
        std::fs::create_dir(&keydir).unwrap();
        let key = keydir.join("host_ed25519");
        run_cmd(
            "ssh-keygen",
            &["-q", "-t", "ed25519", "-N", "", "-f", key.to_str().unwrap()],
        )
        .unwrap();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let mut sshd = Command::new("ip")
            .args([
                "netns",
                "exec",
                &srv.name,
                SSHD,
                "-D",
                "-e",
                "-f",
                "/dev/null",
                "-p",
                "2222",
            ])
            .args([
                "-o",
                "ListenAddress=0.0.0.0",
                "-o",
                "ListenAddress=::",
                "-o",
                "PidFile=none",
            ])
            .arg("-h")
            .arg(&key)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // sshd -D -e says "Server listening on ..." once per address.
        let mut err = BufReader::new(sshd.stderr.take().unwrap());
        let mut listening = 0;
        while listening < 2 {
            let mut line = String::new();
            assert!(err.read_line(&mut line).unwrap() > 0, "sshd did not start");
            if line.contains("Server listening") {
                listening += 1;
            }
        }
        std::thread::spawn(move || for _ in err.lines() {});
        Lab {
            srv,
            cli,
            lan,
            sshd,
            keydir,
        }
    }

    /// A TCP session from namespace `from` to `addr` port 2222, open until dropped.
    fn session(&self, from: &Netns, addr: &str) -> Session {
        let script =
            format!("exec 3<>/dev/tcp/{addr}/2222 && echo connected && exec cat <&3 >/dev/null");
        let mut child = Command::new("ip")
            .args(["netns", "exec", &from.name, "bash", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "connected", "{addr}");
        Session(child)
    }

    /// dfw-cli in the host namespace with `SSH_CONNECTION` set to `env` (empty: none).
    fn dfw(&self, args: &[&str], env: &str) -> std::process::Output {
        self.srv.cli_env(args, &[("SSH_CONNECTION", env)])
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.sshd.kill();
        let _ = self.sshd.wait();
        let _ = std::fs::remove_dir_all(&self.keydir);
        let _ = (&self.cli, &self.lan);
    }
}

struct Session(Child);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn kernel_cli_ssh_guard_sees_live_sessions_from_the_kernel() {
    if !kernel_gate("kernel_cli_ssh_guard_sees_live_sessions_from_the_kernel") {
        return;
    }
    let _one = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::new("ssh");
    let blocks = write_policy(&lab.srv, "blocks", &policy("\"80/tcp\""));
    let allows = write_policy(&lab.srv, "allows", &policy("\"80/tcp\", \"2222/tcp\""));
    let before = rules(&lab.srv.dump());
    {
        let _s = lab.session(&lab.cli, "192.0.2.1");
        for env in ["", "garbage"] {
            let o = lab.dfw(&["commit", "-c", &blocks], env);
            assert_eq!(o.status.code(), Some(1), "{o:?}");
            let e = stderr(&o);
            assert!(e.contains("would lock out SSH"), "{e}");
            assert!(
                e.contains("192.0.2.2:") && e.contains("-> 192.0.2.1:2222/tcp"),
                "{e}"
            );
            assert!(e.contains("arriving on eth0"), "{e}");
            assert!(
                e.contains("-A DFW-INPUT-EXT") && e.contains("REJECT"),
                "{e}"
            );
            assert_eq!(
                rules(&lab.srv.dump()),
                before,
                "a refused commit changed the kernel"
            );
        }
        let o = lab.dfw(&["plan", "-c", &blocks], "");
        assert_eq!(o.status.code(), Some(2), "{o:?}");
        assert!(
            stderr(&o).contains("warning:") && stderr(&o).contains("192.0.2.2:"),
            "{o:?}"
        );
        let o = lab.dfw(&["commit", "-c", &allows], "");
        assert!(o.status.success(), "{o:?}");
        // Rollback would restore a state without dfw: that is no lockout.
        let o = lab.dfw(&["rollback"], "");
        assert!(o.status.success(), "{o:?}");
        let o = lab.dfw(&["commit", "-c", &blocks, "--force"], "");
        assert!(o.status.success(), "{o:?}");
        let o = lab.dfw(&["commit", "-c", &allows], "");
        assert!(o.status.success(), "{o:?}");
        // Now the rollback point refuses the session.
        let held = rules(&lab.srv.dump());
        let o = lab.dfw(&["rollback"], "");
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert!(stderr(&o).contains("192.0.2.2:"), "{o:?}");
        assert_eq!(rules(&lab.srv.dump()), held);
        let o = lab.dfw(&["rollback", "--force"], "");
        assert!(o.status.success(), "{o:?}");
        let o = lab.dfw(&["commit", "-c", &allows], "");
        assert!(o.status.success(), "{o:?}");
    }
    // IPv6.
    {
        let _s = lab.session(&lab.cli, "2001:db8::1");
        let held = rules(&lab.srv.dump());
        let o = lab.dfw(&["commit", "-c", &blocks], "");
        assert_eq!(o.status.code(), Some(1), "{o:?}");
        assert!(stderr(&o).contains("[2001:db8::2]:"), "{o:?}");
        assert_eq!(rules(&lab.srv.dump()), held);
    }
    // Over loopback and over the internal interface: no lockout.
    {
        let _a = lab.session(&lab.srv, "127.0.0.1");
        let _b = lab.session(&lab.lan, "198.51.100.1");
        let _c = lab.session(&lab.lan, "2001:db8:1::1");
        let o = lab.dfw(&["commit", "-c", &blocks], "");
        assert!(o.status.success(), "a false positive: {o:?}");
    }
}

#[test]
fn kernel_cli_watch_reload_refused_while_it_would_cut_a_session() {
    if !kernel_gate("kernel_cli_watch_reload_refused_while_it_would_cut_a_session") {
        return;
    }
    let _one = ONE_LAB.lock().unwrap_or_else(|e| e.into_inner());
    let lab = Lab::new("sshw");
    let f = write_policy(&lab.srv, "watched", &policy("\"80/tcp\", \"2222/tcp\""));
    let wait = std::time::Duration::from_secs(20);
    let mut w = Watch::start(&bin(), &lab.srv.name, &f, &lab.srv.state);
    w.expect("watching", wait);
    let allowed = rules(&lab.srv.dump());
    assert!(allowed.iter().any(|l| l.contains("--dport 2222 ")));
    {
        let _s = lab.session(&lab.cli, "192.0.2.1");
        rewrite(&f, &policy("\"80/tcp\""));
        let line = w.expect("REFUSED", wait);
        assert!(
            line.contains("192.0.2.2:") && line.contains("2222/tcp"),
            "{line}"
        );
        assert_eq!(
            rules(&lab.srv.dump()),
            allowed,
            "the reload cut the session"
        );
    }
    w.signal("HUP");
    w.expect("repaired after config reload", wait);
    assert!(!rules(&lab.srv.dump())
        .iter()
        .any(|l| l.contains("--dport 2222 ")));
}
