//! `[docker] accept_fwmark`: the firewall mark Docker's `--bridge-accept-fwmark` accepts, and
//! dfw's own native table that sets it on what the policy forwards.
//!
//! Contract: pure. [`FwMark::parse`] takes the value as Docker takes it (moby's
//! `validateFwMarkMask`/`nftFwMark`: `MARK` or `MARK/MASK`, each an unsigned 32-bit number in
//! Go's base-0 syntax, decimal, `0x` hex, `0o` or leading-`0` octal, `0b` binary); a mark
//! with bits outside its mask is refused (Docker's rule `meta mark & MASK == MARK` could never
//! match it). [`mark_table`] is dfw's table for a policy with the key: `table inet dfw` with
//! one base chain `forward` at the forward hook, priority `filter - 1` (before Docker's
//! `filter-FORWARD` and iptables' FORWARD, both at 0), policy accept, one rule per distinct
//! `[[forward]]` pair: `iifname IN oifname OUT meta mark set meta mark & ~MASK | MARK` (with
//! a full mask: `meta mark set MARK`), exactly the expressions nft 1.0.6 sends for that text.
//!
//! Why it never lets through what the policy denies: the chain only sets a mark and accepts;
//! an accept ends only its own base chain, and dfw's iptables-nft FORWARD chain (priority 0)
//! still runs and decides; a drop there is final. The mark is set only on packets dfw's
//! `DFW-DOCKER` accepts unconditionally (`-i IN -o OUT -j ACCEPT`, the pair's first rule), so
//! the only verdict it changes is Docker's per-port drop (`filter-forward-in__BRIDGE`'s
//! `ALLOW FW MARK` rule comes before `UNPUBLISHED PORT DROP`) for traffic dfw accepts anyway.

use std::fmt;

use super::config::Forward;
use crate::model::Hook;
use crate::native::{BaseChain, Chain, ChainPolicy, CmpOp, Data, Expr, NftFamily, Rule, Table};

/// The name of dfw's native table (family `inet`), distinct from the watch's `dfw-watch`.
pub const MARK_TABLE: &str = "dfw";
/// Its one base chain.
pub const MARK_CHAIN: &str = "forward";
/// Its priority: `filter - 1`, before Docker's and iptables' filter chains at the forward hook.
pub const MARK_PRIORITY: i32 = -1;

/// `meta` keys (`enum nft_meta_keys`).
const META_MARK: u32 = 3;
const META_IIFNAME: u32 = 6;
const META_OIFNAME: u32 = 7;
/// `NFT_REG_1`.
const REG1: u32 = 1;

/// A firewall mark with its mask (`0x100/0xff00`; a bare mark has the full mask).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FwMark {
    mark: u32,
    mask: u32,
}

impl FwMark {
    /// A mark and mask; `None` when the mark has bits outside the mask.
    pub fn new(mark: u32, mask: u32) -> Option<Self> {
        (mark & !mask == 0).then_some(FwMark { mark, mask })
    }

    /// The mark.
    pub fn mark(self) -> u32 {
        self.mark
    }

    /// The mask (`0xffffffff` when none was given).
    pub fn mask(self) -> u32 {
        self.mask
    }

    /// Parses `MARK` or `MARK/MASK` as Docker's `--bridge-accept-fwmark` does.
    ///
    /// # Errors
    /// The reason, naming the part that is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (m, k) = match text.split_once('/') {
            Some((m, k)) => (m, Some(k)),
            None => (text, None),
        };
        let mark = go_u32(m).map_err(|r| format!("mark {m:?}: {r}"))?;
        let mask = match k {
            Some(k) => go_u32(k).map_err(|r| format!("mask {k:?}: {r}"))?,
            None => u32::MAX,
        };
        FwMark::new(mark, mask).ok_or_else(|| {
            format!(
                "mark {mark:#x} has bits outside mask {mask:#x}: Docker's rule \
                 `meta mark & {mask:#x} == {mark:#x}` would never match"
            )
        })
    }
}

impl fmt::Display for FwMark {
    /// `0x100/0xff00`, or `0x1` with the full mask.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mask == u32::MAX {
            write!(f, "{:#x}", self.mark)
        } else {
            write!(f, "{:#x}/{:#x}", self.mark, self.mask)
        }
    }
}

