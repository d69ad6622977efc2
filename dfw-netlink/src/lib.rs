//! dfw-netlink: the nf_tables codec (model <-> nfnetlink bytes, pure) and the transport
//! (the only code in dfw that opens a socket).
