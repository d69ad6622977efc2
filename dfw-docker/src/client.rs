//! The Docker Engine API's socket: where it is (`DOCKER_HOST`, else `/var/run/docker.sock`),
//! and the running containers read from it.
//!
//! Contract: the only code of this crate that opens a socket. A Unix socket only: a
//! `DOCKER_HOST` of another scheme (`tcp://`, `ssh://`) is [`Endpoint::Unsupported`], and the
//! caller goes on without names. Every read and write has a deadline ([`TIMEOUT`]), so a
//! daemon that hangs cannot hang dfw.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::containers::{parse_containers, Containers, ParseError};
use crate::http::{get, HttpError};

/// The default socket.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// How long one read or write may wait.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Where the API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A Unix socket.
    Unix(PathBuf),
    /// `DOCKER_HOST` names something else (its value).
    Unsupported(String),
}

impl Endpoint {
    /// The endpoint `DOCKER_HOST` names (`unix:///run/docker.sock`), or the default socket
    /// when it is unset or empty.
    pub fn from_env() -> Endpoint {
        Endpoint::from_docker_host(std::env::var("DOCKER_HOST").ok().as_deref())
    }

    /// The endpoint of a `DOCKER_HOST` value (see [`Endpoint::from_env`]).
    pub fn from_docker_host(value: Option<&str>) -> Endpoint {
        match value.map(str::trim) {
            None | Some("") => Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)),
            Some(v) => match v.strip_prefix("unix://") {
                Some(path) if !path.is_empty() => Endpoint::Unix(PathBuf::from(path)),
                _ => Endpoint::Unsupported(v.to_string()),
            },
        }
    }
}

/// Why the containers could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// There is no socket at this path (Docker is not installed or not running).
    #[error("{path}: no Docker API socket")]
    NoSocket {
        /// The path.
        path: PathBuf,
    },
    /// `DOCKER_HOST` is not a Unix socket.
    #[error("DOCKER_HOST={0}: only unix:// sockets are supported")]
    Unsupported(String),
    /// Connecting failed.
    #[error("{path}: connect: {source}")]
    Connect {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The exchange failed.
    #[error("{path}: GET /containers/json: {source}")]
    Http {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: HttpError,
    },
    /// The daemon answered with an error status.
    #[error("{path}: GET /containers/json: {status} {reason}")]
    Status {
        /// The socket.
        path: PathBuf,
        /// The status code.
        status: u16,
        /// The reason phrase.
        reason: String,
    },
    /// The body is not a container list.
    #[error("{path}: {source}")]
    Parse {
        /// The socket.
        path: PathBuf,
        /// Why.
        source: ParseError,
    },
}

impl DockerError {
    /// True when Docker is simply not there (no socket at the path): nothing to report.
    pub fn is_absent(&self) -> bool {
        matches!(self, DockerError::NoSocket { .. })
    }
}

/// The running containers, from the API at `endpoint`.
///
/// # Errors
/// [`DockerError`] naming the socket and what failed.
pub fn list_containers(endpoint: &Endpoint) -> Result<Containers, DockerError> {
    match endpoint {
        Endpoint::Unix(path) => list_at(path),
        Endpoint::Unsupported(v) => Err(DockerError::Unsupported(v.clone())),
    }
}

fn list_at(path: &Path) -> Result<Containers, DockerError> {
    let io = |source| DockerError::Http {
        path: path.to_path_buf(),
        source: HttpError::Io(source),
    };
    let mut s = match UnixStream::connect(path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DockerError::NoSocket {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(DockerError::Connect {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    s.set_read_timeout(Some(TIMEOUT)).map_err(io)?;
    s.set_write_timeout(Some(TIMEOUT)).map_err(io)?;
    let r = get(&mut s, "/containers/json").map_err(|source| DockerError::Http {
        path: path.to_path_buf(),
        source,
    })?;
    if r.status != 200 {
        return Err(DockerError::Status {
            path: path.to_path_buf(),
            status: r.status,
            reason: r.reason,
        });
    }
    parse_containers(&r.body).map_err(|source| DockerError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_host_values() {
        let unix = |p: &str| Endpoint::Unix(PathBuf::from(p));
        assert_eq!(Endpoint::from_docker_host(None), unix(DEFAULT_SOCKET));
        assert_eq!(Endpoint::from_docker_host(Some("")), unix(DEFAULT_SOCKET));
        assert_eq!(
            Endpoint::from_docker_host(Some("unix:///run/user/1000/docker.sock")),
            unix("/run/user/1000/docker.sock")
        );
        for other in [
            "tcp://127.0.0.1:2375",
            "ssh://me@host",
            "unix://",
            "/run/x.sock",
        ] {
            assert_eq!(
                Endpoint::from_docker_host(Some(other)),
                Endpoint::Unsupported(other.into())
            );
        }
    }

    #[test]
    fn a_missing_socket_is_absence_not_an_error() {
        let e = list_containers(&Endpoint::Unix("/nonexistent/docker.sock".into())).unwrap_err();
        assert!(e.is_absent(), "{e}");
    }
}
