#!/bin/sh
# Runs one fuzz target for $2 seconds (default 600) on one core at the lowest priority, growing
# corpus/.work/<target> from the seeds in corpus/<target>; crashes go to artifacts/<target>/.
# Build first: CARGO_TARGET_DIR=... cargo +nightly fuzz build -O
set -eu
t=$1
secs=${2:-600}
bin=${FUZZ_BIN:-${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release}/$t
cd "$(dirname "$0")"
mkdir -p corpus/.work/$t artifacts/$t
exec nice -n 19 "$bin" -max_total_time=$secs -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix=artifacts/$t/ corpus/.work/$t corpus/$t
