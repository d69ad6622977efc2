//! What the compiler makes of each policy feature, family by family. Pure: no kernel needed.

use crate::support;

use dfw_core::model::{Family, Iface};
use dfw_core::policy::{
    Compiled, FamilyRules, Policy, CHAIN_DOCKER, CHAIN_DOCKER_EXT, CHAIN_INPUT, CHAIN_INPUT_EXT,
    DOCKER_USER, HOST_ICMPV6_TYPES, INPUT,
};

fn compile(toml: &str) -> Compiled {
    let p = Policy::from_toml(toml, "test.toml").unwrap();
    let eth0 = [Iface::parse("eth0").unwrap()];
    let c = p.compile(p.named_external().unwrap_or(&eth0));
    for f in Family::ALL {
        for r in c.family(f).rules() {
            r.check(f).unwrap();
        }
    }
    c.to_rulesets().unwrap();
    c
}

/// A chain's rules, rendered.
fn chain(rules: &FamilyRules, name: &str) -> Vec<String> {
    rules
        .chain(name)
        .unwrap_or_else(|| panic!("no chain {name}"))
        .iter()
        .map(support::spec)
        .collect()
}

#[test]
fn allow_from_ipv4_only_makes_no_ipv6_rule() {
    let c = compile("[[allow]]\nports = [\"80\"]\nfrom = [\"203.0.113.0/24\"]\n");
    assert_eq!(
        chain(&c.v4, CHAIN_DOCKER_EXT),
        [
            "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
            "-s 203.0.113.0/24 -p tcp -m conntrack --ctorigdstport 80 -j RETURN",
            "-j REJECT --reject-with icmp-host-prohibited",
        ]
    );
    assert_eq!(
        chain(&c.v6, CHAIN_DOCKER_EXT),
        [
            "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
            "-j REJECT --reject-with icmp6-adm-prohibited",
        ]
    );
}

#[test]
fn allow_to_ipv6_exists_only_in_ipv6() {
    let c = compile(
        "[policy]\nhost = true\n[[allow]]\nports = [\"443\"]\nto = \"2001:db8::1\"\nfrom = [\"2001:db8:1::/48\", \"10.0.0.0/8\"]\n",
    );
    assert_eq!(
        chain(&c.v6, CHAIN_DOCKER_EXT)[1],
        "-s 2001:db8:1::/48 -p tcp -m conntrack --ctorigdst 2001:db8::1 --ctorigdstport 443 -j RETURN"
    );
    assert!(chain(&c.v6, CHAIN_INPUT_EXT).contains(
        &"-s 2001:db8:1::/48 -d 2001:db8::1/128 -p tcp -m tcp --dport 443 -j ACCEPT".into()
    ));
    assert!(chain(&c.v4, CHAIN_DOCKER_EXT)
        .iter()
        .all(|r| !r.contains("443")));
    assert!(chain(&c.v4, CHAIN_INPUT_EXT)
        .iter()
        .all(|r| !r.contains("443")));
}

#[test]
fn allow_without_from_is_everyone_in_both_families() {
    let c = compile("[[allow]]\nports = [\"8080\", \"53/udp\"]\ncomment = \"web and dns\"\n");
    for rules in [&c.v4, &c.v6] {
        let ext = chain(rules, CHAIN_DOCKER_EXT);
        assert_eq!(
            &ext[1..3],
            [
                "-p tcp -m conntrack --ctorigdstport 8080 -m comment --comment \"web and dns\" -j RETURN",
                "-p udp -m conntrack --ctorigdstport 53 -m comment --comment \"web and dns\" -j RETURN",
            ]
        );
    }
}

#[test]
fn no_allow_still_gets_the_default_action() {
    let c = compile("");
    for (rules, default) in [
        (&c.v4, "-j REJECT --reject-with icmp-host-prohibited"),
        (&c.v6, "-j REJECT --reject-with icmp6-adm-prohibited"),
    ] {
        assert_eq!(
            chain(rules, CHAIN_DOCKER_EXT),
            [
                "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
                default
            ]
        );
        assert_eq!(chain(rules, CHAIN_DOCKER), ["-i eth0 -j DFW-DOCKER-EXT"]);
    }
}

#[test]
fn drop_instead_of_reject() {
    let c = compile("[policy]\ndefault = \"drop\"\nhost = true\n");
    for rules in [&c.v4, &c.v6] {
        assert_eq!(chain(rules, CHAIN_DOCKER_EXT).last().unwrap(), "-j DROP");
        assert_eq!(chain(rules, CHAIN_INPUT_EXT).last().unwrap(), "-j DROP");
    }
}

