//! The exact state of dfw-owned objects (the `DFW-*` chains of `filter` and dfw's tagged
//! jumps in DOCKER-USER and INPUT), both families, as a value, and as text.
//!
//! Contract: a [`Snapshot`] is a [`Compiled`] policy: committing it with
//! [`crate::enforce::commit_compiled_unguarded`] brings dfw's objects back to exactly what
//! was captured (one atomic batch; nothing that is not dfw's is changed, apart from creating
//! DOCKER-USER and FORWARD's `-j DOCKER-USER` if Docker's are missing, as every dfw commit
//! does). dfw's jumps always sit at the top of their chain, so
//! their order is all there is to capture. Only dfw's objects are captured: a rule someone
//! else put into a `DFW-*` chain (decodable or not) is not dfw's and is left out (the
//! rollback, as every commit, removes it), and neighbours' rules elsewhere are never read
//! into a snapshot, so no rule of anyone else can make saving fail. The text form is iptables-save text per family
//! (what `dfw-cli show` prints for a policy), preceded by `# family: ipv4` / `# family: ipv6`
//! lines, so an admin can read it and `iptables-restore` could load it. The last line,
//! `# end bytes=N fnv1a64=HASH`, gives the length and the FNV-1a hash of everything before
//! it: a truncated or altered file is refused ([`Corruption::Truncated`],
//! [`Corruption::Checksum`]), never applied.
//!
//! The members of dfw's own static sets the rules match (the whitelist, LAN, allow and block
//! sets of a long list) are part of the state: a rollback point taken before a commit that
//! only changed a set's members restores them. They follow the rules after a `# sets` line,
//! per set a `create NAME hash:net family inet|inet6` line (as `ipset save` writes it) and
//! then one member per line (`10.0.0.0/8`), sorted. The ban sets are not captured (bans are
//! run-time state, kept across commits and rollbacks); a set another tool owns is not dfw's.
//!
//! dfw's native table (`table inet dfw`, `[docker] accept_fwmark`) follows, when the kernel
//! holds it in dfw's exact form: `# native table inet dfw`, `# fwmark MARK[/MASK]`, and one
//! `# forward IN OUT` line per marked pair; a rollback point without it deletes the table.

use dfw_core::model::matches::SetName;
use dfw_core::model::{ChainName, Family, Network, TableName};
use dfw_core::policy::{
    is_dfw_chain, is_dfw_jump, Compiled, Current, DfwJump, FamilyRules, SetMembers, SetRole,
    SetSpec,
};
use dfw_core::policy::{mark_table, mark_table_params, Forward, FwMark, DOCKER_USER, INPUT};
use dfw_core::syntax::{parse_ruleset, print_ruleset, PrintOptions};

use super::{Corruption, SafetyError, Unsavable};

/// dfw's objects in the kernel, IPv4 and IPv6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(pub Compiled);

/// Header line of the text form.
const HEADER: &str = "# dfw state v2";
/// Start of the end line.
const END: &str = "# end bytes=";
/// The line before the sets.
const SETS: &str = "# sets";
/// The line before dfw's native table (`[docker] accept_fwmark`), after the sets.
const NATIVE: &str = "# native table inet dfw";

/// The 64-bit FNV-1a hash of `bytes` (a checksum, not a defence against forgery: the
/// directory is root's alone).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The iptables-save text of a compiled policy's rules, IPv4 then IPv6, each after its
/// family line (the body of the text form).
///
/// # Errors
/// [`SafetyError::Corrupt`] when the rules do not form a table.
pub fn rules_text(compiled: &Compiled) -> Result<String, SafetyError> {
    let mut out = String::new();
    for rules in [&compiled.v4, &compiled.v6] {
        let rs = rules.to_ruleset().map_err(|e| SafetyError::Corrupt {
            path: "<snapshot>".into(),
            reason: e.into(),
        })?;
        out.push_str(family_line(rules.family));
        out.push('\n');
        out.push_str(&print_ruleset(&rs, PrintOptions::default()));
    }
    Ok(out)
}

fn family_line(family: Family) -> &'static str {
    match family {
        Family::Ipv4 => "# family: ipv4",
        Family::Ipv6 => "# family: ipv6",
    }
}

