//! Kernel test that the simulated Docker host leaves nothing behind: no `/run/netns` entry, no
//! mount, no thread and no fd of this process in any of its namespaces, no extra thread. It
//! runs alone in a process of its own ([`crate::support::run_alone`]), so the process's thread
//! count is its own to compare. Also measures bring-up and teardown times.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Instant;

use dfw_netlink::sim::topology::{HOST_SSH, HOST_V4, INET_GW_V4};
use dfw_netlink::sim::{DockerHost, NetNs, Probe, Side, SimError};
use dfw_netlink::transport::testkit::kernel_gate;

fn run_netns() -> BTreeSet<String> {
    std::fs::read_dir("/run/netns")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Every `net:[INODE]` this process references through a thread or an fd.
fn referenced_netns() -> BTreeSet<u64> {
    let mut links = Vec::new();
    for dir in ["/proc/self/task", "/proc/self/fd"] {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = if dir.ends_with("task") {
                e.path().join("ns/net")
            } else {
                e.path()
            };
            if let Ok(l) = std::fs::read_link(p) {
                links.push(l.to_string_lossy().into_owned());
            }
        }
    }
    links
        .iter()
        .filter_map(|l| l.strip_prefix("net:[")?.strip_suffix(']')?.parse().ok())
        .collect()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn kernel_sim_teardown_leaves_nothing() {
    if !kernel_gate("kernel_sim_teardown_leaves_nothing") {
        return;
    }
    if !crate::support::run_alone("sim_teardown::kernel_sim_teardown_leaves_nothing") {
        return;
    }
    let name = format!("dfwsim-td-{}", std::process::id());
    let before = run_netns();
    let threads_before = threads();

    let t0 = Instant::now();
    let h = DockerHost::start_named(&name).unwrap();
    let up = t0.elapsed();
    assert!(run_netns().contains(&name));
    let inodes: Vec<u64> = Side::ALL
        .iter()
        .map(|s| h.ns(*s).inode().unwrap())
        .collect();
    // /run/netns/NAME is the host namespace.
    use std::os::unix::fs::MetadataExt;
    let bound = std::fs::metadata(format!("/run/netns/{name}"))
        .unwrap()
        .ino();
    assert_eq!(bound, inodes[0]);
    assert_eq!(h.host().name(), Some(name.as_str()));
    // What `dfw-cli --netns NAME` does (transport::enter_netns) reaches the host namespace.
    let entered = std::thread::spawn({
        let name = name.clone();
        move || {
            dfw_netlink::transport::enter_netns(&name).unwrap();
            std::fs::read_link("/proc/thread-self/ns/net").unwrap()
        }
    })
    .join()
    .unwrap();
    assert_eq!(entered.to_string_lossy(), format!("net:[{}]", inodes[0]));
    assert!(matches!(
        NetNs::named(&name),
        Err(SimError::NameTaken { .. })
    ));
    let p = h
        .tcp_probe(
            Side::Internet,
            INET_GW_V4,
            SocketAddr::new(HOST_V4, HOST_SSH),
            crate::support::probes::ANSWER,
        )
        .unwrap();
    assert_eq!(p, Probe::Open);
    assert!(threads() > threads_before, "server threads run");

    let t1 = Instant::now();
    drop(h);
    let down = t1.elapsed();
    println!("DockerHost (named) up in {up:?}, down in {down:?}");

    assert!(!run_netns().contains(&name));
    assert_eq!(
        run_netns()
            .iter()
            .filter(|n| n.starts_with("dfwsim-"))
            .count(),
        before.iter().filter(|n| n.starts_with("dfwsim-")).count()
    );
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains(&name), "still mounted");
    let left: Vec<u64> = referenced_netns()
        .intersection(&inodes.iter().copied().collect())
        .copied()
        .collect();
    assert!(left.is_empty(), "namespaces still referenced: {left:?}");
    assert_eq!(threads(), threads_before, "threads left behind");

    for bad in ["", "..", "a/b"] {
        assert!(matches!(NetNs::named(bad), Err(SimError::BadName { .. })));
    }
}
