//! Applies a [`RestoreScript`] to a [`Ruleset`] with iptables-restore's semantics.
//!
//! Contract: without `noflush`, a table block replaces its table: the table starts with its
//! built-in chains (policy ACCEPT, no rules, no user chains); a block with no lines at all
//! deletes the table, as iptables-nft does. With `noflush`, declared user chains are created
//! or flushed, declared built-ins get their policy, and nothing else is touched. Each table
//! commits on its own: when a block fails, earlier blocks stay applied and the failing
//! table is left as it was (iptables-restore behaves the same way).

use super::error::{ErrorKind, SyntaxError};
use super::script::{Command, CommandKind, Item, RestoreScript, TableBlock};
use crate::model::{Chain, ChainName, Counters, Family, ModelError, Policy, Rule, Ruleset, Table};

/// How a script is applied (the `iptables-restore` flags that matter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// `--noflush`: keep what the script does not mention.
    pub noflush: bool,
    /// `--counters`: restore chain counters and `[p:b]` rule prefixes.
    pub counters: bool,
}

impl RestoreScript {
    /// Applies the script to `ruleset`.
    ///
    /// # Errors
    /// A [`SyntaxError`] at the line that failed (missing chain, bad rule number, ...).
    pub fn apply(&self, ruleset: &mut Ruleset, opts: ApplyOptions) -> Result<(), SyntaxError> {
        if ruleset.family() != self.family {
            let e = ModelError::Invalid {
                what: "ruleset",
                reason: format!("script is {}, ruleset is {}", self.family, ruleset.family()),
            };
            return Err(SyntaxError::new(1, 1, "", ErrorKind::Model(e)));
        }
        for block in &self.tables {
            if !opts.noflush && block.order.is_empty() {
                ruleset.remove_table(block.table);
                continue;
            }
            let mut table = match ruleset.table(block.table) {
                Some(t) if opts.noflush => t.clone(),
                _ => Table::with_builtins(self.family, block.table),
            };
            ensure_builtins(&mut table);
            apply_block(&mut table, block, opts)?;
            ruleset
                .put_table(table)
                .map_err(|e| SyntaxError::new(block.line, 1, "", ErrorKind::Model(e)))?;
        }
        Ok(())
    }
}

/// Parses a complete save file (as `iptables-save -c` or without counters prints it) into a
/// ruleset, restoring counters.
///
/// # Errors
/// The first [`SyntaxError`].
pub fn parse_ruleset(family: Family, text: &str) -> Result<Ruleset, SyntaxError> {
    let script = RestoreScript::parse(family, text)?;
    let mut rs = Ruleset::new(family);
    script.apply(
        &mut rs,
        ApplyOptions {
            noflush: false,
            counters: true,
        },
    )?;
    Ok(rs)
}

fn ensure_builtins(table: &mut Table) {
    for b in table.name().builtin_chains() {
        if table.chain(b.name()).is_none() {
            // A built-in name of the table's own list: cannot fail.
            let _ = table.set_policy(b.name(), Policy::Accept, Counters::default());
        }
    }
}

fn apply_block(
    table: &mut Table,
    block: &TableBlock,
    opts: ApplyOptions,
) -> Result<(), SyntaxError> {
    for item in &block.order {
        match *item {
            Item::Decl(i) => {
                let Some(d) = block.chain_decls.get(i) else {
                    continue;
                };
                let fail = |e: ModelError| {
                    SyntaxError::new(d.line, 2, d.chain.as_str(), ErrorKind::Model(e))
                };
                match d.policy {
                    Some(p) => {
                        let c = if opts.counters {
                            d.counters.unwrap_or_default()
                        } else {
                            Counters::default()
                        };
                        table.set_policy(d.chain.as_str(), p, c).map_err(fail)?;
                    }
                    None => match table.chain_mut(d.chain.as_str()) {
                        Some(c) => c.rules.clear(),
                        None => table.add_user_chain(d.chain.clone()).map_err(fail)?,
                    },
                }
            }
            Item::Command(i) => {
                if let Some(c) = block.commands.get(i) {
                    run(table, c, opts)?;
                }
            }
        }
    }
    Ok(())
}

