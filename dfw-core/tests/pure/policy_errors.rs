//! Every kind of config error names file:line:column, the key and (for values) the value.
//! Pure: no kernel needed.

use dfw_core::policy::{Location, Policy, PolicyError};

fn err(text: &str) -> PolicyError {
    match Policy::from_toml(text, "dfw.toml") {
        Ok(p) => panic!("accepted {text:?} as {p:?}"),
        Err(e) => e,
    }
}

/// The error's one-line message.
fn msg(text: &str) -> String {
    err(text).to_string()
}

#[test]
fn toml_syntax_errors_have_a_location_but_no_key() {
    let e = err("[policy]\nhost = true\n[allow\n");
    assert!(matches!(e, PolicyError::Syntax { .. }), "{e:?}");
    assert_eq!(e.key(), None);
    assert_eq!(
        e.location(),
        &Location {
            file: "dfw.toml".into(),
            line: 3,
            column: 7
        }
    );
    assert!(
        e.to_string().starts_with("dfw.toml:3:7: TOML syntax: "),
        "{e}"
    );
}

#[test]
fn duplicate_keys_are_named() {
    assert_eq!(
        msg("[policy]\nhost = true\nhost = false\n"),
        "dfw.toml:3:1: TOML syntax: duplicate key `host`"
    );
}

#[test]
fn unknown_keys_are_refused_everywhere() {
    let e = err("[policy]\ndefualt = \"drop\"\n");
    assert!(matches!(e, PolicyError::UnknownKey { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "dfw.toml:2:1: policy.defualt: unknown key (expected one of `default`, `host`, `ping`)"
    );
    let top = msg("[polcy]\n");
    assert!(
        top.starts_with("dfw.toml:1:2: polcy: unknown key (expected one of `interfaces`"),
        "{top}"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"1\"]\n[[allow]]\nports = [\"2\"]\n  port = 3\n"),
        "dfw.toml:5:3: allow[1].port: unknown key (expected one of `comment`, `ports`, `from`, `to`, `allow_everyone`)"
    );
    assert!(msg("[[forward]]\nin = \"a\"\nout = \"b\"\nvia = \"c\"\n")
        .starts_with("dfw.toml:4:1: forward[0].via: unknown key"));
    assert!(msg("[interfaces]\nexternal = [\"eth0\"]\ninternal = []\n")
        .starts_with("dfw.toml:3:1: interfaces.internal: unknown key"));
    assert!(msg("[lan]\nnetwork = []\n").starts_with("dfw.toml:2:1: lan.network: unknown key"));
    assert!(msg("[whitelist]\nsource = []\n")
        .starts_with("dfw.toml:2:1: whitelist.source: unknown key"));
}

#[test]
fn wrong_types_and_missing_keys() {
    let e = err("[policy]\nhost = \"yes\"\n");
    assert!(matches!(e, PolicyError::Schema { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "dfw.toml:2:8: policy.host: invalid type: string \"yes\", expected a boolean"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"80\"]\n[[allow]]\nfrom = [\"10.0.0.1\"]\n"),
        "dfw.toml:3:1: allow[1]: missing field `ports`"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"80\", true]\n"),
        "dfw.toml:2:16: allow[0].ports[1]: invalid type: boolean, expected a port such as \"8080/tcp\" or 22"
    );
    assert_eq!(
        msg("[[forward]]\nin = \"eth1\"\n"),
        "dfw.toml:1:1: forward[0]: missing field `out`"
    );
    assert_eq!(
        msg("allow = 5\n"),
        "dfw.toml:1:9: allow: invalid type: integer `5`, expected a sequence"
    );
}

#[test]
fn bad_ports() {
    let e = err("[[allow]]\nports = [\"8080/tcp\", \"70000/tcp\"]\n");
    assert_eq!(
        e,
        PolicyError::Value {
            at: Location {
                file: "dfw.toml".into(),
                line: 2,
                column: 22
            },
            key: "allow[0].ports[1]".into(),
            value: "70000/tcp".into(),
            reason: "port must be 1-65535".into(),
        }
    );
    assert_eq!(
        e.to_string(),
        "dfw.toml:2:22: allow[0].ports[1]: \"70000/tcp\": port must be 1-65535"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"9100-9000/tcp\"]\n"),
        "dfw.toml:2:10: allow[0].ports[0]: \"9100-9000/tcp\": range 9100-9000 is reversed"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"80/sctp\"]\n"),
        "dfw.toml:2:10: allow[0].ports[0]: \"80/sctp\": unknown protocol \"sctp\": must be tcp or udp"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"http\"]\n"),
        "dfw.toml:2:10: allow[0].ports[0]: \"http\": \"http\" is not a port number"
    );
    assert_eq!(
        msg("[[allow]]\nports = [22, 65536]\n"),
        "dfw.toml:2:14: allow[0].ports[1]: \"65536\": port must be 1-65535"
    );
    assert_eq!(
        msg("[[allow]]\nports = []\n"),
        "dfw.toml:2:9: allow[0].ports: \"[]\": empty: list at least one port, e.g. \"8080/tcp\""
    );
}

