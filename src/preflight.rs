//! Preflight: before bosun uploads new code, it starts the packaged
//! `bootstrap` locally under a minimal Lambda Runtime API (HTTP on
//! 127.0.0.1) and waits for it to ask for its first event. A binary that
//! crashes at start-up (a missing variable, a panicking init) is refused
//! with its stderr. With a `smoke` event, the event is handed over and the
//! function must answer it with success.
//!
//! The runtime protocol: the function GETs `/2018-06-01/runtime/invocation/next`
//! and POSTs `/…/invocation/{id}/response` or `/…/invocation/{id}/error`
//! (or `/…/runtime/init/error` when its init fails).
//!
//! Internal extensions (a thread of the function's own process that works
//! after a response, as ShipCaptainCrew's mailer does) use the Extensions
//! API: `POST /2020-01-01/extension/register`, then `GET
//! /2020-01-01/extension/event/next`. They get the smoke event's INVOKE, and
//! the smoke run ends when the runtime has answered and every extension
//! has asked for its next event again, as a Lambda invocation does (Lambda
//! developer guide, "Using the Lambda Extensions API", Invoke phase).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// Why a binary was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PreflightError {
    #[error("function `{function}`: bootstrap exited ({status}) before asking for its first event{}", stderr_tail(.stderr))]
    Exited {
        function: String,
        status: String,
        stderr: String,
    },
    #[error("function `{function}`: bootstrap did not ask for an event within {secs}s{}", stderr_tail(.stderr))]
    Timeout {
        function: String,
        secs: u64,
        stderr: String,
    },
    #[error("function `{function}`: init failed: {body}{}", stderr_tail(.stderr))]
    InitError {
        function: String,
        body: String,
        stderr: String,
    },
    #[error("function `{function}`: the smoke event failed: {body}{}", stderr_tail(.stderr))]
    SmokeFailed {
        function: String,
        body: String,
        stderr: String,
    },
    #[error("function `{function}`: cannot run the preflight: {message}")]
    Io { function: String, message: String },
}

fn stderr_tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().rev().take(12).collect();
    if lines.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n      its stderr:");
    for l in lines.iter().rev() {
        out.push_str("\n        ");
        out.push_str(l);
    }
    out
}

/// What happened when the runtime ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Asked for its first event (and answered the smoke event, if any).
    Ready { smoke_response: Option<String> },
}

/// One HTTP request from the function.
struct Request {
    method: String,
    path: String,
    body: String,
    /// `Lambda-Extension-Identifier` (Extensions API calls).
    extension: Option<String>,
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    let mut extension = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).await? == 0 {
            return Ok(None);
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            } else if k.eq_ignore_ascii_case("lambda-extension-identifier") {
                extension = Some(v.trim().to_string());
            }
        }
    }
    let mut body = vec![0u8; length.min(6 * 1024 * 1024)];
    reader.read_exact(&mut body).await?;
    Ok(Some(Request {
        method,
        path,
        body: String::from_utf8_lossy(&body).into_owned(),
        extension,
    }))
}

async fn respond(
    stream: &mut BufReader<TcpStream>,
    status: &str,
    headers: &[(&str, String)],
    body: &str,
) -> std::io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\ncontent-type: application/json\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    stream.get_mut().write_all(out.as_bytes()).await
}

enum Event {
    /// The function asked for an event (and, for a smoke run, answered it).
    Ready(Option<String>),
    InitError(String),
    SmokeError(String),
}

