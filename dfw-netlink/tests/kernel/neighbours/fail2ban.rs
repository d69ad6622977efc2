//! fail2ban (Debian 12's 1.0.2) and a CrowdSec-style set match next to dfw in the simulated
//! Docker host, under dfw's watch. fail2ban runs inside the host namespace with its
//! configuration (the package's actions and filters, copied), socket, pid file, log and an
//! in-memory database in a temporary directory; it bans a source it reads from a log file:
//! `iptables-multiport` on INPUT (port 22) and on DOCKER-USER (published 8080, so the
//! container's port 80: DOCKER-USER sees packets after Docker's DNAT), and
//! `iptables-ipset-proto6` on INPUT (9999) and, for IPv6 sources read from a second log, on
//! DOCKER-USER (the set `f2b-web6`). Each inserts its jump at the top of its chain,
//! above dfw's: the watch moves dfw's jump back on top (dfw's own rule, nothing else), the
//! bans still hold for what dfw lets through (its forwarded path RETURNs), and whatever
//! `explain` says with certainty agrees with the real connections.

use dfw_core::model::Family;
use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{DockerHost, NetNs, Probe};

use super::lab::{
    commit, connect, others_save, sh, tcp, wait_until, with_watch, MachineRuleset, TempDir,
    REACTION,
};
use crate::support::{load_fixture, Fixture};

/// The log of the `sshd`, `docker` and `app` jails.
const AUTH: &str = "auth.log";
/// The log of the `web` jail.
const AUTH6: &str = "auth6.log";

/// A fail2ban server running in a namespace, stopped when dropped.
struct Fail2ban {
    dir: TempDir,
}

impl Fail2ban {
    /// Writes the configuration and starts the server in `ns`.
    fn start(ns: &NetNs, test: &str) -> Self {
        let dir = TempDir::new(&format!("{test}-f2b"));
        let d = dir.path().display().to_string();
        let setup = format!(
            "mkdir -p {d}/conf && cp -a /etc/fail2ban/action.d /etc/fail2ban/filter.d \
             /etc/fail2ban/paths-common.conf /etc/fail2ban/paths-debian.conf {d}/conf/ && \
             : > {d}/auth.log && : > {d}/auth6.log"
        );
        let ok = std::process::Command::new("sh")
            .args(["-c", &setup])
            .status()
            .unwrap();
        assert!(ok.success(), "{setup}");
        let conf = format!(
            "[Definition]\nloglevel = INFO\nlogtarget = {d}/fail2ban.log\n\
             syslogsocket = auto\nsocket = {d}/f2b.sock\npidfile = {d}/f2b.pid\n\
             dbfile = :memory:\ndbpurgeage = 1d\nallowipv6 = auto\n"
        );
        std::fs::write(dir.path().join("conf/fail2ban.conf"), conf).unwrap();
        let jail = |name: &str, port: u16, action: &str, chain: &str, log: &str| {
            format!(
                "[{name}]\nenabled = true\nfilter = sshd\nport = {port}\n\
                 logpath = {d}/{log}\nbanaction = {action}\nchain = {chain}\n"
            )
        };
        let jails = format!(
            "[INCLUDES]\nbefore = paths-debian.conf\n[DEFAULT]\nbackend = polling\n\
             maxretry = 1\nfindtime = 600\nbantime = 3600\nusedns = no\nprotocol = tcp\n\
             action = %(banaction)s[name=%(__name__)s, port=\"%(port)s\", \
             protocol=\"%(protocol)s\", chain=\"%(chain)s\"]\n{}{}{}{}",
            jail("sshd", HOST_SSH, "iptables-multiport", "INPUT", AUTH),
            // DOCKER-USER sees packets after Docker's DNAT: the container's port.
            jail(
                "docker",
                WEB_PORT,
                "iptables-multiport",
                "DOCKER-USER",
                AUTH
            ),
            jail("app", HOST_APP, "iptables-ipset-proto6", "INPUT", AUTH),
            // The ipset action on DOCKER-USER, fed by its own log (IPv6 sources).
            jail(
                "web",
                WEB_PORT,
                "iptables-ipset-proto6",
                "DOCKER-USER",
                AUTH6
            ),
        );
        std::fs::write(dir.path().join("conf/jail.conf"), jails).unwrap();
        sh(
            ns,
            &format!("fail2ban-server -b -x -c {d}/conf -s {d}/f2b.sock -p {d}/f2b.pid"),
        );
        Fail2ban { dir }
    }

