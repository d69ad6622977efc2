//! The example config (`examples/dfw.toml`) compiles to exactly these rulesets.
//! Pure: no kernel needed.

mod support;

use dfw_core::model::{Family, Iface};
use dfw_core::policy::{is_dfw_chain, is_dfw_jump, External, Policy};

const EXAMPLE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/dfw.toml"));

const GOLDEN_V4: &str = "\
*filter
:INPUT ACCEPT [0:0]
:DFW-DOCKER - [0:0]
:DFW-DOCKER-EXT - [0:0]
:DFW-INPUT - [0:0]
:DFW-INPUT-EXT - [0:0]
:DOCKER-USER - [0:0]
-A INPUT -m comment --comment dfw -j DFW-INPUT
-A DFW-DOCKER -i eth1 -o eth0 -j ACCEPT
-A DFW-DOCKER -i eth0 -o eth1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DFW-DOCKER -i eth0 -j DFW-DOCKER-EXT
-A DFW-DOCKER-EXT -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
-A DFW-DOCKER-EXT -s 198.51.100.7/32 -j RETURN
-A DFW-DOCKER-EXT -s 192.168.1.0/24 -j RETURN
-A DFW-DOCKER-EXT -s 203.0.113.0/24 -p tcp -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 8080 -j RETURN
-A DFW-DOCKER-EXT -p tcp -m iprange --src-range 198.51.100.1-198.51.100.3 -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 8080 -j RETURN
-A DFW-DOCKER-EXT -s 203.0.113.0/24 -p udp -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 53 -j RETURN
-A DFW-DOCKER-EXT -p udp -m iprange --src-range 198.51.100.1-198.51.100.3 -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 53 -j RETURN
-A DFW-DOCKER-EXT -s 203.0.113.0/24 -p tcp -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 9000:9100 -j RETURN
-A DFW-DOCKER-EXT -p tcp -m iprange --src-range 198.51.100.1-198.51.100.3 -m conntrack --ctorigdst 203.0.113.1 --ctorigdstport 9000:9100 -j RETURN
-A DFW-DOCKER-EXT -j REJECT --reject-with icmp-host-prohibited
-A DFW-INPUT -i lo -j ACCEPT
-A DFW-INPUT -i eth0 -j DFW-INPUT-EXT
-A DFW-INPUT-EXT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DFW-INPUT-EXT -p udp -m udp --sport 67 --dport 68 -j ACCEPT
-A DFW-INPUT-EXT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A DFW-INPUT-EXT -s 198.51.100.7/32 -j ACCEPT
-A DFW-INPUT-EXT -s 192.168.1.0/24 -j ACCEPT
-A DFW-INPUT-EXT -s 203.0.113.0/24 -d 203.0.113.1/32 -p tcp -m tcp --dport 8080 -j ACCEPT
-A DFW-INPUT-EXT -d 203.0.113.1/32 -p tcp -m iprange --src-range 198.51.100.1-198.51.100.3 -m tcp --dport 8080 -j ACCEPT
-A DFW-INPUT-EXT -s 203.0.113.0/24 -d 203.0.113.1/32 -p udp -m udp --dport 53 -j ACCEPT
-A DFW-INPUT-EXT -d 203.0.113.1/32 -p udp -m iprange --src-range 198.51.100.1-198.51.100.3 -m udp --dport 53 -j ACCEPT
-A DFW-INPUT-EXT -s 203.0.113.0/24 -d 203.0.113.1/32 -p tcp -m tcp --dport 9000:9100 -j ACCEPT
-A DFW-INPUT-EXT -d 203.0.113.1/32 -p tcp -m iprange --src-range 198.51.100.1-198.51.100.3 -m tcp --dport 9000:9100 -j ACCEPT
-A DFW-INPUT-EXT -j REJECT --reject-with icmp-host-prohibited
-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER
COMMIT
";

const GOLDEN_V6: &str = "\
*filter
:INPUT ACCEPT [0:0]
:DFW-DOCKER - [0:0]
:DFW-DOCKER-EXT - [0:0]
:DFW-INPUT - [0:0]
:DFW-INPUT-EXT - [0:0]
:DOCKER-USER - [0:0]
-A INPUT -m comment --comment dfw -j DFW-INPUT
-A DFW-DOCKER -i eth1 -o eth0 -j ACCEPT
-A DFW-DOCKER -i eth0 -o eth1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DFW-DOCKER -i eth0 -j DFW-DOCKER-EXT
-A DFW-DOCKER-EXT -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN
-A DFW-DOCKER-EXT -s 2001:db8::7/128 -j RETURN
-A DFW-DOCKER-EXT -j REJECT --reject-with icmp6-adm-prohibited
-A DFW-INPUT -i lo -j ACCEPT
-A DFW-INPUT -i eth0 -j DFW-INPUT-EXT
-A DFW-INPUT-EXT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 1 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 2 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 3 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 4 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 130 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 131 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 132 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 133 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 134 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 136 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 143 -j ACCEPT
-A DFW-INPUT-EXT -s fe80::/10 -d fe80::/10 -p udp -m udp --sport 547 --dport 546 -j ACCEPT
-A DFW-INPUT-EXT -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT
-A DFW-INPUT-EXT -s 2001:db8::7/128 -j ACCEPT
-A DFW-INPUT-EXT -j REJECT --reject-with icmp6-adm-prohibited
-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER
COMMIT
";

fn example() -> Policy {
    Policy::from_toml(EXAMPLE, "examples/dfw.toml").expect("the example config is valid")
}

#[test]
fn example_config_loads_as_written() {
    let p = example();
    let eth0 = Iface::parse("eth0").unwrap();
    assert_eq!(p.external, External::Named(vec![eth0.clone()]));
    assert!(p.host && p.ping);
    assert_eq!(p.allow.len(), 1);
    assert_eq!(p.allow[0].ports.len(), 3);
    assert_eq!(p.allow[0].from.as_ref().map(Vec::len), Some(3));
    assert_eq!(p.whitelist.len(), 2);
    assert_eq!(p.lan.len(), 1);
    assert_eq!(p.forward.len(), 1);
    assert_eq!(p.named_external(), Some(&[eth0][..]));
}

#[test]
fn example_config_compiles_to_golden_rulesets() {
    let p = example();
    let compiled = p.compile(p.named_external().unwrap());
    let [v4, v6] = compiled.to_rulesets().unwrap();
    assert_eq!(support::ruleset(&v4), GOLDEN_V4);
    assert_eq!(support::ruleset(&v6), GOLDEN_V6);
    for family in Family::ALL {
        let rules = compiled.family(family);
        assert_eq!(rules.family, family);
        for r in rules.rules() {
            r.check(family).unwrap();
        }
        for (name, _) in &rules.chains {
            assert!(is_dfw_chain(name.as_str()), "{name}");
        }
        for j in &rules.jumps {
            assert!(is_dfw_jump(&j.rule));
            assert!(!is_dfw_chain(j.chain.as_str()));
        }
    }
}

#[test]
fn example_error_message_in_its_header_is_accurate() {
    let bad = EXAMPLE.replace("ports = [\"8080/tcp\"", "ports = [\"70000/tcp\"");
    let err = Policy::from_toml(&bad, "dfw.toml").unwrap_err();
    assert_eq!(
        err.to_string(),
        "dfw.toml:31:10: allow[0].ports[0]: \"70000/tcp\": port must be 0-65535"
    );
}
