//! The kernel-facing firewall: reads iptables-nft tables, chains and rules from nf_tables and
//! changes them in one atomic batch, in exactly the form iptables-nft uses.
//!
//! # Contract
//! - Reading ([`Firewall::read_chains`], [`Firewall::read_tables`]) sees only the iptables
//!   tables (`raw`, `mangle`, `filter`, `nat`, `security`) of family `ip` or `ip6`, and only
//!   what was asked for: the chain dump is filtered by table here (the kernel does not filter
//!   it), rules are dumped per table or per chain (the kernel filters those). Reads are one
//!   consistent snapshot (generation unchanged across them, retried with bounded backoff).
//!   Rules come back with their handles and counters; a rule dfw cannot express is kept as
//!   [`Decoded::Opaque`], never dropped and never shown as something else.
//! - Changing ([`Firewall::plan`], [`Firewall::apply`]): a [`ChangeSet`] says what chains must
//!   end up holding. Per chain, [`dfw_core::diff`] between the kernel's rules and the wanted
//!   ones gives a minimal edit: equal rules keep their handle and counters, the others are
//!   deleted by handle, new rules are inserted positioned by handle (see `plan`); kernel
//!   rules the change names by handle ([`Wanted::Kernel`]: a neighbour's, decodable or not)
//!   stay exactly as they are. Missing
//!   tables and built-in chains are created as iptables-nft creates them (name, hook,
//!   priority, type from [`dfw_core::model::TableName::builtin_chains`], policy ACCEPT unless
//!   given); an existing base chain's policy is sent only when the caller sets one that differs (sending
//!   it unasked would flip Docker's `FORWARD DROP`). Everything, both families included, goes
//!   in ONE batch whose BEGIN carries the generation the plan was made from; on `ERESTART`
//!   the state is re-read and the batch re-planned, with bounded backoff.
//! - A kernel rejection is a [`FirewallError::Rejected`] naming the family, table, chain and
//!   rule position of the message that failed, with the errno name and a hint; nothing of
//!   the batch was committed.
#![deny(unsafe_code)]

mod apply;
mod build;
mod cache;
mod error;
mod kept;
mod plan;
mod read;
#[cfg(test)]
mod replace_tests;
mod restore;
mod save;
mod setref;
mod step;
#[cfg(test)]
mod tests;
mod types;
mod wholesale;

pub use build::{build_batch, build_batch_in};
pub(crate) use cache::ScopeRead;
pub use error::{FirewallError, Refusal, Unencodable};
pub use plan::{make_plan, ChainPlan, Create, Place, Plan, RuleOp};
pub(crate) use read::query;
pub use read::{read_chains_in, READ_LIMIT};
pub use restore::{RestoreError, RestoreOptions, RestoreReport};
pub use save::{print_kernel_table, OPAQUE_MARK};
pub use setref::read_set_index;
pub use step::{Step, StepKind};
pub use types::{
    ApplyReport, BaseChain, ChainTarget, ChangeSet, Decoded, KernelChain, KernelRule, KernelTable,
    Wanted,
};

use crate::transport::{NetlinkTransport, RetryPolicy, Transport};