    /// Appends an sshd failure line for `src` to the log `log` (in the configuration's
    /// directory) that fail2ban reads.
    fn fail(&self, log: &str, src: std::net::IpAddr) {
        use std::io::Write;
        let mut log = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join(log))
            .unwrap();
        // The sshd filter reads syslog's timestamp; fail2ban takes a year-less one as now.
        let now = std::process::Command::new("date")
            .arg("+%b %e %H:%M:%S")
            .output()
            .unwrap();
        let stamp = String::from_utf8_lossy(&now.stdout).trim().to_string();
        writeln!(
            log,
            "{stamp} host sshd[4242]: Failed password for root from {src} port 50000 ssh2"
        )
        .unwrap();
    }
}

impl Drop for Fail2ban {
    fn drop(&mut self) {
        let d = self.dir.path().display();
        let _ = std::process::Command::new("fail2ban-client")
            .args(["-s", &format!("{d}/f2b.sock"), "stop"])
            .output();
    }
}

#[test]
fn kernel_fail2ban_bans_next_to_dfw() {
    let test = "kernel_fail2ban_next_to_dfw";
    if !dfw_netlink::transport::testkit::kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let h = DockerHost::start().expect("simulated host");
    let ns = h.host();
    load_fixture(ns, Fixture::Docker29V4);
    load_fixture(ns, Fixture::Docker29V6);
    let state = TempDir::new(test);
    commit(ns, state.path());
    with_watch(ns, &state, |lab| {
        lab.wait_repaired("the watch's start");
        let f2b = Fail2ban::start(ns, test);
        f2b.fail(AUTH, STRANGER_V4);
        f2b.fail(AUTH6, STRANGER_V6);
        wait_until("fail2ban's four bans", REACTION, || {
            let rules = sh(ns, "iptables -S");
            let rules6 = sh(ns, "ip6tables -S DOCKER-USER");
            rules.contains("-A f2b-sshd -s 198.51.100.200/32")
                && rules.contains("-A f2b-docker -s 198.51.100.200/32")
                && sh(ns, "ipset list f2b-app 2>/dev/null || true").contains("198.51.100.200")
                && rules6.contains("--match-set f2b-web6 src")
                && sh(ns, "ipset list f2b-web6 2>/dev/null || true").contains("3fff::7")
        });
        // fail2ban's jumps went in above dfw's: the watch moves dfw's back on top.
        lab.wait_repaired("fail2ban's jumps");
        let user = sh(ns, "iptables -S DOCKER-USER");
        assert!(
            user.lines()
                .nth(1)
                .is_some_and(|l| l.contains("--comment dfw")),
            "{user}"
        );
        let user6 = sh(ns, "ip6tables -S DOCKER-USER");
        assert!(
            user6
                .lines()
                .nth(1)
                .is_some_and(|l| l.contains("--comment dfw")),
            "{user6}"
        );
        let before = [others_save(ns, Family::Ipv4), others_save(ns, Family::Ipv6)];
        let cases = [
            // dfw lets 8080 through (RETURN): fail2ban's DOCKER-USER ban still refuses.
            (tcp(STRANGER_V4, HOST_V4, WEB_PUBLISHED), Probe::Refused),
            (tcp(IN_RANGE_V4, HOST_V4, WEB_PUBLISHED), Probe::Open),
            // dfw refuses 5432 for everyone, banned or not.
            (tcp(IN_RANGE_V4, HOST_V4, DB_PORT), Probe::Refused),
            // The host's own ports (host = false): fail2ban decides.
            (tcp(STRANGER_V4, HOST_V4, HOST_SSH), Probe::Refused),
            (tcp(IN_RANGE_V4, HOST_V4, HOST_SSH), Probe::Open),
            (tcp(STRANGER_V4, HOST_V4, HOST_APP), Probe::Refused),
            (tcp(IN_RANGE_V4, HOST_V4, HOST_APP), Probe::Open),
            // IPv6: dfw lets 8080 through, the ipset ban on DOCKER-USER refuses the banned.
            (tcp(STRANGER_V6, HOST_V6, WEB_PUBLISHED), Probe::Refused),
            (tcp(OTHER_V6, HOST_V6, WEB_PUBLISHED), Probe::Open),
        ];
        connect(&h, &cases, "fail2ban and dfw");
        assert_eq!(
            before,
            [others_save(ns, Family::Ipv4), others_save(ns, Family::Ipv6)]
        );
    });
    drop(h);
    machine.unchanged();
}