/// Serves the runtime API until the function is ready (or fails).
///
/// Every connection is served on its own: a runtime client may open a second
/// connection while the first is still open (an HTTP pool that has not yet
/// taken the first one back), and post its answer there. What settles the
/// run is reported before the function hears back, and the connection it
/// came on stays open until the run is over: the function's next step (ask
/// again, exit) can neither overtake the verdict nor pass for a crash.
async fn serve(listener: TcpListener, smoke: Option<String>, deadline: Duration) -> Option<Event> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(4);
    let handed_over = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let smoke = std::sync::Arc::new(smoke);
    let extensions = std::sync::Arc::new(Extensions::default());
    let (invoked_tx, invoked_rx) = tokio::sync::watch::channel(false);
    let invoked_tx = std::sync::Arc::new(invoked_tx);
    let mut connections = tokio::task::JoinSet::new();
    let work = async {
        loop {
            tokio::select! {
                biased;
                ev = rx.recv() => return ev,
                accepted = listener.accept() => {
                    let (stream, _) = accepted.ok()?;
                    let (tx, handed_over, smoke) = (tx.clone(), handed_over.clone(), smoke.clone());
                    let (extensions, invoked_tx, mut invoked_rx) = (extensions.clone(), invoked_tx.clone(), invoked_rx.clone());
                    connections.spawn(async move {
                        let mut conn = BufReader::new(stream);
                        while let Ok(Some(req)) = read_request(&mut conn).await {
                            if let Some(step) = extensions.step(&req, &handed_over) {
                                match step {
                                    ExtensionStep::Reply(Reply { status, headers, body }) => {
                                        let _ = respond(&mut conn, status, &headers, &body).await;
                                        continue;
                                    }
                                    ExtensionStep::AwaitInvoke => {
                                        // Held until the smoke event is handed over (forever without one).
                                        if invoked_rx.wait_for(|given| *given).await.is_err() {
                                            return;
                                        }
                                        let _ = respond(&mut conn, "200 OK", &[], &invoke_event()).await;
                                        continue;
                                    }
                                    ExtensionStep::Done(answered) => {
                                        if let Some(body) = answered {
                                            let _ = tx.send(Event::Ready(Some(body))).await;
                                        }
                                        std::future::pending::<()>().await;
                                    }
                                }
                            }
                            let (event, reply) = answer(&req, smoke.as_deref(), &handed_over);
                            if handed_over.load(std::sync::atomic::Ordering::SeqCst) {
                                invoked_tx.send_replace(true);
                            }
                            // The smoke answer settles the run once every
                            // extension is done with the invocation too.
                            let event = match event {
                                Some(Event::Ready(Some(body))) => extensions.answered(body).map(|b| Event::Ready(Some(b))),
                                other => other,
                            };
                            let settled = event.is_some();
                            if let Some(ev) = event {
                                let _ = tx.send(ev).await;
                            }
                            if let Some(Reply { status, headers, body }) = reply {
                                let _ = respond(&mut conn, status, &headers, &body).await;
                            }
                            if settled {
                                std::future::pending::<()>().await;
                            }
                        }
                    });
                }
            }
        }
    };
    let event = tokio::time::timeout(deadline, work).await.ok().flatten();
    connections.abort_all();
    event
}

/// The internal extensions registered with the Extensions API, and how far
/// each is through the (one) smoke invocation.
#[derive(Default)]
struct Extensions(std::sync::Mutex<ExtensionState>);

#[derive(Default)]
struct ExtensionState {
    /// Extension id -> how many times it has asked for an event.
    asked: BTreeMap<String, u32>,
    /// The smoke answer, held until every extension is done.
    answer: Option<String>,
}

enum ExtensionStep {
    Reply(Reply),
    /// Its first ask (the end of its init): answered with the INVOKE.
    AwaitInvoke,
    /// Its second ask: done with the invocation; the smoke answer, when
    /// it was the last to finish.
    Done(Option<String>),
}

impl ExtensionState {
    fn all_done(&self) -> bool {
        self.asked.values().all(|n| *n >= 2)
    }
}

impl Extensions {
    /// What an Extensions API call gets; `None` for the runtime API's calls.
    fn step(&self, req: &Request, handed_over: &std::sync::atomic::AtomicBool) -> Option<ExtensionStep> {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if req.method == "POST" && req.path.ends_with("/extension/register") {
            if handed_over.load(std::sync::atomic::Ordering::SeqCst) {
                return Some(ExtensionStep::Reply(Reply::new(
                    "403 Forbidden",
                    r#"{"errorType":"Extension.InitPhaseOver"}"#,
                )));
            }
            let id = format!("bosun-preflight-extension-{}", state.asked.len() + 1);
            state.asked.insert(id.clone(), 0);
            let body = r#"{"functionName":"preflight","functionVersion":"$LATEST","handler":"bootstrap"}"#;
            return Some(ExtensionStep::Reply(Reply {
                headers: vec![("lambda-extension-identifier", id)],
                ..Reply::new("200 OK", body)
            }));
        }
        if req.method != "GET" || !req.path.ends_with("/extension/event/next") {
            return None;
        }
        let Some(asked) = req.extension.as_ref().and_then(|id| state.asked.get_mut(id)) else {
            return Some(ExtensionStep::Reply(Reply::new(
                "403 Forbidden",
                r#"{"errorType":"Extension.UnknownExtensionIdentifier"}"#,
            )));
        };
        *asked += 1;
        if *asked == 1 {
            return Some(ExtensionStep::AwaitInvoke);
        }
        let last = state.all_done();
        Some(ExtensionStep::Done(if last { state.answer.take() } else { None }))
    }

