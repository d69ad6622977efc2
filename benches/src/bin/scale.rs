//! `dfw-scale`: dfw-cli against big rulesets, each measurement in a fresh private network
//! namespace, as the wall, user and system time (getrusage of the children) of one command:
//! - `restore -n` of an N-rule file over itself (the file as iptables-save writes it: the
//!   built-in chains declared, then one user chain of N rules), dfw-cli against
//!   `iptables-nft-restore -n`, and the reads of that ruleset (`dfw-cli save`,
//!   `iptables-nft-save`, up to 200,000 rules): what reading a long chain back from the
//!   kernel costs anyone;
//! - a dfw policy of about N rules (`dfw_benches::config_with_rules`): first `commit`, a
//!   no-op `commit`, `status`, and `audit`.
//!
//! Usage: `dfw-scale [--restore 100000,1000000] [--policy 200000] [--audit 100000]
//! [--dfw-cli PATH]` (root; an empty list skips a part). The host's ruleset is never touched:
//! every command runs in a namespace made for it.
#![allow(unsafe_code)] // getrusage(2): the only FFI, see `rusage`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dfw_netlink::transport::testkit::in_private_netns;

/// User and system time of the children waited for so far.
fn rusage() -> (Duration, Duration) {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one struct rusage into the valid, zeroed buffer.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, ru.as_mut_ptr()) };
    if rc != 0 {
        return (Duration::ZERO, Duration::ZERO);
    }
    // SAFETY: zero-initialised and filled by getrusage; every bit pattern is valid.
    let ru = unsafe { ru.assume_init() };
    let t = |v: libc::timeval| {
        Duration::from_secs(v.tv_sec as u64) + Duration::from_micros(v.tv_usec as u64)
    };
    (t(ru.ru_utime), t(ru.ru_stime))
}

/// Wall, user and system time of one command.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    user: Duration,
    sys: Duration,
}

