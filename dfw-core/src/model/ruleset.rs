//! A family's tables, chains and rules, kept in the order iptables-save prints them:
//! tables in iptables-nft's fixed order ([`TableName::SAVE_ORDER`]), built-in chains in hook
//! order, user chains by name.

use super::table::BuiltinChain;
use super::{ChainName, Counters, Family, ModelError, Policy, Rule, TableName, Target};

/// A chain: built-in (has a policy) or user-defined (no policy), with its rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    name: ChainName,
    policy: Option<Policy>,
    /// Chain counters (`[p:b]`); for user chains iptables-nft always prints `[0:0]`.
    pub counters: Counters,
    /// The rules, in order.
    pub rules: Vec<Rule>,
}

impl Chain {
    /// The name.
    pub fn name(&self) -> &ChainName {
        &self.name
    }

    /// The policy of a built-in chain; `None` for a user chain.
    pub fn policy(&self) -> Option<Policy> {
        self.policy
    }

    /// True for a built-in chain.
    pub fn is_builtin(&self) -> bool {
        self.policy.is_some()
    }
}

/// One table of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    family: Family,
    name: TableName,
    chains: Vec<Chain>,
}

impl Table {
    /// An empty table (no chains yet).
    pub fn new(family: Family, name: TableName) -> Self {
        Table {
            family,
            name,
            chains: Vec::new(),
        }
    }

    /// A table with all its built-in chains, policy ACCEPT, as a full iptables-restore makes it.
    pub fn with_builtins(family: Family, name: TableName) -> Self {
        let mut t = Table::new(family, name);
        for b in name.builtin_chains() {
            t.set_policy(b.name(), Policy::Accept, Counters::default())
                .expect("built-in chain names are valid");
        }
        t
    }

    /// The family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// The table name.
    pub fn name(&self) -> TableName {
        self.name
    }

    /// Chains in print order.
    pub fn chains(&self) -> &[Chain] {
        &self.chains
    }

    /// A chain by name.
    pub fn chain(&self, name: &str) -> Option<&Chain> {
        self.position(name).map(|i| &self.chains[i])
    }

    /// A chain by name, mutable.
    pub fn chain_mut(&mut self, name: &str) -> Option<&mut Chain> {
        self.position(name).map(|i| &mut self.chains[i])
    }

