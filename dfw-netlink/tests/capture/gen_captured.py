#!/usr/bin/env python3
"""Turns the strace hex dumps written by capture.sh into ../support/common/captured.rs.

Usage: python3 gen_captured.py OUTDIR > ../support/common/captured.rs
Process ids, generation ids and handles in the replies differ from run to run; the tests
were written against the committed file.
"""
import re
import struct
import sys
import textwrap

DIR = sys.argv[1]


def calls(name):
    """(syscall, bytes) for every netlink syscall in one strace file, from its hex dump."""
    out, cur = [], None
    for line in open(f"{DIR}/{name}.strace"):
        m = re.match(r"^\d+\s+(sendto|sendmsg|recvmsg|recvfrom)\(", line)
        if m:
            cur = [m.group(1), bytearray()]
            out.append(cur)
            continue
        m = re.match(r"^ \| ([0-9a-f]{5})  (.{48})", line)
        if m and cur is not None:
            cur[1] += bytes.fromhex(m.group(2).replace(" ", ""))
    return out


def split(b):
    o, out = 0, []
    while o + 16 <= len(b):
        n = struct.unpack_from("<I", b, o)[0]
        out.append(bytes(b[o:o + n]))
        o += (n + 3) & ~3
    return out


def kind(m):
    return struct.unpack_from("<H", m, 4)[0]


def msgs(name, call=None, want=None):
    return [m for c, b in calls(name) if call in (None, c) for m in split(bytes(b))
            if want is None or kind(m) == want]


def attrs(p):
    o, out = 0, []
    while o + 4 <= len(p):
        n, t = struct.unpack_from("<HH", p, o)
        out.append((t & 0x3fff, bytes(p[o:o + ((n + 3) & ~3)]), bytes(p[o + 4:o + n])))
        o += (n + 3) & ~3
    return out


def exprs(name):
    """The NFTA_LIST_ELEM attributes of the first NEWRULE a command sent."""
    rule = msgs(name, "sendmsg", 0x0a06)[0]
    nest = [p for t, _, p in attrs(rule[20:]) if t == 4][0]
    return [full for _, full, _ in attrs(nest)]


OUT = []


def const(name, doc, b):
    h = b.hex()
    lines = [h[i:i + 64] for i in range(0, len(h), 64)]
    body = "".join(f'    "{x}",\n' for x in lines)
    docs = "".join(f"/// {x}\n" for x in textwrap.wrap(doc, 96))
    OUT.append(f"{docs}pub const {name}: &str = concat!(\n{body});\n")


NEWRULE, ERROR = 0x0a06, 2
e = exprs("append_iif")
const("EXPR_META_IIFNAME", "`iptables -A INPUT -i eth0 -j ACCEPT`: meta load iifname => reg 1", e[0])
const("EXPR_CMP_ETH0", 'same rule: cmp eq reg 1 "eth0\\0"', e[1])
const("EXPR_COUNTER", "same rule: counter pkts 0 bytes 0", e[2])
const("EXPR_IMM_ACCEPT", "same rule: immediate reg 0 accept", e[3])
e = exprs("wildcard")
const("EXPR_CMP_ETH_WILDCARD", '`iptables -A INPUT -i eth+ -j DROP`: cmp eq reg 1 "eth" (no NUL)', e[1])
const("EXPR_IMM_DROP", "same rule: immediate reg 0 drop", e[3])
e = exprs("slash12")
const("EXPR_PAYLOAD_SADDR", "`iptables -A INPUT -s 192.0.0.0/12 -j RETURN`: payload load 4b @ "
      "network header + 12 => reg 1", e[0])
const("EXPR_BITWISE_12", "same rule: bitwise reg 1 = (reg 1 & 0x0000f0ff) ^ 0", e[1])
const("EXPR_CMP_SADDR", "same rule: cmp eq reg 1 0x000000c0", e[2])
const("EXPR_IMM_RETURN", "same rule: immediate reg 0 return", e[4])
e = exprs("l4proto")
const("EXPR_META_L4PROTO", "`iptables -A INPUT -p tcp -j ACCEPT`: meta load l4proto => reg 1", e[0])
const("EXPR_CMP_TCP", "same rule: cmp eq reg 1 0x06", e[1])
const("EXPR_IMM_JUMP", "`iptables -A INPUT -j FOO`: immediate reg 0 jump -> FOO", exprs("jump")[1])
const("EXPR_IMM_GOTO", "`iptables -A INPUT -g FOO`: immediate reg 0 goto -> FOO", exprs("goto")[1])
const("EXPR_MATCH_CONNTRACK", "`iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j "
      "ACCEPT`: match name conntrack rev 3 (168-byte info)", exprs("conntrack")[0])
const("EXPR_TARGET_REJECT", "`iptables -A INPUT -j REJECT`: target name REJECT rev 0 "
      "(ipt_reject_info: port-unreach)", exprs("reject")[1])
