//! The lockout guard (pure): would a NEW SSH connection like the one `dfw-cli` runs in still
//! be accepted under the rules about to be committed?
//!
//! Contract:
//! - [`SshConnection::parse`] reads `SSH_CONNECTION` (`client_ip client_port server_ip
//!   server_port`).
//! - [`desired_filter`] composes the kernel's `filter` table of one family with the chains
//!   a change set rewrites, creates and deletes: the table as it will be after the commit.
//!   Rules of the kernel dfw cannot decode stay in their place as
//!   [`Target::Opaque`](dfw_core::model::Target::Opaque): a new SSH connection they may
//!   match gets an unknown verdict.
//! - [`check_lockout`] follows, with [`dfw_core::eval::explain_with`], the first packet (TCP SYN,
//!   conntrack state NEW) of a connection from the client to `server:port` arriving on each
//!   external interface (the host owning `server` on that interface, routes to the client
//!   through it). Established sessions survive through conntrack (RELATED,ESTABLISHED); a new
//!   session after a reconnect would not, so the guard checks NEW. Any verdict but ACCEPT (a
//!   DROP, a REJECT, or a verdict the evaluator cannot decide) is a [`Lockout`] naming the
//!   interface, the verdict and the rule or policy that decides it (table, chain, number and
//!   the rule's text).
//! - [`check_lockout_change`] does the same with the kernel's native tables too (every base
//!   chain at the input hook, in priority order: a native accept ends only its own chain, a
//!   native drop is final), and compares with the rules as they are now: a new connection
//!   that is refused, or undecidable, before the commit exactly as after it, by the same rule
//!   (a neighbour's: fail2ban, ufw's rate limit, a rule dfw cannot decode), or refused before
//!   and after with a native table deciding one side (the commit leaves native tables as they
//!   are), is not the commit's doing, so it is no lockout ([`super::lockout_rule::same_refusal`]). Any other verdict but ACCEPT is.

use std::fmt;
use std::net::IpAddr;

use dfw_core::eval::{
    explain_with, Decision, Host, HostIface, HostSets, IfaceKind, Packet, Route, Undecided, Verdict,
};
use dfw_core::model::{
    ChainName, Counters, Family, Iface, ModelError, Network, Policy as ChainPolicy, Ruleset, Table,
    TableName,
};
use dfw_core::native;

use super::lockout_rule::{rule_line, same_refusal};
use crate::firewall::{ChangeSet, KernelTable, Wanted};

/// The SSH connection a command runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SshConnection {
    /// The client's address.
    pub client: IpAddr,
    /// The client's port.
    pub client_port: u16,
    /// The server's (this host's) address.
    pub server: IpAddr,
    /// The server's port.
    pub server_port: u16,
}

impl SshConnection {
    /// Parses `SSH_CONNECTION`'s value; `None` when it is not four fields of the right kinds
    /// with both addresses of one family. An IPv4-mapped IPv6 address is taken as IPv4.
    pub fn parse(text: &str) -> Option<SshConnection> {
        let f: Vec<&str> = text.split_whitespace().collect();
        let [c, cp, s, sp] = f.as_slice() else {
            return None;
        };
        let addr = |t: &str| -> Option<IpAddr> {
            let a: IpAddr = t.split('%').next()?.parse().ok()?;
            Some(a.to_canonical())
        };
        let conn = SshConnection {
            client: addr(c)?,
            client_port: cp.parse().ok()?,
            server: addr(s)?,
            server_port: sp.parse().ok()?,
        };
        (conn.client.is_ipv4() == conn.server.is_ipv4()).then_some(conn)
    }

    /// The connection's family.
    pub fn family(&self) -> Family {
        if self.client.is_ipv4() {
            Family::Ipv4
        } else {
            Family::Ipv6
        }
    }
}

