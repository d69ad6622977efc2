//! The rulesets the example config (`examples/dfw.toml`) compiles to, by hand, in
//! `iptables-save -t filter` form (comment lines removed). `policy_root_oracle` checks that
//! the real iptables-restore accepts them and iptables-save prints them back identically.

/// The config the goldens are for.
pub const EXAMPLE: &str =
    include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml"));

/// IPv4.
pub const GOLDEN_V4: &str = "\
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
-A DFW-DOCKER-EXT -p tcp -m conntrack --ctorigdstport 22 -m comment --comment ssh -j RETURN
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
-A DFW-INPUT-EXT -p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT
-A DFW-INPUT-EXT -j REJECT --reject-with icmp-host-prohibited
-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER
COMMIT
";

/// IPv6.
pub const GOLDEN_V6: &str = "\
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
-A DFW-DOCKER-EXT -p tcp -m conntrack --ctorigdstport 22 -m comment --comment ssh -j RETURN
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
-A DFW-INPUT-EXT -p tcp -m tcp --dport 22 -m comment --comment ssh -j ACCEPT
-A DFW-INPUT-EXT -j REJECT --reject-with icmp6-adm-prohibited
-A DOCKER-USER -m comment --comment dfw -j DFW-DOCKER
COMMIT
";
