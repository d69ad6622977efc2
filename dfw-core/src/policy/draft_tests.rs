//! The drafted config loads without error or warning, and allows each port to exactly whom
//! it reaches today.

use super::*;
use crate::model::PortRange;
use crate::policy::config::Transport;
use crate::policy::{HostFacts, Policy};

fn port(p: u16, udp: bool) -> PortSpec {
    PortSpec {
        proto: if udp { Transport::Udp } else { Transport::Tcp },
        ports: PortRange::single(p),
    }
}

fn src(s: &str) -> Source {
    super::super::value::source(s).unwrap()
}

fn draft(ssh: Option<SshClient>) -> Draft {
    use FamilyReach as R;
    Draft {
        externals: vec!["eth0".into()],
        externals_how: "the interfaces of the default routes".into(),
        ssh,
        ports: vec![
            FoundPort {
                port: port(8080, false),
                container: Some("web".into()),
                v4: R::Everyone,
                v6: R::Everyone,
            },
            FoundPort {
                port: port(5353, true),
                container: Some("db".into()),
                v4: R::Sources(vec![src("203.0.113.10")]),
                v6: R::Sources(vec![src("2001:db8:1::10")]),
            },
            FoundPort {
                port: port(6000, false),
                container: Some("admin".into()),
                v4: R::Nobody,
                v6: R::Nobody,
            },
            FoundPort {
                port: port(7000, false),
                container: None,
                v4: R::Everyone,
                v6: R::Nobody,
            },
            FoundPort {
                port: port(7100, false),
                container: Some("odd\"name".into()),
                v4: R::Unknown("mark unknown".into()),
                v6: R::NotPublished,
            },
        ],
        names_how: "the Docker API at /var/run/docker.sock".into(),
    }
}

fn load(text: &str) -> Policy {
    let c = Policy::from_toml_checked(text, "init.toml", &HostFacts::default())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(c.warnings.is_empty(), "{:?}\n{text}", c.warnings);
    c.policy
}

#[test]
fn the_draft_loads_and_keeps_todays_reach() {
    let ssh = SshClient {
        client: "198.51.100.7".parse().unwrap(),
        port: 2222,
    };
    let text = draft(Some(ssh)).to_toml();
    let p = load(&text);
    assert_eq!(p.allow.len(), 5, "{text}");
    assert!(!p.host);
    // SSH from the client, on the session's port.
    assert_eq!(p.allow[0].ports, vec![port(2222, false)]);
    assert_eq!(p.allow[0].from, Some(vec![src("198.51.100.7")]));
    // Everyone, both families: no `from`.
    assert_eq!(p.allow[1].from, None);
    assert_eq!(p.allow[1].comment.as_ref().unwrap().as_str(), "web");
    // The sources of each family.
    assert_eq!(
        p.allow[2].from,
        Some(vec![src("203.0.113.10"), src("2001:db8:1::10")])
    );
    // 6000: nobody today, no allow (a comment says so).
    assert!(
        text.contains("# 6000/tcp (container admin): reachable by nobody"),
        "{text}"
    );
    // 7000: everyone over IPv4 only.
    assert_eq!(p.allow[3].from, Some(vec![src("0.0.0.0/0")]));
    assert!(p.allow[3].comment.is_none());
    // Unknown: allowed to everyone, and the file says why.
    assert_eq!(p.allow[4].from, None);
    assert!(
        text.contains("IPv4 unknown (mark unknown; allowed to everyone"),
        "{text}"
    );
    assert_eq!(p.allow[4].comment.as_ref().unwrap().as_str(), "odd\"name");
}

#[test]
fn without_ssh_session_ssh_is_open_to_everyone() {
    let text = draft(None).to_toml();
    let p = load(&text);
    assert_eq!(p.allow[0].ports, vec![port(22, false)]);
    assert_eq!(p.allow[0].from, None);
    assert!(text.contains("port 22 assumed"), "{text}");
}

#[test]
fn reaches_merge_to_whatever_lets_in() {
    use FamilyReach as R;
    let a = || R::Sources(vec![src("192.0.2.1")]);
    let b = || R::Sources(vec![src("192.0.2.2"), src("192.0.2.1")]);
    assert_eq!(R::NotPublished.merge(R::Nobody), R::Nobody);
    assert_eq!(R::Nobody.merge(a()), a());
    assert_eq!(
        a().merge(b()),
        R::Sources(vec![src("192.0.2.1"), src("192.0.2.2")])
    );
    assert_eq!(a().merge(R::Everyone), R::Everyone);
    assert_eq!(R::Unknown("x".into()).merge(a()), R::Unknown("x".into()));
    assert_eq!(R::Unknown("x".into()).merge(R::Everyone), R::Everyone);
}
