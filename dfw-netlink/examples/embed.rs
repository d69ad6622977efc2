//! Embedding dfw in another Rust tool: load a policy, compile it, plan, and commit.
//!
//! ```text
//! cargo run -p dfw-netlink --example embed -- examples/dfw.toml            # plan only
//! cargo run -p dfw-netlink --example embed -- examples/dfw.toml --commit   # apply (root)
//! ```
//! Without `--commit` nothing is changed. Run it inside a throwaway namespace to try it
//! safely: `sudo unshare -n cargo run ...`.

use dfw_core::policy::Policy;
use dfw_core::syntax::{print_ruleset, PrintOptions};
use dfw_netlink::firewall::Firewall;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "examples/dfw.toml".into());
    let commit = args.any(|a| a == "--commit");

    // 1. Load and validate: errors name file:line:column and the key.
    let text = std::fs::read_to_string(&path)?;
    let policy = Policy::from_toml(&text, &path)?;

    // 2. Compile (pure): the interfaces "auto" stands for are resolved from the routes.
    let external = dfw_netlink::enforce::resolve_external(&policy)?;
    let compiled = policy.compile(&external);
    let [v4, _v6] = compiled.to_rulesets()?;
    print!("{}", print_ruleset(&v4, PrintOptions::default()));

    // 3. Plan against the kernel: reads only DOCKER-USER, INPUT, FORWARD and DFW-*.
    let mut fw = Firewall::open()?;
    let plan = fw.plan_compiled(external.clone(), compiled.clone())?;
    print!("{}", plan.diff_text());
    if plan.is_empty() || !commit {
        for s in plan.summaries() {
            println!("{s}");
        }
        return Ok(());
    }

    // 4. Commit: IPv4 and IPv6 in one atomic batch.
    let report = fw.commit_compiled(external, &compiled)?;
    for s in report.summaries() {
        println!("{s}");
    }
    Ok(())
}
