//! Crashes and full disks through the CLI (named network namespace, Docker 29's rules):
//! - the state directory on a small tmpfs (its own mount namespace, never the machine's
//!   disk) filled to every size around a `commit --confirm`: each failure leaves the kernel
//!   unchanged, no watchdog running and no temporary file; a later commit is never reverted;
//! - `rollback` on a full disk changes nothing and says so; with space again, it and a
//!   second rollback restore both states;
//! - SIGKILL at every step of a commit (with and without `--confirm`), of a rollback and of
//!   a state-file write (the crash points of the test build, `DFW_TEST_CRASH_AT`): the kernel
//!   is old or new, a later commit is not blocked and not reverted by an orphan watchdog, its
//!   rollback point is exactly the state it replaced, and no temporary file is left.

use std::io::{BufRead, BufReader};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use crate::support::state::{bin, host_policy, processes_with, temp_files, write_policy};
use crate::support::{dfw_lines, stderr, wait_outcome, Netns, EXAMPLE};
use dfw_netlink::transport::testkit::{kernel_gate, run_cmd};

/// A 512 KiB tmpfs mounted on a directory in a private mount namespace kept by a sleeping
/// process; commands run in it with nsenter; its files are seen through /proc/PID/root.
struct SmallDisk {
    holder: Child,
    dir: PathBuf,
}

