//! Lambda: functions, versions, aliases, function URLs.
//!
//! Updates wait with the SDK's waiters, never fixed sleeps. An update that
//! meets `ResourceConflictException` (another update still in progress) waits
//! for the function to settle and tries again, a bounded number of times.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use aws_sdk_lambda::client::Waiters;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, Environment, FunctionCode, FunctionConfiguration, FunctionUrlAuthType, Runtime,
};
use aws_sdk_lambda::Client;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::AwsError;
use crate::model::names::{
    statement_action, PublicStatement, CLOUDFRONT_SID_PREFIX, EVENTS_SID_PREFIX, PUBLIC_INVOKE_SID, PUBLIC_URL_SID,
};
use crate::model::{
    FunctionConfig, LiveFunction, LiveUrl, LiveVersion, ServicePermission, StatementState, UrlPermissions,
};

/// Whether the statement `sid` is in the policy, and whether it says what bosun put there.
fn statement_state(statements: &[serde_json::Value], sid: &str, ok: fn(&serde_json::Value) -> bool) -> StatementState {
    match statements.iter().find(|st| st["Sid"] == sid) {
        None => StatementState::Absent,
        Some(st) if ok(st) => StatementState::Present,
        Some(_) => StatementState::Wrong,
    }
}

/// `Principal: "*"` as Lambda writes it (a string, or `{"AWS": "*"}`).
fn anyone(st: &serde_json::Value) -> bool {
    st["Principal"] == "*" || st["Principal"]["AWS"] == "*"
}

/// The value of condition key `key` under operator `op`, if the statement has a condition.
fn condition<'a>(st: &'a serde_json::Value, op: &str, key: &str) -> Option<&'a serde_json::Value> {
    st.get("Condition").map(|c| &c[op][key])
}

/// Lambda writes the public-URL statement as `Action: lambda:InvokeFunctionUrl`,
/// `Principal: *`, `Condition: {StringEquals: {lambda:FunctionUrlAuthType: NONE}}`.
pub fn public_url_statement_ok(st: &serde_json::Value) -> bool {
    st["Action"] == "lambda:InvokeFunctionUrl"
        && anyone(st)
        && condition(st, "StringEquals", "lambda:FunctionUrlAuthType").is_none_or(|v| v == "NONE")
}

/// … and the invoke statement as `Action: lambda:InvokeFunction`, `Principal: *`,
/// `Condition: {Bool: {lambda:InvokedViaFunctionUrl: "true"}}`. Without that
/// condition the statement would let anyone invoke the function directly.
pub fn public_invoke_statement_ok(st: &serde_json::Value) -> bool {
    st["Action"] == "lambda:InvokeFunction"
        && anyone(st)
        && condition(st, "Bool", "lambda:InvokedViaFunctionUrl").is_some_and(|v| v == "true" || v == true)
}

/// Timeouts for a call carrying a zip of `bytes`: the default 120 s per
/// attempt plus one second per 256 KiB (a 50 MB zip on a 2 Mbit/s CI link
/// still fits one attempt).
fn upload_timeouts(bytes: usize) -> aws_sdk_lambda::config::Builder {
    let attempt = Duration::from_secs(120 + (bytes / (256 * 1024)) as u64);
    aws_sdk_lambda::config::Builder::default().timeout_config(
        aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(attempt)
            .operation_timeout(attempt * 3)
            .build(),
    )
}

const WAIT: Duration = Duration::from_secs(300);
const CONFLICT_ATTEMPTS: u32 = 5;

fn is_not_found<E: ProvideErrorMetadata, R>(e: &SdkError<E, R>) -> bool {
    e.code() == Some("ResourceNotFoundException")
}

