//! The ipset codec against the bytes the real `ipset` tool (7.17) and iptables-nft 1.8.9
//! exchanged with Linux 6.18 (`common/ipset_captured.rs`, from `capture/capture_ipset.sh`):
//! every request byte for byte (sequence numbers zeroed), every reply parsed, the xt `set`
//! match blob both ways.

use std::net::IpAddr;

use crate::support::common::ipset_captured as cap;
use crate::support::common::{hex, to_hex};
use dfw_core::model::matches::{SetDir, SetMatch, SetName};
use dfw_core::model::{Family, Network};
use dfw_netlink::ipset::reply::{self, error_lineno};
use dfw_netlink::ipset::request::{self, ListMode};
use dfw_netlink::ipset::{CreateSpec, Entry, Member, Members};
use dfw_netlink::wire::{split_messages, ErrorMsg};
use dfw_netlink::xt::set as xt_set;

fn name(s: &str) -> SetName {
    SetName::new(s).unwrap()
}

fn net(s: &str) -> Network {
    let (a, p) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
    let a: IpAddr = a.parse().unwrap();
    match p {
        Some(p) => Network::with_prefix(a, p.parse().unwrap()).unwrap(),
        None => Network::host(a),
    }
}

/// The `i`th message of a capture with its sequence number zeroed (`i` < 0 counts from the
/// end).
fn msg(list: &[&str], i: isize) -> Vec<u8> {
    let i = if i < 0 { list.len() as isize + i } else { i } as usize;
    let mut m = hex(list[i]);
    m[8..12].fill(0);
    m
}

fn same(ours: Vec<u8>, theirs: Vec<u8>) {
    assert_eq!(to_hex(&ours), to_hex(&theirs));
}

fn spec(n: &str, family: Family, timeout: Option<u32>) -> CreateSpec {
    CreateSpec {
        name: name(n),
        family,
        revision: 7,
        hashsize: 1024,
        maxelem: 65536,
        timeout,
    }
}

#[test]
fn requests_are_the_ipset_tools_bytes() {
    same(request::protocol(), msg(cap::CREATE4_SENT, 0));
    same(
        request::type_query("hash:net", Family::Ipv4),
        msg(cap::CREATE4_SENT, 1),
    );
    same(
        request::create(&spec("dfw-t4", Family::Ipv4, Some(0))),
        msg(cap::CREATE4_SENT, -1),
    );
    same(
        request::create(&spec("dfw-t6", Family::Ipv6, Some(0))),
        msg(cap::CREATE6_SENT, -1),
    );
    // `ipset create dfw-p4 hash:net`: the tool's defaults, no timeout.
    let plain = request::create(&spec("dfw-p4", Family::Ipv4, None));
    let theirs = msg(cap::CREATE_PLAIN_SENT, -1);
    // The tool sends an empty DATA nest for its defaults; dfw always states hashsize and
    // maxelem: the messages agree up to DATA.
    assert_eq!(to_hex(&plain[4..64]), to_hex(&theirs[4..64]));
    same(request::header(&name("dfw-t4")), msg(cap::ADD4_SENT, 1));
    let t4 = name("dfw-t4");
    let t6 = name("dfw-t6");
    same(
        request::add(&t4, &Entry::net(net("192.0.2.0/24")), false),
        msg(cap::ADD4_SENT, -1),
    );
    let timed = |n: &str, t| Entry {
        net: net(n),
        timeout: Some(t),
    };
    same(
        request::add(&t4, &timed("198.51.100.7", 300), false),
        msg(cap::ADD4_TIMEOUT_SENT, -1),
    );
    same(
        request::add(&t4, &timed("198.51.100.7", 60), true),
        msg(cap::ADD4_EXIST_SENT, -1),
    );
    same(
        request::add(&t6, &Entry::net(net("2001:db8::/32")), false),
        msg(cap::ADD6_SENT, -1),
    );
    same(
        request::add(&t6, &timed("2001:db8::7", 300), false),
        msg(cap::ADD6_TIMEOUT_SENT, -1),
    );
    same(
        request::del(&t4, &net("192.0.2.0/24"), false),
        msg(cap::DEL4_SENT, -1),
    );
    same(
        request::del(&t6, &net("2001:db8::/32"), false),
        msg(cap::DEL6_SENT, -1),
    );
    same(
        request::test(&t4, &net("192.0.2.1")),
        msg(cap::TEST4_IN_SENT, -1),
    );
    same(
        request::test(&t4, &net("203.0.113.1")),
        msg(cap::TEST4_OUT_SENT, -1),
    );
    same(request::flush(&t4), msg(cap::FLUSH_SENT, -1));
    same(request::swap(&t4, &name("dfw-u4")), msg(cap::SWAP_SENT, -1));
    same(request::destroy(&t4), msg(cap::DESTROY_SENT, -1));
    same(
        request::list(Some(&t4), ListMode::Full),
        msg(cap::LIST4_SENT, -1),
    );
    same(
        request::list(None, ListMode::Headers),
        msg(cap::LIST_TERSE_SENT, -1),
    );
    same(
        request::list(None, ListMode::Names),
        msg(cap::LIST_NAMES_SENT, -1),
    );
    let restore = [
        Entry::net(net("192.0.2.0/24")),
        timed("198.51.100.7", 60),
        Entry::net(net("203.0.113.0/25")),
    ];
    same(
        request::add_many(&t4, &restore, 1, false),
        msg(cap::RESTORE_ADT_SENT, -1),
    );
}

