//! The difference between two rule lists: a minimal edit script (keep, delete, insert).
//!
//! Contract: [`diff`] returns operations in list order that turn `old` into `new`; applying
//! them keeps every rule that is equal in both (so its kernel handle and counters survive) and
//! touches only what changed. Common prefix and suffix are matched in linear time; the middle
//! is matched with Myers' O((N+M)·D) algorithm, so one changed rule in a 10,000-rule chain
//! costs a few microseconds. When the middle is very different (D above [`MAX_EDIT_DISTANCE`])
//! the middle is replaced wholesale: still correct, no longer minimal.
//!
//! [`diff_pinned`]: the same edit when some items of `new` ARE items of `old` (a neighbour's
//! rule in a shared chain): those are always kept, and nothing else is matched across them.

/// Above this many differences in the middle, the diff replaces the middle wholesale.
pub const MAX_EDIT_DISTANCE: usize = 512;

/// One step of an edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOp {
    /// `old[i]` stays (and equals `new[j]`).
    Keep {
        /// Index in `old`.
        old: usize,
        /// Index in `new`.
        new: usize,
    },
    /// `old[i]` is removed.
    Delete {
        /// Index in `old`.
        old: usize,
    },
    /// `new[j]` is inserted here.
    Insert {
        /// Index in `new`.
        new: usize,
    },
}

/// Summary counts of an edit script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiffStats {
    /// Items kept.
    pub kept: usize,
    /// Items deleted.
    pub deleted: usize,
    /// Items inserted.
    pub inserted: usize,
}

impl DiffStats {
    /// Counts the operations of a script.
    pub fn of(ops: &[DiffOp]) -> Self {
        let mut s = DiffStats::default();
        for op in ops {
            match op {
                DiffOp::Keep { .. } => s.kept += 1,
                DiffOp::Delete { .. } => s.deleted += 1,
                DiffOp::Insert { .. } => s.inserted += 1,
            }
        }
        s
    }

    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.deleted == 0 && self.inserted == 0
    }
}

/// The edit script turning `old` into `new`.
pub fn diff<T: PartialEq>(old: &[T], new: &[T]) -> Vec<DiffOp> {
    diff_by(old.len(), new.len(), |i, j| old[i] == new[j])
}

/// [`diff`] for lists given by their lengths and an equality of `old[i]` and `new[j]`
/// (called only with `i < old_len`, `j < new_len`): for callers whose items are compared in
/// place, without first collecting them into slices.
pub fn diff_by(old_len: usize, new_len: usize, eq: impl Fn(usize, usize) -> bool) -> Vec<DiffOp> {
    let prefix = (0..old_len.min(new_len)).take_while(|&i| eq(i, i)).count();
    let max_suffix = old_len.min(new_len) - prefix;
    let suffix = (1..=max_suffix)
        .take_while(|&k| eq(old_len - k, new_len - k))
        .count();
    let mut ops = Vec::with_capacity(old_len.max(new_len) + 1);
    ops.extend((0..prefix).map(|i| DiffOp::Keep { old: i, new: i }));
    let (a, b) = (old_len - suffix - prefix, new_len - suffix - prefix);
    match myers(a, b, MAX_EDIT_DISTANCE, |x, y| eq(prefix + x, prefix + y)) {
        Some(mid) => ops.extend(mid.into_iter().map(|op| shift(op, prefix))),
        None => {
            ops.extend((0..a).map(|i| DiffOp::Delete { old: prefix + i }));
            ops.extend((0..b).map(|j| DiffOp::Insert { new: prefix + j }));
        }
    }
    let (os, ns) = (old_len - suffix, new_len - suffix);
    ops.extend((0..suffix).map(|k| DiffOp::Keep {
        old: os + k,
        new: ns + k,
    }));
    ops
}

/// Why [`diff_pinned`] cannot keep a pinned item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// `new[new]` pins `old[old]`, which does not exist.
    #[error("item {new} pins old item {old}, which does not exist")]
    Missing {
        /// Index in `new`.
        new: usize,
        /// The pinned index in `old`.
        old: usize,
    },
    /// `new[new]` pins `old[old]`, which is not after the item pinned before it.
    #[error("item {new} pins old item {old}, out of order")]
    OutOfOrder {
        /// Index in `new`.
        new: usize,
        /// The pinned index in `old`.
        old: usize,
    },
}

