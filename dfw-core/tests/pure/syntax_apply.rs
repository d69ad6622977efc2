//! iptables-restore semantics of `RestoreScript::apply`, checked through the printed result
//! (expectations measured with iptables 1.8.9 where noted).

use dfw_core::model::{Counters, Family, Ruleset, TableName};
use dfw_core::syntax::{
    parse_ruleset, print_ruleset, ApplyOptions, CommandKind, ErrorKind, PrintOptions, RestoreScript,
};

const BASE: &str = "*filter
:INPUT DROP [1:2]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A INPUT -j A
-A A -s 10.0.0.0/8 -j ACCEPT
-A B -j DROP
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
COMMIT
";

fn base() -> Ruleset {
    parse_ruleset(Family::Ipv4, BASE).unwrap()
}

fn run(rs: &mut Ruleset, script: &str, noflush: bool) -> Result<(), dfw_core::syntax::SyntaxError> {
    let s = RestoreScript::parse(Family::Ipv4, script).unwrap();
    s.apply(
        rs,
        ApplyOptions {
            noflush,
            counters: false,
        },
    )
}

fn table_text(rs: &Ruleset, t: TableName) -> String {
    let mut only = Ruleset::new(rs.family());
    only.put_table(rs.table(t).unwrap().clone()).unwrap();
    print_ruleset(&only, PrintOptions::default())
}

#[test]
fn full_restore_replaces_the_table_and_keeps_others() {
    // Measured: after `*filter :C - COMMIT`, filter holds only C and ACCEPT policies.
    let mut rs = base();
    run(&mut rs, "*filter\n:C - [0:0]\nCOMMIT\n", false).unwrap();
    assert_eq!(
        table_text(&rs, TableName::Filter),
        "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:C - [0:0]\nCOMMIT\n"
    );
    assert!(table_text(&rs, TableName::Nat).contains("MASQUERADE"));
}

#[test]
fn an_empty_block_deletes_the_table() {
    // Measured: `*filter COMMIT` makes iptables-save print no filter table.
    let mut rs = base();
    run(&mut rs, "*filter\n# nothing\n\nCOMMIT\n", false).unwrap();
    assert!(rs.table(TableName::Filter).is_none());
    assert!(rs.table(TableName::Nat).is_some());
}

#[test]
fn noflush_flushes_declared_user_chains_only() {
    // Measured: A is flushed and refilled, B and INPUT's rules stay, D is created.
    let mut rs = base();
    run(
        &mut rs,
        "*filter\n:A - [0:0]\n:D - [0:0]\n-A A -j DROP\n:OUTPUT DROP [5:6]\nCOMMIT\n",
        true,
    )
    .unwrap();
    let text = table_text(&rs, TableName::Filter);
    assert!(text.contains(":OUTPUT DROP [0:0]\n"), "{text}");
    assert!(text.contains(":D - [0:0]\n"));
    assert!(
        text.contains("-A INPUT -j A\n-A A -j DROP\n-A B -j DROP\n"),
        "{text}"
    );
    assert!(!text.contains("10.0.0.0/8"));
}

#[test]
fn noflush_creates_a_missing_table_with_its_builtins() {
    let mut rs = base();
    run(
        &mut rs,
        "*raw\n-A PREROUTING -d 172.17.0.2 ! -i docker0 -j DROP\nCOMMIT\n",
        true,
    )
    .unwrap();
    assert_eq!(
        table_text(&rs, TableName::Raw),
        "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP\nCOMMIT\n"
    );
}

#[test]
fn rule_commands() {
    let mut rs = base();
    let script = "*filter
-A B -j RETURN
-I B -s 1.1.1.1 -j ACCEPT
-I B 2 -s 2.2.2.2 -j ACCEPT
-R B 4 -s 4.4.4.4 -j ACCEPT
-D B -s 2.2.2.2/32 -j ACCEPT
-D B 1
-P FORWARD DROP
-N C
-A C -j RETURN
-F C
-X C
COMMIT
";
    run(&mut rs, script, true).unwrap();
    let text = table_text(&rs, TableName::Filter);
    assert!(text.contains(":FORWARD DROP [0:0]\n"), "{text}");
    assert!(
        text.contains("-A B -j DROP\n-A B -s 4.4.4.4/32 -j ACCEPT\nCOMMIT\n"),
        "{text}"
    );
    assert!(!text.contains(":C "));
}

