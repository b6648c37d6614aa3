//! The server's refusals, before any handler runs: a foreign `Host` header
//! (DNS rebinding), a state-changing request from another origin.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The `Host` values the server answers to, and the origins of its page.
#[derive(Clone, Debug)]
pub struct Hosts {
    /// `127.0.0.1:PORT`, `localhost:PORT` (and `--host`'s address).
    pub hosts: Vec<String>,
}

impl Hosts {
    /// The names a browser on this machine uses for the bound address
    /// `host:port`.
    pub fn for_address(host: &str, port: u16) -> Hosts {
        let mut names = vec![host.to_string()];
        if host == "127.0.0.1" || host == "::1" || host == "[::1]" {
            names.push("localhost".into());
            names.push("127.0.0.1".into());
            names.push("[::1]".into());
        }
        let mut hosts: Vec<String> = names
            .into_iter()
            .map(|h| {
                if h.contains(':') && !h.starts_with('[') {
                    format!("[{h}]:{port}")
                } else {
                    format!("{h}:{port}")
                }
            })
            .collect();
        hosts.dedup();
        Hosts { hosts }
    }

    fn allows_host(&self, host: &str) -> bool {
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    fn allows_origin(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|h| self.allows_host(h))
    }
}

fn refuse(status: StatusCode, why: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{why}\n"),
    )
        .into_response()
}

/// Refuses a request whose `Host` is not the server's own, and a request
/// that is not a GET or HEAD unless it comes from the page's own origin
/// (its `Origin` header, or `Sec-Fetch-Site: same-origin` when a browser
/// sends no `Origin`).
pub async fn guard(State(hosts): State<Arc<Hosts>>, req: Request, next: Next) -> Response {
    match refusal(&hosts, &req) {
        Some(r) => r,
        None => next.run(req).await,
    }
}

/// Why `req` is refused, if it is.
fn refusal(hosts: &Hosts, req: &Request) -> Option<Response> {
    let header_str = |name: header::HeaderName| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let host = header_str(header::HOST).or_else(|| req.uri().authority().map(|a| a.to_string()));
    if !host.is_some_and(|h| hosts.allows_host(&h)) {
        return Some(refuse(
            StatusCode::FORBIDDEN,
            "refused: this server answers only to its own address (Host header)",
        ));
    }
    let reads = req.method() == Method::GET || req.method() == Method::HEAD;
    if !reads {
        let same_origin = match header_str(header::ORIGIN) {
            Some(o) => hosts.allows_origin(&o),
            None => header_str(header::HeaderName::from_static("sec-fetch-site"))
                .is_some_and(|s| s == "same-origin"),
        };
        if !same_origin {
            return Some(refuse(
                StatusCode::FORBIDDEN,
                "refused: a change must come from the workbook page itself (Origin)",
            ));
        }
    }
    None
}