impl fmt::Display for SshConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = |a: &IpAddr| match a {
            IpAddr::V6(v) => format!("[{v}]"),
            IpAddr::V4(v) => v.to_string(),
        };
        write!(
            f,
            "{}:{} -> {}:{}/tcp",
            host(&self.client),
            self.client_port,
            host(&self.server),
            self.server_port
        )
    }
}

/// A policy that would refuse a new SSH connection like the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockout {
    /// The connection.
    pub ssh: SshConnection,
    /// The interface it was assumed to arrive on.
    pub iface: String,
    /// What would happen to it.
    pub verdict: Verdict,
    /// The rule or policy that decides it (`None` if the evaluator could not say).
    pub decided_by: Option<Decision>,
    /// The deciding rule's text (`-A CHAIN ...`, or `inet filter input: ...` as `nft list
    /// ruleset` prints a native rule), when a rule decides.
    pub rule: Option<String>,
}

impl fmt::Display for Lockout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "this commit would lock out SSH: a new connection {} arriving on {} would be {}",
            self.ssh, self.iface, self.verdict
        )?;
        if let Some(d) = &self.decided_by {
            write!(f, " by {d}")?;
        }
        if let Some(r) = &self.rule {
            write!(f, " ({r})")?;
        }
        write!(
            f,
            "; allow {}/tcp from {} in the policy, or commit with --force",
            self.ssh.server_port, self.ssh.client
        )
    }
}

/// The `filter` table of `kernel`'s family as it will be once `changes` are committed.
///
/// # Errors
/// The model's [`ModelError`] when a chain name or rule does not fit the model (never for
/// tables read from the kernel and change sets dfw builds).
pub fn desired_filter(kernel: &KernelTable, changes: &ChangeSet) -> Result<Ruleset, ModelError> {
    let family = kernel.family;
    let mut t = Table::new(family, TableName::Filter);
    for c in &kernel.chains {
        match &c.base {
            Some(b) => {
                t.set_policy(&c.name, b.policy.unwrap_or(ChainPolicy::Accept), b.counters)?
            }
            None => t.add_user_chain(ChainName::new(&c.name)?)?,
        }
        if let Some(ch) = t.chain_mut(&c.name) {
            ch.rules = c.rules.iter().map(|r| r.evaluable(family)).collect();
        }
    }
    for target in changes
        .chains
        .iter()
        .filter(|c| c.family == family && c.table == TableName::Filter)
    {
        let name = target.chain.as_str();
        if t.chain(name).is_none() {
            if TableName::Filter.builtin(name).is_some() {
                let p = target.policy.unwrap_or(ChainPolicy::Accept);
                t.set_policy(name, p, Counters::default())?;
            } else {
                t.add_user_chain(target.chain.clone())?;
            }
        }
        let read = kernel.chain(name);
        if let Some(ch) = t.chain_mut(name) {
            ch.rules = target
                .rules
                .iter()
                .filter_map(|w| match w {
                    Wanted::Rule(r) => Some(r.clone()),
                    Wanted::Kernel(h) => read
                        .and_then(|c| c.rules.iter().find(|r| r.handle == *h))
                        .map(|r| r.evaluable(family)),
                })
                .collect();
        }
    }
    // Deleted chains lose their rules first (as the batch does), then go.
    let deleted: Vec<&ChainName> = changes
        .delete_chains
        .iter()
        .filter(|(f, table, c)| {
            *f == family && *table == TableName::Filter && t.chain(c.as_str()).is_some()
        })
        .map(|(_, _, c)| c)
        .collect();
    for chain in &deleted {
        if let Some(ch) = t.chain_mut(chain.as_str()) {
            ch.rules.clear();
        }
    }
    for chain in deleted {
        t.delete_user_chain(chain.as_str())?;
    }
    let mut rs = Ruleset::new(family);
    rs.put_table(t)?;
    Ok(rs)
}