#[test]
fn delete_every_user_chain_needs_them_empty_and_unreferenced() {
    // Measured: `-X` fails while a user chain has rules; after -F it deletes them all.
    let mut rs = base();
    assert!(run(&mut rs, "*filter\n-X\nCOMMIT\n", true).is_err());
    run(&mut rs, "*filter\n-F\n-X\nCOMMIT\n", true).unwrap();
    let text = table_text(&rs, TableName::Filter);
    assert_eq!(
        text,
        "*filter\n:INPUT DROP [1:2]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    );
}

#[test]
fn zero_resets_counters() {
    let mut rs = parse_ruleset(
        Family::Ipv4,
        "*filter\n:INPUT DROP [5:6]\n[3:4] -A INPUT -j ACCEPT\nCOMMIT\n",
    )
    .unwrap();
    run(&mut rs, "*filter\n-Z INPUT\nCOMMIT\n", true).unwrap();
    let t = rs.table(TableName::Filter).unwrap();
    let input = t.chain("INPUT").unwrap();
    assert_eq!(input.counters, Counters::default());
    assert_eq!(input.rules[0].counters, Some(Counters::default()));
}

#[test]
fn counters_only_with_the_option_but_dash_c_always() {
    let text =
        "*filter\n:INPUT DROP [5:6]\n[3:4] -A INPUT -j ACCEPT\n-A INPUT -c 7 8 -j DROP\nCOMMIT\n";
    let script = RestoreScript::parse(Family::Ipv4, text).unwrap();
    let mut rs = Ruleset::new(Family::Ipv4);
    script.apply(&mut rs, ApplyOptions::default()).unwrap();
    let c = rs.table(TableName::Filter).unwrap().chain("INPUT").unwrap();
    assert_eq!(c.counters, Counters::default());
    assert_eq!(c.rules[0].counters, None);
    assert_eq!(
        c.rules[1].counters,
        Some(Counters {
            packets: 7,
            bytes: 8
        })
    );
}

#[test]
fn each_table_commits_alone() {
    // iptables-restore commits *filter before it meets the error in *nat.
    let mut rs = base();
    let err = run(
        &mut rs,
        "*filter\n-F\nCOMMIT\n*nat\n-A NOPE -j RETURN\nCOMMIT\n",
        true,
    )
    .unwrap_err();
    assert_eq!((err.line, err.token.as_str()), (5, "NOPE"));
    assert!(matches!(err.kind, ErrorKind::UnknownChain(_)));
    assert!(!table_text(&rs, TableName::Filter).contains("-A "));
    assert!(table_text(&rs, TableName::Nat).contains("MASQUERADE"));
}

#[test]
fn declarations_may_follow_rules_and_lines_keep_their_numbers() {
    let text =
        "# head\r\n*filter\r\n-A INPUT -j ACCEPT\r\n:X - [0:0]\r\n\r\n-A X -j RETURN\r\nCOMMIT\r\n";
    let script = RestoreScript::parse(Family::Ipv4, text).unwrap();
    let block = &script.tables[0];
    let lines: Vec<usize> = block.commands.iter().map(|c| c.line).collect();
    assert_eq!(lines, [3, 6]);
    assert_eq!(block.chain_decls[0].line, 4);
    assert!(matches!(block.commands[1].kind, CommandKind::Append { .. }));
    let mut rs = Ruleset::new(Family::Ipv4);
    script.apply(&mut rs, ApplyOptions::default()).unwrap();
    assert_eq!(
        rs.table(TableName::Filter)
            .unwrap()
            .chain("X")
            .unwrap()
            .rules
            .len(),
        1
    );
}

#[test]
fn family_must_match() {
    let script = RestoreScript::parse(Family::Ipv6, "*filter\nCOMMIT\n").unwrap();
    assert!(script
        .apply(&mut Ruleset::new(Family::Ipv4), ApplyOptions::default())
        .is_err());
}

#[test]
fn long_option_spellings() {
    // Input and expected output measured with iptables-restore / iptables-save 1.8.9.
    let script = "*filter
--new-chain B
--append B --jump RETURN
--insert B --source 1.1.1.1 --jump ACCEPT
--insert B 2 --source 2.2.2.2 --jump ACCEPT
--append B --protocol tcp --destination-port 80 --in-interface eth0 --jump DROP
--delete B --source 2.2.2.2/32 --jump ACCEPT
--policy FORWARD DROP
--new-chain C
--append C --jump RETURN
--flush C
--zero C
--delete-chain C
--append B --match comment --comment x --goto B
--append B --set-counters 1 2 --destination 3.3.3.3 --jump DROP
COMMIT
";
    let rs = parse_ruleset(Family::Ipv4, script).unwrap();
    assert_eq!(
        print_ruleset(&rs, PrintOptions::default()),
        "*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:B - [0:0]
-A B -s 1.1.1.1/32 -j ACCEPT
-A B -j RETURN
-A B -i eth0 -p tcp -m tcp --dport 80 -j DROP
-A B -m comment --comment x -g B
-A B -d 3.3.3.3/32 -j DROP
COMMIT
"
    );
}

#[test]
fn tables_print_in_iptables_order() {
    // Measured: restoring raw, nat, mangle, filter, security in that order, iptables-save
    // 1.8.9 prints mangle, security, raw, filter, nat.
    let mut text = String::new();
    for (t, c) in [
        ("raw", "PREROUTING"),
        ("nat", "PREROUTING"),
        ("mangle", "PREROUTING"),
        ("filter", "INPUT"),
        ("security", "INPUT"),
    ] {
        text.push_str(&format!("*{t}\n-A {c} -j ACCEPT\nCOMMIT\n"));
    }
    let rs = parse_ruleset(Family::Ipv4, &text).unwrap();
    let printed = print_ruleset(&rs, PrintOptions::default());
    let order: Vec<&str> = printed.lines().filter(|l| l.starts_with('*')).collect();
    assert_eq!(order, ["*mangle", "*security", "*raw", "*filter", "*nat"]);
}
