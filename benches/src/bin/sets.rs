//! `dfw-sets`: what long source lists cost, with dfw's sets and without.
//!
//! **Data plane: CPU per new flow** on the simulated Docker host (`dfw_netlink::sim`: an
//! "internet" namespace, the host with Docker 29's rules loaded by dfw's own restore, a
//! container behind `docker0` publishing 5353/udp -> 53). dfw commits a policy whose whitelist
//! has N entries (none of them the sender) and that allows 5353/udp to everyone, so each new
//! flow from the sender walks the whole whitelist, then is accepted, DNATed and forwarded to
//! the container. "dfw" is what dfw commits (one rule per entry up to 20, one `-m set` rule
//! beyond); "rules" forces one rule per entry. The sender, in the internet namespace, writes
//! raw UDP packets with a new source port each (a new conntrack entry each), in bursts of 64,
//! each sent once the host's conntrack has seen the one before (so the receive backlog never
//! overflows; the wait is off CPU). How the CPU is counted: the CPU time of the sending thread
//! (`getrusage(RUSAGE_THREAD)`, user + system) plus the time on CPU of every `ksoftirqd`
//! thread during the round (`/proc/PID/schedstat`). A veth transmit hands the packet to the
//! peer's backlog and runs the receive softirq when the sender re-enables bottom halves, in
//! the sender's context, so its time covers the whole path (conntrack, NAT, the FORWARD hook
//! with dfw's rules, the bridge, the container's socket); on a loaded machine the kernel
//! defers part of that work to `ksoftirqd`, which is why its time is added (it also holds
//! other namespaces' network work of the same moment: noise that only adds). The flows
//! counted are those that created a conntrack entry in the host (`nf_conntrack_count` before
//! and after the round); a round where fewer than 90% did is refused. Median over the rounds
//! of the CPU per flow.
//!
//! **Control plane**: `dfw-cli commit` of a policy with a 100,000-entry whitelist, then of the
//! same policy with one entry changed (wall time and maximum RSS of the process), and
//! `dfw-cli ban` / `unban` with 100,000 bans present (wall time per call); each in a fresh
//! private network namespace, the release `dfw-cli` next to this binary.
//!
//! Usage: `dfw-sets [--rounds R] [--flows F] [--sizes 10,1000,10000,100000] [--no-rules]
//! [--dfw-cli PATH]` (root; `--sizes ""` measures the control plane only). The host's
//! ruleset, sets and connections are never touched.
#![allow(unsafe_code)] // raw sockets, getrusage(2), wait4(2): see each `SAFETY`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dfw_core::model::{Family, Iface, Network};
use dfw_core::policy::{CompileInputs, Policy};
use dfw_core::syntax::RestoreScript;
use dfw_netlink::enforce;
use dfw_netlink::firewall::{Firewall, RestoreOptions};
use dfw_netlink::ipset::{Entry, IpsetClient};
use dfw_netlink::sets::bans::ban_set;
use dfw_netlink::sim::topology::{HOST_V4, STRANGER_V4};
use dfw_netlink::sim::{DockerHost, Side};
use dfw_netlink::transport::testkit::in_private_netns;

/// Docker 29's IPv4 rules (testdata/docker/docker-29.v4, through the symlink in
/// benches/fixtures so that the packaged crate holds it).
const DOCKER29_V4: &str = include_str!("../../fixtures/docker-29.v4");

struct Args {
    rounds: usize,
    flows: usize,
    sizes: Vec<usize>,
    rules_mode: bool,
    dfw_cli: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        rounds: 6,
        flows: 10_000,
        sizes: vec![10, 1_000, 10_000, 100_000],
        rules_mode: true,
        dfw_cli: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("dfw-cli")))
            .unwrap_or_else(|| "dfw-cli".into()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        let mut value = || it.next().unwrap_or_default();
        match x.as_str() {
            "--rounds" => a.rounds = value().parse::<usize>().expect("--rounds R").max(1),
            "--flows" => a.flows = value().parse().expect("--flows F"),
            "--sizes" => {
                a.sizes = value()
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().expect("--sizes N,N,..."))
                    .collect()
            }
            "--no-rules" => a.rules_mode = false,
            "--dfw-cli" => a.dfw_cli = value().into(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

/// CPU time (user + system) of the calling thread (`getrusage(RUSAGE_THREAD)`).
fn thread_cpu() -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one struct rusage into the valid, zeroed buffer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, ru.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage");
    // SAFETY: zero-initialised and filled by getrusage.
    let ru = unsafe { ru.assume_init() };
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Nanoseconds on CPU of the thread `path` names (`/proc/.../schedstat`, first field).
fn schedstat(path: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The schedstat paths of every `ksoftirqd/N` thread.
fn ksoftirqd() -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.starts_with("ksoftirqd/") {
            out.push(format!("/proc/{pid}/schedstat"));
        }
    }
    out
}

fn softirq_time(threads: &[String]) -> u64 {
    threads.iter().map(|p| schedstat(p)).sum()
}

/// N whitelisted /32s in 10.0.0.0/8 (never the sender).
fn whitelist(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff))
        .collect()
}