/// Checks that a new connection like `ssh` would be accepted by `ruleset` (its family's
/// tables as they will be) arriving on each of `external` (see the module contract).
///
/// # Errors
/// The first [`Lockout`] found.
pub fn check_lockout(
    ruleset: &Ruleset,
    ssh: &SshConnection,
    external: &[Iface],
) -> Result<(), Box<Lockout>> {
    check_lockout_on(ruleset, ssh, &iface_names(external))
}

/// The interface names to try for `external` (a wildcard `eth+` stands for `eth0`).
pub fn iface_names(external: &[Iface]) -> Vec<String> {
    external
        .iter()
        .map(|iface| {
            if iface.is_wildcard() {
                format!("{}0", iface.name().trim_end_matches('+'))
            } else {
                iface.name().to_string()
            }
        })
        .collect()
}

/// The interfaces a new connection from `ssh`'s client arrives on: `lo` for a local client,
/// else the one the host routes the client through (`host`, read from the kernel); when the
/// host cannot say, each of `external`.
pub fn ingress(host: Option<&Host>, ssh: &SshConnection, external: &[Iface]) -> Vec<String> {
    if let Some(h) = host {
        if h.local_owner(&ssh.client).is_some() {
            return vec!["lo".into()];
        }
        if let Some(i) = h.lookup(&ssh.client) {
            return vec![i.to_string()];
        }
    }
    iface_names(external)
}

/// As [`check_lockout`] for connections arriving on each of the interfaces `ifaces`.
///
/// # Errors
/// The first [`Lockout`] found.
pub fn check_lockout_on(
    ruleset: &Ruleset,
    ssh: &SshConnection,
    ifaces: &[String],
) -> Result<(), Box<Lockout>> {
    if ruleset.family() != ssh.family() {
        return Ok(());
    }
    check_lockout_on_with(ruleset, &native::Ruleset::default(), ssh, ifaces)
}

/// As [`check_lockout_on`] on a host that also holds the native tables `nat`.
///
/// # Errors
/// The first [`Lockout`] found.
pub fn check_lockout_on_with(
    ruleset: &Ruleset,
    nat: &native::Ruleset,
    ssh: &SshConnection,
    ifaces: &[String],
) -> Result<(), Box<Lockout>> {
    if ruleset.family() != ssh.family() {
        return Ok(());
    }
    let none = HostSets::new();
    for name in ifaces {
        if let Some(l) = lockout_on(ruleset, nat, ssh, name, &none) {
            return Err(Box::new(l));
        }
    }
    Ok(())
}

/// [`check_lockout`] for rules that match ipset sets: `sets` holds their members (those the
/// policy will put in dfw's sets, and the kernel's for the others).
///
/// # Errors
/// As [`check_lockout`].
pub fn check_lockout_with_sets(
    ruleset: &Ruleset,
    ssh: &SshConnection,
    external: &[Iface],
    sets: &HostSets,
) -> Result<(), Box<Lockout>> {
    check_lockout_on_with_sets(ruleset, ssh, &iface_names(external), sets)
}

/// [`check_lockout_on`] with the members of the sets the rules match.
///
/// # Errors
/// The first [`Lockout`] found.
pub fn check_lockout_on_with_sets(
    ruleset: &Ruleset,
    ssh: &SshConnection,
    ifaces: &[String],
    sets: &HostSets,
) -> Result<(), Box<Lockout>> {
    if ruleset.family() != ssh.family() {
        return Ok(());
    }
    for name in ifaces {
        if let Some(l) = lockout_on(ruleset, &native::Ruleset::default(), ssh, name, sets) {
            return Err(Box::new(l));
        }
    }
    Ok(())
}

/// As [`check_lockout_on`] for `after` (the iptables tables as they will be) with the native
/// tables `nat` (which a commit of dfw leaves as they are), except that a refusal that is the
/// same under `before` (the iptables tables as they are) is no lockout (see the module
/// contract).
///
/// # Errors
/// The first [`Lockout`] found.
pub fn check_lockout_change(
    before: &Ruleset,
    after: &Ruleset,
    nat: &native::Ruleset,
    ssh: &SshConnection,
    ifaces: &[String],
) -> Result<(), Box<Lockout>> {
    let none = HostSets::new();
    check_lockout_change_with_sets((before, &none), (after, &none), nat, ssh, ifaces)
}

