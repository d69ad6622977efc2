//! `dfw-compare`: loads the same rules with dfw (library and CLI), `iptables-nft-restore -n`,
//! a shell loop of `iptables -A` and `nft -f` (native equivalent), each round in a fresh
//! private network namespace, and prints per tool the median wall time (process start to
//! exit, or the library call), the median system time (the kernel's share) and the ratio to
//! `dfw-cli restore`. Then one changed rule in a 10,000-rule chain: dfw's warm library
//! handle, `dfw-cli restore -n` and `iptables-nft-restore -n` reloading the chain. Then the
//! 10 and 1,000 rules again in a file as `iptables-save` writes one (the built-in chains
//! `INPUT`, `FORWARD` and `OUTPUT` declared with their policies before the chain), loaded
//! fresh and reloaded over itself: the form of every saved ruleset and boot-time file.
//!
//! Floors: "kernel batch ms" is the kernel's own time for dfw's batch
//! ([`ApplyReport::kernel_time`](dfw_netlink::firewall::ApplyReport): its `sendmsg` up to the
//! fence reply; precise where getrusage's system time has ~4 ms granularity), shown for the
//! library rows; "process start (/bin/true)" is a process spawned the same way, the floor of
//! every command-line row. Last, the ratios the performance targets are stated in.
//!
//! Usage: `dfw-compare [--rounds N] [--sizes 10,1000,10000] [--quick] [--dfw-cli PATH]`
//! (root; `--quick` runs the `iptables -A` loop at 10 rules only). The host's ruleset is
//! never touched: every load happens in a namespace made for it.
#![allow(unsafe_code)] // getrusage(2): the only FFI, see `rusage`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dfw_benches::kernel::{
    chain_change, chain_rules, nft_script, restore_script, rule_spec, CHAIN,
};
use dfw_netlink::firewall::Firewall;
use dfw_netlink::transport::testkit::in_private_netns;

/// Wall and system time of one run, and the kernel's time for dfw's batch (library only).
#[derive(Clone, Copy, Default)]
struct Sample {
    wall: Duration,
    sys: Duration,
    kernel: Option<Duration>,
}

/// System time of `who` (`RUSAGE_THREAD` or `RUSAGE_CHILDREN`).
fn rusage(who: libc::c_int) -> Duration {
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes one struct rusage into the valid, zeroed buffer.
    let rc = unsafe { libc::getrusage(who, ru.as_mut_ptr()) };
    if rc != 0 {
        return Duration::ZERO;
    }
    // SAFETY: zero-initialised and filled by getrusage; every bit pattern is valid.
    let ru = unsafe { ru.assume_init() };
    Duration::from_secs(ru.ru_stime.tv_sec as u64)
        + Duration::from_micros(ru.ru_stime.tv_usec as u64)
}