#[test]
fn query_replies() {
    let p = reply::parse_protocol(&hex(cap::CREATE4_RECV[0])).unwrap();
    assert_eq!((p.protocol, p.min), (7, Some(6)));
    let t = reply::parse_type(&hex(cap::CREATE4_RECV[1])).unwrap();
    assert_eq!((t.revision, t.revision_min), (7, 0));
    let h = reply::parse_header(&hex(cap::ADD4_RECV[1])).unwrap();
    assert_eq!(h.name, name("dfw-t4"));
    assert_eq!(
        (h.typename.as_str(), h.family, h.revision),
        ("hash:net", Some(Family::Ipv4), 7)
    );
    // Each parser refuses the others' messages and any truncation, without panicking.
    assert!(reply::parse_type(&hex(cap::CREATE4_RECV[0])).is_err());
    let whole = hex(cap::ADD4_RECV[1]);
    for cut in 0..whole.len() {
        let _ = reply::parse_header(&whole[..cut]);
    }
}

fn listed(recv: &[&str], with_members: bool) -> Vec<dfw_netlink::ipset::SetListing> {
    // Skip the PROTOCOL answer; the dump's messages end with NLMSG_DONE, which is not data.
    let msgs: Vec<Vec<u8>> = recv[1..]
        .iter()
        .map(|m| hex(m))
        .filter(|m| u16::from_ne_bytes([m[4], m[5]]) != 3)
        .collect();
    reply::parse_list(&msgs, with_members).unwrap()
}

