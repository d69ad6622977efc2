//! `dfw-cli audit --json` against the connections: every published port of every network,
//! both families, must be listed (as a DNAT rule, or as a port docker-proxy serves in user
//! space) with the reach the policy gives it on `ext0`.

use serde_json::Value;

use super::matrix::{Allow, Expect, Svc};

/// The reach `audit` must report on `ext0` for `s` under `expect`.
pub fn want_reach(s: &Svc, expect: Expect) -> &'static str {
    match (expect, s.allow) {
        (Expect::AllOpen, _) | (_, Allow::Everyone) => "everyone",
        (_, Allow::Listed) => "sources",
        (_, Allow::LanOnly) => "nobody",
    }
}

fn ports_contain(list: &Value, port: u16) -> bool {
    list.as_array().is_some_and(|v| {
        v.iter()
            .filter_map(Value::as_str)
            .any(|p| match p.split_once('-') {
                Some((lo, hi)) => {
                    lo.parse::<u16>().is_ok_and(|lo| lo <= port)
                        && hi.parse::<u16>().is_ok_and(|hi| port <= hi)
                }
                None => p.parse::<u16>() == Ok(port),
            })
    })
}

/// The reach on `iface`. "everyone except" link-local sources (`fe80::/10`, and the
/// interface's own `fe80::/64` LAN) counts as "everyone": Docker's IPv6 DNAT rules say
/// `! -s fe80::/10`, so a link-local source is indeed not translated (it reaches the host
/// itself, not the container), and the audit is right to say so.
fn reach_on(entry: &Value, iface: &str) -> Option<String> {
    let e = entry["exposure"]
        .as_array()?
        .iter()
        .find(|e| e["iface"] == iface)?;
    let reach = e["reach"].as_str()?;
    let link_local_only = e["sources"].as_array().is_some_and(|v| {
        !v.is_empty()
            && v.iter().all(|s| {
                s["value"]
                    .as_str()
                    .is_some_and(|x| x.starts_with("fe80::/"))
            })
    });
    if reach == "everyone_except" && link_local_only {
        return Some("everyone".into());
    }
    Some(reach.to_string())
}

/// The mismatches between the audit document and the services, one line each; and how each
/// IPv6 port was found (`dnat` or `user space`).
pub fn check(doc: &Value, services: &[Svc], expect: Expect) -> (Vec<String>, Vec<String>) {
    let mut bad = Vec::new();
    let mut how = Vec::new();
    for fam in doc["families"].as_array().into_iter().flatten() {
        let family = fam["family"].as_str().unwrap_or("?");
        if !fam["error"].is_null() {
            bad.push(format!("{family}: audit failed: {}", fam["error"]));
            continue;
        }
        for s in services {
            let proto = if s.udp { "udp" } else { "tcp" };
            let dnat = fam["published"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|p| p["proto"] == proto && ports_contain(&p["host_ports"], s.port));
            let user = fam["user_space"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|u| u["proto"] == proto && u["port"] == s.port);
            let (entry, kind) = match (dnat, user) {
                (Some(d), _) => (d, "dnat"),
                (None, Some(u)) => (u, "user space"),
                (None, None) => {
                    bad.push(format!("{family} {proto} {}: not listed", s.port));
                    continue;
                }
            };
            if family == "ipv6" {
                how.push(format!("{proto}/{} {kind}", s.port));
            }
            let want = want_reach(s, expect);
            let got = reach_on(entry, "ext0");
            if got.as_deref() != Some(want) {
                let sources: Vec<String> = entry["exposure"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|e| e["iface"] == "ext0")
                    .flat_map(|e| e["sources"].as_array().cloned().unwrap_or_default())
                    .map(|s| s["value"].to_string())
                    .collect();
                bad.push(format!(
                    "{family} {proto} {} ({kind}): reach on ext0 {got:?} {sources:?}, expected {want}",
                    s.port
                ));
            }
        }
    }
    (bad, how)
}