impl Snapshot {
    /// dfw's objects out of what [`crate::enforce::read_current`] read, IPv4 then IPv6.
    ///
    /// # Errors
    /// [`SafetyError::Opaque`] when a `DFW-*` chain has a name iptables cannot take.
    pub fn from_current(current: &[Current; 2]) -> Result<Snapshot, SafetyError> {
        Ok(Snapshot(Compiled {
            v4: family_rules(Family::Ipv4, &current[0])?,
            v6: family_rules(Family::Ipv6, &current[1])?,
            // Sets are not part of a rollback point: rules that match a dfw set keep it (a
            // commit never destroys a set its rules match), with its current members.
            sets: Vec::new(),
            // dfw's native table (`[docker] accept_fwmark`) is not recorded yet: a rollback
            // deletes it (the pairs Docker drops stop working; nothing is let through).
            native: None,
        }))
    }

    /// The text form (see the module contract).
    ///
    /// # Errors
    /// [`SafetyError::Corrupt`] when the rules do not form a table (a jump to a chain that is
    /// not captured: never for what [`Snapshot::from_current`] returns from a sane kernel).
    pub fn to_text(&self) -> Result<String, SafetyError> {
        let mut out = format!("{HEADER}\n");
        out.push_str(&rules_text(&self.0)?);
        out.push_str(&sets_text(&self.0.sets));
        out.push_str(&native_text(self.0.native.as_ref())?);
        let end = format!(
            "{END}{} fnv1a64={:016x}\n",
            out.len(),
            fnv1a64(out.as_bytes())
        );
        out.push_str(&end);
        Ok(out)
    }

    /// Parses the text form; `path` names the file in errors.
    ///
    /// # Errors
    /// [`SafetyError::Corrupt`] with the reason (and line, for a syntax error).
    pub fn from_text(text: &str, path: &str) -> Result<Snapshot, SafetyError> {
        let corrupt = |reason: Corruption| SafetyError::Corrupt {
            path: path.into(),
            reason,
        };
        if text.lines().next() != Some(HEADER) {
            return Err(corrupt(Corruption::NoHeader(HEADER)));
        }
        let body = text.strip_suffix('\n').unwrap_or_default();
        let Some(at) = body
            .rfind('\n')
            .map(|i| i + 1)
            .filter(|i| body[*i..].starts_with(END))
        else {
            return Err(corrupt(Corruption::Truncated));
        };
        let (text, end) = text.split_at(at);
        let expected = format!(
            "{END}{} fnv1a64={:016x}\n",
            text.len(),
            fnv1a64(text.as_bytes())
        );
        if end != expected {
            return Err(corrupt(Corruption::Checksum));
        }
        let v4_at = text.find(family_line(Family::Ipv4));
        let v6_at = text.find(family_line(Family::Ipv6));
        let (Some(a), Some(b)) = (v4_at, v6_at) else {
            return Err(corrupt(Corruption::MissingFamily));
        };
        if b < a {
            return Err(corrupt(Corruption::FamiliesOutOfOrder));
        }
        let line_of = |offset: usize| text[..offset].matches('\n').count();
        let parse = |family: Family, start: usize, end: usize| {
            // Keep line numbers right: blank out what precedes the section.
            let pad = "\n".repeat(line_of(start));
            let section = format!("{pad}{}", &text[start..end]);
            let rs = parse_ruleset(family, &section)
                .map_err(|e| corrupt(Corruption::Syntax(Box::new(e))))?;
            Ok::<_, SafetyError>(from_ruleset(family, &rs))
        };
        let sets_at = text[b..]
            .find(&format!("\n{SETS}\n"))
            .map_or(text.len(), |i| b + i + 1);
        let native_at = text[b..]
            .find(&format!("\n{NATIVE}\n"))
            .map_or(text.len(), |i| b + i + 1);
        let sets_at = sets_at.min(native_at);
        let v4 = parse(Family::Ipv4, a, b)?;
        let v6 = parse(Family::Ipv6, b, sets_at)?;
        let sets = parse_sets(&text[sets_at..native_at], line_of(sets_at)).map_err(corrupt)?;
        let native = parse_native(&text[native_at..], line_of(native_at)).map_err(corrupt)?;
        Ok(Snapshot(Compiled {
            v4,
            v6,
            sets,
            native,
        }))
    }

    /// The same rules with the members of dfw's static sets they match (see the module
    /// contract); sorted by name, members sorted.
    pub fn with_sets(mut self, mut sets: Vec<SetSpec>) -> Snapshot {
        sets.retain(|s| matches!(s.members, SetMembers::Static(_)));
        for s in &mut sets {
            if let SetMembers::Static(m) = &mut s.members {
                m.sort_unstable_by_key(crate::sets::key);
                m.dedup();
            }
        }
        sets.sort_by(|a, b| a.name.cmp(&b.name));
        self.0.sets = sets;
        self
    }