fn config_of(c: &FunctionConfiguration) -> FunctionConfig {
    FunctionConfig {
        code_sha256: c.code_sha256().unwrap_or_default().to_string(),
        memory: c.memory_size().unwrap_or(128),
        timeout: c.timeout().unwrap_or(3),
        description: c.description().unwrap_or_default().to_string(),
        environment: c
            .environment()
            .and_then(|e| e.variables())
            .map(|v| v.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        runtime: c.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
        architecture: c
            .architectures()
            .first()
            .map(|a| a.as_str().to_string())
            .unwrap_or_else(|| "x86_64".to_string()),
        role: c.role().unwrap_or_default().to_string(),
        handler: c.handler().unwrap_or_default().to_string(),
    }
}

/// Reads a function, its published versions, the stack's alias, its URL and
/// URL permission; `None` if the function does not exist.
pub async fn get_function(client: &Client, name: &str, alias: &str) -> Result<Option<LiveFunction>, AwsError> {
    let (latest, reserved_concurrency) = match client.get_function().function_name(name).send().await {
        Ok(out) => (
            out.configuration
                .ok_or_else(|| AwsError::missing("lambda:GetFunction", name, "Configuration"))?,
            out.concurrency.and_then(|c| c.reserved_concurrent_executions),
        ),
        Err(e) if is_not_found(&e) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("lambda:GetFunction", name, e)),
    };
    let versions = versions(client, name).await?;
    let alias_version = match client.get_alias().function_name(name).name(alias).send().await {
        Ok(out) => out.function_version,
        Err(e) if is_not_found(&e) => None,
        Err(e) => return Err(AwsError::from_sdk("lambda:GetAlias", name, e)),
    };
    let (url, public_url, event_permissions, cloudfront_permissions) = if alias_version.is_some() {
        let url = url(client, name, alias).await?;
        let statements = alias_statements(client, name, alias).await?;
        (
            url,
            UrlPermissions {
                invoke_url: statement_state(&statements, PUBLIC_URL_SID, public_url_statement_ok),
                invoke_function: statement_state(&statements, PUBLIC_INVOKE_SID, public_invoke_statement_ok),
            },
            service_permissions(&statements, EVENTS_SID_PREFIX)
                .into_iter()
                .map(|(sid, p)| (sid, p.source))
                .collect(),
            service_permissions(&statements, CLOUDFRONT_SID_PREFIX),
        )
    } else {
        (None, UrlPermissions::default(), BTreeMap::new(), BTreeMap::new())
    };
    Ok(Some(LiveFunction {
        arn: latest.function_arn().unwrap_or_default().to_string(),
        latest: config_of(&latest),
        versions,
        alias: alias_version,
        url,
        public_url,
        event_permissions,
        cloudfront_permissions,
        reserved_concurrency,
    }))
}

/// Reserves `reserved` concurrent executions for the function, or removes
/// its reservation (`None`). Both are idempotent: the same call again
/// leaves the same setting.
pub async fn put_concurrency(client: &Client, name: &str, reserved: Option<i32>) -> Result<(), AwsError> {
    match reserved {
        Some(n) => client
            .put_function_concurrency()
            .function_name(name)
            .reserved_concurrent_executions(n)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("lambda:PutFunctionConcurrency", name, e)),
        None => match client.delete_function_concurrency().function_name(name).send().await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(AwsError::from_sdk("lambda:DeleteFunctionConcurrency", name, e)),
        },
    }
}

/// The account's unreserved concurrency in this Region (GetAccountSettings'
/// `AccountLimit.UnreservedConcurrentExecutions`) and its total.
pub async fn unreserved_concurrency(client: &Client) -> Result<(i32, i32), AwsError> {
    let out = client
        .get_account_settings()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("lambda:GetAccountSettings", "account", e))?;
    let limit = out
        .account_limit
        .ok_or_else(|| AwsError::missing("lambda:GetAccountSettings", "account", "AccountLimit"))?;
    Ok((
        limit.unreserved_concurrent_executions.unwrap_or(0),
        limit.concurrent_executions,
    ))
}

/// What a synchronous invocation returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub status: i32,
    /// The version the alias ran.
    pub version: Option<String>,
    /// Lambda's `FunctionError` (`Unhandled`, `Handled`) when the function failed.
    pub function_error: Option<String>,
    pub payload: String,
    /// The last 4 KB of the invocation's log (LogType Tail), decoded.
    pub log_tail: Option<String>,
}

/// Invokes `name:qualifier` with `payload` and waits for the answer
/// (RequestResponse), asking for the log tail. Not retried by bosun: an
/// invocation may have effects (it sends mail), so a failure is reported,
/// not repeated.
pub async fn invoke(client: &Client, name: &str, qualifier: &str, payload: &[u8]) -> Result<Invocation, AwsError> {
    use aws_sdk_lambda::types::{InvocationType, LogType};
    let out = client
        .invoke()
        .function_name(name)
        .qualifier(qualifier)
        .invocation_type(InvocationType::RequestResponse)
        .log_type(LogType::Tail)
        .payload(aws_smithy_types::Blob::new(payload))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("lambda:Invoke", name, e))?;
    let log_tail = out
        .log_result()
        .and_then(|b64| aws_smithy_types::base64::decode(b64).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    Ok(Invocation {
        status: out.status_code(),
        version: out.executed_version().map(str::to_string),
        function_error: out.function_error().map(str::to_string),
        payload: out
            .payload()
            .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
            .unwrap_or_default(),
        log_tail,
    })
}

