//! Headless Chromium driven through its WebDriver (Debian's `chromium-driver`, which
//! scripts/prereqs.sh installs): one chromedriver per test, as many browsers as the test needs,
//! each with its own profile (so its own cookies).

use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Driver {
    process: Child,
    url: String,
    _profiles: tempfile::TempDir,
}

impl Driver {
    pub async fn start() -> Driver {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("address").port()
        };
        let process = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "chromedriver is needed for the web app's tests: `apt-get install chromium-driver` \
                 (scripts/prereqs.sh installs it)",
            );
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Driver {
            process,
            url,
            _profiles: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A new browser window of `width` × 900 pixels.
    pub async fn browser(&self, width: u32) -> Client {
        let profile = tempfile::tempdir_in(self._profiles.path()).expect("profile dir");
        let profile = profile.keep();
        let binary = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("/usr/bin/chromium");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    format!("--window-size={width},900"), format!("--user-data-dir={}", profile.display())],
            }),
        );
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("chromedriver starts a headless Chromium")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Signs `browser` in with `token` at the app on `base`.
pub async fn sign_in(browser: &Client, base: &str, token: &str) {
    browser
        .goto(&format!("{base}/app/sign-in"))
        .await
        .expect("the sign-in page opens");
    let field = browser
        .find(Locator::Id("token"))
        .await
        .expect("a token field");
    field.send_keys(token).await.expect("typed");
    browser
        .find(Locator::Css("main form button[type=submit]"))
        .await
        .expect("a sign-in button")
        .click()
        .await
        .expect("clicked");
    for _ in 0..200 {
        let url = browser.current_url().await.expect("a URL");
        if url.path() != "/app/sign-in" {
            wait_for(browser, "body[data-ready]").await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "signing in did not leave the sign-in page: {}",
        text(browser).await
    );
}

/// Waits (up to 20 s) until an element matches `css`. A lookup that a navigation aborts (the
/// page was submitting a form or following a link) is tried again on the page that follows.
pub async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match browser.find(Locator::Css(css)).await {
            Ok(element) => return element,
            Err(e) if std::time::Instant::now() >= deadline => {
                panic!("no {css} within 20 s: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The visible text of the page.
pub async fn text(browser: &Client) -> String {
    browser
        .find(Locator::Css("body"))
        .await
        .expect("a body")
        .text()
        .await
        .expect("its text")
}

/// Saves a screenshot as `docs/<name>.png` when PEAKPLAN_SCREENSHOTS=1.
pub async fn screenshot(browser: &Client, name: &str) {
    if std::env::var("PEAKPLAN_SCREENSHOTS").is_ok_and(|v| v == "1") {
        let png = browser.screenshot().await.expect("a screenshot");
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("docs/{name}.png"));
        std::fs::write(&path, png).expect("the screenshot is written");
    }
}
