//! The workbook's HTTP API in process (tower's `oneshot` on the router):
//! every figure equals the command line's, and every refusal holds (foreign
//! Host, cross-origin writes, oversized bodies, paths that are not ours).

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "serve")]

use assert_cmd::Command;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use splitdsl::web::{router, App, Hosts};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tower::ServiceExt;

const PORT: u16 = 41234;
const HOST: &str = "127.0.0.1:41234";
const ORIGIN: &str = "http://127.0.0.1:41234";

struct Fixture {
    _dir: tempfile::TempDir,
    file: PathBuf,
    app: Arc<App>,
}

impl Fixture {
    /// A copy of examples/hotmart.split (never the shipped file).
    fn hotmart() -> Fixture {
        let text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/hotmart.split"),
        )
        .unwrap();
        Fixture::with("hotmart.split", &text)
    }

    fn with(name: &str, text: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(name);
        std::fs::write(&file, text).unwrap();
        let app = App::new(&file);
        Fixture {
            _dir: dir,
            file,
            app,
        }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let r = router(self.app.clone(), Hosts::for_address("127.0.0.1", PORT))
            .oneshot(req)
            .await
            .unwrap();
        let status = r.status();
        let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Vec<u8>) {
        self.send(
            Request::get(path)
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (s, b) = self.post_raw(path, body).await;
        (s, serde_json::from_slice(&b).unwrap_or(Value::Null))
    }

    async fn post_raw(&self, path: &str, body: &Value) -> (StatusCode, Vec<u8>) {
        self.send(
            Request::post(path)
                .header(header::HOST, HOST)
                .header(header::ORIGIN, ORIGIN)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }
}

fn splitdsl(args: &[&str]) -> String {
    let out = Command::cargo_bin("splitdsl")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let f = Fixture::hotmart();
    let (s, body) = f.get("/").await;
    assert_eq!(s, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("splitdsl") && html.contains("/app.js"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no CDN"
    );
    for path in ["/app.js", "/app.css"] {
        assert_eq!(f.get(path).await.0, StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn no_request_path_reaches_the_file_system() {
    let f = Fixture::hotmart();
    std::fs::write(f.file.parent().unwrap().join("secret.txt"), "secret").unwrap();
    for path in [
        "/secret.txt",
        "/hotmart.split",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/assets/index.html",
        "/src/web/assets/app.js",
        "/etc/passwd",
        "/api/file/../../secret.txt",
    ] {
        let (s, body) = f.get(path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"));
    }
    // A query names no file: /api/file serves the one file given.
    let (s, body) = f.get("/api/file?path=secret.txt&name=secret.txt").await;
    assert_eq!(s, StatusCode::OK);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["text"].as_str().unwrap().contains("share producer"));
}

#[tokio::test]
async fn a_foreign_host_header_is_refused() {
    let f = Fixture::hotmart();
    for host in [
        Some("evil.example:41234"),
        Some("evil.example"),
        Some("127.0.0.1:9999"),
        Some("127.0.0.1.evil.example:41234"),
        None,
    ] {
        let mut req = Request::get("/api/file");
        if let Some(h) = host {
            req = req.header(header::HOST, h);
        }
        let (s, body) = f.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{host:?}");
        assert!(!String::from_utf8_lossy(&body).contains("producer"));
    }
    for host in ["localhost:41234", "LOCALHOST:41234", "[::1]:41234"] {
        let req = Request::get("/").header(header::HOST, host);
        assert_eq!(
            f.send(req.body(Body::empty()).unwrap()).await.0,
            StatusCode::OK,
            "{host}"
        );
    }
}

#[tokio::test]
async fn a_change_from_another_origin_is_refused() {
    let f = Fixture::hotmart();
    let before = std::fs::read_to_string(&f.file).unwrap();
    let save = json!({"text": "price = 1.00 USD\n", "base": "", "overwrite": true});
    let cases: [(&[(&str, &str)], StatusCode); 6] = [
        (&[], StatusCode::FORBIDDEN),
        (&[("origin", "http://evil.example")], StatusCode::FORBIDDEN),
        (
            &[("origin", "http://127.0.0.1:9999")],
            StatusCode::FORBIDDEN,
        ),
        (&[("origin", "null")], StatusCode::FORBIDDEN),
        (&[("sec-fetch-site", "cross-site")], StatusCode::FORBIDDEN),
        (
            &[
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "same-origin"),
            ],
            StatusCode::FORBIDDEN,
        ),
    ];
    for (headers, want) in cases {
        let mut req = Request::post("/api/save")
            .header(header::HOST, HOST)
            .header(header::CONTENT_TYPE, "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (s, _) = f
            .send(req.body(Body::from(save.to_string())).unwrap())
            .await;
        assert_eq!(s, want, "{headers:?}");
    }
    assert_eq!(std::fs::read_to_string(&f.file).unwrap(), before);
    // A browser that sends no Origin but says same-origin is the page.
    let req = Request::post("/api/source")
        .header(header::HOST, HOST)
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"text": before}).to_string()))
        .unwrap();
    assert_eq!(f.send(req).await.0, StatusCode::OK);
    // A form post (not JSON) is refused by the API.
    let req = Request::post("/api/save")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("text=x"))
        .unwrap();
    assert_eq!(f.send(req).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(std::fs::read_to_string(&f.file).unwrap(), before);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let f = Fixture::hotmart();
    let big = "# ".to_string() + &"x".repeat(splitdsl::web::BODY_LIMIT);
    let (s, _) = f.post_raw("/api/source", &json!({ "text": big })).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_breakdown_is_the_json_contract_of_run() {
    let f = Fixture::hotmart();
    let file = f.file.to_str().unwrap();
    let (s, v) = f
        .post("/api/evaluate", &json!({"inputs": {"price": "197.00 USD"}}))
        .await;
    assert_eq!(s, StatusCode::OK);
    let run = splitdsl(&["run", file, "--format", "json", "--set", "price=197.00USD"]);
    let expected: Value = serde_json::from_str(&run).unwrap();
    assert_eq!(v["breakdown"], expected);
    assert_eq!(v["breakdown"]["deductions"][3]["amount"], "103.54");
    assert_eq!(v["inputs"][0]["name"], "price");
    assert_eq!(v["inputs"][0]["field"], "100.00");
    assert_eq!(v["inputs"][0]["value"], "197.00 USD");
    assert_eq!(v["rows"][0]["percent"], "10.15%");
    assert!(v["svg"].as_str().unwrap().starts_with("<svg"));
    // The chart is the one `run --svg` writes.
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("c.svg");
    splitdsl(&[
        "run",
        file,
        "--set",
        "price=197.00USD",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(
        v["svg"].as_str().unwrap(),
        std::fs::read_to_string(&svg).unwrap()
    );
    // Export: byte for byte what `run --format json|csv` prints.
    let body = json!({"inputs": {"price": "197.00 USD"}});
    let (s, bytes) = f.post_raw("/api/export?format=json", &body).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(String::from_utf8(bytes).unwrap(), run);
    let (s, bytes) = f.post_raw("/api/export?format=csv", &body).await;
    assert_eq!(s, StatusCode::OK);
    let csv = splitdsl(&["run", file, "--format", "csv", "--set", "price=197.00USD"]);
    assert_eq!(String::from_utf8(bytes).unwrap(), csv);
    assert_eq!(
        f.post_raw("/api/export?format=xml", &body).await.0,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_bad_input_is_reported_on_it_and_the_rest_still_evaluates() {
    let f = Fixture::hotmart();
    let (s, v) = f
        .post("/api/evaluate", &json!({"inputs": {"price": "50%"}}))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["inputs"][0]["error"].as_str().unwrap().contains("price"));
    assert_eq!(v["breakdown"]["deductions"][3]["amount"], "52.42");
}

#[tokio::test]
async fn diagnostics_are_those_of_check_on_their_line() {
    let f = Fixture::hotmart();
    let text = std::fs::read_to_string(&f.file)
        .unwrap()
        .replace("\"Carla\"   = remaining", "\"Carla\"   = remainin");
    let (s, v) = f.post("/api/source", &json!({ "text": text })).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["ok"], false);
    let typo = tempfile::tempdir().unwrap();
    let path = typo.path().join("hotmart.split");
    std::fs::write(&path, &text).unwrap();
    let check: Value = serde_json::from_str(&splitdsl(&[
        "check",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]))
    .unwrap();
    let strip = |v: &Value| {
        let mut v = v.clone();
        for d in v.as_array_mut().unwrap() {
            d.as_object_mut().unwrap().remove("file");
        }
        v
    };
    assert_eq!(strip(&v["diagnostics"]), strip(&check));
    let line = text
        .lines()
        .position(|l| l.ends_with("= remainin"))
        .unwrap()
        + 1;
    assert_eq!(v["diagnostics"][0]["spans"][0]["line"], line);
    // The figures stay, from the last text that checked, marked stale.
    let (_, e) = f.post("/api/evaluate", &json!({})).await;
    assert_eq!(e["stale"], true);
    assert_eq!(e["breakdown"]["deductions"][3]["amount"], "52.42");
}

#[tokio::test]
async fn save_writes_atomically_and_refuses_to_overwrite_a_change_on_disk() {
    let f = Fixture::hotmart();
    let (_, file) = f.get("/api/file").await;
    let file: Value = serde_json::from_slice(&file).unwrap();
    let base = file["version"].as_str().unwrap().to_string();
    let original = file["text"].as_str().unwrap().to_string();
    let mine = original.replace("price = 100.00 USD", "price = 120.00 USD");
    let (s, v) = f
        .post("/api/save", &json!({"text": mine, "base": base}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(std::fs::read_to_string(&f.file).unwrap(), mine);
    let saved = v["version"].as_str().unwrap().to_string();
    assert_ne!(saved, base);
    // Another editor changes the file: a save based on the old version is
    // refused with the disk's text, and nothing is written.
    let theirs = mine.replace("Online marketing course", "Theirs");
    std::fs::write(&f.file, &theirs).unwrap();
    let again = mine.replace("Online marketing course", "Mine");
    let (s, v) = f
        .post("/api/save", &json!({"text": again, "base": saved}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["conflict"], true);
    assert_eq!(v["disk_text"], theirs.as_str());
    assert_eq!(std::fs::read_to_string(&f.file).unwrap(), theirs);
    // Overwrite, asked for explicitly.
    let (s, _) = f
        .post(
            "/api/save",
            &json!({"text": again, "base": saved, "overwrite": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(std::fs::read_to_string(&f.file).unwrap(), again);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(f.file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[tokio::test]
async fn goal_seek_is_exact_and_accept_changes_only_the_default() {
    let f = Fixture::hotmart();
    let (s, v) = f
        .post(
            "/api/solve",
            &json!({"input": "price", "target": "producer", "goal": "60.00 USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["result"]["kind"], "found");
    assert_eq!(v["result"]["value"], "114.40 USD");
    assert_eq!(v["result"]["target"], "60.00 USD");
    let run = splitdsl(&[
        "run",
        f.file.to_str().unwrap(),
        "--format",
        "json",
        "--set",
        "price=114.40USD",
    ]);
    let run: Value = serde_json::from_str(&run).unwrap();
    assert_eq!(run["deductions"][3]["amount"], "60.00");
    // Accept: the text with only the default's bytes changed, and the diff;
    // nothing written yet.
    let before = std::fs::read_to_string(&f.file).unwrap();
    let (s, v) = f
        .post(
            "/api/accept",
            &json!({"input": "price", "value": "114.40 USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v["text"],
        before
            .replacen("price = 100.00 USD", "price = 114.40 USD", 1)
            .as_str()
    );
    let diff = v["diff"].as_str().unwrap();
    assert!(diff.contains("-price = 100.00 USD") && diff.contains("+price = 114.40 USD"));
    assert_eq!(std::fs::read_to_string(&f.file).unwrap(), before);
    // A value the input does not take is refused.
    let (s, _) = f
        .post("/api/accept", &json!({"input": "price", "value": "5%"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = f
        .post(
            "/api/accept",
            &json!({"input": "producer", "value": "1.00 USD"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn explain_is_the_tree_of_the_explain_command_with_lines() {
    let f = Fixture::hotmart();
    let (s, v) = f
        .post(
            "/api/explain",
            &json!({"name": "affiliate", "inputs": {"price": "197.00 USD"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let cli = splitdsl(&[
        "explain",
        f.file.to_str().unwrap(),
        "affiliate",
        "--set",
        "price=197USD",
    ]);
    assert_eq!(v["text"], cli.as_str());
    let line = std::fs::read_to_string(&f.file)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("share affiliate"))
        .unwrap()
        + 1;
    assert_eq!(v["line"], line);
    assert_eq!(v["tree"]["line"], line);
    assert!(v["tree"]["text"]
        .as_str()
        .unwrap()
        .starts_with("affiliate = 61.95 USD"));
}

#[tokio::test]
async fn scenarios_live_in_a_sidecar_and_compare_with_the_base_case() {
    let f = Fixture::hotmart();
    let (s, body) = f.get("/api/scenarios").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap(),
        json!({"scenarios": []})
    );
    let scenarios = json!({"scenarios": [
        {"name": "launch", "inputs": {"price": "200.00 USD"}},
        {"name": "same", "inputs": {}},
    ]});
    let before = std::fs::read_to_string(&f.file).unwrap();
    let (s, _) = f.post("/api/scenarios", &scenarios).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        std::fs::read_to_string(&f.file).unwrap(),
        before,
        "never inside the agreement"
    );
    let side = f.file.with_file_name("hotmart.split.scenarios.json");
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(side).unwrap()).unwrap();
    assert_eq!(stored, scenarios);
    let (_, body) = f.get("/api/scenarios").await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), scenarios);
    let (s, v) = f.post("/api/compare", &scenarios).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let producer = |i: usize| {
        v["scenarios"][i]["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "producer")
            .unwrap()
            .clone()
    };
    assert_eq!(producer(0)["base"], "52.42");
    assert_eq!(producer(0)["scenario"], "105.12");
    assert_eq!(producer(0)["difference"], "52.70");
    assert_eq!(producer(1)["difference"], "0.00");
    assert_eq!(v["base"]["deductions"][3]["amount"], "52.42");
    // A scenario with a bad value is reported, the others still compare.
    let (s, v) = f
        .post(
            "/api/compare",
            &json!({"scenarios": [{"name": "bad", "inputs": {"price": "5%"}}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(v["scenarios"][0]["error"].is_string());
    let (s, _) = f
        .post(
            "/api/scenarios",
            &json!({"scenarios": [{"name": " ", "inputs": {}}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_data_table_of_two_inputs_is_the_grid_of_run() {
    let text =
        "price = 100.00 USD\ninput rate = 10%\nshare a = rate of price\nshare b = remaining\n";
    let f = Fixture::with("two.split", text);
    let (s, v) = f
        .post(
            "/api/table",
            &json!({
                "rows": {"input": "price", "from": "100 USD", "to": "300 USD", "step": "100"},
                "cols": {"input": "rate", "from": "10%", "to": "30%", "step": "10%"},
                "result": "a",
            }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["rows"], json!(["100.00 USD", "200.00 USD", "300.00 USD"]));
    assert_eq!(v["columns"], json!(["0.1", "0.2", "0.3"]));
    assert_eq!(v["grid"][2][1], "60.00");
    let file = f.file.to_str().unwrap();
    for (i, price) in ["100USD", "200USD", "300USD"].iter().enumerate() {
        for (j, rate) in ["10%", "20%", "30%"].iter().enumerate() {
            let run = splitdsl(&[
                "run",
                file,
                "--format",
                "json",
                "--set",
                &format!("price={price}"),
                "--set",
                &format!("rate={rate}"),
            ]);
            let run: Value = serde_json::from_str(&run).unwrap();
            assert_eq!(
                v["grid"][i][j], run["deductions"][0]["amount"],
                "{price} {rate}"
            );
        }
    }
    // One input: every fee and share.
    let (s, v) = f
        .post(
            "/api/table",
            &json!({"rows": {"input": "rate", "from": "0%", "to": "50%", "step": "25%"}, "result": "a"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["columns"], json!(["a", "b", "unallocated"]));
    assert_eq!(v["rows"][2]["cells"], json!(["50.00", "50.00", "0.00"]));
    // Too many values are refused, not computed.
    let (s, _) = f
        .post(
            "/api/table",
            &json!({"rows": {"input": "price", "from": "1 USD", "to": "1000 USD", "step": "1"}, "result": "a"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_change_on_disk_is_an_event() {
    let f = Fixture::hotmart();
    let r = router(f.app.clone(), Hosts::for_address("127.0.0.1", PORT))
        .oneshot(
            Request::builder()
                .method(Method::GET)
                .uri("/api/events")
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = r.into_body();
    macro_rules! frame {
        ($f:expr) => {
            String::from_utf8($f.unwrap().unwrap().into_data().unwrap().to_vec()).unwrap()
        };
    }
    let hello = frame!(body.frame().await);
    assert!(hello.contains("event: hello"), "{hello}");
    // Nothing changed: no event.
    f.app.poll_disk();
    let text = std::fs::read_to_string(&f.file).unwrap() + "# changed elsewhere\n";
    std::fs::write(&f.file, &text).unwrap();
    f.app.poll_disk();
    let next = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
        .await
        .unwrap();
    let event = frame!(next);
    assert!(event.contains("event: disk"), "{event}");
    let (_, file) = f.get("/api/file").await;
    let file: Value = serde_json::from_slice(&file).unwrap();
    assert!(event.contains(file["version"].as_str().unwrap()), "{event}");
}

/// One HTTP/1.1 GET over a real socket; the status line.
fn raw_get(addr: &str, host: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or("").to_string()
}

#[test]
fn the_binary_binds_the_loopback_on_a_free_port_and_checks_host() {
    use std::io::{BufRead, BufReader};
    let f = Fixture::hotmart();
    let bin = assert_cmd::cargo::cargo_bin("splitdsl");
    let mut child = std::process::Command::new(bin)
        .args(["serve", f.file.to_str().unwrap()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.split_whitespace().last().unwrap().to_string();
    let addr = url
        .strip_prefix("http://127.0.0.1:")
        .map(|p| format!("127.0.0.1:{}", p.trim_end_matches('/')));
    let result = std::panic::catch_unwind(|| {
        let addr = addr.clone().expect("a URL on 127.0.0.1");
        assert_ne!(addr, "127.0.0.1:0");
        let ok = raw_get(&addr, &addr, "/");
        assert!(ok.contains(" 200 "), "{addr}: {ok:?}");
        assert!(raw_get(&addr, "evil.example", "/api/file").contains(" 403 "));
    });
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();
}
