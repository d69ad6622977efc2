#!/usr/bin/env python3
# Builds messages with libnftnl itself (libnftnl.so.11 through ctypes, no headers needed) to
# show its attribute order for fields iptables never sends together: a rule with USERDATA and
# POSITION, a chain and a table with every field set. Prints one hex message per line.
import ctypes
import struct

L = ctypes.CDLL("libnftnl.so.11")
V = ctypes.c_void_p
U16, U32, U64, S32, STR = ctypes.c_uint16, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int32, ctypes.c_char_p
for f in ["nftnl_rule_alloc", "nftnl_chain_alloc", "nftnl_table_alloc", "nftnl_expr_alloc",
          "nftnl_nlmsg_build_hdr"]:
    getattr(L, f).restype = V
L.nftnl_expr_alloc.argtypes = [STR]
L.nftnl_expr_set_u64.argtypes = [V, U16, U64]
L.nftnl_rule_add_expr.argtypes = [V, V]
L.nftnl_rule_set_data.argtypes = [V, U16, V, U32]
L.nftnl_chain_set_s32.argtypes = [V, U16, S32]
for o in ["rule", "chain", "table"]:
    getattr(L, f"nftnl_{o}_set_str").argtypes = [V, U16, STR]
    getattr(L, f"nftnl_{o}_set_u32").argtypes = [V, U16, U32]
    getattr(L, f"nftnl_{o}_set_u64").argtypes = [V, U16, U64]
    getattr(L, f"nftnl_{o}_nlmsg_build_payload").argtypes = [V, V]
L.nftnl_nlmsg_build_hdr.argtypes = [STR, U16, U16, U16, U32]


def build(obj, o, msg_type, flags, seq):
    buf = ctypes.create_string_buffer(4096)
    nlh = L.nftnl_nlmsg_build_hdr(buf, (10 << 8) | msg_type, 2, flags, seq)
    getattr(L, f"nftnl_{o}_nlmsg_build_payload")(nlh, obj)
    n = struct.unpack_from("<I", buf.raw)[0]
    print(buf.raw[:n].hex())


# Rule: NFTNL_RULE_TABLE 1, CHAIN 2, COMPAT_PROTO 4, COMPAT_FLAGS 5, POSITION 6, USERDATA 7.
r = L.nftnl_rule_alloc()
L.nftnl_rule_set_str(r, 1, b"filter")
L.nftnl_rule_set_str(r, 2, b"INPUT")
L.nftnl_rule_set_u64(r, 6, 7)
ud = b"\x00\x03hi\x00"
L.nftnl_rule_set_data(r, 7, ud, len(ud))
L.nftnl_rule_set_u32(r, 4, 6)
L.nftnl_rule_set_u32(r, 5, 0)
e = L.nftnl_expr_alloc(b"counter")
L.nftnl_expr_set_u64(e, 1, 3)  # NFTNL_EXPR_CTR_PACKETS
L.nftnl_expr_set_u64(e, 2, 4)  # NFTNL_EXPR_CTR_BYTES
L.nftnl_rule_add_expr(r, e)
build(r, "rule", 6, 0x401, 9)

# Chain: NAME 0, TABLE 2, HOOKNUM 3, PRIO 4, POLICY 5, USE 6, BYTES 7, PACKETS 8, HANDLE 9,
# TYPE 10, FLAGS 13.
c = L.nftnl_chain_alloc()
L.nftnl_chain_set_str(c, 0, b"INPUT")
L.nftnl_chain_set_str(c, 2, b"mangle")
L.nftnl_chain_set_u32(c, 3, 1)
L.nftnl_chain_set_s32(c, 4, -150)
L.nftnl_chain_set_u32(c, 5, 1)
L.nftnl_chain_set_u32(c, 6, 7)
L.nftnl_chain_set_u64(c, 7, 100)
L.nftnl_chain_set_u64(c, 8, 5)
L.nftnl_chain_set_u64(c, 9, 42)
L.nftnl_chain_set_str(c, 10, b"filter")
L.nftnl_chain_set_u32(c, 13, 1)
build(c, "chain", 3, 0x401, 3)

# Table: NAME 0, FLAGS 2, HANDLE 4 (USE 3 is set but libnftnl does not send it).
t = L.nftnl_table_alloc()
L.nftnl_table_set_str(t, 0, b"filter")
L.nftnl_table_set_u32(t, 2, 0)
L.nftnl_table_set_u32(t, 3, 4)
L.nftnl_table_set_u64(t, 4, 9)
build(t, "table", 0, 0x401, 2)
