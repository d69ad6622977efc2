//! The SSH lockout guard through the CLI (named network namespace, Docker 29's rules): with
//! `SSH_CONNECTION` set (in dfw-cli's environment, or only in an ancestor's, as under sudo),
//! a `host = true` policy without 22/tcp is refused naming the REJECT rule, the kernel
//! unchanged; `--force` commits it; a policy allowing 22/tcp commits.

use crate::support::{stderr, Netns, BIN};
use dfw_netlink::transport::testkit::kernel_gate;

const SSH: &str = "198.51.100.9 50022 192.0.2.10 22";

fn policy(ns: &Netns, name: &str, ports: &str) -> String {
    let p = ns.file(&format!("{name}.toml"));
    std::fs::write(
        &p,
        format!(
            "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n[[allow]]\nports = [{ports}]\n"
        ),
    )
    .unwrap();
    p.display().to_string()
}

#[test]
fn kernel_cli_lockout_guard() {
    if !kernel_gate("kernel_cli_lockout_guard") {
        return;
    }
    let ns = Netns::new("lockout");
    ns.docker_29();
    let before = ns.dump();
    let no_ssh = policy(&ns, "nossh", "\"80/tcp\"");
    let with_ssh = policy(&ns, "ssh", "\"80/tcp\", \"22/tcp\"");
    let env = [("SSH_CONNECTION", SSH)];

    let o = ns.cli_env(&["commit", "-c", &no_ssh], &env);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    let err = stderr(&o);
    // One line, besides the policy's warnings (eth0 does not exist in this namespace).
    let refusal: Vec<&str> = err.lines().filter(|l| !l.contains(": warning: ")).collect();
    assert_eq!(refusal.len(), 1, "{err}");
    assert!(err.contains("would lock out SSH"), "{err}");
    assert!(
        err.contains("198.51.100.9:50022 -> 192.0.2.10:22/tcp"),
        "{err}"
    );
    assert!(err.contains("REJECT"), "{err}");
    assert!(err.contains("rule filter DFW-INPUT-EXT #"), "{err}");
    assert!(err.contains("-A DFW-INPUT-EXT"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(ns.dump(), before, "a refused commit changed the kernel");
    // As under sudo (env_reset): the variable is gone from dfw-cli's environment but an
    // ancestor (here a shell) still has it.
    let o = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "unset SSH_CONNECTION; {} --netns {} commit -c {no_ssh} --state-dir {}; exit $?",
            BIN,
            ns.name,
            ns.state.display()
        ))
        .env("SSH_CONNECTION", SSH)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(stderr(&o).contains("would lock out SSH"), "{o:?}");
    assert_eq!(ns.dump(), before);
    // An IPv6 session is checked against the IPv6 rules.
    let o = ns.cli_env(
        &["commit", "-c", &no_ssh],
        &[("SSH_CONNECTION", "2001:db8::9 50022 2001:db8::10 22")],
    );
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert_eq!(ns.dump(), before);

    let o = ns.cli_env(&["commit", "-c", &with_ssh], &env);
    assert!(o.status.success(), "{o:?}");
    let o = ns.cli_env(&["commit", "-c", &no_ssh, "--force"], &env);
    assert!(o.status.success(), "{o:?}");
    // Without SSH_CONNECTION (a console) there is nothing to protect.
    let o = ns.cli(&["rollback"]);
    assert!(o.status.success(), "{o:?}");
    let o = ns.cli(&["commit", "-c", &no_ssh]);
    assert!(o.status.success(), "{o:?}");
}
