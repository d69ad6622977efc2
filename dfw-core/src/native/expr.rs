//! Native nf_tables expressions as the kernel holds them: a small register machine.
//!
//! Contract: one variant per expression the evaluator and the printer understand, with the
//! kernel's own numbers (registers, keys, flags) so nothing is lost in translation; anything
//! else is [`Expr::Other`] by name (the evaluator treats it as undecidable, never as a no-op
//! unless it is known not to change the packet's fate). Register numbers follow
//! `enum nft_registers`: 0 is the verdict register, 1-4 the 16-byte registers, 8-23 the 4-byte
//! ones (1 overlaps 8-11, ...).

/// A register number as the kernel numbers it.
pub type Reg = u32;

/// `payload` bases (`enum nft_payload_bases`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PayloadBase {
    /// Link-layer header.
    Link,
    /// Network header.
    Network,
    /// Transport header.
    Transport,
    /// Inner headers (tunnels), not modelled.
    Inner,
}

/// `cmp` / `range` operators (`enum nft_cmp_ops`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`.
    Eq,
    /// `!=`.
    Neq,
    /// `<`.
    Lt,
    /// `<=`.
    Lte,
    /// `>`.
    Gt,
    /// `>=`.
    Gte,
}

/// A verdict (`immediate` into the verdict register, or a verdict map's data).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// `accept`.
    Accept,
    /// `drop`.
    Drop,
    /// `return`.
    Return,
    /// `continue`.
    Continue,
    /// `jump CHAIN`.
    Jump(String),
    /// `goto CHAIN`.
    Goto(String),
    /// `queue` and other codes, by number.
    Other(i32),
}

/// Data an `immediate` loads or a map yields.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Data {
    /// Bytes, as they sit in the register.
    Value(Vec<u8>),
    /// A verdict.
    Verdict(Verdict),
}

/// `nat` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NatKind {
    /// `snat`.
    Snat,
    /// `dnat`.
    Dnat,
}

/// `reject` type (`enum nft_reject_types`) with its ICMP code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectKind {
    /// ICMP (v4 or v6 by family) unreachable with this code.
    Icmp(u8),
    /// TCP reset.
    TcpRst,
    /// `icmpx` (family-independent) code.
    Icmpx(u8),
}

/// One native expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `payload load LEN @ BASE + OFFSET => DREG`.
    Payload {
        /// Header.
        base: PayloadBase,
        /// Offset in bytes.
        offset: u32,
        /// Length in bytes.
        len: u32,
        /// Destination register.
        dreg: Reg,
    },
    /// `meta load KEY => DREG` (`enum nft_meta_keys`).
    Meta {
        /// Key.
        key: u32,
        /// Destination register.
        dreg: Reg,
    },
    /// `meta set KEY <= SREG`.
    MetaSet {
        /// Key.
        key: u32,
        /// Source register.
        sreg: Reg,
    },
    /// `ct load KEY [DIR] => DREG` (`enum nft_ct_keys`).
    Ct {
        /// Key.
        key: u32,
        /// Direction (0 original, 1 reply) for tuple keys.
        dir: Option<u8>,
        /// Destination register.
        dreg: Reg,
    },
    /// `ct set KEY <= SREG`.
    CtSet {
        /// Key.
        key: u32,
        /// Source register.
        sreg: Reg,
    },
    /// `cmp OP SREG DATA`.
    Cmp {
        /// Source register.
        sreg: Reg,
        /// Operator.
        op: CmpOp,
        /// Data.
        data: Vec<u8>,
    },
    /// `bitwise DREG = (SREG & MASK) ^ XOR`.
    Bitwise {
        /// Source register.
        sreg: Reg,
        /// Destination register.
        dreg: Reg,
        /// Length.
        len: u32,
        /// Mask.
        mask: Vec<u8>,
        /// Xor.
        xor: Vec<u8>,
    },
    /// `range OP SREG FROM TO`.
    Range {
        /// Source register.
        sreg: Reg,
        /// `Eq` or `Neq`.
        op: CmpOp,
        /// Low end.
        from: Vec<u8>,
        /// High end.
        to: Vec<u8>,
    },
    /// `byteorder DREG = hton/ntoh(SREG, LEN, SIZE)`.
    Byteorder {
        /// Source register.
        sreg: Reg,
        /// Destination register.
        dreg: Reg,
        /// True for host-to-network.
        hton: bool,
        /// Length.
        len: u32,
        /// Element size.
        size: u32,
    },
    /// `lookup SREG in @SET [=> DREG]`, inverted with `!=`.
    Lookup {
        /// Source register.
        sreg: Reg,
        /// The set's name (anonymous sets are named `__set%d`).
        set: String,
        /// Destination register for maps (0: a verdict map).
        dreg: Option<Reg>,
        /// `NFT_LOOKUP_F_INV`.
        invert: bool,
    },
    /// `fib FLAGS RESULT => DREG`.
    Fib {
        /// `NFTA_FIB_FLAGS` (saddr 1, daddr 2, mark 4, iif 8, oif 16, present 32).
        flags: u32,
        /// `NFTA_FIB_RESULT` (oif 1, oifname 2, type 3).
        result: u32,
        /// Destination register.
        dreg: Reg,
    },
    /// `snat`/`dnat` from registers.
    Nat {
        /// Kind.
        kind: NatKind,
        /// `NFPROTO_IPV4` or `NFPROTO_IPV6`.
        family: u32,
        /// Address registers (min, max).
        addr: Option<(Reg, Reg)>,
        /// Port registers (min, max).
        proto: Option<(Reg, Reg)>,
        /// `NF_NAT_RANGE_*` flags.
        flags: u32,
    },
    /// `masquerade` (with optional port registers).
    Masquerade {
        /// Flags.
        flags: u32,
        /// Port registers.
        proto: Option<(Reg, Reg)>,
    },
    /// `redirect` (with optional port registers).
    Redirect {
        /// Flags.
        flags: u32,
        /// Port registers.
        proto: Option<(Reg, Reg)>,
    },
    /// `reject`.
    Reject(RejectKind),
    /// `counter`.
    Counter {
        /// Packets.
        packets: u64,
        /// Bytes.
        bytes: u64,
    },
    /// `log`.
    Log {
        /// Prefix.
        prefix: Option<String>,
        /// Syslog level, when given.
        level: Option<u32>,
        /// NFLOG group, when given.
        group: Option<u16>,
    },
    /// `limit`.
    Limit {
        /// Rate.
        rate: u64,
        /// Unit in seconds.
        unit: u64,
        /// Burst.
        burst: u32,
        /// True for bytes, false for packets.
        bytes: bool,
        /// `over` (inverted).
        over: bool,
    },
    /// `quota`.
    Quota {
        /// Bytes.
        bytes: u64,
        /// Consumed so far.
        consumed: u64,
        /// `over` (inverted).
        over: bool,
    },
    /// `immediate DREG DATA`.
    Immediate {
        /// Destination register.
        dreg: Reg,
        /// The data.
        data: Data,
    },
    /// An iptables-nft compat match or target (`xt`), by name.
    Xt {
        /// True for a target.
        target: bool,
        /// Extension name.
        name: String,
        /// Revision.
        rev: u32,
    },
    /// Anything else, by expression name (or a known name in a form not modelled).
    Other {
        /// The kernel's expression name.
        name: String,
    },
}

impl Expr {
    /// True when the expression can neither change the packet's fate nor read or write a
    /// register the rule depends on (counter, log): the evaluator steps over it.
    pub fn is_passive(&self) -> bool {
        matches!(self, Expr::Counter { .. } | Expr::Log { .. })
    }
}
