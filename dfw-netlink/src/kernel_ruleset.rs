//! The kernel's iptables rules of one family as a [`Ruleset`] for the evaluator
//! ([`dfw_core::eval`]): what `dfw-cli audit` and `dfw-cli explain` examine.
//!
//! Contract: [`ruleset_of`] is pure. Every table read becomes a model table: base chains keep
//! their policy (a base chain whose policy the kernel did not state is ACCEPT, as
//! iptables-save prints it), user chains are created, and rules keep their order, so rule
//! numbers are those of `iptables -L --line-numbers`. A rule dfw cannot decode (a neighbour's
//! `-m string`, `-m u32`, a native nftables rule...) stays in its place as
//! [`Target::Opaque`](dfw_core::model::Target::Opaque): the evaluator never guesses, so every
//! verdict that rule may change is unknown, naming it, and every other verdict is as certain
//! as without it. A chain name iptables cannot take, or anything else the model refuses,
//! makes the whole family unevaluable: [`Unevaluable`] names the table, chain and rule
//! number. [`read_ruleset`] reads raw, mangle, nat, filter and security (those that exist)
//! over netlink as one snapshot.

use dfw_core::model::{ChainName, Family, ModelError, Policy, Ruleset, Table, TableName};

use crate::firewall::{Firewall, FirewallError, KernelTable};
use crate::transport::Transport;

/// The tables the evaluator follows.
pub const EVAL_TABLES: [TableName; 5] = [
    TableName::Raw,
    TableName::Mangle,
    TableName::Nat,
    TableName::Filter,
    TableName::Security,
];

/// Why the kernel's rules of a family cannot be evaluated.
#[derive(Debug, thiserror::Error)]
pub enum Unevaluable {
    /// A chain or rule the model refuses (a chain name iptables cannot take, a dangling jump).
    #[error(
        "{family} table {table} chain {chain}: {}{source}",
        rule.map(|n| format!("rule #{n}: ")).unwrap_or_default()
    )]
    Model {
        /// The family.
        family: Family,
        /// The table.
        table: TableName,
        /// The chain (empty when the table as a whole is refused).
        chain: String,
        /// The rule number, from 1, when a rule is refused.
        rule: Option<usize>,
        /// The model's complaint.
        source: ModelError,
    },
    /// Reading the kernel failed.
    #[error(transparent)]
    Read(#[from] FirewallError),
}

fn table_of(kt: &KernelTable) -> Result<Table, Unevaluable> {
    let model = |chain: &str, rule: Option<usize>, source: ModelError| Unevaluable::Model {
        family: kt.family,
        table: kt.name,
        chain: chain.to_string(),
        rule,
        source,
    };
    let mut table = Table::new(kt.family, kt.name);
    for c in &kt.chains {
        match &c.base {
            Some(base) if kt.name.builtin(&c.name).is_some() => table
                .set_policy(
                    &c.name,
                    base.policy.unwrap_or(Policy::Accept),
                    Default::default(),
                )
                .map_err(|e| model(&c.name, None, e))?,
            _ => {
                let name = ChainName::new(&c.name).map_err(|e| model(&c.name, None, e))?;
                table
                    .add_user_chain(name)
                    .map_err(|e| model(&c.name, None, e))?;
            }
        }
    }
    for c in &kt.chains {
        for (i, r) in c.rules.iter().enumerate() {
            table
                .append_rule(&c.name, r.evaluable(kt.family))
                .map_err(|e| model(&c.name, Some(i + 1), e))?;
        }
    }
    Ok(table)
}

/// The ruleset of `family` made of `tables` (see the module contract).
///
/// # Errors
/// [`Unevaluable`] naming the first rule or chain that cannot be evaluated.
pub fn ruleset_of(family: Family, tables: &[KernelTable]) -> Result<Ruleset, Unevaluable> {
    let mut rs = Ruleset::new(family);
    for kt in tables.iter().filter(|t| t.family == family) {
        let table = table_of(kt)?;
        rs.put_table(table).map_err(|source| Unevaluable::Model {
            family,
            table: kt.name,
            chain: String::new(),
            rule: None,
            source,
        })?;
    }
    Ok(rs)
}

/// Reads raw, mangle, nat, filter and security of `family` from the kernel and builds the ruleset.
///
/// # Errors
/// [`Unevaluable::Read`] when reading fails, else as [`ruleset_of`].
pub fn read_ruleset<T: Transport>(
    fw: &mut Firewall<T>,
    family: Family,
) -> Result<Ruleset, Unevaluable> {
    let tables = fw.read_tables(family, &EVAL_TABLES)?;
    ruleset_of(family, &tables)
}