fn model_err(table: &Table, cmd: &Command, e: ModelError) -> SyntaxError {
    match e {
        ModelError::NoSuchChain { chain, .. } => SyntaxError::new(
            cmd.line,
            cmd.column,
            &chain,
            ErrorKind::UnknownChain(table.name().to_string()),
        ),
        e => SyntaxError::new(cmd.line, cmd.column, "", ErrorKind::Model(e)),
    }
}

/// Runs one command on `table`: one step per kind of command, each below.
fn run(table: &mut Table, cmd: &Command, opts: ApplyOptions) -> Result<(), SyntaxError> {
    let at = At { cmd, opts };
    match &cmd.kind {
        CommandKind::Append { chain, rule } => table
            .append_rule(chain.as_str(), at.with_counters(rule))
            .map_err(|e| at.model(table, e)),
        CommandKind::Insert { chain, index, rule } => table
            .insert_rule(chain.as_str(), index - 1, at.with_counters(rule))
            .map_err(|e| at.model(table, e)),
        CommandKind::Replace { chain, index, rule } => at.replace(table, chain, *index, rule),
        CommandKind::Delete { chain, rule } => at.delete(table, chain, rule),
        CommandKind::DeleteNum { chain, index } => at.delete_num(table, chain, *index),
        CommandKind::NewChain { chain } => table
            .add_user_chain(chain.clone())
            .map_err(|e| at.model(table, e)),
        CommandKind::DeleteChain { chain: Some(c) } => table
            .delete_user_chain(c.as_str())
            .map_err(|e| at.model(table, e)),
        CommandKind::DeleteChain { chain: None } => at.delete_user_chains(table),
        CommandKind::Flush { chain } => at.each_chain(table, chain.as_ref(), |c| c.rules.clear()),
        CommandKind::Zero { chain, index: None } => at.each_chain(table, chain.as_ref(), |c| {
            c.counters = Counters::default();
            c.rules
                .iter_mut()
                .for_each(|r| r.counters = Some(Counters::default()));
        }),
        CommandKind::Zero {
            chain: Some(c),
            index: Some(i),
        } => at.zero_rule(table, c, *i),
        CommandKind::Zero {
            chain: None,
            index: Some(_),
        } => Err(at.no_rule("-Z with a rule number needs a chain".into())),
        CommandKind::Policy { chain, policy } => at.policy(table, chain, *policy),
    }
}

/// The command being run and the options: what its steps need to build rules and errors.
struct At<'a> {
    cmd: &'a Command,
    opts: ApplyOptions,
}

