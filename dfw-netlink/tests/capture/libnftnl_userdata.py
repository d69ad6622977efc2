#!/usr/bin/env python3
# Builds one NEWRULE with libnftnl itself (libnftnl.so.11 through ctypes, no headers needed) to
# show where libnftnl puts NFTA_RULE_USERDATA. Prints the message as hex.
import ctypes, struct
L = ctypes.CDLL("libnftnl.so.11")
L.nftnl_rule_alloc.restype = ctypes.c_void_p
L.nftnl_expr_alloc.restype = ctypes.c_void_p
L.nftnl_nlmsg_build_hdr.restype = ctypes.c_void_p
L.nftnl_rule_set_str.argtypes=[ctypes.c_void_p, ctypes.c_uint16, ctypes.c_char_p]
L.nftnl_rule_set_u32.argtypes=[ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint32]
L.nftnl_rule_set_u64.argtypes=[ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint64]
L.nftnl_rule_set_data.argtypes=[ctypes.c_void_p, ctypes.c_uint16, ctypes.c_void_p, ctypes.c_uint32]
L.nftnl_rule_add_expr.argtypes=[ctypes.c_void_p, ctypes.c_void_p]
L.nftnl_rule_nlmsg_build_payload.argtypes=[ctypes.c_void_p, ctypes.c_void_p]
L.nftnl_nlmsg_build_hdr.argtypes=[ctypes.c_char_p, ctypes.c_uint16, ctypes.c_uint16, ctypes.c_uint16, ctypes.c_uint32]
buf = ctypes.create_string_buffer(4096)
r = L.nftnl_rule_alloc()
L.nftnl_rule_set_str(r, 1, b"filter"); L.nftnl_rule_set_str(r, 2, b"INPUT")
L.nftnl_rule_set_u64(r, 6, 7)
ud = b"\x00\x03hi\x00"
L.nftnl_rule_set_data(r, 7, ud, len(ud))
L.nftnl_rule_set_u32(r, 4, 6); L.nftnl_rule_set_u32(r, 5, 0)
L.nftnl_expr_set_u64.argtypes=[ctypes.c_void_p, ctypes.c_uint16, ctypes.c_uint64]
e = L.nftnl_expr_alloc(b"counter"); L.nftnl_expr_set_u64(e, 1, 3); L.nftnl_expr_set_u64(e, 2, 4); L.nftnl_rule_add_expr(r, e)
nlh = L.nftnl_nlmsg_build_hdr(buf, (10<<8)|6, 2, 0x401, 9)
L.nftnl_rule_nlmsg_build_payload(nlh, r)
n = struct.unpack_from('<I', buf.raw)[0]
print(buf.raw[:n].hex())
