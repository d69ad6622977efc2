//! What the targets that let a packet continue do to it: MARK and CONNMARK change the marks
//! later rules match, `CT --notrack` keeps the packet out of conntrack; LOG, NFLOG, TCPMSS and
//! the other CT options change nothing the evaluator models.
//!
//! Contract: [`apply`] updates the [`Flow`] exactly as the kernel target would for a first
//! packet; a value that depends on an unknown input becomes unknown (`None`), never a guess.

use crate::model::target::Connmark;
use crate::model::{Hook, TableName, Target};

use super::flow::{Ct, Flow};

/// True when the target can never change the packet's fate or what later rules see (a rule
/// with such a target and an undecidable match needs no exploration).
pub(crate) fn inert(target: &Option<Target>) -> bool {
    match target {
        None | Some(Target::Log(_) | Target::Nflog(_) | Target::Tcpmss(_)) => true,
        Some(Target::Ct(c)) => !c.notrack,
        Some(_) => false,
    }
}

fn connmark(c: &Connmark, flow: &mut Flow<'_>) {
    if !matches!(flow.ct, Ct::New { .. }) {
        // No entry: connmark_tg does nothing (an unknown entry leaves the marks unknown).
        if matches!(flow.ct, Ct::Unknown(_)) {
            flow.ctmark = None;
        }
        return;
    }
    match (flow.mark, flow.ctmark) {
        (Some(m), Some(ct)) => {
            let (m, ct) = c.apply(m, ct);
            (flow.mark, flow.ctmark) = (Some(m), Some(ct));
        }
        // One of them unknown: whichever the mode writes becomes unknown.
        _ => match c.mode {
            crate::model::target::ConnmarkMode::Restore { .. } => flow.mark = None,
            _ => flow.ctmark = None,
        },
    }
}

/// Applies a continuing target in `table`/`hook`; `Err` with the reason when the kernel would
/// refuse the target there (the ruleset would not load).
pub(crate) fn apply(target: &Target, table: TableName, flow: &mut Flow<'_>) -> Result<(), String> {
    match target {
        Target::Mark(m) => {
            flow.mark = match flow.mark {
                Some(v) => Some(m.apply(v)),
                None if m.mask == u32::MAX => Some(m.value),
                None => None,
            };
        }
        Target::Connmark(c) => connmark(c, flow),
        Target::Ct(_) if table != TableName::Raw => {
            return Err("-j CT outside the raw table (not loadable)".into())
        }
        Target::Ct(c) if c.notrack && flow.hook == Hook::Prerouting => flow.notrack = true,
        _ => {}
    }
    Ok(())
}