impl At<'_> {
    /// The error of the command for a model error (an unknown chain named as such).
    fn model(&self, table: &Table, e: ModelError) -> SyntaxError {
        model_err(table, self.cmd, e)
    }

    /// The error of a missing chain `chain`.
    fn missing(&self, table: &Table, chain: &str) -> SyntaxError {
        let e = ModelError::NoSuchChain {
            table: table.name().to_string(),
            chain: chain.to_string(),
        };
        self.model(table, e)
    }

    /// The error of a rule that is not there.
    fn no_rule(&self, what: String) -> SyntaxError {
        SyntaxError::new(
            self.cmd.line,
            self.cmd.column,
            "",
            ErrorKind::NoSuchRule(what),
        )
    }

    /// `rule` with the command's `[p:b]` counters when restoring counters.
    fn with_counters(&self, rule: &Rule) -> Rule {
        let mut r = rule.clone();
        if self.opts.counters && r.counters.is_none() {
            r.counters = self.cmd.counters;
        }
        r
    }

    /// `-R chain index rule`.
    fn replace(
        &self,
        table: &mut Table,
        chain: &ChainName,
        index: usize,
        rule: &Rule,
    ) -> Result<(), SyntaxError> {
        table.check_rule(rule).map_err(|e| self.model(table, e))?;
        let len = table.chain(chain.as_str()).map(|c| c.rules.len());
        let c = match len {
            None => return Err(self.missing(table, chain.as_str())),
            Some(n) if index > n => return Err(self.no_rule(format!("{chain} has {n} rules"))),
            Some(_) => table.chain_mut(chain.as_str()),
        };
        if let Some(slot) = c.and_then(|c| c.rules.get_mut(index - 1)) {
            *slot = self.with_counters(rule);
        }
        Ok(())
    }

    /// `-D chain rule`: the first equal rule.
    fn delete(&self, table: &mut Table, chain: &ChainName, rule: &Rule) -> Result<(), SyntaxError> {
        let Some(c) = table.chain_mut(chain.as_str()) else {
            return Err(self.missing(table, chain.as_str()));
        };
        match c.rules.iter().position(|r| r == rule) {
            Some(i) => {
                c.rules.remove(i);
                Ok(())
            }
            None => Err(self.no_rule(format!("no matching rule in {chain}"))),
        }
    }

    /// `-D chain index`.
    fn delete_num(
        &self,
        table: &mut Table,
        chain: &ChainName,
        index: usize,
    ) -> Result<(), SyntaxError> {
        let Some(c) = table.chain_mut(chain.as_str()) else {
            return Err(self.missing(table, chain.as_str()));
        };
        if index > c.rules.len() {
            let n = c.rules.len();
            return Err(self.no_rule(format!("{chain} has {n} rules")));
        }
        c.rules.remove(index - 1);
        Ok(())
    }

    /// `-X` without a chain: every user chain.
    fn delete_user_chains(&self, table: &mut Table) -> Result<(), SyntaxError> {
        let users: Vec<String> = table
            .chains()
            .iter()
            .filter(|c| !c.is_builtin())
            .map(|c| c.name().to_string())
            .collect();
        users
            .iter()
            .try_for_each(|n| table.delete_user_chain(n).map_err(|e| self.model(table, e)))
    }

    /// `-F` / `-Z` (without a rule number): `change` on `chain`, or on every chain.
    fn each_chain(
        &self,
        table: &mut Table,
        chain: Option<&ChainName>,
        mut change: impl FnMut(&mut Chain),
    ) -> Result<(), SyntaxError> {
        let names: Vec<String> = match chain {
            Some(c) if table.chain(c.as_str()).is_none() => {
                return Err(self.missing(table, c.as_str()))
            }
            Some(c) => vec![c.to_string()],
            None => table
                .chains()
                .iter()
                .map(|c| c.name().to_string())
                .collect(),
        };
        for n in names {
            if let Some(c) = table.chain_mut(&n) {
                change(c);
            }
        }
        Ok(())
    }

    /// `-Z chain index`.
    fn zero_rule(&self, table: &mut Table, chain: &ChainName, i: usize) -> Result<(), SyntaxError> {
        let Some(ch) = table.chain_mut(chain.as_str()) else {
            return Err(self.missing(table, chain.as_str()));
        };
        let n = ch.rules.len();
        let r = ch
            .rules
            .get_mut(i - 1)
            .ok_or_else(|| self.no_rule(format!("{chain} has {n} rules")))?;
        r.counters = Some(Counters::default());
        Ok(())
    }

    /// `-P chain policy`: the chain keeps its counters.
    fn policy(
        &self,
        table: &mut Table,
        chain: &ChainName,
        policy: Policy,
    ) -> Result<(), SyntaxError> {
        let Some(counters) = table.chain(chain.as_str()).map(|c| c.counters) else {
            return Err(self.missing(table, chain.as_str()));
        };
        table
            .set_policy(chain.as_str(), policy, counters)
            .map_err(|e| self.model(table, e))
    }
}
