//! The demo's reachability table: real probes from the internet and the LAN to the
//! simulated host's published ports and own services, one row per port, one column per
//! source.

use std::fmt::Write;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use dfw_netlink::sim::topology::*;
use dfw_netlink::sim::{Check, DockerHost, Probe, Proto, Side, SimError};

/// The rows: port, protocol, what it is, published over IPv6 too.
const ROWS: [(u16, Proto, &str, bool); 5] = [
    (WEB_PUBLISHED, Proto::Tcp, "web:80 (container)", true),
    (DB_PORT, Proto::Tcp, "db:5432 (container)", false),
    (DNS_PUBLISHED, Proto::Udp, "db:53 (container)", false),
    (HOST_SSH, Proto::Tcp, "ssh (the host)", true),
    (HOST_APP, Proto::Tcp, "app (the host)", true),
];

/// The columns: header, where from, source, destination address.
fn columns() -> [(&'static str, Side, IpAddr, IpAddr); 6] {
    [
        ("inet stranger", Side::Internet, STRANGER_V4, HOST_V4),
        ("inet provider", Side::Internet, INET_GW_V4, HOST_V4),
        ("inet in-range", Side::Internet, IN_RANGE_V4, HOST_V4),
        ("inet whitelist", Side::Internet, WHITELISTED_V4, HOST_V4),
        ("inet6 stranger", Side::Internet, STRANGER_V6, HOST_V6),
        ("lan", Side::Lan, LAN_CLIENT_V4, HOST_LAN_V4),
    ]
}

fn word(p: Probe) -> &'static str {
    match p {
        Probe::Open => "open",
        Probe::Refused => "refused",
        Probe::TimedOut => "dropped",
    }
}

/// Probes every cell at once and renders the table.
///
/// # Errors
/// A [`SimError`] of a probe that is not an outcome.
pub fn survey(h: &DockerHost, timeout: Duration) -> Result<String, SimError> {
    let cols = columns();
    let mut checks = Vec::new();
    let mut cells = Vec::new();
    for (port, proto, _, v6) in ROWS {
        for (_, from, src, dst) in cols {
            if dst.is_ipv6() && !v6 {
                cells.push(None);
                continue;
            }
            cells.push(Some(checks.len()));
            checks.push(Check {
                from,
                src,
                proto,
                dst: SocketAddr::new(dst, port),
            });
        }
    }
    let got = h.check_all(&checks, timeout)?;
    let mut out = String::new();
    let _ = write!(out, "  {:<30}", "from:");
    for (name, ..) in cols {
        let _ = write!(out, "{name:>15}");
    }
    out.push('\n');
    let _ = write!(out, "  {:<30}", "");
    for (_, _, src, _) in cols {
        let _ = write!(out, "{:>15}", src.to_string());
    }
    out.push('\n');
    for (r, (port, proto, what, _)) in ROWS.iter().enumerate() {
        let _ = write!(out, "  {:<30}", format!("{port}/{proto} {what}"));
        for c in 0..cols.len() {
            let cell = cells[r * cols.len() + c].map_or("-", |i| word(got[i]));
            let _ = write!(out, "{cell:>15}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "  (open: connected / answered; refused: rejected; dropped: no answer; -: not published)"
    );
    Ok(out)
}
