//! Kernel tests of the native reader (`dfw_netlink::native`): every test ruleset of
//! `testdata/nftables/` loaded with the real `nft -f` in a private namespace and read back
//! over netlink; the model must equal the one decoded from the captured dumps and print as
//! `nft list ruleset` prints it there, and (with
//! `DFW_REGEN_NATIVE=1`) the captures are rewritten from this kernel.

use crate::support::common::to_hex;
use crate::support::native::{captured_dir, captured_dumps, load_nft_here, RULESETS};

use dfw_netlink::native::{decode_dumps, read_native_dumps};
use dfw_netlink::transport::testkit::{kernel_test, run_cmd};
use dfw_netlink::transport::NetlinkTransport;

/// Loads `name`, returns the raw dumps and `nft list ruleset`.
fn capture(name: &str) -> (Vec<Vec<u8>>, String) {
    load_nft_here(name);
    let mut t = NetlinkTransport::open().expect("netlink socket");
    let dumps = read_native_dumps(&mut t).unwrap_or_else(|e| panic!("{name}: {e}"));
    let list = run_cmd("nft", &["list", "ruleset"]).unwrap_or_else(|e| panic!("{e}"));
    (dumps, list)
}

#[test]
fn native_capture() {
    let regen = std::env::var("DFW_REGEN_NATIVE").as_deref() == Ok("1");
    for (name, _) in RULESETS {
        let Some((dumps, list)) = kernel_test("native_capture", || capture(name)) else {
            return;
        };
        if regen {
            let dir = captured_dir();
            std::fs::create_dir_all(&dir).unwrap();
            let hex: String = dumps.iter().map(|d| to_hex(d) + "\n").collect();
            std::fs::write(dir.join(format!("{name}.hex")), hex).unwrap();
            std::fs::write(dir.join(format!("{name}.list")), &list).unwrap();
        }
        let live = decode_dumps(&dumps).unwrap_or_else(|e| panic!("{name}: {e}"));
        let golden = decode_dumps(&captured_dumps(name)).unwrap();
        assert_eq!(
            live, golden,
            "{name}: the kernel's dumps decode as captured"
        );
    }
}
