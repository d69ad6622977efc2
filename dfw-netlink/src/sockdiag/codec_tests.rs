//! Golden tests of the sock_diag codec. The request and the TCP reply are what `ss -tlnH -6`
//! (iproute2 6.1) sent and received in a private namespace with one listener on `[::]:8080`,
//! as `strace -X raw -xx` decoded them (only the sequence number and port id differ).

use super::*;

fn header(len: u32, kind: u16, flags: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&len.to_ne_bytes());
    b.extend_from_slice(&kind.to_ne_bytes());
    b.extend_from_slice(&flags.to_ne_bytes());
    b.extend_from_slice(&seq.to_ne_bytes());
    b.extend_from_slice(&pid.to_ne_bytes());
    b
}

#[test]
fn request_is_what_ss_sends() {
    // nlmsg_len=72, type 0x14, flags 0x301, seq, pid 0; family 0xa, protocol 6, ext 0, pad;
    // idiag_states=0x480 (CLOSE | LISTEN); a zeroed inet_diag_sockid.
    let mut want = header(72, 0x14, 0x301, 0, 0);
    want.extend_from_slice(&[0x0a, 0x06, 0, 0]);
    want.extend_from_slice(&0x480u32.to_ne_bytes());
    want.extend_from_slice(&[0u8; 48]);
    let got = request(
        Family::Ipv6,
        SockProto::Tcp,
        States::UNCONNECTED.with(States::LISTEN),
    );
    assert_eq!(got, want);
    let v4 = request(Family::Ipv4, SockProto::Udp, States::ESTABLISHED);
    assert_eq!(&v4[16..24], &[0x02, 0x11, 0, 0, 0x02, 0, 0, 0]);
}

/// The reply to `ss -tlnH -6`: one listener on `[::]:8080`, dual-stack, then NLMSG_DONE.
fn tcp6_listener_reply() -> Vec<u8> {
    let mut m = header(132, 0x14, 0x2, 123456, 25041);
    m.extend_from_slice(&[0x0a, 0x0a, 0, 0]); // AF_INET6, TCP_LISTEN, timer, retrans
    m.extend_from_slice(&[0x1f, 0x90, 0, 0]); // sport 8080, dport 0
    m.extend_from_slice(&[0u8; 32]); // src ::, dst ::
    m.extend_from_slice(&0u32.to_ne_bytes()); // if
    m.extend_from_slice(&6607u32.to_ne_bytes()); // cookie
    m.extend_from_slice(&0u32.to_ne_bytes());
    for v in [0u32, 0, 1, 0, 1935719] {
        // expires, rqueue, wqueue, uid, inode
        m.extend_from_slice(&v.to_ne_bytes());
    }
    // SHUTDOWN 0, SKV6ONLY 0, MARK 0, CGROUP_ID 1, SOCKOPT {is_icsk, mc_loop}.
    m.extend_from_slice(&[5, 0, 8, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&[5, 0, 11, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&[8, 0, 15, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&[12, 0, 21, 0]);
    m.extend_from_slice(&1u64.to_ne_bytes());
    m.extend_from_slice(&[6, 0, 22, 0, 0x05, 0, 0, 0]);
    assert_eq!(m.len(), 132);
    m
}

#[test]
fn a_dual_stack_tcp_listener_parses() {
    let done = {
        let mut d = header(20, 3, 0x2, 123456, 25041);
        d.extend_from_slice(&0u32.to_ne_bytes());
        d
    };
    let got = parse_sockets(&[tcp6_listener_reply(), done]).expect("parses");
    assert_eq!(
        got,
        [Socket {
            state: SockState::LISTEN,
            local: "::".parse().unwrap(),
            local_port: 8080,
            peer: "::".parse().unwrap(),
            peer_port: 0,
            iface: 0,
            uid: 0,
            inode: 1935719,
            v6only: false,
        }]
    );
}

#[test]
fn an_ipv4_udp_socket_and_v6only_parse() {
    let mut m = header(104, 0x14, 0x2, 1, 1);
    m.extend_from_slice(&[0x02, 0x07, 0, 0]); // AF_INET, TCP_CLOSE (unconnected UDP)
    m.extend_from_slice(&[0x14, 0xe9, 0, 0]); // 5353
    let mut src = [0u8; 16];
    src[..4].copy_from_slice(&[203, 0, 113, 1]);
    m.extend_from_slice(&src);
    m.extend_from_slice(&[0u8; 16]);
    m.extend_from_slice(&[0u8; 12]);
    for v in [0u32, 0, 0, 1000, 42] {
        m.extend_from_slice(&v.to_ne_bytes());
    }
    m.extend_from_slice(&[5, 0, 8, 0, 0, 0, 0, 0]);
    m.extend_from_slice(&[5, 0, 11, 0, 1, 0, 0, 0]); // an IPv4 socket never has it; parsed all the same
    assert_eq!(m.len(), 104);
    let s = parse_sockets(&[m]).expect("parses");
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].state, SockState::CLOSE);
    assert_eq!(
        s[0].local,
        "203.0.113.1".parse::<std::net::IpAddr>().unwrap()
    );
    assert_eq!((s[0].local_port, s[0].uid, s[0].inode), (5353, 1000, 42));
    assert!(s[0].v6only);
}

#[test]
fn truncated_and_garbage_are_errors_never_panics() {
    let full = tcp6_listener_reply();
    for cut in 0..full.len() {
        let mut m = full[..cut].to_vec();
        if m.len() >= 4 {
            let len = m.len() as u32;
            m[..4].copy_from_slice(&len.to_ne_bytes());
        }
        let _ = parse_sockets(&[m]);
    }
    let mut short = header(16 + 8, 0x14, 0, 0, 0);
    short.extend_from_slice(&[0u8; 8]);
    assert!(parse_sockets(&[short]).is_err());
    let mut bad_family = tcp6_listener_reply();
    bad_family[16] = 99;
    assert!(parse_sockets(&[bad_family]).is_err());
}
