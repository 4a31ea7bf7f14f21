//! `bosun invoke FUNCTION [--input JSON] [--local]`: the manual trigger.
//! Without `--local`, Lambda runs the function's alias (RequestResponse)
//! and bosun prints the answer and the log tail. With `--local`, the
//! locally built bootstrap runs on this machine under bosun's Lambda
//! Runtime API, with the deployed function's environment and this run's
//! AWS credentials, region and endpoint: the handler as deployed, against
//! the same AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use super::build::build_one;
use super::env::{deployed_environment, function_spec};
use crate::aws::{self, Clients};
use crate::commands::Settings;
use crate::failure::Failure;
use crate::output::Reporter;
use crate::report::InvokeReport;

pub struct InvokeRequest {
    pub function: String,
    pub input: Option<String>,
    pub local: bool,
}

pub async fn run(settings: &Settings, request: &InvokeRequest, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let f = function_spec(desired, &request.function)?;
    let input = request.input.as_deref().unwrap_or("{}");
    let event: serde_json::Value = serde_json::from_str(input).map_err(|e| {
        Failure::Usage(format!(
            "--input is not JSON ({e}, line {} column {}); pass the event, e.g. --input '{{\"batch\":\"csuite\"}}'",
            e.line(),
            e.column()
        ))
    })?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let report = if request.local {
        let environment = deployed_environment(&clients, f).await?;
        let binary = build_one(desired, f, reporter).await?;
        let aws_env = local_aws_environment(&clients).await?;
        let start = crate::preflight::Start {
            function: &f.key,
            binary: &binary,
            env: &environment,
            smoke: Some(&event),
            aws: Some(&aws_env),
        };
        let timeout = Duration::from_secs(u64::try_from(f.timeout).unwrap_or(30) + 5);
        let outcome = crate::preflight::run(&start, timeout).await;
        InvokeReport::local(f, outcome)
    } else {
        let invocation = aws::lambda::invoke(&clients.lambda, &f.name, &f.alias, event.to_string().as_bytes()).await?;
        InvokeReport::remote(f, invocation)
    };
    let failed = report.error.clone();
    reporter.result("invoke", &report);
    match failed {
        Some(error) => Err(Failure::Invoked(format!(
            "function `{}` answered with an error: {error}",
            f.key
        ))),
        None => Ok(()),
    }
}

/// What a local run gets so that it reaches the same AWS as this command:
/// the resolved credentials (profile, SSO or environment alike), region and
/// endpoint override.
async fn local_aws_environment(clients: &Clients) -> Result<BTreeMap<String, String>, Failure> {
    let mut env = BTreeMap::new();
    let creds = clients
        .credentials()
        .await
        .map_err(|e| Failure::Usage(format!("--local needs AWS credentials to hand to the function: {e}")))?;
    env.insert("AWS_ACCESS_KEY_ID".to_string(), creds.access_key_id().to_string());
    env.insert(
        "AWS_SECRET_ACCESS_KEY".to_string(),
        creds.secret_access_key().to_string(),
    );
    if let Some(token) = creds.session_token() {
        env.insert("AWS_SESSION_TOKEN".to_string(), token.to_string());
    }
    env.insert("AWS_REGION".to_string(), clients.region.clone());
    env.insert("AWS_DEFAULT_REGION".to_string(), clients.region.clone());
    if let Some(endpoint) = clients.endpoint() {
        env.insert("AWS_ENDPOINT_URL".to_string(), endpoint);
    }
    Ok(env)
}
