//! Kernel test of the rtnetlink default-route look-up, in a private network namespace with
//! dummy interfaces and documentation addresses (never the machine's own routes).

use dfw_core::model::Family;
use dfw_netlink::route::default_route_interfaces;
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};

fn ip(args: &str) {
    let args: Vec<&str> = args.split(' ').collect();
    run_cmd("ip", &args).unwrap_or_else(|e| panic!("ip {args:?}: {e}"));
}

#[test]
fn kernel_default_route_interfaces_of_both_families() {
    kernel_test("kernel_default_route_interfaces_of_both_families", || {
        assert!(default_route_interfaces(Family::Ipv4).unwrap().is_empty());
        ip("link add wan0 type veth peer name wan0p");
        ip("link add lan0 type veth peer name lan0p");
        ip("link set wan0 up");
        ip("link set lan0 up");
        ip("addr add 192.0.2.10/24 dev wan0");
        ip("addr add 198.51.100.10/24 dev lan0");
        ip("route add default via 192.0.2.1 dev wan0");
        ip("-6 addr add 2001:db8::10/64 dev lan0 nodad");
        ip("-6 route add default via 2001:db8::1 dev lan0");
        assert_eq!(default_route_interfaces(Family::Ipv4).unwrap(), ["wan0"]);
        assert_eq!(default_route_interfaces(Family::Ipv6).unwrap(), ["lan0"]);
    });
}
