//! The rule codec: dfw-core's [`Rule`] <-> nf_tables expressions plus the `NFTA_RULE_COMPAT`
//! attribute, exactly as iptables-nft 1.8.9 builds rules, with one deliberate difference:
//! `-m tcp`/`-m udp` ports and flags and `-m mark` are written as xt matches (as iptables 1.8.7
//! does), never native payload/range/meta, so every iptables-nft 1.8.x reads dfw's rules.
//!
//! The same holds for `-j NFLOG`: dfw writes the xt NFLOG target (1.8.7's form), and reads
//! 1.8.8+'s native `log group` too; `-m limit` is the native `limit` expression in every 1.8.x.
//!
//! Contract:
//! - [`encode_rule`] emits, in order: `-i`, `-o` (meta iifname/oifname + cmp), `-s`, `-d`
//!   (payload [+ bitwise] + cmp), `-p` (meta l4proto + cmp), the xt matches in rule order, always
//!   a `counter`, then the verdict `immediate` or the xt target; and always a [`Compat`]
//!   (`PROTO` = `-p` or 0, `FLAGS` = 2 for `! -p`), as iptables sends on every rule.
//! - [`decode_rule`] reads what dfw emits and what iptables-nft 1.8.9 (and 1.8.7) emits,
//!   including native tcp/udp ports and flags and native mark, into the same model [`Rule`].
//!   Anything the model cannot express exactly comes back as [`DecodedRule::Opaque`] with the
//!   expressions untouched: never dropped, never turned into something else.

mod decode;
mod encode;
mod ext;
mod ext_more;
mod native;
mod prefix;
mod stateful;
mod udata;

pub use decode::decode_rule;
pub use encode::{encode_match, encode_rule, encode_target};
pub use ext::{decode_xt_match, decode_xt_target};
pub use ext_more::limit_expr;
pub use prefix::known_conditions;
pub use udata::decode_rule_with_userdata;

use dfw_core::model::{ModelError, Rule};

use crate::expr::Expr;

/// `NFTA_RULE_COMPAT`: the layer-4 protocol xt extensions are bound to (the wire type itself).
pub use crate::nft::RuleCompat as Compat;

/// A rule as nf_tables holds it: expressions plus the compat attribute.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EncodedRule {
    /// `NFTA_RULE_EXPRESSIONS`, in order.
    pub exprs: Vec<Expr>,
    /// `NFTA_RULE_COMPAT`, if present (dfw always sends it).
    pub compat: Option<Compat>,
}

/// The result of decoding a kernel rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodedRule {
    /// A rule the model expresses exactly (counters from the `counter` expression).
    Rule(Rule),
    /// A rule dfw cannot express; kept byte for byte.
    Opaque {
        /// Why the rule could not be expressed (the first obstacle found).
        reason: String,
        /// The expressions as read.
        exprs: Vec<Expr>,
        /// The compat attribute as read.
        compat: Option<Compat>,
    },
}

impl DecodedRule {
    /// The rule, if it was expressible.
    pub fn rule(&self) -> Option<&Rule> {
        match self {
            DecodedRule::Rule(r) => Some(r),
            DecodedRule::Opaque { .. } => None,
        }
    }
}

/// Why a model rule could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The rule does not fit the family (addresses, icmp vs icmp6, REJECT types) or lacks the
    /// `-p` a match needs.
    #[error("rule is invalid: {0}")]
    Model(#[from] ModelError),
    /// A rule the model can hold but iptables-nft cannot encode (the kernel refuses it).
    #[error("cannot encode {what}: {reason}")]
    Unencodable {
        /// The part of the rule.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
}