/// An unsigned 32-bit number in Go's `strconv.ParseUint(s, 0, 32)` syntax (without `_`).
fn go_u32(s: &str) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    let (digits, radix) = if let Some(d) = lower.strip_prefix("0x") {
        (d, 16)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (d, 8)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (d, 2)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err("not a number (decimal, 0x hex, 0o octal or 0b binary)".into());
    }
    u32::from_str_radix(digits, radix).map_err(|_| "more than 32 bits".into())
}

/// The register bytes nft compares an interface name with: the name and a NUL, padded to 16
/// bytes; a wildcard (`eth+`, nft's `eth*`) is its prefix alone.
fn ifname_data(name: &str, wildcard: bool) -> Vec<u8> {
    let mut v = name.as_bytes().to_vec();
    if !wildcard {
        v.resize(16, 0);
    }
    v
}

/// The comment of a pair's rule.
pub fn pair_comment(f: &Forward) -> String {
    format!("dfw forward {} -> {}", f.in_iface, f.out_iface)
}

/// The rule marking one `[[forward]]` pair.
fn pair_rule(f: &Forward, mark: FwMark) -> Rule {
    let mut exprs = vec![
        Expr::Meta {
            key: META_IIFNAME,
            dreg: REG1,
        },
        Expr::Cmp {
            sreg: REG1,
            op: CmpOp::Eq,
            data: ifname_data(f.in_iface.name(), f.in_iface.is_wildcard()),
        },
        Expr::Meta {
            key: META_OIFNAME,
            dreg: REG1,
        },
        Expr::Cmp {
            sreg: REG1,
            op: CmpOp::Eq,
            data: ifname_data(f.out_iface.name(), f.out_iface.is_wildcard()),
        },
    ];
    if mark.mask == u32::MAX {
        exprs.push(Expr::Immediate {
            dreg: REG1,
            data: Data::Value(mark.mark.to_ne_bytes().to_vec()),
        });
    } else {
        exprs.push(Expr::Meta {
            key: META_MARK,
            dreg: REG1,
        });
        exprs.push(Expr::Bitwise {
            sreg: REG1,
            dreg: REG1,
            len: 4,
            mask: (!mark.mask).to_ne_bytes().to_vec(),
            xor: mark.mark.to_ne_bytes().to_vec(),
        });
    }
    exprs.push(Expr::MetaSet {
        key: META_MARK,
        sreg: REG1,
    });
    Rule {
        handle: 0,
        exprs,
        comment: Some(pair_comment(f)),
    }
}

/// dfw's native table for `forward` pairs and `mark` (see the module contract); handles 0.
pub fn mark_table(forward: &[Forward], mark: FwMark) -> Table {
    let mut seen: Vec<&Forward> = Vec::new();
    let mut rules = Vec::new();
    for f in forward {
        if !seen.contains(&f) {
            seen.push(f);
            rules.push(pair_rule(f, mark));
        }
    }
    Table {
        family: NftFamily::Inet,
        name: MARK_TABLE.into(),
        handle: 0,
        chains: vec![Chain {
            name: MARK_CHAIN.into(),
            handle: 0,
            base: Some(BaseChain {
                hook: Hook::Forward,
                priority: MARK_PRIORITY,
                chain_type: "filter".into(),
                policy: ChainPolicy::Accept,
            }),
            rules,
        }],
        sets: Vec::new(),
    }
}