    /// True when dfw owns nothing in either family.
    pub fn is_empty(&self) -> bool {
        [&self.0.v4, &self.0.v6]
            .iter()
            .all(|f| f.chains.is_empty() && f.jumps.is_empty())
    }
}

/// The `# sets` section (empty without sets).
/// The native section: `# native table inet dfw`, `# fwmark MARK[/MASK]`, then
/// `# forward IN OUT` per pair (empty without the table). A table that is not exactly dfw's
/// form (someone changed it) is not recorded: a rollback deletes it.
fn native_text(native: Option<&dfw_core::native::Table>) -> Result<String, SafetyError> {
    let Some((pairs, mark)) = native.and_then(mark_table_params) else {
        return Ok(String::new());
    };
    let mut out = format!("{NATIVE}\n# fwmark {mark}\n");
    for p in pairs {
        out.push_str(&format!("# forward {} {}\n", p.in_iface, p.out_iface));
    }
    Ok(out)
}

/// Parses [`native_text`]'s section (`first`: its line number, for errors).
fn parse_native(text: &str, first: usize) -> Result<Option<dfw_core::native::Table>, Corruption> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (first + i + 1, l));
    match lines.next() {
        None => return Ok(None),
        Some((_, NATIVE)) => {}
        Some((line, l)) => return Err(Corruption::Native(line, l.chars().take(80).collect())),
    }
    let mut mark = None;
    let mut pairs = Vec::new();
    for (line, l) in lines {
        let bad = || Corruption::Native(line, l.chars().take(80).collect());
        if let Some(m) = l.strip_prefix("# fwmark ") {
            mark = Some(FwMark::parse(m).map_err(|_| bad())?);
        } else if let Some(rest) = l.strip_prefix("# forward ") {
            let (i, o) = rest.split_once(' ').ok_or_else(bad)?;
            let iface = |s: &str| dfw_core::model::Iface::parse(s).map_err(|_| bad());
            pairs.push(Forward {
                in_iface: iface(i)?,
                out_iface: iface(o)?,
            });
        } else {
            return Err(bad());
        }
    }
    let mark = mark.ok_or(Corruption::Native(first + 1, NATIVE.into()))?;
    Ok(Some(mark_table(&pairs, mark)))
}

fn sets_text(sets: &[SetSpec]) -> String {
    if sets.is_empty() {
        return String::new();
    }
    let mut out = format!("{SETS}\n");
    for s in sets {
        let SetMembers::Static(members) = &s.members else {
            continue;
        };
        let family = crate::sets::ipset_family(s.family);
        out.push_str(&format!("create {} hash:net family {family}\n", s.name));
        for m in members {
            out.push_str(&m.to_string());
            out.push('\n');
        }
    }
    out
}

/// Parses the `# sets` section (`text` starts at it, or is empty); `first` is its 0-based
/// line number in the file.
fn parse_sets(text: &str, first: usize) -> Result<Vec<SetSpec>, Corruption> {
    let mut lines = text.lines().enumerate().map(|(i, l)| (first + i + 1, l));
    let mut sets: Vec<SetSpec> = Vec::new();
    match lines.next() {
        None => return Ok(sets),
        Some((_, SETS)) => {}
        Some((line, l)) => return Err(Corruption::Set(line, l.chars().take(80).collect())),
    }
    for (line, l) in lines {
        let bad = || Corruption::Set(line, l.chars().take(80).collect());
        if let Some(rest) = l.strip_prefix("create ") {
            let mut w = rest.split(' ');
            let (Some(name), Some("hash:net"), Some("family"), Some(f), None) =
                (w.next(), w.next(), w.next(), w.next(), w.next())
            else {
                return Err(bad());
            };
            let name = SetName::new(name).map_err(|_| bad())?;
            let family = match f {
                "inet" => Family::Ipv4,
                "inet6" => Family::Ipv6,
                _ => return Err(bad()),
            };
            let role = match SetRole::of_set_name(&name) {
                Some((role, fam)) if fam == family && role != SetRole::Ban => role,
                _ => return Err(bad()),
            };
            sets.push(SetSpec {
                name,
                role,
                family,
                members: SetMembers::Static(Vec::new()),
            });
            continue;
        }
        let net = parse_net(l).ok_or_else(bad)?;
        match sets.last_mut() {
            Some(SetSpec {
                family,
                members: SetMembers::Static(m),
                ..
            }) if *family == net.family() => m.push(net),
            _ => return Err(bad()),
        }
    }
    Ok(sets)
}

