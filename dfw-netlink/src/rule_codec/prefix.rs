//! What a rule dfw cannot decode still says for sure: the conditions of its leading
//! expressions, for the evaluator's stand-in of the rule.
//!
//! Contract: nf_tables runs a rule's expressions in order and stops at the first condition
//! that fails. So when the expressions before the first one dfw cannot decode are conditions
//! only (interface, address, protocol, port and mark compares, xt matches: what the decoder
//! reads before the counter), a packet failing any of them meets nothing after them: the
//! rule neither matches it nor does anything to it. [`known_conditions`] returns those
//! conditions as a rule without target (nothing when the first expression is already
//! undecodable or the conditions do not form a valid rule): a necessary condition for the
//! rule to match, never a sufficient one.

use dfw_core::model::{Family, Rule};

use super::decode::Decoder;
use crate::expr::Expr;

/// The conditions every packet the rule `exprs` can match satisfies, as far as dfw decodes
/// them (see the module contract); a rule matching every packet when nothing is known.
pub fn known_conditions(family: Family, exprs: &[Expr]) -> Rule {
    let mut d = Decoder::new(family);
    for e in exprs {
        // The counter and the target end the conditions (a rule decoded to its end is not
        // opaque: its target, or something after it, was the obstacle).
        if d.counted || d.finished || d.step(e).is_err() {
            break;
        }
    }
    let rule = Rule {
        target: None,
        counters: None,
        ..d.rule
    };
    if rule.check(family).is_err() {
        return Rule::default();
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{CmpOp, MetaKey};
    use dfw_core::syntax::rule_spec;

    fn meta(key: MetaKey) -> Expr {
        Expr::Meta { key, dreg: 1 }
    }

    fn cmp(data: &[u8]) -> Expr {
        Expr::Cmp {
            sreg: 1,
            op: CmpOp::Eq,
            data: data.to_vec(),
        }
    }

    fn other(name: &str) -> Expr {
        Expr::Other {
            name: name.into(),
            data: Vec::new(),
        }
    }

    #[test]
    fn conditions_before_the_first_undecodable_expression_are_kept() {
        // iifname "eth0" meta l4proto tcp <lookup> drop
        let exprs = [
            meta(MetaKey::IIFNAME),
            cmp(b"eth0\0"),
            meta(MetaKey::L4PROTO),
            cmp(&[6]),
            other("lookup"),
        ];
        let r = known_conditions(Family::Ipv4, &exprs);
        assert_eq!(rule_spec(&r).trim(), "-i eth0 -p tcp");
        // A statement first (an unknown expression): nothing is known.
        let first = [other("meta set"), meta(MetaKey::IIFNAME), cmp(b"eth0\0")];
        assert_eq!(known_conditions(Family::Ipv4, &first), Rule::default());
        // A counter before the conditions (a native rule): they are not read.
        let counted = [
            Expr::Counter {
                packets: 0,
                bytes: 0,
            },
            meta(MetaKey::IIFNAME),
            cmp(b"eth0\0"),
        ];
        assert_eq!(known_conditions(Family::Ipv4, &counted), Rule::default());
    }
}