#[test]
fn bad_addresses() {
    assert_eq!(
        msg("[[allow]]\nports = [\"80\"]\nfrom = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n"),
        "dfw.toml:3:23: allow[0].from[1]: \"10.0.0.0/33\": prefix length must be 0-32 for IPv4"
    );
    assert_eq!(
        msg("[whitelist]\nsources = [\"2001:db8::/129\"]\n"),
        "dfw.toml:2:12: whitelist.sources[0]: \"2001:db8::/129\": prefix length must be 0-128 for IPv6"
    );
    assert_eq!(
        msg("[lan]\nnetworks = [\"192.168.1\"]\n"),
        "dfw.toml:2:13: lan.networks[0]: \"192.168.1\": \"192.168.1\" is not an IPv4 or IPv6 address"
    );
    assert_eq!(
        msg("[whitelist]\nsources = [\"10.0.0.9-10.0.0.1\"]\n"),
        "dfw.toml:2:12: whitelist.sources[0]: \"10.0.0.9-10.0.0.1\": range is reversed: 10.0.0.9 is above 10.0.0.1"
    );
    assert_eq!(
        msg("[whitelist]\nsources = [\"10.0.0.1-2001:db8::1\"]\n"),
        "dfw.toml:2:12: whitelist.sources[0]: \"10.0.0.1-2001:db8::1\": range mixes families: 10.0.0.1 and 2001:db8::1"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"80\"]\nto = \"10.0.0.1-10.0.0.2\"\n"),
        "dfw.toml:3:6: allow[0].to: \"10.0.0.1-10.0.0.2\": an address range is not allowed here; use an address or a CIDR"
    );
    assert_eq!(
        msg("[[allow]]\nports = [\"80\"]\nfrom = []\n"),
        "dfw.toml:3:8: allow[0].from: \"[]\": empty: omit `from` to allow everyone"
    );
    assert_eq!(
        msg("[whitelist]\nsources = []\n"),
        "dfw.toml:2:11: whitelist.sources: \"[]\": empty: remove the key or list at least one entry"
    );
}

#[test]
fn families_that_can_never_match() {
    assert_eq!(
        msg("[[allow]]\nports = [\"80\"]\nfrom = [\"2001:db8::/32\"]\nto = \"203.0.113.1\"\n"),
        "dfw.toml:4:6: allow[0].to: \"203.0.113.1\": IPv4 destination, but every `from` source is IPv6: this allow can never match"
    );
    // Mixed sources are fine: the IPv6 one is simply unused with an IPv4 `to`.
    let ok = "[[allow]]\nports = [\"80\"]\nfrom = [\"2001:db8::/32\", \"10.0.0.0/8\"]\nto = \"203.0.113.1\"\n";
    assert!(Policy::from_toml(ok, "dfw.toml").is_ok());
}

