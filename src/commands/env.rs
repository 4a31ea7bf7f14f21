//! `bosun env`: a deployed function's environment, as its alias runs it.

use std::collections::BTreeMap;

use crate::aws::Clients;
use crate::commands::Settings;
use crate::failure::Failure;
use crate::model::{Desired, FunctionSpec};
use crate::output::Reporter;
use crate::report::EnvReport;

pub async fn run(settings: &Settings, key: &str, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let f = function_spec(desired, key)?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let environment = deployed_environment(&clients, f).await?;
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

/// The stack's function `key`, or a usage error naming the ones it has.
pub(crate) fn function_spec<'d>(desired: &'d Desired, key: &str) -> Result<&'d FunctionSpec, Failure> {
    desired.function(key).ok_or_else(|| {
        Failure::Usage(format!(
            "no function `{key}` in the stack; it declares: {}",
            desired
                .functions
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A deployed function's environment as its alias runs it.
pub(crate) async fn deployed_environment(
    clients: &Clients,
    f: &FunctionSpec,
) -> Result<BTreeMap<String, String>, Failure> {
    let live = crate::aws::lambda::get_function(&clients.lambda, &f.name, &f.alias)
        .await?
        .ok_or_else(|| Failure::Usage(format!("function {} is not deployed; run `bosun deploy all`", f.name)))?;
    Ok(live
        .alias
        .as_deref()
        .and_then(|v| live.version(v))
        .map(|v| v.config.environment.clone())
        .unwrap_or(live.latest.environment))
}