#[test]
fn list_dumps() {
    let l = listed(cap::LIST4_RECV, true);
    assert_eq!(l.len(), 1);
    let s = &l[0];
    assert_eq!(s.name, name("dfw-t4"));
    assert_eq!(
        (s.typename.as_str(), s.family, s.revision, s.index),
        ("hash:net", Some(Family::Ipv4), 7, Some(0))
    );
    assert_eq!(s.header.hashsize, Some(1024));
    assert_eq!(s.header.maxelem, Some(65536));
    assert_eq!(s.header.timeout, Some(0));
    assert_eq!(s.header.elements, Some(2));
    assert_eq!(s.header.references, Some(0));
    let Members::Nets(m) = &s.members else {
        panic!("{:?}", s.members)
    };
    assert_eq!(
        m,
        &vec![
            Member {
                net: net("192.0.2.0/24"),
                timeout: Some(0),
                nomatch: false
            },
            // Listed a moment after `timeout 300`.
            Member {
                net: net("198.51.100.7"),
                timeout: Some(299),
                nomatch: false
            },
        ]
    );
    let l6 = listed(cap::LIST6_RECV, true);
    let Members::Nets(m6) = &l6[0].members else {
        panic!()
    };
    assert_eq!(m6[0].net, net("2001:db8::/32"));
    assert_eq!(l6[0].family, Some(Family::Ipv6));
    let terse = listed(cap::LIST_TERSE_RECV, false);
    let names: Vec<_> = terse.iter().map(|s| (s.name.as_str(), s.index)).collect();
    assert_eq!(names, [("dfw-t4", Some(0)), ("dfw-t6", Some(1))]);
    assert_eq!(terse[0].header.elements, Some(1));
    assert!(terse.iter().all(|s| s.members == Members::NotListed));
    let names = listed(cap::LIST_NAMES_RECV, false);
    assert_eq!(names.len(), 2);
    assert_eq!(names[1].name, name("dfw-t6"));
}

fn error_of(recv: &[&str]) -> (ErrorMsg, Vec<u8>) {
    let m = hex(recv[recv.len() - 1]);
    let (h, body) = split_messages(&m).next().unwrap().unwrap();
    (ErrorMsg::parse(h.flags, body).unwrap(), body[4..].to_vec())
}

#[test]
fn kernel_errors() {
    assert_eq!(error_of(cap::ERR_EXIST_RECV).0.errno, 4103);
    assert_eq!(error_of(cap::ERR_CREATE_EXIST_RECV).0.errno, libc::EEXIST);
    assert_eq!(error_of(cap::ERR_BUSY_RECV).0.errno, 4100);
    assert_eq!(error_of(cap::ERR_NOSET_RECV).0.errno, libc::ENOENT);
    assert_eq!(error_of(cap::TEST4_OUT_RECV).0.errno, 4103);
    assert!(error_of(cap::TEST4_IN_RECV).0.is_ack());
    // `ipset restore` of a duplicate: the kernel echoes the request back with line 2 in it.
    let (e, echoed) = error_of(cap::ERR_RESTORE_LINE_RECV);
    assert_eq!(e.errno, 4103);
    assert_eq!(error_lineno(&echoed), Some(2));
    assert_eq!(
        dfw_netlink::ipset::ipset_errno_text(4100),
        "IPSET_ERR_BUSY (the set is in use by a kernel component (a rule still refers to it))"
    );
}

#[test]
fn xt_set_match_blobs() {
    let src = SetMatch::src(name("dfw-t4"));
    assert_eq!(cap::XT_SET_SRC_REV, xt_set::REV);
    assert_eq!(
        to_hex(&xt_set::encode(0, &src)),
        to_hex(&hex(cap::XT_SET_SRC_INFO[0]))
    );
    let inv = SetMatch::new(name("dfw-t4"), vec![SetDir::Src], true).unwrap();
    assert_eq!(
        to_hex(&xt_set::encode(0, &inv)),
        to_hex(&hex(cap::XT_SET_INV_INFO[0]))
    );
    let dst = SetMatch::new(name("dfw-x4"), vec![SetDir::Dst], false).unwrap();
    assert_eq!(
        to_hex(&xt_set::encode(1, &dst)),
        to_hex(&hex(cap::XT_SET_DST_INFO[0]))
    );
    assert_eq!(
        to_hex(&xt_set::encode(0, &src)),
        to_hex(&hex(cap::XT_SET_V6_INFO[0]))
    );
    let back = xt_set::decode(&hex(cap::XT_SET_INV_INFO[0])).unwrap();
    assert_eq!(
        (back.index, back.negated, back.dirs),
        (0, true, vec![SetDir::Src])
    );
    let back = xt_set::decode(&hex(cap::XT_SET_DST_INFO[0])).unwrap();
    assert_eq!((back.index, back.dirs), (1, vec![SetDir::Dst]));
}
