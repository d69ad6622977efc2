#!/bin/bash
# Captures what the real `ipset` tool (Debian 12's ipset 7.17) and iptables-nft 1.8.9 (`-m set`)
# send and receive, one fresh network namespace per command. Usage (as root):
#   capture_ipset.sh OUTDIR; python3 gen_ipset.py OUTDIR > ../common/ipset_captured.rs
# Never touches the host's sets or ruleset: everything runs under `unshare -n`.
set -eu
out=${1:?usage: capture_ipset.sh OUTDIR}
mkdir -p "$out"
run() { # name, setup commands, traced command
    unshare -n bash -c "ip link set lo up; $2 >/dev/null 2>&1; \
        strace -f -e trace=sendmsg,sendto,recvmsg,recvfrom -e write=all -e read=all -xx -s 65535 \
        -o '$out/$1.strace' $3; echo rc=\$?; ipset list; iptables-save" >"$out/$1.out" 2>&1
}
C4="ipset create dfw-t4 hash:net family inet hashsize 1024 maxelem 65536 timeout 0"
C6="ipset create dfw-t6 hash:net family inet6 hashsize 1024 maxelem 65536 timeout 0"
run create4 "" "$C4"
run create6 "" "$C6"
run create_plain "" "ipset create dfw-p4 hash:net"
run add4 "$C4" "ipset add dfw-t4 192.0.2.0/24"
run add4_timeout "$C4" "ipset add dfw-t4 198.51.100.7 timeout 300"
run add4_exist "$C4; ipset add dfw-t4 198.51.100.7" "ipset add -exist dfw-t4 198.51.100.7 timeout 60"
run add6 "$C6" "ipset add dfw-t6 2001:db8::/32"
run add6_timeout "$C6" "ipset add dfw-t6 2001:db8::7 timeout 300"
run del4 "$C4; ipset add dfw-t4 192.0.2.0/24" "ipset del dfw-t4 192.0.2.0/24"
run del6 "$C6; ipset add dfw-t6 2001:db8::/32" "ipset del dfw-t6 2001:db8::/32"
run test4_in "$C4; ipset add dfw-t4 192.0.2.0/24" "ipset test dfw-t4 192.0.2.1"
run test4_out "$C4; ipset add dfw-t4 192.0.2.0/24" "ipset test dfw-t4 203.0.113.1"
run flush "$C4; ipset add dfw-t4 192.0.2.0/24" "ipset flush dfw-t4"
run swap "$C4; ipset create dfw-u4 hash:net timeout 0" "ipset swap dfw-t4 dfw-u4"
run destroy "$C4" "ipset destroy dfw-t4"
run list4 "$C4; ipset add dfw-t4 192.0.2.0/24; ipset add dfw-t4 198.51.100.7 timeout 300" \
    "ipset list dfw-t4"
run list6 "$C6; ipset add dfw-t6 2001:db8::/32" "ipset list dfw-t6"
run list_terse "$C4; $C6; ipset add dfw-t4 192.0.2.0/24" "ipset list -t"
run list_names "$C4; $C6" "ipset list -n"
run err_noset "" "ipset add dfw-none 192.0.2.1"
run err_exist "$C4; ipset add dfw-t4 192.0.2.0/24" "ipset add dfw-t4 192.0.2.0/24"
run err_create_exist "$C4" "$C4"
run err_busy "$C4; iptables -A INPUT -m set --match-set dfw-t4 src -j DROP" "ipset destroy dfw-t4"
run err_family "$C4" "ipset add dfw-t4 2001:db8::1"
run xt_set_src "$C4; iptables -A INPUT -j ACCEPT" \
    "iptables -A INPUT -m set --match-set dfw-t4 src -j DROP"
run xt_set_inv "$C4; iptables -A INPUT -j ACCEPT" \
    "iptables -A INPUT -m set ! --match-set dfw-t4 src -j DROP"
run xt_set_v6 "$C6; ip6tables -A INPUT -j ACCEPT" \
    "ip6tables -A INPUT -m set --match-set dfw-t6 src -j DROP"
run xt_set_dst "$C4; ipset create dfw-x4 hash:net; iptables -A INPUT -j ACCEPT" \
    "iptables -A INPUT -m set --match-set dfw-x4 dst -j ACCEPT"
printf 'add dfw-t4 192.0.2.0/24\nadd dfw-t4 198.51.100.7 timeout 60\nadd dfw-t4 203.0.113.0/25\n' >"$out/restore.txt"
run restore_adt "$C4" "ipset restore -f $out/restore.txt"
printf 'add dfw-t4 192.0.2.0/24\nadd dfw-t4 192.0.2.0/24\n' >"$out/restore_dup.txt"
run err_restore_line "$C4" "ipset restore -f $out/restore_dup.txt"