/// [`check_lockout_change`] for rules that match ipset sets: each ruleset with the members
/// of its sets (before: the kernel's now; after: what the commit will put in dfw's sets), so
/// that an address taken out of a set is seen as the change it is.
///
/// # Errors
/// The first [`Lockout`] found.
pub fn check_lockout_change_with_sets(
    (before, before_sets): (&Ruleset, &HostSets),
    (after, after_sets): (&Ruleset, &HostSets),
    nat: &native::Ruleset,
    ssh: &SshConnection,
    ifaces: &[String],
) -> Result<(), Box<Lockout>> {
    if after.family() != ssh.family() {
        return Ok(());
    }
    for name in ifaces {
        let Some(now) = lockout_on(after, nat, ssh, name, after_sets) else {
            continue;
        };
        let was = lockout_on(before, nat, ssh, name, before_sets);
        if was.is_some_and(|w| same_refusal(&w, before, &now, after, nat)) {
            continue;
        }
        return Err(Box::new(now));
    }
    Ok(())
}

/// What happens to a new connection like `ssh` arriving on `name`: `None` when accepted.
fn lockout_on(
    ruleset: &Ruleset,
    nat: &native::Ruleset,
    ssh: &SshConnection,
    name: &str,
    sets: &HostSets,
) -> Option<Lockout> {
    let mut host = host_for(name, ssh);
    host.sets = sets.clone();
    let packet =
        Packet::tcp_syn(name, ssh.client, ssh.server, ssh.server_port).with_sport(ssh.client_port);
    let trace = match explain_with(ruleset, nat, &packet, &host) {
        Ok(t) => t,
        Err(e) => {
            return Some(Lockout {
                ssh: *ssh,
                iface: name.to_string(),
                verdict: Verdict::Unknown(dfw_core::eval::Undecided {
                    rule: None,
                    reason: e.to_string(),
                }),
                decided_by: None,
                rule: None,
            })
        }
    };
    if trace.verdict.is_accept() {
        return None;
    }
    let rule = match (&trace.decided_by, &trace.verdict) {
        (Some(Decision::Rule(r)), _) | (_, Verdict::Unknown(Undecided { rule: Some(r), .. })) => {
            rule_line(ruleset, nat, r)
        }
        _ => None,
    };
    Some(Lockout {
        ssh: *ssh,
        iface: name.to_string(),
        verdict: trace.verdict,
        decided_by: trace.decided_by,
        rule,
    })
}

/// A host whose interface `iface` owns the server address and routes to the client.
fn host_for(iface: &str, ssh: &SshConnection) -> Host {
    let loopback = HostIface {
        name: "lo".into(),
        kind: IfaceKind::Loopback,
        addrs: vec![
            (IpAddr::from([127, 0, 0, 1]), 8),
            (IpAddr::from(std::net::Ipv6Addr::LOCALHOST), 128),
        ],
    };
    let (host_bits, any) = match ssh.server {
        IpAddr::V4(_) => (32, IpAddr::from([0u8; 4])),
        IpAddr::V6(_) => (128, IpAddr::from([0u8; 16])),
    };
    let routes = Network::with_prefix(any, 0)
        .map(|dest| {
            vec![Route {
                dest,
                iface: iface.to_string(),
            }]
        })
        .unwrap_or_default();
    let mut ifaces = vec![loopback];
    if iface == "lo" {
        ifaces[0].addrs.push((ssh.server, host_bits));
    } else {
        ifaces.push(HostIface {
            name: iface.to_string(),
            kind: IfaceKind::External,
            addrs: vec![(ssh.server, host_bits)],
        });
    }
    Host {
        ifaces,
        routes,
        forwarding: true,
        mark_rules: None,
        sets: Default::default(),
    }
}
