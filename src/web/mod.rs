//! `splitdsl serve FILE`: the workbook, a local page where an agreement
//! behaves like a live spreadsheet (issue 16; docs/workbook.md).
//!
//! A front end: the page talks to a JSON API under `/api` (`api.rs`) whose
//! every figure comes from the library — the document's diagnostics, the
//! evaluator's outcome as the §7 contract, the REPL session's goal seek,
//! sweep and what-if, `explain`, the chart's SVG. The server answers only
//! to its own address (`guard.rs`), serves the named file and its embedded
//! assets and nothing else (no request path reaches the file system), and
//! watches the file for changes made by other editors (server-sent events).

mod api;
mod guard;
pub mod state;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use state::{Disk, Shared, Workbook};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

pub use guard::Hosts;

/// The largest request body accepted (an agreement's text with room to spare).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;

/// How often the watcher looks at the file.
const POLL: Duration = Duration::from_millis(250);

/// The server's state: the workbook and the channel of disk events.
#[derive(Debug)]
pub struct App {
    shared: Shared,
    events: broadcast::Sender<String>,
}

impl App {
    /// The app serving `path`.
    pub fn new(path: &Path) -> Arc<App> {
        let (events, _) = broadcast::channel(16);
        Arc::new(App {
            shared: Shared::new(Workbook::open(path)),
            events,
        })
    }

    /// Looks at the file once: when its bytes changed since last seen,
    /// records them and tells the pages (`disk` event with the version).
    pub fn poll_disk(&self) {
        // Under the lock: a save in between cannot be reported as a change
        // (nor an older read recorded over it).
        let mut wb = self.shared.lock();
        let now = state::stamp(&wb.path);
        if now.is_some() && now == wb.disk.stamp {
            return;
        }
        let disk = Disk::read(&wb.path);
        if disk.version != wb.disk.version {
            let version = disk.version.clone();
            wb.disk = disk;
            drop(wb);
            let _ = self.events.send(version);
        } else {
            wb.disk.stamp = disk.stamp;
        }
    }
}

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

fn asset(kind: &'static str, body: &'static str) -> axum::response::Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

/// The router: the page, its assets, the API; every request through the
/// guard, bodies limited to [`BODY_LIMIT`].
pub fn router(app: Arc<App>, hosts: Hosts) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route("/api/file", get(api::file))
        .route("/api/source", post(api::source))
        .route("/api/evaluate", post(api::evaluate))
        .route("/api/export", post(api::export))
        .route("/api/explain", post(api::explain))
        .route("/api/solve", post(api::solve))
        .route("/api/accept", post(api::accept))
        .route("/api/table", post(api::table))
        .route(
            "/api/scenarios",
            get(api::scenarios).post(api::save_scenarios),
        )
        .route("/api/compare", post(api::compare))
        .route("/api/save", post(api::save))
        .route("/api/events", get(api::events))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
        .with_state(app)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(hosts),
            guard::guard,
        ))
}

/// The options of `splitdsl serve`.
#[derive(Clone, Debug)]
pub struct Options {
    /// The agreement.
    pub file: PathBuf,
    /// The port (None: a free one).
    pub port: Option<u16>,
    /// Open the page in the browser.
    pub open: bool,
    /// The address to bind (None: 127.0.0.1).
    pub host: Option<String>,
}

/// Runs the server until interrupted; the process's exit code.
pub fn run(opts: &Options) -> u8 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            return 1;
        }
    };
    rt.block_on(serve(opts))
}

async fn serve(opts: &Options) -> u8 {
    if opts.file.is_dir() {
        eprintln!(
            "error: {} is a directory, not an agreement",
            opts.file.display()
        );
        return 2;
    }
    let host = opts.host.clone().unwrap_or_else(|| "127.0.0.1".into());
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost" | "::1" | "[::1]");
    if !loopback {
        eprintln!(
            "warning: serving on {host}: other machines that reach this address can read and change {}",
            opts.file.display()
        );
    }
    let bind_host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let listener =
        match tokio::net::TcpListener::bind((bind_host.as_str(), opts.port.unwrap_or(0))).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {host}: {e}");
                return 1;
            }
        };
    let port = match listener.local_addr() {
        Ok(a) => a.port(),
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let mut hosts = Hosts::for_address(&host, port);
    if host == "localhost" {
        hosts = Hosts::for_address("127.0.0.1", port);
    }
    let url = format!("http://{}/", hosts.hosts[0]);
    let app = App::new(&opts.file);
    let watcher = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        loop {
            tick.tick().await;
            let w = watcher.clone();
            let _ = tokio::task::spawn_blocking(move || w.poll_disk()).await;
        }
    });
    {
        // Never a panic when stdout is closed (the server goes on).
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "workbook for {} at {url}", opts.file.display());
        let _ = writeln!(out, "(Ctrl-C stops the server)");
        let _ = out.flush();
    }
    if opts.open {
        open_browser(&url);
    }
    let router = router(app, hosts);
    if let Err(e) = axum::serve(listener, router).await {
        eprintln!("error: the server stopped: {e}");
        return 1;
    }
    0
}

/// Opens `url` with the desktop's opener; a failure is only a note.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    if std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_err()
    {
        eprintln!("note: could not open a browser; open {url} yourself");
    }
}