impl SmallDisk {
    fn new(ns: &Netns) -> SmallDisk {
        let dir = std::env::temp_dir().join(format!("{}-disk", ns.name));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        let script = format!(
            "mount -t tmpfs -o size=512k,mode=0700 dfwtest {} && echo ready && exec sleep 600",
            dir.display()
        );
        let mut holder = Command::new("unshare")
            .args(["-m", "--propagation", "private", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(holder.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        SmallDisk { holder, dir }
    }

    /// The directory as this process sees it (the tmpfs, through the holder's root).
    fn view(&self) -> PathBuf {
        PathBuf::from(format!(
            "/proc/{}/root{}",
            self.holder.id(),
            self.dir.display()
        ))
    }

    fn pid(&self) -> String {
        self.holder.id().to_string()
    }

    /// dfw-cli in the namespace with the tmpfs as its state directory.
    fn cli(&self, ns: &Netns, args: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.pid(), "-m", "--"])
            .arg(bin())
            .args(["--netns", &ns.name])
            .args(args)
            .arg("--state-dir")
            .arg(&self.dir)
            .env("SSH_CONNECTION", "")
            .output()
            .unwrap()
    }

    /// Free 4 KiB blocks of the tmpfs.
    fn free_blocks(&self) -> u64 {
        let out = run_cmd(
            "nsenter",
            &[
                "-t",
                &self.pid(),
                "-m",
                "--",
                "stat",
                "-f",
                "-c",
                "%a",
                &self.dir.display().to_string(),
            ],
        )
        .unwrap();
        out.trim().parse().unwrap()
    }

    /// Fills the tmpfs until `leave` blocks are free (the filler replaces the last one).
    fn fill_leaving(&self, leave: u64) {
        self.free();
        let free = self.free_blocks();
        let count = free.saturating_sub(leave).to_string();
        let of = format!("of={}/filler", self.dir.display());
        run_cmd(
            "nsenter",
            &[
                "-t",
                &self.pid(),
                "-m",
                "--",
                "dd",
                "if=/dev/zero",
                &of,
                "bs=4096",
                &format!("count={count}"),
                "status=none",
            ],
        )
        .unwrap();
    }

    fn free(&self) {
        let _ = std::fs::remove_file(self.view().join("filler"));
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
        let _ = std::fs::remove_dir(&self.dir);
    }
}

#[test]
fn kernel_cli_full_disk_commit_confirm_leaves_no_watchdog() {
    if !kernel_gate("kernel_cli_full_disk_commit_confirm_leaves_no_watchdog") {
        return;
    }
    let ns = Netns::new("fulldisk");
    ns.docker_29();
    let disk = SmallDisk::new(&ns);
    let p1 = write_policy(&ns, "p1", &host_policy(84));
    let o = disk.cli(&ns, &["commit", "-c", &p1]);
    assert!(o.status.success(), "{o:?}");
    let base = ns.dump();
    let needle = format!("--netns {} commit -c {EXAMPLE} --confirm 2", ns.name);
    let mut failures = 0;
    for leave in 0..12 {
        disk.fill_leaving(leave);
        let o = disk.cli(&ns, &["commit", "-c", EXAMPLE, "--confirm", "2"]);
        if o.status.success() {
            // Room enough: confirm it, and go back to the base policy.
            disk.free();
            assert!(disk.cli(&ns, &["confirm"]).status.success());
            break;
        }
        failures += 1;
        assert!(stderr(&o).contains("No space left on device"), "{o:?}");
        assert_eq!(
            ns.dump(),
            base,
            "a failed commit changed the kernel ({leave} blocks)"
        );
        assert_eq!(
            processes_with(&needle),
            Vec::<u32>::new(),
            "a failed commit left its watchdog running ({leave} blocks free): {}",
            stderr(&o)
        );
        assert_eq!(
            temp_files(&disk.view()),
            Vec::<String>::new(),
            "{leave} blocks"
        );
    }
    assert!(failures > 0, "the disk never filled");
    disk.free();
    // A later commit is never reverted.
    let p2 = write_policy(&ns, "p2", &host_policy(85));
    let o = disk.cli(&ns, &["commit", "-c", &p2]);
    assert!(o.status.success(), "{o:?}");
    let kept = ns.dump();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert_eq!(
        ns.dump(),
        kept,
        "an orphan watchdog reverted a later commit"
    );
}

#[test]
fn kernel_cli_full_disk_rollback_changes_nothing() {
    if !kernel_gate("kernel_cli_full_disk_rollback_changes_nothing") {
        return;
    }
    let ns = Netns::new("fullrb");
    ns.docker_29();
    let disk = SmallDisk::new(&ns);
    let p1 = write_policy(&ns, "p1", &host_policy(86));
    assert!(disk.cli(&ns, &["commit", "-c", &p1]).status.success());
    let one = dfw_lines(&ns.dump());
    assert!(disk.cli(&ns, &["commit", "-c", EXAMPLE]).status.success());
    let two = ns.dump();
    disk.fill_leaving(0);
    let o = disk.cli(&ns, &["rollback"]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("No space left on device"), "{o:?}");
    assert_eq!(ns.dump(), two, "a failed rollback changed the kernel");
    assert_eq!(temp_files(&disk.view()), Vec::<String>::new());
    disk.free();
    let o = disk.cli(&ns, &["rollback"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(dfw_lines(&ns.dump()), one);
    let o = disk.cli(&ns, &["rollback"]);
    assert!(o.status.success(), "{o:?}");
    assert_eq!(
        dfw_lines(&ns.dump()),
        dfw_lines(&two),
        "the replaced state was lost"
    );
}

/// Runs `args` with a crash point; it must die of SIGKILL there.
fn killed_at(ns: &Netns, args: &[&str], point: &str) {
    let o = ns.cli_env(args, &[("DFW_TEST_CRASH_AT", point)]);
    assert_eq!(o.status.signal(), Some(9), "{point}: not reached: {o:?}");
}

/// After a crash: a commit of a third policy succeeds (once a watchdog that legitimately
/// lives has acted), nothing of the killed command runs on, its rollback point is exactly the
/// state it replaced, no temporary file is left.
fn after_crash(ns: &Netns, killed: &str, tag: &str) {
    let p3 = write_policy(ns, tag, &host_policy(87));
    let mut pre = ns.dump();
    let mut o = ns.cli(&["commit", "-c", &p3]);
    if !o.status.success() {
        assert!(stderr(&o).contains("awaits confirmation"), "{tag}: {o:?}");
        wait_outcome(&ns.state).expect("the watchdog did not act");
        pre = ns.dump();
        o = ns.cli(&["commit", "-c", &p3]);
    }
    assert!(o.status.success(), "{tag}: {o:?}");
    assert_eq!(processes_with(killed), Vec::<u32>::new(), "{tag}: orphan");
    let three = dfw_lines(&ns.dump());
    assert!(three.iter().any(|l| l.contains("--dport 87")), "{tag}");
    assert_eq!(temp_files(&ns.state), Vec::<String>::new(), "{tag}");
    let o = ns.cli(&["rollback"]);
    assert!(o.status.success(), "{tag}: {o:?}");
    assert_eq!(
        dfw_lines(&ns.dump()),
        dfw_lines(&pre),
        "{tag}: the rollback point is not the state the commit replaced"
    );
}

#[test]
fn kernel_cli_sigkill_at_every_commit_step() {
    if !kernel_gate("kernel_cli_sigkill_at_every_commit_step") {
        return;
    }
    let reference = Netns::new("crash-ref");
    reference.docker_29();
    assert!(reference.cli(&["commit", "-c", EXAMPLE]).status.success());
    let new = dfw_lines(&reference.dump());
    drop(reference);
    let steps: &[(&str, bool)] = &[
        ("commit-staged", false),
        ("write-previous.next-renaming", false),
        ("commit-committed", false),
        ("commit-promoted", false),
        ("write-applied-renaming", false),
        ("commit-staged", true),
        ("commit-pending-written", true),
        ("write-pending-renaming", true),
        ("commit-watchdog-started", true),
        ("commit-committed", true),
        ("commit-promoted", true),
    ];
    for (i, (point, confirm)) in steps.iter().enumerate() {
        let ns = Netns::new(&format!("crash{i}"));
        ns.docker_29();
        let p1 = write_policy(&ns, "p1", &host_policy(88));
        assert!(ns.cli(&["commit", "-c", &p1]).status.success());
        let old = dfw_lines(&ns.dump());
        let mut args = vec!["commit", "-c", EXAMPLE];
        if *confirm {
            args.extend(["--confirm", "2"]);
        }
        killed_at(&ns, &args, point);
        let now = dfw_lines(&ns.dump());
        assert!(
            now == old || now == new,
            "{point}: neither old nor new: {now:#?}"
        );
        let killed = format!("--netns {} {}", ns.name, args.join(" "));
        after_crash(&ns, &killed, &format!("{point}-{confirm}"));
    }
}

#[test]
fn kernel_cli_sigkill_at_every_rollback_step() {
    if !kernel_gate("kernel_cli_sigkill_at_every_rollback_step") {
        return;
    }
    for (i, point) in [
        "rollback-staged",
        "write-previous.next-renaming",
        "rollback-committed",
    ]
    .iter()
    .enumerate()
    {
        let ns = Netns::new(&format!("crashrb{i}"));
        ns.docker_29();
        let p1 = write_policy(&ns, "p1", &host_policy(89));
        assert!(ns.cli(&["commit", "-c", &p1]).status.success());
        let one = dfw_lines(&ns.dump());
        assert!(ns.cli(&["commit", "-c", EXAMPLE]).status.success());
        let two = dfw_lines(&ns.dump());
        killed_at(&ns, &["rollback"], point);
        let now = dfw_lines(&ns.dump());
        assert!(now == one || now == two, "{point}: neither old nor new");
        // The next rollback undoes what the killed one did, or does it if it did not land.
        let o = ns.cli(&["rollback"]);
        assert!(o.status.success(), "{point}: {o:?}");
        let other = if now == one { &two } else { &one };
        assert_eq!(&dfw_lines(&ns.dump()), other, "{point}");
        assert_eq!(temp_files(&ns.state), Vec::<String>::new(), "{point}");
    }
}
