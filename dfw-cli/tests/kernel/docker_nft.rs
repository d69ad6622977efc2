//! Docker 29's nftables backend in the JSON documents: a named namespace holding the ruleset
//! Docker's daemon writes in nftables mode (`testdata/nftables/docker29/sim-host.nft`, its
//! forward chains' policy set to drop as Docker sets it when it enabled forwarding) loaded
//! with the real `nft -f`, and an iptables `filter FORWARD` policy DROP left beside it:
//! `plan --json`, `status --json` and `audit --json` carry the notes the text prints on
//! standard error (the backend, the leftover policy, the `[[forward]]` pair Docker drops).

use serde_json::Value;

use crate::support::{stderr, stdout, testdata, Netns};
use dfw_netlink::transport::testkit::kernel_gate;

fn kinds(notes: &Value) -> Vec<(String, String)> {
    notes
        .as_array()
        .unwrap_or_else(|| panic!("notes: {notes}"))
        .iter()
        .map(|n| {
            (
                n["family"].as_str().unwrap().to_string(),
                n["kind"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn kernel_cli_docker_nftables_notes_in_json() {
    if !kernel_gate("kernel_cli_docker_nftables_notes_in_json") {
        return;
    }
    let ns = Netns::new("dnft");
    let nft = std::fs::read_to_string(testdata("nftables/docker29/sim-host.nft")).unwrap();
    let nft = nft.replace(
        "hook forward priority filter; policy accept;",
        "hook forward priority filter; policy drop;",
    );
    let f = ns.file("docker.nft");
    std::fs::write(&f, nft).unwrap();
    ns.exec("nft", &["-f", f.to_str().unwrap()]);
    ns.exec("iptables", &["-P", "FORWARD", "DROP"]);
    let policy = ns.file("dfw.toml");
    std::fs::write(
        &policy,
        "[interfaces]\nexternal = [\"eth0\"]\n[[forward]]\nin = \"eth1\"\nout = \"eth0\"\n",
    )
    .unwrap();
    let policy = policy.to_str().unwrap();
    let want = vec![
        ("ipv4".to_string(), "docker_nftables".to_string()),
        ("ipv4".into(), "forward_policy_drop".into()),
        ("ipv4".into(), "forward_blocked".into()),
        ("ipv6".into(), "docker_nftables".into()),
        ("ipv6".into(), "forward_blocked".into()),
    ];
    for cmd in ["plan", "status"] {
        let o = ns.cli(&[cmd, "-c", policy, "--json"]);
        let doc: Value =
            serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{cmd}: {e}: {o:?}"));
        assert_eq!(kinds(&doc["notes"]), want, "{cmd}: {doc}");
        let notes = doc["notes"].as_array().unwrap();
        assert_eq!(notes[0]["table"], "ip docker-bridges");
        assert_eq!(notes[0]["docker_user"], false);
        assert_eq!(notes[1]["chain"], "FORWARD");
        assert_eq!(
            (&notes[2]["in"], &notes[2]["out"], &notes[2]["chain"]),
            (
                &Value::from("eth1"),
                &Value::from("eth0"),
                &Value::from("filter-FORWARD")
            )
        );
        // The same notes as the text on standard error.
        for n in notes {
            let m = n["message"].as_str().unwrap();
            assert!(stderr(&o).contains(&format!("note: {m}")), "{cmd}: {o:?}");
        }
    }
    ns.exec(
        "ip",
        &[
            "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p",
        ],
    );
    ns.exec("ip", &["link", "set", "eth0", "up"]);
    let o = ns.cli(&["audit", "--json", "--external", "eth0"]);
    let doc: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {o:?}"));
    let fams = doc["families"].as_array().unwrap();
    assert_eq!(kinds(&fams[0]["notes"]), want[..2].to_vec(), "audit: {doc}");
    assert_eq!(
        kinds(&fams[1]["notes"]),
        want[3..4].to_vec(),
        "audit: {doc}"
    );
}