fn policy_text(n: usize) -> String {
    let list: Vec<String> = whitelist(n).iter().map(|a| format!("\"{a}\"")).collect();
    format!(
        "[interfaces]\nexternal = [\"eth0\"]\n[[allow]]\nports = [\"5353/udp\"]\n\
         [whitelist]\nsources = [{}]\n",
        list.join(", ")
    )
}

/// A raw IPv4 socket that sends whole packets (`IP_HDRINCL`).
struct RawSocket(libc::c_int);

impl RawSocket {
    fn open() -> RawSocket {
        // SAFETY: plain socket(2) call; the descriptor is owned by the returned value.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW) };
        assert!(fd >= 0, "raw socket: {}", std::io::Error::last_os_error());
        RawSocket(fd)
    }

    fn send(&self, packet: &[u8], dst: Ipv4Addr) {
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes(dst.octets()),
            },
            sin_zero: [0; 8],
        };
        // SAFETY: `packet` and `addr` are valid for the lengths given.
        let rc = unsafe {
            libc::sendto(
                self.0,
                packet.as_ptr().cast(),
                packet.len(),
                0,
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        assert_eq!(
            rc,
            packet.len() as isize,
            "sendto: {}",
            std::io::Error::last_os_error()
        );
    }
}

impl Drop for RawSocket {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// An IPv4/UDP packet from `src:sport` to `dst:dport` with 8 bytes of payload (the kernel
/// fills the IP checksum and length; UDP checksum 0: none).
fn udp_packet(src: Ipv4Addr, sport: u16, dst: Ipv4Addr, dport: u16) -> [u8; 36] {
    let mut p = [0u8; 36];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&36u16.to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&src.octets());
    p[16..20].copy_from_slice(&dst.octets());
    p[20..22].copy_from_slice(&sport.to_be_bytes());
    p[22..24].copy_from_slice(&dport.to_be_bytes());
    p[24..26].copy_from_slice(&16u16.to_be_bytes());
    p[28..36].copy_from_slice(b"dfwflow!");
    p
}

fn v4(a: IpAddr) -> Ipv4Addr {
    match a {
        IpAddr::V4(a) => a,
        IpAddr::V6(_) => panic!("IPv4 expected"),
    }
}

/// The host's `nf_conntrack_count`, opened in its namespace (a net sysctl file answers for
/// the namespace it was opened in, whoever reads it later).
fn conntrack_counter(h: &DockerHost) -> std::fs::File {
    h.host()
        .run(|| std::fs::File::open("/proc/sys/net/netfilter/nf_conntrack_count").unwrap())
        .unwrap()
}

