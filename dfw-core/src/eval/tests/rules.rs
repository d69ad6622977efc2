//! Test-only: rulesets and rules from iptables-save text, through the real parser
//! ([`crate::syntax`]), and the Docker fixtures (`testdata/docker/`).

use std::net::IpAddr;

use crate::model::{Family, Network, Rule, Ruleset, TableName};
use crate::syntax::{parse_rule, parse_ruleset};

/// `addr`, `addr/prefix` or `addr/mask`.
pub fn net(text: &str) -> Network {
    let (a, m) = text.split_once('/').unwrap_or((text, ""));
    let addr: IpAddr = a.parse().expect(a);
    if m.is_empty() {
        Network::host(addr)
    } else if let Ok(p) = m.parse::<u8>() {
        Network::with_prefix(addr, p).expect(text)
    } else {
        Network::with_mask(addr, m.parse().expect(m)).expect(text)
    }
}

/// One rule from iptables-save options (without `-A CHAIN`).
pub fn rule(family: Family, text: &str) -> Rule {
    parse_rule(family, text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

/// A ruleset from iptables-save text.
pub fn ruleset(family: Family, text: &str) -> Ruleset {
    parse_ruleset(family, text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// A fixture file of `testdata/docker/`.
pub fn fixture(name: &str) -> String {
    let path = format!("{}/../testdata/docker/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Inserts `rule` (iptables-save options) at 0-based `index` of `chain` in `table`.
pub fn insert(rs: &mut Ruleset, table: TableName, chain: &str, index: usize, text: &str) {
    let r = rule(rs.family(), text);
    rs.table_mut(table)
        .unwrap()
        .insert_rule(chain, index, r)
        .unwrap_or_else(|e| panic!("{text}: {e}"));
}
