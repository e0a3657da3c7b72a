//! A vendor's acknowledgement of its plan: every block accepted, some with fewer heads committed
//! than planned. The committed heads are what the projection counts on from then on, so a
//! shortfall lowers the service everyone sees.

use super::edit::{Clock, EditError, fail, local};
use super::{LivePlan, instant};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub date: NaiveDate,
    pub channel: String,
    /// Local start of the block, "HH:MM".
    pub start: Clock,
    /// Local end, needed only where two of the vendor's blocks start together on the channel.
    #[serde(default)]
    pub end: Option<Clock>,
    pub heads: u32,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acknowledgement {
    /// Accept every block as planned (blocks listed in `commitments` take the heads given there).
    pub accept: bool,
    #[serde(default)]
    pub commitments: Vec<Commitment>,
}

/// A block the vendor committed fewer heads to than planned.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Shortfall {
    pub date: NaiveDate,
    pub channel: String,
    /// Local "YYYY-MM-DD HH:MM".
    pub start: String,
    pub end: String,
    pub planned: u32,
    pub committed: u32,
}

impl LivePlan {
    /// This vendor's blocks as planned (date, channel, start, end, heads), without what was
    /// committed: two versions give the vendor the same plan when these are equal.
    pub fn planned_blocks(&self, vendor: &str) -> Vec<(NaiveDate, String, i64, i64, u32)> {
        self.blocks
            .iter()
            .filter(|b| b.vendor == vendor)
            .map(|b| {
                (
                    b.date,
                    b.channel.clone(),
                    b.start.timestamp(),
                    b.end.timestamp(),
                    b.heads,
                )
            })
            .collect()
    }

    /// The vendor's blocks committed below plan.
    pub fn shortfall(&self, vendor: &str) -> Vec<Shortfall> {
        let tz = self.tz();
        self.blocks
            .iter()
            .filter(|b| b.vendor == vendor)
            .filter_map(|b| {
                let c = b.committed.filter(|&c| c < b.heads)?;
                Some(Shortfall {
                    date: b.date,
                    channel: b.channel.clone(),
                    start: local(tz, b.start),
                    end: local(tz, b.end),
                    planned: b.heads,
                    committed: c,
                })
            })
            .collect()
    }

    /// Accepts every block of `vendor`, with the heads `commitments` give for some of them; the
    /// shortfall, or the commitment at fault (`commitments[k].start`, `.end`, `.heads`).
    pub fn acknowledge(
        &mut self,
        vendor: &str,
        commitments: &[Commitment],
    ) -> Result<Vec<Shortfall>, EditError> {
        let tz = self.tz();
        let mut committed: Vec<Option<u32>> = self
            .blocks
            .iter()
            .map(|b| (b.vendor == vendor).then_some(b.heads))
            .collect();
        for (k, c) in commitments.iter().enumerate() {
            self.check_date(&format!("commitments[{k}].date"), c.date)?;
            let start = instant(tz, c.date, c.start.minutes());
            let end = c.end.map(|e| instant(tz, c.date, e.minutes()));
            let matching: Vec<usize> = (0..self.blocks.len())
                .filter(|&j| {
                    let b = &self.blocks[j];
                    b.vendor == vendor
                        && b.date == c.date
                        && b.channel == c.channel
                        && b.start == start
                        && end.is_none_or(|e| b.end == e)
                })
                .collect();
            let j = match matching[..] {
                [j] => j,
                [] => {
                    return fail(
                        format!(
                            "commitments[{k}].{}",
                            if end.is_some() { "end" } else { "start" }
                        ),
                        format!(
                            "no block of yours runs from {}{} on {} for {}",
                            String::from(c.start),
                            c.end
                                .map(|e| format!(" to {}", String::from(e)))
                                .unwrap_or_default(),
                            c.date,
                            c.channel
                        ),
                    );
                }
                _ => {
                    let ends: Vec<String> = matching
                        .iter()
                        .map(|&j| local(tz, self.blocks[j].end))
                        .collect();
                    return fail(
                        format!("commitments[{k}].end"),
                        format!(
                            "{} of your blocks start then (ending {}); give `end` to say which",
                            matching.len(),
                            ends.join(", ")
                        ),
                    );
                }
            };
            if c.heads > self.blocks[j].heads {
                return fail(
                    format!("commitments[{k}].heads"),
                    format!(
                        "the block plans {} heads; commit at most that (ask the planner for more)",
                        self.blocks[j].heads
                    ),
                );
            }
            committed[j] = Some(c.heads);
        }
        for (b, c) in self.blocks.iter_mut().zip(committed) {
            if c.is_some() {
                b.committed = c;
            }
        }
        Ok(self.shortfall(vendor))
    }
}
