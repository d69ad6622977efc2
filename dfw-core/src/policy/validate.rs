//! From the raw file to a [`Policy`]: checks every value, reports the first error with its
//! file, line, column, key path and value.
//!
//! Contract: errors come out in file order within each section (interfaces, policy, allow,
//! whitelist, lan, forward); the first is returned. Nothing here panics on any input.

use std::ops::Range;

use toml::Spanned;

use super::config::{Allow, Blocklist, DefaultAction, External, Forward, Policy, Source};
use super::error::{Location, PolicyError};
use super::raw::{RawAllow, RawBlocklist, RawConfig, RawForward, SpannedList};
use super::value;
use crate::model::Family;

/// The file being validated, to turn spans into locations.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, key: &str, span: Range<usize>, value: &str, reason: String) -> PolicyError {
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
        if let Some(list) = raw.whitelist.and_then(|w| w.sources) {
            policy.whitelist = self.list("whitelist.sources", &list, empty, value::source)?;
        }
        if let Some(list) = raw.lan.and_then(|l| l.networks) {
            policy.lan = self.list("lan.networks", &list, empty, value::source)?;
        }
        for (i, f) in raw.forward.iter().enumerate() {
            policy
                .forward
                .push(self.forward(&format!("forward[{i}]"), f.get_ref())?);
        }
        if let Some(b) = raw.blocklist {
            policy.blocklist = Some(self.blocklist(b.get_ref())?);
        }
        Ok(policy)
    }

    fn blocklist(&self, raw: &RawBlocklist) -> Result<Blocklist, PolicyError> {
        let empty = "empty: remove the key or list at least one entry";
        let mut b = Blocklist::default();
        if let Some(list) = &raw.sources {
            b.sources = self.list("blocklist.sources", list, empty, value::source)?;
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
        let to = match &raw.to {
            Some(t) => Some(
                value::network(t.get_ref())
                    .map_err(|r| self.err(&format!("{key}.to"), t.span(), t.get_ref(), r))?,
            ),
            None => None,
        };
        let from = match &raw.from {
            Some(list) => {
                let empty = "empty: omit `from` to allow everyone";
                let from_key = format!("{key}.from");
                let from = self.list(&from_key, list, empty, value::source)?;
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
            value::iface(s.get_ref(), false)
                .map_err(|r| self.err(&format!("{key}.{name}"), s.span(), s.get_ref(), r))
        };
        Ok(Forward {
            in_iface: one("in", &raw.in_iface)?,
            out_iface: one("out", &raw.out)?,
        })
    }
}
