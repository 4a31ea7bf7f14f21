//! Lambda entry point: wires tracing and serves the router through `lambda_http`.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(false)
        .without_time()
        .init();
    lambda_http::run(shipcaptaincrew::router()).await
}