/// Published versions, oldest first (`$LATEST` left out).
async fn versions(client: &Client, name: &str) -> Result<Vec<LiveVersion>, AwsError> {
    let mut versions = Vec::new();
    let mut pages = client
        .list_versions_by_function()
        .function_name(name)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        let c = item.map_err(|e| AwsError::from_sdk("lambda:ListVersionsByFunction", name, e))?;
        match c.version() {
            Some(v) if v != "$LATEST" => versions.push(LiveVersion {
                version: v.to_string(),
                config: config_of(&c),
            }),
            _ => {}
        }
    }
    versions.sort_by_key(|v| v.version.parse::<u64>().unwrap_or(0));
    Ok(versions)
}

/// The alias's function URL, if it has one.
pub async fn url(client: &Client, name: &str, alias: &str) -> Result<Option<LiveUrl>, AwsError> {
    match client
        .get_function_url_config()
        .function_name(name)
        .qualifier(alias)
        .send()
        .await
    {
        Ok(out) => Ok(Some(LiveUrl {
            url: out.function_url,
            auth: out.auth_type.as_str().to_string(),
        })),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("lambda:GetFunctionUrlConfig", name, e)),
    }
}

/// bosun's statements on the alias whose ids start with `prefix`: statement
/// id → the service, action and source ARN each allows.
fn service_permissions(statements: &[serde_json::Value], prefix: &str) -> BTreeMap<String, ServicePermission> {
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    statements
        .iter()
        .filter_map(|st| {
            let sid = st["Sid"].as_str().filter(|sid| sid.starts_with(prefix))?;
            let permission = ServicePermission {
                action: text(&st["Action"]),
                principal: text(&st["Principal"]["Service"]),
                source: text(&st["Condition"]["ArnLike"]["AWS:SourceArn"]),
            };
            Some((sid.to_string(), permission))
        })
        .collect()
}

/// Waits until the function's last update has finished.
pub async fn wait_updated(client: &Client, name: &str) -> Result<(), AwsError> {
    client
        .wait_until_function_updated_v2()
        .function_name(name)
        .wait(WAIT)
        .await
        .map(|_| ())
        .map_err(|e| AwsError::waiter("lambda:wait-function-updated", name, e))
}

/// Runs an update, waiting out `ResourceConflictException` (an update already in progress).
async fn retry_on_conflict<T, E, F, Fut>(
    client: &Client,
    op: &'static str,
    name: &str,
    is_conflict: fn(&E) -> bool,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let mut attempt = 1;
    loop {
        match call().await {
            Ok(v) => return Ok(v),
            Err(e) if attempt < CONFLICT_ATTEMPTS && e.as_service_error().is_some_and(is_conflict) => {
                tracing::info!(
                    function = name,
                    op,
                    attempt,
                    "update in progress; waiting for it to finish"
                );
                wait_updated(client, name).await?;
                attempt += 1;
            }
            Err(e) => return Err(AwsError::from_sdk(op, name, e)),
        }
    }
}

fn environment(cfg: &FunctionConfig) -> Environment {
    Environment::builder()
        .set_variables(Some(cfg.environment.clone().into_iter().collect()))
        .build()
}

