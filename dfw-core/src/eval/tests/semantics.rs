//! Chain traversal semantics (jump, goto, return, policies, non-terminal targets) and the
//! handling of undecidable rules.

use crate::eval::{explain, Decision, Packet, RuleRef, Trace, Verdict, MAX_PATHS};
use crate::model::{Family, Policy, TableName};

use super::hosts::{docker_host, ip, ETH0_V4};
use super::rules::ruleset;

/// A filter table with the given INPUT policy, user chains and rules, run for a TCP SYN from
/// 203.0.113.5 to the host's port 22.
fn input(text: &str) -> Trace {
    input_packet(
        text,
        Packet::tcp_syn("eth0", ip("203.0.113.5"), ip(ETH0_V4), 22),
    )
}

fn input_packet(text: &str, p: Packet) -> Trace {
    let rs = ruleset(Family::Ipv4, &format!("*filter\n{text}\nCOMMIT\n"));
    explain(&rs, &p, &docker_host()).unwrap()
}

fn rule(chain: &str, number: usize) -> Option<Decision> {
    Some(Decision::Rule(RuleRef {
        table: TableName::Filter.into(),
        chain: chain.into(),
        number,
    }))
}

fn policy(p: Policy) -> Option<Decision> {
    Some(Decision::Policy {
        table: TableName::Filter.into(),
        chain: "INPUT".into(),
        policy: p,
    })
}

#[test]
fn return_from_a_gotoed_chain_returns_to_the_caller_of_the_goto_chain() {
    let t = input(
        ":INPUT DROP\n:A -\n:B -\n-A INPUT -j A\n-A INPUT -j ACCEPT\n\
         -A A -g B\n-A A -j DROP\n-A B -j RETURN",
    );
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(t.decided_by, rule("INPUT", 2));
    // Same with the end of B instead of RETURN.
    let t = input(
        ":INPUT DROP\n:A -\n:B -\n-A INPUT -j A\n-A INPUT -j ACCEPT\n-A A -g B\n-A A -j DROP",
    );
    assert_eq!(t.decided_by, rule("INPUT", 2));
}

#[test]
fn goto_from_the_builtin_chain_ends_in_its_policy() {
    let t = input(":INPUT DROP\n:B -\n-A INPUT -g B\n-A INPUT -j ACCEPT");
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(t.decided_by, policy(Policy::Drop));
}

#[test]
fn return_in_the_builtin_chain_applies_the_policy() {
    let t = input(":INPUT DROP\n-A INPUT -j RETURN\n-A INPUT -j ACCEPT");
    assert_eq!(t.decided_by, policy(Policy::Drop));
}

#[test]
fn jump_continues_after_the_jump_at_chain_end() {
    let t = input(
        ":INPUT DROP\n:A -\n:B -\n-A INPUT -j A\n-A INPUT -j ACCEPT\n\
         -A A -j B\n-A A -j RETURN\n-A A -j DROP\n-A B -p udp -j DROP",
    );
    assert_eq!(t.decided_by, rule("INPUT", 2));
}

#[test]
fn log_and_targetless_rules_continue() {
    let t = input(":INPUT ACCEPT\n-A INPUT -j LOG\n-A INPUT -p tcp\n-A INPUT -j DROP");
    assert_eq!(t.verdict, Verdict::Drop);
    assert_eq!(t.decided_by, rule("INPUT", 3));
}

fn chain_of(n: usize, how: &str) -> String {
    let mut text = String::from(":INPUT ACCEPT\n");
    for i in 0..=n {
        text.push_str(&format!(":C{i} -\n"));
    }
    text.push_str("-A INPUT -j C0\n");
    for i in 0..n {
        text.push_str(&format!("-A C{i} {how} C{}\n", i + 1));
    }
    text
}

#[test]
fn too_deep_jumps_are_unknown() {
    // INPUT -> C0 -> ... -> Cn: n + 1 levels; nf_tables allows 15.
    assert_eq!(input(&chain_of(14, "-j")).verdict, Verdict::Accept);
    assert!(input(&chain_of(15, "-j")).verdict.is_unknown());
    // nf_tables counts gotos in its validation too, though they do not grow the stack.
    assert_eq!(input(&chain_of(14, "-g")).verdict, Verdict::Accept);
    assert!(input(&chain_of(15, "-g")).verdict.is_unknown());
}

#[test]
fn loops_are_unknown_even_when_never_taken() {
    let t = input(":INPUT ACCEPT\n:A -\n-A INPUT -p udp -j A\n-A A -g A");
    assert!(t.verdict.is_unknown());
}

