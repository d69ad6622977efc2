#!/usr/bin/env python3
"""Capture the NEWRULE messages iptables sends: run under `unshare -n`.
usage: xtcap.py 'iptables -A INPUT ...' ['ip6tables ...' ...]  (setup cmds prefixed with '!' run without capture)"""
import subprocess, sys, struct, re

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

def expr_str(e):
    name, data = None, b''
    for t, v in attrs(e):
        if t == 1: name = v.rstrip(b'\0').decode()
        if t == 2: data = v
    a = {t: v for t, v in attrs(data)}
    if name in ('match', 'target'):
        n = a[1].rstrip(b'\0').decode(); rev = struct.unpack('>I', a[2])[0]
        return f'{name} {n} rev {rev} len {len(a[3])} info={a[3].hex()}'
    if name == 'counter':
        return f'counter pkts {struct.unpack(">Q", a[2])[0]} bytes {struct.unpack(">Q", a[1])[0]}'
    return f'{name} ' + ' '.join(f'{t}:{v.hex()}' for t, v in a.items())

def main():
    for cmd in sys.argv[1:]:
        if cmd.startswith('!'):
            subprocess.run(cmd[1:], shell=True, check=True); continue
        subprocess.run(['strace', '-f', '-e', 'trace=sendmsg', '-e', 'write=all', '-o', '/tmp/xtc/st.txt', 'sh', '-c', cmd], check=True)
        print('$', cmd)
        for buf in hexdump_bufs('/tmp/xtc/st.txt'):
            i = 0
            while i + 16 <= len(buf):
                ln, ty = struct.unpack_from('<IH', buf, i)
                if ln < 16: break
                if ty == (10 << 8) | 6:
                    body = buf[i+20:i+ln]
                    for t, v in attrs(body):
                        if t == 4:
                            for _, e in attrs(v): print('  ', expr_str(e))
                        if t == 5:
                            c = {tt: struct.unpack('>I', vv)[0] for tt, vv in attrs(v)}
                            print('   compat', c)
                i += (ln + 3) & ~3
main()
