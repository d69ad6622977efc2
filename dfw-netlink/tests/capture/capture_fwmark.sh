#!/bin/bash
# Captures the nf_tables batch nft 1.0.6 sends for dfw's native table (`table inet dfw`, the
# `[docker] accept_fwmark` marks), one fresh network namespace per ruleset, as golden bytes
# for `dfw_netlink::native::encode`. Usage (as root, from this directory):
#   ./capture_fwmark.sh ../../../testdata/nftables/fwmark
# For each OUT/NAME.nft: OUT/NAME.batch.hex (every message nft sent, one per line, in hex)
# and OUT/NAME.list (`nft list ruleset` after loading it). Never touches the host ruleset.
set -eu
out=${1:?usage: capture_fwmark.sh OUTDIR}
for f in "$out"/*.nft; do
    name=$(basename "$f" .nft)
    unshare -n bash -c "strace -e trace=sendmsg -e write=all -xx -s 0 -o '$out/$name.strace' \
        nft -f '$f' && nft list ruleset > '$out/$name.list'"
    python3 - "$out/$name.strace" > "$out/$name.batch.hex" <<'PY'
import re, struct, sys
data = bytearray()
for line in open(sys.argv[1]):
    if re.match(r"^ \| [0-9a-f]{5}  ", line):
        data += bytes.fromhex(line[10:59].replace(" ", ""))
    elif line.startswith("sendmsg") and data:
        break  # only the first sendmsg: the batch
at = 0
while at + 16 <= len(data):
    n = struct.unpack_from("<I", data, at)[0]
    print(data[at:at + n].hex())
    at += (n + 3) & ~3
PY
    rm "$out/$name.strace"
done
