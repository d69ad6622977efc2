//! dfw-docker: the names of the containers behind the ports Docker publishes, from the Docker
//! Engine API (`GET /containers/json` on `/var/run/docker.sock`, or `DOCKER_HOST=unix://...`),
//! for `dfw-cli audit`, `explain` and `init`. dfw works the same without it: it only names
//! what the kernel's rules already show.
//!
//! Contract: [`http`] (one GET, its response framing parsed by `httparse`) and
//! [`containers`] (the JSON list, the port -> container look-up) are pure and tested with
//! recorded bytes, including responses captured from real Docker 20.10, 26 and 28 daemons;
//! [`client`] is the only code that opens a socket, a Unix socket with deadlines. This crate
//! is apart from `dfw-netlink` so that the firewall library carries no HTTP or JSON code.
//!
//! ```no_run
//! use dfw_docker::{list_containers, Endpoint, Proto};
//!
//! match list_containers(&Endpoint::from_env()) {
//!     Ok(c) => println!("8080/tcp: {:?}", c.publisher(Proto::Tcp, 8080, None)),
//!     Err(e) if e.is_absent() => println!("no Docker here"),
//!     Err(e) => eprintln!("{e}"),
//! }
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod containers;
pub mod http;

pub use client::{list_containers, DockerError, Endpoint, DEFAULT_SOCKET};
pub use containers::{parse_containers, Container, Containers, Port, Proto};