/// Runs `program args` from the calling thread (so in its namespace), stdout discarded;
/// exits the measurement when it fails (`ok_codes`: exit codes that are not failures).
fn run(program: &str, args: &[&str], ok_codes: &[i32]) -> Sample {
    let cpu0 = rusage();
    let t = Instant::now();
    let out = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let wall = t.elapsed();
    let code = out.status.code().unwrap_or(-1);
    if !out.status.success() && !ok_codes.contains(&code) {
        panic!(
            "{program} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cpu1 = rusage();
    Sample {
        wall,
        user: cpu1.0.saturating_sub(cpu0.0),
        sys: cpu1.1.saturating_sub(cpu0.1),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn row(what: &str, s: Sample) {
    println!(
        "| {what} | {} | {} | {} |",
        secs(s.wall),
        secs(s.user),
        secs(s.sys)
    );
}

/// An N-rule file as iptables-save writes one: built-ins declared, then chain BENCH.
fn saved_form(n: usize) -> String {
    let mut s = String::with_capacity(n * 96);
    s.push_str("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
    s.push_str(":BENCH - [0:0]\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "-A BENCH -s 10.{}.{}.{}/32 -p tcp -m tcp --dport {} -m conntrack --ctstate NEW -j ACCEPT",
            (i >> 16) & 0xff,
            (i >> 8) & 0xff,
            i & 0xff,
            1024 + i % 60_000
        );
    }
    s.push_str("COMMIT\n");
    s
}

fn in_netns<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    in_private_netns(f).expect("private network namespace (root?)")
}

/// The largest one-chain ruleset read back with `dfw-cli save` and `iptables-nft-save`.
const READ_BACK_MAX: usize = 200_000;

fn restore_part(cli: &str, dir: &Path, sizes: &[usize]) {
    if sizes.is_empty() {
        return;
    }
    println!("\n### restore -n of an N-rule file over itself, and reading it back");
    println!("| N rules: command | wall s | user s | sys s |");
    println!("|---|---:|---:|---:|");
    for &n in sizes {
        let file = dir.join(format!("saved-{n}.rules"));
        std::fs::write(&file, saved_form(n)).expect("write rules");
        let f = file.to_string_lossy().into_owned();
        // Reading a chain back costs the kernel ~n^2/100 steps, whoever reads it: the reads
        // are timed up to READ_BACK_MAX rules only.
        let read_back = n <= READ_BACK_MAX;
        let (dfw, dfw_read) = in_netns(|| {
            run(cli, &["restore", "-n", &f], &[]);
            let again = run(cli, &["restore", "-n", &f], &[]);
            (again, read_back.then(|| run(cli, &["save"], &[])))
        });
        let (ipt, ipt_read) = in_netns(|| {
            run("iptables-nft-restore", &["-n", &f], &[]);
            let again = run("iptables-nft-restore", &["-n", &f], &[]);
            (again, read_back.then(|| run("iptables-nft-save", &[], &[])))
        });
        row(&format!("{n}: dfw-cli restore -n, over itself"), dfw);
        row(&format!("{n}: iptables-nft-restore -n, over itself"), ipt);
        if let (Some(d), Some(i)) = (dfw_read, ipt_read) {
            row(&format!("{n}: dfw-cli save"), d);
            row(&format!("{n}: iptables-nft-save"), i);
        }
        let cpu = |s: Sample| (s.user + s.sys).as_secs_f64();
        println!(
            "| {n}: dfw-cli / iptables-nft-restore, over itself (wall; user + sys) | {:.2}x | {:.2}x | |",
            dfw.wall.as_secs_f64() / ipt.wall.as_secs_f64(),
            cpu(dfw) / cpu(ipt)
        );
        let _ = std::fs::remove_file(&file);
    }
}

/// A namespace that looks like a Docker host to a policy: an `eth0` (veth) with an address
/// and a default route, and DOCKER-USER in both families.
fn docker_like() {
    for (p, a) in [
        ("ip", "link add eth0 type veth peer name eth0p"),
        ("ip", "addr add 192.0.2.1/24 dev eth0"),
        ("ip", "link set eth0 up"),
        ("ip", "link set eth0p up"),
        ("ip", "link set lo up"),
        ("ip", "route add default via 192.0.2.254"),
        ("iptables", "-w -N DOCKER-USER"),
        ("ip6tables", "-w -N DOCKER-USER"),
    ] {
        let args: Vec<&str> = a.split(' ').collect();
        run(p, &args, &[]);
    }
}

fn policy_part(cli: &str, dir: &Path, sizes: &[usize], audit: bool) {
    if sizes.is_empty() {
        return;
    }
    if audit {
        println!("\n### audit of a committed policy of about N rules");
    } else {
        println!("\n### commit, no-op commit and status of a policy of about N rules");
    }
    println!("| N rules: command | wall s | user s | sys s |");
    println!("|---|---:|---:|---:|");
    for &n in sizes {
        let file = dir.join(format!("policy-{n}.toml"));
        std::fs::write(&file, dfw_benches::config_with_rules(n)).expect("write policy");
        let f = file.to_string_lossy().into_owned();
        let state = dir.join(format!("state-{n}-{audit}"));
        let st = state.to_string_lossy().into_owned();
        let samples = in_netns(|| {
            docker_like();
            let first = run(cli, &["commit", "-c", &f, "--state-dir", &st], &[]);
            if audit {
                return vec![("audit", run(cli, &["audit", "-c", &f], &[]))];
            }
            vec![
                ("commit (first)", first),
                (
                    "commit (no-op)",
                    run(cli, &["commit", "-c", &f, "--state-dir", &st], &[]),
                ),
                (
                    "status",
                    run(cli, &["status", "-c", &f, "--state-dir", &st], &[]),
                ),
            ]
        });
        for (what, s) in samples {
            row(&format!("{n}: dfw-cli {what}"), s);
        }
        let _ = std::fs::remove_dir_all(&state);
        let _ = std::fs::remove_file(&file);
    }
}

struct Args {
    restore: Vec<usize>,
    policy: Vec<usize>,
    audit: Vec<usize>,
    dfw_cli: PathBuf,
}

fn sizes(v: &str) -> Vec<usize> {
    v.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.replace('_', "").parse().expect("sizes: N,N,..."))
        .collect()
}

fn args() -> Args {
    let exe = std::env::current_exe().expect("own path");
    let mut a = Args {
        restore: vec![100_000],
        policy: vec![200_000],
        audit: vec![100_000],
        dfw_cli: exe.with_file_name("dfw-cli"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--restore" => a.restore = sizes(&v),
            "--policy" => a.policy = sizes(&v),
            "--audit" => a.audit = sizes(&v),
            "--dfw-cli" => a.dfw_cli = v.into(),
            _ => panic!(
                "usage: dfw-scale [--restore N,..] [--policy N,..] [--audit N,..] [--dfw-cli PATH]"
            ),
        }
    }
    a
}

fn main() {
    let a = args();
    let cli = a.dfw_cli.to_string_lossy().into_owned();
    let dir = std::env::temp_dir().join(format!("dfw-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!("dfw-scale: one run per row, each part in a fresh network namespace ({cli})");
    restore_part(&cli, &dir, &a.restore);
    policy_part(&cli, &dir, &a.policy, false);
    policy_part(&cli, &dir, &a.audit, true);
    let _ = std::fs::remove_dir_all(&dir);
}