/// `ADDR/PREFIX` exactly as [`Network`]'s `Display` writes it.
fn parse_net(text: &str) -> Option<Network> {
    let (addr, prefix) = text.split_once('/')?;
    let net = Network::with_prefix(addr.parse().ok()?, prefix.parse().ok()?).ok()?;
    (net.to_string() == text).then_some(net)
}

/// One family's dfw objects of a kernel read.
fn family_rules(family: Family, current: &Current) -> Result<FamilyRules, SafetyError> {
    let mut chains = Vec::new();
    for c in current.chains.iter().filter(|c| is_dfw_chain(&c.name)) {
        let name = ChainName::new(&c.name).map_err(|e| SafetyError::Opaque {
            family,
            chain: c.name.clone(),
            reason: Unsavable::ChainName(e),
        })?;
        // A rule dfw cannot decode is not one dfw wrote.
        let rules = c.rules.iter().flatten().cloned().collect();
        chains.push((name, rules));
    }
    let mut jumps = Vec::new();
    for chain in [DOCKER_USER, INPUT] {
        let Some(c) = current.chain(chain) else {
            continue;
        };
        for rule in c.rules.iter().flatten().filter(|r| is_dfw_jump(r)) {
            if let Ok(name) = ChainName::new(chain) {
                jumps.push(DfwJump {
                    chain: name,
                    rule: rule.clone(),
                });
            }
        }
    }
    Ok(FamilyRules {
        family,
        chains,
        jumps,
    })
}

