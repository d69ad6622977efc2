//! What iptables sends, captured with strace (`sendmsg` buffers dumped by `-e write=all`)
//! and decoded with the library's own nf_tables codec ([`dfw_netlink::nft::parse_replies`]).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use dfw_netlink::expr::Expr;
use dfw_netlink::nft::{parse_replies, Reply};
use dfw_netlink::rule_codec::Compat;

/// The bytes of every `sendmsg` in an strace `-e write=all` log, one buffer per call.
fn buffers(log: &str) -> Vec<Vec<u8>> {
    let mut bufs: Vec<Vec<u8>> = Vec::new();
    for line in log.lines() {
        let l = line
            .trim_start()
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .trim_start();
        if l.starts_with("* ") && l.contains("bytes in buffer") {
            bufs.push(Vec::new());
        } else if let (Some(rest), Some(b)) = (l.strip_prefix("| "), bufs.last_mut()) {
            let hexpart = rest.get(7..55).unwrap_or("");
            b.extend(
                hexpart
                    .split_whitespace()
                    .filter_map(|h| u8::from_str_radix(h, 16).ok()),
            );
        }
    }
    bufs
}

/// Runs `cmd` (after `setup`) under strace in the calling thread's network namespace and
/// returns the NEWRULE messages it sent, decoded: (expressions, compat attribute).
pub fn capture(setup: &str, cmd: &str) -> Vec<(Vec<Expr>, Option<Compat>)> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("dfw-oracle-{}-{n}.txt", std::process::id()));
    let script = format!(
        "{setup} strace -f -qq -e trace=sendmsg -e write=all -o {} {cmd}",
        out.display()
    );
    let st = Command::new("sh").args(["-c", &script]).status().unwrap();
    assert!(st.success(), "{cmd}");
    let text = std::fs::read_to_string(&out).unwrap();
    let _ = std::fs::remove_file(&out);
    let mut rules = Vec::new();
    for b in buffers(&text) {
        for m in parse_replies(&b) {
            let (_, reply) = m.unwrap_or_else(|e| panic!("{cmd}: undecodable message: {e}"));
            if let Reply::Rule(r) = reply {
                let compat = r.compat;
                rules.push((r.exprs, compat));
            }
        }
    }
    rules
}
