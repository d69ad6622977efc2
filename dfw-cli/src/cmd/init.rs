//! `dfw-cli init [-o FILE|-] [--force]`: writes a starting policy from the live host
//! (`dfw_core::policy::Draft`): the external interfaces found (the default-route interfaces,
//! as `audit` finds them), SSH allowed (from the current client when run over SSH, else from
//! everyone), and every port Docker publishes today allowed exactly to whom it is reachable
//! now, as `audit` measures it (DNAT and docker-proxy paths, both families), each named after
//! its container when the Docker API answers. Committing it keeps today's reachability and
//! refuses whatever is published later.
//!
//! The file is written to /etc/dfw/dfw.toml (or `-o FILE`; `-o -` prints it), never over an
//! existing file unless `--force` (atomically: a temporary file renamed over it). The text
//! is loaded back before it is written: it passes `show` without error or warning. Exit 0 when
//! written, 1 otherwise (nothing written).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dfw_core::eval::{audit, user_space_ports, IfaceExposure, Reach, SourceSet};
use dfw_core::model::{Family, PortRange, Protocol};
use dfw_core::policy::{
    Draft, FamilyReach, FoundPort, HostFacts, Policy, PortSpec, Published, Source, SshClient,
    Transport, DEFAULT_PATH,
};
use dfw_netlink::route::ExternalsFrom;

use super::audit::{docker_nat, externals, listeners, load, Loaded};
use super::docker_names;
use super::examine::source_text;

/// `init` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::PLAIN)]
pub struct Args {
    /// Where to write the policy (`-` prints it on standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE", default_value = DEFAULT_PATH)]
    output: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    force: bool,
}

/// A family's reach, from the exposures of one path (one per external interface).
fn reach_of(exposures: &[IfaceExposure]) -> FamilyReach {
    exposures
        .iter()
        .map(|e| match &e.reach {
            Reach::Everyone => FamilyReach::Everyone,
            Reach::EveryoneExcept(v) => {
                FamilyReach::EveryoneExcept(v.iter().map(source_text).collect())
            }
            // Possibly: these sets may reach it, past rules no packet description decides
            // (a rate limit, a recent list): allowed, so no one loses access today.
            Reach::Sources(v) | Reach::Possibly(v, _) if v.contains(&SourceSet::Outside) => {
                FamilyReach::Everyone
            }
            // The members of an ipset reach it: a drafted policy cannot name the set, and
            // leaving them out would lock them out.
            Reach::Sources(v) | Reach::Possibly(v, _)
                if v.iter()
                    .any(|s| matches!(s, SourceSet::IpSet { .. } | SourceSet::NftSet { .. })) =>
            {
                let names: Vec<String> = v
                    .iter()
                    .filter_map(|s| match s {
                        SourceSet::IpSet { name, .. } => Some(name.to_string()),
                        SourceSet::NftSet {
                            family, table, set, ..
                        } => Some(format!("nft set {family} {table} @{set}")),
                        _ => None,
                    })
                    .collect();
                FamilyReach::Unknown(format!(
                    "reached by the members of ipset {}: list them in the policy",
                    names.join(", ")
                ))
            }
            Reach::Sources(v) | Reach::Possibly(v, _) => FamilyReach::Sources(
                v.iter()
                    .filter_map(|s| match s {
                        SourceSet::Lan(n) | SourceSet::Network(n) => Some(Source::Net(*n)),
                        SourceSet::Range(r) => Some(Source::Range(*r)),
                        SourceSet::Outside | SourceSet::IpSet { .. } | SourceSet::NftSet { .. } => {
                            None
                        }
                    })
                    .collect(),
            ),
            Reach::LanOnly | Reach::Nobody => FamilyReach::Nobody,
            Reach::Unknown(u) => FamilyReach::Unknown(u.to_string()),
        })
        .fold(FamilyReach::NotPublished, FamilyReach::merge)
}

fn transport(p: Protocol) -> Option<Transport> {
    match p {
        Protocol::TCP => Some(Transport::Tcp),
        Protocol::UDP => Some(Transport::Udp),
        _ => None,
    }
}

/// Published ports by (protocol, range), in order of discovery, with each family's reach.
#[derive(Default)]
struct Found {
    order: Vec<PortSpec>,
    reach: BTreeMap<PortSpec, [FamilyReach; 2]>,
}

impl Found {
    fn add(&mut self, family: Family, port: PortSpec, r: FamilyReach) {
        let slot = self.reach.entry(port).or_insert_with(|| {
            self.order.push(port);
            [FamilyReach::NotPublished, FamilyReach::NotPublished]
        });
        let i = usize::from(family == Family::Ipv6);
        slot[i] = std::mem::replace(&mut slot[i], FamilyReach::NotPublished).merge(r);
    }
}

