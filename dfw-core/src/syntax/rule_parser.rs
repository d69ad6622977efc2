//! The rule part of a command line: header options (`-s -d -i -o -p`), extension matches
//! (`-m`, or the protocol's match loaded implicitly) and the target (`-j`, `-g`).
//!
//! Contract: mirrors iptables' option routing: an extension option goes to the target or to
//! the most recently loaded match that knows it; an option nobody knows loads the match of
//! the `-p` protocol once (`-p tcp --dport 22` means `-p tcp -m tcp --dport 22`).

use super::error::{ErrorKind, SyntaxError};
use super::ext::{ArgErr, MatchBuilder, OptCall, OptSpec};
use super::ext_target::TargetBuilder;
use super::lexer::Token;
use super::values;
use crate::model::{Counters, Family, Neg, Rule, RuleHeader, Target};

/// One loaded extension with the options already given to it.
#[derive(Debug, Clone)]
struct Slot<B> {
    builder: B,
    col: usize,
    name: String,
    seen: Vec<u8>,
}

impl<B> Slot<B> {
    fn new(builder: B, tok: &Token) -> Self {
        Slot {
            builder,
            col: tok.col,
            name: tok.text.clone(),
            seen: Vec::new(),
        }
    }

    /// Records the option, refusing a second use, and applies it with `set`.
    fn apply(
        &mut self,
        call: &OptCall<'_>,
        set: impl FnOnce(&mut B, &OptCall<'_>) -> Result<(), ArgErr>,
    ) -> Result<(), ArgErr> {
        if self.seen.contains(&call.spec.id) {
            return Err((usize::MAX, ErrorKind::Duplicate));
        }
        self.seen.push(call.spec.id);
        set(&mut self.builder, call)
    }
}

/// A rule being parsed.
#[derive(Debug, Clone)]
pub struct RuleState {
    family: Family,
    line: usize,
    header: RuleHeader,
    matches: Vec<Slot<MatchBuilder>>,
    target: Option<Slot<TargetBuilder>>,
    counters: Option<Counters>,
    proto_used: bool,
    /// Column and text of the first rule option seen (for "not allowed" errors).
    pub first: Option<(usize, String)>,
}

/// Which loaded extension an option belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// The target.
    Target,
    /// The match at this index.
    Match(usize),
}

impl RuleState {
    /// An empty rule for `family` on line `line`.
    pub fn new(family: Family, line: usize) -> Self {
        RuleState {
            family,
            line,
            header: RuleHeader::default(),
            matches: Vec::new(),
            target: None,
            counters: None,
            proto_used: false,
            first: None,
        }
    }

    fn err(&self, tok: &Token, kind: ErrorKind) -> SyntaxError {
        SyntaxError::new(self.line, tok.col, &tok.text, kind)
    }

    fn note(&mut self, opt: &Token) {
        if self.first.is_none() {
            self.first = Some((opt.col, opt.text.clone()));
        }
    }

    /// Handles a header option (`s d i o p m j g c` by its short letter).
    ///
    /// # Errors
    /// Bad values, duplicates, misplaced `!`.
    pub fn header_opt(
        &mut self,
        letter: char,
        opt: &Token,
        args: &[Token],
        invert: bool,
    ) -> Result<(), SyntaxError> {
        self.note(opt);
        let n = if letter == 'c' { 2 } else { 1 };
        let (Some(arg), true) = (args.first(), args.len() >= n) else {
            let want = if n == 2 {
                "two arguments"
            } else {
                "an argument"
            };
            return Err(self.err(opt, ErrorKind::MissingArgument(want)));
        };
        let at = |kind: ErrorKind| self.err(arg, kind).with_option(&opt.text);
        let dup = |set: bool| -> Result<(), SyntaxError> {
            if set {
                Err(self.err(opt, ErrorKind::Duplicate))
            } else {
                Ok(())
            }
        };
        if invert && matches!(letter, 'm' | 'j' | 'g' | 'c') {
            return Err(self.err(opt, ErrorKind::BadInvert));
        }
        let h = &self.header;
        match letter {
            's' | 'd' => {
                dup(if letter == 's' {
                    h.src.is_some()
                } else {
                    h.dst.is_some()
                })?;
                let n = values::network(self.family, &arg.text).map_err(at)?;
                // A /0 network matches everything; iptables encodes nothing for it.
                let v = match (n.is_any(), invert) {
                    (false, _) => Some(Neg::new(n, invert)),
                    (true, false) => None,
                    (true, true) => return Err(at(ErrorKind::BadInvert)),
                };
                if letter == 's' {
                    self.header.src = v;
                } else {
                    self.header.dst = v;
                }
            }
            'i' | 'o' => {
                dup(if letter == 'i' {
                    h.in_iface.is_some()
                } else {
                    h.out_iface.is_some()
                })?;
                let v = match values::iface(&arg.text).map_err(at)? {
                    Some(i) => Some(Neg::new(i, invert)),
                    None if invert => return Err(at(ErrorKind::BadInvert)),
                    None => None,
                };
                if letter == 'i' {
                    self.header.in_iface = v;
                } else {
                    self.header.out_iface = v;
                }
            }
            'p' => {
                dup(h.proto.is_some())?;
                match values::protocol(&arg.text).map_err(at)? {
                    Some(p) => self.header.proto = Some(Neg::new(p, invert)),
                    None if invert => return Err(at(ErrorKind::BadInvert)),
                    None => {}
                }
            }
            'm' => {
                let b = MatchBuilder::new(&arg.text, self.family)
                    .ok_or_else(|| at(ErrorKind::UnknownMatch))?;
                self.matches.push(Slot::new(b, arg));
            }
            'j' | 'g' => {
                if self.target.is_some() {
                    return Err(self.err(opt, ErrorKind::Duplicate));
                }
                let b = if letter == 'g' {
                    let c = values::chain(&arg.text).map_err(at)?;
                    TargetBuilder::Plain(Target::Goto(c))
                } else {
                    TargetBuilder::new(&arg.text).ok_or_else(|| at(ErrorKind::UnknownTarget))?
                };
                self.target = Some(Slot::new(b, arg));
            }
            _ => {
                dup(self.counters.is_some())?;
                let num = |t: &Token| {
                    t.text.parse::<u64>().map_err(|_| {
                        self.err(t, ErrorKind::BadValue("a counter value".into()))
                            .with_option(&opt.text)
                    })
                };
                let (packets, bytes) = (num(arg)?, num(&args[args.len() - 1])?);
                self.counters = Some(Counters { packets, bytes });
            }
        }
        Ok(())
    }

