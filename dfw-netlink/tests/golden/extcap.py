#!/usr/bin/env python3
"""For each line of testdata/conformance/ext.rules: run `iptables -A` of the given release
under strace in a fresh network namespace (unshare -n) and print, tab-separated, (family, spec,
kind, name, rev, hex) of every xt match/target (the NFTA_*_INFO blob) and native limit/log (the
whole NFTA_LIST_ELEM). usage (root): extcap.py IPT > rows.tsv, IPT being a command prefix that
runs iptables/ip6tables of a release, e.g. "" for the system's 1.8.9 or
"env LD_LIBRARY_PATH=... XTABLES_LIBDIR=... .../xtables-nft-multi" for .ci/iptables-oracles'
1.8.7. xt_golden/ext_captured.rs holds its output (1.8.9; NFLOG rows from 1.8.7)."""
import subprocess, sys, struct, re, shlex
import os
ipt = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
os.makedirs('/tmp/xtc', exist_ok=True)
rules = [l for l in open(os.path.join(here, '../../../testdata/conformance/ext.rules')) if l.strip() and not l.startswith('#')]
def hexdump_bufs(path):
    bufs, cur = [], None
    for line in open(path):
        if re.match(r'^\d+\s+\* \d+ bytes in buffer', line) or line.lstrip().startswith('* '):
            cur = bytearray(); bufs.append(cur); continue
        m = re.match(r'^\s*(?:\d+\s+)?\| [0-9a-f]{5}  (.{48})', line)
        if m and cur is not None:
            cur.extend(bytes.fromhex(m.group(1).replace(' ', '')))
    return bufs
def attrs(b):
    i = 0
    while i + 4 <= len(b):
        ln, ty = struct.unpack_from('<HH', b, i)
        if ln < 4: break
        yield ty & 0x3fff, b[i+4:i+ln]
        i += (ln + 3) & ~3
for l in rules:
    fam, table, chain, args = l.rstrip('\n').split(' ', 3)
    tool = 'iptables' if fam == '4' else 'ip6tables'
    pre = f'{ipt} {tool} -t {table}'.strip()
    setup = '' if chain in ('INPUT','FORWARD','OUTPUT','PREROUTING','POSTROUTING') else f'{pre} -N {chain};'
    script = f"cd /tmp/xtc; {setup} strace -f -qq -e trace=sendmsg -e write=all -o /tmp/xtc/g.txt {pre} -A {chain} {args}"
    subprocess.run(['unshare', '-n', 'bash', '-c', script], check=True)
    for buf in hexdump_bufs('/tmp/xtc/g.txt'):
        i = 0
        while i + 16 <= len(buf):
            ln, ty = struct.unpack_from('<IH', buf, i)
            if ln < 16: break
            if ty == (10 << 8) | 6:
                for t, v in attrs(buf[i+20:i+ln]):
                    if t != 4: continue
                    for _, e in attrs(v):
                        ea = dict(attrs(e)); name = ea[1].rstrip(b'\0').decode(); d = dict(attrs(ea.get(2, b'')))
                        if name in ('match', 'target'):
                            n = d[1].rstrip(b'\0').decode(); rev = struct.unpack('>I', d[2])[0]
                            print(f"{fam}\t{args}\t{name}\t{n}\t{rev}\t{d[3].hex()}")
                        elif name in ('limit', 'log'):
                            print(f"{fam}\t{args}\t{name}\t-\t-\t{e.hex()}")
            i += (ln + 3) & ~3
