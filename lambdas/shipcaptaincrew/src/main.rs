//! `shipcaptaincrew`: on Lambda (AWS_LAMBDA_RUNTIME_API set) serves the router
//! through `lambda_http`; otherwise a small command line for local use:
//!
//! - `shipcaptaincrew serve [--addr 127.0.0.1:8787] [--frontend DIR] [--outbox DIR] [--signed-origin]`
//!   serves the API and the frontend over plain HTTP (loopback only);
//!   `--signed-origin` refuses a request body without its SHA-256 in
//!   `x-amz-content-sha256`, as the API behind CloudFront does; each
//!   `--header 'NAME: VALUE'` is set on every response, as a CloudFront
//!   response headers policy sets it;
//! - `shipcaptaincrew token --email ADDR --role admin|captain|crew [--ttl SECS]`
//!   prints a signed token (for operators and scripts), using the same secret.
//!
//! Configuration comes from the environment either way (`bosun env shipcaptaincrew`).

use shipcaptaincrew::{auth::Role, config::Config, router, App};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::OnceCell;
use tower::ServiceExt;

const USAGE: &str = "usage: shipcaptaincrew serve [--addr 127.0.0.1:8787] [--frontend DIR] [--outbox DIR] [--signed-origin] [--header 'NAME: VALUE']...\n       shipcaptaincrew token --email ADDR --role admin|captain|crew [--ttl SECS]";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(false)
        .without_time()
        .with_writer(std::io::stderr)
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shipcaptaincrew: {e}");
            ExitCode::from(2)
        }
    }
}

/// On Lambda the secret is read when the first event arrives, before it is
/// handled: bosun's preflight starts the binary with no AWS access and checks
/// it asks for an event. A secret that cannot be read, or is weak, ends the
/// process with the reason (Lambda reports the failed init); no request is
/// ever served without a good secret.
///
/// Work a request queues for after its answer (`after.rs`) is handed, with
/// the request's id, to an internal extension registered for INVOKE events:
/// Lambda returns the response once the runtime posts it, and the
/// invocation ends when the extension asks for its next event, which it
/// does once that request's jobs are done.
async fn serve_lambda(sdk: aws_config::SdkConfig, cfg: Config) -> Result<(), String> {
    let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel::<Finished>();
    let extension = lambda_extension::Extension::new()
        .with_extension_name("shipcaptaincrew-after")
        .with_events(&["INVOKE"])
        .with_events_processor(AfterInvoke(Arc::new(tokio::sync::Mutex::new(done_rx))))
        .register()
        .await
        .map_err(|e| format!("registering the after-response extension: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = extension.run().await {
            eprintln!("shipcaptaincrew: the after-response extension stopped: {e}");
            std::process::exit(2);
        }
    });
    let cell: Arc<OnceCell<(App, axum::Router)>> = Arc::new(OnceCell::new());
    let handler = tower::service_fn(move |req: lambda_http::Request| {
        let (cell, sdk, cfg, done_tx) = (cell.clone(), sdk.clone(), cfg.clone(), done_tx.clone());
        async move {
            use lambda_http::RequestExt;
            let started = cell
                .get_or_try_init(|| async {
                    App::start(&sdk, cfg, None)
                        .await
                        .map(|app| (app.clone(), router(app, None)))
                })
                .await;
            let (app, router) = match started {
                Ok((app, router)) => (app.clone(), router.clone()),
                Err(e) => {
                    eprintln!("shipcaptaincrew: {e}");
                    std::process::exit(2);
                }
            };
            let request_id = req
                .lambda_context_ref()
                .map(|c| c.request_id.clone())
                .unwrap_or_default();
            let answer = router.oneshot(req).await;
            let _ = done_tx.send(Finished {
                request_id,
                jobs: app.after.take(),
                app,
            });
            answer.map_err(|e| -> lambda_http::Error { e.into() })
        }
    });
    lambda_http::run(handler).await.map_err(|e| e.to_string())
}