/// Creates a function and publishes version 1 in the same call; returns the version.
///
/// A role created moments ago may not yet be assumable by Lambda (IAM is
/// eventually consistent); that one error is retried with backoff, bounded.
pub async fn create_function(
    client: &Client,
    name: &str,
    cfg: &FunctionConfig,
    zip: &[u8],
    role_is_new: bool,
) -> Result<String, AwsError> {
    let op = "lambda:CreateFunction";
    let mut delay = Duration::from_millis(500);
    let mut waited = Duration::ZERO;
    let out = loop {
        let result = client
            .create_function()
            .function_name(name)
            .runtime(Runtime::from(cfg.runtime.as_str()))
            .architectures(Architecture::from(cfg.architecture.as_str()))
            .handler(&cfg.handler)
            .role(&cfg.role)
            .memory_size(cfg.memory)
            .timeout(cfg.timeout)
            .description(&cfg.description)
            .environment(environment(cfg))
            .code(FunctionCode::builder().zip_file(Blob::new(zip.to_vec())).build())
            .publish(true)
            .customize()
            .config_override(upload_timeouts(zip.len()))
            .send()
            .await;
        match result {
            Ok(out) => break out,
            Err(e)
                if role_is_new
                    && waited < Duration::from_secs(60)
                    && e.code() == Some("InvalidParameterValueException")
                    && e.message().is_some_and(|m| m.to_ascii_lowercase().contains("role")) =>
            {
                tracing::info!(function = name, "new role not yet assumable by Lambda; retrying");
                tokio::time::sleep(delay).await;
                waited += delay;
                delay = (delay * 2).min(Duration::from_secs(8));
            }
            Err(e) => return Err(AwsError::from_sdk(op, name, e)),
        }
    };
    client
        .wait_until_function_active_v2()
        .function_name(name)
        .wait(WAIT)
        .await
        .map_err(|e| AwsError::waiter(op, name, e))?;
    out.version.ok_or_else(|| AwsError::missing(op, name, "Version"))
}

/// Uploads new code to `$LATEST` and waits for the update to finish.
pub async fn update_code(client: &Client, name: &str, zip: &[u8], architecture: &str) -> Result<(), AwsError> {
    use aws_sdk_lambda::operation::update_function_code::UpdateFunctionCodeError as E;
    retry_on_conflict(
        client,
        "lambda:UpdateFunctionCode",
        name,
        E::is_resource_conflict_exception,
        || {
            client
                .update_function_code()
                .function_name(name)
                .zip_file(Blob::new(zip.to_vec()))
                .architectures(Architecture::from(architecture))
                .customize()
                .config_override(upload_timeouts(zip.len()))
                .send()
        },
    )
    .await?;
    wait_updated(client, name).await
}

/// Updates `$LATEST`'s configuration and waits for the update to finish.
pub async fn update_config(client: &Client, name: &str, cfg: &FunctionConfig) -> Result<(), AwsError> {
    use aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationError as E;
    retry_on_conflict(
        client,
        "lambda:UpdateFunctionConfiguration",
        name,
        E::is_resource_conflict_exception,
        || {
            client
                .update_function_configuration()
                .function_name(name)
                .runtime(Runtime::from(cfg.runtime.as_str()))
                .handler(&cfg.handler)
                .role(&cfg.role)
                .memory_size(cfg.memory)
                .timeout(cfg.timeout)
                .description(&cfg.description)
                .environment(environment(cfg))
                .send()
        },
    )
    .await?;
    wait_updated(client, name).await
}

/// Publishes `$LATEST` as a version, only if its code is `code_sha256` and
/// it is still the revision read right before publishing (after this run's
/// own updates have settled): a change made in between fails the publish
/// (PreconditionFailed) instead of being published under this deploy's name.
pub async fn publish_version(client: &Client, name: &str, code_sha256: &str) -> Result<String, AwsError> {
    use aws_sdk_lambda::operation::publish_version::PublishVersionError as E;
    let op = "lambda:PublishVersion";
    let revision = client
        .get_function_configuration()
        .function_name(name)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("lambda:GetFunctionConfiguration", name, e))?
        .revision_id;
    let out = retry_on_conflict(client, op, name, E::is_resource_conflict_exception, || {
        client
            .publish_version()
            .function_name(name)
            .code_sha256(code_sha256)
            .set_revision_id(revision.clone())
            .send()
    })
    .await
    .map_err(|mut e| {
        if e.code.as_deref() == Some("PreconditionFailedException") || e.message.contains("PreconditionFailedException") {
            e.help = Some("the function changed while this deploy was publishing it (another deploy or a change by hand); run the deploy again".into());
        }
        e
    })?;
    out.version
        .ok_or_else(|| AwsError::missing("lambda:PublishVersion", name, "Version"))
}

