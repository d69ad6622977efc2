#!/bin/bash
# Captures what iptables-nft / nft send and receive, one fresh network namespace per command.
# Usage (as root): capture.sh OUTDIR. Never touches the host ruleset: everything runs under
# `unshare -n`. Then: python3 gen_captured.py OUTDIR > ../support/common/captured.rs
set -eu
out=${1:?usage: capture.sh OUTDIR}
mkdir -p "$out"
run() { # name, setup commands, traced command
    unshare -n bash -c "ip link set lo up; $2 >/dev/null 2>&1; \
        strace -f -e trace=sendmsg,sendto,recvmsg,recvfrom -e write=all -e read=all -xx -s 65535 \
        -o '$out/$1.strace' $3; echo rc=\$?; iptables-save; ip6tables-save; \
        nft --debug=netlink list ruleset" >"$out/$1.out" 2>&1
}
run append_iif "" "iptables -A INPUT -i eth0 -j ACCEPT"
run wildcard "iptables -A INPUT -j ACCEPT" "iptables -A INPUT -i eth+ -j DROP"
run slash12 "iptables -A INPUT -j ACCEPT" "iptables -A INPUT -s 192.0.0.0/12 -j RETURN"
run l4proto "iptables -A INPUT -j ACCEPT" "iptables -A INPUT -p tcp -j ACCEPT"
run newchain_user "iptables -A INPUT -j ACCEPT" "iptables -N FOO"
run jump "iptables -N FOO" "iptables -A INPUT -j FOO"
run goto "iptables -N FOO" "iptables -A INPUT -g FOO"
run conntrack "iptables -A INPUT -j ACCEPT" \
    "iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
run reject "iptables -A INPUT -j ACCEPT" "iptables -A INPUT -j REJECT"
run range "iptables -A INPUT -j ACCEPT" "iptables -A INPUT -p tcp --dport 1000:2000 -j ACCEPT"
run insert "iptables -A INPUT -j ACCEPT; iptables -A INPUT -j DROP" "iptables -I INPUT 2 -j DROP"
run insert_head "iptables -A INPUT -j ACCEPT" "iptables -I INPUT -j DROP"
run delete "iptables -A INPUT -j ACCEPT; iptables -A INPUT -j DROP" "iptables -D INPUT 1"
run flush "iptables -A INPUT -j ACCEPT; iptables -A INPUT -j DROP" "iptables -F INPUT"
run delchain "iptables -N FOO" "iptables -X FOO"
run policy "iptables -A INPUT -j ACCEPT" "iptables -P INPUT DROP"
printf '*filter\n:INPUT ACCEPT [5:100]\n:FORWARD DROP [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n' >"$out/r.txt"
run restore "" "iptables-restore -c $out/r.txt"
run replace "iptables -A INPUT -j ACCEPT; iptables -A INPUT -j ACCEPT" "iptables -R INPUT 2 -j DROP"
run ip6 "" "ip6tables -A INPUT -s 2001:db8::/32 -j ACCEPT"
run save "iptables -A INPUT -i eth0 -j ACCEPT; iptables -P FORWARD DROP; iptables -N FOO; \
    iptables -A FOO -s 192.0.2.0/24 -j RETURN" "iptables-save"
run save12 "iptables -A INPUT -s 192.0.0.0/12 -j RETURN; \
    iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT; iptables -N FOO; \
    iptables -A INPUT -p tcp --dport 1000:2000 -j REJECT; iptables -A INPUT -j FOO" "iptables-save"
run nfterr "iptables -N FOO; iptables -A INPUT -j FOO" "nft delete chain ip filter FOO"
run limit "iptables -A INPUT -j ACCEPT" "nft add rule ip filter INPUT limit rate 10/second counter accept"
run metaset "iptables -A INPUT -j ACCEPT" "nft add rule ip filter INPUT meta mark set 1"
run udata "iptables -A INPUT -j ACCEPT" "nft add rule ip filter INPUT counter accept comment hello"
python3 "$(dirname "$0")/libnftnl_build.py" >"$out/libnftnl_build.hex"
