//! `GET /containers/json` (running containers) as data, and which container publishes a host
//! port.
//!
//! Contract: pure. [`parse_containers`] reads the Engine API's list (every version from API
//! 1.41, Docker 20.10, on: the fields used are `Id`, `Names` and `Ports`, unchanged since
//! long before); unknown fields are ignored, a missing optional one is absent. A container's
//! name is its first name without the leading `/`. [`Containers::publisher`] answers which
//! container publishes a protocol and host port (on a host address, when given).

use std::net::IpAddr;

use serde::Deserialize;

/// The transport protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    /// `tcp`.
    Tcp,
    /// `udp`.
    Udp,
    /// `sctp`.
    Sctp,
}

impl Proto {
    /// `tcp`, `udp` or `sctp`, as the API and iptables write it.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
        }
    }

    fn parse(s: &str) -> Option<Proto> {
        match s {
            "tcp" => Some(Proto::Tcp),
            "udp" => Some(Proto::Udp),
            "sctp" => Some(Proto::Sctp),
            _ => None,
        }
    }
}

/// One port of a container; published when `public_port` is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The host address it is published on (`0.0.0.0`, `::`, or one address), if any.
    pub host_ip: Option<IpAddr>,
    /// The container's port.
    pub private_port: u16,
    /// The host port, when published.
    pub public_port: Option<u16>,
    /// The protocol.
    pub proto: Proto,
}

/// One running container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Its id.
    pub id: String,
    /// Its name, without the leading `/` (the id's first 12 characters when it has none).
    pub name: String,
    /// Its ports.
    pub ports: Vec<Port>,
}

/// Why a list could not be read.
#[derive(Debug, thiserror::Error)]
#[error("the container list is not what the Docker API sends: {0}")]
pub struct ParseError(#[from] serde_json::Error);

#[derive(Deserialize)]
struct RawContainer {
    #[serde(rename = "Id", default)]
    id: String,
    #[serde(rename = "Names", default)]
    names: Vec<String>,
    #[serde(rename = "Ports", default)]
    ports: Option<Vec<RawPort>>,
}

#[derive(Deserialize)]
struct RawPort {
    #[serde(rename = "IP", default)]
    ip: Option<String>,
    #[serde(rename = "PrivatePort", default)]
    private_port: u16,
    #[serde(rename = "PublicPort", default)]
    public_port: Option<u16>,
    #[serde(rename = "Type", default)]
    kind: String,
}

/// The containers of a `GET /containers/json` body.
///
/// # Errors
/// [`ParseError`] when the body is not such a list.
pub fn parse_containers(body: &[u8]) -> Result<Containers, ParseError> {
    let raw: Vec<RawContainer> = serde_json::from_slice(body)?;
    let list = raw
        .into_iter()
        .map(|c| {
            let name = c
                .names
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_else(|| c.id.chars().take(12).collect());
            let ports = c
                .ports
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| {
                    Some(Port {
                        host_ip: p.ip.as_deref().and_then(|s| s.parse().ok()),
                        private_port: p.private_port,
                        public_port: p.public_port.filter(|p| *p != 0),
                        proto: Proto::parse(&p.kind)?,
                    })
                })
                .collect();
            Container {
                id: c.id,
                name,
                ports,
            }
        })
        .collect();
    Ok(Containers { list })
}

/// The running containers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Containers {
    /// In the API's order.
    pub list: Vec<Container>,
}

impl Containers {
    /// The name of the container that publishes host port `port` of `proto`: on `host` when
    /// given and some container publishes it exactly there, else on any address.
    pub fn publisher(&self, proto: Proto, port: u16, host: Option<IpAddr>) -> Option<&str> {
        let published = |c: &&Container, exact: bool| {
            c.ports.iter().any(|p| {
                p.proto == proto
                    && p.public_port == Some(port)
                    && (!exact || (host.is_some() && p.host_ip == host))
            })
        };
        let mut found = self.list.iter().filter(|c| published(c, true));
        if let Some(c) = found.next() {
            return Some(&c.name);
        }
        self.list
            .iter()
            .find(|c| published(c, false))
            .map(|c| c.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ports_and_publishers() {
        let body = br#"[
          {"Id":"aaaa1111bbbb2222","Names":["/web"],"Image":"x","Ports":[
             {"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
             {"IP":"::","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},
             {"PrivatePort":443,"Type":"tcp"}]},
          {"Id":"cccc3333dddd4444","Names":["/db"],"Ports":[
             {"IP":"127.0.0.1","PrivatePort":53,"PublicPort":5353,"Type":"udp"}]},
          {"Id":"eeee5555ffff6666","Names":["/db2"],"Ports":[
             {"IP":"192.0.2.9","PrivatePort":53,"PublicPort":5353,"Type":"udp"}]},
          {"Id":"0123456789abcdef","Names":[],"Ports":null,"Labels":{"a":"b"}}
        ]"#;
        let c = parse_containers(body).unwrap();
        assert_eq!(c.list.len(), 4);
        assert_eq!(c.list[0].name, "web");
        assert_eq!(c.list[3].name, "0123456789ab");
        assert_eq!(c.list[0].ports[2].public_port, None);
        assert_eq!(c.publisher(Proto::Tcp, 8080, None), Some("web"));
        assert_eq!(c.publisher(Proto::Udp, 8080, None), None);
        assert_eq!(c.publisher(Proto::Tcp, 443, None), None);
        let addr = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(c.publisher(Proto::Udp, 5353, None), Some("db"));
        assert_eq!(
            c.publisher(Proto::Udp, 5353, addr("192.0.2.9")),
            Some("db2")
        );
        assert_eq!(
            c.publisher(Proto::Udp, 5353, addr("198.51.100.1")),
            Some("db")
        );
    }

    #[test]
    fn not_a_list_is_an_error() {
        for body in [
            &b"{}"[..],
            b"",
            b"[{\"Ports\":5}]",
            b"{\"message\":\"page not found\"}",
        ] {
            assert!(parse_containers(body).is_err(), "{body:?}");
        }
        assert_eq!(parse_containers(b"[]").unwrap(), Containers::default());
    }
}
