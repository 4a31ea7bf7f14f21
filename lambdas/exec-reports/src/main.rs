//! Lambda entry point: hands each invocation payload to [`exec_reports::handle`].

use exec_reports::{handle, Clients};
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_target(false)
        .without_time()
        .init();
    let clients = Clients::from_env().await;
    let env = |k: &str| std::env::var(k).ok();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let clients = clients.clone();
        async move { handle(event.payload, &env, Some(&clients)).await.map_err(Error::from) }
    }))
    .await
}
