//! `dfw-cli explain --in IFACE --src ADDR --dst-port PORT [--proto tcp|udp] [--dst ADDR]
//! [--mark MARK]`:
//! follows the first packet of a new connection through the kernel's rules as
//! `dfw_core::eval::explain` does (raw, conntrack, mangle and nat PREROUTING with DNAT, the
//! routing decision, INPUT or FORWARD and POSTROUTING, every jump, goto, return and policy)
//! and prints each rule met with its result, then the verdict and what decided it, naming the
//! container that publishes the destination port when the Docker API answers. The
//! destination defaults to IFACE's first address of the source's family. `--json` prints the
//! `dfw.explain/1` document (`explain_json`) instead. Exit 0 for ACCEPT, 4 for DROP or
//! REJECT, 5 when the verdict cannot be decided; 1 when the rules or the host cannot be read
//! or the arguments are inconsistent.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::process::ExitCode;

use dfw_core::eval::{
    explain_with, Entry, MatchResult, Packet, RouteDecision, Step, Trace, Verdict,
};
use dfw_core::model::{Family, Ruleset};
use dfw_core::syntax::rule_spec;

use crate::exit;

use super::examine::{decision_text, iface_addr, load, load_native};

/// The transport protocol of the packet.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Proto {
    /// A TCP SYN.
    Tcp,
    /// A UDP datagram.
    Udp,
}

