#!/bin/sh
# Shrinks corpus/<target> to at most N files (default 200) after a run of run_one.sh: a
# libFuzzer set-cover merge of corpus/<target> and corpus/.work/<target>, then the N files
# with the most coverage features of their own. Needs the built target (see run_one.sh).
set -eu
t=$1
n=${2:-200}
bin=${FUZZ_BIN:-${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release}/$t
cd "$(dirname "$0")"
tmp=$(mktemp -d)
mkdir "$tmp/cover" "$tmp/one"
nice -n 19 "$bin" -use_counters=0 -set_cover_merge=1 "$tmp/cover" corpus/$t corpus/.work/$t \
    2>&1 | grep "MERGE-OUTER: [0-9]* new files" || true
for f in "$tmp"/cover/*; do
    rm -f "$tmp"/one/*
    cp "$f" "$tmp/one/"
    ft=$(nice -n 19 "$bin" -runs=0 "$tmp/one" 2>&1 | grep -oE "INITED cov: [0-9]+ ft: [0-9]+" |
        awk '{print $5}')
    echo "${ft:-0} $f"
done | sort -rn | head -"$n" | awk '{print $2}' >"$tmp/keep"
rm -rf corpus/$t
mkdir corpus/$t
xargs -I{} cp {} corpus/$t/ <"$tmp/keep"
rm -rf "$tmp"
nice -n 19 "$bin" -runs=0 corpus/$t 2>&1 | grep INITED
