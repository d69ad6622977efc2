//! Long source lists as sets, and the block list: what the compiler makes of them, and the
//! config's `[blocklist]` section.

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Iface};
use dfw_core::policy::{CompileInputs, Compiled, Policy, SetMembers, SetRole, SET_THRESHOLD};
use dfw_core::syntax::{print_ruleset, PrintOptions};

fn hosts(prefix: &str, n: usize) -> String {
    (1..=n)
        .map(|i| format!("\"{prefix}.{i}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn compile(text: &str, inputs: &CompileInputs) -> Compiled {
    let p = Policy::from_toml(text, "t.toml").unwrap();
    p.compile_with(&[Iface::parse("eth0").unwrap()], inputs)
}

fn save(c: &Compiled, family: Family) -> String {
    let rs = c.family(family).to_ruleset().unwrap();
    print_ruleset(&rs, PrintOptions::default())
}

fn with_sets() -> CompileInputs {
    CompileInputs {
        sets: true,
        ..CompileInputs::default()
    }
}

#[test]
fn threshold_decides_between_rules_and_a_set() {
    let at = |n| format!("[whitelist]\nsources = [{}]\n", hosts("198.51.100", n));
    let c = compile(&at(SET_THRESHOLD), &with_sets());
    assert!(c.sets.is_empty());
    assert_eq!(
        save(&c, Family::Ipv4).matches("-s 198.51.100.").count(),
        SET_THRESHOLD
    );
    let c = compile(&at(SET_THRESHOLD + 1), &with_sets());
    assert_eq!(c.sets.len(), 1);
    assert_eq!(c.sets[0].name.as_str(), "dfw-whitelist4");
    assert_eq!(c.sets[0].role, SetRole::Whitelist);
    match &c.sets[0].members {
        SetMembers::Static(m) => assert_eq!(m.len(), SET_THRESHOLD + 1),
        m => panic!("{m:?}"),
    }
    let text = save(&c, Family::Ipv4);
    assert!(
        text.contains("-A DFW-DOCKER-EXT -m set --match-set dfw-whitelist4 src -j RETURN\n"),
        "{text}"
    );
    assert!(!text.contains("-s 198.51.100."), "{text}");
    // The IPv6 side of the same list is short: rules.
    // Without ipset in the kernel: rules, whatever the length.
    let c = compile(&at(100), &CompileInputs::default());
    assert!(c.sets.is_empty());
    assert_eq!(
        save(&c, Family::Ipv4).matches("-s 198.51.100.").count(),
        100
    );
}

#[test]
fn allow_sets_match_after_the_port_and_ranges_become_cidrs() {
    let text = format!(
        "[[allow]]\nports = [\"8080/tcp\", \"53/udp\"]\nfrom = [{}, \"10.0.0.1-10.0.0.6\"]\n",
        hosts("203.0.113", 30)
    );
    let c = compile(&text, &with_sets());
    assert_eq!(c.sets[0].name.as_str(), "dfw-allow0-4");
    let SetMembers::Static(m) = &c.sets[0].members else {
        panic!()
    };
    // 30 hosts, and 10.0.0.1-6 = .1/32 .2/31 .4/31 .6/32.
    assert_eq!(m.len(), 34);
    let text = save(&c, Family::Ipv4);
    assert!(text.contains(
        "-A DFW-DOCKER-EXT -p tcp -m conntrack --ctorigdstport 8080 -m set --match-set dfw-allow0-4 src -j RETURN\n"
    ), "{text}");
    assert!(text.contains(
        "-A DFW-DOCKER-EXT -p udp -m conntrack --ctorigdstport 53 -m set --match-set dfw-allow0-4 src -j RETURN\n"
    ), "{text}");
    // A list with everyone in it stays rules (hash:net cannot hold a /0).
    let text = format!(
        "[whitelist]\nallow_everyone = true\nsources = [{}, \"0.0.0.0/0\"]\n",
        hosts("198.51.100", 30)
    );
    assert!(compile(&text, &with_sets()).sets.is_empty());
}

#[test]
fn block_list_first_on_both_paths_with_bans_and_named_sets() {
    let text = "[interfaces]\nexternal = [\"eth0\"]\n[policy]\nhost = true\n\
                [blocklist]\nsources = [\"192.0.2.66\", \"2001:db8::66\"]\n\
                ipsets = [\"crowdsec-blacklists\", \"f2b-sshd6\"]\n";
    let inputs = CompileInputs {
        sets: true,
        block_files: vec![],
        ipsets: vec![
            (SetName::new("crowdsec-blacklists").unwrap(), Family::Ipv4),
            (SetName::new("f2b-sshd6").unwrap(), Family::Ipv6),
        ],
    };
    let c = compile(text, &inputs);
    let names: Vec<&str> = c.sets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["dfw-ban4", "dfw-ban6"]);
    assert!(c.sets.iter().all(|s| s.members == SetMembers::Dynamic));
    let v4 = save(&c, Family::Ipv4);
    let input: Vec<&str> = v4
        .lines()
        .filter(|l| l.starts_with("-A DFW-INPUT-EXT"))
        .collect();
    assert_eq!(
        &input[..4],
        [
            "-A DFW-INPUT-EXT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A DFW-INPUT-EXT -s 192.0.2.66/32 -j DROP",
            "-A DFW-INPUT-EXT -m set --match-set dfw-ban4 src -j DROP",
            "-A DFW-INPUT-EXT -m set --match-set crowdsec-blacklists src -j DROP",
        ]
    );
    let v6 = save(&c, Family::Ipv6);
    assert!(
        v6.contains("-A DFW-DOCKER-EXT -m set --match-set f2b-sshd6 src -j DROP\n"),
        "{v6}"
    );
    assert!(!v6.contains("crowdsec"), "{v6}");
    // host = false: the block list still guards INPUT, in its own chain.
    let c = compile(&text.replace("host = true", "host = false"), &inputs);
    let v4 = save(&c, Family::Ipv4);
    assert!(
        v4.contains("-A INPUT -m comment --comment dfw -j DFW-BLOCK\n"),
        "{v4}"
    );
    assert!(
        v4.contains("-A DFW-BLOCK -i eth0 -m set --match-set dfw-ban4 src -j DROP\n"),
        "{v4}"
    );
    assert!(!v4.contains("DFW-INPUT"), "{v4}");
    // No ipset: the static entries as rules, no bans, no named sets.
    let c = compile(text, &CompileInputs::default());
    assert!(c.sets.is_empty());
    assert!(!save(&c, Family::Ipv4).contains("match-set"));
}

#[test]
fn blocklist_config_errors_name_the_key() {
    let err = |t: &str| Policy::from_toml(t, "p.toml").unwrap_err().to_string();
    assert_eq!(
        err("[blocklist]\nipsets = [\"dfw-ban4\"]\n"),
        "p.toml:2:11: blocklist.ipsets[0]: \"dfw-ban4\": names starting with \"dfw-\" are dfw's own sets; name a set another tool manages"
    );
    assert!(err("[blocklist]\nsources = []\n").contains("blocklist.sources: \"[]\": empty"));
    assert!(err("[blocklist]\nsources = [\"1.2.3.400\"]\n").contains("blocklist.sources[0]"));
    assert!(err("[blocklist]\nfoo = 1\n").contains("unknown key"));
    let p = Policy::from_toml("[blocklist]\nfiles = [\"/etc/dfw/l1.netset\"]\n", "p").unwrap();
    assert_eq!(p.blocklist.unwrap().files, ["/etc/dfw/l1.netset"]);
}