/// The edit script turning `old` into `new` where `pin(j) == Some(i)` says `new[j]` is
/// `old[i]` itself: every pinned item is kept where it is (never deleted, moved or
/// rewritten), and the free items between two consecutive pins (or a pin and an end) are
/// diffed as [`diff_by`] does, with `eq` (called only for free `new` items and for `old`
/// items between the same pins). Pins must increase in both lists.
///
/// # Errors
/// [`PinError`] when a pinned `old` index is out of range or out of order.
pub fn diff_pinned(
    old_len: usize,
    new_len: usize,
    pin: impl Fn(usize) -> Option<usize>,
    eq: impl Fn(usize, usize) -> bool,
) -> Result<Vec<DiffOp>, PinError> {
    let mut ops = Vec::with_capacity(old_len.max(new_len) + 1);
    // Diffs old[o0..o1] against new[n0..n1].
    let segment = |(o0, n0): (usize, usize), (o1, n1): (usize, usize), ops: &mut Vec<DiffOp>| {
        let seg = diff_by(o1 - o0, n1 - n0, |x, y| eq(o0 + x, n0 + y));
        ops.extend(seg.into_iter().map(|op| match op {
            DiffOp::Keep { old, new } => DiffOp::Keep {
                old: old + o0,
                new: new + n0,
            },
            DiffOp::Delete { old } => DiffOp::Delete { old: old + o0 },
            DiffOp::Insert { new } => DiffOp::Insert { new: new + n0 },
        }));
    };
    let mut from = (0, 0);
    for j in 0..new_len {
        let Some(i) = pin(j) else { continue };
        if i >= old_len {
            return Err(PinError::Missing { new: j, old: i });
        }
        if i < from.0 {
            return Err(PinError::OutOfOrder { new: j, old: i });
        }
        segment(from, (i, j), &mut ops);
        ops.push(DiffOp::Keep { old: i, new: j });
        from = (i + 1, j + 1);
    }
    segment(from, (old_len, new_len), &mut ops);
    Ok(ops)
}

fn shift(op: DiffOp, by: usize) -> DiffOp {
    match op {
        DiffOp::Keep { old, new } => DiffOp::Keep {
            old: old + by,
            new: new + by,
        },
        DiffOp::Delete { old } => DiffOp::Delete { old: old + by },
        DiffOp::Insert { new } => DiffOp::Insert { new: new + by },
    }
}

