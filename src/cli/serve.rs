//! `peakplan serve`, `peakplan publish` and `peakplan token`: the store and the HTTP API from the
//! command line.

use crate::live::LivePlan;
use crate::roster::summary::RosterSummary;
use crate::store::{self, Actor, NewToken, PlanRecord, Role, Store};
use anyhow::Context;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;

/// Serve the HTTP API for planners, the routing layer, vendors and supervisors.
///
/// The database is DATABASE_URL: `postgres://…` for several instances on one database, or
/// `sqlite://PATH`; default `sqlite://peakplan.sqlite` (created on first use). Stops gracefully
/// on Ctrl-C or SIGTERM: requests in flight finish, a running job goes back to the queue.
///
/// Example:
///   peakplan token create --role planner
///   peakplan serve --listen 127.0.0.1:8080
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
}

/// Store the roster `peakplan schedule --out DIR` wrote, and publish it.
///
/// Stores DIR/scenario.toml, DIR/forecast.csv and DIR/plan.json (with DIR/summary.json and, when
/// `peakplan plan` wrote one, DIR/report.html) as a new
/// roster in the database (DATABASE_URL, default sqlite://peakplan.sqlite), then publishes it: it
/// becomes the live roster the routing feed, vendors and supervisors see.
///
/// Example:
///   peakplan schedule --scenario models/promo-peak.toml --out out/roster
///   peakplan publish out/roster
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct PublishArgs {
    /// The folder `peakplan schedule --out` wrote.
    pub dir: PathBuf,
    /// Store as a draft without publishing.
    #[arg(long)]
    pub draft: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once and only its hash is stored.
    Create {
        /// planner, supervisor, routing, or vendor:<vendor id>.
        #[arg(long)]
        role: String,
        /// Who holds it, for the audit log (default: the role).
        #[arg(long)]
        label: Option<String>,
    },
    /// List the tokens: id, role, label, revoked.
    List,
    /// Revoke a token by its id (`token list`); servers stop accepting it within 5 s.
    Revoke {
        /// The token's id, as `token list` shows it.
        id: i64,
    },
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: TokenCommand,
}

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(super) async fn open() -> anyhow::Result<Arc<dyn Store>> {
    let url = store::database_url();
    store::open(&url)
        .await
        .with_context(|| format!("cannot open the database {url}"))
}

pub fn serve(args: ServeArgs) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "peakplan=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    runtime()?.block_on(async {
        let store = open().await?;
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let addr = listener.local_addr()?;
        say!(
            "peakplan serving http://{addr} ({} store); Ctrl-C stops",
            store.backend()
        );
        crate::api::serve(listener, store, shutdown_signal()).await
    })
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

pub fn publish(args: PublishArgs) -> anyhow::Result<()> {
    let path = |name: &str| args.dir.join(name);
    let read = |name: &str| {
        std::fs::read_to_string(path(name)).with_context(|| {
            format!(
                "cannot read {}; is {} a folder written by `peakplan schedule --out` or `peakplan plan`?",
                path(name).display(),
                args.dir.display()
            )
        })
    };
    let scenario_text = read("scenario.toml")?;
    let scenario = crate::scenario::Scenario::parse(
        &scenario_text,
        &path("scenario.toml").display().to_string(),
    )?;
    let forecast = read("forecast.csv")?;
    let plan: LivePlan = parse_json(&read("plan.json")?, &path("plan.json"))?;
    let summary: RosterSummary = parse_json(&read("summary.json")?, &path("summary.json"))?;
    let report = std::fs::read_to_string(path("report.html")).ok();
    let record = PlanRecord {
        scenario_name: &scenario.name,
        scenario_text: &scenario_text,
        forecast_origin: "forecast.csv",
        forecast_csv: &forecast,
        plan: &plan,
        summary: &summary,
        report: report.as_deref(),
    };
    let stored = super::plan::store_record(&record, !args.draft)?;
    say!(
        "{} roster {} version {} ({} shifts, {} vendor blocks, {} to {}) in {}",
        if args.draft {
            "stored as draft:"
        } else {
            "published"
        },
        stored.roster_id,
        stored.id,
        plan.shifts.len(),
        plan.blocks.len(),
        plan.first_day(),
        plan.last_day(),
        store::database_url()
    );
    Ok(())
}

/// A JSON file read into its type; the error names the file, line, column and the field at fault.
fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    path: &std::path::Path,
) -> anyhow::Result<T> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        anyhow::anyhow!(
            "{}:{}:{}: {}{inner}; write it again with `peakplan schedule --out DIR`",
            path.display(),
            inner.line(),
            inner.column(),
            if field == "." {
                String::new()
            } else {
                format!("`{field}`: ")
            }
        )
    })
}

/// Sign-ins for a look around the web app: one token per role (planner, supervisor, routing and
/// each of `vendors`), labelled `demo …`; the demo tokens of an earlier run are revoked first.
pub fn demo_sign_ins(vendors: &[String]) -> anyhow::Result<Vec<(Role, String)>> {
    let mut roles = vec![Role::Planner, Role::Supervisor, Role::Routing];
    roles.extend(vendors.iter().map(|v| Role::Vendor(v.clone())));
    runtime()?.block_on(async {
        let store = open().await?;
        let actor = Actor::cli("demo");
        for t in store.tokens().await? {
            if !t.revoked && t.label.starts_with("demo ") {
                store.revoke_token(&actor, t.id).await?;
            }
        }
        let mut out = Vec::new();
        for role in roles {
            let token = NewToken::generate();
            store
                .create_token(&role, &format!("demo {role}"), &token.hash)
                .await?;
            out.push((role, token.plain));
        }
        anyhow::Ok(out)
    })
}

pub fn token(args: TokenArgs) -> anyhow::Result<()> {
    match args.command {
        TokenCommand::Create { role, label } => {
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let label = label.unwrap_or_else(|| role.to_string());
            let token = NewToken::generate();
            runtime()?.block_on(async {
                let store = open().await?;
                store.create_token(&role, &label, &token.hash).await?;
                anyhow::Ok(())
            })?;
            eprintln!("token for {label} ({role}); it is shown once, keep it:");
            say!("{}", token.plain);
            Ok(())
        }
        TokenCommand::List => runtime()?.block_on(async {
            let store = open().await?;
            for t in store.tokens().await? {
                say!(
                    "{}\t{}\t{}{}",
                    t.id,
                    t.role,
                    t.label,
                    if t.revoked { "\trevoked" } else { "" }
                );
            }
            Ok(())
        }),
        TokenCommand::Revoke { id } => runtime()?.block_on(async {
            let store = open().await?;
            if store.revoke_token(&Actor::cli("token revoke"), id).await? {
                say!("token {id} revoked");
                Ok(())
            } else {
                anyhow::bail!("no active token {id}; `peakplan token list` shows them")
            }
        }),
    }
}