/// One family's dfw objects of a parsed snapshot section.
fn from_ruleset(family: Family, rs: &dfw_core::model::Ruleset) -> FamilyRules {
    let current = Current {
        chains: rs
            .table(TableName::Filter)
            .map(|t| {
                t.chains()
                    .iter()
                    .map(|c| dfw_core::policy::CurrentChain {
                        name: c.name().as_str().to_string(),
                        rules: c.rules.iter().cloned().map(Some).collect(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    };
    // Every rule is Some: this cannot fail.
    family_rules(family, &current).unwrap_or(FamilyRules {
        family,
        chains: Vec::new(),
        jumps: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dfw_core::policy::Policy;

    const POLICY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/dfw.toml");

    #[test]
    fn snapshot_text_round_trip() {
        let text = std::fs::read_to_string(POLICY).unwrap();
        let p = Policy::from_toml(&text, POLICY).unwrap();
        let compiled = p.compile(&[dfw_core::model::Iface::parse("eth0").unwrap()]);
        let snap = Snapshot(compiled);
        let out = snap.to_text().unwrap();
        assert!(out.contains("# family: ipv6\n*filter\n"), "{out}");
        let back = Snapshot::from_text(&out, "t").unwrap();
        assert_eq!(back.to_text().unwrap(), out);
        assert_eq!(back.0.v4.jumps, snap.0.v4.jumps);
        assert!(!back.is_empty());
    }

    #[test]
    fn snapshot_native_table_round_trip() {
        let text = std::fs::read_to_string(POLICY).unwrap();
        let text = format!(
            "{text}\n[[forward]]\nin = \"wg+\"\nout = \"docker0\"\n\n[docker]\n\
             accept_fwmark = \"0x100/0xff00\"\n"
        );
        let p = Policy::from_toml(&text, POLICY).unwrap();
        let mut compiled = p.compile(&[dfw_core::model::Iface::parse("eth0").unwrap()]);
        compiled.sets = vec![whitelist(&["192.0.2.0/24"])];
        let snap = Snapshot(compiled);
        let out = snap.to_text().unwrap();
        assert!(
            out.contains(
                "# native table inet dfw\n# fwmark 0x100/0xff00\n# forward eth1 eth0\n\
                          # forward wg+ docker0\n"
            ),
            "{out}"
        );
        let back = Snapshot::from_text(&out, "t").unwrap();
        assert_eq!(back.0.native, snap.0.native);
        assert_eq!(back.0.sets, snap.0.sets);
        assert_eq!(back.to_text().unwrap(), out);
        // Without the key nothing is written, and nothing comes back.
        let mut none = snap.clone();
        none.0.native = None;
        let out = none.to_text().unwrap();
        assert!(!out.contains("native"), "{out}");
        assert_eq!(Snapshot::from_text(&out, "t").unwrap().0.native, None);
    }

    fn whitelist(members: &[&str]) -> SetSpec {
        let role = SetRole::Whitelist;
        SetSpec {
            name: role.set_name(Family::Ipv4),
            role,
            family: Family::Ipv4,
            members: SetMembers::Static(members.iter().map(|m| parse_net(m).unwrap()).collect()),
        }
    }

    #[test]
    fn snapshot_sets_round_trip_sorted_without_bans() {
        let ban = SetSpec {
            name: SetRole::Ban.set_name(Family::Ipv6),
            role: SetRole::Ban,
            family: Family::Ipv6,
            members: SetMembers::Dynamic,
        };
        let lan6 = SetSpec {
            name: SetRole::Lan.set_name(Family::Ipv6),
            role: SetRole::Lan,
            family: Family::Ipv6,
            members: SetMembers::Static(vec![parse_net("2001:db8::/32").unwrap()]),
        };
        let empty = Snapshot::from_current(&[Current::default(), Current::default()]).unwrap();
        let snap = empty.with_sets(vec![
            lan6.clone(),
            ban,
            whitelist(&["198.51.100.0/24", "10.0.0.0/8", "10.0.0.0/8"]),
        ]);
        let text = snap.to_text().unwrap();
        assert!(
            text.contains(
                "# sets\ncreate dfw-lan6 hash:net family inet6\n2001:db8::/32\n\
                 create dfw-whitelist4 hash:net family inet\n10.0.0.0/8\n198.51.100.0/24\n# end "
            ),
            "{text}"
        );
        let back = Snapshot::from_text(&text, "t").unwrap();
        assert_eq!(back, snap);
        assert_eq!(back.0.sets[0], lan6);
        // Bad lines of the section are refused, naming the line.
        for (from, to) in [
            ("2001:db8::/32\n", "2001:db8::/32 junk\n"),
            ("2001:db8::/32\n", "10.0.0.0/8\n"),
            ("family inet6", "family inet"),
            ("create dfw-lan6 hash:net", "create dfw-ban6 hash:net"),
            ("create dfw-lan6 hash:net", "create other hash:net"),
            ("10.0.0.0/8\n", "10.0.0.1/8\n"),
        ] {
            let body = text[..text.find("# end ").unwrap()].replacen(from, to, 1);
            let bad = format!(
                "{body}{END}{} fnv1a64={:016x}\n",
                body.len(),
                fnv1a64(body.as_bytes())
            );
            let e = Snapshot::from_text(&bad, "f").unwrap_err().to_string();
            assert!(e.contains("not a set or a member"), "{from} -> {to}: {e}");
        }
    }

    #[test]
    fn snapshot_empty_and_corrupt() {
        let empty = Snapshot::from_current(&[Current::default(), Current::default()]).unwrap();
        assert!(empty.is_empty());
        let text = empty.to_text().unwrap();
        assert!(Snapshot::from_text(&text, "t").unwrap().is_empty());
        for bad in [
            "",
            "junk",
            "# dfw state v1\n# family: ipv4\n*filter\n-A X -j\n",
        ] {
            let e = Snapshot::from_text(bad, "f").unwrap_err().to_string();
            assert!(e.starts_with("f: "), "{e}");
        }
        let torn = text.replace("COMMIT\n# family: ipv6", "# family: ipv6");
        assert!(Snapshot::from_text(&torn, "f").is_err());
    }

    #[test]
    fn snapshot_truncated_anywhere_or_altered_is_refused() {
        let text = std::fs::read_to_string(POLICY).unwrap();
        let p = Policy::from_toml(&text, POLICY).unwrap();
        let snap = Snapshot(p.compile(&[dfw_core::model::Iface::parse("eth0").unwrap()]))
            .with_sets(vec![whitelist(&["10.0.0.0/8", "192.0.2.1/32"])]);
        let full = snap.to_text().unwrap();
        assert!(full.contains("\n192.0.2.1/32\n# end "), "{full}");
        assert!(full.ends_with("\n") && full.lines().last().unwrap().starts_with(END));
        assert_eq!(Snapshot::from_text(&full, "f").unwrap(), snap);
        // Cut at every line end (what a torn write of whole lines leaves) and mid-line.
        for (i, _) in full.match_indices('\n') {
            for cut in [i, i + 1] {
                if cut >= full.len() {
                    continue;
                }
                let e = Snapshot::from_text(&full[..cut], "f").unwrap_err();
                assert!(matches!(e, SafetyError::Corrupt { .. }), "{cut}: {e}");
            }
        }
        let altered = full.replacen("ACCEPT", "DROP", 1);
        let e = Snapshot::from_text(&altered, "f").unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
    }
}
