//! Request bytes against what iproute2 sends (recorded with
//! `strace -e trace=sendmsg -e write=3 ip ...` in a private namespace, iproute2 6.x, Linux
//! 6.18), with the seq zeroed and `NLM_F_ACK` (which dfw's transport adds) masked out.

use super::*;
use crate::wire::consts::NLM_F_ACK;
use crate::wire::{split_messages, AttrIter};

/// Zeroes the seq and clears `NLM_F_ACK` of a recorded request.
fn normalized(mut golden: Vec<u8>) -> Vec<u8> {
    golden[8..12].fill(0);
    let flags = u16::from_ne_bytes([golden[6], golden[7]]) & !NLM_F_ACK;
    golden[6..8].copy_from_slice(&flags.to_ne_bytes());
    golden
}

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

#[test]
fn bridge_matches_iproute2() {
    // ip link add br0 type bridge
    let golden = hex("38 00 00 00 10 00 05 06 7b b2 04 6b 00 00 00 00
         00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
         08 00 03 00 62 72 30 00 10 00 12 00 0a 00 01 00
         62 72 69 64 67 65 00 00");
    assert_eq!(new_bridge("br0"), normalized(golden));
}

#[test]
fn ipv6_nodad_address_matches_iproute2() {
    // ip -6 addr add 2001:db8::10/64 dev v0 nodad   (v0 has index 3)
    let golden = hex("40 00 00 00 14 00 05 06 7b b2 04 6b 00 00 00 00
         0a 40 02 00 03 00 00 00 14 00 02 00 20 01 0d b8
         00 00 00 00 00 00 00 00 00 00 00 10 14 00 01 00
         20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 10");
    let addr: IpAddr = "2001:db8::10".parse().unwrap();
    assert_eq!(new_addr(3, addr, 64), normalized(golden));
}

#[test]
fn default_route_matches_iproute2() {
    // ip route add default via 192.0.2.1 (strace's decoded form: rtmsg AF_INET, table main,
    // RTPROT_BOOT, universe, unicast; RTA_GATEWAY).
    let golden = hex("24 00 00 00 18 00 05 06 7b b2 04 6b 00 00 00 00
         02 00 00 00 fe 03 00 01 00 00 00 00
         08 00 05 00 c0 00 02 01");
    let any: IpAddr = "0.0.0.0".parse().unwrap();
    let gw: IpAddr = "192.0.2.1".parse().unwrap();
    assert_eq!(new_route(any, 0, gw), normalized(golden));
}

#[test]
fn route_with_prefix_carries_dst() {
    let dst: IpAddr = "fd00:dead:beef::".parse().unwrap();
    let gw: IpAddr = "2001:db8:1::1".parse().unwrap();
    let m = new_route(dst, 64, gw);
    let (h, body) = split_messages(&m).next().unwrap().unwrap();
    assert_eq!((h.kind, h.len as usize), (RTM_NEWROUTE, m.len()));
    assert_eq!(&body[..2], &[libc::AF_INET6 as u8, 64]);
    let attrs: Vec<_> = AttrIter::new(&body[RTMSG_LEN..])
        .map(|a| a.unwrap())
        .map(|a| (a.kind, a.payload.to_vec()))
        .collect();
    assert_eq!(attrs, [(RTA_DST, octets(dst)), (RTA_GATEWAY, octets(gw)),]);
}

#[test]
fn veth_peer_goes_to_another_namespace() {
    let m = new_veth("eth0", "peer0", 7);
    let (h, body) = split_messages(&m).next().unwrap().unwrap();
    assert_eq!(h.kind, RTM_NEWLINK);
    assert_eq!(h.flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL);
    let top: Vec<_> = AttrIter::new(&body[IFINFOMSG_LEN..])
        .map(|a| a.unwrap())
        .collect();
    assert_eq!(top[0].string("t").unwrap(), "eth0");
    assert_eq!(top[1].kind, IFLA_LINKINFO);
    // No NLA_F_NESTED on the wire, as iproute2.
    assert_eq!(
        &m[NLMSG_HDRLEN + IFINFOMSG_LEN + 12 + 2..][..2],
        &IFLA_LINKINFO.to_ne_bytes()
    );
    let info: Vec<_> = top[1].nested().map(|a| a.unwrap()).collect();
    assert_eq!(info[0].string("t").unwrap(), "veth");
    let data: Vec<_> = info[1].nested().map(|a| a.unwrap()).collect();
    assert_eq!(data[0].kind, VETH_INFO_PEER);
    let peer = &data[0].payload[IFINFOMSG_LEN..];
    let peer: Vec<_> = AttrIter::new(peer).map(|a| a.unwrap()).collect();
    assert_eq!(peer[0].string("t").unwrap(), "peer0");
    assert_eq!(peer[1].kind, IFLA_NET_NS_FD);
    assert_eq!(peer[1].payload, &7u32.to_ne_bytes());
}

#[test]
fn up_and_master_find_the_link_by_name() {
    let m = set_up("docker0");
    assert_eq!(
        &m[NLMSG_HDRLEN + 8..NLMSG_HDRLEN + 16],
        &[1, 0, 0, 0, 1, 0, 0, 0]
    );
    let m = set_master("veth1", 5);
    let (_, body) = split_messages(&m).next().unwrap().unwrap();
    let attrs: Vec<_> = AttrIter::new(&body[IFINFOMSG_LEN..])
        .map(|a| a.unwrap())
        .collect();
    assert_eq!(attrs[1].kind, IFLA_MASTER);
    assert_eq!(attrs[1].payload, &5u32.to_ne_bytes());
    let g = get_link("eth1");
    assert_eq!(u16::from_ne_bytes([g[4], g[5]]), RTM_GETLINK);
}

#[test]
fn operstate_of_a_getlink_reply() {
    let reply = |name: &str, state: Option<u8>| {
        let mut buf = start(&ifinfomsg(0, 0, 0));
        let mut w = AttrWriter::new(&mut buf);
        w.string(IFLA_IFNAME, name);
        if let Some(s) = state {
            w.u8(IFLA_OPERSTATE, s);
        }
        vec![finish(buf, RTM_NEWLINK, 0)]
    };
    assert_eq!(
        parse_operstate(&reply("veth0", Some(IF_OPER_UP)), "veth0"),
        Some(IF_OPER_UP)
    );
    // IF_OPER_LOWERLAYERDOWN: the carrier change is not processed yet.
    assert_eq!(parse_operstate(&reply("veth0", Some(7)), "veth0"), Some(7));
    assert_eq!(
        parse_operstate(&reply("veth1", Some(IF_OPER_UP)), "veth0"),
        None
    );
    assert_eq!(parse_operstate(&reply("veth0", None), "veth0"), None);
    assert_eq!(parse_operstate(&[vec![1, 2, 3]], "veth0"), None);
}

#[test]
fn route_get_asks_for_one_address_and_its_reply_gives_the_type() {
    let addr: IpAddr = "2001:db8::7".parse().unwrap();
    let m = get_route(addr);
    let (h, body) = split_messages(&m).next().unwrap().unwrap();
    assert_eq!((h.kind, h.flags), (RTM_GETROUTE, NLM_F_REQUEST));
    assert_eq!(&body[..2], &[libc::AF_INET6 as u8, 128]);
    let attrs: Vec<_> = AttrIter::new(&body[RTMSG_LEN..])
        .map(|a| a.unwrap())
        .map(|a| (a.kind, a.payload.to_vec()))
        .collect();
    assert_eq!(attrs, [(RTA_DST, octets(addr))]);
    let reply = |kind: u8| {
        let mut fixed = [0u8; RTMSG_LEN];
        fixed[7] = kind;
        vec![finish(start(&fixed), RTM_NEWROUTE, 0)]
    };
    assert_eq!(parse_route_type(&reply(RTN_LOCAL)), Some(RTN_LOCAL));
    assert_eq!(parse_route_type(&reply(RTN_UNICAST)), Some(RTN_UNICAST));
    assert_eq!(parse_route_type(&[]), None);
}

#[test]
fn hairpin_is_a_nested_protinfo_in_an_af_bridge_setlink() {
    // As `bridge link set dev vuser1 hairpin on` (iproute2's bridge/link.c) builds it.
    let m = set_hairpin(7);
    assert_eq!(u16::from_ne_bytes([m[4], m[5]]), RTM_SETLINK);
    let (_, body) = split_messages(&m).next().unwrap().unwrap();
    let mut want = vec![libc::AF_BRIDGE as u8, 0, 0, 0];
    want.extend_from_slice(&7i32.to_ne_bytes());
    want.extend_from_slice(&[0; 8]);
    want.extend_from_slice(&12u16.to_ne_bytes());
    want.extend_from_slice(&(IFLA_PROTINFO | NLA_F_NESTED).to_ne_bytes());
    want.extend_from_slice(&5u16.to_ne_bytes());
    want.extend_from_slice(&IFLA_BRPORT_MODE.to_ne_bytes());
    want.extend_from_slice(&[1, 0, 0, 0]);
    assert_eq!(body, &want[..]);
}
