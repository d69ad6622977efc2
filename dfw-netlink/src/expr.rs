//! nf_tables expressions as plain values: the contract between the rule codec (model ->
//! expressions, as iptables-nft builds them) and the wire codec (expressions -> attributes).
//!
//! Contract: every expression iptables-nft emits has a typed variant; anything else the kernel
//! holds is kept byte for byte in [`Expr::Other`], so a decoded rule re-encodes unchanged.

/// A register number (`NFT_REG_VERDICT` = 0, `NFT_REG_1` = 1, ...).
pub type Reg = u32;

/// `meta` keys (`enum nft_meta_keys`); only those iptables-nft uses are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MetaKey(pub u32);

impl MetaKey {
    /// `NFT_META_PROTOCOL`.
    pub const PROTOCOL: MetaKey = MetaKey(1);
    /// `NFT_META_MARK`.
    pub const MARK: MetaKey = MetaKey(3);
    /// `NFT_META_IIF`.
    pub const IIF: MetaKey = MetaKey(4);
    /// `NFT_META_OIF`.
    pub const OIF: MetaKey = MetaKey(5);
    /// `NFT_META_IIFNAME`.
    pub const IIFNAME: MetaKey = MetaKey(6);
    /// `NFT_META_OIFNAME`.
    pub const OIFNAME: MetaKey = MetaKey(7);
    /// `NFT_META_NFPROTO`.
    pub const NFPROTO: MetaKey = MetaKey(15);
    /// `NFT_META_L4PROTO`.
    pub const L4PROTO: MetaKey = MetaKey(16);
}

/// `payload` bases (`enum nft_payload_bases`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum PayloadBase {
    /// Link-layer header.
    LinkLayer = 0,
    /// Network header (IPv4/IPv6).
    Network = 1,
    /// Transport header.
    Transport = 2,
}

/// `cmp` and `range` operators (`enum nft_cmp_ops`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum CmpOp {
    /// `==`.
    Eq = 0,
    /// `!=`.
    Neq = 1,
    /// `<`.
    Lt = 2,
    /// `<=`.
    Lte = 3,
    /// `>`.
    Gt = 4,
    /// `>=`.
    Gte = 5,
}

/// A verdict, as `immediate` loads it into the verdict register.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// `NF_ACCEPT`.
    Accept,
    /// `NF_DROP`.
    Drop,
    /// `NFT_RETURN`.
    Return,
    /// `NFT_CONTINUE`.
    Continue,
    /// `NFT_BREAK`.
    Break,
    /// `NFT_JUMP` to a chain.
    Jump(String),
    /// `NFT_GOTO` to a chain.
    Goto(String),
    /// Any other code.
    Unknown(i32),
}

/// What an `immediate` loads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ImmediateData {
    /// A verdict (into `NFT_REG_VERDICT`).
    Verdict(Verdict),
    /// A value.
    Value(Vec<u8>),
}

/// The attributes of a `log` expression, each present or not.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct LogExpr {
    /// `NFTA_LOG_PREFIX` (without its NUL).
    pub prefix: Option<String>,
    /// `NFTA_LOG_GROUP`: nfnetlink_log group (NFLOG-style logging).
    pub group: Option<u16>,
    /// `NFTA_LOG_SNAPLEN`.
    pub snaplen: Option<u32>,
    /// `NFTA_LOG_QTHRESHOLD`.
    pub qthreshold: Option<u16>,
    /// `NFTA_LOG_LEVEL` (syslog-style logging).
    pub level: Option<u32>,
    /// `NFTA_LOG_FLAGS`.
    pub flags: Option<u32>,
}

/// One nf_tables expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `meta load KEY => dreg`.
    Meta {
        /// The key.
        key: MetaKey,
        /// Destination register.
        dreg: Reg,
    },
    /// `payload load LEN @ BASE + OFFSET => dreg`.
    Payload {
        /// Header base.
        base: PayloadBase,
        /// Offset in bytes.
        offset: u32,
        /// Length in bytes.
        len: u32,
        /// Destination register.
        dreg: Reg,
    },
    /// `cmp OP sreg DATA`.
    Cmp {
        /// Source register.
        sreg: Reg,
        /// Operator.
        op: CmpOp,
        /// Data compared with (as it sits in the register).
        data: Vec<u8>,
    },
    /// `bitwise dreg = (sreg & MASK) ^ XOR`.
    Bitwise {
        /// Source register.
        sreg: Reg,
        /// Destination register.
        dreg: Reg,
        /// Length in bytes.
        len: u32,
        /// Mask.
        mask: Vec<u8>,
        /// Xor.
        xor: Vec<u8>,
    },
    /// `range OP sreg FROM TO`.
    Range {
        /// Source register.
        sreg: Reg,
        /// Operator (`Eq` or `Neq`).
        op: CmpOp,
        /// Low end.
        from: Vec<u8>,
        /// High end.
        to: Vec<u8>,
    },
    /// `immediate dreg DATA`.
    Immediate {
        /// Destination register.
        dreg: Reg,
        /// The data.
        data: ImmediateData,
    },
    /// `counter`.
    Counter {
        /// Packets.
        packets: u64,
        /// Bytes.
        bytes: u64,
    },
    /// xt match (`match name NAME rev REV`, info blob).
    Match {
        /// Extension name.
        name: String,
        /// Revision.
        rev: u32,
        /// `NFTA_MATCH_INFO`: the xt info struct, XT_ALIGNed.
        info: Vec<u8>,
    },
    /// xt target (`target name NAME rev REV`, info blob).
    Target {
        /// Extension name.
        name: String,
        /// Revision.
        rev: u32,
        /// `NFTA_TARGET_INFO`: the xt info struct, XT_ALIGNed.
        info: Vec<u8>,
    },
    /// `limit rate RATE/UNIT burst BURST type TYPE flags FLAGS` (iptables-nft's `-m limit`).
    Limit {
        /// Packets (or bytes) per `unit`.
        rate: u64,
        /// The unit in seconds.
        unit: u64,
        /// Burst.
        burst: u32,
        /// `NFT_LIMIT_PKTS` (0) or `NFT_LIMIT_PKT_BYTES` (1).
        kind: u32,
        /// `NFT_LIMIT_F_INV` (1) or 0.
        flags: u32,
    },
    /// `log ...` (iptables-nft 1.8.8+ writes `-j NFLOG` as `log group N`).
    Log(LogExpr),
    /// Any other expression, kept as its name and the raw `NFTA_EXPR_DATA` payload.
    Other {
        /// Expression name (`lookup`, `limit`, `log`, ...).
        name: String,
        /// Raw attributes inside `NFTA_EXPR_DATA`.
        data: Vec<u8>,
    },
}
