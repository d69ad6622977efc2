//! Dangerous policies: a whitelist, LAN or `from` covering a whole family is refused with
//! file:line:column unless its section says `allow_everyone = true`; port 0 is refused; host
//! bits, duplicate or covered entries, IPv4-mapped addresses and (given the host's interfaces)
//! interfaces that do not exist are warnings, each located like an error. Pure.

use dfw_core::policy::{Checked, HostFacts, Policy, PolicyError, WarningKind};

fn err(text: &str) -> String {
    match Policy::from_toml(text, "dfw.toml") {
        Err(e @ PolicyError::Value { .. }) => e.to_string(),
        other => panic!("{text}: {other:?}"),
    }
}

fn checked(text: &str) -> Checked {
    Policy::from_toml_checked(text, "dfw.toml", &HostFacts::default()).unwrap()
}

fn warnings(text: &str) -> Vec<String> {
    checked(text)
        .warnings
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_whole_family_is_refused_where_it_turns_the_firewall_off() {
    assert_eq!(
        err("[whitelist]\nsources = [\"198.51.100.7\", \"0.0.0.0/0\"]\n"),
        "dfw.toml:2:28: whitelist.sources[1]: \"0.0.0.0/0\": every IPv4 address: the whitelist \
         would let everyone reach every port (the firewall off); set `allow_everyone = true` \
         in [whitelist] if that is what you mean"
    );
    assert_eq!(
        err("[lan]\nnetworks = [\"::/0\"]\n"),
        "dfw.toml:2:13: lan.networks[0]: \"::/0\": every IPv6 address: the LAN would be \
         everyone, trusted entirely (the firewall off); set `allow_everyone = true` in [lan] \
         if that is what you mean"
    );
    assert_eq!(
        err("[[allow]]\nports = [22]\nfrom = [\"0.0.0.0-255.255.255.255\"]\n"),
        "dfw.toml:3:9: allow[0].from[0]: \"0.0.0.0-255.255.255.255\": every IPv4 address: this \
         opens the ports to everyone of that family; omit `from` for everyone (both families), \
         or set `allow_everyone = true` in this [[allow]] if that is what you mean"
    );
    // Together: at the list, naming its entries.
    let e = err("[whitelist]\nsources = [\"0.0.0.0/1\", \"128.0.0.0/1\"]\n");
    assert!(
        e.starts_with(
            "dfw.toml:2:11: whitelist.sources: \"0.0.0.0/1, 128.0.0.0/1\": these entries \
             together cover every IPv4 address: "
        ),
        "{e}"
    );
    // A mapped ::ffff:0.0.0.0/96 is 0.0.0.0/0.
    let e = err("[lan]\nnetworks = [\"::ffff:0.0.0.0/96\"]\n");
    assert!(e.contains("every IPv4 address"), "{e}");
    // Not quite everyone: accepted.
    assert!(Policy::from_toml("[lan]\nnetworks = [\"0.0.0.0/1\"]\n", "x").is_ok());
}

#[test]
fn allow_everyone_says_it_is_meant() {
    for text in [
        "[whitelist]\nsources = [\"0.0.0.0/0\"]\nallow_everyone = true\n",
        "[lan]\nallow_everyone = true\nnetworks = [\"::/0\", \"10.0.0.0/8\"]\n",
        "[[allow]]\nports = [22]\nfrom = [\"0.0.0.0/0\"]\nallow_everyone = true\n",
    ] {
        let p = Policy::from_toml(text, "x").unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(p.whitelist.len() + p.lan.len() + p.allow.len() >= 1);
    }
    // false is the default: still refused.
    let text = "[whitelist]\nsources = [\"0.0.0.0/0\"]\nallow_everyone = false\n";
    assert!(Policy::from_toml(text, "x").is_err());
    // The key belongs to its section only.
    let text =
        "[[allow]]\nports = [22]\nallow_everyone = true\n[whitelist]\nsources = [\"::/0\"]\n";
    assert!(err(text).starts_with("dfw.toml:5:12: whitelist.sources[0]"));
}

#[test]
fn port_0_is_refused() {
    assert_eq!(
        err("[[allow]]\nports = [\"80/tcp\", \"0/udp\"]\n"),
        "dfw.toml:2:20: allow[0].ports[1]: \"0/udp\": port 0: no connection uses it; ports are \
         1-65535"
    );
    assert!(err("[[allow]]\nports = [0]\n").contains("port 0: no connection uses it"));
    assert!(err("[[allow]]\nports = [\"0-1023\"]\n").contains("port 0"));
    assert!(Policy::from_toml("[[allow]]\nports = [\"1-65535\"]\n", "x").is_ok());
}

#[test]
fn warnings_are_located_like_errors() {
    let text = "[interfaces]\nexternal = [\"eth0\"]\n\n\
                [[allow]]\nports = [\"8080/tcp\", \"8000-8100/tcp\", \"53/udp\", \"53/udp\"]\n\
                from = [\"2001:db8::5/32\", \"::ffff:198.51.100.7\"]\n\
                to = \"203.0.113.5/24\"\n\n\
                [whitelist]\nsources = [\"198.51.100.7\", \"198.51.100.0/24\", \"198.51.100.0/24\"]\n";
    assert_eq!(
        warnings(text),
        [
            "dfw.toml:5:10: warning: allow[0].ports[0]: \"8080/tcp\": already covered by \
             allow[0].ports[1] (\"8000-8100/tcp\"): it adds nothing",
            "dfw.toml:5:49: warning: allow[0].ports[3]: \"53/udp\": listed twice: the same as \
             allow[0].ports[2]",
            "dfw.toml:6:9: warning: allow[0].from[0]: \"2001:db8::5/32\": host bits set: this is \
             the whole network 2001:db8::/32; write the address alone for one host, or \
             2001:db8::/32",
            "dfw.toml:6:27: warning: allow[0].from[1]: \"::ffff:198.51.100.7\": an IPv4-mapped \
             IPv6 address: taken as the IPv4 198.51.100.7 (no IPv6 packet carries a mapped \
             address); write 198.51.100.7",
            "dfw.toml:7:6: warning: allow[0].to: \"203.0.113.5/24\": host bits set: this is the \
             whole network 203.0.113.0/24; write the address alone for one host, or \
             203.0.113.0/24",
            "dfw.toml:10:12: warning: whitelist.sources[0]: \"198.51.100.7\": already covered by \
             whitelist.sources[1] (\"198.51.100.0/24\"): it adds nothing",
            "dfw.toml:10:47: warning: whitelist.sources[2]: \"198.51.100.0/24\": listed twice: \
             the same as whitelist.sources[1]",
        ]
    );
    // The policy is the one from_toml gives; the mapped address became IPv4.
    let c = checked(text);
    assert_eq!(Policy::from_toml(text, "dfw.toml").unwrap(), c.policy);
    let from = c.policy.allow[0].from.as_ref().unwrap();
    assert_eq!(from[1].to_string(), "198.51.100.7");
}

#[test]
fn a_clean_config_has_no_warnings() {
    let example = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml"));
    assert_eq!(warnings(example), Vec::<String>::new());
    let facts = HostFacts {
        interfaces: Some(vec!["lo".into(), "eth0".into(), "eth1".into()]),
    };
    let c = Policy::from_toml_checked(example, "dfw.toml", &facts).unwrap();
    assert!(c.warnings.is_empty(), "{:?}", c.warnings);
}

#[test]
fn interfaces_this_host_lacks_are_warned_when_the_host_is_known() {
    let text = "[interfaces]\nexternal = [\"eth0\", \"wlan+\", \"ens3\"]\n\
                [[forward]]\nin = \"br-lan\"\nout = \"eth0\"\n";
    let facts = HostFacts {
        interfaces: Some(vec!["lo".into(), "eth0".into(), "wlan0".into()]),
    };
    let c = Policy::from_toml_checked(text, "dfw.toml", &facts).unwrap();
    let got: Vec<(String, String, WarningKind)> = c
        .warnings
        .iter()
        .map(|w| (w.at.to_string(), w.key.clone(), w.kind.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "dfw.toml:2:30".into(),
                "interfaces.external[2]".into(),
                WarningKind::NoSuchInterface { wildcard: false }
            ),
            (
                "dfw.toml:4:6".into(),
                "forward[0].in".into(),
                WarningKind::NoSuchInterface { wildcard: false }
            ),
        ]
    );
    // Unknown host: no interface warning.
    assert!(checked(text).warnings.is_empty());
    let none = HostFacts {
        interfaces: Some(vec!["lo".into()]),
    };
    let c = Policy::from_toml_checked("[interfaces]\nexternal = [\"wlan+\"]\n", "x", &none);
    assert_eq!(
        c.unwrap().warnings[0].kind,
        WarningKind::NoSuchInterface { wildcard: true }
    );
}

/// Large configs are parsed section by section (spans relative to each section); a warning
/// in a later section still names its line in the whole file.
#[test]
fn warnings_name_the_line_in_the_whole_file() {
    let mut text = String::from("[interfaces]\nexternal = [\"eth0\"]\n");
    for i in 0..50 {
        text.push_str(&format!("[[allow]]\nports = [\"{}/tcp\"]\n", 1000 + i));
    }
    text.push_str("[lan]\nnetworks = [\"192.168.1.9/24\"]\n");
    let w = checked(&text).warnings;
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].at.line, 2 + 2 * 50 + 2);
    assert_eq!(w[0].key, "lan.networks[0]");
}