    /// Every extension option in the order getopt sees them: the target's, then the
    /// matches', newest first.
    pub fn ext_options(&self) -> impl Iterator<Item = (Owner, &'static OptSpec)> + '_ {
        let target = self
            .target
            .iter()
            .flat_map(|t| t.builder.options().iter().map(|s| (Owner::Target, s)));
        let matches = self.matches.iter().enumerate().rev().flat_map(|(i, m)| {
            m.builder
                .options()
                .iter()
                .map(move |s| (Owner::Match(i), s))
        });
        target.chain(matches)
    }

    /// Loads the match of the `-p` protocol (once per rule), as iptables does for an option
    /// no loaded extension knows. Returns true when it loaded one.
    pub fn load_proto_match(&mut self, opt: &Token) -> bool {
        let Some(proto) = self.header.proto.as_ref().map(|p| p.value.number()) else {
            return false;
        };
        let name = match (proto, self.family) {
            (6, _) => "tcp",
            (17, _) => "udp",
            (1, Family::Ipv4) => "icmp",
            (58, Family::Ipv6) => "icmp6",
            (132, _) => "sctp",
            _ => return false,
        };
        match MatchBuilder::new(name, self.family) {
            Some(b) if !self.proto_used => {
                self.proto_used = true;
                self.matches.push(Slot::new(b, opt));
                true
            }
            _ => false,
        }
    }

    /// Applies an extension option resolved by [`super::options::resolve_long`].
    ///
    /// # Errors
    /// Bad values, duplicates, misplaced `!`.
    pub fn ext_opt(
        &mut self,
        (owner, spec): (Owner, &'static OptSpec),
        opt: &Token,
        args: &[Token],
        invert: bool,
    ) -> Result<(), SyntaxError> {
        self.note(opt);
        if invert && !spec.invert {
            return Err(self.err(opt, ErrorKind::BadInvert));
        }
        let texts: Vec<&str> = args.iter().map(|t| t.text.as_str()).collect();
        let call = OptCall {
            spec,
            invert,
            args: &texts,
            family: self.family,
            proto: self.header.proto.clone(),
        };
        let line = self.line;
        let res = match owner {
            Owner::Target => match self.target.as_mut() {
                Some(t) => t.apply(&call, TargetBuilder::set),
                None => Err((usize::MAX, ErrorKind::UnknownOption)),
            },
            Owner::Match(i) => self.matches[i].apply(&call, MatchBuilder::set),
        };
        res.map_err(|(idx, kind)| match args.get(idx) {
            Some(a) => SyntaxError::new(line, a.col, &a.text, kind).with_option(&opt.text),
            None => SyntaxError::new(line, opt.col, &opt.text, kind),
        })
    }

    /// The finished rule, checked for `family` (protocol bindings, address families).
    ///
    /// # Errors
    /// A match or target missing a mandatory option, or a rule the model refuses.
    pub fn finish(self, cmd_col: usize) -> Result<Rule, SyntaxError> {
        let line = self.line;
        let mut matches = Vec::with_capacity(self.matches.len());
        for slot in self.matches {
            let m = slot
                .builder
                .finish(self.family)
                .map_err(|k| SyntaxError::new(line, slot.col, &slot.name, k))?;
            matches.extend(m);
        }
        let proto = self
            .header
            .proto
            .as_ref()
            .filter(|p| !p.negated)
            .map(|p| p.value);
        let target = match self.target {
            Some(slot) => Some(
                slot.builder
                    .finish(self.family, proto)
                    .map_err(|k| SyntaxError::new(line, slot.col, &slot.name, k))?,
            ),
            None => None,
        };
        let rule = Rule {
            header: self.header,
            matches: super::ext_l4::merge_native(matches),
            target,
            counters: self.counters,
        };
        rule.check(self.family).map_err(|e| {
            let (col, tok) = self.first.unwrap_or((cmd_col, String::new()));
            SyntaxError::new(line, col, &tok, ErrorKind::Model(e))
        })?;
        Ok(rule)
    }
}
