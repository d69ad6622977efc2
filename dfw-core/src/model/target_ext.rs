//! Non-terminating and table-specific targets: NFLOG, MARK, CONNMARK, TCPMSS, REDIRECT, CT.
//!
//! Contract: each type holds exactly what the target's xt info struct holds and iptables-save
//! prints; constructors refuse values iptables would refuse or could not print back.

use bitflags::bitflags;

use super::{ModelError, PortRange};

/// Longest NFLOG prefix dfw writes (`prefix[64]` of `struct xt_nflog_info`, with its NUL).
pub const NFLOG_PREFIX_MAX_LEN: usize = 63;

/// `-j NFLOG`: log through nfnetlink_log group `group`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Nflog {
    /// `--nflog-group` (0 when not given).
    pub group: u16,
    prefix: String,
    /// `--nflog-size`: bytes copied to userspace (`XT_NFLOG_F_COPY_LEN`).
    pub size: Option<u32>,
    /// `--nflog-threshold` (0 when not given).
    pub threshold: u16,
}

impl Nflog {
    /// An NFLOG target.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for a prefix longer than 63 bytes or with NUL or newline.
    pub fn new(
        group: u16,
        prefix: &str,
        size: Option<u32>,
        threshold: u16,
    ) -> Result<Self, ModelError> {
        if prefix.len() > NFLOG_PREFIX_MAX_LEN || prefix.contains(['\0', '\n']) {
            return Err(ModelError::Invalid {
                what: "--nflog-prefix",
                reason: format!("{prefix:?} is longer than 63 bytes or has NUL or a newline"),
            });
        }
        Ok(Nflog {
            group,
            prefix: prefix.to_string(),
            size,
            threshold,
        })
    }

    /// The prefix (may be empty).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// `-j MARK --set-xmark value/mask`: `mark = (mark & ~mask) ^ value` (revision 2). Every
/// other form (`--set-mark`, `--and-mark`, ...) is stored, and printed, this way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MarkTarget {
    /// The value xored in.
    pub value: u32,
    /// The bits cleared first.
    pub mask: u32,
}

impl MarkTarget {
    /// The packet mark after this target.
    pub fn apply(self, mark: u32) -> u32 {
        (mark & !self.mask) ^ self.value
    }
}

/// The direction of CONNMARK's shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shift {
    /// `--left-shift-mark N`.
    Left(u8),
    /// `--right-shift-mark N`.
    Right(u8),
}

/// What `-j CONNMARK` does (revision 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnmarkMode {
    /// `--set-xmark value/mask`: `ctmark = (ctmark & ~mask) ^ value`.
    Set {
        /// Value.
        value: u32,
        /// Mask.
        mask: u32,
    },
    /// `--save-mark --nfmask N --ctmask C`: packet mark into the connection mark.
    Save {
        /// `--nfmask`.
        nfmask: u32,
        /// `--ctmask`.
        ctmask: u32,
    },
    /// `--restore-mark --nfmask N --ctmask C`: connection mark into the packet mark.
    Restore {
        /// `--nfmask`.
        nfmask: u32,
        /// `--ctmask`.
        ctmask: u32,
    },
}

/// `-j CONNMARK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Connmark {
    /// The operation.
    pub mode: ConnmarkMode,
    /// The shift (`None`: no shift, or a shift by 0).
    pub shift: Option<Shift>,
}

impl Connmark {
    /// Checks the shift is 1 to 32 bits.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for a shift of 0 or more than 32 bits.
    pub fn check(&self) -> Result<(), ModelError> {
        match self.shift {
            Some(Shift::Left(n) | Shift::Right(n)) if n == 0 || n > 32 => {
                Err(ModelError::Invalid {
                    what: "CONNMARK shift",
                    reason: format!("{n} bits: 1 to 32"),
                })
            }
            _ => Ok(()),
        }
    }

    /// `(packet mark, connection mark)` after this target, as `connmark_tg_shift` computes.
    pub fn apply(&self, mark: u32, ctmark: u32) -> (u32, u32) {
        let shift = |v: u32| match self.shift {
            Some(Shift::Left(n)) => v.checked_shl(u32::from(n)).unwrap_or(0),
            Some(Shift::Right(n)) => v.checked_shr(u32::from(n)).unwrap_or(0),
            None => v,
        };
        match self.mode {
            ConnmarkMode::Set { value, mask } => (mark, shift((ctmark & !mask) ^ value)),
            ConnmarkMode::Save { nfmask, ctmask } => {
                (mark, (ctmark & !ctmask) ^ (shift(mark & nfmask) & ctmask))
            }
            ConnmarkMode::Restore { nfmask, ctmask } => {
                ((mark & !nfmask) ^ (shift(ctmark & ctmask) & nfmask), ctmark)
            }
        }
    }
}

/// `-j TCPMSS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tcpmss {
    /// `--set-mss N`.
    Set(u16),
    /// `--clamp-mss-to-pmtu`.
    ClampPmtu,
}

impl Tcpmss {
    /// The value iptables stores for `--clamp-mss-to-pmtu` (`XT_TCPMSS_CLAMP_PMTU`).
    pub const CLAMP: u16 = 0xffff;

