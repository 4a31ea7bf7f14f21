//! `bosun env`: a deployed function's environment, as its alias runs it.

use crate::aws::{self, Clients};
use crate::cli::{Failure, Settings};
use crate::output::Reporter;
use crate::report::EnvReport;

pub async fn run(settings: &Settings, key: &str, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let f = desired.function(key).ok_or_else(|| {
        Failure::Usage(format!(
            "no function `{key}` in the stack; it declares: {}",
            desired
                .functions
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let live = aws::lambda::get_function(&clients.lambda, &f.name, &f.alias)
        .await?
        .ok_or_else(|| Failure::Usage(format!("function {} is not deployed; run `bosun deploy all`", f.name)))?;
    let environment = live
        .alias
        .as_deref()
        .and_then(|v| live.version(v))
        .map(|v| v.config.environment.clone())
        .unwrap_or(live.latest.environment);
    reporter.result(
        "env",
        &EnvReport {
            function: key.to_string(),
            name: f.name.clone(),
            alias: f.alias.clone(),
            environment,
        },
    );
    Ok(())
}