/// Points the alias at `version`, creating it when it does not exist yet.
pub async fn put_alias(client: &Client, name: &str, alias: &str, version: &str, exists: bool) -> Result<(), AwsError> {
    if exists {
        client
            .update_alias()
            .function_name(name)
            .name(alias)
            .function_version(version)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| AwsError::from_sdk("lambda:UpdateAlias", name, e))
    } else {
        match client
            .create_alias()
            .function_name(name)
            .name(alias)
            .function_version(version)
            .description("managed by bosun")
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Created by an earlier, interrupted run: move it instead.
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_conflict_exception()) => {
                Box::pin(put_alias(client, name, alias, version, true)).await
            }
            Err(e) => Err(AwsError::from_sdk("lambda:CreateAlias", name, e)),
        }
    }
}

fn url_auth(auth: &str) -> FunctionUrlAuthType {
    FunctionUrlAuthType::from(auth)
}

/// Creates or updates the function URL on the alias.
pub async fn put_url(client: &Client, name: &str, alias: &str, auth: &str, exists: bool) -> Result<String, AwsError> {
    if exists {
        let out = client
            .update_function_url_config()
            .function_name(name)
            .qualifier(alias)
            .auth_type(url_auth(auth))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("lambda:UpdateFunctionUrlConfig", name, e))?;
        Ok(out.function_url)
    } else {
        let out = client
            .create_function_url_config()
            .function_name(name)
            .qualifier(alias)
            .auth_type(url_auth(auth))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("lambda:CreateFunctionUrlConfig", name, e))?;
        Ok(out.function_url)
    }
}

pub async fn delete_url(client: &Client, name: &str, alias: &str) -> Result<(), AwsError> {
    match client
        .delete_function_url_config()
        .function_name(name)
        .qualifier(alias)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("lambda:DeleteFunctionUrlConfig", name, e)),
    }
}

/// Lets anyone call the alias's `NONE`-auth URL. Lambda needs both
/// statements since October 2025 (the grace period for older URLs ended
/// 2026-11-01); each is added by its own change.
pub async fn allow_public_url(
    client: &Client,
    name: &str,
    alias: &str,
    statement: PublicStatement,
) -> Result<(), AwsError> {
    add_permission(client, name, alias, statement.sid(), || {
        let req = client
            .add_permission()
            .function_name(name)
            .qualifier(alias)
            .statement_id(statement.sid())
            .principal("*");
        match statement {
            PublicStatement::InvokeFunctionUrl => req
                .action("lambda:InvokeFunctionUrl")
                .function_url_auth_type(FunctionUrlAuthType::None),
            PublicStatement::InvokeFunction => req.action("lambda:InvokeFunction").invoked_via_function_url(true),
        }
    })
    .await
}

/// Removes both public-URL statements (either already gone is fine).
pub async fn remove_public_url(client: &Client, name: &str, alias: &str) -> Result<(), AwsError> {
    remove_permission(client, name, alias, PUBLIC_URL_SID).await?;
    remove_permission(client, name, alias, PUBLIC_INVOKE_SID).await
}

/// Adds the statement `sid` with the request `build` makes. A
/// `ResourceConflictException` means either "this statement id exists" (an
/// earlier, interrupted run added it: done) or "an update of the function is
/// in progress" (AddPermission API reference): the policy is read to tell
/// which, and in the second case the add is retried once the function settles.
async fn add_permission(
    client: &Client,
    name: &str,
    alias: &str,
    sid: &str,
    build: impl Fn() -> aws_sdk_lambda::operation::add_permission::builders::AddPermissionFluentBuilder,
) -> Result<(), AwsError> {
    let op = "lambda:AddPermission";
    let mut attempt = 1;
    loop {
        match build().send().await {
            Ok(_) => return Ok(()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_resource_conflict_exception()) => {
                if policy_has(client, name, alias, sid).await? {
                    return Ok(());
                }
                if attempt >= CONFLICT_ATTEMPTS {
                    return Err(AwsError::from_sdk(op, name, e));
                }
                tracing::info!(
                    function = name,
                    sid,
                    attempt,
                    "update in progress; waiting to add the permission"
                );
                wait_updated(client, name).await?;
                attempt += 1;
            }
            Err(e) => return Err(AwsError::from_sdk(op, name, e)),
        }
    }
}

/// True when the alias's resource policy has a statement `sid`.
async fn policy_has(client: &Client, name: &str, alias: &str, sid: &str) -> Result<bool, AwsError> {
    Ok(alias_statements(client, name, alias)
        .await?
        .iter()
        .any(|st| st["Sid"] == sid))
}

