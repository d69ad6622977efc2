//! From the raw file to a [`Policy`]: checks every value, reports the first error with its
//! file, line, column, key path and value, and notes what deserves a warning.
//!
//! Contract: errors come out in file order within each section (interfaces, policy, allow,
//! whitelist, lan, forward); the first is returned. Dangerous values are errors unless the
//! section opts in: a `from`, `whitelist.sources` or `lan.networks` that covers every address
//! of a family (the firewall off for them) needs `allow_everyone = true` in that section;
//! port 0 is always refused. Warnings ([`super::warning`]) are collected in `notes`, in
//! file order once sorted. Nothing here panics on any input.

use std::cell::RefCell;
use std::ops::Range;

use toml::Spanned;

use super::config::{Allow, Blocklist, DefaultAction, External, Forward, Policy, Source};
use super::error::{Location, PolicyError};
use super::raw::{RawAllow, RawBlocklist, RawConfig, RawForward, SpannedList};
use super::value;
use super::warning::{HostFacts, Note};
use crate::model::Family;

/// The file being validated, to turn spans into locations, and the warnings noted so far.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub facts: &'a HostFacts,
    pub notes: RefCell<Vec<Note>>,
}

/// Where a source list is, for its errors and warnings, and what covering a whole family
/// means there.
pub(super) struct ListSite<'k> {
    /// Its key, e.g. `whitelist.sources`.
    pub key: &'k str,
    /// Why an empty list is refused.
    pub empty: &'k str,
    /// `None`: covering a whole family is allowed (`allow_everyone = true`); else what to
    /// tell the user, after "every IPv4 address: ".
    pub everyone: Option<&'k str>,
}

impl<'a> Ctx<'a> {
    /// A context for `text`, labelled `file`, with what the host knows.
    pub(crate) fn new(file: &'a str, text: &'a str, facts: &'a HostFacts) -> Self {
        Ctx {
            file,
            text,
            facts,
            notes: RefCell::new(Vec::new()),
        }
    }

    /// The warnings noted, in file order.
    pub(crate) fn take_notes(&self) -> Vec<Note> {
        let mut notes = self.notes.take();
        notes.sort_by_key(|n| n.span.start);
        notes
    }

    pub(super) fn err(
        &self,
        key: &str,
        span: Range<usize>,
        value: &str,
        reason: String,
    ) -> PolicyError {
        PolicyError::Value {
            at: Location::at(self.file, self.text, span.start),
            key: key.to_string(),
            value: value.to_string(),
            reason,
        }
    }

