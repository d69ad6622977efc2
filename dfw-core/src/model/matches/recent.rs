//! The `recent` match (revision 1, `struct xt_recent_mtinfo_v1`) and `connlimit` (revision 1).

use std::net::IpAddr;

use crate::model::{Family, ModelError};

use super::hashlimit::proc_name_ok;

/// What `-m recent` does with the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecentCmd {
    /// `--set`: add the address; always matches.
    Set,
    /// `--rcheck`: matches when the address is in the list.
    Check,
    /// `--update`: like `--rcheck`, and refreshes the entry.
    Update,
    /// `--remove`: like `--rcheck`, and removes the entry.
    Remove,
}

impl RecentCmd {
    /// The `check_set` bit (`XT_RECENT_*`).
    pub fn bit(self) -> u8 {
        match self {
            RecentCmd::Check => 1,
            RecentCmd::Set => 2,
            RecentCmd::Update => 4,
            RecentCmd::Remove => 8,
        }
    }

    /// The option (`--set`, ...).
    pub fn option(self) -> &'static str {
        match self {
            RecentCmd::Set => "--set",
            RecentCmd::Check => "--rcheck",
            RecentCmd::Update => "--update",
            RecentCmd::Remove => "--remove",
        }
    }
}

/// Longest `--name` (`XT_RECENT_NAME_LEN - 1`).
pub const RECENT_NAME_MAX: usize = 199;
/// Largest `--hitcount` the kernel takes (`XT_RECENT_MAX_NSTAMPS - 1`).
pub const RECENT_HITCOUNT_MAX: u32 = 255;

/// `-m recent`: one command on a named list of recently seen addresses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Recent {
    cmd: RecentCmd,
    invert: bool,
    name: String,
    /// `--seconds` (0 = not given).
    pub seconds: u32,
    /// `--hitcount` (0 = not given).
    pub hitcount: u32,
    /// `--rttl`.
    pub rttl: bool,
    /// `--reap`.
    pub reap: bool,
    /// `--rdest` (false: `--rsource`, the default).
    pub dest: bool,
    /// `--mask`, an address of the rule's family.
    pub mask: IpAddr,
}

impl Recent {
    /// A recent match on list `name` with the default options (`--rsource`, full mask).
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for a name the kernel refuses or iptables-save cannot print back.
    pub fn new(
        cmd: RecentCmd,
        invert: bool,
        name: &str,
        family: Family,
    ) -> Result<Self, ModelError> {
        if !proc_name_ok(name, RECENT_NAME_MAX) {
            return Err(ModelError::Invalid {
                what: "--name",
                reason: format!("{name:?}: 1 to 199 bytes without blanks, quotes or '/'"),
            });
        }
        let mask = match family {
            Family::Ipv4 => IpAddr::from([255u8; 4]),
            Family::Ipv6 => IpAddr::from([255u8; 16]),
        };
        Ok(Recent {
            cmd,
            invert,
            name: name.to_string(),
            seconds: 0,
            hitcount: 0,
            rttl: false,
            reap: false,
            dest: false,
            mask,
        })
    }

    /// The command.
    pub fn cmd(&self) -> RecentCmd {
        self.cmd
    }

    /// `!` before the command.
    pub fn invert(&self) -> bool {
        self.invert
    }

    /// The list name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks option combinations libxt_recent and the kernel refuse, and the mask's family.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] naming the combination.
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        let bad = |reason: &str| {
            Err(ModelError::Invalid {
                what: "recent",
                reason: reason.into(),
            })
        };
        if Family::of(&self.mask) != family {
            return Err(ModelError::WrongFamily {
                addr: self.mask.to_string(),
                family,
            });
        }
        if self.reap && self.seconds == 0 {
            return bad("--reap needs --seconds");
        }
        let modifiers = self.seconds != 0 || self.hitcount != 0 || self.rttl || self.reap;
        if modifiers && matches!(self.cmd, RecentCmd::Set | RecentCmd::Remove) {
            return bad("--seconds, --hitcount, --rttl and --reap go with --rcheck or --update");
        }
        // iptables 1.8.9 prints both with %d: larger values would not read back.
        if self.seconds > i32::MAX as u32 || self.hitcount > RECENT_HITCOUNT_MAX {
            return bad("--seconds above 2147483647 or --hitcount above 255");
        }
        Ok(())
    }
}

/// `-m connlimit`: the number of connections of the address group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnLimit {
    /// The limit.
    pub limit: u32,
    /// `--connlimit-upto` (true) or `--connlimit-above` (false).
    pub upto: bool,
    /// `--connlimit-mask` prefix length.
    pub prefix: u8,
    /// `--connlimit-daddr` (false: `--connlimit-saddr`).
    pub daddr: bool,
}

impl ConnLimit {
    /// Checks the prefix fits the family.
    ///
    /// # Errors
    /// [`ModelError::Prefix`] when it is longer than the family's addresses.
    pub fn check_family(&self, family: Family) -> Result<(), ModelError> {
        if self.prefix > family.addr_bits() {
            return Err(ModelError::Prefix {
                prefix: self.prefix,
                family,
            });
        }
        Ok(())
    }
}
