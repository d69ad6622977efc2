//! The native `limit` and `log` expressions read into the model: `limit` (packets, no flags)
//! is `-m limit`, `log` with a group is `-j NFLOG`, as iptables-nft 1.8.8+ reads them
//! (`nft_parse_limit`, `nft_parse_log`).
//!
//! Contract: a `limit` becomes a match where it stands (before the counter); only the
//! `(rate, unit)` pairs iptables-nft itself writes are accepted (others print as another rate).
//! A `log` with a group ends the rule as its target, after the counter, like any target; its
//! prefix must fit the xt NFLOG target dfw writes back (63 bytes). Anything else (byte limits,
//! inverted limits, `log` without a group: `-j LOG` is never native) makes the rule opaque.

use dfw_core::model::matches::Limit;
use dfw_core::model::target::Nflog;
use dfw_core::model::{Match, Target};

use super::decode::{Decoder, Why};
use super::ext_more::limit_expr;
use crate::expr::{Expr, LogExpr};

impl Decoder {
    /// `limit rate R/U burst B type packets flags 0`: `-m limit`.
    pub(super) fn limit(&mut self, e: &Expr) -> Result<(), Why> {
        let Expr::Limit {
            rate,
            unit,
            burst,
            kind: 0,
            flags: 0,
        } = *e
        else {
            return Err("limit in bytes or inverted".into());
        };
        if rate == 0 {
            return Err("limit rate 0".into());
        }
        let avg = Limit::SCALE
            .checked_mul(unit)
            .and_then(|v| u32::try_from(v / rate).ok())
            .ok_or("limit interval beyond 32 bits")?;
        let l = Limit::new(avg, burst).map_err(|e| e.to_string())?;
        if burst == 0 || limit_expr(&l) != *e {
            return Err(format!(
                "limit {rate}/{unit}s burst {burst}: iptables prints another rate"
            ));
        }
        self.rule.matches.push(Match::Limit(l));
        Ok(())
    }

    /// `log group G [prefix] [snaplen] [qthreshold]`: `-j NFLOG`.
    pub(super) fn log(&mut self, l: &LogExpr) -> Result<Target, Why> {
        let (Some(group), None, None) = (l.group, l.level, l.flags) else {
            return Err("log without a group (a native LOG iptables cannot show)".into());
        };
        let n = Nflog::new(
            group,
            l.prefix.as_deref().unwrap_or(""),
            l.snaplen,
            l.qthreshold.unwrap_or(0),
        )
        .map_err(|e| e.to_string())?;
        Ok(Target::Nflog(n))
    }
}
