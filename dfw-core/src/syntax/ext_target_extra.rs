//! Options of the targets NFLOG, MARK (revision 2), CONNMARK (revision 2), TCPMSS, REDIRECT
//! and CT (revision 2, and its alias NOTRACK), behind one [`TargetExtraB`].
//!
//! Contract: options are read as libxt_NFLOG, libxt_MARK, libxt_CONNMARK, libxt_TCPMSS,
//! libxt_NAT (REDIRECT) and libxt_CT (1.8.9) read them; each builder holds the struct as
//! iptables fills it, option after option, and `finish` maps it to the model, refusing what
//! iptables-save would not print back (an NFLOG prefix over 63 bytes, which only the native
//! encoding of 1.8.8+ holds; `--nfmask` with `--set-*`; `--nflog-range`).

use super::error::ErrorKind;
use super::ext::{opt, ArgErr, OptCall, OptSpec};
use super::values;
use crate::model::target::{
    Connmark, ConnmarkMode, Ct, CtEvents, CtZone, MarkTarget, Nflog, Redirect, Shift, Tcpmss,
    NFLOG_PREFIX_MAX_LEN,
};
use crate::model::{Family, PortRange, Target};

/// `-j NFLOG` options.
pub const NFLOG_OPTS: &[OptSpec] = &[
    opt("nflog-group", 1, 1, false),
    opt("nflog-prefix", 2, 1, false),
    opt("nflog-range", 3, 1, false),
    opt("nflog-size", 3, 1, false),
    opt("nflog-threshold", 4, 1, false),
];
/// `-j MARK` options (one operation).
pub const MARK_OPTS: &[OptSpec] = &[
    opt("set-xmark", 1, 1, false),
    opt("set-mark", 1, 1, false),
    opt("and-mark", 1, 1, false),
    opt("or-mark", 1, 1, false),
    opt("xor-mark", 1, 1, false),
];
/// `-j CONNMARK` options (`id` 1: the operation).
pub const CONNMARK_OPTS: &[OptSpec] = &[
    opt("set-xmark", 1, 1, false),
    opt("set-mark", 1, 1, false),
    opt("and-mark", 1, 1, false),
    opt("or-mark", 1, 1, false),
    opt("xor-mark", 1, 1, false),
    opt("save-mark", 1, 0, false),
    opt("restore-mark", 1, 0, false),
    opt("left-shift-mark", 2, 1, false),
    opt("right-shift-mark", 2, 1, false),
    opt("ctmask", 3, 1, false),
    opt("nfmask", 4, 1, false),
    opt("mask", 5, 1, false),
];
/// `-j TCPMSS` options (one of them).
pub const TCPMSS_OPTS: &[OptSpec] = &[
    opt("set-mss", 1, 1, false),
    opt("clamp-mss-to-pmtu", 1, 0, false),
];
/// `-j REDIRECT` options.
pub const REDIRECT_OPTS: &[OptSpec] = &[opt("to-ports", 1, 1, false), opt("random", 2, 0, false)];
/// `-j CT` options (`id` 7: the zone).
pub const CT_OPTS: &[OptSpec] = &[
    opt("notrack", 1, 0, false),
    opt("helper", 2, 1, false),
    opt("timeout", 3, 1, false),
    opt("ctevents", 4, 1, false),
    opt("expevents", 5, 1, false),
    opt("zone-orig", 7, 1, false),
    opt("zone-reply", 7, 1, false),
    opt("zone", 7, 1, false),
];

/// `struct xt_connmark_tginfo2` as libxt_CONNMARK fills it.
#[derive(Debug, Clone, Copy)]
pub struct ConnmarkB {
    mode: Option<u8>,
    ctmark: u32,
    ctmask: u32,
    nfmask: u32,
    shift: Option<Shift>,
}

/// One of the extra targets being built.
#[derive(Debug, Clone)]
pub enum TargetExtraB {
    /// `-j NFLOG` (the flag records `--nflog-range`).
    Nflog(Nflog, String, bool),
    /// `-j MARK`.
    Mark(Option<MarkTarget>),
    /// `-j CONNMARK`.
    Connmark(ConnmarkB),
    /// `-j TCPMSS`.
    Tcpmss(Option<Tcpmss>),
    /// `-j REDIRECT`.
    Redirect(Redirect),
    /// `-j CT` / `-j NOTRACK`.
    Ct(Ct),
}

fn bad(what: &str) -> ArgErr {
    (0, ErrorKind::BadValue(what.into()))
}

fn u32_of(text: &str) -> Result<u32, ArgErr> {
    values::strtoui(text, u64::from(u32::MAX))
        .map(|n| n as u32)
        .ok_or_else(|| bad("a 32-bit number"))
}

/// `value[/mask]` (`XTTYPE_MARKMASK32`; the mask defaults to all ones).
fn mark_mask(text: &str) -> Result<(u32, u32), ArgErr> {
    match text.split_once('/') {
        Some((v, m)) => Ok((u32_of(v)?, u32_of(m)?)),
        None => Ok((u32_of(text)?, u32::MAX)),
    }
}

