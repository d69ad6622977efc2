//! The `dfw.audit/1` document of a pure audit (Docker 29's rules from the shared fixture, a
//! host description written out): every documented field is present with its documented type.

use std::net::IpAddr;

use dfw_core::eval::{audit, Host, HostIface, IfaceKind, Route};
use dfw_core::model::{Family, Network};
use dfw_core::syntax::parse_ruleset;
use serde_json::Value;

use super::{failed, family, Document};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn host() -> Host {
    Host {
        ifaces: vec![
            HostIface {
                name: "lo".into(),
                kind: IfaceKind::Loopback,
                addrs: vec![(ip("127.0.0.1"), 8)],
            },
            HostIface {
                name: "eth0".into(),
                kind: IfaceKind::External,
                addrs: vec![(ip("203.0.113.1"), 24)],
            },
            HostIface {
                name: "docker0".into(),
                kind: IfaceKind::Bridge,
                addrs: vec![(ip("172.17.0.1"), 16)],
            },
        ],
        routes: vec![Route {
            dest: Network::with_prefix(ip("0.0.0.0"), 0).unwrap(),
            iface: "eth0".into(),
        }],
        forwarding: true,
        mark_rules: None,
        sets: Default::default(),
    }
}

fn keys(v: &Value, want: &[&str]) {
    let obj = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"));
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    got.sort();
    let mut want = want.to_vec();
    want.sort();
    assert_eq!(got, want, "{v}");
}

fn rule(v: &Value) {
    keys(v, &["table", "chain", "number", "text"]);
    assert!(v["number"].as_u64().unwrap() >= 1);
}

fn decision(v: &Value) {
    if v.is_null() {
        return;
    }
    keys(v, &["kind", "rule", "table", "chain", "policy", "reason"]);
    match v["kind"].as_str().unwrap() {
        "rule" => rule(&v["rule"]),
        "policy" => assert!(["ACCEPT", "DROP"].contains(&v["policy"].as_str().unwrap())),
        "routing" => assert!(v["reason"].is_string()),
        other => assert_eq!(other, "no_rules"),
    }
}

fn source(v: &Value) {
    keys(v, &["kind", "value"]);
    let kind = v["kind"].as_str().unwrap();
    assert!(["outside", "lan", "network", "range"].contains(&kind));
    assert_eq!(v["value"].is_null(), kind == "outside");
}

fn exposure(v: &Value) {
    keys(
        v,
        &[
            "iface",
            "reach",
            "sources",
            "unknown_reason",
            "decided_by",
            "probes",
        ],
    );
    let reach = v["reach"].as_str().unwrap();
    let all = [
        "everyone",
        "everyone_except",
        "sources",
        "lan_only",
        "nobody",
        "possibly",
        "unknown",
    ];
    assert!(all.contains(&reach));
    v["sources"].as_array().unwrap().iter().for_each(source);
    decision(&v["decided_by"]);
    for p in v["probes"].as_array().unwrap() {
        keys(
            p,
            &[
                "source",
                "addr",
                "verdict",
                "reject_with",
                "unknown_reason",
                "reaches",
                "possibly",
                "decided_by",
                "dnat",
            ],
        );
        source(&p["source"]);
        assert!(p["addr"].as_str().unwrap().parse::<IpAddr>().is_ok());
        let verdict = p["verdict"].as_str().unwrap();
        assert!(["accept", "drop", "reject", "unknown"].contains(&verdict));
        assert_eq!(p["reject_with"].is_string(), verdict == "reject");
        decision(&p["decided_by"]);
        if !p["dnat"].is_null() {
            keys(&p["dnat"], &["rule", "dst", "port"]);
            rule(&p["dnat"]["rule"]);
        }
    }
}

#[test]
fn the_document_has_every_documented_field() {
    let text = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/docker/docker-29.v4"
    ));
    let rs = parse_ruleset(Family::Ipv4, text).unwrap();
    let a = audit(&rs, &host());
    let containers = dfw_docker::parse_containers(
        br#"[{"Id":"1","Names":["/web"],"Ports":[{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"}]}]"#,
    )
    .unwrap();
    let doc = Document::new(vec![
        family(&rs, &a, vec!["eth0".into()], Some(&containers)).with_notes(&[
            dfw_core::native::docker::DockerNote::Backend {
                family: Family::Ipv4,
                table: "ip docker-bridges".into(),
                docker_user: true,
            },
        ]),
        failed(Family::Ipv6, "no rules".into()),
    ]);
    let v: Value = serde_json::to_value(&doc).unwrap();
    keys(&v, &["schema", "families"]);
    assert_eq!(v["schema"], "dfw.audit/1");
    let fams = v["families"].as_array().unwrap();
    for f in fams {
        keys(
            f,
            &[
                "family",
                "externals",
                "externals_assumed",
                "error",
                "published",
                "host_ports",
                "user_space",
                "notes",
            ],
        );
    }
    assert_eq!(fams[1]["notes"], serde_json::json!([]));
    let note = &fams[0]["notes"][0];
    keys(
        note,
        &[
            "kind",
            "family",
            "table",
            "chain",
            "docker_user",
            "in",
            "out",
            "message",
        ],
    );
    assert_eq!(
        (&note["kind"], &note["table"], &note["docker_user"]),
        (
            &serde_json::json!("docker_nftables"),
            &serde_json::json!("ip docker-bridges"),
            &serde_json::json!(true)
        )
    );
    assert!(note["chain"].is_null() && note["in"].is_null());
    assert!(note["message"]
        .as_str()
        .unwrap()
        .contains("never jump to it"));
    assert_eq!(fams[1]["family"], "ipv6");
    assert_eq!(fams[1]["error"], "no rules");
    let v4 = &fams[0];
    assert!(v4["error"].is_null());
    let published = v4["published"].as_array().unwrap();
    assert_eq!(published.len(), 3);
    for p in published {
        keys(
            p,
            &[
                "rule",
                "proto",
                "host_ports",
                "host_addr",
                "to",
                "container",
                "exposure",
            ],
        );
        rule(&p["rule"]);
        p["exposure"].as_array().unwrap().iter().for_each(exposure);
    }
    assert_eq!(published[0]["to"], "172.17.0.2:80");
    // Named from the Docker API's list: web publishes 8080/tcp; nothing names the others.
    assert_eq!(published[0]["container"], "web");
    assert!(published[1]["container"].is_null());
    assert_eq!(published[2]["proto"], "udp");
    assert_eq!(published[0]["exposure"][0]["reach"], "everyone");
    for h in v4["host_ports"].as_array().unwrap() {
        keys(h, &["proto", "port", "unnamed", "exposure"]);
        h["exposure"].as_array().unwrap().iter().for_each(exposure);
    }
}
