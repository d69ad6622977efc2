#!/bin/bash
# Regenerates ext.v4 and ext.v6 from ext.rules with the system iptables-nft (run as root; every
# command runs in one private network namespace, never the host's ruleset).
# Usage: ./gen-ext.sh   (then review the diff; the files are iptables-save's exact output
# without its two timestamp comment lines).
set -euo pipefail
cd "$(dirname "$0")"
unshare -n bash -euo pipefail -c '
grep -v "^#" ext.rules | grep -v "^$" | while read -r fam table chain args; do
    tool=iptables; [ "$fam" = 6 ] && tool=ip6tables
    case $chain in
        INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) ;;
        *) $tool -t "$table" -N "$chain" 2>/dev/null || true ;;
    esac
    eval "$tool -t $table -A $chain $args"
done
iptables-save | grep -v "^# [GC]" > ext.v4
ip6tables-save | grep -v "^# [GC]" > ext.v6
'
echo "ext.v4: $(grep -c "^-A" ext.v4) rules, ext.v6: $(grep -c "^-A" ext.v6) rules"
