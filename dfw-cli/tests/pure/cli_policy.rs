//! `dfw-cli show` and config errors (no root, no kernel): the example config prints as
//! iptables-save text for both families; bad configs exit 1 naming `file:line:column` and
//! the key, for `show`, `plan` and `commit` alike (before any kernel access).

use crate::support::{cli, Scratch, EXAMPLE};

#[test]
fn show_prints_both_families_in_iptables_save_format() {
    let out = cli(&["show", "-c", EXAMPLE]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("*filter\n").count(), 2, "{text}");
    assert_eq!(text.matches("COMMIT\n").count(), 2, "{text}");
    for line in [
        "-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER",
        "-A INPUT -m comment --comment dfw -j DFW-INPUT",
        "-A DFW-DOCKER-EXT -j REJECT --reject-with icmp-host-prohibited",
        "-A DFW-DOCKER-EXT -j REJECT --reject-with icmp6-adm-prohibited",
        "-A DFW-DOCKER-EXT -s 203.0.113.0/24 -p tcp -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 8080 -j RETURN",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line}:\n{text}");
    }
}

#[test]
fn show_one_family() {
    let out = cli(&["show", "-c", EXAMPLE, "-6"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("*filter\n").count(), 1);
    assert!(text.contains("icmp6-adm-prohibited") && !text.contains("icmp-host-prohibited"));
}

#[test]
fn show_output_restores_with_iptables_restore_syntax() {
    // The IPv4 part parses with dfw's own iptables-restore parser.
    let out = cli(&["show", "-c", EXAMPLE, "-4"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let rs = dfw_core::syntax::parse_ruleset(dfw_core::model::Family::Ipv4, &text);
    assert!(rs.is_ok(), "{rs:?}");
}

#[test]
fn config_errors_name_file_line_column_and_key_before_the_kernel() {
    let cases = [
        (
            "port",
            "[[allow]]\nports = [\"70000/tcp\"]\n",
            ":2:10: allow[0].ports[0]",
        ),
        ("unknown", "[policy]\nhosts = true\n", ":2:1: policy.hosts"),
        (
            "cidr",
            "[lan]\nnetworks = [\"192.168.1.0/33\"]\n",
            ":2:13: lan.networks[0]",
        ),
        (
            "iface",
            "[interfaces]\nexternal = [\"a/b\"]\n",
            ":2:13: interfaces.external[0]",
        ),
    ];
    let tmp = Scratch::new("cli-policy");
    for (name, text, want) in cases {
        let path = tmp.write(&format!("{name}.toml"), text);
        for cmd in ["show", "plan", "commit"] {
            let out = cli(&[cmd, "-c", &path]);
            assert_eq!(out.status.code(), Some(1), "{cmd} {name}");
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(
                err.contains(&format!("{path}{want}")),
                "{cmd} {name}: {err}"
            );
            assert!(out.stdout.is_empty(), "{cmd} {name}");
        }
    }
}

#[test]
fn a_missing_config_file_is_an_error() {
    let out = cli(&["plan", "-c", "/nonexistent/dfw.toml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("/nonexistent/dfw.toml"), "{err}");
}

/// A dangerous policy is refused with file:line before the kernel; warnings go to stderr and
/// the command goes on; an external interface this host lacks is a warning.
#[test]
fn dangerous_policies_are_refused_and_odd_ones_warned() {
    let tmp = Scratch::new("cli-dangerous");
    let refused = tmp.write(
        "everyone.toml",
        "[interfaces]\nexternal = [\"eth0\"]\n[whitelist]\nsources = [\"::/0\"]\n",
    );
    for cmd in ["show", "plan", "commit", "status"] {
        let out = cli(&[cmd, "-c", &refused]);
        assert_eq!(out.status.code(), Some(1), "{cmd}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(
            err.contains(&format!(
                "{refused}:4:12: whitelist.sources[0]: \"::/0\": every IPv6 address"
            )),
            "{cmd}: {err}"
        );
        assert!(err.contains("allow_everyone = true"), "{cmd}: {err}");
    }
    let odd = tmp.write(
        "odd.toml",
        "[interfaces]\nexternal = [\"dfwnosuch0\"]\n[lan]\nnetworks = [\"192.168.1.9/24\"]\n",
    );
    let out = cli(&["show", "-c", &odd]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        err,
        format!(
            "dfw-cli show: {odd}:2:13: warning: interfaces.external[0]: \"dfwnosuch0\": no \
             interface of this name on this host (yet): its rules match nothing until it \
             appears\n\
             dfw-cli show: {odd}:4:13: warning: lan.networks[0]: \"192.168.1.9/24\": host bits \
             set: this is the whole network 192.168.1.0/24; write the address alone for one \
             host, or 192.168.1.0/24\n"
        )
    );
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("-s 192.168.1.0/24"));
}

#[test]
fn show_prints_dfws_native_table_as_comments() {
    let tmp = Scratch::new("cli-fwmark");
    let example = std::fs::read_to_string(EXAMPLE).unwrap();
    let path = tmp.write(
        "fwmark.toml",
        &format!("{example}\n[docker]\naccept_fwmark = \"0x100/0xff00\"\n"),
    );
    let out = cli(&["show", "-c", &path, "-4"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "# \t\tiifname \"eth1\" oifname \"eth0\" meta mark set meta mark & 0xffff01ff | \
             0x00000100 comment \"dfw forward eth1 -> eth0\"\n"
        ),
        "{text}"
    );
    // Still iptables-restore input.
    let rs = dfw_core::syntax::parse_ruleset(dfw_core::model::Family::Ipv4, &text);
    assert!(rs.is_ok(), "{rs:?}");
    // A bad value names file, line, column and key.
    let bad = tmp.write("bad.toml", "[docker]\naccept_fwmark = \"0x100/0xf\"\n");
    let out = cli(&["show", "-c", &bad]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("{bad}:2:17: docker.accept_fwmark")),
        "{err}"
    );
}