/// Runs `program args` with `stdin` from a file, from the calling thread (so in its
/// namespace); its wall time and system time. Exits the comparison on failure.
fn child(program: &str, args: &[&str], stdin: Option<&Path>) -> Sample {
    let input = match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).expect("input file")),
        None => Stdio::null(),
    };
    let sys0 = rusage(libc::RUSAGE_CHILDREN);
    let t = Instant::now();
    let out = Command::new(program)
        .args(args)
        .stdin(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let wall = t.elapsed();
    if !out.status.success() {
        panic!(
            "{program} {args:?}: {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Sample {
        wall,
        sys: rusage(libc::RUSAGE_CHILDREN).saturating_sub(sys0),
        kernel: None,
    }
}

/// Times `f` (a library call on the calling thread) and returns its sample, with the kernel
/// batch time `f` reports.
fn library(f: impl FnOnce() -> Duration) -> Sample {
    let sys0 = rusage(libc::RUSAGE_THREAD);
    let t = Instant::now();
    let kernel = f();
    let wall = t.elapsed();
    Sample {
        wall,
        sys: rusage(libc::RUSAGE_THREAD).saturating_sub(sys0),
        kernel: Some(kernel),
    }
}

/// Runs `f` in a fresh private namespace.
fn fresh<F: FnOnce() -> Sample + Send>(f: F) -> Sample {
    in_private_netns(f).expect("private network namespace (root?)")
}

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by_key(|s| s.wall);
    let wall = v[v.len() / 2].wall;
    v.sort_by_key(|s| s.sys);
    let sys = v[v.len() / 2].sys;
    v.sort_by_key(|s| s.kernel);
    Sample {
        wall,
        sys,
        kernel: v[v.len() / 2].kernel,
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// Prints one table: tool, median wall, median sys, median kernel batch time, ratio to the
/// reference row.
fn table(title: &str, rows: &[(String, Sample)], reference: usize) {
    println!("\n{title}");
    println!("| tool | wall ms (median) | sys ms (getrusage) | kernel batch ms | wall / dfw-cli |");
    println!("|---|---:|---:|---:|---:|");
    let r = rows[reference].1.wall.as_secs_f64();
    for (name, s) in rows {
        println!(
            "| {name} | {} | {} | {} | {:.2}x |",
            ms(s.wall),
            ms(s.sys),
            s.kernel.map_or_else(|| "–".to_string(), ms),
            s.wall.as_secs_f64() / r
        );
    }
}

/// The medians of one table, by row name.
type Results = Vec<(String, Sample)>;

fn row<'a>(rows: &'a Results, prefix: &str) -> Option<&'a Sample> {
    rows.iter()
        .find(|(n, _)| n.starts_with(prefix))
        .map(|(_, s)| s)
}

/// The ratios the performance targets are stated in, from the tables' medians.
fn targets(loads: &[(usize, Results)], change: &Results, saved: &[(String, Results)]) {
    println!("\n### Ratios against the targets");
    println!("| target | measured | ratio | goal |");
    println!("|---|---|---:|---|");
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    for (n, rows) in loads {
        let (Some(cli), Some(ipt)) = (row(rows, "dfw-cli"), row(rows, "iptables-nft-restore"))
        else {
            continue;
        };
        let goal = match n {
            10 => ">= 3x",
            1_000 => ">= 2x",
            _ => "-",
        };
        println!(
            "| {n} rules: iptables-nft-restore -n / dfw-cli restore -n | {} / {} ms | {:.2}x | {goal} |",
            ms(ipt.wall),
            ms(cli.wall),
            ratio(ipt.wall, cli.wall)
        );
        if let Some(nft) = row(rows, "nft -f") {
            let goal = if *n == 1_000 { "> 1x" } else { "-" };
            println!(
                "| {n} rules: nft -f / dfw-cli restore -n | {} / {} ms | {:.2}x | {goal} |",
                ms(nft.wall),
                ms(cli.wall),
                ratio(nft.wall, cli.wall)
            );
        }
        if let Some(start) = row(rows, "process start") {
            println!(
                "| {n} rules: dfw-cli restore -n / process start (/bin/true) | {} / {} ms | {:.2}x | floor |",
                ms(cli.wall),
                ms(start.wall),
                ratio(cli.wall, start.wall)
            );
        }
        if let Some(lib) = row(rows, "dfw library") {
            if let Some(k) = lib.kernel {
                let goal = if *n == 10_000 { "<= 1.2x" } else { "-" };
                println!(
                    "| {n} rules: dfw library wall / its kernel batch time | {} / {} ms | {:.2}x | {goal} |",
                    ms(lib.wall),
                    ms(k),
                    ratio(lib.wall, k)
                );
            }
        }
    }
    if let (Some(warm), Some(ipt)) = (
        row(change, "dfw library"),
        row(change, "iptables-nft-restore"),
    ) {
        println!(
            "| one changed rule: iptables-nft-restore -n (chain reloaded) / dfw library warm | {} / {} ms | {:.1}x | >= 50x |",
            ms(ipt.wall),
            ms(warm.wall),
            ratio(ipt.wall, warm.wall)
        );
        println!(
            "| one changed rule: dfw library warm, wall | {} ms | - | < 2 ms |",
            ms(warm.wall)
        );
        if let Some(k) = warm.kernel {
            println!(
                "| one changed rule: dfw library warm wall / its kernel batch time | {} / {} ms | {:.2}x | floor |",
                ms(warm.wall),
                ms(k),
                ratio(warm.wall, k)
            );
        }
    }
    for (what, rows) in saved {
        if let (Some(cli), Some(ipt)) = (row(rows, "dfw-cli"), row(rows, "iptables-nft-restore")) {
            let goal = if what.starts_with("10 rules") {
                ">= 3x"
            } else {
                ">= 2x"
            };
            println!(
                "| {what}: iptables-nft-restore -n / dfw-cli restore -n | {} / {} ms | {:.2}x | {goal} |",
                ms(ipt.wall),
                ms(cli.wall),
                ratio(ipt.wall, cli.wall)
            );
        }
    }
}