    /// The runtime's smoke answer: given back when no extension is still
    /// busy with the invocation, else held for the last one to finish.
    fn answered(&self, body: String) -> Option<String> {
        let mut state = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if state.all_done() {
            return Some(body);
        }
        state.answer = Some(body);
        None
    }
}

/// The smoke invocation as an extension's INVOKE event.
fn invoke_event() -> String {
    serde_json::json!({
        "eventType": "INVOKE",
        "deadlineMs": jiff::Timestamp::now().as_millisecond() + 30_000,
        "requestId": "bosun-preflight",
        "invokedFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:preflight",
        "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-00000000-000000000000000000000000"},
    })
    .to_string()
}

/// An HTTP answer to the function.
struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Reply {
    fn new(status: &'static str, body: &str) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
        }
    }
}

/// What one request of the runtime API settles (if anything) and the
/// answer it gets (none for the ask that shows the function ready: it is
/// held until the run is over).
fn answer(
    req: &Request,
    smoke: Option<&str>,
    handed_over: &std::sync::atomic::AtomicBool,
) -> (Option<Event>, Option<Reply>) {
    use std::sync::atomic::Ordering;
    let p = req.path.as_str();
    let accepted = || Some(Reply::new("202 Accepted", "{}"));
    if req.method == "GET" && p.ends_with("/runtime/invocation/next") {
        match smoke {
            Some(event) if !handed_over.swap(true, Ordering::SeqCst) => {
                let deadline_ms = (jiff::Timestamp::now().as_millisecond() + 30_000).to_string();
                let headers = vec![
                    ("lambda-runtime-aws-request-id", "bosun-preflight".to_string()),
                    ("lambda-runtime-deadline-ms", deadline_ms),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:000000000000:function:preflight".to_string(),
                    ),
                    (
                        "lambda-runtime-trace-id",
                        "Root=1-00000000-000000000000000000000000".to_string(),
                    ),
                ];
                let reply = Reply {
                    headers,
                    ..Reply::new("200 OK", event)
                };
                (None, Some(reply))
            }
            // Ready: no smoke event, or the smoke event was answered.
            _ => (Some(Event::Ready(None)), None),
        }
    } else if req.method == "POST" && p.ends_with("/init/error") {
        (Some(Event::InitError(req.body.clone())), accepted())
    } else if req.method == "POST" && p.ends_with("/response") {
        (Some(Event::Ready(Some(req.body.clone()))), accepted())
    } else if req.method == "POST" && p.ends_with("/error") {
        (Some(Event::SmokeError(req.body.clone())), accepted())
    } else {
        (None, Some(Reply::new("404 Not Found", "{}")))
    }
}

/// Runs `binary` as Lambda would, with `env`, until it is ready for events.
/// What preflight starts: a function's binary with the environment Lambda would give it.
pub struct Start<'a> {
    pub function: &'a str,
    pub binary: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    /// The event it must answer with success (`None`: it only has to start).
    pub smoke: Option<&'a serde_json::Value>,
    /// AWS credentials, region and endpoint to run with (`bosun invoke
    /// --local`); `None` (preflight): dummy credentials and a dead endpoint.
    pub aws: Option<&'a BTreeMap<String, String>>,
}

