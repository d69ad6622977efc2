//! The dumps behind [`super::decode_dumps`], over a [`Transport`].
//!
//! Contract: GETTABLE, GETCHAIN and GETSET of every family, GETRULE of each table read
//! natively (never iptables-nft's tables, whose rules the xt reader reads), then GETSETELEM
//! of each set of a table read natively, between two GETGEN calls, retried until consistent
//! ([`snapshot`]). [`read_native_dumps`] returns the raw replies (what the golden tests keep).

use dfw_core::native::Ruleset;

use super::{decode_dumps, is_xt_table, malformed, nft_family, NativeError};
use crate::nft::{
    encode_request, Family, GetChains, GetRules, GetSetElems, GetSets, GetTables, NftRequest,
    SetMsg, TableMsg,
};
use crate::transport::{snapshot, RetryPolicy, Transport};
use crate::wire::consts::{nft_msg, NFT_MSG_NEWSET, NFT_MSG_NEWTABLE};
use crate::wire::{split_messages, NlMsgWriter};

fn dump<T: Transport + ?Sized, R: NftRequest>(
    t: &mut T,
    req: &R,
) -> Result<Vec<Vec<u8>>, NativeError> {
    let mut w = NlMsgWriter::new();
    encode_request(req, 0, 0, &mut w)?;
    Ok(t.dump(w.as_bytes())?)
}

fn dumps_in<T: Transport + ?Sized>(t: &mut T) -> Result<Vec<Vec<u8>>, NativeError> {
    let all = Family::UNSPEC;
    let mut out = dump(
        t,
        &GetTables {
            family: all,
            name: None,
        },
    )?;
    // The rules of the native tables only, one dump per table: iptables-nft's tables may
    // hold 100,000s of rules, and a rule dump costs the kernel quadratic time in the length
    // of each chain it walks (see `crate::firewall::read`); a dump filtered by table skips
    // every other table without walking its chains.
    let mut native = Vec::new();
    for buf in &out {
        for m in split_messages(buf) {
            let (h, body) = m.map_err(malformed("table"))?;
            if h.kind != nft_msg(NFT_MSG_NEWTABLE) {
                continue;
            }
            let tm = TableMsg::parse(body).map_err(malformed("table"))?;
            if nft_family(tm.family).is_some() && !is_xt_table(tm.family, &tm.name) {
                native.push(tm);
            }
        }
    }
    out.extend(dump(
        t,
        &GetChains {
            family: all,
            one: None,
        },
    )?);
    for tm in native {
        out.extend(dump(
            t,
            &GetRules {
                family: tm.family,
                table: Some(tm.name),
                chain: None,
            },
        )?);
    }
    let sets = dump(t, &GetSets { family: all })?;
    let mut wanted = Vec::new();
    for buf in &sets {
        for m in split_messages(buf) {
            let (h, body) = m.map_err(malformed("set"))?;
            if h.kind != nft_msg(NFT_MSG_NEWSET) {
                continue;
            }
            let s = SetMsg::parse(body).map_err(malformed("set"))?;
            if nft_family(s.family).is_some() && !is_xt_table(s.family, &s.table) {
                wanted.push(s);
            }
        }
    }
    out.extend(sets);
    for s in wanted {
        out.extend(dump(
            t,
            &GetSetElems {
                family: s.family,
                table: s.table,
                set: s.name,
            },
        )?);
    }
    Ok(out)
}

/// The raw replies of every dump, as one consistent snapshot.
///
/// # Errors
/// [`NativeError`] when the transport fails or a set message is malformed.
pub fn read_native_dumps<T: Transport + ?Sized>(t: &mut T) -> Result<Vec<Vec<u8>>, NativeError> {
    let (_, dumps) = snapshot(t, &RetryPolicy::default(), dumps_in)?;
    Ok(dumps)
}

/// Every native table of the kernel (see the module contract of [`super`]).
///
/// # Errors
/// [`NativeError`] when reading or decoding fails.
pub fn read_native<T: Transport + ?Sized>(t: &mut T) -> Result<Ruleset, NativeError> {
    decode_dumps(&read_native_dumps(t)?)
}

/// One table of family `family` named `name` (rules, chains; not its sets), or `None` when
/// the kernel has none: three small dumps of that family (tables, chains, the table's rules)
/// as one consistent snapshot, without reading any other family's rules. For dfw's own
/// `table inet dfw` at every commit, plan and status.
///
/// # Errors
/// [`NativeError`] when reading or decoding fails.
pub fn read_native_table<T: Transport + ?Sized>(
    t: &mut T,
    family: dfw_core::native::NftFamily,
    name: &str,
) -> Result<Option<dfw_core::native::Table>, NativeError> {
    let fam = super::nft_family_of(family);
    let (_, dumps) = snapshot(t, &RetryPolicy::default(), |t| {
        let mut out = dump(
            t,
            &GetTables {
                family: fam,
                name: None,
            },
        )?;
        out.extend(dump(
            t,
            &GetChains {
                family: fam,
                one: None,
            },
        )?);
        out.extend(dump(
            t,
            &GetRules {
                family: fam,
                table: Some(name.to_owned()),
                chain: None,
            },
        )?);
        Ok::<_, NativeError>(out)
    })?;
    let rs = decode_dumps(&dumps)?;
    Ok(rs
        .tables
        .into_iter()
        .find(|x| x.family == family && x.name == name))
}