/// The statements of the alias's resource policy (none when it has no policy).
async fn alias_statements(client: &Client, name: &str, alias: &str) -> Result<Vec<serde_json::Value>, AwsError> {
    match client.get_policy().function_name(name).qualifier(alias).send().await {
        Ok(out) => Ok(out
            .policy()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .map(|p| crate::policy::statements(&p))
            .unwrap_or_default()),
        Err(e) if is_not_found(&e) => Ok(Vec::new()),
        Err(e) => Err(AwsError::from_sdk("lambda:GetPolicy", name, e)),
    }
}

/// Lets the EventBridge rule `rule_arn` (and only it) invoke the alias.
/// Lets CloudFront, for the distribution `distribution_arn` only, call the
/// alias's URL (`statement` says which of the two statements).
pub async fn allow_cloudfront(
    client: &Client,
    (name, alias): (&str, &str),
    sid: &str,
    statement: PublicStatement,
    distribution_arn: &str,
) -> Result<(), AwsError> {
    add_permission(client, name, alias, sid, || {
        client
            .add_permission()
            .function_name(name)
            .qualifier(alias)
            .statement_id(sid)
            .action(statement_action(statement))
            .principal("cloudfront.amazonaws.com")
            .source_arn(distribution_arn)
    })
    .await
}

pub async fn allow_events(client: &Client, name: &str, alias: &str, sid: &str, rule_arn: &str) -> Result<(), AwsError> {
    add_permission(client, name, alias, sid, || {
        client
            .add_permission()
            .function_name(name)
            .qualifier(alias)
            .statement_id(sid)
            .action("lambda:InvokeFunction")
            .principal("events.amazonaws.com")
            .source_arn(rule_arn)
    })
    .await
}

/// Removes the statement `sid` from the alias's policy (already gone is fine).
pub async fn remove_permission(client: &Client, name: &str, alias: &str, sid: &str) -> Result<(), AwsError> {
    match client
        .remove_permission()
        .function_name(name)
        .qualifier(alias)
        .statement_id(sid)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("lambda:RemovePermission", name, e)),
    }
}

/// Deletes one published version (one already gone is fine).
pub async fn delete_version(client: &Client, name: &str, version: &str) -> Result<(), AwsError> {
    match client
        .delete_function()
        .function_name(name)
        .qualifier(version)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(AwsError::from_sdk(
            "lambda:DeleteFunction",
            &format!("{name}:{version}"),
            e,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The statements as Lambda's GetPolicy returns them (Lambda developer
    /// guide, "Control access to Lambda function URLs", auth type NONE).
    #[test]
    fn public_url_statements_are_read_in_lambdas_shape() {
        let url = json!({
            "Sid": PUBLIC_URL_SID, "Effect": "Allow", "Principal": "*",
            "Action": "lambda:InvokeFunctionUrl",
            "Resource": "arn:aws:lambda:us-west-2:123456789012:function:f:live",
            "Condition": {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
        });
        let invoke = json!({
            "Sid": PUBLIC_INVOKE_SID, "Effect": "Allow", "Principal": "*",
            "Action": "lambda:InvokeFunction",
            "Resource": "arn:aws:lambda:us-west-2:123456789012:function:f:live",
            "Condition": {"Bool": {"lambda:InvokedViaFunctionUrl": "true"}}
        });
        let all = [url.clone(), invoke.clone()];
        assert_eq!(
            statement_state(&all, PUBLIC_URL_SID, public_url_statement_ok),
            StatementState::Present
        );
        assert_eq!(
            statement_state(&all, PUBLIC_INVOKE_SID, public_invoke_statement_ok),
            StatementState::Present
        );
        assert_eq!(
            statement_state(&all[..1], PUBLIC_INVOKE_SID, public_invoke_statement_ok),
            StatementState::Absent
        );
        // An InvokeFunction statement without the URL condition would open the
        // function to direct invocation by anyone: not bosun's statement.
        let mut open = invoke.clone();
        open.as_object_mut().unwrap().remove("Condition");
        assert!(!public_invoke_statement_ok(&open));
        let mut iam = url.clone();
        iam["Condition"]["StringEquals"]["lambda:FunctionUrlAuthType"] = json!("AWS_IAM");
        assert_eq!(
            statement_state(&[iam], PUBLIC_URL_SID, public_url_statement_ok),
            StatementState::Wrong
        );
        let mut principal = url;
        principal["Principal"] = json!({"AWS": "arn:aws:iam::123456789012:root"});
        assert!(!public_url_statement_ok(&principal));
    }
}