/// The chain of 10 and of 1,000 rules (those of `--sizes`) in a file as `iptables-save`
/// writes one: the built-in chains declared with their policies first. Loaded into a fresh
/// namespace, and reloaded over itself (the first load untimed, by the same tool); the
/// medians of each, with their titles.
fn saved_file(a: &Args, cli: &str, dir: &Path) -> Vec<(String, Results)> {
    let mut out = Vec::new();
    for n in a.sizes.iter().copied().filter(|n| [10, 1_000].contains(n)) {
        let text = restore_script(n, 0).replacen(
            "*filter\n",
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n",
            1,
        );
        let file = write(dir, &format!("saved-{n}.v4"), &text);
        let path = file.to_string_lossy().into_owned();
        let dfw = || child(cli, &["restore", "-n", &path], None);
        let ipt = || child("iptables-nft-restore", &["-n"], Some(&file));
        for (what, reload) in [
            ("iptables-save style file, fresh load", false),
            ("iptables-save style file, reloaded over itself", true),
        ] {
            let mut rows: Vec<(String, Vec<Sample>)> = vec![
                ("dfw-cli restore -n".into(), Vec::new()),
                ("iptables-nft-restore -n".into(), Vec::new()),
                ("process start (/bin/true)".into(), Vec::new()),
            ];
            for _ in 0..a.rounds {
                rows[0].1.push(fresh(|| {
                    if reload {
                        dfw();
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    dfw()
                }));
                rows[1].1.push(fresh(|| {
                    if reload {
                        ipt();
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    ipt()
                }));
                rows[2].1.push(fresh(|| child("/bin/true", &[], None)));
            }
            let rows: Results = rows.into_iter().map(|(n, v)| (n, median(v))).collect();
            let title = format!("{n} rules, {what}");
            table(&format!("### {title}"), &rows, 0);
            out.push((title, rows));
        }
    }
    out
}

struct Args {
    rounds: usize,
    sizes: Vec<usize>,
    quick: bool,
    dfw_cli: PathBuf,
}

fn args() -> Args {
    let mut a = Args {
        rounds: 5,
        sizes: vec![10, 1_000, 10_000],
        quick: false,
        dfw_cli: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join("dfw-cli")))
            .unwrap_or_else(|| "dfw-cli".into()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(x) = it.next() {
        match x.as_str() {
            "--rounds" => a.rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(5),
            "--sizes" => {
                a.sizes = it
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|v| v.parse().ok())
                    .collect()
            }
            "--quick" => a.quick = true,
            "--dfw-cli" => a.dfw_cli = it.next().unwrap_or_default().into(),
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::File::create(&p)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("write input");
    p
}

fn main() {
    let a = args();
    let cli = a.dfw_cli.to_string_lossy().into_owned();
    let dir = std::env::temp_dir().join(format!("dfw-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "dfw-compare: {} rounds, each in a fresh network namespace; one chain {CHAIN} of N rules \
         `-s ADDR/32 -p tcp -m tcp --dport P -m conntrack --ctstate NEW -j ACCEPT`",
        a.rounds
    );
    let mut loads: Vec<(usize, Results)> = Vec::new();
    for &n in &a.sizes {
        let rules = write(&dir, &format!("rules-{n}.v4"), &restore_script(n, 0));
        let nft = write(&dir, &format!("rules-{n}.nft"), &nft_script(n, 0));
        let mut sh = format!("iptables -w -N {CHAIN}\n");
        for i in 0..n {
            sh.push_str(&format!("iptables -w -A {CHAIN}{}\n", rule_spec(i, 0)));
        }
        let sh = write(&dir, &format!("rules-{n}.sh"), &sh);
        let change = chain_change(chain_rules(n, 0));
        let loop_ok = n <= 10 || (n <= 1_000 && !a.quick);
        let mut rows: Vec<(String, Vec<Sample>)> = vec![
            ("dfw-cli restore -n".into(), Vec::new()),
            ("dfw library (Firewall::open + apply)".into(), Vec::new()),
            ("iptables-nft-restore -n".into(), Vec::new()),
            ("nft -f (native rules)".into(), Vec::new()),
            ("process start (/bin/true)".into(), Vec::new()),
        ];
        if loop_ok {
            rows.push((format!("shell loop of {n} x iptables -A"), Vec::new()));
        }
        let p = |p: &Path| p.to_string_lossy().into_owned();
        for _ in 0..a.rounds {
            rows[0]
                .1
                .push(fresh(|| child(&cli, &["restore", "-n", &p(&rules)], None)));
            rows[1].1.push(fresh(|| {
                library(|| {
                    let mut fw = Firewall::open().expect("socket");
                    fw.apply(&change).expect("apply").kernel_time
                })
            }));
            rows[2].1.push(fresh(|| {
                child("iptables-nft-restore", &["-n"], Some(&rules))
            }));
            rows[3]
                .1
                .push(fresh(|| child("nft", &["-f", &p(&nft)], None)));
            rows[4].1.push(fresh(|| child("/bin/true", &[], None)));
            if loop_ok {
                rows[5].1.push(fresh(|| child("sh", &[&p(&sh)], None)));
            }
        }
        let rows: Results = rows.into_iter().map(|(n, v)| (n, median(v))).collect();
        table(&format!("### {n} rules, fresh load"), &rows, 0);
        loads.push((n, rows));
    }
    let change = incremental(&a, &cli, &dir);
    let saved = saved_file(&a, &cli, &dir);
    targets(&loads, &change, &saved);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One changed rule in a 10,000-rule chain (the chain loaded first, untimed); the medians.
fn incremental(a: &Args, cli: &str, dir: &Path) -> Results {
    let n = 10_000;
    let base = chain_change(chain_rules(n, 0));
    let mut wanted = chain_rules(n, 0);
    wanted[n / 2] = chain_rules(n, 1)[n / 2].clone();
    let changed = chain_change(wanted);
    let mut text = restore_script(n, 0);
    text = text.replace(&rule_spec(n / 2, 0), &rule_spec(n / 2, 1));
    let file = write(dir, "changed.v4", &text);
    let path = file.to_string_lossy().into_owned();
    let mut rows: Vec<(String, Vec<Sample>)> = vec![
        ("dfw-cli restore -n (whole chain given)".into(), Vec::new()),
        ("dfw library, warm handle (apply)".into(), Vec::new()),
        (
            "iptables-nft-restore -n (chain reloaded)".into(),
            Vec::new(),
        ),
    ];
    for _ in 0..a.rounds {
        let load = || {
            let mut fw = Firewall::open().expect("socket");
            fw.apply(&base).expect("base");
            fw
        };
        rows[0].1.push(fresh(|| {
            load();
            child(cli, &["restore", "-n", &path], None)
        }));
        rows[1].1.push(fresh(|| {
            let mut fw = load();
            fw.apply(&changed).expect("warm-up: change");
            fw.apply(&base).expect("warm-up: back");
            std::thread::sleep(Duration::from_millis(100));
            library(|| fw.apply(&changed).expect("apply").kernel_time)
        }));
        rows[2].1.push(fresh(|| {
            load();
            child("iptables-nft-restore", &["-n"], Some(&file))
        }));
    }
    let rows: Results = rows.into_iter().map(|(n, v)| (n, median(v))).collect();
    table(
        &format!("### one changed rule in a {n}-rule chain"),
        &rows,
        0,
    );
    rows
}
