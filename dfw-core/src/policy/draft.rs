//! A starting policy written from what a host shows today (`dfw-cli init`): its external
//! interfaces, SSH, and every published port allowed exactly to whom it is reachable now.
//!
//! Contract: pure. [`Draft::to_toml`] writes a config that [`super::Policy::from_toml_checked`]
//! loads without error or warning, commented with what was found. Committed, it keeps today's
//! reachability of every published port from the external interfaces (a port reachable by
//! everyone stays so; one reachable from some sources stays reachable from them; one
//! reachable by nobody stays closed), keeps SSH open (from the current client when known),
//! leaves the host's own ports alone (`host = false`) and refuses any port published later
//! until it is allowed. Two reaches dfw cannot express are widened, and the file says so: a
//! port reachable by everyone except some sources, and one whose reach is unknown, are
//! allowed to everyone.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::config::{PortSpec, Source};
use crate::model::Family;

/// Who reaches a published port in one family today, from the external interfaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FamilyReach {
    /// Not published in this family (no path to allow or close).
    NotPublished,
    /// Everyone.
    Everyone,
    /// Everyone but these sources (dfw has no deny list: the draft allows everyone).
    EveryoneExcept(Vec<String>),
    /// Only these sources.
    Sources(Vec<Source>),
    /// Nobody.
    Nobody,
    /// Cannot be decided (the reason); the draft allows everyone.
    Unknown(String),
}

impl FamilyReach {
    /// The reach of one port over two paths or interfaces: whatever either lets in.
    pub fn merge(self, other: FamilyReach) -> FamilyReach {
        use FamilyReach as R;
        match (self, other) {
            (R::NotPublished, x) | (x, R::NotPublished) => x,
            (R::Everyone, _) | (_, R::Everyone) => R::Everyone,
            (R::EveryoneExcept(a), _) | (_, R::EveryoneExcept(a)) => R::EveryoneExcept(a),
            (R::Unknown(a), _) | (_, R::Unknown(a)) => R::Unknown(a),
            (R::Sources(mut a), R::Sources(b)) => {
                for s in b {
                    if !a.contains(&s) {
                        a.push(s);
                    }
                }
                R::Sources(a)
            }
            (R::Sources(a), R::Nobody) | (R::Nobody, R::Sources(a)) => R::Sources(a),
            (R::Nobody, R::Nobody) => R::Nobody,
        }
    }

    /// Everyone, for the draft (see the module contract).
    fn open(&self) -> bool {
        matches!(
            self,
            FamilyReach::Everyone | FamilyReach::EveryoneExcept(_) | FamilyReach::Unknown(_)
        )
    }
}

/// One published port (or range) as found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPort {
    /// Protocol and host port(s).
    pub port: PortSpec,
    /// The container publishing it, when the Docker API named it.
    pub container: Option<String>,
    /// Its reach over IPv4.
    pub v4: FamilyReach,
    /// Its reach over IPv6.
    pub v6: FamilyReach,
}

/// The SSH session `init` runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SshClient {
    /// The client's address.
    pub client: IpAddr,
    /// The server's port.
    pub port: u16,
}

/// What the host shows, and how it was found (for the file's comments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The external interfaces.
    pub externals: Vec<String>,
    /// How they were found, e.g. "the interfaces of the default routes".
    pub externals_how: String,
    /// The SSH session, when `init` runs in one.
    pub ssh: Option<SshClient>,
    /// Every published port, in order.
    pub ports: Vec<FoundPort>,
    /// Where container names came from, e.g. "the Docker API at /var/run/docker.sock", or
    /// why there are none.
    pub names_how: String,
}

/// A TOML basic string.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let q: Vec<String> = items.iter().map(|s| quoted(s)).collect();
    format!("[{}]", q.join(", "))
}

/// A rule comment from a container name: what `comment` accepts (no control characters, at
/// most 255 bytes).
fn comment(name: &str) -> Option<String> {
    let c: String = name.chars().filter(|c| !c.is_control()).collect();
    (!c.is_empty() && c.len() <= 255).then_some(c)
}

