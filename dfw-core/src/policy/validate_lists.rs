//! The list checks of validation: source lists (a whole family refused unless opted in;
//! host bits, mapped addresses, duplicates and covered entries noted), redundant ports, and
//! interfaces this host does not have. A second `impl` of [`Ctx`], split from `validate` to
//! keep each file to one job.

use std::ops::Range;

use toml::Spanned;

use super::config::{PortSpec, Source};
use super::error::PolicyError;
use super::overlap::{everyone, redundant, source_span, Span};
use super::raw::{RawAllow, SpannedList};
use super::validate::{Ctx, ListSite};
use super::value::{self, Noted};
use super::warning::{Note, WarningKind};
use crate::model::{Family, Iface};

impl Ctx<'_> {
    pub(super) fn note(&self, key: &str, span: Range<usize>, value: &str, kind: WarningKind) {
        self.notes.borrow_mut().push(Note {
            span,
            key: key.to_string(),
            value: value.to_string(),
            kind,
        });
    }

    pub(super) fn noted(&self, key: &str, item: &Spanned<String>, found: Vec<Noted>) {
        for n in found {
            let kind = match n {
                Noted::HostBits(net) => WarningKind::HostBits {
                    network: net.to_string(),
                },
                Noted::Mapped(ipv4) => WarningKind::Mapped { ipv4 },
            };
            self.note(key, item.span(), item.get_ref(), kind);
        }
    }

    /// Notes an interface this host does not have, when the caller said which it has.
    pub(super) fn exists(&self, key: &str, item: &Spanned<String>, iface: &Iface) {
        let Some(have) = &self.facts.interfaces else {
            return;
        };
        if !have.iter().any(|name| iface.matches(name)) {
            let kind = WarningKind::NoSuchInterface {
                wildcard: iface.is_wildcard(),
            };
            self.note(key, item.span(), item.get_ref(), kind);
        }
    }

    /// Parses a list of sources: not empty, each valid, a whole family only where allowed;
    /// notes host bits, mapped addresses, duplicates and covered entries.
    pub(super) fn sources(
        &self,
        site: &ListSite,
        list: &SpannedList,
    ) -> Result<Vec<Source>, PolicyError> {
        let items = list.get_ref();
        if items.is_empty() {
            return Err(self.err(site.key, list.span(), "[]", site.empty.to_string()));
        }
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let key = format!("{}[{i}]", site.key);
            let mut found = Vec::new();
            let s = value::source_noted(item.get_ref(), &mut found)
                .map_err(|r| self.err(&key, item.span(), item.get_ref(), r))?;
            self.noted(&key, item, found);
            out.push(s);
        }
        let spans: Vec<Span> = out.iter().map(source_span).collect();
        if let (Some(hint), Some(family)) = (site.everyone, everyone(&spans)) {
            return Err(self.everyone_error(site.key, list, &spans, family, hint));
        }
        self.redundant(site.key, items, &spans);
        Ok(out)
    }

    /// The error of a list that covers every address of `family`: at the one entry that
    /// does, or at the list when several do together.
    pub(super) fn everyone_error(
        &self,
        key: &str,
        list: &SpannedList,
        spans: &[Span],
        family: Family,
        hint: &str,
    ) -> PolicyError {
        let items = list.get_ref();
        let alone = spans
            .iter()
            .position(|s| everyone(std::slice::from_ref(s)) == Some(family));
        let why = format!("every {family} address: {hint}");
        match alone {
            Some(i) => self.err(
                &format!("{key}[{i}]"),
                items[i].span(),
                items[i].get_ref(),
                why,
            ),
            None => {
                let all: Vec<&str> = items.iter().map(|s| s.get_ref().as_str()).collect();
                let why = format!("these entries together cover {why}");
                self.err(key, list.span(), &all.join(", "), why)
            }
        }
    }

    /// Notes each entry that is a duplicate of, or covered by, another of the same list.
    pub(super) fn redundant(&self, key: &str, items: &[Spanned<String>], spans: &[Span]) {
        for (i, j) in redundant(spans) {
            let kind = if spans[i] == spans[j] {
                WarningKind::Duplicate {
                    of: format!("{key}[{j}]"),
                }
            } else {
                WarningKind::Covered {
                    by: format!("{key}[{j}]"),
                    by_value: items[j].get_ref().clone(),
                }
            };
            self.note(
                &format!("{key}[{i}]"),
                items[i].span(),
                items[i].get_ref(),
                kind,
            );
        }
    }

    /// Notes each port or range of an allow that another of the same protocol covers.
    pub(super) fn redundant_ports(&self, key: &str, raw: &RawAllow, ports: &[PortSpec]) {
        let spans: Vec<Span> = ports
            .iter()
            .map(|p| Span {
                class: p.proto as u8,
                lo: u128::from(p.ports.lo()),
                hi: u128::from(p.ports.hi()),
            })
            .collect();
        let items = raw.ports.get_ref();
        let text = |i: usize| match items[i].get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(n) => n.to_string(),
            other => format!("{other:?}"),
        };
        for (i, j) in redundant(&spans) {
            let kind = if spans[i] == spans[j] {
                WarningKind::Duplicate {
                    of: format!("{key}[{j}]"),
                }
            } else {
                WarningKind::Covered {
                    by: format!("{key}[{j}]"),
                    by_value: text(j),
                }
            };
            self.note(&format!("{key}[{i}]"), items[i].span(), &text(i), kind);
        }
    }
}