/// Myers' greedy shortest edit script between lists of lengths `a` and `b` whose items
/// compare with `eq`; `None` when it needs more than `max_d` edits.
fn myers(
    a: usize,
    b: usize,
    max_d: usize,
    eq: impl Fn(usize, usize) -> bool,
) -> Option<Vec<DiffOp>> {
    let (n, m) = (a as isize, b as isize);
    let max = (n + m).min(max_d as isize);
    let off = max + 1;
    let mut v = vec![0isize; (2 * max + 3) as usize];
    let mut trace: Vec<Vec<isize>> = Vec::new();
    let mut found = None;
    'outer: for d in 0..=max {
        // Keep only diagonals -d..=d: memory grows as D², not D·(N+M).
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let idx = (k + off) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && eq(x as usize, y as usize) {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                found = Some(d);
                break 'outer;
            }
            k += 2;
        }
    }
    let d_end = found?;
    // Walk back through the trace, collecting operations in reverse.
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    for d in (1..=d_end).rev() {
        let v = &trace[d as usize];
        let at = |k: isize| v[(k + d) as usize];
        let k = x - y;
        let down = k == -d || (k != d && at(k - 1) < at(k + 1));
        let prev_k = if down { k + 1 } else { k - 1 };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            ops.push(DiffOp::Keep {
                old: x as usize,
                new: y as usize,
            });
        }
        if down {
            y -= 1;
            ops.push(DiffOp::Insert { new: y as usize });
        } else {
            x -= 1;
            ops.push(DiffOp::Delete { old: x as usize });
        }
    }
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        ops.push(DiffOp::Keep {
            old: x as usize,
            new: y as usize,
        });
    }
    ops.reverse();
    Some(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn apply<T: Clone>(old: &[T], new: &[T], ops: &[DiffOp]) -> Vec<T> {
        let mut out = Vec::new();
        let (mut oi, mut ni) = (0, 0);
        for op in ops {
            match *op {
                DiffOp::Keep { old: o, new: n } => {
                    assert_eq!((o, n), (oi, ni), "keeps are in order");
                    out.push(old[o].clone());
                    oi += 1;
                    ni += 1;
                }
                DiffOp::Delete { old: o } => {
                    assert_eq!(o, oi);
                    oi += 1;
                }
                DiffOp::Insert { new: n } => {
                    assert_eq!(n, ni);
                    out.push(new[n].clone());
                    ni += 1;
                }
            }
        }
        assert_eq!((oi, ni), (old.len(), new.len()));
        out
    }

    #[test]
    fn one_change_in_a_long_list_is_one_delete_and_one_insert() {
        let old: Vec<u32> = (0..10_000).collect();
        let mut new = old.clone();
        new[5000] = 99_999;
        new.insert(7000, 123_456);
        new.remove(9000);
        let ops = diff(&old, &new);
        assert_eq!(apply(&old, &new, &ops), new);
        let s = DiffStats::of(&ops);
        assert_eq!((s.deleted, s.inserted), (2, 2));
    }

    #[test]
    fn equal_lists_need_nothing() {
        let v = vec![1, 2, 3];
        assert!(DiffStats::of(&diff(&v, &v)).is_empty());
        assert!(diff::<u8>(&[], &[]).is_empty());
    }

    #[test]
    fn very_different_lists_fall_back_to_replacement() {
        let old: Vec<u32> = (0..5000).collect();
        let new: Vec<u32> = (10_000..15_000).collect();
        let ops = diff(&old, &new);
        assert_eq!(apply(&old, &new, &ops), new);
    }

    #[test]
    fn pinned_items_are_kept_and_nothing_matches_across_them() {
        // old: a X b ; new: b X a with X pinned: a and b cannot swap across X.
        let old = ["a", "X", "b"];
        let new = ["b", "X", "a"];
        let pin = |j: usize| (j == 1).then_some(1);
        let ops = diff_pinned(3, 3, pin, |i, j| old[i] == new[j]).unwrap();
        assert_eq!(apply(&old, &new, &ops), new);
        assert!(ops.contains(&DiffOp::Keep { old: 1, new: 1 }));
        assert_eq!(DiffStats::of(&ops).kept, 1);
        // A plain diff would rather keep a or b and move X.
        let missing = diff_pinned(1, 1, |_| Some(3), |_, _| false).unwrap_err();
        assert_eq!(missing, PinError::Missing { new: 0, old: 3 });
        let crossed = diff_pinned(2, 2, |j| Some(1 - j), |_, _| false).unwrap_err();
        assert_eq!(crossed, PinError::OutOfOrder { new: 1, old: 0 });
    }

    proptest! {
        #[test]
        fn script_turns_old_into_new_minimally(
            old in proptest::collection::vec(0u8..6, 0..40),
            new in proptest::collection::vec(0u8..6, 0..40),
        ) {
            let ops = diff(&old, &new);
            prop_assert_eq!(apply(&old, &new, &ops), new.clone());
            // Minimal: kept items equal the LCS length.
            let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
            for i in (0..old.len()).rev() {
                for j in (0..new.len()).rev() {
                    lcs[i][j] = if old[i] == new[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
                }
            }
            prop_assert_eq!(DiffStats::of(&ops).kept, lcs[0][0]);
        }

        #[test]
        fn pinned_script_keeps_every_pin_and_turns_old_into_new(
            old in proptest::collection::vec(0u8..6, 0..30),
            picks in proptest::collection::vec(any::<bool>(), 0..30),
            extra in proptest::collection::vec(proptest::collection::vec(0u8..6, 0..3), 0..31),
        ) {
            // new: some old items pinned (in order), free items around them.
            let mut new: Vec<u8> = Vec::new();
            let mut pins: Vec<Option<usize>> = Vec::new();
            for (i, &x) in old.iter().enumerate() {
                for &e in extra.get(i).map(Vec::as_slice).unwrap_or(&[]) {
                    new.push(e);
                    pins.push(None);
                }
                if picks.get(i).copied().unwrap_or(false) {
                    new.push(x);
                    pins.push(Some(i));
                }
            }
            let ops = diff_pinned(old.len(), new.len(), |j| pins[j], |i, j| old[i] == new[j]).unwrap();
            prop_assert_eq!(apply(&old, &new, &ops), new.clone());
            for (j, p) in pins.iter().enumerate() {
                if let Some(i) = p {
                    let keep = DiffOp::Keep { old: *i, new: j };
                    prop_assert!(ops.contains(&keep), "pin {} -> {} not kept", j, i);
                }
            }
        }
    }
}