    /// From the stored value.
    pub fn from_raw(v: u16) -> Tcpmss {
        if v == Self::CLAMP {
            Tcpmss::ClampPmtu
        } else {
            Tcpmss::Set(v)
        }
    }

    /// The stored value.
    pub fn raw(self) -> u16 {
        match self {
            Tcpmss::Set(v) => v,
            Tcpmss::ClampPmtu => Self::CLAMP,
        }
    }
}

/// `-j REDIRECT [--to-ports p[-q]] [--random]` (nat PREROUTING and OUTPUT).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Redirect {
    /// `--to-ports`.
    pub ports: Option<PortRange>,
    /// `--random`.
    pub random: bool,
}

bitflags! {
    /// Conntrack events (`--ctevents`), bit `1 << IPCT_*`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
    pub struct CtEvents: u32 {
        /// `new`.
        const NEW = 1 << 0;
        /// `related`.
        const RELATED = 1 << 1;
        /// `destroy`.
        const DESTROY = 1 << 2;
        /// `reply`.
        const REPLY = 1 << 3;
        /// `assured`.
        const ASSURED = 1 << 4;
        /// `protoinfo`.
        const PROTOINFO = 1 << 5;
        /// `helper`.
        const HELPER = 1 << 6;
        /// `mark`.
        const MARK = 1 << 7;
        /// `natseqinfo`.
        const NATSEQINFO = 1 << 8;
        /// `secmark`.
        const SECMARK = 1 << 9;
    }
}

impl CtEvents {
    /// Names in libxt_CT's order.
    pub const NAMES: [(CtEvents, &'static str); 10] = [
        (CtEvents::NEW, "new"),
        (CtEvents::RELATED, "related"),
        (CtEvents::DESTROY, "destroy"),
        (CtEvents::REPLY, "reply"),
        (CtEvents::ASSURED, "assured"),
        (CtEvents::PROTOINFO, "protoinfo"),
        (CtEvents::HELPER, "helper"),
        (CtEvents::MARK, "mark"),
        (CtEvents::NATSEQINFO, "natseqinfo"),
        (CtEvents::SECMARK, "secmark"),
    ];
}

/// The conntrack zone of `-j CT --zone[-orig|-reply] ID|mark`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CtZone {
    /// The zone id (ignored with `mark`; a non-mark zone is never 0).
    pub id: u16,
    /// `mark`: the zone is the packet mark.
    pub mark: bool,
    /// `Some(true)`: `--zone-orig`; `Some(false)`: `--zone-reply`; `None`: both directions.
    pub orig: Option<bool>,
}

/// Longest CT helper name (`helper[16]`).
pub const CT_HELPER_MAX_LEN: usize = 15;
/// Longest CT timeout policy name (`timeout[32]`).
pub const CT_TIMEOUT_MAX_LEN: usize = 31;

/// `-j CT` (revision 2; raw table), or its alias `-j NOTRACK`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ct {
    /// `-j NOTRACK` (the alias: `--notrack` and nothing else).
    pub alias: bool,
    /// `--notrack`.
    pub notrack: bool,
    /// `--helper NAME`.
    pub helper: Option<String>,
    /// `--timeout NAME`.
    pub timeout: Option<String>,
    /// `--ctevents`.
    pub ct_events: CtEvents,
    /// `--expevents new`.
    pub exp_new: bool,
    /// `--zone`.
    pub zone: Option<CtZone>,
}

impl Ct {
    /// `-j NOTRACK`.
    pub fn notrack_alias() -> Ct {
        Ct {
            alias: true,
            notrack: true,
            ..Ct::default()
        }
    }

    /// Checks names and the alias form.
    ///
    /// # Errors
    /// [`ModelError::Invalid`] for a helper or timeout name too long or not printable back, a
    /// zone 0 without `mark` (iptables-save does not print it), or an alias with options.
    pub fn check(&self) -> Result<(), ModelError> {
        let bad = |reason: String| Err(ModelError::Invalid { what: "CT", reason });
        let name_ok = |n: &str, max: usize| {
            !n.is_empty()
                && n.len() <= max
                && !n
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '\\'))
        };
        if self.alias && *self != Ct::notrack_alias() {
            return bad("-j NOTRACK takes no options".into());
        }
        if let Some(h) = self
            .helper
            .as_deref()
            .filter(|h| !name_ok(h, CT_HELPER_MAX_LEN))
        {
            return bad(format!(
                "--helper {h:?}: 1 to 15 bytes, no blanks or quotes"
            ));
        }
        if let Some(t) = self
            .timeout
            .as_deref()
            .filter(|t| !name_ok(t, CT_TIMEOUT_MAX_LEN))
        {
            return bad(format!(
                "--timeout {t:?}: 1 to 31 bytes, no blanks or quotes"
            ));
        }
        if let Some(z) = self.zone {
            if !z.mark && z.id == 0 {
                return bad("--zone 0 is the default zone; omit it".into());
            }
            if z.mark && z.id != 0 {
                return bad("a mark zone has no id".into());
            }
        }
        Ok(())
    }
}
