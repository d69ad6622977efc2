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

use dfw_core::model::{ChainName, Family, TableName};
use dfw_core::policy::{is_dfw_chain, is_dfw_jump, Compiled, Current, DfwJump, FamilyRules};
use dfw_core::policy::{DOCKER_USER, INPUT};
use dfw_core::syntax::{parse_ruleset, print_ruleset, PrintOptions};

use super::{Corruption, SafetyError, Unsavable};

/// dfw's objects in the kernel, IPv4 and IPv6.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot(pub Compiled);

/// Header line of the text form.
const HEADER: &str = "# dfw state v2";
/// Start of the end line.
const END: &str = "# end bytes=";

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
        let v4 = parse(Family::Ipv4, a, b)?;
        let v6 = parse(Family::Ipv6, b, text.len())?;
        Ok(Snapshot(Compiled { v4, v6 }))
    }

    /// True when dfw owns nothing in either family.
    pub fn is_empty(&self) -> bool {
        [&self.0.v4, &self.0.v6]
            .iter()
            .all(|f| f.chains.is_empty() && f.jumps.is_empty())
    }
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
        let snap = Snapshot(p.compile(&[dfw_core::model::Iface::parse("eth0").unwrap()]));
        let full = snap.to_text().unwrap();
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
