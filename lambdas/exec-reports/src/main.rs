//! Lambda entry point: wires tracing and the runtime; the logic is in the library.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(false)
        .without_time()
        .init();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        exec_reports::handle(event.payload).await.map_err(Error::from)
    }))
    .await
}
