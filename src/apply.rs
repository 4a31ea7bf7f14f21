//! Apply: executes a `Plan` in order against AWS.
//!
//! Every step is safe to retry: creates tolerate "already exists" from an
//! interrupted earlier run, puts are full replaces, and publishing is guarded
//! by the expected code hash. Apply stops at the first failure and reports
//! what was done and what was not, so a re-run converges.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use crate::aws::{self, AwsError, Clients};
use crate::model::Desired;
use crate::output::Reporter;
use crate::package::Package;
use crate::plan::{AliasTarget, Change, Plan};

pub struct ApplyContext<'a> {
    pub clients: &'a Clients,
    pub desired: &'a Desired,
    pub packages: &'a BTreeMap<String, Package>,
}

/// What apply did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    /// Changes completed, in order.
    pub done: Vec<Change>,
    /// Function key → the version its alias now points at (for functions this run touched).
    pub aliases: BTreeMap<String, String>,
    /// Function key → function URL, where one was created or changed.
    pub urls: BTreeMap<String, String>,
}

/// A failed apply: the change that failed, the error, and what was already done.
#[derive(Debug, thiserror::Error)]
pub struct ApplyError {
    pub applied: Applied,
    pub failed: Change,
    pub remaining: Vec<Change>,
    #[source]
    pub error: ApplyStepError,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyStepError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("internal: {0}")]
    Internal(String),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "deploy stopped at {}: {}",
            self.failed.resource(),
            self.failed.describe()
        )?;
        writeln!(f, "  {}", self.error)?;
        if self.applied.done.is_empty() {
            writeln!(f, "  nothing was changed before the failure")?;
        } else {
            writeln!(f, "  done before the failure:")?;
            for c in &self.applied.done {
                writeln!(f, "    - {}: {}", c.resource(), c.describe())?;
            }
        }
        if !self.remaining.is_empty() {
            writeln!(f, "  not done:")?;
            for c in std::iter::once(&self.failed).chain(&self.remaining) {
                writeln!(f, "    - {}: {}", c.resource(), c.describe())?;
            }
        }
        write!(
            f,
            "  fix the cause and run the deploy again: every step is safe to repeat"
        )
    }
}

/// Runs the plan's changes in order.
pub async fn apply(
    ctx: &ApplyContext<'_>,
    plan: &Plan,
    reporter: &mut Reporter,
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    let mut published: BTreeMap<String, String> = BTreeMap::new();
    let new_roles: BTreeSet<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateRole { role, .. } => Some(role.as_str()),
            _ => None,
        })
        .collect();
    reporter.begin(plan.changes.len(), "deploying");
    for (i, change) in plan.changes.iter().enumerate() {
        let resource = change.resource();
        let action = change.describe();
        reporter.started(&resource, &action);
        let start = Instant::now();
        match step(ctx, change, &new_roles, &mut published, &mut applied).await {
            Ok(extra) => {
                reporter.done("applied", &resource, &action, start.elapsed(), extra);
                applied.done.push(change.clone());
            }
            Err(error) => {
                reporter.finish();
                return Err(ApplyError {
                    applied,
                    failed: change.clone(),
                    remaining: plan.changes[i + 1..].to_vec(),
                    error,
                });
            }
        }
    }
    reporter.finish();
    Ok(applied)
}

fn package<'a>(ctx: &'a ApplyContext<'_>, key: &str) -> Result<&'a Package, ApplyStepError> {
    ctx.packages
        .get(key)
        .ok_or_else(|| ApplyStepError::Internal(format!("no package for function `{key}`")))
}

async fn step(
    ctx: &ApplyContext<'_>,
    change: &Change,
    new_roles: &BTreeSet<&str>,
    published: &mut BTreeMap<String, String>,
    applied: &mut Applied,
) -> Result<serde_json::Value, ApplyStepError> {
    let c = ctx.clients;
    let stack = &ctx.desired.stack.name;
    match change {
        Change::CreateRole { role, trust } => {
            aws::iam::create_role(&c.iam, role, trust, stack).await?
        }
        Change::UpdateTrust { role, trust } => aws::iam::update_trust(&c.iam, role, trust).await?,
        Change::PutRolePolicy { role, policy } => {
            aws::iam::put_policy(&c.iam, role, policy).await?
        }
        Change::CreateTable { table, .. } => {
            let spec = ctx.desired.table(table).ok_or_else(|| {
                ApplyStepError::Internal(format!("table `{table}` not in the stack"))
            })?;
            aws::dynamodb::create_table(&c.dynamodb, spec, stack).await?
        }
        Change::UpdateBilling { name, to, .. } => {
            aws::dynamodb::update_billing(&c.dynamodb, name, *to).await?
        }
        Change::SetTtl {
            name,
            attribute,
            enabled,
        } => aws::dynamodb::set_ttl(&c.dynamodb, name, attribute, *enabled).await?,
        Change::CreateFunction {
            function,
            name,
            config,
        } => {
            let pkg = package(ctx, function)?;
            let version = aws::lambda::create_function(
                &c.lambda,
                name,
                config,
                &pkg.zip,
                new_roles.contains(name.as_str()),
            )
            .await?;
            published.insert(function.clone(), version.clone());
            return Ok(json!({ "version": version }));
        }
        Change::UpdateCode { function, name, .. } => {
            let pkg = package(ctx, function)?;
            let arch = ctx
                .desired
                .function(function)
                .map(|f| f.arch.as_str())
                .unwrap_or("x86_64");
            aws::lambda::update_code(&c.lambda, name, &pkg.zip, arch).await?
        }
        Change::UpdateConfig { name, config, .. } => {
            aws::lambda::update_config(&c.lambda, name, config).await?
        }
        Change::PublishVersion {
            function,
            name,
            code_sha256,
        } => {
            let version = aws::lambda::publish_version(&c.lambda, name, code_sha256).await?;
            published.insert(function.clone(), version.clone());
            return Ok(json!({ "version": version }));
        }
        Change::PointAlias {
            function,
            name,
            alias,
            target,
            from,
        } => {
            let version = match target {
                AliasTarget::Existing(v) => v.clone(),
                AliasTarget::Published => published.get(function).cloned().ok_or_else(|| {
                    ApplyStepError::Internal(format!(
                        "no version was published for `{function}` before its alias"
                    ))
                })?,
            };
            aws::lambda::put_alias(&c.lambda, name, alias, &version, from.is_some()).await?;
            applied.aliases.insert(function.clone(), version.clone());
            return Ok(json!({ "alias": alias, "version": version }));
        }
        Change::PutUrl {
            function,
            name,
            alias,
            auth,
            create,
        } => {
            let url = aws::lambda::put_url(&c.lambda, name, alias, auth, !create).await?;
            applied.urls.insert(function.clone(), url.clone());
            return Ok(json!({ "url": url }));
        }
        Change::AllowPublicUrl { name, alias, .. } => {
            aws::lambda::allow_public_url(&c.lambda, name, alias).await?
        }
        Change::RemovePublicUrl { name, alias, .. } => {
            aws::lambda::remove_public_url(&c.lambda, name, alias).await?
        }
        Change::DeleteUrl { name, alias, .. } => {
            aws::lambda::delete_url(&c.lambda, name, alias).await?
        }
    }
    Ok(json!({}))
}
