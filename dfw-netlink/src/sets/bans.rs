//! Bans: addresses refused at run time, without a daemon and without a commit. They live in
//! dfw's ban sets (`dfw-ban4`, `dfw-ban6`), which a commit of a policy with `[blocklist]`
//! creates (with timeout support) and matches with a `-j DROP` rule before anything else a new
//! connection meets, on the Docker path and the host path.
//!
//! Contract: [`ban`] and [`unban`] are one ipset request each (O(1), whatever the number of
//! bans; the kernel applies it to the next new connection); a ban with a duration expires in
//! the kernel (`timeout`), a ban without one lasts until [`unban`]. Banning an address again
//! replaces its duration. Established connections are not cut (the ban rule comes after the
//! rule that accepts established traffic): they run until they end, or until their conntrack
//! entries are deleted (`conntrack -D -s ADDR`). A ban set that does not exist (no
//! `[blocklist]` committed) is [`BanError::NoBanSet`], never created here: its rule would be
//! missing.

use std::time::Duration;

use dfw_core::model::matches::SetName;
use dfw_core::model::{Family, Network};
use dfw_core::policy::SetRole;

use crate::ipset::{Entry, IpsetClient, IpsetError, ListMode, Members};
use crate::transport::Transport;

/// The longest ban the kernel keeps as a timeout (ipset's limit: `UINT_MAX / 1000` seconds,
/// about 49 days); longer bans are refused, use a permanent one.
pub const MAX_BAN_SECS: u64 = (u32::MAX / 1000) as u64;

/// One ban.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ban {
    /// The address or network banned.
    pub net: Network,
    /// Seconds until the kernel lifts it; `None` for a permanent ban.
    pub expires_in: Option<u32>,
}

/// Why a ban request failed.
#[derive(Debug, thiserror::Error)]
pub enum BanError {
    /// The ban set does not exist: the policy has no `[blocklist]`, or it was not committed.
    #[error(
        "ban set {set} does not exist: add a [blocklist] section to the policy and run \
         `dfw-cli commit` (it creates the ban sets and the rules that drop their members)"
    )]
    NoBanSet {
        /// The set.
        set: SetName,
    },
    /// A duration the kernel cannot keep.
    #[error("ban duration {secs} s is longer than the kernel keeps a timeout ({MAX_BAN_SECS} s): ban without a duration instead")]
    TooLong {
        /// The duration asked.
        secs: u64,
    },
    /// The kernel refused, or the exchange failed.
    #[error(transparent)]
    Ipset(#[from] IpsetError),
}

/// The ban set of `family`.
pub fn ban_set(family: Family) -> SetName {
    SetRole::Ban.set_name(family)
}

fn absent_set(e: IpsetError, set: &SetName) -> BanError {
    match e {
        IpsetError::Rejected {
            code: libc::ENOENT, ..
        } => BanError::NoBanSet { set: set.clone() },
        e => BanError::Ipset(e),
    }
}

/// Bans `net` for `duration` (`None`: until unbanned). One `ADD` with `-exist`.
///
/// # Errors
/// [`BanError`].
pub fn ban<T: Transport + ?Sized>(
    t: &mut T,
    net: Network,
    duration: Option<Duration>,
) -> Result<(), BanError> {
    let set = ban_set(net.family());
    let timeout = match duration {
        None => 0,
        Some(d) if d.as_secs() > MAX_BAN_SECS => {
            return Err(BanError::TooLong { secs: d.as_secs() })
        }
        // A ban shorter than a second is a one-second ban (0 would mean permanent).
        Some(d) => (d.as_secs() as u32).max(1),
    };
    let entry = Entry {
        net,
        timeout: Some(timeout),
    };
    IpsetClient::new(t)
        .add(&set, &entry, true)
        .map_err(|e| absent_set(e, &set))
}

/// Lifts the ban of `net`; false when it was not banned. One `DEL`.
///
/// # Errors
/// [`BanError`].
pub fn unban<T: Transport + ?Sized>(t: &mut T, net: Network) -> Result<bool, BanError> {
    let set = ban_set(net.family());
    match IpsetClient::new(t).del(&set, &net, false) {
        Ok(()) => Ok(true),
        Err(IpsetError::Rejected {
            code: crate::wire::consts::IPSET_ERR_EXIST,
            ..
        }) => Ok(false),
        Err(e) => Err(absent_set(e, &set)),
    }
}

/// Every ban, IPv4 then IPv6, in the kernel's order.
///
/// # Errors
/// [`BanError::NoBanSet`] when neither ban set exists.
pub fn bans<T: Transport + ?Sized>(t: &mut T) -> Result<Vec<Ban>, BanError> {
    let mut out = Vec::new();
    let mut found = false;
    for family in [Family::Ipv4, Family::Ipv6] {
        let set = ban_set(family);
        let listed = match IpsetClient::new(t).list(Some(&set), ListMode::Full) {
            Ok(l) => l,
            Err(IpsetError::Rejected {
                code: libc::ENOENT, ..
            }) => continue,
            Err(e) => return Err(e.into()),
        };
        found = true;
        for s in listed {
            if let Members::Nets(m) = s.members {
                out.extend(m.into_iter().map(|m| Ban {
                    net: m.net,
                    expires_in: m.timeout.filter(|t| *t > 0),
                }));
            }
        }
    }
    if !found {
        return Err(BanError::NoBanSet {
            set: ban_set(Family::Ipv4),
        });
    }
    Ok(out)
}
