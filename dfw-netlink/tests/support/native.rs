//! The native nftables rulesets of `testdata/nftables/` (see its README.md): their text as
//! nft 1.0.6 loads it, loading with the real `nft -f`, and the captured kernel dumps.

use std::path::PathBuf;

use super::docker::run_here;

/// Every test ruleset: name (its file stem, also the name of its capture) and text.
pub const RULESETS: [(&str, &str); 12] = [
    (
        "new-daemon",
        include_str!("../../../testdata/nftables/docker29/new-daemon.nft"),
    ),
    (
        "sim-host",
        include_str!("../../../testdata/nftables/docker29/sim-host.nft"),
    ),
    (
        "usernet-internal",
        include_str!("../../../testdata/nftables/docker29/usernet-internal.nft"),
    ),
    (
        "usernet-portmap",
        include_str!("../../../testdata/nftables/docker29/usernet-portmap.nft"),
    ),
    (
        "usernet-portmap-lo",
        include_str!("../../../testdata/nftables/docker29/usernet-portmap-lo.nft"),
    ),
    (
        "usernet-portmap-natunprot",
        include_str!("../../../testdata/nftables/docker29/usernet-portmap-natunprot.nft"),
    ),
    (
        "usernet-portmap-noicc",
        include_str!("../../../testdata/nftables/docker29/usernet-portmap-noicc.nft"),
    ),
    (
        "usernet-portmap-noproxy",
        include_str!("../../../testdata/nftables/docker29/usernet-portmap-noproxy.nft"),
    ),
    (
        "usernet-portmap-routed",
        include_str!("../../../testdata/nftables/docker29/usernet-portmap-routed.nft"),
    ),
    (
        "debian",
        include_str!("../../../testdata/nftables/debian/nftables.conf"),
    ),
    (
        "debian-drop",
        include_str!("../../../testdata/nftables/debian/nftables-drop.conf"),
    ),
    (
        "firewalld-style",
        include_str!("../../../testdata/nftables/firewalld/firewalld-style.nft"),
    ),
];

/// The text nft 1.0.6 accepts: moby's pages were written by a newer nft that takes
/// `priority dstnat` at the output hook; 1.0.6 wants the number (`dstnat` is -100).
pub fn loadable(text: &str) -> String {
    text.replace(
        "type nat hook output priority dstnat;",
        "type nat hook output priority -100;",
    )
}

/// The text of the ruleset `name`, loadable by nft 1.0.6.
pub fn ruleset(name: &str) -> String {
    let (_, text) = RULESETS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no test ruleset {name}"));
    loadable(text)
}

/// Loads the ruleset `name` with `nft -f -` in the calling thread's network namespace.
pub fn load_nft_here(name: &str) {
    run_here("nft", &["-f", "-"], &ruleset(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
}

/// Where the captures live.
pub fn captured_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/nftables/captured")
}

/// The captured dumps of `name` (one hex line per dump reply).
pub fn captured_dumps(name: &str) -> Vec<Vec<u8>> {
    let path = captured_dir().join(format!("{name}.hex"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .filter(|l| !l.is_empty())
        .map(super::common::hex)
        .collect()
}

/// `nft list ruleset` as captured for `name`.
pub fn captured_listing(name: &str) -> String {
    let path = captured_dir().join(format!("{name}.list"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}