    /// Where chain `name` is: a binary search in print order (built-ins first, then by name,
    /// the order `insert_sorted` keeps; a policy of 200,000 rules spread over hundreds of
    /// chains looks a chain up for every rule it adds), then a scan should the order be off.
    fn position(&self, name: &str) -> Option<usize> {
        let builtins = self.name.builtin_chains();
        fn key<'n>(builtins: &[BuiltinChain], n: &'n str) -> (usize, &'n str) {
            match builtins.iter().position(|b| b.name() == n) {
                Some(i) => (i, ""),
                None => (builtins.len(), n),
            }
        }
        let want = key(builtins, name);
        match self
            .chains
            .binary_search_by(|c| key(builtins, c.name.as_str()).cmp(&want))
        {
            Ok(i) if self.chains[i].name.as_str() == name => Some(i),
            _ => self.chains.iter().position(|c| c.name.as_str() == name),
        }
    }

    fn no_such(&self, chain: &str) -> ModelError {
        ModelError::NoSuchChain {
            table: self.name.to_string(),
            chain: chain.to_string(),
        }
    }

    fn sort_key(&self, name: &str) -> (usize, String) {
        let builtins = self.name.builtin_chains();
        match builtins.iter().position(|b| b.name() == name) {
            Some(i) => (i, String::new()),
            None => (builtins.len(), name.to_string()),
        }
    }

    fn insert_sorted(&mut self, chain: Chain) {
        let key = self.sort_key(chain.name.as_str());
        let at = self
            .chains
            .iter()
            .position(|c| self.sort_key(c.name.as_str()) > key)
            .unwrap_or(self.chains.len());
        self.chains.insert(at, chain);
    }

    /// Sets a built-in chain's policy and counters, creating the chain if needed.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] when `chain` is not a built-in chain of this table.
    pub fn set_policy(
        &mut self,
        chain: &str,
        policy: Policy,
        counters: Counters,
    ) -> Result<(), ModelError> {
        if self.name.builtin(chain).is_none() {
            return Err(ModelError::Invalid {
                what: "policy",
                reason: format!("{chain} is not a built-in chain of table {}", self.name),
            });
        }
        match self.chain_mut(chain) {
            Some(c) => {
                c.policy = Some(policy);
                c.counters = counters;
            }
            None => {
                let chain = Chain {
                    name: ChainName::new(chain)?,
                    policy: Some(policy),
                    counters,
                    rules: Vec::new(),
                };
                self.insert_sorted(chain);
            }
        }
        Ok(())
    }

    /// Creates a user chain.
    ///
    /// # Errors
    /// [`ModelError::ChainExists`] if it exists, [`ModelError::Invalid`] for a built-in name.
    pub fn add_user_chain(&mut self, name: ChainName) -> Result<(), ModelError> {
        if self.name.builtin(name.as_str()).is_some() {
            return Err(ModelError::Invalid {
                what: "chain",
                reason: format!("{name} is a built-in chain of table {}", self.name),
            });
        }
        if self.chain(name.as_str()).is_some() {
            return Err(ModelError::ChainExists {
                table: self.name.to_string(),
                chain: name.to_string(),
            });
        }
        self.insert_sorted(Chain {
            name,
            policy: None,
            counters: Counters::default(),
            rules: Vec::new(),
        });
        Ok(())
    }

    /// Deletes a user chain; it must be empty and unreferenced, as `iptables -X` requires.
    ///
    /// # Errors
    /// [`ModelError`] when it is missing, built-in, not empty or still referenced.
    pub fn delete_user_chain(&mut self, name: &str) -> Result<(), ModelError> {
        let idx = self
            .chains
            .iter()
            .position(|c| c.name.as_str() == name)
            .ok_or_else(|| self.no_such(name))?;
        let c = &self.chains[idx];
        let refuse = |reason: String| ModelError::Invalid {
            what: "chain",
            reason,
        };
        if c.is_builtin() {
            return Err(refuse(format!("{name} is built-in")));
        }
        if !c.rules.is_empty() {
            return Err(refuse(format!("{name} is not empty")));
        }
        if self.references(name) > 0 {
            return Err(refuse(format!("{name} is still referenced")));
        }
        self.chains.remove(idx);
        Ok(())
    }

    /// How many rules jump or go to `chain`.
    pub fn references(&self, chain: &str) -> usize {
        self.chains
            .iter()
            .flat_map(|c| &c.rules)
            .filter(|r| {
                r.target
                    .as_ref()
                    .and_then(|t| t.chain())
                    .map(|c| c.as_str())
                    == Some(chain)
            })
            .count()
    }

    /// Checks a rule for this table: family, protocol bindings and that its jump exists.
    ///
    /// # Errors
    /// [`ModelError`] naming the problem.
    pub fn check_rule(&self, rule: &Rule) -> Result<(), ModelError> {
        rule.check(self.family)?;
        // NAT targets live in nat, REJECT in filter; iptables refuses DROP in nat.
        let misplaced = match &rule.target {
            Some(Target::Dnat(_) | Target::Snat(_) | Target::Masquerade(_)) => {
                self.name != TableName::Nat
            }
            Some(Target::Reject(_)) => self.name != TableName::Filter,
            Some(Target::Drop) => self.name == TableName::Nat,
            _ => false,
        };
        if let Some(t) = rule.target.as_ref().filter(|_| misplaced) {
            return Err(ModelError::Invalid {
                what: "target",
                reason: format!("-j {} is not allowed in table {}", t.name(), self.name),
            });
        }
        if let Some(target) = rule.target.as_ref().and_then(|t| t.chain()) {
            match self.chain(target.as_str()) {
                Some(c) if !c.is_builtin() => {}
                Some(_) => {
                    return Err(ModelError::Invalid {
                        what: "jump",
                        reason: format!("cannot jump to built-in chain {target}"),
                    })
                }
                None => return Err(self.no_such(target.as_str())),
            }
        }
        Ok(())
    }

    /// Inserts a rule at `index` (0-based; `len` appends) after checking it.
    ///
    /// # Errors
    /// [`ModelError`] when the chain is missing, the index is past the end or the rule is invalid.
    pub fn insert_rule(&mut self, chain: &str, index: usize, rule: Rule) -> Result<(), ModelError> {
        self.check_rule(&rule)?;
        let table = self.name;
        let c = self
            .chain_mut(chain)
            .ok_or_else(|| ModelError::NoSuchChain {
                table: table.to_string(),
                chain: chain.to_string(),
            })?;
        if index > c.rules.len() {
            return Err(ModelError::Invalid {
                what: "rule position",
                reason: format!(
                    "{} is past the end of {chain} ({} rules)",
                    index + 1,
                    c.rules.len()
                ),
            });
        }
        c.rules.insert(index, rule);
        Ok(())
    }

    /// Appends a rule after checking it.
    ///
    /// # Errors
    /// As [`Table::insert_rule`].
    pub fn append_rule(&mut self, chain: &str, rule: Rule) -> Result<(), ModelError> {
        let len = self.chain(chain).map(|c| c.rules.len()).unwrap_or(0);
        self.insert_rule(chain, len, rule)
    }
}