/// The `from` list and the words of a port's reach, or `None` when nobody reaches it.
fn allowed(p: &FoundPort) -> Option<(Option<Vec<String>>, String)> {
    let fams = [(Family::Ipv4, &p.v4), (Family::Ipv6, &p.v6)];
    let published: Vec<_> = fams
        .iter()
        .filter(|(_, r)| **r != FamilyReach::NotPublished)
        .collect();
    let mut words = Vec::new();
    for (f, r) in &published {
        words.push(match r {
            FamilyReach::Everyone => format!("{f} everyone"),
            FamilyReach::EveryoneExcept(v) => format!(
                "{f} everyone except {} (dfw has no deny list: allowed to everyone)",
                v.join(", ")
            ),
            FamilyReach::Sources(v) => {
                let s: Vec<String> = v.iter().map(ToString::to_string).collect();
                format!("{f} only {}", s.join(", "))
            }
            FamilyReach::Nobody => format!("{f} nobody"),
            FamilyReach::Unknown(why) => {
                format!("{f} unknown ({why}; allowed to everyone: narrow it if you can)")
            }
            FamilyReach::NotPublished => String::new(),
        });
    }
    let words = words.join("; ");
    if published.iter().all(|(_, r)| r.open()) {
        return Some((None, words));
    }
    let mut from = Vec::new();
    for (f, r) in &published {
        match r {
            r if r.open() => from.push(match f {
                Family::Ipv4 => "0.0.0.0/0".to_string(),
                Family::Ipv6 => "::/0".to_string(),
            }),
            FamilyReach::Sources(v) => from.extend(v.iter().map(ToString::to_string)),
            _ => {}
        }
    }
    (!from.is_empty()).then_some((Some(from), words))
}

impl Draft {
    /// The config text (see the module contract).
    pub fn to_toml(&self) -> String {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "# dfw.toml written by `dfw-cli init` from what this host shows."
        );
        let _ = writeln!(t, "# What it found:");
        let _ = writeln!(
            t,
            "#   external interfaces: {} ({})",
            self.externals.join(", "),
            self.externals_how
        );
        match &self.ssh {
            Some(s) => {
                let _ = writeln!(
                    t,
                    "#   SSH: this session, from {} to port {} (SSH_CONNECTION)",
                    s.client, s.port
                );
            }
            None => {
                let _ = writeln!(t, "#   SSH: not run from an SSH session; port 22 assumed");
            }
        }
        let _ = writeln!(
            t,
            "#   published ports: {} (container names: {})",
            self.ports.len(),
            self.names_how
        );
        t.push_str(
            "# Committed, it keeps what the external interfaces reach today and refuses any port\n\
             # published later until it is allowed here (through docker-proxy, the IPv6 path of\n\
             # IPv4-only containers, once `dfw-cli watch` or the next commit follows Docker: run\n\
             # dfw-watch.service). Check it: `dfw-cli plan -c FILE`, then\n\
             # `dfw-cli commit -c FILE --confirm 120` and, still connected, `dfw-cli confirm`.\n\n",
        );
        let _ = writeln!(t, "[interfaces]\nexternal = {}\n", list(&self.externals));
        t.push_str(
            "[policy]\ndefault = \"reject\"\n\
             # true would also filter the host's own ports on the external interfaces (only SSH\n\
             # and the ports allowed below would reach it): see `dfw-cli audit`'s host ports.\n\
             host = false\n\n",
        );
        self.ssh_allow(&mut t);
        for p in &self.ports {
            let what = match &p.container {
                Some(c) => format!("{} (container {c})", p.port),
                None => p.port.to_string(),
            };
            match allowed(p) {
                None => {
                    let _ = writeln!(
                        t,
                        "# {what}: reachable by nobody from outside today; stays closed.\n"
                    );
                }
                Some((from, words)) => {
                    let _ = writeln!(t, "# {what}: reachable today: {words}.");
                    if from.iter().flatten().any(|s| s.ends_with("/0")) {
                        t.push_str(
                            "# 0.0.0.0/0 (::/0) is everyone of IPv4 (IPv6), the other family \
                             staying closed.\n",
                        );
                    }
                    let _ = writeln!(t, "[[allow]]\nports = [\"{}\"]", p.port);
                    if let Some(from) = from {
                        let _ = writeln!(t, "from = {}", list(&from));
                        if from.iter().any(|s| s.ends_with("/0")) {
                            t.push_str("allow_everyone = true\n");
                        }
                    }
                    if let Some(c) = p.container.as_deref().and_then(comment) {
                        let _ = writeln!(t, "comment = {}", quoted(&c));
                    }
                    t.push('\n');
                }
            }
        }
        t
    }

    fn ssh_allow(&self, t: &mut String) {
        match &self.ssh {
            Some(s) => {
                let _ = writeln!(
                    t,
                    "# SSH from the client this file was made from; remove `from` to allow \
                     everyone.\n[[allow]]\nports = [\"{}/tcp\"]\nfrom = [\"{}\"]\ncomment = \
                     \"ssh\"\n",
                    s.port, s.client
                );
            }
            None => t.push_str(
                "# SSH, from everyone: put sshd's port here if it is not 22.\n[[allow]]\n\
                 ports = [\"22/tcp\"]\ncomment = \"ssh\"\n\n",
            ),
        }
    }
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
