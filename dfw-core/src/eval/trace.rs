//! What [`explain`](super::explain) reports: every rule met, the NAT and routing steps, and
//! the final verdict with the rule or policy that decided it.
//!
//! Contract: these types are the stable result of the evaluator (`dfw-cli explain` prints
//! them, `dfw-cli audit --json` serialises them); variants and fields are only ever added.

use std::fmt;
use std::net::IpAddr;

use crate::model::target::Reject;
use crate::model::{Hook, Policy, Rule, TableName};
use crate::native::{self, NftFamily};

use super::host::RouteDecision;

/// A table the packet meets: one of iptables-nft's, or a native nf_tables table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TableRef {
    /// An iptables-nft table of the packet's family (`filter`, `nat`, ...).
    Xt(TableName),
    /// A native table (`ip docker-bridges`, `inet firewalld`, ...).
    Native(NftFamily, String),
}

impl TableRef {
    /// The iptables table, if this is one.
    pub fn xt(&self) -> Option<TableName> {
        match self {
            TableRef::Xt(t) => Some(*t),
            TableRef::Native(..) => None,
        }
    }
}

impl From<TableName> for TableRef {
    fn from(t: TableName) -> Self {
        TableRef::Xt(t)
    }
}

impl PartialEq<TableName> for TableRef {
    fn eq(&self, other: &TableName) -> bool {
        self.xt() == Some(*other)
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Xt(t) => write!(f, "{t}"),
            TableRef::Native(fam, name) => write!(f, "{fam} {name}"),
        }
    }
}

/// A rule's position: table, chain and 1-based rule number, as `iptables -L --line-numbers`
/// (for a native table: the rule's position in its chain, as `nft list` shows the rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleRef {
    /// The table.
    pub table: TableRef,
    /// The chain.
    pub chain: String,
    /// The rule number, from 1.
    pub number: usize,
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} #{}", self.table, self.chain, self.number)
    }
}

/// Why a verdict could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Undecided {
    /// The rule whose match could not be decided, when one is to blame.
    pub rule: Option<RuleRef>,
    /// The reason, in words.
    pub reason: String,
}

impl fmt::Display for Undecided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(r) => write!(f, "{r}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// The fate of the packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Delivered (INPUT) or forwarded (FORWARD).
    Accept,
    /// Dropped silently (a DROP rule, a DROP policy, or no route).
    Drop,
    /// Refused with a reply.
    Reject(Reject),
    /// Cannot be decided.
    Unknown(Undecided),
}

impl Verdict {
    /// True for [`Verdict::Accept`].
    pub fn is_accept(&self) -> bool {
        matches!(self, Verdict::Accept)
    }

    /// True for [`Verdict::Unknown`].
    pub fn is_unknown(&self) -> bool {
        matches!(self, Verdict::Unknown(_))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Accept => f.write_str("ACCEPT"),
            Verdict::Drop => f.write_str("DROP"),
            Verdict::Reject(r) => write!(f, "REJECT ({r})"),
            Verdict::Unknown(u) => write!(f, "UNKNOWN ({u})"),
        }
    }
}

/// What decided a hook's or the packet's fate.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Decision {
    /// A rule with a verdict target (ACCEPT, DROP, REJECT, or a NAT target, which accepts).
    Rule(RuleRef),
    /// A built-in chain's policy.
    Policy {
        /// The table.
        table: TableRef,
        /// The built-in chain.
        chain: String,
        /// The policy.
        policy: Policy,
    },
    /// The routing decision (no route, forwarding off).
    Routing(String),
    /// No table had anything to say: every hook accepted without rules.
    NoRules,
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Rule(r) => write!(f, "rule {r}"),
            Decision::Policy {
                table,
                chain,
                policy,
            } => write!(f, "policy {policy} of {table} {chain}"),
            Decision::Routing(why) => write!(f, "routing: {why}"),
            Decision::NoRules => f.write_str("no rules"),
        }
    }
}