/// `(value, mask)` of the MARK-style operations `--set-xmark`, `--set-mark`, `--and-mark`,
/// `--or-mark`, `--xor-mark`.
fn xmark(name: &str, arg: &str) -> Result<(u32, u32), ArgErr> {
    Ok(match name {
        "set-xmark" => mark_mask(arg)?,
        "set-mark" => {
            let (v, m) = mark_mask(arg)?;
            (v, v | m)
        }
        "and-mark" => (0, !u32_of(arg)?),
        "or-mark" => {
            let v = u32_of(arg)?;
            (v, v)
        }
        _ => (u32_of(arg)?, 0),
    })
}

impl TargetExtraB {
    /// A builder for `-j name`, or `None`.
    pub fn new(name: &str) -> Option<Self> {
        Some(match name {
            "NFLOG" => TargetExtraB::Nflog(Nflog::default(), String::new(), false),
            "MARK" => TargetExtraB::Mark(None),
            "CONNMARK" => TargetExtraB::Connmark(ConnmarkB {
                mode: None,
                ctmark: 0,
                ctmask: u32::MAX,
                nfmask: u32::MAX,
                shift: None,
            }),
            "TCPMSS" => TargetExtraB::Tcpmss(None),
            "REDIRECT" => TargetExtraB::Redirect(Redirect::default()),
            "CT" => TargetExtraB::Ct(Ct::default()),
            "NOTRACK" => TargetExtraB::Ct(Ct::notrack_alias()),
            _ => return None,
        })
    }

    /// The target's options.
    pub fn options(&self) -> &'static [OptSpec] {
        match self {
            TargetExtraB::Nflog(..) => NFLOG_OPTS,
            TargetExtraB::Mark(_) => MARK_OPTS,
            TargetExtraB::Connmark(_) => CONNMARK_OPTS,
            TargetExtraB::Tcpmss(_) => TCPMSS_OPTS,
            TargetExtraB::Redirect(_) => REDIRECT_OPTS,
            TargetExtraB::Ct(c) if c.alias => &[],
            TargetExtraB::Ct(_) => CT_OPTS,
        }
    }

    /// Applies one option.
    ///
    /// # Errors
    /// The argument index and what was wrong with it.
    pub fn set(&mut self, call: &OptCall<'_>) -> Result<(), ArgErr> {
        let arg = call.arg();
        let name = call.spec.name;
        match self {
            TargetExtraB::Nflog(n, prefix, range) => match call.spec.id {
                1 => {
                    n.group = values::strtoui(arg, u64::from(u16::MAX))
                        .ok_or_else(|| bad("a group 0-65535"))? as u16
                }
                2 if arg.is_empty() || arg.contains('\n') => {
                    return Err(bad("a non-empty prefix without newlines"))
                }
                2 => *prefix = arg.to_string(),
                3 => {
                    n.size = Some(u32_of(arg)?);
                    *range = name == "nflog-range";
                }
                _ => {
                    n.threshold = values::strtoui(arg, u64::from(u16::MAX))
                        .ok_or_else(|| bad("a threshold 0-65535"))?
                        as u16
                }
            },
            TargetExtraB::Mark(m) => {
                let (value, mask) = xmark(name, arg)?;
                *m = Some(MarkTarget { value, mask });
            }
            TargetExtraB::Connmark(c) => match call.spec.id {
                1 if name == "save-mark" => c.mode = Some(1),
                1 if name == "restore-mark" => c.mode = Some(2),
                1 => {
                    (c.ctmark, c.ctmask) = xmark(name, arg)?;
                    c.mode = Some(0);
                }
                2 => {
                    let n = values::strtoui(arg, 32).ok_or_else(|| bad("a shift 0-32"))? as u8;
                    c.shift = match (n, name) {
                        (0, "left-shift-mark") => None,
                        (0, _) => {
                            return Err((
                                0,
                                ErrorKind::Unsupported(
                                    "--right-shift-mark 0 (iptables-save does not print it)",
                                ),
                            ))
                        }
                        (n, "left-shift-mark") => Some(Shift::Left(n)),
                        (n, _) => Some(Shift::Right(n)),
                    };
                }
                3 => c.ctmask = u32_of(arg)?,
                4 => c.nfmask = u32_of(arg)?,
                _ => {
                    c.ctmask = u32_of(arg)?;
                    c.nfmask = c.ctmask;
                }
            },
            TargetExtraB::Tcpmss(t) => {
                *t = Some(if name == "clamp-mss-to-pmtu" {
                    Tcpmss::ClampPmtu
                } else {
                    let max = 65535 - if call.family == Family::Ipv4 { 20 } else { 40 };
                    Tcpmss::Set(
                        values::strtoui(arg, max)
                            .ok_or_else(|| bad("an MSS 0-65515 (65495 for IPv6)"))?
                            as u16,
                    )
                });
            }
            TargetExtraB::Redirect(r) if call.spec.id == 2 => r.random = true,
            TargetExtraB::Redirect(r) => {
                let ok = matches!(
                    call.proto.as_ref().map(|p| p.value.number()),
                    Some(6 | 17 | 132 | 33 | 1)
                );
                if !ok {
                    return Err(bad("-p tcp, udp, sctp, dccp or icmp before --to-ports"));
                }
                r.ports = Some(redirect_ports(arg).map_err(|e| (0, e))?);
            }
            TargetExtraB::Ct(c) => ct_set(c, call)?,
        }
        Ok(())
    }

    /// The finished target.
    ///
    /// # Errors
    /// A missing operation, or what iptables-save would not print back.
    pub fn finish(self) -> Result<Target, ErrorKind> {
        let model = |e| ErrorKind::Model(e);
        Ok(match self {
            TargetExtraB::Nflog(_, _, true) => {
                return Err(ErrorKind::Unsupported(
                    "--nflog-range (it has no effect; use --nflog-size)",
                ))
            }
            TargetExtraB::Nflog(n, prefix, false) => {
                if prefix.len() > NFLOG_PREFIX_MAX_LEN {
                    return Err(ErrorKind::Unsupported(
                        "an NFLOG prefix over 63 bytes (only iptables-nft 1.8.8+ can hold it)",
                    ));
                }
                Target::Nflog(Nflog::new(n.group, &prefix, n.size, n.threshold).map_err(model)?)
            }
            TargetExtraB::Mark(m) => Target::Mark(m.ok_or(ErrorKind::MissingOption(
                "--set-xmark, --set-mark, --and-mark, --or-mark or --xor-mark",
            ))?),
            TargetExtraB::Connmark(c) => {
                let mode = match c.mode {
                    None => return Err(ErrorKind::MissingOption("a CONNMARK operation")),
                    Some(0) if c.nfmask != u32::MAX => {
                        return Err(ErrorKind::Unsupported(
                            "--nfmask/--mask with --set-* (iptables-save does not print it)",
                        ))
                    }
                    Some(0) => ConnmarkMode::Set {
                        value: c.ctmark,
                        mask: c.ctmask,
                    },
                    Some(1) => ConnmarkMode::Save {
                        nfmask: c.nfmask,
                        ctmask: c.ctmask,
                    },
                    Some(_) => ConnmarkMode::Restore {
                        nfmask: c.nfmask,
                        ctmask: c.ctmask,
                    },
                };
                Target::Connmark(Connmark {
                    mode,
                    shift: c.shift,
                })
            }
            TargetExtraB::Tcpmss(t) => Target::Tcpmss(
                t.ok_or(ErrorKind::MissingOption("--set-mss or --clamp-mss-to-pmtu"))?,
            ),
            TargetExtraB::Redirect(r) => Target::Redirect(r),
            TargetExtraB::Ct(c) => {
                c.check().map_err(model)?;
                Target::Ct(Box::new(c))
            }
        })
    }
}

