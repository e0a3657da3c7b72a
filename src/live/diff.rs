//! What changed between two versions of a roster: shifts added, removed and changed (matched by
//! agent and day), vendor blocks added, removed and changed (matched by vendor, day, channel and
//! start), and the projected service of every day and channel that changed, before and after.

use super::{LiveBlock, LiveShift, LiveView, ServiceSummary};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// One thing that differs, as it was and as it is (`None` where it did not exist).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Changed<T> {
    pub before: Option<T>,
    pub after: Option<T>,
}

impl<T> Changed<T> {
    pub fn added(&self) -> bool {
        self.before.is_none()
    }
    pub fn removed(&self) -> bool {
        self.after.is_none()
    }
}

/// The service of one channel on one day in both versions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DayImpact {
    pub date: NaiveDate,
    pub channel: String,
    pub before: ServiceSummary,
    pub after: ServiceSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanDiff {
    #[schema(value_type = Vec<Object>)]
    pub shifts: Vec<Changed<LiveShift>>,
    #[schema(value_type = Vec<Object>)]
    pub blocks: Vec<Changed<LiveBlock>>,
    /// Every (day, channel) a changed shift or block touches, in date then channel order.
    pub impact: Vec<DayImpact>,
}

impl PlanDiff {
    pub fn is_empty(&self) -> bool {
        self.shifts.is_empty() && self.blocks.is_empty()
    }

    /// Counts of (added, removed, changed) shifts.
    pub fn shift_counts(&self) -> (usize, usize, usize) {
        counts(&self.shifts)
    }

    /// Counts of (added, removed, changed) blocks.
    pub fn block_counts(&self) -> (usize, usize, usize) {
        counts(&self.blocks)
    }
}

fn counts<T>(changes: &[Changed<T>]) -> (usize, usize, usize) {
    let added = changes.iter().filter(|c| c.added()).count();
    let removed = changes.iter().filter(|c| c.removed()).count();
    (added, removed, changes.len() - added - removed)
}

/// Pairs the items of `a` and `b` by `key` (several items with one key pair up in order) and
/// keeps the pairs that differ.
pub fn changes<T: Clone + PartialEq, K: Ord>(
    a: &[T],
    b: &[T],
    key: impl Fn(&T) -> K,
) -> Vec<Changed<T>> {
    let mut by_key: BTreeMap<K, (Vec<&T>, Vec<&T>)> = BTreeMap::new();
    for x in a {
        by_key.entry(key(x)).or_default().0.push(x);
    }
    for x in b {
        by_key.entry(key(x)).or_default().1.push(x);
    }
    let mut out = Vec::new();
    for (_, (before, after)) in by_key {
        for i in 0..before.len().max(after.len()) {
            let (x, y) = (before.get(i).copied(), after.get(i).copied());
            if x != y {
                out.push(Changed {
                    before: x.cloned(),
                    after: y.cloned(),
                });
            }
        }
    }
    out
}

/// What changed from `before` to `after`, with the service impact of each day and channel touched.
pub fn diff(before: &LiveView, after: &LiveView) -> PlanDiff {
    let shifts = changes(&before.plan.shifts, &after.plan.shifts, |s| {
        (s.date, s.agent.clone())
    });
    let blocks = changes(&before.plan.blocks, &after.plan.blocks, |b| {
        (b.date, b.vendor.clone(), b.channel.clone(), b.start)
    });
    let mut touched: BTreeSet<(NaiveDate, String)> = BTreeSet::new();
    for c in &shifts {
        for s in c.before.iter().chain(c.after.iter()) {
            touched.insert((s.date, s.channel.clone()));
        }
    }
    for c in &blocks {
        for b in c.before.iter().chain(c.after.iter()) {
            touched.insert((b.date, b.channel.clone()));
        }
    }
    let impact = touched
        .into_iter()
        .filter_map(|(date, channel)| {
            let summary = |view: &LiveView| {
                let c = view.plan.channel_index(&channel)?;
                let day = view.plan.day_intervals(date);
                (!day.is_empty()).then(|| view.rest_of_day(c, day.start))
            };
            Some(DayImpact {
                before: summary(before)?,
                after: summary(after)?,
                date,
                channel,
            })
        })
        .collect();
    PlanDiff {
        shifts,
        blocks,
        impact,
    }
}