/// How a rule's match came out on this path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MatchResult {
    /// The rule matched.
    Matched,
    /// The rule did not match.
    NotMatched,
    /// The match could not be decided. `assumed` says how this path continued: `false` (the
    /// reported path always assumes "not matched"), or `true` in an explored alternative.
    Unknown {
        /// Why.
        reason: String,
        /// The assumption this path made.
        assumed: bool,
    },
}

/// How a chain was entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Entry {
    /// A built-in chain entered from its hook.
    Hook(Hook),
    /// `-j CHAIN`.
    Jump,
    /// `-g CHAIN`.
    Goto,
    /// Back in a calling chain after a return.
    Return,
}

/// One event on the packet's path, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The packet enters (or re-enters) a chain.
    Enter {
        /// The table.
        table: TableRef,
        /// The chain.
        chain: String,
        /// How.
        how: Entry,
    },
    /// A rule was evaluated.
    Rule {
        /// Where it is.
        at: RuleRef,
        /// The rule itself.
        rule: Box<Rule>,
        /// Its match result.
        result: MatchResult,
    },
    /// A native rule was evaluated.
    NativeRule {
        /// Where it is.
        at: RuleRef,
        /// The rule itself.
        rule: Box<native::Rule>,
        /// The rule as `nft list ruleset` prints it.
        text: String,
        /// Its match result.
        result: MatchResult,
    },
    /// A built-in chain's end: its policy applies.
    Policy {
        /// The table.
        table: TableRef,
        /// The chain.
        chain: String,
        /// The policy.
        policy: Policy,
    },
    /// DNAT rewrote the destination.
    Dnat {
        /// The rule.
        at: RuleRef,
        /// New destination address.
        dst: IpAddr,
        /// New destination port, for TCP and UDP.
        port: Option<u16>,
    },
    /// SNAT or MASQUERADE applied (source rewriting is not followed further).
    Snat {
        /// The rule.
        at: RuleRef,
    },
    /// The routing decision after PREROUTING.
    Route(RouteDecision),
}

/// A rule whose match was undecidable on the reported path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownNote {
    /// The rule.
    pub at: RuleRef,
    /// Why it could not be decided.
    pub reason: String,
    /// True when its target could change the packet's fate (both outcomes were explored);
    /// false for rules without a verdict (no target, LOG), which are skipped safely.
    pub explored: bool,
}

/// The DNAT applied to the packet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DnatApplied {
    /// The DNAT rule.
    pub rule: RuleRef,
    /// New destination address.
    pub dst: IpAddr,
    /// New destination port, for TCP and UDP.
    pub port: Option<u16>,
}

/// The full explanation of one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Every event, in order, on the reported path (undecidable rules assumed not to match).
    pub steps: Vec<Step>,
    /// The final verdict; unknown when some undecidable rule could change it.
    pub verdict: Verdict,
    /// What decided it on the reported path: the dropping or rejecting rule or policy, or for
    /// an accepted packet the filter table's accepting rule or policy (INPUT or FORWARD).
    pub decided_by: Option<Decision>,
    /// The DNAT applied on the reported path, if any.
    pub dnat: Option<DnatApplied>,
    /// The routing decision on the reported path, if the packet got that far.
    pub route: Option<RouteDecision>,
    /// Rules whose match was undecidable on the reported path.
    pub unknowns: Vec<UnknownNote>,
    /// How many paths were explored (1 when nothing undecidable had an effect).
    pub paths: usize,
    /// How the explored paths end, each distinct end once (one entry when the verdict is
    /// known): what an unknown verdict may turn out to be.
    pub outcomes: Vec<PathOutcome>,
}

/// How one explored path ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathOutcome {
    /// Its verdict (unknown when the path itself could not be followed).
    pub verdict: Verdict,
    /// The DNAT applied on it.
    pub dnat: Option<DnatApplied>,
    /// Its routing decision, if the packet got that far.
    pub route: Option<RouteDecision>,
}
