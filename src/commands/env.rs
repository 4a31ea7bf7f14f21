//! `bosun env`: a deployed function's environment, as its alias runs it.

use super::{deployed_environment, function_spec};
use crate::aws::Clients;
use crate::commands::Settings;
use crate::failure::Failure;
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
