//! Contact volumes per channel and interval: the CSV interchange format for history and forecasts.
//!
//! Header `timestamp,channel,volume`, optionally `aht_seconds` and the forecast quantiles `p10,p50,p90`.
//! One row per channel per interval; the timestamp is the start of the interval, ISO 8601 with an offset
//! (`2026-11-09T08:00:00+08:00`) or local time in the scenario's time zone (`2026-11-09 08:00`). A local
//! time that a daylight-saving change skips or repeats is refused: write it with its offset.
//!
//! Reading refuses, with the file and line: a missing column, an unparsable timestamp, a negative or
//! non-numeric volume, a non-positive handle time, the same channel and interval twice.

use crate::scenario::{ChannelKind, Scenario};
use crate::time_grid::TimeGrid;
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// One row of a volume file.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRow {
    /// 1-based line in the file, for errors downstream.
    pub line: u64,
    pub timestamp: DateTime<Utc>,
    pub channel: String,
    pub volume: f64,
    pub aht_seconds: Option<f64>,
    pub quantiles: Option<Quantiles>,
}

/// Forecast quantiles of the volume.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantiles {
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl Quantiles {
    /// The volume at quantile `q` (0 < q < 1): p50 at 0.5, p10 and p90 at 0.1 and 0.9, and in between
    /// and beyond by the normal quantile function scaled to the band on either side of the median.
    pub fn at(&self, q: f64) -> f64 {
        use statrs::distribution::{ContinuousCDF, Normal};
        let standard = Normal::standard();
        let z = standard.inverse_cdf(q);
        let z90 = standard.inverse_cdf(0.9);
        let side = if z >= 0.0 {
            self.p90 - self.p50
        } else {
            self.p50 - self.p10
        };
        (self.p50 + z / z90 * side).max(0.0)
    }
}

/// A whole volume file, rows in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeSeries {
    pub origin: String,
    pub rows: Vec<VolumeRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    // The OS message is the source, printed once by whoever prints the chain.
    #[error("cannot read {path}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}:1: {message}")]
    Header { origin: String, message: String },
    #[error("{origin}:{line}: {message}")]
    Row {
        origin: String,
        line: u64,
        message: String,
    },
    #[error("{origin}: {message}")]
    Coverage { origin: String, message: String },
}

const REQUIRED: [&str; 3] = ["timestamp", "channel", "volume"];

/// One row as written; every field is parsed with its own error.
#[derive(serde::Deserialize)]
struct RawRow {
    timestamp: String,
    channel: String,
    volume: String,
    #[serde(default)]
    aht_seconds: Option<String>,
    #[serde(default)]
    p10: Option<String>,
    #[serde(default)]
    p50: Option<String>,
    #[serde(default)]
    p90: Option<String>,
}
const OPTIONAL: [&str; 4] = ["aht_seconds", "p10", "p50", "p90"];

/// The most contacts one interval may hold (volume and its quantiles): far beyond any contact
/// centre, so a larger figure is a column or unit mistake, and sums over a long history stay exact.
pub const MAX_VOLUME: f64 = 1e9;

/// The longest handle time a row may give, in seconds: a day.
pub const MAX_AHT_SECONDS: f64 = 86_400.0;

/// Parses an interval start: with an offset, or local in `tz`.
pub fn parse_timestamp(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M%:z", "%Y-%m-%d %H:%M%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| {
        format!(
            "`{text}` is not a timestamp; expected ISO 8601 such as 2026-11-09T08:00:00+08:00 \
                 or local time 2026-11-09 08:00"
        )
    })?;
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(a, b) => Err(format!(
            "`{text}` happens twice in {tz} (the clocks go back); write it with its offset: {} or {}",
            a.format("%Y-%m-%dT%H:%M:%S%:z"),
            b.format("%Y-%m-%dT%H:%M:%S%:z")
        )),
        chrono::LocalResult::None => Err(format!(
            "`{text}` does not exist in {tz} (the clocks go forward); check the data or write it with its offset"
        )),
    }
}

