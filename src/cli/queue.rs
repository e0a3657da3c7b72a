//! `peakplan queue`: one stationary queue, evaluated or sized.

use super::table;
use crate::queueing::{Queue, QueueMetrics, QueueModel, Seconds, StaffingTarget};
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use serde::Serialize;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModelName {
    /// M/M/N, callers never abandon.
    ErlangC,
    /// M/M/N+M, callers abandon after an exponential patience (needs --patience-seconds).
    ErlangA,
    /// Agents hold up to --max-sessions chats, each slowed by --slowdown per extra session.
    Chat,
}

/// Evaluate one queue (with --agents) or find the fewest agents that meet a target (with --target-sl).
///
/// Examples:
///   peakplan queue --model erlang-c --calls-per-hour 360 --aht-seconds 240 --agents 28 --target-seconds 20
///   peakplan queue --model erlang-a --calls-per-hour 360 --aht-seconds 240 --patience-seconds 180 \
///                  --target-seconds 20 --target-sl 0.8 --json
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct QueueArgs {
    /// The queueing model: Erlang C (callers wait for ever), Erlang A (callers abandon after
    /// --patience-seconds on average) or chat (agents hold --max-sessions at once).
    #[arg(long, value_enum, default_value = "erlang-c")]
    model: ModelName,
    /// Contacts arriving per hour.
    #[arg(long)]
    calls_per_hour: f64,
    /// Average handle time in seconds (for chat: of a session handled alone).
    #[arg(long)]
    aht_seconds: f64,
    /// Mean patience in seconds before a waiting contact abandons (erlang-a; optional for chat).
    #[arg(long)]
    patience_seconds: Option<f64>,
    /// Chat sessions an agent holds at once.
    #[arg(long, default_value_t = 1)]
    max_sessions: u32,
    /// Chat: how much slower every session gets per extra concurrent session (0.25 = 25 %).
    #[arg(long, default_value_t = 0.0)]
    slowdown: f64,
    /// Service-level horizon: answered within this many seconds.
    #[arg(long, default_value_t = 20.0)]
    target_seconds: f64,
    /// Evaluate with this many agents.
    #[arg(
        long,
        conflicts_with = "target_sl",
        required_unless_present = "target_sl"
    )]
    agents: Option<u32>,
    /// Find the fewest agents answering this share within --target-seconds (e.g. 0.8).
    #[arg(long)]
    target_sl: Option<f64>,
    /// With --target-sl: also keep occupancy at or below this share.
    #[arg(long, requires = "target_sl")]
    max_occupancy: Option<f64>,
    /// With --target-sl: also keep abandonment at or below this share (erlang-a, chat).
    #[arg(long, requires = "target_sl")]
    max_abandon: Option<f64>,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    model: &'a str,
    calls_per_hour: f64,
    aht_seconds: f64,
    target_seconds: f64,
    #[serde(flatten)]
    metrics: QueueMetrics,
}

pub fn run(args: QueueArgs) -> anyhow::Result<()> {
    let patience = args
        .patience_seconds
        .map(Seconds::new)
        .transpose()
        .context("--patience-seconds")?;
    let (model, name) = match args.model {
        ModelName::ErlangC => {
            if patience.is_some() {
                bail!(
                    "--patience-seconds applies to erlang-a and chat; Erlang C callers never abandon"
                );
            }
            (QueueModel::ErlangC, "erlang-c")
        }
        ModelName::ErlangA => {
            let Some(patience) = patience else {
                bail!(
                    "erlang-a needs --patience-seconds (the mean time a caller waits before hanging up)"
                );
            };
            (QueueModel::ErlangA { patience }, "erlang-a")
        }
        ModelName::Chat => (
            QueueModel::Chat {
                max_sessions: args.max_sessions,
                slowdown: args.slowdown,
                patience,
            },
            "chat",
        ),
    };
    if args.max_abandon.is_some() && matches!(model, QueueModel::ErlangC) {
        bail!(
            "--max-abandon needs a model with abandonment (erlang-a, or chat with --patience-seconds)"
        );
    }
    let aht = Seconds::new(args.aht_seconds).context("--aht-seconds")?;
    let queue = Queue::per_hour(args.calls_per_hour, aht, model)?;
    let within = Seconds::new(args.target_seconds).context("--target-seconds")?;
    let metrics = match (args.agents, args.target_sl) {
        (Some(n), _) => queue.evaluate(n, within)?,
        (None, Some(sl)) => {
            let target = StaffingTarget::new(within, sl, args.max_occupancy, args.max_abandon)?;
            queue.required_agents(&target)?
        }
        (None, None) => {
            bail!("give --agents to evaluate, or --target-sl to find the agents needed")
        }
    };
    if args.json {
        let out = Output {
            model: name,
            calls_per_hour: args.calls_per_hour,
            aht_seconds: args.aht_seconds,
            target_seconds: args.target_seconds,
            metrics,
        };
        say!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let mut rows = vec![
        ("model".to_string(), name.to_string()),
        (
            "offered load".to_string(),
            format!("{:.3} Erlangs", metrics.offered_load),
        ),
        ("agents".to_string(), metrics.agents.to_string()),
        (
            format!("service level ({} s)", args.target_seconds),
            table::pct(metrics.service_level),
        ),
        ("P(wait)".to_string(), table::pct(metrics.p_wait)),
        (
            "ASA".to_string(),
            metrics
                .asa_seconds
                .map_or("–".into(), |a| format!("{a:.1} s")),
        ),
        ("occupancy".to_string(), table::pct(metrics.occupancy)),
    ];
    if !matches!(model, QueueModel::ErlangC) {
        rows.push(("abandoned".to_string(), table::pct(metrics.p_abandon)));
    }
    let t = table::pairs(rows);
    say!("{t}");
    Ok(())
}
