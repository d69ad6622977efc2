//! dfw's own native table (`table inet dfw`, `[docker] accept_fwmark`) against the kernel:
//! what it holds, and the messages a commit adds to its batch.
//!
//! Contract: [`native_state`] reads `inet dfw` alone (one consistent snapshot of that
//! family's tables and chains and that table's rules) and says
//! whether `inet dfw` is as the compiled policy wants it (compared as nft prints it, so
//! handles and counters do not count). [`native_requests`] turns a difference into the
//! idempotent messages of `dfw_netlink::native` (create-if-missing + delete, then the table
//! anew; or create-if-missing + delete when the policy has no `accept_fwmark`), which
//! [`crate::Firewall::set_native_change`] puts into the same batch as the iptables rules: one
//! transaction, so the marks never disagree with the rules that accept the same traffic.

use dfw_core::native::print::table_text;
use dfw_core::native::{NftFamily, Table};
use dfw_core::policy::{DriftItem, DriftKind, MARK_TABLE};

use super::CommitError;
use crate::firewall::Firewall;
use crate::native::{delete_requests, read_native_table, replace_requests, NativeChangeRequest};
use crate::transport::Transport;

/// How `inet dfw` compares with what the policy wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeState {
    /// As wanted (present and equal, or absent and unwanted).
    InSync,
    /// Wanted but missing.
    Missing,
    /// Present and different from what is wanted (someone changed it, or the policy did).
    Changed {
        /// What the kernel holds, as nft prints it.
        kernel: String,
    },
    /// Present but the policy has no `accept_fwmark`: a commit deletes it.
    Unwanted,
}

/// Compares `inet dfw` with `wanted`: the table as this handle knows it at the current
/// generation ([`Firewall::native_kept`]: nothing read when the kernel has not changed since
/// it was read or committed), else read from the kernel (and kept).
///
/// # Errors
/// [`CommitError::Native`] when the native table cannot be read.
pub fn native_state<T: Transport>(
    fw: &mut Firewall<T>,
    wanted: Option<&Table>,
) -> Result<NativeState, CommitError> {
    let generation = fw
        .transport()
        .generation()
        .map_err(|e| CommitError::Firewall(e.into()))?;
    let have = match fw.native_kept() {
        Some((g, t)) if *g == generation => t.clone(),
        _ => {
            let t = read_native_table(fw.transport(), NftFamily::Inet, MARK_TABLE)
                .map_err(|e| CommitError::Native(Box::new(e)))?;
            fw.set_native_kept(Some((generation, t.clone())));
            t
        }
    };
    Ok(match (have.as_ref(), wanted) {
        (None, None) => NativeState::InSync,
        (None, Some(_)) => NativeState::Missing,
        (Some(_), None) => NativeState::Unwanted,
        (Some(h), Some(w)) => {
            let kernel = table_text(h);
            if kernel == table_text(w) {
                NativeState::InSync
            } else {
                NativeState::Changed { kernel }
            }
        }
    })
}

/// After a commit that left the kernel at `generation` holding `wanted` as dfw's native
/// table: kept when the firewall's kept state vouches for that generation (nobody else
/// wrote in between), forgotten otherwise.
pub fn native_committed<T: Transport>(
    fw: &mut Firewall<T>,
    generation: u32,
    wanted: Option<&Table>,
) {
    let kept = (fw.kept_generation() == Some(generation)).then(|| (generation, wanted.cloned()));
    fw.set_native_kept(kept);
}

/// The messages that bring `inet dfw` from `state` to `wanted` (none when in sync).
///
/// # Errors
/// [`CommitError::NativeEncode`] when `wanted` holds what the encoder cannot write.
pub fn native_requests(
    state: &NativeState,
    wanted: Option<&Table>,
) -> Result<Vec<NativeChangeRequest>, CommitError> {
    Ok(match (state, wanted) {
        (NativeState::InSync, _) => Vec::new(),
        (_, Some(t)) => replace_requests(t).map_err(|e| CommitError::NativeEncode(Box::new(e)))?,
        (_, None) => delete_requests(NftFamily::Inet, MARK_TABLE),
    })
}

/// `state` as drift items of [`dfw_core::policy::Drift::native`] (none when in sync).
pub fn native_drift(state: &NativeState, wanted: Option<&Table>) -> Vec<DriftItem> {
    let item = |kind, rule: String, wanted: Option<String>| DriftItem { kind, rule, wanted };
    match state {
        NativeState::InSync => Vec::new(),
        NativeState::Missing => vec![item(DriftKind::Missing, "table inet dfw".into(), None)],
        NativeState::Unwanted => vec![item(DriftKind::Extra, "table inet dfw".into(), None)],
        NativeState::Changed { kernel } => vec![item(
            DriftKind::Changed,
            kernel.clone(),
            wanted.map(table_text),
        )],
    }
}
