//! The audit stages of the scenarios: `dfw-cli audit --json` against the connections, and
//! audit on a host without a default route.

use super::Run;
use crate::support::matrix::Expect;

impl Run {
    /// `audit --json -c POLICY` must list every published port of both families with the
    /// reach the connections showed.
    pub(super) fn audit(&mut self, stage: &str, expect: Expect) {
        let o = self.dfw.with_policy(&["audit", "--json"]);
        let doc: serde_json::Value = match serde_json::from_slice(&o.stdout) {
            Ok(d) if o.status.success() => d,
            _ => {
                let msg = format!("{stage}: audit failed: {}", crate::support::dfw::text(&o));
                println!("[{}] FAILED {msg}", self.tag);
                self.failures.push(msg);
                return;
            }
        };
        let (bad, how) = crate::support::audit::check(&doc, &self.services, expect);
        if bad.is_empty() {
            println!(
                "[{}] {stage}: audit agrees (IPv6: {})",
                self.tag,
                how.join(", ")
            );
        } else {
            let msg = format!("{stage}: audit differs:\n  {}", bad.join("\n  "));
            println!("[{}] FAILED {msg}", self.tag);
            self.failures.push(msg);
        }
    }

    /// With no default route and no interface named, audit takes every interface that is up
    /// and is not loopback, a bridge or a bridge port, and says so; `-c` takes the policy's.
    pub(super) fn audit_without_default_route(&mut self) {
        let ns = self.netns();
        for route in [
            vec!["route", "del", "default"],
            vec!["-6", "route", "del", "default"],
        ] {
            let mut a = vec!["-n", ns.as_str()];
            a.extend(route);
            dfw_netlink::transport::testkit::run_cmd("ip", &a).unwrap();
        }
        let o = self.dfw.run(&["audit", "--json"]);
        let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        let mut problems = Vec::new();
        for fam in doc["families"].as_array().into_iter().flatten() {
            let ext: Vec<&str> = fam["externals"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str())
                .collect();
            if fam["externals_assumed"] != true || ext != ["ext0", "lan0"] {
                problems.push(format!(
                    "without -c: {} externals {ext:?} assumed {}",
                    fam["family"], fam["externals_assumed"]
                ));
            }
        }
        let c = self.dfw.with_policy(&["audit", "--json"]);
        let doc: serde_json::Value = serde_json::from_slice(&c.stdout).unwrap_or_default();
        for fam in doc["families"].as_array().into_iter().flatten() {
            if fam["externals"] != serde_json::json!(["ext0"]) || fam["externals_assumed"] != false
            {
                problems.push(format!(
                    "with -c: {} externals {}",
                    fam["family"], fam["externals"]
                ));
            }
        }
        if !o.status.success() || !c.status.success() || !problems.is_empty() {
            let msg = format!(
                "audit without a default route: {problems:?}\n{}\n{}",
                crate::support::dfw::text(&o),
                crate::support::dfw::text(&c)
            );
            println!("[{}] FAILED {msg}", self.tag);
            self.failures.push(msg);
        } else {
            println!(
                "[{}] audit without a default route: ext0 and lan0 assumed; -c: ext0",
                self.tag
            );
        }
    }
}
