//! `restore` of a chain longer than [`READ_LIMIT`] (each test in its own private network
//! namespace): a script that replaces the chain whole flushes and reloads it without reading
//! it; one that edits it in place reads it and keeps its other rules' handles; iptables-save
//! shows exactly the script's result either way.

use dfw_core::model::Family;
use dfw_core::syntax::RestoreScript;
use dfw_netlink::firewall::{Firewall, RestoreOptions, READ_LIMIT};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::NetlinkTransport;

/// A chain just over the limit: reading it is the case under test.
const LONG: usize = READ_LIMIT as usize + 500;

fn rule(i: usize) -> String {
    format!(
        "-A LONG -s 10.{}.{}.{}/32 -p tcp -m tcp --dport {} -j ACCEPT",
        (i >> 16) & 0xff,
        (i >> 8) & 0xff,
        i & 0xff,
        1024 + i % 60_000
    )
}

/// The `filter` script declaring `LONG` with rules `0..n` (rule `changed` dropping instead).
fn script(n: usize, changed: Option<usize>) -> String {
    let mut s = String::from("*filter\n:LONG - [0:0]\n");
    for i in 0..n {
        let r = rule(i);
        if Some(i) == changed {
            s.push_str(&r.replace("ACCEPT", "DROP"));
        } else {
            s.push_str(&r);
        }
        s.push('\n');
    }
    s.push_str("COMMIT\n");
    s
}

fn restore(
    fw: &mut Firewall<NetlinkTransport>,
    text: &str,
) -> dfw_netlink::firewall::RestoreReport {
    let script = RestoreScript::parse(Family::Ipv4, text).unwrap();
    let opts = RestoreOptions {
        noflush: true,
        ..RestoreOptions::default()
    };
    fw.restore(&script, opts).unwrap()
}

/// `LONG`'s rules as iptables-save prints them.
fn saved() -> Vec<String> {
    run_cmd("iptables-save", &["-t", "filter"])
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("-A LONG "))
        .map(String::from)
        .collect()
}

fn wanted(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("-A LONG "))
        .map(String::from)
        .collect()
}

#[test]
fn kernel_restore_replaces_a_long_declared_chain_without_reading_it() {
    kernel_test(
        "kernel_restore_replaces_a_long_declared_chain_without_reading_it",
        || {
            let mut fw = Firewall::open().unwrap();
            let first = script(LONG, None);
            let r = restore(&mut fw, &first);
            assert!(r.committed);
            assert_eq!(saved(), wanted(&first));

            // Over itself with one rule changed: the chain is flushed and reloaded, unread.
            let second = script(LONG, Some(7));
            let r = restore(&mut fw, &second);
            let plan = r.plan.chains.iter().find(|c| c.chain == "LONG").unwrap();
            assert!(plan.flush, "a long declared chain is flushed, not diffed");
            assert_eq!(plan.stats.inserted, LONG);
            assert_eq!(plan.stats.kept, 0);
            assert_eq!(saved(), wanted(&second));

            // Appending without declaring it needs the rules: read, nothing flushed.
            let append = format!("*filter\n{}\nCOMMIT\n", rule(LONG).replace("10.", "11."));
            let r = restore(&mut fw, &append);
            let plan = r.plan.chains.iter().find(|c| c.chain == "LONG").unwrap();
            assert!(!plan.flush);
            assert_eq!((plan.stats.kept, plan.stats.inserted), (LONG, 1));
            let got = saved();
            assert_eq!(got.len(), LONG + 1);
            assert!(got[LONG].starts_with("-A LONG -s 11."), "{}", got[LONG]);
        },
    );
}

#[test]
fn kernel_restore_of_a_short_chain_over_itself_sends_nothing() {
    kernel_test(
        "kernel_restore_of_a_short_chain_over_itself_sends_nothing",
        || {
            let mut fw = Firewall::open().unwrap();
            let text = script(2_000, None);
            assert!(restore(&mut fw, &text).committed);
            let r = restore(&mut fw, &text);
            assert!(!r.committed, "read, compared, nothing to send");
            assert_eq!(saved(), wanted(&text));
        },
    );
}
