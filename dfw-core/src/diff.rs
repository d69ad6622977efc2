//! The difference between two rule lists: a minimal edit script (keep, delete, insert).
//!
//! Contract: [`diff`] returns operations in list order that turn `old` into `new`; applying
//! them keeps every rule that is equal in both (so its kernel handle and counters survive) and
//! touches only what changed. Common prefix and suffix are matched in linear time; the middle
//! is matched with Myers' O((N+M)·D) algorithm, so one changed rule in a 10,000-rule chain
//! costs a few microseconds. When the middle is very different (D above [`MAX_EDIT_DISTANCE`])
//! the middle is replaced wholesale: still correct, no longer minimal.

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
    }
}