pub async fn run(start: &Start<'_>, timeout: Duration) -> Result<Outcome, PreflightError> {
    let function = start.function;
    let io = |e: std::io::Error| PreflightError::Io {
        function: function.to_string(),
        message: e.to_string(),
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let mut child = spawn(start, &addr.to_string()).map_err(io)?;
    let stderr_task = child.stderr.take().map(drain_tail);
    let smoke_text = start.smoke.map(|v| v.to_string());
    let server = serve(listener, smoke_text, timeout);
    tokio::pin!(server);
    // The server first: a function that exits right after its verdict
    // (an init error) is judged by the verdict.
    let exited = tokio::select! {
        biased;
        ev = &mut server => Err(ev),
        status = child.wait() => Ok(status),
    };
    let mut stderr = stderr_task;
    match exited {
        Ok(status) => {
            let status = status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
            Err(PreflightError::Exited {
                function: function.to_string(),
                status,
                stderr: collect_stderr(stderr.take()).await,
            })
        }
        Err(event) => {
            let _ = child.start_kill();
            let _ = child.wait().await;
            let stderr = collect_stderr(stderr.take()).await;
            outcome(function, event, timeout, stderr)
        }
    }
}

/// What the runtime API saw, as preflight's verdict.
fn outcome(function: &str, event: Option<Event>, timeout: Duration, stderr: String) -> Result<Outcome, PreflightError> {
    match event {
        Some(Event::Ready(smoke_response)) => Ok(Outcome::Ready { smoke_response }),
        Some(Event::InitError(body)) => Err(PreflightError::InitError {
            function: function.to_string(),
            body,
            stderr,
        }),
        Some(Event::SmokeError(body)) => Err(PreflightError::SmokeFailed {
            function: function.to_string(),
            body,
            stderr,
        }),
        None => Err(PreflightError::Timeout {
            function: function.to_string(),
            secs: timeout.as_secs(),
            stderr,
        }),
    }
}

/// Starts the binary as Lambda would: a clean environment, the runtime API
/// at `api`, dummy credentials and a dead endpoint.
fn spawn(start: &Start<'_>, api: &str) -> std::io::Result<tokio::process::Child> {
    let mut cmd = Command::new(start.binary);
    cmd.env_clear()
        .envs(start.env)
        .env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", start.function)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "preflight")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "preflight")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("_HANDLER", "bootstrap")
        .env("PATH", "/usr/bin:/bin")
        // Dummy credentials and a dead endpoint: an AWS call at init fails
        // here rather than reaching a real account.
        .env("AWS_ACCESS_KEY_ID", "preflight")
        .env("AWS_SECRET_ACCESS_KEY", "preflight")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if let Some(aws) = start.aws {
        // A local invocation reaches the AWS this command reaches: its
        // credentials and region, and its endpoint override or none.
        if !aws.contains_key("AWS_ENDPOINT_URL") {
            cmd.env_remove("AWS_ENDPOINT_URL");
        }
        cmd.envs(aws);
    }
    cmd.spawn()
}

/// Drains the child's stderr while it runs (a full pipe would block it),
/// keeping the last 64 KiB.
fn drain_tail(mut s: tokio::process::ChildStderr) -> tokio::task::JoinHandle<String> {
    tokio::spawn(async move {
        let mut tail: Vec<u8> = Vec::new();
        let mut buf = [0u8; 8192];
        while let Ok(n) = s.read(&mut buf).await {
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&buf[..n]);
            if tail.len() > 64 * 1024 {
                tail.drain(..tail.len() - 64 * 1024);
            }
        }
        String::from_utf8_lossy(&tail).into_owned()
    })
}

