//! A live plan as its change against its parent: what a live edit or an acknowledgement stores
//! instead of the whole plan (0.9 MB on the sample; a delta is a few hundred bytes).
//!
//! Live edits change only the shifts and the vendor blocks; a delta holds the runs of each that
//! were replaced (Myers' diff of the two sequences, so a shift that moved keeps the rest in place),
//! each run as (where in the parent, how many removed, what is inserted). Anything else differing
//! gives no delta: the version is stored whole.

use super::{LiveBlock, LivePlan, LiveShift};
use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices};

/// One replaced run of a sequence, in the parent's positions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Splice<T> {
    pub at: usize,
    pub remove: usize,
    pub insert: Vec<T>,
}

/// A plan as changed from its parent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanDelta {
    pub shifts: Vec<Splice<LiveShift>>,
    pub blocks: Vec<Splice<LiveBlock>>,
}

/// The runs that turn `old` into `new`.
fn splices<T: Clone + Eq + std::hash::Hash>(old: &[T], new: &[T]) -> Vec<Splice<T>> {
    let mut out: Vec<Splice<T>> = Vec::new();
    for op in capture_diff_slices(Algorithm::Myers, old, new) {
        let (at, remove, insert) = match op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index, old_len, &new[0..0]),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index, 0, &new[new_index..new_index + new_len]),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index, old_len, &new[new_index..new_index + new_len]),
        };
        // A delete next to an insert is one replaced run.
        match out.last_mut() {
            Some(last) if last.at + last.remove == at => {
                last.remove += remove;
                last.insert.extend_from_slice(insert);
            }
            _ => out.push(Splice {
                at,
                remove,
                insert: insert.to_vec(),
            }),
        }
    }
    out
}

/// Whether `splices` fit a sequence of `len` items: in order, not overlapping, inside it.
fn fits<T>(splices: &[Splice<T>], len: usize) -> bool {
    let mut next = 0;
    for s in splices {
        if s.at < next || s.at + s.remove > len {
            return false;
        }
        next = s.at + s.remove;
    }
    true
}

/// Makes `splices` in `items`, in place (last first, so that earlier positions hold); false,
/// and `items` untouched, when they do not fit.
fn splice_in<T: Clone>(items: &mut Vec<T>, splices: &[Splice<T>]) -> bool {
    if !fits(splices, items.len()) {
        return false;
    }
    for s in splices.iter().rev() {
        items.splice(s.at..s.at + s.remove, s.insert.iter().cloned());
    }
    true
}

#[cfg(test)]
fn spliced<T: Clone>(old: &[T], splices: &[Splice<T>]) -> Option<Vec<T>> {
    let mut out = old.to_vec();
    splice_in(&mut out, splices).then_some(out)
}

impl PlanDelta {
    /// How `child` differs from `parent`; `None` when more than shifts and blocks differ.
    pub fn between(parent: &LivePlan, child: &LivePlan) -> Option<PlanDelta> {
        let same_rest = parent.name == child.name
            && parent.time_zone == child.time_zone
            && parent.interval_minutes == child.interval_minutes
            && parent.start == child.start
            && parent.intervals == child.intervals
            && parent.channels == child.channels
            && parent.agents == child.agents
            && parent.vendors == child.vendors;
        same_rest.then(|| PlanDelta {
            shifts: splices(&parent.shifts, &child.shifts),
            blocks: splices(&parent.blocks, &child.blocks),
        })
    }

    /// Turns the parent plan into the child, in place; false, and `plan` untouched, when the
    /// delta does not fit it.
    pub fn apply_to(&self, plan: &mut LivePlan) -> bool {
        if !fits(&self.shifts, plan.shifts.len()) || !fits(&self.blocks, plan.blocks.len()) {
            return false;
        }
        splice_in(&mut plan.shifts, &self.shifts) && splice_in(&mut plan.blocks, &self.blocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn splices_rebuild_the_new_sequence(
            old in proptest::collection::vec(0u8..6, 0..40),
            new in proptest::collection::vec(0u8..6, 0..40),
        ) {
            let s = splices(&old, &new);
            prop_assert_eq!(spliced(&old, &s), Some(new));
        }
    }

    #[test]
    fn one_changed_element_is_one_short_run() {
        let old: Vec<u32> = (0..1000).collect();
        let mut new = old.clone();
        new[500] = 7;
        let mut moved = old.clone();
        let x = moved.remove(100);
        moved.insert(900, x);
        assert_eq!(
            splices(&old, &new),
            vec![Splice {
                at: 500,
                remove: 1,
                insert: vec![7]
            }]
        );
        let s = splices(&old, &moved);
        assert!(s.iter().map(|r| r.remove + r.insert.len()).sum::<usize>() <= 2);
        assert_eq!(spliced(&old, &s), Some(moved));
    }
}
