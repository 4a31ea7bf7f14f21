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
async fn serve_lambda(sdk: aws_config::SdkConfig, cfg: Config) -> Result<(), String> {
    let cell: Arc<OnceCell<axum::Router>> = Arc::new(OnceCell::new());
    let handler = tower::service_fn(move |req: lambda_http::Request| {
        let (cell, sdk, cfg) = (cell.clone(), sdk.clone(), cfg.clone());
        async move {
            let router = cell
                .get_or_try_init(|| async { App::start(&sdk, cfg, None).await.map(|app| router(app, None)) })
                .await;
            let router = match router {
                Ok(r) => r.clone(),
                Err(e) => {
                    eprintln!("shipcaptaincrew: {e}");
                    std::process::exit(2);
                }
            };
            router
                .oneshot(req)
                .await
                .map_err(|e| -> lambda_http::Error { e.into() })
        }
    });
    lambda_http::run(handler).await.map_err(|e| e.to_string())
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
            let mut routes = router(app, flag("--frontend").map(PathBuf::from));
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