#[test]
fn unknown_match_that_could_change_the_verdict_is_unknown() {
    let t = input(":INPUT ACCEPT\n-A INPUT -m mark --mark 0x1 -j DROP");
    let Verdict::Unknown(u) = &t.verdict else {
        panic!("{:?}", t.verdict)
    };
    assert_eq!(
        u.rule,
        rule("INPUT", 1).map(|d| match d {
            Decision::Rule(r) => r,
            _ => unreachable!(),
        })
    );
    assert_eq!(t.paths, 2);
    assert!(t.unknowns[0].explored);
    // The reported path assumes "not matched" and shows the policy.
    assert_eq!(t.decided_by, policy(Policy::Accept));
    // With the mark given, it is decided.
    let p = Packet::tcp_syn("eth0", ip("203.0.113.5"), ip(ETH0_V4), 22);
    let rules = ":INPUT ACCEPT\n-A INPUT -m mark --mark 0x1 -j DROP";
    assert_eq!(
        input_packet(rules, p.clone().with_mark(1)).verdict,
        Verdict::Drop
    );
    assert_eq!(input_packet(rules, p.with_mark(2)).verdict, Verdict::Accept);
}

#[test]
fn unknown_match_without_effect_on_the_verdict_is_harmless() {
    // Same verdict both ways.
    let t = input(":INPUT ACCEPT\n-A INPUT -m mark --mark 0x1 -j ACCEPT");
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(t.paths, 2);
    // No verdict target: skipped without exploring.
    let t = input(":INPUT DROP\n-A INPUT -m mark --mark 0x1 -j LOG\n-A INPUT -j ACCEPT");
    assert_eq!(t.verdict, Verdict::Accept);
    assert_eq!(
        (t.paths, t.unknowns.len(), t.unknowns[0].explored),
        (1, 1, false)
    );
    // A jump into a chain that ends up at the same verdict.
    let t = input(
        ":INPUT DROP\n:A -\n-A INPUT -m mark --mark 0x1 -j A\n-A INPUT -j ACCEPT\n-A A -j LOG",
    );
    assert_eq!(t.verdict, Verdict::Accept);
}

#[test]
fn unknown_after_a_decided_verdict_is_never_reached() {
    let t = input(":INPUT ACCEPT\n-A INPUT -j ACCEPT\n-A INPUT -m mark --mark 0x1 -j DROP");
    assert_eq!((t.verdict, t.paths), (Verdict::Accept, 1));
    // A false part decides a rule even when another part is unknown.
    let t = input(":INPUT ACCEPT\n-A INPUT -p udp -m mark --mark 0x1 -j DROP");
    assert_eq!((t.verdict, t.paths), (Verdict::Accept, 1));
}

#[test]
fn ctexpire_is_unknown_and_ctstatus_of_a_new_connection_is_known() {
    let t = input(":INPUT ACCEPT\n-A INPUT -m conntrack --ctexpire 10:20 -j DROP");
    assert!(t.verdict.is_unknown());
    let t = input(":INPUT ACCEPT\n-A INPUT -m conntrack --ctstatus CONFIRMED,ASSURED -j DROP");
    assert_eq!(t.verdict, Verdict::Accept);
    let t = input(":INPUT ACCEPT\n-A INPUT -m conntrack ! --ctstatus SEEN_REPLY -j DROP");
    assert_eq!(t.verdict, Verdict::Drop);
}

#[test]
fn too_many_undecidable_combinations_give_up() {
    let mut text = String::from(":INPUT ACCEPT\n:E -\n");
    for i in 0..10 {
        text.push_str(&format!("-A INPUT -m mark --mark 0x{i:x} -j E\n"));
    }
    text.push_str("-A INPUT -m mark --mark 0x77 -j DROP\n");
    let t = input(&text);
    assert!(t.verdict.is_unknown());
    assert_eq!(t.paths, MAX_PATHS);
}

#[test]
fn non_syn_tcp_is_unknown_unless_rules_decide_first() {
    use crate::model::matches::TcpFlag;
    let mut p = Packet::tcp_syn("eth0", ip("203.0.113.5"), ip(ETH0_V4), 22);
    if let crate::eval::L4::Tcp { flags, .. } = &mut p.l4 {
        *flags = TcpFlag::ACK;
    }
    let rs = ":INPUT ACCEPT\n-A INPUT -m conntrack --ctstate NEW -j DROP";
    assert!(input_packet(rs, p.clone()).verdict.is_unknown());
    let rs = ":INPUT ACCEPT\n-A INPUT -p tcp -m tcp ! --tcp-flags SYN,ACK SYN -j DROP";
    assert_eq!(input_packet(rs, p).verdict, Verdict::Drop);
}

#[test]
fn reject_outside_filter_cannot_be_built() {
    // The kernel refuses REJECT outside INPUT/FORWARD/OUTPUT; the parser refuses it first.
    let text = "*raw\n:PREROUTING ACCEPT\n-A PREROUTING -p tcp -j REJECT\nCOMMIT\n";
    assert!(crate::syntax::parse_ruleset(Family::Ipv4, text).is_err());
}