/// The firewall engine over a [`Transport`] (the kernel, or a recorded double in tests): the
/// iptables tables of nf_tables, read and changed in iptables-nft's form. It knows nothing of
/// dfw's policy: [`crate::Dfw`] (the front door) and [`crate::enforce`] bring a policy to it.
///
/// Its methods, by group (each group in the file a reader looks for it):
/// - **Opening** (`mod.rs`): [`Firewall::open`] (a netlink socket in the calling thread's
///   network namespace), [`Firewall::new`] over any transport, [`Firewall::with_retry`],
///   [`Firewall::transport`].
/// - **Reading** (`read.rs`, `save.rs`): [`Firewall::read_tables`], [`Firewall::read_chains`]
///   (one consistent snapshot each), [`Firewall::save`] (`iptables-save` text).
/// - **Changing** (`apply.rs`, `restore.rs`): [`Firewall::plan`] (what [`Firewall::apply`]
///   would send), [`Firewall::apply`] (a [`ChangeSet`] in one atomic batch),
///   [`Firewall::apply_with`] (a change computed inside each retried attempt),
///   [`Firewall::restore`] (`iptables-restore` semantics).
/// - **Kept state** (`kept.rs`): [`Firewall::has_cached_state`],
///   [`Firewall::forget_cached_state`] (a handle whose last apply committed plans against
///   the state it left while the kernel's generation has not moved).
///
/// ```no_run
/// use dfw_core::model::{Family, TableName};
/// use dfw_netlink::Firewall;
///
/// let mut fw = Firewall::open()?; // root, or CAP_NET_ADMIN
/// print!("{}", fw.save(Family::Ipv4, &[TableName::Filter], false)?);
/// # Ok::<(), dfw_netlink::FirewallError>(())
/// ```
#[derive(Debug)]
pub struct Firewall<T> {
    transport: T,
    retry: RetryPolicy,
    next_seq: u32,
    cache: Option<cache::StateCache>,
    /// The change of a native table every batch this firewall sends carries (dfw's own
    /// `table inet dfw`, set by the policy layer around one commit; empty otherwise).
    native: Vec<crate::native::NativeChangeRequest>,
    /// What dfw's native table (`table inet dfw`) was at a generation: read there, or left
    /// there by a commit whose result generation the kept state vouches for (see
    /// [`Firewall::native_kept`]), so warm commits and a repair after a drift check do not
    /// read it again.
    native_kept: Option<(u32, Option<dfw_core::native::Table>)>,
}

impl<T: Transport> Firewall<T> {
    /// A firewall talking through `transport`, with the default [`RetryPolicy`].
    pub fn new(transport: T) -> Self {
        Firewall {
            transport,
            retry: RetryPolicy::default(),
            next_seq: 0x1000_0000,
            cache: None,
            native: Vec::new(),
            native_kept: None,
        }
    }

    /// dfw's native table as known at a generation (`None` inside: absent), if known.
    pub fn native_kept(&self) -> Option<&(u32, Option<dfw_core::native::Table>)> {
        self.native_kept.as_ref()
    }

    /// Records dfw's native table as known at a generation (or forgets it).
    pub fn set_native_kept(&mut self, kept: Option<(u32, Option<dfw_core::native::Table>)>) {
        self.native_kept = kept;
    }

    /// The generation the kept state (see [`Firewall::apply_scoped`]) describes, if any: the
    /// kernel as this handle's last commit left it, with certainty.
    pub fn kept_generation(&self) -> Option<u32> {
        self.cache.as_ref().map(|c| c.generation)
    }

    /// Makes every batch sent until the next call also carry `requests` (dfw's native table,
    /// created, replaced or deleted in the same transaction as the iptables rules); a plan
    /// with only these is not empty. Returns the previous ones.
    pub fn set_native_change(
        &mut self,
        requests: Vec<crate::native::NativeChangeRequest>,
    ) -> Vec<crate::native::NativeChangeRequest> {
        std::mem::replace(&mut self.native, requests)
    }

    /// Sets how generation races are retried.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The transport.
    pub fn transport(&mut self) -> &mut T {
        &mut self.transport
    }

    /// The first sequence number for the next batch.
    fn batch_seq(&mut self) -> u32 {
        let s = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(0x0100_0000).max(0x1000_0000);
        s
    }
}

impl Firewall<NetlinkTransport> {
    /// Opens a netlink socket in the calling thread's network namespace.
    ///
    /// # Errors
    /// [`FirewallError::Transport`] when the socket cannot be opened.
    pub fn open() -> Result<Self, FirewallError> {
        Ok(Firewall::new(NetlinkTransport::open()?))
    }
}

/// The `nfgen_family` of a model family.
fn nfamily(f: dfw_core::model::Family) -> crate::nft::Family {
    crate::nft::Family(f.nfproto())
}
