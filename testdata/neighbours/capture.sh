#!/bin/bash
# Captures what real ufw, fail2ban and a CrowdSec-style ipset bouncer write, each in its own
# private network namespace (ufw also in a private mount namespace over copies of /etc/ufw and
# /lib/ufw), never the host's firewall or configuration. Needs root and Debian 12's ufw,
# fail2ban and ipset packages (apt-get install ufw fail2ban ipset; policy-rc.d keeps their
# services from starting). Writes NAME.v4/NAME.v6 (iptables-save output without its timestamp
# comments) here; files whose rules use `-m set` get the suffix .set-v4/.set-v6 (dfw does not
# parse `-m set` yet). Usage: ./capture.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

save() { # NAME: iptables-save and ip6tables-save of the current namespace into NAME.*
    local suffix=v4 suffix6=v6
    if iptables-save | grep -q -- "-m set"; then suffix=set-v4; suffix6=set-v6; fi
    iptables-save | grep -v '^# [GC]' >"$here/$1.$suffix"
    ip6tables-save | grep -v '^# [GC]' >"$here/$1.$suffix6"
}
export -f save
export here

# ufw 0.36.2: enable with allow, limit, deny and route rules.
unshare -n -m --propagation private bash -euo pipefail -c "
cp -a /etc/ufw $tmp/etc-ufw; cp -a /lib/ufw $tmp/lib-ufw; cp /etc/default/ufw $tmp/default-ufw
mount --bind $tmp/etc-ufw /etc/ufw; mount --bind $tmp/lib-ufw /lib/ufw
mount --bind $tmp/default-ufw /etc/default/ufw
ip link set lo up
ufw --force enable >/dev/null
ufw allow 22/tcp >/dev/null
ufw limit 2222/tcp >/dev/null
ufw allow from 192.0.2.0/24 to any port 80 proto tcp >/dev/null
ufw allow 53/udp >/dev/null
ufw deny from 198.51.100.7 >/dev/null
ufw allow in on eth0 to any port 443 proto tcp >/dev/null
ufw route allow in on eth0 out on docker0 to 172.17.0.2 port 80 proto tcp >/dev/null
ufw logging medium >/dev/null
save ufw
"

# fail2ban 1.0.2: a real fail2ban-server with jail sshd (ports 22 and 2222) banning
# 192.0.2.10 and 2001:db8::10 through the given banaction (and jail options).
f2b() { # NAME BANACTION [JAIL-LINES]
    local name=$1 action=$2 extra=${3:-} w
    w=$(mktemp -d "$tmp/f2b.XXXX")
    cp -a /etc/fail2ban "$w/conf"
    rm -f "$w/conf/jail.d/"*
    : >"$w/auth.log"
    printf '[Definition]\ndbfile = :memory:\nlogtarget = %s\nsocket = %s\npidfile = %s\n' \
        "$w/server.log" "$w/f2b.sock" "$w/f2b.pid" >"$w/conf/fail2ban.local"
    printf '[DEFAULT]\nbackend = polling\n[sshd]\nenabled = true\nport = ssh,2222\nlogpath = %s\nbanaction = %s\n%s\n' \
        "$w/auth.log" "$action" "$extra" >"$w/conf/jail.local"
    unshare -n bash -euo pipefail -c "
    ip link set lo up
    iptables -N DOCKER-USER; ip6tables -N DOCKER-USER
    fail2ban-server -c $w/conf -b -x >/dev/null 2>&1
    for i in \$(seq 100); do fail2ban-client -c $w/conf ping >/dev/null 2>&1 && break; sleep 0.1; done
    fail2ban-client -c $w/conf set sshd banip 192.0.2.10 >/dev/null
    fail2ban-client -c $w/conf set sshd banip 2001:db8::10 >/dev/null
    # The ban runs in the server's action thread: wait for both families to show it.
    for i in \$(seq 100); do
        { iptables-save; ipset list 2>/dev/null; } | grep -q 192.0.2.10 &&
        { ip6tables-save; ipset list 2>/dev/null; } | grep -q 2001:db8::10 && break
        sleep 0.1
    done
    save $name
    fail2ban-client -c $w/conf stop >/dev/null 2>&1 || true
    "
}
f2b fail2ban-multiport iptables-multiport
f2b fail2ban-multiport-docker-user iptables-multiport 'chain = DOCKER-USER'
f2b fail2ban-multiport-log iptables-multiport-log
f2b fail2ban-allports iptables-allports
f2b fail2ban-xt-recent iptables-xt_recent-echo
f2b fail2ban-ipset 'iptables-ipset[type=multiport]'
f2b fail2ban-ipset-docker-user 'iptables-ipset[type=multiport]' 'chain = DOCKER-USER'
f2b fail2ban-ipset-allports iptables-ipset-proto6-allports

# A CrowdSec-style bouncer: ipsets and `-m set --match-set X src -j DROP` at the head of INPUT
# and DOCKER-USER, as cs-firewall-bouncer's iptables mode inserts them.
unshare -n bash -euo pipefail -c "
iptables -N DOCKER-USER; ip6tables -N DOCKER-USER
ipset create crowdsec-blacklists hash:ip timeout 0 maxelem 131072
ipset create crowdsec6-blacklists hash:ip timeout 0 family inet6 maxelem 131072
ipset add crowdsec-blacklists 198.51.100.66; ipset add crowdsec6-blacklists 2001:db8::66
for c in INPUT DOCKER-USER; do
    iptables -I \$c 1 -m set --match-set crowdsec-blacklists src -j DROP
    ip6tables -I \$c 1 -m set --match-set crowdsec6-blacklists src -j DROP
done
save crowdsec-ipset
"
ls "$here"