/// A request the runtime has answered, and the work it queued.
struct Finished {
    request_id: String,
    app: App,
    jobs: Vec<shipcaptaincrew::after::Job>,
}

/// The extension's INVOKE handler: waits (until the invocation's deadline)
/// for the request with the event's id to be answered, then runs the work
/// it queued. Work of a request whose INVOKE this extension never saw runs
/// too, when it turns up.
#[derive(Clone)]
struct AfterInvoke(Arc<tokio::sync::Mutex<tokio::sync::mpsc::UnboundedReceiver<Finished>>>);

impl tower::Service<lambda_extension::LambdaEvent> for AfterInvoke {
    type Response = ();
    type Error = lambda_extension::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, event: lambda_extension::LambdaEvent) -> Self::Future {
        let rx = self.0.clone();
        Box::pin(async move {
            let lambda_extension::NextEvent::Invoke(invoke) = event.next else {
                return Ok(());
            };
            let now_ms = u64::try_from(jiff::Timestamp::now().as_millisecond()).unwrap_or(0);
            let left = std::time::Duration::from_millis(invoke.deadline_ms.saturating_sub(now_ms));
            let work = async {
                let mut rx = rx.lock().await;
                while let Some(done) = rx.recv().await {
                    let this = done.request_id == invoke.request_id;
                    done.app.run_jobs(done.jobs).await;
                    if this {
                        break;
                    }
                }
            };
            if tokio::time::timeout(left, work).await.is_err() {
                eprintln!(
                    "shipcaptaincrew: work after request {} ran out of time",
                    invoke.request_id
                );
            }
            Ok(())
        })
    }
}

async fn run() -> Result<(), String> {
    let sdk = aws_config::load_from_env().await;
    let cfg = Config::from_env().map_err(|e| e.to_string())?;
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return serve_lambda(sdk, cfg).await;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    match args.first().map(String::as_str) {
        Some("serve") => {
            let addr: SocketAddr = flag("--addr")
                .unwrap_or_else(|| "127.0.0.1:8787".into())
                .parse()
                .map_err(|e| format!("--addr: {e}"))?;
            if !addr.ip().is_loopback() {
                return Err(format!(
                    "--addr {addr}: the local server binds to loopback only (127.0.0.1)"
                ));
            }
            let outbox = flag("--outbox").map(PathBuf::from);
            if let Some(dir) = &outbox {
                std::fs::create_dir_all(dir).map_err(|e| format!("--outbox {}: {e}", dir.display()))?;
            }
            let app = App::start(&sdk, cfg, outbox).await.map_err(|e| e.to_string())?;
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("bind {addr}: {e}"))?;
            let bound = listener.local_addr().map_err(|e| e.to_string())?;
            // The ready line scripts wait for.
            println!("listening on http://{bound}");
            let mut routes = router(app.clone(), flag("--frontend").map(PathBuf::from));
            routes = shipcaptaincrew::after::after_each_response(routes, app);
            if args.iter().any(|a| a == "--signed-origin") {
                routes = shipcaptaincrew::signed_origin(routes);
            }
            let headers: Vec<String> = args
                .windows(2)
                .filter(|w| w[0] == "--header")
                .map(|w| w[1].clone())
                .collect();
            if !headers.is_empty() {
                routes = shipcaptaincrew::with_headers(routes, &headers)?;
            }
            let service = routes.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(listener, service)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await
                .map_err(|e| e.to_string())
        }
        Some("token") => {
            let email = flag("--email")
                .and_then(|e| shipcaptaincrew::email::normalize(&e))
                .ok_or("--email ADDR is required")?;
            let role = flag("--role")
                .as_deref()
                .and_then(Role::parse)
                .ok_or("--role admin|captain|crew is required")?;
            let ttl: i64 = flag("--ttl")
                .unwrap_or_else(|| "3600".into())
                .parse()
                .map_err(|e| format!("--ttl: {e}"))?;
            let app = App::start(&sdk, cfg, None).await.map_err(|e| e.to_string())?;
            println!("{}", app.keys.issue(&email, role, app.clock.now(), ttl));
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