#[test]
fn bad_interfaces() {
    assert_eq!(
        msg("[interfaces]\nexternal = [\"eth0\", \"averyveryverylongname\"]\n"),
        "dfw.toml:2:21: interfaces.external[1]: \"averyveryverylongname\": invalid interface name: longer than 15 bytes"
    );
    assert_eq!(
        msg("[interfaces]\nexternal = [\"eth/0\"]\n"),
        "dfw.toml:2:13: interfaces.external[0]: \"eth/0\": invalid interface name: contains whitespace, a control character, '/' or '+'"
    );
    assert!(msg("[interfaces]\nexternal = [\"eth 0\"]\n")
        .starts_with("dfw.toml:2:13: interfaces.external[0]: \"eth 0\": invalid interface name"));
    assert_eq!(
        msg("[interfaces]\nexternal = []\n"),
        "dfw.toml:2:12: interfaces.external: \"[]\": empty: name the external interfaces, or use [\"auto\"]"
    );
    assert_eq!(
        msg("[interfaces]\nexternal = [\"eth0\", \"auto\"]\n"),
        "dfw.toml:2:21: interfaces.external[1]: \"auto\": \"auto\" cannot be mixed with interface names"
    );
    assert_eq!(
        msg("[interfaces]\nexternal = [\"eth0\", \"eth0\"]\n"),
        "dfw.toml:2:21: interfaces.external[1]: \"eth0\": listed twice"
    );
    assert_eq!(
        msg("[interfaces]\nexternal = [\"lo\"]\n"),
        "dfw.toml:2:13: interfaces.external[0]: \"lo\": the loopback interface cannot be external"
    );
    assert_eq!(
        msg("[[forward]]\nin = \"eth1\"\nout = \"\"\n"),
        "dfw.toml:3:7: forward[0].out: \"\": invalid interface name: empty name"
    );
}

#[test]
fn bad_policy_and_comment() {
    assert_eq!(
        msg("[policy]\ndefault = \"deny\"\n"),
        "dfw.toml:2:11: policy.default: \"deny\": must be \"reject\" or \"drop\""
    );
    assert_eq!(
        msg("[[allow]]\ncomment = \"a\\nb\"\nports = [\"80\"]\n"),
        "dfw.toml:2:11: allow[0].comment: \"a\\nb\": contains a control character"
    );
}

#[test]
fn host_bits_are_cleared_and_bare_ports_are_tcp() {
    let p = Policy::from_toml(
        "[lan]\nnetworks = [\"192.168.1.5/24\"]\n[[allow]]\nports = [\"22\", 80, \"53/udp\"]\n",
        "dfw.toml",
    )
    .unwrap();
    assert_eq!(p.lan[0].to_string(), "192.168.1.0/24");
    let ports: Vec<_> = p.allow[0].ports.iter().map(ToString::to_string).collect();
    assert_eq!(ports, ["22/tcp", "80/tcp", "53/udp"]);
}

#[test]
fn empty_file_means_the_defaults() {
    let p = Policy::from_toml("", "dfw.toml").unwrap();
    assert_eq!(p, Policy::default());
    assert_eq!(p.named_external(), None);
    assert!(!p.host && p.ping);
}

#[test]
fn accept_fwmark_errors_name_the_key_and_value() {
    let m = msg("[docker]\naccept_fwmark = \"1/2\"\n");
    assert!(
        m.starts_with("dfw.toml:2:17: docker.accept_fwmark: \"1/2\": "),
        "{m}"
    );
    assert!(m.contains("outside mask"), "{m}");
    let m = msg("[docker]\naccept_fwmark = \"0x1g\"\n");
    assert!(m.starts_with("dfw.toml:2:17: docker.accept_fwmark"), "{m}");
    assert!(m.contains("mark \"0x1g\""), "{m}");
    let m = msg("[docker]\naccept_fwmark = \"1/0x1ffffffff\"\n");
    assert!(m.contains("mask \"0x1ffffffff\": more than 32 bits"), "{m}");
    assert!(msg("[docker]\naccept_fwmark = 1\n").contains("docker.accept_fwmark"));
    assert!(
        msg("[docker]\nfwmark = \"1\"\n").starts_with("dfw.toml:2:1: docker.fwmark: unknown key")
    );
    // Accepted, and the same section by section (a long file) as whole.
    let ok = Policy::from_toml("[docker]\naccept_fwmark = \"0x100/0xff00\"\n", "dfw.toml").unwrap();
    assert_eq!(ok.accept_fwmark.unwrap().to_string(), "0x100/0xff00");
}