/// `explain` options.
#[derive(Debug, clap::Args)]
#[command(after_help = crate::exit::EXPLAIN)]
pub struct Args {
    /// The interface the packet arrives on.
    #[arg(long = "in", value_name = "IFACE")]
    iface: String,
    /// The source address.
    #[arg(long, value_name = "ADDR")]
    src: IpAddr,
    /// The destination port.
    #[arg(long = "dst-port", value_name = "PORT")]
    dst_port: u16,
    /// The protocol.
    #[arg(long, value_enum, default_value = "tcp")]
    proto: Proto,
    /// The destination address (default: IFACE's address of the source's family).
    #[arg(long, value_name = "ADDR")]
    dst: Option<IpAddr>,
    /// The packet's mark on arrival (`skb->mark`; 0 for a packet from the wire that nothing
    /// marked before netfilter), as Docker's --bridge-accept-fwmark takes a number. Default:
    /// unknown (a rule testing the mark makes the verdict undecidable where it matters).
    #[arg(long, value_name = "MARK", value_parser = parse_mark)]
    mark: Option<u32>,
    /// Print the `dfw.explain/1` JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// A mark as Docker's `--bridge-accept-fwmark` takes a number (no mask).
fn parse_mark(s: &str) -> Result<u32, String> {
    match dfw_core::policy::FwMark::parse(s) {
        Ok(m) if m.mask() == u32::MAX => Ok(m.mark()),
        Ok(_) => Err("a mark, without a mask".into()),
        Err(e) => Err(e),
    }
}

fn route_text(r: &RouteDecision) -> String {
    match r {
        RouteDecision::Local => "local (INPUT path)".into(),
        RouteDecision::Forward(i) => format!("forward out of {i} (FORWARD path)"),
        RouteDecision::Unroutable(why) => format!("unroutable: {why}"),
    }
}

/// A match result in words.
fn result_text(result: &MatchResult) -> String {
    match result {
        MatchResult::Matched => "matched".to_string(),
        MatchResult::NotMatched => "not matched".to_string(),
        MatchResult::Unknown { reason, assumed } => format!(
            "unknown ({reason}; this path assumes {})",
            if *assumed { "matched" } else { "not matched" }
        ),
    }
}

/// The trace in words, one line per step; `container` publishes the destination port.
fn text(rs: &Ruleset, pkt: &Packet, t: &Trace, container: Option<&str>) -> String {
    let mut out = String::new();
    let proto = pkt.protocol(Family::of(&pkt.src));
    let port = pkt
        .ports()
        .map_or(String::new(), |(_, p)| format!(" port {p}"));
    let _ = writeln!(
        out,
        "packet: {proto} {} -> {}{port} in {} (first packet of a new connection)",
        pkt.src, pkt.dst, pkt.in_iface
    );
    if let Some(c) = container {
        let _ = writeln!(out, "published by container {c}");
    }
    for s in &t.steps {
        let _ = match s {
            Step::Enter { table, chain, how } => match how {
                Entry::Hook(_) => writeln!(out, "{table} {chain}:"),
                Entry::Jump => writeln!(out, "  -> jump to {table} {chain}"),
                Entry::Goto => writeln!(out, "  -> goto {table} {chain}"),
                Entry::Return => writeln!(out, "  <- return to {table} {chain}"),
            },
            Step::NativeRule {
                at, text, result, ..
            } => writeln!(out, "  #{} {text}: {}", at.number, result_text(result)),
            Step::Rule { at, rule, result } => {
                let r = match result {
                    MatchResult::Matched => "matched".to_string(),
                    MatchResult::NotMatched => "not matched".to_string(),
                    MatchResult::Unknown { reason, assumed } => format!(
                        "unknown ({reason}; this path assumes {})",
                        if *assumed { "matched" } else { "not matched" }
                    ),
                };
                writeln!(
                    out,
                    "  #{} {}: {r}",
                    at.number,
                    rule_spec(rule).trim_start()
                )
            }
            Step::Policy {
                table,
                chain,
                policy,
            } => writeln!(out, "  policy {policy} of {table} {chain}"),
            Step::Dnat { at, dst, port } => match port {
                Some(p) => writeln!(out, "  DNAT by {at}: destination now {dst} port {p}"),
                None => writeln!(out, "  DNAT by {at}: destination now {dst}"),
            },
            Step::Snat { at } => writeln!(out, "  source NAT by {at}"),
            Step::Route(r) => writeln!(out, "routing: {}", route_text(r)),
        };
    }
    for u in &t.unknowns {
        let _ = writeln!(
            out,
            "undecidable: {}: {}{}",
            u.at,
            u.reason,
            if u.explored {
                " (both outcomes explored)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(out, "verdict: {}", t.verdict);
    if let Some(d) = &t.decided_by {
        let _ = writeln!(out, "decided by {}", decision_text(rs, d));
    }
    out
}

/// The exit code of a verdict (see [`crate::exit`]).
pub fn verdict_code(v: &Verdict) -> ExitCode {
    match v {
        Verdict::Accept => ExitCode::SUCCESS,
        Verdict::Drop | Verdict::Reject(_) => exit::code(exit::NOT_ACCEPTED),
        Verdict::Unknown(_) => exit::code(exit::UNDECIDED),
    }
}

/// Runs `explain`.
pub fn run(a: Args) -> ExitCode {
    if let Err(code) = crate::privilege::require("explain", "reads nf_tables") {
        return code;
    }
    let family = Family::of(&a.src);
    let (rs, host) = match load(family, &[]) {
        Ok(x) => x,
        Err(e) => {
            crate::errln!("dfw-cli explain: {e}");
            return ExitCode::FAILURE;
        }
    };
    if host.iface(&a.iface).is_none() {
        crate::errln!("dfw-cli explain: interface {} does not exist", a.iface);
        return ExitCode::FAILURE;
    }
    let Some(dst) = a.dst.or_else(|| iface_addr(&host, &a.iface, family)) else {
        crate::errln!(
            "dfw-cli explain: {} has no {family} address; give --dst",
            a.iface
        );
        return ExitCode::FAILURE;
    };
    let mut pkt = match a.proto {
        Proto::Tcp => Packet::tcp_syn(&a.iface, a.src, dst, a.dst_port),
        Proto::Udp => Packet::udp(&a.iface, a.src, dst, a.dst_port),
    };
    if let Some(m) = a.mark {
        pkt = pkt.with_mark(m);
    }
    let native = match load_native() {
        Ok(n) => n,
        Err(e) => {
            crate::errln!("dfw-cli explain: {e}");
            return ExitCode::FAILURE;
        }
    };
    match explain_with(&rs, &native, &pkt, &host) {
        Ok(t) => {
            let containers = super::docker_names::containers("explain");
            let proto = Some(pkt.protocol(family));
            let name =
                super::docker_names::name(containers.as_ref(), proto, Some(a.dst_port), Some(dst));
            if a.json {
                let doc = super::explain_json::Document::new(&rs, &pkt, &t, name);
                crate::out!("{}", super::policy_json::render(&doc));
            } else {
                crate::out::stdout(&text(&rs, &pkt, &t, name.as_deref()));
            }
            verdict_code(&t.verdict)
        }
        Err(e) => {
            crate::errln!("dfw-cli explain: {e}");
            ExitCode::FAILURE
        }
    }
}
