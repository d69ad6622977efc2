//! The config file as TOML holds it, before validation: every value keeps its span.
//!
//! Contract: these types mirror the file's keys one for one and refuse unknown keys
//! (`deny_unknown_fields`); they check only TOML types. Content (ports, addresses, interface
//! names) is checked by `validate`, which reports through the spans kept here.

use serde::Deserialize;
use toml::Spanned;

/// A list of strings, each with its span, the list with its own.
pub(crate) type SpannedList = Spanned<Vec<Spanned<String>>>;

/// The whole file (`Default`: an empty one).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub interfaces: Option<RawInterfaces>,
    #[serde(default)]
    pub policy: Option<RawPolicy>,
    #[serde(default)]
    pub allow: Vec<Spanned<RawAllow>>,
    #[serde(default)]
    pub whitelist: Option<RawWhitelist>,
    #[serde(default)]
    pub lan: Option<RawLan>,
    #[serde(default)]
    pub forward: Vec<Spanned<RawForward>>,
    #[serde(default)]
    pub blocklist: Option<Spanned<RawBlocklist>>,
    #[serde(default)]
    pub docker: Option<RawDocker>,
}

/// `[docker]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawDocker {
    #[serde(default)]
    pub accept_fwmark: Option<Spanned<String>>,
}

/// `[blocklist]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBlocklist {
    #[serde(default)]
    pub sources: Option<SpannedList>,
    #[serde(default)]
    pub files: Option<SpannedList>,
    #[serde(default)]
    pub ipsets: Option<SpannedList>,
}

/// `[interfaces]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInterfaces {
    #[serde(default)]
    pub external: Option<SpannedList>,
}

/// `[policy]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPolicy {
    #[serde(default)]
    pub default: Option<Spanned<String>>,
    #[serde(default)]
    pub host: Option<bool>,
    #[serde(default)]
    pub ping: Option<bool>,
}

/// One `[[allow]]`. `ports` items may be strings (`"53/udp"`) or bare integers (`22`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAllow {
    #[serde(default)]
    pub comment: Option<Spanned<String>>,
    pub ports: Spanned<Vec<Spanned<toml::Value>>>,
    #[serde(default)]
    pub from: Option<SpannedList>,
    #[serde(default)]
    pub to: Option<Spanned<String>>,
    #[serde(default)]
    pub allow_everyone: Option<bool>,
}

/// `[whitelist]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWhitelist {
    #[serde(default)]
    pub sources: Option<SpannedList>,
    #[serde(default)]
    pub allow_everyone: Option<bool>,
}

/// `[lan]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLan {
    #[serde(default)]
    pub networks: Option<SpannedList>,
    #[serde(default)]
    pub allow_everyone: Option<bool>,
}

/// One `[[forward]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawForward {
    #[serde(rename = "in")]
    pub in_iface: Spanned<String>,
    pub out: Spanned<String>,
}