/// What the host shows, as a draft.
fn survey(loaded: &[(Family, Result<Loaded, String>)]) -> Result<Draft, String> {
    if loaded.iter().all(|(_, l)| l.is_err()) {
        let why: Vec<String> = loaded
            .iter()
            .filter_map(|(f, l)| l.as_ref().err().map(|e| format!("{f}: {e}")))
            .collect();
        return Err(why.join("; "));
    }
    let rules = |i: usize| {
        loaded[i]
            .1
            .as_ref()
            .map(|l| docker_nat(&l.rs))
            .unwrap_or_default()
    };
    let published = Published::from_dnat(&rules(0), &rules(1));
    let socks = listeners()?;
    let mut found = Found::default();
    let mut ext: Vec<String> = Vec::new();
    let mut assumed = false;
    for (family, l) in loaded {
        let Ok(l) = l else { continue };
        assumed |= matches!(l.from, ExternalsFrom::Assumed(_));
        for e in externals(&l.host) {
            if !ext.contains(&e) {
                ext.push(e);
            }
        }
        let a = audit(&l.rs, &l.host);
        for p in &a.published {
            let Some(proto) = p.proto.and_then(transport) else {
                continue;
            };
            for ports in &p.host_ports {
                let spec = PortSpec {
                    proto,
                    ports: *ports,
                };
                found.add(*family, spec, reach_of(&p.exposure));
            }
        }
        for u in user_space_ports(&l.rs, &l.host, published.family(*family), &socks) {
            let Some(proto) = transport(u.proto) else {
                continue;
            };
            let spec = PortSpec {
                proto,
                ports: PortRange::single(u.port),
            };
            found.add(*family, spec, reach_of(&u.exposure));
        }
    }
    let containers = docker_names::containers("init");
    let ports = found
        .order
        .iter()
        .map(|spec| {
            let [v4, v6] = found.reach[spec].clone();
            let proto = Some(spec.proto.protocol());
            let lo = Some(spec.ports.lo());
            FoundPort {
                port: *spec,
                container: docker_names::name(containers.as_ref(), proto, lo, None),
                v4,
                v6,
            }
        })
        .collect();
    let ssh = dfw_netlink::safety::ssh_connection().map(|c| SshClient {
        client: c.client,
        port: c.server_port,
    });
    Ok(Draft {
        externals: ext,
        externals_how: if assumed {
            "no default route: every interface that is up and is not loopback, a bridge or a \
             bridge port"
                .into()
        } else {
            "the interfaces of the default routes".into()
        },
        ssh,
        ports,
        names_how: match containers {
            Some(_) => "from the Docker API".into(),
            None => "none, the Docker API did not answer".into(),
        },
    })
}

/// Writes `text` to `path` atomically (a temporary file in the same directory, renamed).
fn write(path: &Path, text: &str, force: bool) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(
        ".{}.init.{}",
        name.unwrap_or_default(),
        std::process::id()
    ));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)?;
    let done = f
        .write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .and_then(|()| {
            if force {
                std::fs::rename(&tmp, path)
            } else {
                // Never over a file that appeared meanwhile.
                std::fs::hard_link(&tmp, path)
            }
        });
    let _ = std::fs::remove_file(&tmp);
    done
}

/// Runs `init`.
pub fn run(a: Args) -> ExitCode {
    let to_stdout = a.output.as_os_str() == "-";
    let shown = a.output.display().to_string();
    if !to_stdout && !a.force && a.output.exists() {
        crate::errln!(
            "dfw-cli init: {shown} exists: not overwritten (--force replaces it, -o - prints the \
             policy)"
        );
        return ExitCode::FAILURE;
    }
    if let Err(code) = crate::privilege::require("init", "reads nf_tables and the socket table") {
        return code;
    }
    let loaded: Vec<(Family, Result<Loaded, String>)> = [Family::Ipv4, Family::Ipv6]
        .into_iter()
        .map(|f| (f, load(f, &[], true)))
        .collect();
    let draft = match survey(&loaded) {
        Ok(d) => d,
        Err(e) => {
            crate::errln!("dfw-cli init: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = draft.to_toml();
    // The file must load as written (a bug otherwise: nothing is written).
    if let Err(e) = Policy::from_toml_checked(&text, &shown, &HostFacts::default()) {
        crate::errln!("dfw-cli init: the drafted policy does not load: {e}");
        return ExitCode::FAILURE;
    }
    if to_stdout {
        crate::out::stdout(&text);
        return ExitCode::SUCCESS;
    }
    match write(&a.output, &text, a.force) {
        Ok(()) => {
            crate::errln!(
                "dfw-cli init: wrote {shown} ({} published ports); next: dfw-cli plan -c {shown}",
                draft.ports.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli init: {shown}: {e}");
            ExitCode::FAILURE
        }
    }
}