/// `p` or `p-q` (libxt_NAT's `parse_ports`; `p:q` is refused, as iptables refuses it).
fn redirect_ports(text: &str) -> Result<PortRange, ErrorKind> {
    if text.contains(':') {
        return Err(ErrorKind::BadValue(
            "ports as p or p-q (with a dash)".into(),
        ));
    }
    if text.contains('/') {
        return Err(ErrorKind::Unsupported("shifted port maps (p-q/base)"));
    }
    match text.split_once('-') {
        None => values::port(text).map(PortRange::single),
        Some((a, b)) => {
            let n = |t: &str| {
                values::strtoui(t, 65535)
                    .map(|n| n as u16)
                    .ok_or(ErrorKind::BadPort)
            };
            PortRange::new(values::port(a)?, n(b)?).map_err(|_| ErrorKind::ReversedRange)
        }
    }
}

fn ct_set(c: &mut Ct, call: &OptCall<'_>) -> Result<(), ArgErr> {
    let arg = call.arg();
    let events = |names: &[(CtEvents, &'static str)]| -> Result<CtEvents, ArgErr> {
        arg.split(',').try_fold(CtEvents::empty(), |acc, w| {
            names
                .iter()
                .find(|(_, n)| *n == w)
                .map(|(e, _)| acc | *e)
                .ok_or_else(|| bad("event names such as new,related,destroy"))
        })
    };
    match call.spec.id {
        1 => c.notrack = true,
        2 => c.helper = Some(arg.to_string()),
        3 => c.timeout = Some(arg.to_string()),
        4 => c.ct_events = events(&CtEvents::NAMES)?,
        5 => {
            events(&[(CtEvents::NEW, "new")])?;
            c.exp_new = true;
        }
        _ => {
            let orig = match call.spec.name {
                "zone-orig" => Some(true),
                "zone-reply" => Some(false),
                _ => None,
            };
            let (id, mark) = if arg.eq_ignore_ascii_case("mark") {
                (0, true)
            } else {
                let id = values::strtoui(arg, u64::from(u16::MAX))
                    .ok_or_else(|| bad("a zone id 0-65535 or mark"))?;
                (id as u16, false)
            };
            // A zone 0 in both directions is the default: iptables-save prints nothing.
            c.zone = (mark || id != 0 || orig.is_some()).then_some(CtZone { id, mark, orig });
        }
    }
    Ok(())
}
