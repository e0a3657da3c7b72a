//! The test application: a fresh store on the chosen backend, tokens for every role, the small
//! sample roster published, and the real server on port 0.

use peakplan::live::LivePlan;
use peakplan::plan::{self, Demand, Plan, PlanRequest, Quiet};
use peakplan::roster;
use peakplan::scenario::Scenario;
use peakplan::store::{self, Actor, NewToken, Role, Store};
use peakplan::volumes::VolumeSeries;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// The server tests use: `PEAKPLAN_TEST_POSTGRES_URL`, default the local `test` database.
pub fn postgres_url() -> String {
    std::env::var("PEAKPLAN_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn postgres_available() -> Result<(), String> {
    runtime().block_on(async {
        let url = postgres_url();
        let connect = sqlx::PgPool::connect(&url);
        match tokio::time::timeout(std::time::Duration::from_secs(5), connect).await {
            Ok(Ok(pool)) => {
                pool.close().await;
                Ok(())
            }
            Ok(Err(e)) => Err(format!("cannot connect to {}: {e}", postgres_url())),
            Err(_) => Err(format!("no answer from {} within 5 s", postgres_url())),
        }
    })
}

/// A fresh schema; the URL that selects it.
pub async fn fresh_schema() -> (String, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let schema = format!(
        "pp_test_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_micros() % 1_000_000
    );
    let pool = sqlx::PgPool::connect(&postgres_url())
        .await
        .expect("PostgreSQL answers");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .expect("schema created");
    pool.close().await;
    let sep = if postgres_url().contains('?') {
        '&'
    } else {
        '?'
    };
    let url = format!("{}{sep}options[search_path]={schema}", postgres_url());
    (schema, url)
}

pub fn drop_schema(schema: &str) {
    let schema = schema.to_string();
    let _ = std::thread::spawn(move || {
        runtime().block_on(async {
            if let Ok(pool) = sqlx::PgPool::connect(&postgres_url()).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE"
                )))
                .execute(&pool)
                .await;
                pool.close().await;
            }
        })
    })
    .join();
}

/// The small test scenario planned once per run through the library (coverage mode, against its
/// forecast), and written as `peakplan schedule --out` writes a folder.
pub fn small_plan() -> &'static (Plan, PathBuf) {
    static PLAN: OnceLock<(Plan, PathBuf)> = OnceLock::new();
    PLAN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let path = root.join("tests/data/roster-small.toml");
        let scenario = Scenario::load(&path).expect("the small scenario loads");
        let forecast = VolumeSeries::read(
            root.join("tests/data/roster-small-forecast.csv"),
            scenario.time_zone,
        )
        .expect("its forecast reads");
        let request = PlanRequest {
            scenario_text: std::fs::read_to_string(&path).expect("the scenario file"),
            scenario,
            demand: Demand::Forecast(forecast),
            roster: roster::Options {
                mode: roster::Mode::Coverage,
                time_limit_seconds: 60.0,
                ..Default::default()
            },
            simulation: None,
        };
        let plan = plan::run(&request, &Quiet).expect("the small scenario plans");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("api-roster-{}", std::process::id()));
        peakplan::export::write_plan(&dir, &plan).expect("the plan's files are written");
        // The roster every API test serves holds every rule, by the independent checker.
        crate::checker::assert_roster_holds(&path, &dir);
        (plan, dir)
    })
}

/// The folder the small plan was written to.
pub fn roster_dir() -> &'static Path {
    &small_plan().1
}

pub fn sample_plan() -> LivePlan {
    small_plan().0.live.clone()
}

pub struct Tokens {
    pub planner: String,
    pub supervisor: String,
    pub routing: String,
    pub vendor_a: String,
    pub vendor_b: String,
}

pub struct TestApp {
    /// The database URL the store was opened with.
    pub url: String,
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pub tokens: Tokens,
    /// The published version of the sample roster.
    pub version: i64,
    pub plan: LivePlan,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    schema: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

pub async fn token(store: &dyn Store, role: &str) -> String {
    let t = NewToken::generate();
    store
        .create_token(&Role::parse(role).expect("a role"), role, &t.hash)
        .await
        .expect("token stored");
    t.plain
}

/// A store on `backend`, empty: the store, its URL, the schema or folder to clean up.
pub async fn open_store(
    backend: Backend,
) -> (
    Arc<dyn Store>,
    String,
    Option<String>,
    Option<tempfile::TempDir>,
) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("peakplan.sqlite").display());
            let store = store::open(&url).await.expect("SQLite store");
            (store, url, None, Some(dir))
        }
        Backend::Postgres => {
            let (schema, url) = fresh_schema().await;
            let store = store::open(&url).await.expect("PostgreSQL store");
            (store, url, Some(schema), None)
        }
    }
}

