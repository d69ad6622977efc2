//! The `init` stage: the Docker API read as dfw reads it (names and ports against what the
//! suite published; the raw response saved when `DFW_CAPTURE_DOCKER_API=DIR` is set, to
//! vendor it as `dfw-docker/tests/captures/`), then `dfw-cli init` on the live host,
//! committed: every published port stays as reachable as it was (everyone, with Docker
//! alone), and a port published afterwards is refused from the internet (on the docker-proxy
//! path once status reported it and a commit, the watch's repair, followed).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;

use super::Run;
use crate::support::image::{self, Ctr};
use crate::support::matrix::{self, Allow, Expect, Svc};

impl Run {
    /// `GET /containers/json` on the daemon's socket: the raw response, parsed by dfw-docker
    /// (as dfw-cli parses it), must name the container of every published port.
    fn docker_api(&mut self) {
        let mut s = UnixStream::connect(self.d.socket()).expect("the API socket");
        s.write_all(&dfw_docker::http::get_request("/containers/json"))
            .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        if let Some(dir) = std::env::var_os("DFW_CAPTURE_DOCKER_API") {
            let name = format!(
                "{}-{}.http",
                self.d.daemon.name,
                if self.d.mode == crate::support::dockerd::Mode::Default {
                    "default"
                } else {
                    "dual-stack"
                }
            );
            std::fs::write(std::path::Path::new(&dir).join(name), &raw).unwrap();
        }
        let r = dfw_docker::http::read_response(&mut raw.as_slice()).expect("a response");
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&raw));
        let c = dfw_docker::parse_containers(&r.body).expect("the container list");
        let mut wrong = Vec::new();
        for s in &self.services {
            let proto = if s.udp {
                dfw_docker::Proto::Udp
            } else {
                dfw_docker::Proto::Tcp
            };
            let got = c.publisher(proto, s.port, None);
            if got != Some(s.container) {
                wrong.push(format!("{}: {got:?}, not {}", s.port, s.container));
            }
        }
        let framing = if raw
            .windows(26)
            .any(|w| w.eq_ignore_ascii_case(b"transfer-encoding: chunked"))
        {
            "chunked"
        } else {
            "content-length"
        };
        if wrong.is_empty() {
            self.note(format!(
                "Docker API: {} containers, every published port named ({framing} response)",
                c.list.len()
            ));
        } else {
            let msg = format!("Docker API names differ: {wrong:?}");
            println!("[{}] FAILED {msg}", self.tag);
            self.failures.push(msg);
        }
    }

    /// `init`, committed, against real connections (see the module contract). Leaves the
    /// host as it found it: no dfw, the extra container removed.
    pub(super) fn init_stage(&mut self) {
        self.docker_api();
        let file = self.dir.join("init.toml");
        let o = self.dfw.run(&["init", "-o", file.to_str().unwrap()]);
        assert!(
            o.status.success(),
            "init: {}",
            crate::support::dfw::text(&o)
        );
        let text = std::fs::read_to_string(&file).unwrap();
        for s in &self.services {
            let line = format!("comment = \"{}\"", s.container);
            assert!(text.contains(&line), "init: no {line}:\n{text}");
        }
        let again = self.dfw.run(&["init", "-o", file.to_str().unwrap()]);
        assert_eq!(again.status.code(), Some(1), "init over an existing file");
        let c = self.dfw.run(&["commit", "-c", file.to_str().unwrap()]);
        assert!(
            c.status.success(),
            "commit init: {}",
            crate::support::dfw::text(&c)
        );
        // Today's reachability: with Docker alone, everyone reaches every published port.
        self.check("init committed: today's ports", Expect::AllOpen);
        // A port published afterwards: refused from the internet (the LAN is not external).
        image::run(
            &self.d,
            &Ctr {
                name: "late",
                network: None,
                publish: vec!["7300:80"],
            },
        );
        let mut ready: Vec<&str> = self.containers.clone();
        ready.push("late");
        image::wait_ready(&self.d, &self.lab.host, &ready);
        // The docker-proxy path (IPv6 clients of IPv4-only containers, host = false) follows
        // what Docker publishes: status must report the new port and a commit (the watch's
        // repair) close it; on DNAT paths the committed rules already refuse it.
        let st = self.dfw.run(&["status", "-c", file.to_str().unwrap()]);
        match st.status.code() {
            Some(0) => self.note("init committed: port 7300 published later: in sync".into()),
            Some(3) => {
                self.note(format!(
                    "init committed: port 7300 published later: status reports {}",
                    crate::support::dfw::stdout(&st)
                        .lines()
                        .next()
                        .unwrap_or("")
                ));
                let c = self.dfw.run(&["commit", "-c", file.to_str().unwrap()]);
                assert!(
                    c.status.success(),
                    "commit: {}",
                    crate::support::dfw::text(&c)
                );
            }
            _ => panic!("status: {}", crate::support::dfw::text(&st)),
        }
        let late = [Svc {
            container: "late",
            port: 7300,
            udp: false,
            allow: Allow::LanOnly,
        }];
        let seen = matrix::probe_all(&self.lab, &late, Expect::Policy);
        let bad = matrix::failures(&seen);
        if bad.is_empty() {
            println!(
                "[{}] init committed: a port published later is refused",
                self.tag
            );
        } else {
            let msg = format!("init committed: port 7300 published later:\n{bad}");
            println!("[{}] FAILED {msg}", self.tag);
            self.failures.push(msg);
        }
        self.d.must(&["rm", "-f", "late"]);
        let rb = self.dfw.run(&["rollback"]);
        assert!(
            rb.status.success(),
            "rollback: {}",
            crate::support::dfw::text(&rb)
        );
        self.check("init rolled back", Expect::AllOpen);
    }
}
