//! Random policies for the evaluator's kernel test: DOCKER-USER, INPUT and nat PREROUTING
//! rules drawn (seeded) from pools, as `iptables-restore --noflush` text.
//!
//! Every rule that can drop or reject names its input interface (`-i eth0`, `-i eth1`) or
//! only meets new connections, so replies (which arrive on `docker0` or leave through OUTPUT)
//! are never touched: the first packet's fate, which `explain` predicts, is the connection's.
//! IPv6 INPUT rules are port-specific and its policy stays ACCEPT, because neighbour discovery
//! runs through INPUT and is not modelled.

/// A deterministic generator (64-bit LCG).
pub struct Lcg(u64);

impl Lcg {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    /// A number below `m`.
    pub fn below(&mut self, m: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % m.max(1)
    }

    /// One element of `pool`.
    pub fn pick<'a, T>(&mut self, pool: &'a [T]) -> &'a T {
        &pool[self.below(pool.len())]
    }
}

const USER_V4: &[&str] = &[
    "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
    "-i eth0 -s 198.51.100.0/24 -j RETURN",
    "-i eth0 -s 198.51.100.128/25 -j DROP",
    "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
    "-i eth0 -p tcp -m conntrack --ctorigdstport 5432 -j REJECT",
    "-i eth0 -p udp -m conntrack --ctorigdstport 5353 -j ACCEPT",
    "-i eth0 -p tcp -m tcp --dport 80 -j DROP",
    "-i eth0 -m iprange --src-range 198.51.100.1-198.51.100.9 -j RETURN",
    "-i eth0 -p tcp -m multiport --dports 80,5432 -j REJECT --reject-with tcp-reset",
    "-i eth0 -j DROP",
    "-i eth0 -j REJECT",
    "-i eth0 -j GATE",
    "-i eth0 -m conntrack --ctorigdst 203.0.113.1 -g GATE",
    "-i eth+ ! -s 203.0.113.0/24 -p tcp -m tcp --dport 5432 -j DROP",
    "-i eth1 -s 192.168.1.0/24 -j ACCEPT",
    "-i eth1 -j REJECT --reject-with icmp-host-prohibited",
];

const INPUT_V4: &[&str] = &[
    "-m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
    "-s 198.51.100.0/24 -p tcp -m tcp --dport 22 -j ACCEPT",
    "-i eth0 -p tcp -m multiport --dports 22,9999 -j DROP",
    "-i eth0 -p tcp -m tcp --dport 9999 -j REJECT",
    "-i eth0 -p tcp -m tcp --dport 22 -j REJECT --reject-with tcp-reset",
    "-m addrtype --dst-type LOCAL -p tcp -m iprange --src-range 198.51.100.1-198.51.100.9 -j REJECT",
    "-i eth1 -j ACCEPT",
    "-i eth0 -p udp -j GATE",
    "-i eth0 -s 192.0.2.0/24 -j ACCEPT",
];

const NAT_V4: &[&str] = &[
    "-i eth0 -p tcp -m tcp --dport 2222 -j DNAT --to-destination 172.17.0.3:5432",
    "-i eth0 -s 198.51.100.0/25 -j RETURN",
    "-i eth1 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.3:5432",
];

const GATE_V4: &[&str] = &[
    "-s 198.51.100.0/26 -j RETURN",
    "-p udp -j ACCEPT",
    "-s 192.0.2.0/24 -j ACCEPT",
];

const USER_V6: &[&str] = &[
    "-m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
    "-i eth0 -s 2001:db8::/48 -j RETURN",
    "-i eth0 -s 2001:db8:2::/48 -j DROP",
    "-i eth0 -p tcp -m conntrack --ctorigdstport 8080 -j RETURN",
    "-i eth0 -p tcp -m tcp --dport 80 -j REJECT --reject-with tcp-reset",
    "-i eth0 -j DROP",
    "-i eth0 -j REJECT",
    "-i eth0 -j GATE",
    "-i eth1 -j ACCEPT",
];

const INPUT_V6: &[&str] = &[
    "-s 2001:db8::/48 -p tcp -m tcp --dport 22 -j ACCEPT",
    "-i eth0 -p tcp -m tcp --dport 9999 -j REJECT --reject-with tcp-reset",
    "-i eth0 -p tcp -m multiport --dports 22,9999 -j DROP",
    "-i eth0 -p tcp -m tcp --dport 22 -j REJECT",
    "-i eth0 -p tcp -s 3fff::/20 -j GATE",
];

const NAT_V6: &[&str] = &[
    "-i eth0 -p tcp -m tcp --dport 2222 -j DNAT --to-destination [fd00:dead:beef::3]:5432",
    "-i eth0 -s 2001:db8::/48 -j RETURN",
];