#[test]
fn kernel_crowdsec_set_match_next_to_dfw() {
    let test = "kernel_crowdsec_next_to_dfw";
    if !dfw_netlink::transport::testkit::kernel_gate(test) {
        return;
    }
    let machine = MachineRuleset::read();
    let h = DockerHost::start().expect("simulated host");
    let ns = h.host();
    load_fixture(ns, Fixture::Docker29V4);
    load_fixture(ns, Fixture::Docker29V6);
    let state = TempDir::new(test);
    commit(ns, state.path());
    with_watch(ns, &state, |lab| {
        lab.wait_repaired("the watch's start");
        // What the CrowdSec firewall bouncer (iptables mode) sets up, by hand.
        sh(ns, "ipset create crowdsec-blacklists hash:ip timeout 0");
        sh(
            ns,
            "ipset create crowdsec6-blacklists hash:ip family inet6 timeout 0",
        );
        for chain in ["INPUT", "DOCKER-USER"] {
            sh(
                ns,
                &format!(
                    "iptables -I {chain} 1 -m set --match-set crowdsec-blacklists src -j DROP"
                ),
            );
            sh(
                ns,
                &format!(
                    "ip6tables -I {chain} 1 -m set --match-set crowdsec6-blacklists src -j DROP"
                ),
            );
        }
        sh(ns, "ipset add crowdsec-blacklists 192.0.2.50");
        sh(ns, "ipset add crowdsec6-blacklists 3fff::7");
        lab.wait_repaired("the bouncer's rules");
        let before = [others_save(ns, Family::Ipv4), others_save(ns, Family::Ipv6)];
        let cases = [
            (tcp(STRANGER2_V4, HOST_V4, WEB_PUBLISHED), Probe::TimedOut),
            (tcp(STRANGER_V4, HOST_V4, WEB_PUBLISHED), Probe::Open),
            (tcp(STRANGER2_V4, HOST_V4, HOST_SSH), Probe::TimedOut),
            (tcp(STRANGER_V4, HOST_V4, HOST_SSH), Probe::Open),
            (tcp(STRANGER_V6, HOST_V6, WEB_PUBLISHED), Probe::TimedOut),
            (tcp(OTHER_V6, HOST_V6, WEB_PUBLISHED), Probe::Open),
            // Refused by dfw before the bouncer's rule is met.
            (tcp(STRANGER2_V4, HOST_V4, DB_PORT), Probe::Refused),
        ];
        connect(&h, &cases, "CrowdSec-style set and dfw");
        assert_eq!(
            before,
            [others_save(ns, Family::Ipv4), others_save(ns, Family::Ipv6)]
        );
    });
    drop(h);
    machine.unchanged();
}