fn parse_number(field: &str, text: &str) -> Result<f64, String> {
    let v: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{field}` must be a number, got `{text}`"))?;
    if !v.is_finite() {
        return Err(format!("`{field}` must be a finite number, got `{text}`"));
    }
    Ok(v)
}

impl VolumeSeries {
    /// Reads a volume file; local timestamps are read in `tz`.
    pub fn read(path: impl AsRef<Path>, tz: Tz) -> Result<VolumeSeries, VolumeError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| VolumeError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::read_from(file, &path.display().to_string(), tz)
    }

    /// Reads volume CSV from any reader; `origin` names it in errors.
    pub fn read_from(reader: impl Read, origin: &str, tz: Tz) -> Result<VolumeSeries, VolumeError> {
        let mut csv = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(reader);
        let header_error = |message: String| VolumeError::Header {
            origin: origin.to_string(),
            message,
        };
        let headers = csv
            .headers()
            .map_err(|e| header_error(format!("cannot read the header: {e}")))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h == name);
        for name in &headers {
            if !REQUIRED.contains(&name) && !OPTIONAL.contains(&name) {
                return Err(header_error(format!(
                    "unknown column `{name}`; expected timestamp,channel,volume and optionally {}",
                    OPTIONAL.join(", ")
                )));
            }
        }
        let [ts_col, ch_col, vol_col] = REQUIRED.map(column);
        let (Some(_), Some(_), Some(_)) = (ts_col, ch_col, vol_col) else {
            return Err(header_error(format!(
                "the header must name the columns timestamp,channel,volume; found `{}`",
                headers.iter().collect::<Vec<_>>().join(",")
            )));
        };
        let quantile_columns = ["p10", "p50", "p90"].map(|q| column(q).is_some());
        if quantile_columns.iter().any(|&q| q) && !quantile_columns.iter().all(|&q| q) {
            return Err(header_error("give all of p10, p50 and p90, or none".into()));
        }

        let mut rows = Vec::new();
        let mut seen: BTreeMap<(String, DateTime<Utc>), u64> = BTreeMap::new();
        let mut spellings: BTreeMap<String, (String, u64)> = BTreeMap::new();
        for record in csv.records() {
            let record = record.map_err(|e| VolumeError::Row {
                origin: origin.to_string(),
                line: e.position().map_or(0, |p| p.line()),
                message: format!("malformed CSV: {e}"),
            })?;
            let line = record.position().map_or(0, |p| p.line());
            let row_error = |message: String| VolumeError::Row {
                origin: origin.to_string(),
                line,
                message,
            };
            let raw: RawRow = record
                .deserialize(Some(&headers))
                .map_err(|e| row_error(format!("malformed row: {e}")))?;
            let timestamp = parse_timestamp(&raw.timestamp, tz).map_err(row_error)?;
            let channel = raw.channel;
            if channel.is_empty() {
                return Err(row_error("`channel` is empty".into()));
            }
            // Channel ids are case-sensitive: `Voice` beside `voice` is a typo, not a channel.
            match spellings.get(&channel.to_lowercase()) {
                Some((first, first_line)) if *first != channel => {
                    return Err(row_error(format!(
                        "channel `{channel}` differs from `{first}` (line {first_line}) only in case; \
                         channel ids are case-sensitive, write it `{first}` everywhere"
                    )));
                }
                Some(_) => {}
                None => {
                    spellings.insert(channel.to_lowercase(), (channel.clone(), line));
                }
            }
            let volume = parse_number("volume", &raw.volume).map_err(row_error)?;
            if volume < 0.0 {
                return Err(row_error(format!(
                    "`volume` cannot be negative, got {volume}"
                )));
            }
            if volume > MAX_VOLUME {
                return Err(row_error(format!(
                    "`volume` {} is too large for one interval (at most {MAX_VOLUME:e}); check \
                     that the column holds contacts per interval",
                    raw.volume.trim()
                )));
            }
            let aht_seconds = match raw.aht_seconds.filter(|s| !s.is_empty()) {
                None => None,
                Some(text) => {
                    let v = parse_number("aht_seconds", &text).map_err(row_error)?;
                    if v <= 0.0 || v > MAX_AHT_SECONDS {
                        return Err(row_error(format!(
                            "`aht_seconds` must be greater than 0 and at most {MAX_AHT_SECONDS} \
                             (a day), got {}; check that the column holds seconds",
                            text.trim()
                        )));
                    }
                    Some(v)
                }
            };
            let quantiles = match (raw.p10, raw.p50, raw.p90) {
                (Some(a), Some(b), Some(c)) => {
                    let p10 = parse_number("p10", &a).map_err(row_error)?;
                    let p50 = parse_number("p50", &b).map_err(row_error)?;
                    let p90 = parse_number("p90", &c).map_err(row_error)?;
                    if !(0.0 <= p10 && p10 <= p50 && p50 <= p90 && p90 <= MAX_VOLUME) {
                        return Err(row_error(format!(
                            "quantiles must satisfy 0 ≤ p10 ≤ p50 ≤ p90 ≤ {MAX_VOLUME:e}, got \
                             {p10}, {p50}, {p90}"
                        )));
                    }
                    Some(Quantiles { p10, p50, p90 })
                }
                (None, None, None) => None,
                _ => {
                    return Err(row_error(
                        "give all of p10, p50 and p90 on the row, or none".into(),
                    ));
                }
            };
            if let Some(first) = seen.insert((channel.clone(), timestamp), line) {
                return Err(row_error(format!(
                    "channel `{channel}` at {} appears twice (first on line {first})",
                    raw.timestamp
                )));
            }
            rows.push(VolumeRow {
                line,
                timestamp,
                channel,
                volume,
                aht_seconds,
                quantiles,
            });
        }
        Ok(VolumeSeries {
            origin: origin.to_string(),
            rows,
        })
    }

    /// Every volume replaced by its forecast quantile `q`, for staffing that buys insurance against a
    /// forecast miss. Refused when the file has no `p10,p50,p90` columns.
    pub fn at_quantile(mut self, q: f64) -> Result<VolumeSeries, VolumeError> {
        if !(q > 0.0 && q < 1.0) {
            return Err(VolumeError::Coverage {
                origin: self.origin,
                message: format!("the quantile must lie strictly between 0 and 1, got {q}"),
            });
        }
        for row in &mut self.rows {
            let Some(quantiles) = row.quantiles else {
                return Err(VolumeError::Coverage {
                    origin: self.origin,
                    message:
                        "the file has no p10,p50,p90 columns, which staffing to a quantile needs; \
                              `peakplan forecast` writes them"
                            .into(),
                });
            };
            row.volume = quantiles.at(q);
        }
        Ok(self)
    }

    /// Lays the rows onto the scenario's grid, checking every channel, timestamp and open interval.
    pub fn on_grid(
        &self,
        scenario: &Scenario,
        grid: &TimeGrid,
    ) -> Result<GridVolumes, VolumeError> {
        let n = grid.len();
        let mut volume = vec![vec![None; n]; scenario.channels.len()];
        let mut aht = vec![vec![None; n]; scenario.channels.len()];
        let mut outside_horizon = 0;
        for row in &self.rows {
            let row_error = |message: String| VolumeError::Row {
                origin: self.origin.clone(),
                line: row.line,
                message,
            };
            let Some((c, _)) = scenario.channel(&row.channel) else {
                return Err(row_error(format!(
                    "unknown channel `{}`; the scenario has {}",
                    row.channel,
                    scenario.channel_list()
                )));
            };
            if !grid.is_aligned(row.timestamp) {
                return Err(row_error(format!(
                    "{} is not the start of a {}-minute interval",
                    row.timestamp
                        .with_timezone(&scenario.time_zone)
                        .format("%Y-%m-%dT%H:%M:%S%:z"),
                    grid.length().minutes()
                )));
            }
            match grid.index_of(row.timestamp) {
                Some(i) => {
                    volume[c][i] = Some(row.volume);
                    aht[c][i] = row.aht_seconds;
                }
                None => outside_horizon += 1,
            }
        }
        let mut closed_volume = vec![0.0; scenario.channels.len()];
        let mut out = GridVolumes {
            volume: vec![vec![0.0; n]; scenario.channels.len()],
            aht,
            open: vec![vec![false; n]; scenario.channels.len()],
            rows_outside_horizon: outside_horizon,
            closed_volume: Vec::new(),
        };
        for (c, channel) in scenario.channels.iter().enumerate() {
            let mut missing = Vec::new();
            for (i, given) in volume[c].iter().enumerate() {
                let clock = grid.local_clock(i);
                let open = channel
                    .opening_hours
                    .is_open(clock.weekday, clock.minute_of_day);
                out.open[c][i] = open;
                match (*given, open) {
                    (Some(v), true) => out.volume[c][i] = v,
                    (Some(v), false) => {
                        // Email arrives around the clock; calls and chats do not reach a closed queue.
                        if matches!(channel.kind, ChannelKind::Email) {
                            out.volume[c][i] = v;
                        } else {
                            closed_volume[c] += v;
                        }
                    }
                    (None, true) => missing.push(i),
                    (None, false) => {}
                }
            }
            if let Some(&first) = missing.first() {
                return Err(VolumeError::Coverage {
                    origin: self.origin.clone(),
                    message: format!(
                        "no volume for channel `{}` in {} open interval(s) of the horizon, the first at {}; \
                         the file must cover every open interval from {} to {}",
                        channel.id,
                        missing.len(),
                        grid.local_start_of(first).format("%Y-%m-%dT%H:%M:%S%:z"),
                        scenario.horizon.start,
                        scenario.horizon.end
                    ),
                });
            }
        }
        out.closed_volume = closed_volume;
        Ok(out)
    }
}

/// Volumes laid on the grid, one vector per channel in scenario order.
#[derive(Debug, Clone, PartialEq)]
pub struct GridVolumes {
    /// Contacts arriving per interval (0 where closed, except email).
    pub volume: Vec<Vec<f64>>,
    /// Handle time per interval where the file gave one.
    pub aht: Vec<Vec<Option<f64>>>,
    pub open: Vec<Vec<bool>>,
    pub rows_outside_horizon: usize,
    /// Calls and chats the file puts in closed intervals, which nobody answers.
    pub closed_volume: Vec<f64>,
}

/// A number as written to CSV: up to four decimals, no trailing zeros, deterministic.
pub fn format_number(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// Formats an instant as ISO 8601 with the offset of `tz`.
pub fn format_timestamp(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn read(text: &str) -> Result<VolumeSeries, VolumeError> {
        VolumeSeries::read_from(text.as_bytes(), "v.csv", TZ)
    }

    #[test]
    fn quantiles_interpolate_through_the_band() {
        let q = Quantiles {
            p10: 80.0,
            p50: 100.0,
            p90: 130.0,
        };
        assert!((q.at(0.5) - 100.0).abs() < 1e-9);
        assert!((q.at(0.1) - 80.0).abs() < 1e-9);
        assert!((q.at(0.9) - 130.0).abs() < 1e-9);
        assert!(q.at(0.95) > 130.0 && q.at(0.7) > 100.0 && q.at(0.7) < 130.0);
        assert!(q.at(0.001) >= 0.0);
    }

    #[test]
    fn reads_offsets_and_local_times() {
        let s = read(
            "timestamp,channel,volume,aht_seconds\n\
             2026-11-09T08:00:00+08:00,voice,120,310\n\
             2026-11-09 08:30,voice,130.5,\n\
             2026-11-09T00:30:00Z,chat,7,\n",
        )
        .unwrap();
        assert_eq!(s.rows.len(), 3);
        assert_eq!(
            s.rows[1].timestamp,
            s.rows[0].timestamp + chrono::Duration::minutes(30)
        );
        assert_eq!(s.rows[0].aht_seconds, Some(310.0));
        assert_eq!(s.rows[1].aht_seconds, None);
        assert_eq!(s.rows[2].line, 4);
    }

    #[test]
    fn bad_rows_name_their_line() {
        let cases = [
            ("2026-11-09T08:00:00+08:00,voice,-1\n", "cannot be negative"),
            (
                "2026-11-09T08:00:00+08:00,voice,1e300\n",
                "`volume` 1e300 is too large for one interval (at most 1e9)",
            ),
            ("2026-11-09T08:00:00+08:00,voice,many\n", "must be a number"),
            ("yesterday,voice,3\n", "not a timestamp"),
            ("2026-11-09T08:00:00+08:00,,3\n", "`channel` is empty"),
            (
                "2026-11-09T08:00:00+08:00,Voice,3\n",
                "channel `Voice` differs from `voice` (line 2) only in case",
            ),
        ];
        for (row, want) in cases {
            let e = read(&format!(
                "timestamp,channel,volume\n2026-11-09T07:30:00+08:00,voice,1\n{row}"
            ))
            .unwrap_err()
            .to_string();
            assert!(e.starts_with("v.csv:3:") && e.contains(want), "{e}");
        }
        let e =
            read("timestamp,channel,volume,aht_seconds\n2026-11-09T08:00:00+08:00,voice,3,90000\n")
                .unwrap_err()
                .to_string();
        assert!(
            e.starts_with("v.csv:2:") && e.contains("at most 86400 (a day), got 90000"),
            "{e}"
        );
        let e = read("timestamp,channel,volume\n2026-11-09 08:00,voice,1\n2026-11-09T08:00:00+08:00,voice,2\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("v.csv:3:") && e.contains("twice (first on line 2)"),
            "{e}"
        );
        let e = read("timestamp,chan,volume\n").unwrap_err().to_string();
        assert!(e.contains("unknown column `chan`"), "{e}");
    }

    #[test]
    fn daylight_saving_local_times_are_refused() {
        let berlin = chrono_tz::Europe::Berlin;
        let gap = parse_timestamp("2026-03-29 02:30", berlin).unwrap_err();
        assert!(gap.contains("does not exist"), "{gap}");
        let twice = parse_timestamp("2026-10-25 02:30", berlin).unwrap_err();
        assert!(
            twice.contains("happens twice") && twice.contains("+02:00") && twice.contains("+01:00"),
            "{twice}"
        );
    }

    #[test]
    fn write_then_read_is_identity() {
        let s = read(
            "timestamp,channel,volume,aht_seconds\n\
             2026-11-09T08:00:00+08:00,voice,120.25,310\n\
             2026-11-09T08:30:00+08:00,chat,0,\n",
        )
        .unwrap();
        let mut buf = Vec::new();
        crate::export::write_volumes(&mut buf, &s.rows, TZ).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "timestamp,channel,volume,aht_seconds\n\
             2026-11-09T08:00:00+08:00,voice,120.25,310\n\
             2026-11-09T08:30:00+08:00,chat,0,\n"
        );
        let again = read(&text).unwrap();
        assert_eq!(
            again.rows.iter().map(|r| r.volume).collect::<Vec<_>>(),
            [120.25, 0.0]
        );
    }
}