/// Every table of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruleset {
    family: Family,
    tables: Vec<Table>,
}

impl Ruleset {
    /// An empty ruleset.
    pub fn new(family: Family) -> Self {
        Ruleset {
            family,
            tables: Vec::new(),
        }
    }

    /// The family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Tables in print order.
    pub fn tables(&self) -> &[Table] {
        &self.tables
    }

    /// Every rule of every table, in print order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.tables
            .iter()
            .flat_map(|t| t.chains())
            .flat_map(|c| &c.rules)
    }

    /// A table by name.
    pub fn table(&self, name: TableName) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// A table by name, mutable.
    pub fn table_mut(&mut self, name: TableName) -> Option<&mut Table> {
        self.tables.iter_mut().find(|t| t.name == name)
    }

    /// Where a new table `name` goes to keep [`TableName::SAVE_ORDER`].
    fn slot(&self, name: TableName) -> usize {
        self.tables
            .iter()
            .position(|t| t.name.save_rank() > name.save_rank())
            .unwrap_or(self.tables.len())
    }

    /// The table, added empty if missing.
    pub fn ensure_table(&mut self, name: TableName) -> &mut Table {
        let idx = match self.tables.iter().position(|t| t.name == name) {
            Some(i) => i,
            None => {
                let at = self.slot(name);
                self.tables.insert(at, Table::new(self.family, name));
                at
            }
        };
        &mut self.tables[idx]
    }

    /// Replaces or adds a whole table.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] when the table belongs to the other family.
    pub fn put_table(&mut self, table: Table) -> Result<(), ModelError> {
        if table.family != self.family {
            return Err(ModelError::Invalid {
                what: "table",
                reason: format!(
                    "table {} is {}, ruleset is {}",
                    table.name, table.family, self.family
                ),
            });
        }
        match self.tables.iter_mut().find(|t| t.name == table.name) {
            Some(t) => *t = table,
            None => {
                let at = self.slot(table.name);
                self.tables.insert(at, table);
            }
        }
        Ok(())
    }

    /// Removes a table, returning it.
    pub fn remove_table(&mut self, name: TableName) -> Option<Table> {
        let idx = self.tables.iter().position(|t| t.name == name)?;
        Some(self.tables.remove(idx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_sort_builtins_first_then_by_name() {
        let mut t = Table::new(Family::Ipv4, TableName::Filter);
        t.add_user_chain(ChainName::new("ZED").unwrap()).unwrap();
        t.set_policy("OUTPUT", Policy::Accept, Counters::default())
            .unwrap();
        t.add_user_chain(ChainName::new("ABC").unwrap()).unwrap();
        t.set_policy("INPUT", Policy::Drop, Counters::default())
            .unwrap();
        let names: Vec<_> = t.chains().iter().map(|c| c.name().as_str()).collect();
        assert_eq!(names, ["INPUT", "OUTPUT", "ABC", "ZED"]);
    }

    #[test]
    fn tables_keep_iptables_save_order() {
        let mut rs = Ruleset::new(Family::Ipv4);
        for t in [
            TableName::Nat,
            TableName::Raw,
            TableName::Filter,
            TableName::Mangle,
        ] {
            rs.ensure_table(t);
        }
        let names: Vec<_> = rs.tables().iter().map(|t| t.name()).collect();
        assert_eq!(
            names,
            [
                TableName::Mangle,
                TableName::Raw,
                TableName::Filter,
                TableName::Nat
            ]
        );
    }

    #[test]
    fn targets_belong_to_their_tables() {
        let mut nat = Table::with_builtins(Family::Ipv4, TableName::Nat);
        assert!(nat
            .append_rule("PREROUTING", Rule::with_target(Target::Drop))
            .is_err());
        let masq = Rule::with_target(Target::Masquerade(Default::default()));
        nat.append_rule("POSTROUTING", masq.clone()).unwrap();
        let mut filter = Table::with_builtins(Family::Ipv4, TableName::Filter);
        assert!(filter.append_rule("FORWARD", masq).is_err());
        filter
            .append_rule("FORWARD", Rule::with_target(Target::Drop))
            .unwrap();
    }

    #[test]
    fn jumps_need_existing_user_chains() {
        let mut t = Table::with_builtins(Family::Ipv4, TableName::Filter);
        let jump = Rule::with_target(Target::Jump(ChainName::new("X").unwrap()));
        assert!(t.append_rule("INPUT", jump.clone()).is_err());
        t.add_user_chain(ChainName::new("X").unwrap()).unwrap();
        t.append_rule("INPUT", jump).unwrap();
        assert!(t.delete_user_chain("X").is_err());
        assert_eq!(t.references("X"), 1);
    }
}