/// The pairs and mark `t` was made from, when it is exactly a [`mark_table`] (handles and
/// counters aside): what a rollback point records of dfw's native table. A table with no
/// rule gives mark `0x1` (every mark makes the same empty table).
pub fn mark_table_params(t: &Table) -> Option<(Vec<Forward>, FwMark)> {
    let chain = t.chains.first()?;
    let mut pairs = Vec::new();
    let mut mark = None;
    for r in &chain.rules {
        let iface = |e: &Expr| match e {
            Expr::Cmp {
                op: CmpOp::Eq,
                data,
                ..
            } => {
                let (name, wildcard) = match data.iter().position(|&b| b == 0) {
                    Some(end) => (&data[..end], false),
                    None => (&data[..], true),
                };
                crate::model::Iface::new(std::str::from_utf8(name).ok()?, wildcard).ok()
            }
            _ => None,
        };
        let word = |v: &[u8]| Some(u32::from_ne_bytes(v.try_into().ok()?));
        let m = match r.exprs.get(4)? {
            Expr::Immediate {
                data: Data::Value(v),
                ..
            } => FwMark::new(word(v)?, u32::MAX)?,
            Expr::Meta { .. } => match r.exprs.get(5)? {
                Expr::Bitwise { mask, xor, .. } => FwMark::new(word(xor)?, !word(mask)?)?,
                _ => return None,
            },
            _ => return None,
        };
        if mark.is_some_and(|x| x != m) {
            return None;
        }
        mark = Some(m);
        pairs.push(Forward {
            in_iface: iface(r.exprs.get(1)?)?,
            out_iface: iface(r.exprs.get(3)?)?,
        });
    }
    let mark = mark.unwrap_or(FwMark {
        mark: 1,
        mask: u32::MAX,
    });
    let print = crate::native::print::table_text;
    (print(&mark_table(&pairs, mark)) == print(t)).then_some((pairs, mark))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Iface;

    #[test]
    fn parses_as_docker_does() {
        let ok = |s: &str, mark: u32, mask: u32| {
            assert_eq!(FwMark::parse(s), Ok(FwMark { mark, mask }), "{s}");
        };
        ok("0x1", 1, u32::MAX);
        ok("1", 1, u32::MAX);
        ok("2/3", 2, 3);
        ok("0x100/0xff00", 0x100, 0xff00);
        ok("0X10/0XF0", 0x10, 0xf0);
        ok("010", 8, u32::MAX);
        ok("0o10", 8, u32::MAX);
        ok("0b101/0b111", 5, 7);
        ok("0", 0, u32::MAX);
        ok("4294967295", u32::MAX, u32::MAX);
        for bad in [
            "",
            "x",
            "0x",
            "0x1/",
            "/1",
            "4294967296",
            "1/2",
            "0x1g",
            "-1",
            "1/0x",
            " 1",
            "0x_1",
            "08",
        ] {
            assert!(FwMark::parse(bad).is_err(), "{bad:?}");
        }
        assert!(FwMark::parse("1/2").unwrap_err().contains("outside mask"));
        assert_eq!(
            FwMark::parse("0x100/0xff00").unwrap().to_string(),
            "0x100/0xff00"
        );
        assert_eq!(FwMark::parse("1").unwrap().to_string(), "0x1");
    }

    #[test]
    fn table_has_one_rule_per_distinct_pair() {
        let p = |i: &str, o: &str| Forward {
            in_iface: Iface::parse(i).unwrap(),
            out_iface: Iface::parse(o).unwrap(),
        };
        let t = mark_table(
            &[p("eth1", "docker0"), p("eth1", "docker0"), p("wg+", "br+")],
            FwMark::parse("0x100/0xff00").unwrap(),
        );
        let c = &t.chains[0];
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.base.as_ref().unwrap().priority, -1);
        let text = crate::native::print::table_text(&t);
        assert!(
            text.contains("priority filter - 1; policy accept;"),
            "{text}"
        );
        assert!(
            text.contains("iifname \"eth1\" oifname \"docker0\" meta mark set"),
            "{text}"
        );
        assert!(text.contains("iifname \"wg*\" oifname \"br*\""), "{text}");
        let (pairs, mark) = mark_table_params(&t).unwrap();
        assert_eq!(pairs, vec![p("eth1", "docker0"), p("wg+", "br+")]);
        assert_eq!(mark, FwMark::parse("0x100/0xff00").unwrap());
        let full = mark_table(&pairs, FwMark::parse("7").unwrap());
        assert_eq!(
            mark_table_params(&full).unwrap().1,
            FwMark::parse("7").unwrap()
        );
        let mut other = full.clone();
        other.chains[0].rules[0].comment = Some("changed".into());
        assert_eq!(mark_table_params(&other), None);
        assert!(mark_table_params(&mark_table(&[], FwMark::parse("9").unwrap())).is_some());
    }
}