/// The members of every set a `-m set` rule of `ruleset` matches, as the kernel holds them
/// now, for the evaluator's [`dfw_core::eval::Host::sets`] (a set that does not exist is left
/// out: its matches are then unknown).
///
/// # Errors
/// [`crate::ipset::IpsetError`] when listing a set fails.
pub fn read_rule_sets<T: Transport>(
    fw: &mut Firewall<T>,
    ruleset: &Ruleset,
) -> Result<dfw_core::eval::HostSets, crate::ipset::IpsetError> {
    let mut names = std::collections::BTreeSet::new();
    for rule in ruleset.rules() {
        for m in &rule.matches {
            if let dfw_core::model::Match::Set(s) = m {
                names.insert(s.name().clone());
            }
        }
    }
    let mut out = dfw_core::eval::HostSets::new();
    for name in names {
        if let Some(c) = crate::enforce::kernel_contents(fw.transport(), &name)? {
            out.insert(name, c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::{BaseChain, KernelChain, KernelRule};
    use crate::rule_codec::DecodedRule;
    use dfw_core::syntax::{parse_rule, parse_ruleset};

    fn rule(spec: &str) -> KernelRule {
        KernelRule {
            handle: 1,
            rule: DecodedRule::Rule(parse_rule(Family::Ipv4, spec).unwrap()),
            counters: Default::default(),
        }
    }

    fn filter(forward: Vec<KernelRule>, user: Vec<KernelRule>) -> KernelTable {
        let base = BaseChain {
            hook: 2,
            priority: 0,
            chain_type: "filter".into(),
            policy: Some(Policy::Drop),
            counters: Default::default(),
        };
        KernelTable {
            family: Family::Ipv4,
            name: TableName::Filter,
            chains: vec![
                KernelChain {
                    name: "FORWARD".into(),
                    handle: 1,
                    base: Some(base),
                    rules: forward,
                    unread: None,
                },
                KernelChain {
                    name: "DOCKER-USER".into(),
                    handle: 2,
                    base: None,
                    rules: user,
                    unread: None,
                },
            ],
        }
    }

    #[test]
    fn kernel_tables_become_the_ruleset_iptables_save_describes() {
        let t = filter(
            vec![rule("-j DOCKER-USER")],
            vec![rule("-s 198.51.100.0/24 -j RETURN"), rule("-j DROP")],
        );
        let got = ruleset_of(Family::Ipv4, &[t]).unwrap();
        let want = parse_ruleset(
            Family::Ipv4,
            "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n\
             :DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n\
             -A DOCKER-USER -s 198.51.100.0/24 -j RETURN\n-A DOCKER-USER -j DROP\nCOMMIT\n",
        )
        .unwrap();
        let (g, w) = (got.table(TableName::Filter), want.table(TableName::Filter));
        assert_eq!(
            g.and_then(|t| t.chain("FORWARD")),
            w.and_then(|t| t.chain("FORWARD"))
        );
        assert_eq!(
            g.and_then(|t| t.chain("DOCKER-USER")),
            w.and_then(|t| t.chain("DOCKER-USER"))
        );
    }

    #[test]
    fn an_opaque_rule_stays_in_its_place_and_a_dangling_jump_is_refused() {
        let opaque = KernelRule {
            handle: 9,
            rule: DecodedRule::Opaque {
                reason: "unknown expression".into(),
                exprs: Vec::new(),
                compat: None,
            },
            counters: Default::default(),
        };
        let t = filter(
            vec![rule("-j DOCKER-USER")],
            vec![rule("-j RETURN"), opaque],
        );
        let got = ruleset_of(Family::Ipv4, &[t]).unwrap();
        let du = got
            .table(TableName::Filter)
            .and_then(|t| t.chain("DOCKER-USER"))
            .unwrap();
        assert_eq!(du.rules.len(), 2);
        assert_eq!(
            du.rules[1].target,
            Some(dfw_core::model::Target::Opaque(
                dfw_core::model::target::Opaque {
                    reason: "unknown expression".into(),
                    handle: Some(9),
                }
            ))
        );
        let dangling = filter(vec![rule("-j NOWHERE")], Vec::new());
        let err = ruleset_of(Family::Ipv4, &[dangling])
            .unwrap_err()
            .to_string();
        assert!(err.contains("FORWARD"), "{err}");
    }
}
