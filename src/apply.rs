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
use crate::frontend::LocalFile;
use crate::model::Desired;
use crate::model::{FrontendManifest, ManifestEntry};
use crate::output::Reporter;
use crate::package::Package;
use crate::plan::{AliasTarget, Change, Plan};
use futures_util::future::BoxFuture;
use futures_util::StreamExt;

pub struct ApplyContext<'a> {
    pub clients: &'a Clients,
    pub desired: &'a Desired,
    pub packages: &'a BTreeMap<String, Package>,
    /// Frontend key → its scanned files.
    pub frontends: &'a BTreeMap<String, Vec<LocalFile>>,
    /// The AWS partition (for ARNs in bucket policies).
    pub partition: &'a str,
    /// Wait for CloudFront invalidations to complete.
    pub wait_invalidations: bool,
    /// Invalidations an interrupted earlier run already created (CallerReference → id).
    pub known_invalidations: BTreeMap<String, String>,
}

/// Called after each completed change, before the next one starts (the
/// deploy lock's journal).
pub trait StepHook: Send {
    fn done<'a>(&'a mut self, change: &'a Change, extra: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>>;
}

/// No journal.
pub struct NoHook;

impl StepHook for NoHook {
    fn done<'a>(&'a mut self, _: &'a Change, _: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// What apply learns as it goes and later steps need.
#[derive(Default)]
struct State {
    /// Function key → version published or created in this run.
    published: BTreeMap<String, String>,
    /// S3 key → ETag and version of objects uploaded or restored in this run.
    etags: BTreeMap<String, crate::model::Stored>,
    /// Frontend key → ARN of the distribution created in this run.
    distribution_arns: BTreeMap<String, String>,
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
    /// Frontend key → distribution id, where one was created.
    pub distributions: BTreeMap<String, String>,
    /// Frontend key → invalidation id.
    pub invalidations: BTreeMap<String, String>,
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
    #[error("{0}")]
    Journal(String),
    #[error("interrupted (Ctrl-C) before this step; the lock is released")]
    Interrupted,
}

/// Set on Ctrl-C: apply finishes the step in flight, then stops.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

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
    hook: &mut dyn StepHook,
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    let mut state = State::default();
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
        if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
            reporter.finish();
            return Err(ApplyError {
                applied,
                failed: change.clone(),
                remaining: plan.changes[i + 1..].to_vec(),
                error: ApplyStepError::Interrupted,
            });
        }
        let resource = change.resource();
        let action = change.describe();
        reporter.started(&resource, &action);
        let start = Instant::now();
        let outcome = match step(ctx, change, &new_roles, &mut state, &mut applied, reporter).await {
            Ok(extra) => hook
                .done(change, &extra)
                .await
                .map(|()| extra)
                .map_err(ApplyStepError::Journal),
            Err(e) => Err(e),
        };
        match outcome {
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
    state: &mut State,
    applied: &mut Applied,
    reporter: &Reporter,
) -> Result<serde_json::Value, ApplyStepError> {
    let c = ctx.clients;
    let published = &mut state.published;
    let stack = &ctx.desired.stack.name;
    match change {
        Change::CreateRole { role, trust } => aws::iam::create_role(&c.iam, role, trust, stack, &c.region).await?,
        Change::UpdateTrust { role, trust } => aws::iam::update_trust(&c.iam, role, trust).await?,
        Change::PutRolePolicy { role, policy } => aws::iam::put_policy(&c.iam, role, policy).await?,
        Change::CreateTable { table, .. } => {
            let spec = ctx
                .desired
                .table(table)
                .ok_or_else(|| ApplyStepError::Internal(format!("table `{table}` not in the stack")))?;
            aws::dynamodb::create_table(&c.dynamodb, spec, stack).await?
        }
        Change::UpdateBilling { name, to, .. } => aws::dynamodb::update_billing(&c.dynamodb, name, *to).await?,
        Change::SetTtl {
            name,
            attribute,
            enabled,
        } => match aws::dynamodb::set_ttl(&c.dynamodb, name, attribute, *enabled).await {
            Ok(()) => {}
            // A retried step that an interrupted run already did ("TimeToLive
            // is already enabled"): done.
            Err(e) if e.code.as_deref() == Some("ValidationException") && e.message.contains("already") => {}
            // DynamoDB refuses a second TTL change on a table within an hour
            // of the last one, and DescribeTimeToLive cannot say when that
            // was. The table keeps its current TTL; the rest of the deploy
            // goes on, and a later deploy makes the change (it is planned
            // again until it is done).
            Err(e)
                if e.code.as_deref() == Some("ValidationException")
                    && (e.message.contains("multiple times") || e.message.contains("fixed interval")) =>
            {
                let what = if *enabled { "enabling" } else { "disabling" };
                reporter.warn(&format!(
                    "table {name}: {what} TTL on `{attribute}` deferred: DynamoDB allows one TTL change per table per hour and the last one was less than an hour ago; run the deploy again later to finish it"
                ));
                return Ok(json!({ "deferred": true }));
            }
            Err(e) => return Err(e.into()),
        },
        Change::UploadData { bucket, file, .. } => {
            let put = aws::s3::PutFile {
                key: &file.key,
                path: &file.path,
                content_type: &file.content_type,
                cache_control: &file.cache_control,
                sha256: &file.sha256,
                md5: &file.md5,
                headers: &file.headers,
            };
            aws::s3::put_file(&c.s3, bucket, &put).await?;
        }
        Change::CreateSecret { function, parameter } => {
            aws::ssm::create_secret(&c.ssm, parameter, &c.stack, function).await?
        }
        Change::CreateFunction { function, name, config } => {
            let pkg = package(ctx, function)?;
            let version =
                aws::lambda::create_function(&c.lambda, name, config, &pkg.zip, new_roles.contains(name.as_str()))
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
        Change::UpdateConfig { name, config, .. } => aws::lambda::update_config(&c.lambda, name, config).await?,
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
                    ApplyStepError::Internal(format!("no version was published for `{function}` before its alias"))
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
        Change::AllowPublicUrl {
            name, alias, statement, ..
        } => aws::lambda::allow_public_url(&c.lambda, name, alias, *statement).await?,
        Change::RemovePublicUrl { name, alias, .. } => aws::lambda::remove_public_url(&c.lambda, name, alias).await?,
        Change::DeleteUrl { name, alias, .. } => aws::lambda::delete_url(&c.lambda, name, alias).await?,
        Change::CreateBucket { bucket, region, .. } => aws::s3::create_bucket(&c.s3, bucket, region).await?,
        Change::EnableVersioning { bucket, .. } => aws::s3::enable_versioning(&c.s3, bucket).await?,
        Change::PutIndexFunction { name } => {
            let arn = aws::cloudfront::put_function(
                &c.cloudfront,
                name,
                "bosun: folder URLs serve their index.html",
                aws::cloudfront::INDEX_FUNCTION_CODE,
            )
            .await?;
            return Ok(json!({ "function": arn }));
        }
        Change::AttachIndexFunction {
            distribution,
            function_arn,
            ..
        } => aws::cloudfront::attach_viewer_function(&c.cloudfront, distribution, function_arn).await?,
        Change::CreateDistribution {
            site,
            bucket,
            prefix,
            comment,
            index_function,
        } => {
            let oac_name: String = format!("bosun-{stack}-{site}").chars().take(64).collect();
            let oac = aws::cloudfront::origin_access_control(&c.cloudfront, &oac_name).await?;
            let (id, arn) = aws::cloudfront::create(
                &c.cloudfront,
                &aws::cloudfront::NewDistribution {
                    bucket,
                    region: &c.region,
                    partition: ctx.partition,
                    prefix,
                    comment,
                    oac_id: &oac,
                    index_function,
                },
            )
            .await?;
            state.distribution_arns.insert(site.clone(), arn);
            applied.distributions.insert(site.clone(), id.clone());
            return Ok(json!({ "distribution": id }));
        }
        Change::AllowDistribution {
            site,
            bucket,
            prefix,
            distribution_arn,
        } => {
            let arn = distribution_arn
                .clone()
                .or_else(|| state.distribution_arns.get(site).cloned())
                .ok_or_else(|| {
                    ApplyStepError::Internal(format!(
                        "no distribution was created for `{site}` before its bucket policy"
                    ))
                })?;
            let statement = crate::policy::distribution_statement(
                &crate::policy::distribution_sid(site),
                bucket,
                prefix,
                &arn,
                ctx.partition,
            );
            aws::s3::put_policy_statement(&c.s3, bucket, statement).await?
        }
        Change::Upload {
            site, bucket, files, ..
        } => {
            let concurrency = ctx
                .desired
                .frontends
                .iter()
                .find(|f| f.key == *site)
                .map_or(8, |f| f.concurrency);
            let total = files.len();
            let mut uploads = futures_util::stream::iter(files)
                .map(|f| async move {
                    let put = aws::s3::PutFile {
                        key: &f.key,
                        path: &f.path,
                        content_type: &f.content_type,
                        cache_control: &f.cache_control,
                        sha256: &f.sha256,
                        md5: &f.md5,
                        headers: &f.headers,
                    };
                    aws::s3::put_file(&c.s3, bucket, &put).await.map(|etag| (f, etag))
                })
                .buffer_unordered(concurrency);
            let mut bytes = 0u64;
            let mut done = 0usize;
            while let Some(result) = uploads.next().await {
                let (f, etag) = result?;
                done += 1;
                bytes += f.size;
                reporter.item(
                    &format!("uploaded {done}/{total}: {}", f.key),
                    json!({
                        "event": "uploaded",
                        "key": f.key,
                        "bytes": f.size,
                        "content_type": f.content_type,
                        "cache_control": f.cache_control,
                    }),
                );
                state.etags.insert(f.key.clone(), etag);
            }
            return Ok(json!({ "files": total, "bytes": bytes }));
        }
        Change::Invalidate {
            site,
            distribution,
            paths,
            caller_reference,
        } => {
            // An interrupted earlier run may have created this very invalidation.
            let id = match ctx.known_invalidations.get(caller_reference) {
                Some(id) => id.clone(),
                None => aws::cloudfront::invalidate(&c.cloudfront, distribution, paths, caller_reference).await?,
            };
            if ctx.wait_invalidations {
                aws::cloudfront::wait_invalidation(&c.cloudfront, distribution, &id).await?;
            }
            applied.invalidations.insert(site.clone(), id.clone());
            return Ok(json!({ "invalidation": id, "paths": paths }));
        }
        Change::WriteManifest {
            site,
            bucket,
            key,
            known,
        } => {
            let files = ctx
                .frontends
                .get(site)
                .ok_or_else(|| ApplyStepError::Internal(format!("frontend `{site}` was not scanned")))?;
            let mut manifest = FrontendManifest {
                version: 1,
                files: BTreeMap::new(),
            };
            for f in files {
                let stored = state
                    .etags
                    .get(&f.key)
                    .or_else(|| known.get(&f.key))
                    .cloned()
                    .ok_or_else(|| ApplyStepError::Internal(format!("no ETag known for {}", f.key)))?;
                manifest.files.insert(
                    f.key.clone(),
                    ManifestEntry {
                        sha256: f.sha256.clone(),
                        md5: f.md5.clone(),
                        etag: stored.etag,
                        version_id: stored.version_id,
                        size: f.size,
                        content_type: f.content_type.clone(),
                        cache_control: f.cache_control.clone(),
                        headers: f.headers.clone(),
                    },
                );
            }
            let body = serde_json::to_vec(&manifest).map_err(|e| ApplyStepError::Internal(e.to_string()))?;
            aws::s3::put_json(&c.s3, bucket, key, body).await?
        }
        Change::DeleteObjects { bucket, keys, .. } => aws::s3::delete(&c.s3, bucket, keys).await?,
        Change::RestoreObjects { bucket, objects, .. } => {
            let mut copies = futures_util::stream::iter(objects)
                .map(|(key, version)| async move {
                    aws::s3::copy_version(&c.s3, bucket, key, version)
                        .await
                        .map(|stored| (key, stored))
                })
                .buffer_unordered(8);
            while let Some(result) = copies.next().await {
                let (key, stored) = result?;
                state.etags.insert(key.clone(), stored);
            }
            return Ok(json!({ "restored": objects.len() }));
        }
        Change::WriteRecordedManifest {
            bucket, key, manifest, ..
        } => {
            let mut manifest = manifest.clone();
            for (k, entry) in manifest.files.iter_mut() {
                if let Some(stored) = state.etags.get(k) {
                    entry.etag = stored.etag.clone();
                    entry.version_id = stored.version_id.clone();
                }
            }
            let body = serde_json::to_vec(&manifest).map_err(|e| ApplyStepError::Internal(e.to_string()))?;
            aws::s3::put_json(&c.s3, bucket, key, body).await?
        }
        Change::AllowSchedule {
            name,
            alias,
            sid,
            rule_arn,
            ..
        } => aws::lambda::allow_events(&c.lambda, name, alias, sid, rule_arn).await?,
        Change::PutRule {
            rule,
            expression,
            enabled,
            description,
            ..
        } => {
            let arn = aws::events::put_rule(&c.events, rule, expression, *enabled, description, stack).await?;
            return Ok(json!({ "rule_arn": arn }));
        }
        Change::PutTarget {
            rule,
            target_arn,
            input,
            ..
        } => aws::events::put_target(&c.events, rule, target_arn, input).await?,
        Change::RemoveTargets { rule, ids } => aws::events::remove_targets(&c.events, rule, ids).await?,
        Change::DeleteRule { rule, target_ids } => {
            aws::events::remove_targets(&c.events, rule, target_ids).await?;
            aws::events::delete_rule(&c.events, rule).await?
        }
        Change::RemoveSchedulePermission { name, alias, sid, .. } => {
            aws::lambda::remove_permission(&c.lambda, name, alias, sid).await?
        }
    }
    Ok(json!({}))
}