/// Publishes `plan` as a new roster; its version.
pub async fn publish(store: &dyn Store, plan: &LivePlan) -> i64 {
    let actor = Actor::cli("test");
    let scenario = &small_plan().0.scenario_text;
    let id = store
        .put_scenario(&actor, "small", scenario)
        .await
        .expect("scenario stored");
    let draft = store
        .create_roster(&actor, Some(id), plan, None, None)
        .await
        .expect("roster stored");
    store.publish(&actor, draft.id).await.expect("published").id
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    let (store, url, schema, dir) = open_store(backend).await;
    let plan = sample_plan();
    let version = publish(&*store, &plan).await;
    let tokens = Tokens {
        planner: token(&*store, "planner").await,
        supervisor: token(&*store, "supervisor").await,
        routing: token(&*store, "routing").await,
        vendor_a: token(&*store, "vendor:bpo-a").await,
        vendor_b: token(&*store, "vendor:bpo-b").await,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("port 0");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server_store = store.clone();
    let server = tokio::spawn(async move {
        // A test's teardown may drop the schema under a stopping server: its last words are moot.
        let _ = peakplan::api::serve(listener, server_store, async {
            let _ = stopped.await;
        })
        .await;
    });
    TestApp {
        url,
        base,
        client: Client::new(),
        store,
        tokens,
        version,
        plan,
        stop: Some(stop),
        server: Some(server),
        schema,
        _dir: dir,
    }
}

impl TestApp {
    pub fn request(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        let r = self.client.request(method, format!("{}{path}", self.base));
        if token.is_empty() {
            r
        } else {
            r.bearer_auth(token)
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, token)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn get_json(&self, path: &str, token: &str) -> Value {
        let r = self.get(path, token).await;
        let status = r.status();
        let body: Value = r.json().await.expect("a JSON body");
        assert!(status.is_success(), "GET {path}: {status} {body}");
        body
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.request(Method::POST, path, token)
            .json(body)
            .send()
            .await
            .expect("the server answers")
    }

    pub async fn edit(&self, version: i64, body: &Value) -> Response {
        self.request(
            Method::POST,
            "/v1/supervisor/edits",
            &self.tokens.supervisor,
        )
        .header("If-Match", format!("\"{version}\""))
        .json(body)
        .send()
        .await
        .expect("the server answers")
    }

    /// Counts of what writes leave behind: versions of the roster, audit entries, changes.
    pub async fn footprint(&self) -> (usize, usize, usize) {
        let rosters = self.store.rosters().await.expect("rosters");
        let mut versions = 0;
        for r in &rosters {
            versions += self.store.versions(r.id).await.expect("versions").len();
        }
        let audit = self.store.audit_log(0, 100_000).await.expect("audit").len();
        let changes = self
            .store
            .changes_after(0, 100_000)
            .await
            .expect("changes")
            .len();
        (versions, audit, changes)
    }

    /// Runs one statement on the database directly, as an operator with SQL access could.
    pub async fn raw_execute(&self, statement: &'static str) -> Result<u64, String> {
        let result = if self.url.starts_with("sqlite") {
            let pool = sqlx::SqlitePool::connect(&self.url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query(statement)
                .execute(&pool)
                .await
                .map(|r| r.rows_affected())
        } else {
            let pool = sqlx::PgPool::connect(&self.url)
                .await
                .map_err(|e| e.to_string())?;
            sqlx::query(statement)
                .execute(&pool)
                .await
                .map(|r| r.rows_affected())
        };
        result.map_err(|e| e.to_string())
    }

    /// Stops the server gracefully and drops the test schema.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// A day of the sample with shifts, and an agent working on `channel` that day.
    pub fn working_agent(&self, channel: &str) -> (String, chrono::NaiveDate) {
        let s = self
            .plan
            .shifts
            .iter()
            .find(|s| s.channel == channel)
            .expect("a shift on the channel");
        (s.agent.clone(), s.date)
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(schema) = self.schema.take() {
            drop_schema(&schema);
        }
    }
}

/// Problem details of an error response, checked for its status and content type.
pub async fn problem(response: Response, status: u16) -> Value {
    let got = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.expect("a body");
    assert_eq!(got, status, "expected {status}, got {got}: {text}");
    assert_eq!(content_type, "application/problem+json", "{text}");
    serde_json::from_str(&text).expect("a problem body")
}
