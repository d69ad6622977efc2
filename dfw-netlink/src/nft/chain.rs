//! Chains: `NFT_MSG_NEWCHAIN` payloads, built or decoded.
//!
//! Contract: [`ChainMsg::write_attrs`] writes, in libnftnl 1.2.x order (`?`: only when set),
//! TABLE, NAME, HOOK { HOOKNUM, PRIORITY }?, POLICY?, USE?, COUNTERS { PACKETS, BYTES }?,
//! HANDLE?, TYPE?, FLAGS? (all numbers big-endian). iptables sends TABLE, NAME for a user chain
//! and TABLE, NAME, HOOK, POLICY, TYPE for a base chain. [`ChainMsg::parse`] reads replies and
//! requests; attributes it does not model (userdata, devices) are ignored.

use super::{in_object, put_name, put_nested, split_body, EncodeError, Family};
use crate::wire::consts::*;
use crate::wire::Fields;
use crate::wire::{AttrWriter, WireError};

/// A base chain's hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hook {
    /// `NF_INET_*` hook number (0 prerouting, 1 input, 2 forward, 3 output, 4 postrouting).
    pub hooknum: u32,
    /// Priority (signed; iptables' filter table uses 0, nat -100/100, mangle -150, raw -300).
    pub priority: i32,
}

/// Packet and byte counters (a base chain's policy counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Counters {
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// An nf_tables chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChainMsg {
    /// Family.
    pub family: Family,
    /// Table name.
    pub table: String,
    /// Chain name.
    pub name: String,
    /// Kernel handle.
    pub handle: Option<u64>,
    /// Hook, for a base chain.
    pub hook: Option<Hook>,
    /// Base chain policy: `NF_POLICY_DROP` (0) or `NF_POLICY_ACCEPT` (1). Leave it out to keep
    /// the policy of an existing chain.
    pub policy: Option<u32>,
    /// Base chain type (`filter`, `nat`, `route`).
    pub chain_type: Option<String>,
    /// Policy counters.
    pub counters: Option<Counters>,
    /// `NFTA_CHAIN_USE`: number of references (replies; libnftnl echoes it back in deletes).
    pub use_count: Option<u32>,
    /// `NFTA_CHAIN_FLAGS` (`NFT_CHAIN_BASE` = 1 in replies for base chains).
    pub flags: Option<u32>,
}

impl ChainMsg {
    /// A user chain (`iptables -N`): table and name only.
    pub fn user(family: Family, table: impl Into<String>, name: impl Into<String>) -> Self {
        ChainMsg {
            family,
            table: table.into(),
            name: name.into(),
            ..Self::default()
        }
    }

    /// A base chain as iptables creates it: hook, optional policy, type.
    pub fn base(
        family: Family,
        table: impl Into<String>,
        name: impl Into<String>,
        hook: Hook,
        chain_type: impl Into<String>,
        policy: Option<u32>,
    ) -> Self {
        ChainMsg {
            hook: Some(hook),
            chain_type: Some(chain_type.into()),
            policy,
            ..Self::user(family, table, name)
        }
    }

    /// `ip filter INPUT`-style identity, for error messages.
    pub fn describe(&self) -> String {
        format!("chain {} {} {}", self.family, self.table, self.name)
    }

    /// Writes the attributes in libnftnl order (see the module contract).
    ///
    /// # Errors
    /// [`EncodeError::BadName`] for a bad table, chain or type name.
    pub fn write_attrs(&self, w: &mut AttrWriter<'_>) -> Result<(), EncodeError> {
        put_name(w, NFTA_CHAIN_TABLE, "table", &self.table)?;
        put_name(w, NFTA_CHAIN_NAME, "chain", &self.name)?;
        if let Some(h) = self.hook {
            put_nested(w, NFTA_CHAIN_HOOK, "hook", |w| {
                w.u32_be(NFTA_HOOK_HOOKNUM, h.hooknum)
                    .u32_be(NFTA_HOOK_PRIORITY, h.priority as u32);
                Ok(())
            })?;
        }
        if let Some(p) = self.policy {
            w.u32_be(NFTA_CHAIN_POLICY, p);
        }
        if let Some(u) = self.use_count {
            w.u32_be(NFTA_CHAIN_USE, u);
        }
        if let Some(c) = self.counters {
            put_nested(w, NFTA_CHAIN_COUNTERS, "counters", |w| {
                w.u64_be(NFTA_COUNTER_PACKETS, c.packets)
                    .u64_be(NFTA_COUNTER_BYTES, c.bytes);
                Ok(())
            })?;
        }
        if let Some(h) = self.handle {
            w.u64_be(NFTA_CHAIN_HANDLE, h);
        }
        if let Some(t) = &self.chain_type {
            put_name(w, NFTA_CHAIN_TYPE, "chain type", t)?;
        }
        if let Some(f) = self.flags {
            w.u32_be(NFTA_CHAIN_FLAGS, f);
        }
        Ok(())
    }

    /// Decodes a chain message body (everything after `nlmsghdr`).
    ///
    /// # Errors
    /// [`WireError`] when the body is malformed or lacks TABLE or NAME; errors after the name
    /// is known carry the chain's identity.
    pub fn parse(body: &[u8]) -> Result<Self, WireError> {
        const CTX: &str = "chain";
        let (gen, attrs) = split_body(body)?;
        let family = Family(gen.family);
        let f = Fields::parse(attrs).map_err(in_object(format!("chain {family}")))?;
        let table = f.req_str(NFTA_CHAIN_TABLE, CTX, "NFTA_CHAIN_TABLE")?;
        let name = f.req_str(NFTA_CHAIN_NAME, CTX, "NFTA_CHAIN_NAME")?;
        let wrap = in_object(format!("chain {family} {table} {name}"));
        (|| {
            let hook = match f.get(NFTA_CHAIN_HOOK) {
                None => None,
                Some(nest) => {
                    let h = Fields::parse(nest)?;
                    Some(Hook {
                        hooknum: h.req_u32(NFTA_HOOK_HOOKNUM, "hook", "NFTA_HOOK_HOOKNUM")?,
                        priority: h.req_u32(NFTA_HOOK_PRIORITY, "hook", "NFTA_HOOK_PRIORITY")?
                            as i32,
                    })
                }
            };
            let counters = match f.get(NFTA_CHAIN_COUNTERS) {
                None => None,
                Some(nest) => {
                    let c = Fields::parse(nest)?;
                    Some(Counters {
                        packets: c.opt_u64(NFTA_COUNTER_PACKETS, "counters")?.unwrap_or(0),
                        bytes: c.opt_u64(NFTA_COUNTER_BYTES, "counters")?.unwrap_or(0),
                    })
                }
            };
            Ok(ChainMsg {
                family,
                table: table.clone(),
                name: name.clone(),
                handle: f.opt_u64(NFTA_CHAIN_HANDLE, CTX)?,
                hook,
                policy: f.opt_u32(NFTA_CHAIN_POLICY, CTX)?,
                chain_type: f.opt_str(NFTA_CHAIN_TYPE, CTX)?,
                counters,
                use_count: f.opt_u32(NFTA_CHAIN_USE, CTX)?,
                flags: f.opt_u32(NFTA_CHAIN_FLAGS, CTX)?,
            })
        })()
        .map_err(wrap)
    }
}
