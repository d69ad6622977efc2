//! proptest strategies for targets valid for a family and a rule's protocol.

use dfw_core::model::target::{
    Log, LogFlags, Masquerade, Nat, Redirect, Reject, RejectV4, RejectV6,
};
use dfw_core::model::{Family, Protocol, Target};
use proptest::prelude::*;

use super::{chain, port_range, range};

fn reject(f: Family, tcp: bool) -> BoxedStrategy<Reject> {
    let v4 = [
        RejectV4::NetUnreachable,
        RejectV4::HostUnreachable,
        RejectV4::ProtoUnreachable,
        RejectV4::PortUnreachable,
        RejectV4::NetProhibited,
        RejectV4::HostProhibited,
        RejectV4::AdminProhibited,
    ];
    let v6 = [
        RejectV6::NoRoute,
        RejectV6::AdmProhibited,
        RejectV6::AddrUnreachable,
        RejectV6::PortUnreachable,
        RejectV6::PolicyFail,
        RejectV6::RejectRoute,
    ];
    let mut all: Vec<Reject> = match f {
        Family::Ipv4 => v4.into_iter().map(Reject::V4).collect(),
        Family::Ipv6 => v6.into_iter().map(Reject::V6).collect(),
    };
    if tcp {
        all.push(match f {
            Family::Ipv4 => Reject::V4(RejectV4::TcpReset),
            Family::Ipv6 => Reject::V6(RejectV6::TcpReset),
        });
    }
    proptest::sample::select(all).boxed()
}

fn nat(f: Family, ports_ok: bool, fully: bool) -> impl Strategy<Value = Nat> {
    let ports = if ports_ok {
        proptest::option::of(port_range()).boxed()
    } else {
        Just(None).boxed()
    };
    (
        proptest::option::of(range(f)),
        ports,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_filter("empty", |(a, p, ..)| a.is_some() || p.is_some())
        .prop_map(move |(addrs, ports, random, persistent, rf)| Nat {
            addrs,
            ports,
            random,
            persistent,
            random_fully: rf && fully,
        })
}

/// Any target valid for the rule's family and protocol.
pub fn target(f: Family, p: Option<Protocol>) -> BoxedStrategy<Target> {
    let tcp = p == Some(Protocol::TCP);
    let ports_ok = matches!(p.map(|p| p.number()), Some(6 | 17 | 132 | 33 | 1));
    let log = (
        0u8..8,
        0u8..64,
        proptest::string::string_regex("[^\n\0]{0,29}").unwrap(),
    )
        .prop_filter_map("prefix", |(l, fl, p)| {
            let p: String = p.chars().take(10).collect();
            Log::new(l, LogFlags::from_bits_truncate(fl), &p).ok()
        });
    let masq = (
        if ports_ok {
            proptest::option::of(port_range()).boxed()
        } else {
            Just(None).boxed()
        },
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(ports, random, random_fully)| Masquerade {
            ports,
            random,
            random_fully,
        });
    prop_oneof![
        Just(Target::Accept),
        Just(Target::Drop),
        Just(Target::Return),
        chain().prop_map(Target::Jump),
        chain().prop_map(Target::Goto),
        reject(f, tcp).prop_map(Target::Reject),
        log.prop_map(Target::Log),
        nat(f, ports_ok, false).prop_map(Target::Dnat),
        nat(f, ports_ok, true).prop_map(Target::Snat),
        masq.prop_map(Target::Masquerade),
        // NFLOG, MARK, CONNMARK, TCPMSS, REDIRECT, CT: the fuzz targets' builder.
        proptest::collection::vec(any::<u8>(), 32..160).prop_filter_map("refused", move |b| {
            dfw_core::fuzzing::ext_target(&mut dfw_core::fuzzing::Bytes::new(&b), f)
        }),
        (proptest::option::of(port_range()), any::<bool>())
            .prop_filter("ports need -p", move |(p, _)| p.is_none() || ports_ok)
            .prop_map(|(ports, random)| Target::Redirect(Redirect { ports, random })),
    ]
    .boxed()
}
