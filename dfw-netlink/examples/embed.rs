//! Embedding dfw in another Rust tool through the front door, [`dfw_netlink::Dfw`]: load a
//! policy, plan, commit it the way `dfw-cli commit` does (the SSH session guarded, a rollback
//! point saved, IPv4 and IPv6 in one atomic batch), check it, and roll it back.
//!
//! ```text
//! cargo run -p dfw-netlink --example embed -- examples/dfw.toml          # plan only (root)
//! cargo run -p dfw-netlink --example embed -- examples/dfw.toml --commit [--rollback]
//!     [--state-dir DIR]                                                   # apply (root)
//! ```
//! Without `--commit` nothing is changed. With `--rollback`, the commit is undone at the end.
//! Try it in a throwaway network namespace, with a throwaway state directory:
//! `sudo unshare -n cargo run -p dfw-netlink --example embed -- examples/dfw.toml --commit
//! --rollback --state-dir /tmp/dfw-embed`.

use dfw_core::syntax::{print_ruleset, PrintOptions};
use dfw_core::Policy;
use dfw_netlink::{CommitOptions, Dfw};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "examples/dfw.toml".into());
    let flag = |name: &str| args.iter().any(|a| a == name);
    let state_dir = args
        .iter()
        .position(|a| a == "--state-dir")
        .and_then(|i| args.get(i + 1));

    // 1. Load and validate: errors name file:line:column and the key.
    let text = std::fs::read_to_string(&path)?;
    let policy = Policy::from_toml(&text, &path)?;

    // 2. Open dfw on this network namespace (root, or CAP_NET_ADMIN).
    let mut dfw = Dfw::open()?;
    if let Some(dir) = state_dir {
        dfw = dfw.with_state_dir(dir);
    }

    // 3. Plan: reads only DOCKER-USER, INPUT, FORWARD and DFW-*; changes nothing. The plan
    //    holds the compiled rules too (what `dfw-cli show` prints).
    let plan = dfw.plan(&policy)?;
    let [v4, _v6] = plan.compiled.to_rulesets()?;
    print!("{}", print_ruleset(&v4, PrintOptions::default()));
    print!("{}", plan.diff_text());
    for s in plan.summaries() {
        println!("{s}");
    }
    if !flag("--commit") {
        return Ok(());
    }

    // 4. Commit as `dfw-cli commit` does: refused if a new SSH connection like this session's
    //    would be refused; the previous state saved for rollback; one atomic batch.
    let status_policy = policy.clone();
    let done = dfw.commit(policy, &CommitOptions::default())?;
    for s in done.report.summaries() {
        println!("{s}");
    }

    // 5. The kernel now holds exactly the policy.
    let status = dfw.status(&status_policy)?;
    println!(
        "status: {}",
        if status.in_sync() {
            "in sync"
        } else {
            "drifted"
        }
    );

    // 6. Undo it: dfw's chains and jumps as they were before the commit.
    if flag("--rollback") {
        for s in dfw.rollback()?.summaries() {
            println!("rollback: {s}");
        }
    }
    Ok(())
}