e = exprs("range")
const("EXPR_PAYLOAD_DPORT", "`iptables -A INPUT -p tcp --dport 1000:2000 -j ACCEPT`: payload load "
      "2b @ transport header + 2 => reg 1", e[2])
const("EXPR_RANGE_DPORT", "same rule: range eq reg 1 0x03e8 0x07d0", e[3])
const("BATCH_APPEND_IIF", "whole sendmsg of `iptables -A INPUT -i eth0 -j ACCEPT` in an empty "
      "netns: BEGIN(genid 1), NEWTABLE filter, NEWCHAIN INPUT, NEWRULE, END; seq 1..5",
      b"".join(msgs("append_iif", "sendmsg")))
m = msgs("newchain_user", "sendmsg")
const("MSG_BEGIN_GENID2", "`iptables -N FOO`: BATCH_BEGIN seq 1 genid 2", m[0])
const("MSG_NEWCHAIN_USER", "`iptables -N FOO`: NEWCHAIN filter FOO, NLM_F_EXCL, seq 2", m[1])
const("MSG_END_SEQ3", "`iptables -N FOO`: BATCH_END seq 3", m[2])
const("MSG_NEWRULE_INSERT", "`iptables -I INPUT 2 -j DROP`: NEWRULE with POSITION = handle 3, "
      "NLM_F_CREATE, seq 2", msgs("insert", "sendmsg")[1])
const("MSG_NEWRULE_INSERT_HEAD", "`iptables -I INPUT -j DROP`: NEWRULE without POSITION, "
      "NLM_F_CREATE, seq 2", msgs("insert_head", "sendmsg")[1])
const("MSG_DELRULE_IPTABLES", "`iptables -D INPUT 1`: DELRULE handle 2, seq 2 (iptables resends "
      "the expressions)", msgs("delete", "sendmsg")[1])
const("MSG_FLUSH", "`iptables -F INPUT`: DELRULE with TABLE and CHAIN only, seq 2",
      msgs("flush", "sendmsg")[1])
const("MSG_DELCHAIN_IPTABLES", "`iptables -X FOO`: DELCHAIN, NLM_F_NONREC, seq 2 (iptables adds "
      "USE = 0)", msgs("delchain", "sendmsg")[1])
const("MSG_NEWCHAIN_POLICY", "`iptables -P INPUT DROP`: NEWCHAIN (no create flag) with POLICY 0 "
      "and COUNTERS, seq 2", msgs("policy", "sendmsg")[1])
const("MSG_NEWCHAIN_COUNTERS", "`iptables-restore -c` of `:INPUT ACCEPT [5:100]`: NEWCHAIN with "
      "COUNTERS{PACKETS 5, BYTES 100}, seq 4", msgs("restore", "sendmsg")[3])
sends = msgs("save", "sendto")
const("MSG_GETGEN", "`iptables-save`: GETGEN request (seq 0)", sends[0])
const("MSG_GETTABLE_DUMP", "`iptables-save`: GETTABLE dump, family ip", sends[1])
const("MSG_GETCHAIN_DUMP", "`iptables-save`: GETCHAIN dump, family ip", sends[2])
const("MSG_GETRULE_DUMP_CHAIN", "`iptables-save`: GETRULE dump of ip filter INPUT",
      [s for s in sends if kind(s) == 0x0a07][0])
const("MSG_GETCHAIN_ONE", "`iptables -A`: GETCHAIN filter FORWARD with NLM_F_ACK (cache fill)",
      msgs("append_iif", "sendto")[2])
recv = msgs("save", "recvmsg")
const("REPLY_NEWGEN", '`iptables-save`: kernel NEWGEN reply, genid 5, pid 10359, "iptables-save"',
      recv[0])
const("REPLY_TABLE", "`iptables-save`: kernel table dump entry ip filter", recv[1])
const("REPLY_DONE", "`iptables-save`: NLMSG_DONE ending the table dump", recv[2])
const("REPLY_CHAIN_INPUT", "`iptables-save`: kernel chain dump entry ip filter INPUT (base, "
      "policy accept)", recv[3])
const("REPLY_CHAIN_FORWARD", "`iptables-save`: kernel chain dump entry ip filter FORWARD (policy "
      "drop, counters)", recv[4])
const("REPLY_CHAIN_USER", "`iptables-save`: kernel chain dump entry ip filter FOO (user chain)",
      recv[5])
rr = [r for r in recv if kind(r) == NEWRULE]
const("REPLY_RULE_IIF", "`iptables-save`: kernel rule dump ip filter INPUT handle 2 (-i eth0 -j "
      "ACCEPT)", rr[0])
const("REPLY_RULE_SADDR", "`iptables-save`: kernel rule dump ip filter FOO handle 5 (-s "
      "192.0.2.0/24 -j RETURN)", rr[1])