    /// Checks a list is not empty and parses each item with `parse`.
    fn list<T>(
        &self,
        key: &str,
        list: &SpannedList,
        empty: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, PolicyError> {
        if list.get_ref().is_empty() {
            return Err(self.err(key, list.span(), "[]", empty.to_string()));
        }
        list.get_ref()
            .iter()
            .enumerate()
            .map(|(i, item)| {
                parse(item.get_ref())
                    .map_err(|r| self.err(&format!("{key}[{i}]"), item.span(), item.get_ref(), r))
            })
            .collect()
    }

    /// Validates the whole file.
    pub(crate) fn policy(&self, raw: RawConfig) -> Result<Policy, PolicyError> {
        let mut policy = Policy::default();
        if let Some(list) = raw.interfaces.and_then(|i| i.external) {
            policy.external = self.external(&list)?;
        }
        if let Some(p) = raw.policy {
            if let Some(d) = p.default {
                policy.default = match d.get_ref().as_str() {
                    "reject" => DefaultAction::Reject,
                    "drop" => DefaultAction::Drop,
                    other => {
                        let why = "must be \"reject\" or \"drop\"".to_string();
                        return Err(self.err("policy.default", d.span(), other, why));
                    }
                };
            }
            policy.host = p.host.unwrap_or(policy.host);
            policy.ping = p.ping.unwrap_or(policy.ping);
        }
        for (i, a) in raw.allow.iter().enumerate() {
            policy
                .allow
                .push(self.allow(&format!("allow[{i}]"), a.get_ref())?);
        }
        let empty = "empty: remove the key or list at least one entry";
        if let Some(w) = raw.whitelist {
            if let Some(list) = &w.sources {
                let site = ListSite {
                    key: "whitelist.sources",
                    empty,
                    everyone: (w.allow_everyone != Some(true)).then_some(
                        "the whitelist would let everyone reach every port (the firewall off); \
                         set `allow_everyone = true` in [whitelist] if that is what you mean",
                    ),
                };
                policy.whitelist = self.sources(&site, list)?;
            }
        }
        if let Some(l) = raw.lan {
            if let Some(list) = &l.networks {
                let site = ListSite {
                    key: "lan.networks",
                    empty,
                    everyone: (l.allow_everyone != Some(true)).then_some(
                        "the LAN would be everyone, trusted entirely (the firewall off); set \
                         `allow_everyone = true` in [lan] if that is what you mean",
                    ),
                };
                policy.lan = self.sources(&site, list)?;
            }
        }
        for (i, f) in raw.forward.iter().enumerate() {
            policy
                .forward
                .push(self.forward(&format!("forward[{i}]"), f.get_ref())?);
        }
        if let Some(b) = raw.blocklist {
            policy.blocklist = Some(self.blocklist(b.get_ref())?);
        }
        if let Some(m) = raw.docker.and_then(|d| d.accept_fwmark) {
            policy.accept_fwmark = Some(
                super::fwmark::FwMark::parse(m.get_ref().trim())
                    .map_err(|r| self.err("docker.accept_fwmark", m.span(), m.get_ref(), r))?,
            );
        }
        Ok(policy)
    }

    fn blocklist(&self, raw: &RawBlocklist) -> Result<Blocklist, PolicyError> {
        let empty = "empty: remove the key or list at least one entry";
        let mut b = Blocklist::default();
        if let Some(list) = &raw.sources {
            b.sources = self.list("blocklist.sources", list, empty, |t| {
                value::source_noted(t, &mut Vec::new())
            })?;
        }
        if let Some(list) = &raw.files {
            b.files = self.list("blocklist.files", list, empty, |s| {
                if s.is_empty() || s.contains('\0') {
                    Err("not a file path".to_string())
                } else {
                    Ok(s.to_string())
                }
            })?;
        }
        if let Some(list) = &raw.ipsets {
            b.ipsets = self.list("blocklist.ipsets", list, empty, value::foreign_set)?;
        }
        Ok(b)
    }

    fn external(&self, list: &SpannedList) -> Result<External, PolicyError> {
        let key = "interfaces.external";
        let items = list.get_ref();
        if let Some((i, auto)) = items
            .iter()
            .enumerate()
            .find(|(_, s)| s.get_ref() == "auto")
        {
            if items.len() == 1 {
                return Ok(External::Auto);
            }
            let why = "\"auto\" cannot be mixed with interface names".to_string();
            return Err(self.err(&format!("{key}[{i}]"), auto.span(), "auto", why));
        }
        let empty = "empty: name the external interfaces, or use [\"auto\"]";
        let names = self.list(key, list, empty, |s| value::iface(s, true))?;
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                let item = &items[i];
                let why = "listed twice".to_string();
                return Err(self.err(&format!("{key}[{i}]"), item.span(), item.get_ref(), why));
            }
            self.exists(&format!("{key}[{i}]"), &items[i], name);
        }
        Ok(External::Named(names))
    }

    fn allow(&self, key: &str, raw: &RawAllow) -> Result<Allow, PolicyError> {
        let comment = match &raw.comment {
            Some(c) => Some(
                value::comment(c.get_ref())
                    .map_err(|r| self.err(&format!("{key}.comment"), c.span(), c.get_ref(), r))?,
            ),
            None => None,
        };
        let ports_key = format!("{key}.ports");
        if raw.ports.get_ref().is_empty() {
            let why = "empty: list at least one port, e.g. \"8080/tcp\"".to_string();
            return Err(self.err(&ports_key, raw.ports.span(), "[]", why));
        }
        let ports = raw
            .ports
            .get_ref()
            .iter()
            .enumerate()
            .map(|(i, p)| self.port(&format!("{ports_key}[{i}]"), p))
            .collect::<Result<Vec<_>, _>>()?;
        self.redundant_ports(&ports_key, raw, &ports);
        let to = match &raw.to {
            Some(t) => {
                let to_key = format!("{key}.to");
                let mut found = Vec::new();
                let to = value::network_noted(t.get_ref(), &mut found)
                    .map_err(|r| self.err(&to_key, t.span(), t.get_ref(), r))?;
                self.noted(&to_key, t, found);
                Some(to)
            }
            None => None,
        };
        let from = match &raw.from {
            Some(list) => {
                let from_key = format!("{key}.from");
                let site = ListSite {
                    key: &from_key,
                    empty: "empty: omit `from` to allow everyone",
                    everyone: (raw.allow_everyone != Some(true)).then_some(
                        "this opens the ports to everyone of that family; omit `from` for \
                         everyone (both families), or set `allow_everyone = true` in this \
                         [[allow]] if that is what you mean",
                    ),
                };
                let from = self.sources(&site, list)?;
                if let (Some(to), Some(raw_to)) = (to, &raw.to) {
                    self.families_meet(key, raw_to, &from, to.family())?;
                }
                Some(from)
            }
            None => None,
        };
        Ok(Allow {
            comment,
            ports,
            from,
            to,
        })
    }

    /// Refuses an allow that can never match: `to` of one family, every `from` source of the
    /// other. (Sources of the other family beside matching ones are simply unused there.)
    fn families_meet(
        &self,
        key: &str,
        to: &Spanned<String>,
        from: &[Source],
        family: Family,
    ) -> Result<(), PolicyError> {
        if from.iter().any(|s| s.family() == family) {
            return Ok(());
        }
        let other = match family {
            Family::Ipv4 => Family::Ipv6,
            Family::Ipv6 => Family::Ipv4,
        };
        let why = format!(
            "{family} destination, but every `from` source is {other}: this allow can never match"
        );
        Err(self.err(&format!("{key}.to"), to.span(), to.get_ref(), why))
    }

    fn port(
        &self,
        key: &str,
        item: &Spanned<toml::Value>,
    ) -> Result<super::config::PortSpec, PolicyError> {
        // The location is computed only for an error: it scans the text up to the item, so
        // computing it for every port made parsing quadratic in the config's size.
        match item.get_ref() {
            toml::Value::String(s) => {
                value::port_spec(s).map_err(|r| self.err(key, item.span(), s, r))
            }
            toml::Value::Integer(n) => {
                value::port_number(*n).map_err(|r| self.err(key, item.span(), &n.to_string(), r))
            }
            other => Err(PolicyError::Schema {
                at: Location::at(self.file, self.text, item.span().start),
                key: key.to_string(),
                reason: format!(
                    "invalid type: {}, expected a port such as \"8080/tcp\" or 22",
                    other.type_str()
                ),
            }),
        }
    }

    fn forward(&self, key: &str, raw: &RawForward) -> Result<Forward, PolicyError> {
        let one = |name: &str, s: &Spanned<String>| {
            let k = format!("{key}.{name}");
            let iface = value::iface(s.get_ref(), false)
                .map_err(|r| self.err(&k, s.span(), s.get_ref(), r))?;
            self.exists(&k, s, &iface);
            Ok(iface)
        };
        Ok(Forward {
            in_iface: one("in", &raw.in_iface)?,
            out_iface: one("out", &raw.out)?,
        })
    }
}
