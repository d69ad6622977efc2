//! The client against a fake Docker API: a Unix socket serving responses captured from real
//! daemons (Docker 20.10, 26 and 28, by the real-Docker suite's `DFW_CAPTURE_DOCKER_API`; see
//! `captures/README.md`), byte for byte and re-framed (chunked in small pieces, HTTP/1.0 until
//! close). Every published port of the suite's containers is named; the request is one
//! well-formed GET.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::thread::JoinHandle;

use dfw_docker::{list_containers, Endpoint, Proto};

/// The captures, by daemon and configuration.
const CAPTURES: &[(&str, &[u8])] = &[
    (
        "docker-20.10-dual-stack",
        include_bytes!("captures/docker-20.10-dual-stack.http"),
    ),
    (
        "docker-26-dual-stack",
        include_bytes!("captures/docker-26-dual-stack.http"),
    ),
    (
        "docker-sid-default",
        include_bytes!("captures/docker-sid-default.http"),
    ),
];

/// What the suite published when it captured them.
const PUBLISHED: &[(Proto, u16, &str)] = &[
    (Proto::Tcp, 8080, "web"),
    (Proto::Tcp, 9000, "db"),
    (Proto::Udp, 5353, "db"),
    (Proto::Tcp, 6000, "admin"),
];

/// Serves `response` to one connection on a fresh socket; the thread returns the request.
fn serve(tag: &str, response: Vec<u8>) -> (PathBuf, JoinHandle<String>) {
    let dir = std::env::temp_dir().join(format!("dfw-fake-docker-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("docker.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let t = std::thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        let mut r = BufReader::new(s);
        let mut head = String::new();
        while !head.ends_with("\r\n\r\n") {
            if r.read_line(&mut head).unwrap() == 0 {
                break;
            }
        }
        r.get_mut().write_all(&response).unwrap();
        head
    });
    (path, t)
}

/// The body of a captured response (whatever its framing), by the crate's own reader.
fn body(raw: &[u8]) -> Vec<u8> {
    dfw_docker::http::read_response(&mut &raw[..]).unwrap().body
}

fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    for c in body.chunks(size) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

fn until_close(body: &[u8]) -> Vec<u8> {
    let mut out = b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
    out.extend_from_slice(body);
    out
}

#[test]
fn every_capture_names_every_published_port() {
    for (name, raw) in CAPTURES {
        let b = body(raw);
        for (how, response) in [
            ("as captured", raw.to_vec()),
            ("chunked by 7", chunked(&b, 7)),
            ("until close", until_close(&b)),
        ] {
            let tag = format!("{name}-{}", how.replace(' ', "-"));
            let (path, server) = serve(&tag, response);
            let c = list_containers(&Endpoint::Unix(path.clone()))
                .unwrap_or_else(|e| panic!("{name} {how}: {e}"));
            let request = server.join().unwrap();
            assert!(
                request.starts_with("GET /containers/json HTTP/1.1\r\n"),
                "{request}"
            );
            for (proto, port, container) in PUBLISHED {
                assert_eq!(
                    c.publisher(*proto, *port, None),
                    Some(*container),
                    "{name} {how}: {port}/{}",
                    proto.name()
                );
            }
            assert_eq!(c.publisher(Proto::Tcp, 1, None), None);
            let _ = std::fs::remove_dir_all(path.parent().unwrap());
        }
    }
}

#[test]
fn an_error_status_names_the_socket() {
    let (path, server) = serve(
        "status",
        b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\n{}".to_vec(),
    );
    let e = list_containers(&Endpoint::Unix(path.clone())).unwrap_err();
    server.join().unwrap();
    let text = e.to_string();
    assert!(
        text.contains("docker.sock") && text.contains("500 Internal Server Error"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}