const("REPLY_ERROR_EBUSY_EXTACK", "`nft delete chain ip filter FOO` (FOO referenced): NLMSG_ERROR "
      "-EBUSY for seq 1 with ext-ack OFFS", msgs("nfterr", "recvmsg", ERROR)[0])
const("REPLY_ERROR_ENOENT", "`iptables -A` cache fill: NLMSG_ERROR -ENOENT for GETCHAIN filter "
      "FORWARD (no ext-ack)", msgs("append_iif", "recvmsg", ERROR)[0])
const("EXPR_LIMIT_NFT", "`nft add rule ip filter INPUT limit rate 10/second counter accept` (nft "
      "1.0.6, libnftnl 1.2.4): limit rate 10/second burst 5 type packets flags 0x0",
      exprs("limit")[0])
rr = msgs("save12", "recvmsg", NEWRULE)
const("REPLY_RULE_SLASH12", "`iptables-save` after `-A INPUT -s 192.0.0.0/12 -j RETURN`: kernel "
      "rule dump (bitwise with NFTA_BITWISE_OP, no NLA_F_NESTED)", rr[0])
const("REPLY_RULE_CONNTRACK", "same dump: `-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j "
      "ACCEPT`", rr[1])
const("REPLY_RULE_RANGE_REJECT", "same dump: `-A INPUT -p tcp --dport 1000:2000 -j REJECT` (rule "
      "has POSITION = previous handle)", rr[2])
const("REPLY_RULE_JUMP", "same dump: `-A INPUT -j FOO`", rr[3])
e = exprs("metaset")
const("EXPR_IMM_VALUE_1", "`nft add rule ip filter INPUT meta mark set 1`: immediate reg 1 "
      "0x00000001", e[0])
const("EXPR_META_SET_MARK", "same rule: meta set mark with reg 1 (KEY, SREG: not a load)", e[1])
const("BATCH_IP6_SADDR", "whole sendmsg of `ip6tables -A INPUT -s 2001:db8::/32 -j ACCEPT` in an "
      "empty netns: BEGIN(genid 1), NEWTABLE, NEWCHAIN INPUT, NEWRULE, END (family ip6)",
      b"".join(msgs("ip6", "sendmsg")))
const("MSG_NEWRULE_REPLACE", "`iptables -R INPUT 2 -j DROP`: NEWRULE with HANDLE 3, "
      "NLM_F_REPLACE|NLM_F_CREATE, seq 2", msgs("replace", "sendmsg")[1])
const("MSG_NEWRULE_NFT_COMMENT", "`nft add rule ip filter INPUT counter accept comment hello` (nft "
      "1.0.6): NEWRULE with USERDATA 00 06 \"hello\\0\" (nft puts it after EXPRESSIONS)",
      msgs("udata", "sendmsg", NEWRULE)[0])
LIB = [bytes.fromhex(x) for x in open(f"{DIR}/libnftnl_build.hex").read().split()]
const("MSG_NEWRULE_LIBNFTNL_USERDATA", "Not from strace: built by libnftnl 1.2.4 itself "
      "(libnftnl_build.py: libnftnl.so.11 through ctypes, nftnl_rule_nlmsg_build_payload) to "
      "pin where USERDATA goes (before EXPRESSIONS): table filter, chain INPUT, POSITION 7, "
      'USERDATA 00 03 "hi\\0", counter (packets 3, bytes 4), COMPAT {6, 0}; flags CREATE, seq 9.',
      LIB[0])
const("MSG_NEWCHAIN_LIBNFTNL_ALL", "Not from strace: built by libnftnl 1.2.4 (libnftnl_build.py) "
      "with every chain field set: mangle INPUT, hook 1 priority -150, policy accept, use 7, "
      "counters (5 packets, 100 bytes), handle 42, type filter, flags 1; flags CREATE, seq 3.",
      LIB[1])
const("MSG_NEWTABLE_LIBNFTNL_ALL", "Not from strace: built by libnftnl 1.2.4 (libnftnl_build.py) "
      "with name filter, flags 0, handle 9 and use 4 (which libnftnl does not send); flags "
      "CREATE, seq 2.", LIB[2])

print("""//! Bytes captured on this machine (Debian 12, kernel 6.18, iptables 1.8.9 nf_tables,
//! libnftnl 1.2.4, libmnl 1.0.4, nft 1.0.6) by `tests/capture/capture.sh` (strace of each
//! command in a fresh `unshare -n` namespace) and generated by `tests/capture/gen_captured.py`.
//! Do not edit by hand: regenerate, `cargo fmt`, then fix the tests for the pids, genids and
//! handles that change from run to run.
#![allow(dead_code, clippy::useless_concat)]
""")
print("\n".join(OUT), end="")
