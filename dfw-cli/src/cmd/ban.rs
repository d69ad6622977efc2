//! `dfw-cli ban ADDR [--for DURATION]`, `dfw-cli unban ADDR`, `dfw-cli bans`: addresses (or
//! CIDRs) refused on every external interface, for new connections, at once, without a
//! commit and without a daemon: one ipset request each, in dfw's ban sets (`dfw-ban4`,
//! `dfw-ban6`), which `commit` creates for a policy with a `[blocklist]` section. A ban with
//! `--for` expires in the kernel; without, it lasts until `unban`. Established connections
//! from a banned address are not cut: they run until they end (`conntrack -D -s ADDR` ends
//! them now). Exit 0 on success (`unban` of an address not banned too, saying so), 1 on error.

use std::net::IpAddr;
use std::process::ExitCode;
use std::time::Duration;

use dfw_core::model::Network;
use dfw_netlink::sets::bans::{self, Ban};
use dfw_netlink::transport::NetlinkSocket;
use dfw_netlink::NetlinkTransport;

/// `ban` options.
#[derive(Debug, clap::Args)]
pub struct BanArgs {
    /// The address or network to ban (`198.51.100.7`, `203.0.113.0/24`, `2001:db8::/48`).
    #[arg(value_name = "ADDR")]
    addr: String,
    /// How long: `90` or `90s`, `15m`, `2h`, `7d` (at most about 49 days); `0` or a negative
    /// number (fail2ban's `-1`) means until `unban`, as does leaving it out.
    #[arg(long = "for", value_name = "DURATION", allow_hyphen_values = true)]
    duration: Option<String>,
}

/// `unban` options.
#[derive(Debug, clap::Args)]
pub struct UnbanArgs {
    /// The address or network to unban, exactly as banned.
    #[arg(value_name = "ADDR")]
    addr: String,
}

/// `bans` options.
#[derive(Debug, clap::Args)]
pub struct BansArgs {}

/// Parses `ADDR` or `ADDR/PREFIX` (prefix 1 or more: a ban of everyone is refused).
pub fn parse_net(text: &str) -> Result<Network, String> {
    let (a, p) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    let addr: IpAddr = a
        .parse()
        .map_err(|_| format!("{text:?}: not an IPv4 or IPv6 address"))?;
    match p {
        None => Ok(Network::host(addr)),
        Some(p) => {
            let prefix: u8 = p
                .parse()
                .map_err(|_| format!("{text:?}: prefix {p:?} is not a number"))?;
            if prefix == 0 {
                return Err(format!("{text:?}: a /0 would ban everyone"));
            }
            Network::with_prefix(addr, prefix).map_err(|e| format!("{text:?}: {e}"))
        }
    }
}

/// Parses a duration: seconds, or a number with `s`, `m`, `h` or `d`; `None` for a permanent
/// ban (0 or negative).
pub fn parse_duration(text: &str) -> Result<Option<Duration>, String> {
    let t = text.trim();
    if let Some(n) = t.strip_prefix('-') {
        return match n.parse::<u64>() {
            Ok(_) => Ok(None),
            Err(_) => Err(format!("{text:?}: not a duration")),
        };
    }
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => t.split_at(at),
        None => (t, "s"),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?}: not a duration (e.g. 600, 10m, 2h, 7d)"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("{text:?}: unit must be s, m, h or d")),
    };
    let secs = n
        .checked_mul(mult)
        .ok_or_else(|| format!("{text:?}: too long"))?;
    Ok((secs > 0).then(|| Duration::from_secs(secs)))
}

fn transport(cmd: &str) -> Option<NetlinkTransport> {
    match NetlinkSocket::open() {
        Ok(s) => Some(NetlinkTransport::new(s)),
        Err(e) => {
            crate::errln!("dfw-cli {cmd}: {e}");
            None
        }
    }
}

fn human(secs: u32) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m{s:02}s"),
        (0, _, _) => format!("{h}h{m:02}m"),
        _ => format!("{d}d{h:02}h"),
    }
}

/// Runs `ban`.
pub fn run_ban(a: BanArgs) -> ExitCode {
    let parsed = parse_net(&a.addr).and_then(|net| {
        let d = a.duration.as_deref().map(parse_duration).transpose()?;
        Ok((net, d.flatten()))
    });
    let (net, duration) = match parsed {
        Ok(v) => v,
        Err(e) => {
            crate::errln!("dfw-cli ban: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(mut t) = transport("ban") else {
        return ExitCode::FAILURE;
    };
    match bans::ban(&mut t, net, duration) {
        Ok(()) => {
            match duration {
                Some(d) => crate::outln!("banned {net} for {}", human(d.as_secs() as u32)),
                None => crate::outln!("banned {net} until unbanned"),
            }
            crate::outln!("new connections are refused now; established ones run until they end");
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli ban: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `unban`.
pub fn run_unban(a: UnbanArgs) -> ExitCode {
    let net = match parse_net(&a.addr) {
        Ok(n) => n,
        Err(e) => {
            crate::errln!("dfw-cli unban: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(mut t) = transport("unban") else {
        return ExitCode::FAILURE;
    };
    match bans::unban(&mut t, net) {
        Ok(true) => {
            crate::outln!("unbanned {net}");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            crate::outln!("{net} was not banned");
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli unban: {e}");
            ExitCode::FAILURE
        }
    }
}

fn line(b: &Ban) -> String {
    let net = if b.net.is_host() {
        b.net.addr().to_string()
    } else {
        b.net.to_string()
    };
    match b.expires_in {
        Some(s) => format!("{net}\texpires in {}", human(s)),
        None => format!("{net}\tpermanent"),
    }
}

/// Runs `bans`.
pub fn run_bans(_: BansArgs) -> ExitCode {
    let Some(mut t) = transport("bans") else {
        return ExitCode::FAILURE;
    };
    match bans::bans(&mut t) {
        Ok(list) => {
            for b in &list {
                crate::outln!("{}", line(b));
            }
            crate::errln!("{} banned", list.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            crate::errln!("dfw-cli bans: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_durations() {
        assert_eq!(parse_net("192.0.2.7").unwrap().to_string(), "192.0.2.7/32");
        assert_eq!(
            parse_net("2001:db8::/48").unwrap().to_string(),
            "2001:db8::/48"
        );
        assert!(parse_net("0.0.0.0/0").is_err());
        assert!(parse_net("192.0.2.300").is_err());
        assert!(parse_net("192.0.2.0/33").is_err());
        assert_eq!(
            parse_duration("600").unwrap(),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_duration("10m").unwrap(),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            parse_duration("7d").unwrap(),
            Some(Duration::from_secs(604800))
        );
        assert_eq!(parse_duration("-1").unwrap(), None);
        assert_eq!(parse_duration("0").unwrap(), None);
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration("x").is_err());
        assert_eq!(human(3725), "1h02m");
        assert_eq!(human(59), "59s");
    }
}