#[test]
fn host_false_makes_no_input_jump_or_chain() {
    let c = compile("[policy]\nhost = false\n");
    for rules in [&c.v4, &c.v6] {
        assert_eq!(rules.jumps.len(), 1);
        assert_eq!(rules.jumps[0].chain.as_str(), DOCKER_USER);
        assert_eq!(
            support::spec(&rules.jumps[0].rule),
            "-m comment --comment dfw -j DFW-DOCKER"
        );
        assert!(rules.chain(CHAIN_INPUT).is_none() && rules.chain(CHAIN_INPUT_EXT).is_none());
        let names: Vec<_> = rules.chains.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, [CHAIN_DOCKER, CHAIN_DOCKER_EXT]);
        let rs = rules.to_ruleset().unwrap();
        assert!(rs.tables()[0].chain(INPUT).is_none());
    }
}

#[test]
fn host_true_jumps_from_input_and_allows_loopback() {
    let c = compile("[policy]\nhost = true\n");
    for rules in [&c.v4, &c.v6] {
        let jumps: Vec<_> = rules.jumps.iter().map(|j| j.chain.as_str()).collect();
        assert_eq!(jumps, [DOCKER_USER, INPUT]);
        assert_eq!(
            support::spec(&rules.jumps[1].rule),
            "-m comment --comment dfw -j DFW-INPUT"
        );
        assert_eq!(
            chain(rules, CHAIN_INPUT),
            ["-i lo -j ACCEPT", "-i eth0 -j DFW-INPUT-EXT"]
        );
    }
    let v6 = chain(&c.v6, CHAIN_INPUT_EXT);
    for t in HOST_ICMPV6_TYPES {
        let want = format!("-p ipv6-icmp -m icmp6 --icmpv6-type {t} -j ACCEPT");
        assert!(v6.contains(&want), "{want}");
    }
}

#[test]
fn ping_false_drops_only_echo_requests() {
    let on = compile("[policy]\nhost = true\n");
    let off = compile("[policy]\nhost = true\nping = false\n");
    let ping4 = "-p icmp -m icmp --icmp-type 8 -j ACCEPT".to_string();
    let ping6 = "-p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT".to_string();
    assert!(chain(&on.v4, CHAIN_INPUT_EXT).contains(&ping4));
    assert!(chain(&on.v6, CHAIN_INPUT_EXT).contains(&ping6));
    let off4 = chain(&off.v4, CHAIN_INPUT_EXT);
    let off6 = chain(&off.v6, CHAIN_INPUT_EXT);
    assert!(!off4.contains(&ping4) && !off6.contains(&ping6));
    assert_eq!(off4.len() + 1, chain(&on.v4, CHAIN_INPUT_EXT).len());
    // Neighbour discovery stays allowed without ping.
    assert!(off6.contains(&"-p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT".into()));
}

#[test]
fn whitelist_and_lan_ranges_and_order() {
    let c = compile(
        "[whitelist]\nsources = [\"198.51.100.1-198.51.100.9\", \"2001:db8::7\"]\n\
         [lan]\nnetworks = [\"192.168.1.0/24\", \"fd00::/8\"]\n\
         [[allow]]\nports = [\"22\"]\n",
    );
    assert_eq!(
        chain(&c.v4, CHAIN_DOCKER_EXT),
        [
            "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
            "-m iprange --src-range 198.51.100.1-198.51.100.9 -j RETURN",
            "-s 192.168.1.0/24 -j RETURN",
            "-p tcp -m conntrack --ctorigdstport 22 -j RETURN",
            "-j REJECT --reject-with icmp-host-prohibited",
        ]
    );
    assert_eq!(
        &chain(&c.v6, CHAIN_DOCKER_EXT)[1..3],
        ["-s 2001:db8::7/128 -j RETURN", "-s fd00::/8 -j RETURN"]
    );
}

#[test]
fn forward_pairs_and_their_replies_come_first() {
    let c = compile(
        "[interfaces]\nexternal = [\"eth0\", \"wan+\"]\n[[forward]]\nin = \"eth1\"\nout = \"eth0\"\n",
    );
    assert_eq!(
        chain(&c.v4, CHAIN_DOCKER),
        [
            "-i eth1 -o eth0 -j ACCEPT",
            "-i eth0 -o eth1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-i eth0 -j DFW-DOCKER-EXT",
            "-i wan+ -j DFW-DOCKER-EXT",
        ]
    );
}

#[test]
fn auto_interfaces_come_from_the_caller_deduplicated() {
    let p = Policy::from_toml("[interfaces]\nexternal = [\"auto\"]\n", "t").unwrap();
    assert_eq!(p.named_external(), None);
    let resolved = ["eth0", "ppp0", "eth0"].map(|n| Iface::parse(n).unwrap());
    let c = p.compile(&resolved);
    assert_eq!(
        chain(&c.v6, CHAIN_DOCKER),
        ["-i eth0 -j DFW-DOCKER-EXT", "-i ppp0 -j DFW-DOCKER-EXT"]
    );
    // No external interface: nothing is dispatched, the chains still exist.
    let none = p.compile(&[]);
    assert!(none.v4.chain(CHAIN_DOCKER).unwrap().is_empty());
    assert!(none.v4.chain(CHAIN_DOCKER_EXT).is_some());
}