const GATE_V6: &[&str] = &["-s 2001:db8::/32 -j RETURN", "-p tcp --dport 22 -j ACCEPT"];

/// The `--noflush` text of one random policy of the family (`v6`), loaded over a Docker
/// fixture: GATE (1-2 rules and a RETURN, DROP or REJECT end), 1-5 DOCKER-USER rules inserted
/// first, 0-3 INPUT rules, 0-1 nat PREROUTING rules inserted first, an INPUT policy (DROP
/// sometimes, IPv4 only).
pub fn random_policy(rng: &mut Lcg, v6: bool) -> String {
    let (user, input, nat, gate) = if v6 {
        (USER_V6, INPUT_V6, NAT_V6, GATE_V6)
    } else {
        (USER_V4, INPUT_V4, NAT_V4, GATE_V4)
    };
    let mut filter = vec![":GATE - [0:0]".to_string()];
    if !v6 && rng.below(3) == 0 {
        filter.push(":INPUT DROP [0:0]".to_string());
    }
    for _ in 0..1 + rng.below(2) {
        filter.push(format!("-A GATE {}", rng.pick(gate)));
    }
    let end = ["-j RETURN", "-j DROP", "-j REJECT"];
    filter.push(format!("-A GATE {}", rng.pick(&end)));
    for i in 0..1 + rng.below(5) {
        filter.push(format!("-I DOCKER-USER {} {}", i + 1, rng.pick(user)));
    }
    for _ in 0..rng.below(4) {
        filter.push(format!("-A INPUT {}", rng.pick(input)));
    }
    let mut text = format!("*filter\n{}\nCOMMIT\n", filter.join("\n"));
    if rng.below(2) == 0 {
        text.push_str(&format!(
            "*nat\n-I PREROUTING 1 {}\nCOMMIT\n",
            rng.pick(nat)
        ));
    }
    text
}

/// Neighbours' rules dfw cannot decode (whatever extensions it learns): each only meets
/// packets from `eth0` (replies are never touched) and behaves deterministically in the kernel
/// for a first packet, except `statistic`, which depends on the order of the probes. `explain`
/// must call every verdict such a rule can change unknown.
const OPAQUE_V4: &[&str] = &[
    "-i eth0 -m string --algo bm --string XYZZY -j DROP",
    // TCP destination port 5432 (after DNAT, the database's own port).
    "-i eth0 -p tcp -m u32 --u32 \"0>>22&0x3C@0&0xFFFF=0x1538\" -j REJECT",
    // A BPF program matching protocol 6 (TCP).
    "-i eth0 -m bpf --bytecode \"4,48 0 0 9,21 0 1 6,6 0 0 1,6 0 0 0\" -j ACCEPT",
    "-i eth0 -m statistic --mode nth --every 3 --packet 0 -j DROP",
];

const OPAQUE_V6: &[&str] = &[
    "-i eth0 -m string --algo bm --string XYZZY -j DROP",
    "-i eth0 -m statistic --mode nth --every 3 --packet 0 -j REJECT",
];

/// Native nftables rules (added with `nft`, not iptables): an anonymous set lookup, which
/// iptables-nft cannot print either.
const NATIVE_V4: &[&str] = &[
    "insert rule ip filter DOCKER-USER iifname \"eth0\" ip saddr 198.51.100.0/25 tcp dport { 80, 5432 } drop",
    "insert rule ip filter INPUT iifname \"eth0\" tcp dport { 9999, 22 } reject",
];

const NATIVE_V6: &[&str] = &[
    "insert rule ip6 filter DOCKER-USER iifname \"eth0\" ip6 saddr 2001:db8::/48 tcp dport { 80, 5432 } drop",
];

/// Neighbours' rules for a policy round (see [`OPAQUE_V4`]): `iptables-restore --noflush`
/// text inserting 1-2 of them at the top or second place of DOCKER-USER, GATE or INPUT, and
/// sometimes one native rule as `nft` arguments.
pub fn random_neighbours(rng: &mut Lcg, v6: bool) -> (String, Option<String>) {
    let (pool, native) = if v6 {
        (OPAQUE_V6, NATIVE_V6)
    } else {
        (OPAQUE_V4, NATIVE_V4)
    };
    let mut lines = Vec::new();
    for _ in 0..1 + rng.below(2) {
        // DOCKER-USER and GATE hold at least one rule; INPUT maybe none.
        let (chain, at) = *rng.pick(&[("DOCKER-USER", 2), ("GATE", 2), ("INPUT", 1)]);
        let at = 1 + rng.below(at);
        lines.push(format!("-I {chain} {at} {}", rng.pick(pool)));
    }
    let text = format!("*filter\n{}\nCOMMIT\n", lines.join("\n"));
    let nft = (rng.below(3) == 0).then(|| rng.pick(native).to_string());
    (text, nft)
}
