//! Root only: the network-namespace lab of the kernel test (see `kernel`): namespaces,
//! links, addresses, routes, listeners, rule loading and the connecting client.

use std::process::{Child, Command, Stdio};

use crate::model::Family;

/// The Docker host namespace.
pub const HOST: &str = "dfwtest-ev-host";
/// The client namespace (the world and the LAN).
pub const CLI: &str = "dfwtest-ev-cli";
/// The container namespace.
pub const CTR: &str = "dfwtest-ev-ctr";

const LISTENER: &str = "import socket,sys,threading,time
def serve(p):
    s=socket.socket(socket.AF_INET6);s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
    s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)
    s.bind(('::',p));s.listen(64)
    while True:
        c,_=s.accept();c.close()
for p in sys.argv[1:]:
    threading.Thread(target=serve,args=(int(p),),daemon=True).start()
time.sleep(3600)";

const CLIENT: &str = "import socket,sys
dst=sys.argv[1];wait=float(sys.argv[2])
for item in sys.argv[3:]:
    src,port=item.split(',')
    s=socket.socket(socket.AF_INET6 if ':' in src else socket.AF_INET);s.settimeout(wait)
    try:
        a=(src,0)
        if '%' in src:
            h,i=src.split('%');a=(h,0,0,socket.if_nametoindex(i))
        s.bind(a);s.connect((dst,int(port)));r='connected'
    except ConnectionRefusedError: r='refused'
    except (socket.timeout,TimeoutError): r='timeout'
    except OSError as e: r='error'+str(e.errno)
    print(item,r);s.close()";

pub fn sh(cmd: &str) {
    let ok = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .status()
        .map(|s| s.success());
    assert_eq!(ok.ok(), Some(true), "{cmd}");
}

/// The namespaces and listeners; dropping it kills the listeners and deletes the namespaces.
pub struct Lab {
    children: Vec<Child>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        for ns in [HOST, CLI, CTR] {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn listen(ns: &str, ports: &[&str]) -> Child {
    Command::new("ip")
        .args(["netns", "exec", ns, "python3", "-c", LISTENER])
        .args(ports)
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 listener")
}

pub fn lab() -> Lab {
    let mut lab = Lab {
        children: Vec::new(),
    };
    for ns in [HOST, CLI, CTR] {
        sh(&format!("ip netns add {ns}"));
    }
    let script = [
        format!("ip link add eth0 netns {HOST} type veth peer name ext0 netns {CLI}"),
        format!("ip link add vethc netns {HOST} type veth peer name eth0 netns {CTR}"),
        format!("ip -n {HOST} link add docker0 type bridge"),
        format!("ip -n {HOST} link set vethc master docker0"),
        format!("ip -n {HOST} addr add 192.0.2.10/24 dev eth0"),
        format!("ip -n {HOST} addr add 172.17.0.1/16 dev docker0"),
        format!("ip -n {CLI} addr add 192.0.2.20/24 dev ext0"),
        format!("ip -n {CLI} addr add 203.0.113.5/32 dev ext0"),
        format!("ip -n {CLI} addr add 198.51.100.7/32 dev ext0"),
        format!("ip -n {CTR} addr add 172.17.0.2/16 dev eth0"),
        format!("ip -n {CTR} addr add 172.17.0.3/16 dev eth0"),
        format!("ip -n {HOST} addr add 2001:db8::10/64 dev eth0 nodad"),
        format!("ip -n {HOST} addr add fd00:dead:beef::1/64 dev docker0 nodad"),
        format!("ip -n {CLI} addr add 2001:db8::20/64 dev ext0 nodad"),
        format!("ip -n {CLI} addr add 2001:db8:1::5/128 dev ext0 nodad"),
        format!("ip -n {CLI} addr add fe80::5/64 dev ext0 nodad"),
        format!("ip -n {CTR} addr add fd00:dead:beef::2/64 dev eth0 nodad"),
    ];
    for cmd in &script {
        sh(cmd);
    }
    for (ns, links) in [
        (HOST, &["lo", "eth0", "vethc", "docker0"][..]),
        (CLI, &["lo", "ext0"][..]),
        (CTR, &["lo", "eth0"][..]),
    ] {
        for l in links {
            sh(&format!("ip -n {ns} link set {l} up"));
        }
    }
    let routes = [
        format!("ip -n {HOST} route add default via 192.0.2.20 dev eth0"),
        format!("ip -n {CTR} route add default via 172.17.0.1"),
        format!("ip -n {HOST} -6 route add default via 2001:db8::20 dev eth0"),
        format!("ip -n {CTR} -6 route add default via fd00:dead:beef::1"),
        format!("ip netns exec {HOST} sysctl -qw net.ipv4.ip_forward=1"),
        format!("ip netns exec {HOST} sysctl -qw net.ipv6.conf.all.forwarding=1"),
    ];
    for cmd in &routes {
        sh(cmd);
    }
    lab.children.push(listen(CTR, &["80", "5432"]));
    lab.children
        .push(listen(HOST, &["1", "22", "8080", "9999"]));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    lab
}

/// Loads `text` with (ip6)iptables-restore in the host namespace (`--noflush` when `keep`).
pub fn load(family: Family, text: &str, keep: bool) {
    let path = std::env::temp_dir().join("dfwtest-ev-rules");
    std::fs::write(&path, text).unwrap();
    let flag = if keep { "--noflush" } else { "" };
    let tool = match family {
        Family::Ipv4 => "iptables-restore",
        Family::Ipv6 => "ip6tables-restore",
    };
    sh(&format!(
        "ip netns exec {HOST} {tool} {flag} < {}",
        path.display()
    ));
}

/// Connects from each (source, port) to `dst`. IPv6 waits longer: in this lab the REJECT's
/// first ICMPv6 error was observed to go missing, and only the retransmitted SYN (after 1 s)
/// got one back.
pub fn connect(dst: &str, probes: &[(&str, u16)]) -> Vec<String> {
    let wait = if dst.contains(':') { "2.5" } else { "1.0" };
    let args: Vec<String> = probes.iter().map(|(s, p)| format!("{s},{p}")).collect();
    let out = Command::new("ip")
        .args(["netns", "exec", CLI, "python3", "-c", CLIENT, dst, wait])
        .args(&args)
        .output()
        .expect("python3 client");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.rsplit(' ').next().unwrap_or("").to_string())
        .collect()
}

/// Prints the host's counters and addresses, to diagnose a mismatch.
pub fn diag(family: Family) {
    let save = match family {
        Family::Ipv4 => "iptables-save -c",
        Family::Ipv6 => "ip6tables-save -c",
    };
    for cmd in [save, "ip addr", "ip -6 route", "ip -6 neigh"] {
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ip netns exec {HOST} {cmd}; ip netns exec {CTR} {cmd}"
            ))
            .status();
    }
}