/// The stderr tail, waiting at most a second for the drain to finish.
async fn collect_stderr(task: Option<tokio::task::JoinHandle<String>>) -> String {
    match task {
        Some(t) => tokio::time::timeout(Duration::from_millis(1000), t)
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runtime API server on a free port, serving `smoke` (10 s deadline).
    async fn start(smoke: Option<String>) -> (tokio::task::JoinHandle<Option<Event>>, std::net::SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        (tokio::spawn(serve(listener, smoke, Duration::from_secs(10))), addr)
    }

    async fn send(stream: &mut TcpStream, method: &str, path: &str, body: &str) -> String {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        read_reply(stream).await
    }

    /// One HTTP answer from the server: its head and body.
    async fn read_reply(stream: &mut TcpStream) -> String {
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            assert!(reader.read_line(&mut line).await.unwrap() > 0, "the server hung up");
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await.unwrap();
        head + &String::from_utf8(body).unwrap()
    }

    /// The smoke answer may come on a second connection while the first
    /// stays open (an HTTP pool that has not taken the first one back yet).
    #[tokio::test]
    async fn a_smoke_answer_on_a_second_connection_is_heard() {
        let (server, addr) = start(Some("{\"ping\":true}".into())).await;
        let next = "/2018-06-01/runtime/invocation/next";
        let mut first = TcpStream::connect(addr).await.unwrap();
        let event = send(&mut first, "GET", next, "").await;
        assert!(event.starts_with("HTTP/1.1 200 OK"), "{event}");
        assert!(event.ends_with("{\"ping\":true}"), "{event}");
        let mut second = TcpStream::connect(addr).await.unwrap();
        let ack = send(
            &mut second,
            "POST",
            "/2018-06-01/runtime/invocation/bosun-preflight/response",
            "{\"ok\":true}",
        )
        .await;
        assert!(ack.starts_with("HTTP/1.1 202"), "{ack}");
        match server.await.unwrap() {
            Some(Event::Ready(Some(body))) => assert_eq!(body, "{\"ok\":true}"),
            _ => panic!("the answer on the second connection was not heard"),
        }
        drop(first);
    }

    /// Without a smoke event, the first ask for an event is readiness; an
    /// init error and a failed smoke event settle the run as failures.
    #[tokio::test]
    async fn readiness_and_failures_settle_the_run() {
        let next = "/2018-06-01/runtime/invocation/next";
        let (server, addr) = start(None).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(format!("GET {next} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        assert!(matches!(server.await.unwrap(), Some(Event::Ready(None))));

        let (server, addr) = start(None).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        send(
            &mut c,
            "POST",
            "/2018-06-01/runtime/init/error",
            "{\"errorType\":\"boom\"}",
        )
        .await;
        assert!(matches!(server.await.unwrap(), Some(Event::InitError(b)) if b.contains("boom")));

        let (server, addr) = start(Some("{}".into())).await;
        let mut c = TcpStream::connect(addr).await.unwrap();
        send(&mut c, "GET", next, "").await;
        send(
            &mut c,
            "POST",
            "/2018-06-01/runtime/invocation/bosun-preflight/error",
            "{\"errorType\":\"no\"}",
        )
        .await;
        assert!(matches!(server.await.unwrap(), Some(Event::SmokeError(b)) if b.contains("no")));
    }

    /// The verdict is in before the function hears back: a failed smoke
    /// event followed at once by an ask for the next event (the runtime's
    /// loop, here on a fresh connection) is still the failure.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_verdict_is_not_overtaken_by_the_next_ask() {
        let next = "/2018-06-01/runtime/invocation/next";
        for _ in 0..50 {
            let (server, addr) = start(Some("{}".into())).await;
            let mut first = TcpStream::connect(addr).await.unwrap();
            send(&mut first, "GET", next, "").await;
            send(
                &mut first,
                "POST",
                "/2018-06-01/runtime/invocation/bosun-preflight/error",
                "{\"errorType\":\"no\"}",
            )
            .await;
            // (Refused when the server has its verdict and is gone already.)
            if let Ok(mut again) = TcpStream::connect(addr).await {
                let _ = again
                    .write_all(format!("GET {next} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
                    .await;
            }
            assert!(matches!(server.await.unwrap(), Some(Event::SmokeError(_))));
        }
    }

    /// An internal extension gets the smoke event's INVOKE, and the run is
    /// settled only when it asks for its next event again: its work after
    /// the response is part of the invocation, as on Lambda.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_smoke_run_waits_for_its_extension() {
        let (server, addr) = start(Some("{\"ping\":true}".into())).await;
        let mut ext = TcpStream::connect(addr).await.unwrap();
        let registered = send(
            &mut ext,
            "POST",
            "/2020-01-01/extension/register",
            r#"{"events":["INVOKE"]}"#,
        )
        .await;
        assert!(registered.starts_with("HTTP/1.1 200"), "{registered}");
        let id = registered
            .lines()
            .find_map(|l| l.strip_prefix("lambda-extension-identifier: "))
            .unwrap()
            .trim()
            .to_string();
        let ask = format!(
            "GET /2020-01-01/extension/event/next HTTP/1.1\r\nhost: x\r\nlambda-extension-identifier: {id}\r\n\r\n"
        );
        ext.write_all(ask.as_bytes()).await.unwrap();
        let mut rt = TcpStream::connect(addr).await.unwrap();
        let event = send(&mut rt, "GET", "/2018-06-01/runtime/invocation/next", "").await;
        assert!(event.ends_with("{\"ping\":true}"), "{event}");
        // The extension hears of the invocation.
        let invoke = read_reply(&mut ext).await;
        assert!(invoke.contains("\"eventType\":\"INVOKE\""), "{invoke}");
        assert!(invoke.contains("\"requestId\":\"bosun-preflight\""), "{invoke}");
        send(
            &mut rt,
            "POST",
            "/2018-06-01/runtime/invocation/bosun-preflight/response",
            "{\"ok\":1}",
        )
        .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!server.is_finished(), "settled before the extension was done");
        ext.write_all(ask.as_bytes()).await.unwrap();
        match server.await.unwrap() {
            Some(Event::Ready(Some(body))) => assert_eq!(body, "{\"ok\":1}"),
            _ => panic!("the smoke answer was lost"),
        }
    }

    /// Nothing asked within the deadline: no event.
    #[tokio::test]
    async fn silence_until_the_deadline_is_no_event() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        assert!(serve(listener, None, Duration::from_millis(50)).await.is_none());
    }
}