fn read_count(f: &std::fs::File) -> u64 {
    use std::os::unix::fs::FileExt;
    let mut buf = [0u8; 32];
    let n = f.read_at(&mut buf, 0).unwrap_or(0);
    std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

/// CPU per new flow (median over the rounds) with a whitelist of `n`, as dfw commits it or
/// (`rules`) one rule per entry.
fn per_flow(n: usize, rules: bool, a: &Args) -> (Duration, String) {
    let h = DockerHost::start().expect("simulated host");
    let form = h
        .host()
        .run(|| {
            let mut fw = Firewall::open().unwrap();
            let script = RestoreScript::parse(Family::Ipv4, DOCKER29_V4).unwrap();
            fw.restore(&script, RestoreOptions::default()).unwrap();
            let p = Policy::from_toml(&policy_text(n), "bench.toml").unwrap();
            let ext = [Iface::parse("eth0").unwrap()];
            let inputs = CompileInputs {
                sets: !rules,
                ..CompileInputs::default()
            };
            let c = p.compile_with(&ext, &inputs);
            let form = if c.sets.is_empty() {
                format!("{n} rules")
            } else {
                "1 set rule".to_string()
            };
            enforce::commit_compiled_unguarded(&mut fw, ext.to_vec(), &c).unwrap();
            form
        })
        .unwrap();
    let (src, dst) = (v4(STRANGER_V4), v4(HOST_V4));
    let mut samples = Vec::new();
    let mut sport: u16 = 1024;
    // Flows are counted by the host's conntrack count: no entry may expire during the
    // measurement (unreplied UDP entries last 30 s, less than a few rounds at 100,000 rules,
    // which made the count stall as old entries left while new ones came).
    h.host()
        .run(|| std::fs::write("/proc/sys/net/netfilter/nf_conntrack_udp_timeout", "3600"))
        .unwrap()
        .expect("nf_conntrack_udp_timeout");
    let counter = conntrack_counter(&h);
    for _ in 0..a.rounds {
        let before = read_count(&counter);
        let packets: Vec<[u8; 36]> = (0..a.flows)
            .map(|_| {
                sport = if sport == u16::MAX { 1024 } else { sport + 1 };
                udp_packet(src, sport, dst, 5353)
            })
            .collect();
        let soft = ksoftirqd();
        let k0 = softirq_time(&soft);
        let cpu = h
            .ns(Side::Internet)
            .run(|| {
                let s = RawSocket::open();
                let t0 = thread_cpu();
                let mut sent = 0u64;
                for burst in packets.chunks(64) {
                    for p in burst {
                        s.send(p, dst);
                    }
                    sent += burst.len() as u64;
                    // Until the host has seen the burst (work deferred to ksoftirqd done), at
                    // most 2 s; off CPU between looks. Keeps the backlog from overflowing.
                    let deadline = Instant::now() + Duration::from_secs(2);
                    while read_count(&counter) < before + sent * 95 / 100
                        && Instant::now() < deadline
                    {
                        std::thread::sleep(Duration::from_micros(500));
                    }
                }
                (thread_cpu() - t0).as_nanos() as u64
            })
            .unwrap();
        let soft_ns = softirq_time(&soft).saturating_sub(k0);
        let created = read_count(&counter).saturating_sub(before);
        assert!(
            created as usize >= a.flows * 9 / 10,
            "only {created} of {} flows reached the host's conntrack",
            a.flows
        );
        if std::env::var_os("DFW_SETS_DEBUG").is_some() {
            eprintln!(
                "n={n} rules={rules}: {created} flows, sender {cpu} ns, ksoftirqd {soft_ns} ns"
            );
        }
        samples.push(Duration::from_nanos((cpu + soft_ns) / created.max(1)));
    }
    h.shutdown().ok();
    samples.sort();
    (samples[samples.len() / 2], form)
}

/// Runs `dfw-cli args` from the calling thread; wall time and maximum RSS in KiB.
///
/// Measured by a copy of this program started with `--measure` (`measure`): a process's
/// maximum RSS includes what it held before its `exec` (the kernel keeps the high-water mark
/// of the replaced memory), and a child forked from this process, which may hold a
/// 100,000-rule data-plane run, starts with all of it. The copy is small when it forks.
fn cli(dfw_cli: &Path, args: &[&str]) -> (Duration, i64) {
    let me = std::env::current_exe().expect("this program's path");
    let out = Command::new(me)
        .arg("--measure")
        .arg(dfw_cli)
        .args(args)
        .env_remove("SSH_CONNECTION")
        .stderr(Stdio::inherit())
        .output()
        .expect("dfw-sets --measure");
    assert!(out.status.success(), "dfw-cli {args:?} failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut w = text.split_whitespace().map(|x| x.parse::<i64>().unwrap());
    let (wall, rss) = (w.next().unwrap(), w.next().unwrap());
    (Duration::from_nanos(wall as u64), rss)
}

/// `--measure PROGRAM ARGS...`: runs it, prints its wall time in ns and maximum RSS in KiB.
// The child is reaped by wait4 (which also gives its rusage), not by Child::wait.
#[allow(clippy::zombie_processes)]
fn measure(program: &str, args: &[String]) -> ! {
    let t = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: wait4 writes one int and one struct rusage into valid buffers.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, ru.as_mut_ptr()) };
    let wall = t.elapsed();
    assert_eq!(rc, pid, "wait4");
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    // SAFETY: filled by wait4.
    let ru = unsafe { ru.assume_init() };
    println!("{} {}", wall.as_nanos(), ru.ru_maxrss);
    std::process::exit(if ok { 0 } else { 1 })
}

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn control_plane(a: &Args) {
    let dir = std::env::temp_dir().join(format!("dfw-sets-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("100k.toml");
    let second = dir.join("100k-changed.toml");
    let text = policy_text(100_000);
    std::fs::write(&first, &text).unwrap();
    std::fs::write(&second, text.replace("\"10.1.134.159\"", "\"192.0.2.99\"")).unwrap();
    let state = dir.join("state");
    let state_s = state.to_str().unwrap().to_string();
    let (mut full, mut one, mut ban, mut unban) = (vec![], vec![], vec![], vec![]);
    for _ in 0..a.rounds {
        in_private_netns(|| {
            let c = |f: &Path| {
                cli(
                    &a.dfw_cli,
                    &["commit", "-c", f.to_str().unwrap(), "--state-dir", &state_s],
                )
            };
            full.push(c(&first));
            one.push(c(&second));
            // 100,000 bans present, then one ban and one unban.
            std::fs::write(
                dir.join("bl.toml"),
                "[interfaces]\nexternal = [\"eth0\"]\n[blocklist]\n",
            )
            .unwrap();
            cli(
                &a.dfw_cli,
                &[
                    "commit",
                    "-c",
                    dir.join("bl.toml").to_str().unwrap(),
                    "--state-dir",
                    &state_s,
                ],
            );
            let mut t = dfw_netlink::NetlinkTransport::new(
                dfw_netlink::transport::NetlinkSocket::open().unwrap(),
            );
            let entries: Vec<Entry> = (0..100_000u32)
                .map(|i| Entry {
                    net: Network::host(IpAddr::from((0x0a00_0000 + i).to_be_bytes())),
                    timeout: Some(86_400),
                })
                .collect();
            IpsetClient::new(&mut t)
                .add_all(&ban_set(Family::Ipv4), &entries, false)
                .unwrap();
            ban.push(cli(&a.dfw_cli, &["ban", "198.51.100.77", "--for", "1h"]).0);
            unban.push(cli(&a.dfw_cli, &["unban", "198.51.100.77"]).0);
        })
        .unwrap();
        let _ = std::fs::remove_dir_all(&state);
    }
    let row = |what: &str, v: &[(Duration, i64)]| {
        let wall = median(v.iter().map(|x| x.0).collect());
        let rss = median(v.iter().map(|x| x.1).collect());
        println!("| {what} | {} | {:.1} |", ms(wall), rss as f64 / 1024.0);
    };
    println!("\n| dfw-cli, 100,000-entry whitelist | wall ms | max RSS MiB |");
    println!("|---|---:|---:|");
    row("commit (fresh: set created and filled, rules)", &full);
    row("commit with one entry changed (1 ADD + 1 DEL)", &one);
    println!("| ban, 100,000 bans present | {} | |", ms(median(ban)));
    println!("| unban, 100,000 bans present | {} | |", ms(median(unban)));
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--measure") {
        measure(&argv[2], &argv[3..]);
    }
    let a = args();
    println!(
        "CPU per new flow (median of {} rounds of {} flows), whitelist of N entries",
        a.rounds, a.flows
    );
    println!("\n| N | dfw | ns/flow | rules: ns/flow | rules / dfw |");
    println!("|---:|---|---:|---:|---:|");
    let mut first = None;
    for &n in &a.sizes {
        let (dfw, form) = per_flow(n, false, &a);
        let rules = if a.rules_mode && n > 20 {
            Some(per_flow(n, true, &a).0)
        } else {
            None
        };
        let base = *first.get_or_insert(dfw);
        let r = rules.map_or("(same)".to_string(), |r| format!("{}", r.as_nanos()));
        let ratio = rules.map_or("1.00x".to_string(), |r| {
            format!("{:.2}x", r.as_secs_f64() / dfw.as_secs_f64())
        });
        println!(
            "| {n} | {form} | {} ({:.2}x the cost at {}) | {r} | {ratio} |",
            dfw.as_nanos(),
            dfw.as_secs_f64() / base.as_secs_f64(),
            a.sizes[0]
        );
    }
    control_plane(&a);
}
