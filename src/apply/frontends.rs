//! Frontends: buckets, the index-page function, managed distributions and
//! the bucket-policy statement letting them read, uploads (concurrent,
//! streamed from disk), invalidations, manifests, deletions, and a
//! rollback's restored object versions.

use futures_util::StreamExt;
use serde_json::{json, Value};

use super::functions::put_file;
use super::{ApplyStepError, Step};
use crate::aws;
use crate::aws::cloudfront::{AccessControlFor, ApiOrigin};
use crate::frontend::SiteFile;
use crate::model::names::PublicStatement;
use crate::model::names::{api_origin_id, cloudfront_sid, url_host};
use crate::model::{Stored, WrittenFiles, WrittenManifest};
use crate::plan::{EdgeChange, NewDistribution, PlannedApi, SiteChange};
use std::collections::BTreeMap;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &SiteChange) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    match change {
        SiteChange::CreateBucket { bucket, region, .. } => aws::s3::create_bucket(&c.s3, bucket, region).await?,
        SiteChange::EnableVersioning { bucket, .. } => aws::s3::enable_versioning(&c.s3, bucket).await?,
        SiteChange::AllowDistribution {
            site,
            bucket,
            prefix,
            distribution_arn,
        } => allow_distribution(s, site, bucket, prefix, distribution_arn.as_deref()).await?,
        SiteChange::Upload {
            site, bucket, files, ..
        } => return upload(s, site, bucket, files).await,
        SiteChange::Invalidate {
            site,
            distribution,
            paths,
            caller_reference,
        } => {
            // An interrupted earlier run may have created this very invalidation.
            let id = match s.ctx.known_invalidations.get(caller_reference) {
                Some(id) => id.clone(),
                None => aws::cloudfront::invalidate(&c.cloudfront, distribution, paths, caller_reference).await?,
            };
            if s.ctx.wait_cloudfront {
                aws::cloudfront::wait_invalidation(&c.cloudfront, distribution, &id).await?;
            }
            s.applied.invalidations.insert(site.clone(), id.clone());
            return Ok(json!({ "invalidation": id, "paths": paths }));
        }
        SiteChange::WriteManifest {
            site,
            bucket,
            key,
            known,
        } => write_manifest(s, site, bucket, key, known).await?,
        SiteChange::DeleteObjects { bucket, keys, .. } => aws::s3::delete(&c.s3, bucket, keys).await?,
        SiteChange::RestoreObjects { bucket, objects, .. } => {
            let mut copies = futures_util::stream::iter(objects)
                .map(|(key, version)| async move {
                    aws::s3::copy_version(&c.s3, bucket, key, version)
                        .await
                        .map(|stored| (key, stored))
                })
                .buffer_unordered(8);
            while let Some(result) = copies.next().await {
                let (key, stored) = result?;
                s.state.restored.insert(key.clone(), stored);
            }
            return Ok(json!({ "restored": objects.len() }));
        }
        SiteChange::WriteRecordedManifest {
            bucket, key, manifest, ..
        } => {
            let mut manifest = manifest.clone();
            for (k, entry) in manifest.files.iter_mut() {
                if let Some(stored) = s.state.restored.get(k) {
                    entry.etag = stored.etag.clone();
                    entry.version_id = stored.version_id.clone();
                }
            }
            put_manifest(s, bucket, key, &manifest).await?
        }
    }
    Ok(json!({}))
}

/// The distribution's changes: the index function, the distribution itself,
/// its headers policy, API origin, domain, and the API's permissions.
pub(super) async fn edge(s: &mut Step<'_, '_>, change: &EdgeChange) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    match change {
        EdgeChange::PutIndexFunction { name } => {
            let arn = aws::cloudfront::put_function(
                &c.cloudfront,
                name,
                "bosun: folder URLs serve their index.html",
                aws::cloudfront::INDEX_FUNCTION_CODE,
            )
            .await?;
            return Ok(json!({ "function": arn }));
        }
        EdgeChange::TagDistribution { arn, .. } => {
            aws::cloudfront::tag_for_stack(&c.cloudfront, arn, &s.ctx.desired.stack.name).await?;
            return Ok(json!({}));
        }
        EdgeChange::AttachIndexFunction {
            distribution,
            function_arn,
            ..
        } => {
            aws::cloudfront::attach_viewer_function(&c.cloudfront, distribution, function_arn).await?;
            return deployed(s, distribution).await;
        }
        EdgeChange::CreateDistribution(new) => return create_distribution(s, new).await,
        EdgeChange::PutHeadersPolicy { name, .. } => {
            let id = aws::cloudfront::put_headers_policy(&c.cloudfront, name).await?;
            s.state.headers_policy = Some(id.clone());
            return Ok(json!({ "policy": id }));
        }
        EdgeChange::PutRequestPolicy { name, headers, .. } => {
            let id = aws::cloudfront::put_request_policy(&c.cloudfront, name, headers).await?;
            s.state.request_policies.insert(name.clone(), id.clone());
            return Ok(json!({ "policy": id }));
        }
        EdgeChange::AttachHeadersPolicy { distribution, name, .. } => {
            let policy = headers_policy(s, name).await?;
            aws::cloudfront::attach_headers_policy(&c.cloudfront, distribution, &policy).await?;
            return deployed(s, distribution).await;
        }
        EdgeChange::DetachApi {
            distribution, origin, ..
        } => {
            aws::cloudfront::detach_origin(&c.cloudfront, distribution, origin).await?;
            return deployed(s, distribution).await;
        }
        EdgeChange::SetDomain {
            distribution, domain, ..
        } => {
            let domain = domain.as_ref().map(|d| (d.name.as_str(), d.certificate.as_str()));
            aws::cloudfront::set_domain(&c.cloudfront, distribution, domain).await?;
            return deployed(s, distribution).await;
        }
        EdgeChange::AttachApi {
            site,
            distribution,
            api,
        } => {
            let origin = api_origin(s, site, api).await?;
            aws::cloudfront::attach_api(&c.cloudfront, distribution, &origin).await?;
            return deployed(s, distribution).await;
        }
        EdgeChange::AllowCloudFront {
            site,
            name,
            alias,
            statement,
            distribution_arn,
            ..
        } => allow_cloudfront(s, site, (name, alias), *statement, distribution_arn.as_deref()).await?,
        EdgeChange::RemoveCloudFrontPermission { name, alias, sid, .. } => {
            aws::lambda::remove_permission(&c.lambda, name, alias, sid).await?
        }
    }
    Ok(json!({}))
}

/// The response headers policy's id: put by this run, or found by name.
async fn headers_policy(s: &Step<'_, '_>, name: &str) -> Result<String, ApplyStepError> {
    if let Some(id) = &s.state.headers_policy {
        return Ok(id.clone());
    }
    let found = aws::cloudfront::find_headers_policy(&s.ctx.clients.cloudfront, name).await?;
    found
        .map(|(id, _)| id)
        .ok_or_else(|| ApplyStepError::Internal(format!("no response headers policy {name} before its distribution")))
}

/// With `--wait`, waits until a new or changed distribution is deployed.
async fn deployed(s: &Step<'_, '_>, id: &str) -> Result<Value, ApplyStepError> {
    if !s.ctx.wait_cloudfront {
        return Ok(json!({}));
    }
    aws::cloudfront::wait_deployed(&s.ctx.clients.cloudfront, id).await?;
    Ok(json!({ "deployed": true }))
}

/// A managed distribution behind an origin access control, reading the bucket.
async fn create_distribution(s: &mut Step<'_, '_>, new: &NewDistribution) -> Result<Value, ApplyStepError> {
    let NewDistribution {
        site,
        bucket,
        prefix,
        comment,
        index_function,
        api,
        domain,
        headers_policy: policy_name,
    } = new;
    let c = s.ctx.clients;
    let stack = &s.ctx.desired.stack.name;
    let oac_name = crate::model::names::oac_name(stack, site, false);
    let oac = aws::cloudfront::origin_access_control(&c.cloudfront, &oac_name, AccessControlFor::S3).await?;
    let api = match api {
        Some(api) => Some(api_origin(s, site, api).await?),
        None => None,
    };
    let policy = headers_policy(s, policy_name).await?;
    let (id, arn) = aws::cloudfront::create(
        &c.cloudfront,
        &aws::cloudfront::NewDistribution {
            stack,
            bucket,
            region: &c.region,
            partition: s.ctx.partition,
            prefix,
            comment,
            oac_id: &oac,
            index_function,
            api: api.as_ref(),
            domain: domain.as_ref().map(|d| (d.name.as_str(), d.certificate.as_str())),
            headers_policy: &policy,
        },
    )
    .await?;
    s.state.distribution_arns.insert(site.clone(), arn);
    s.applied.distributions.insert(site.clone(), id.clone());
    let mut out = deployed(s, &id).await?;
    out["distribution"] = json!(id);
    Ok(out)
}

/// One of the statements letting the distribution (an existing one, or the
/// one this run created) call the API function's URL.
async fn allow_cloudfront(
    s: &mut Step<'_, '_>,
    site: &str,
    (name, alias): (&str, &str),
    statement: PublicStatement,
    distribution_arn: Option<&str>,
) -> Result<(), ApplyStepError> {
    let arn = distribution_arn
        .map(str::to_string)
        .or_else(|| s.state.distribution_arns.get(site).cloned())
        .ok_or_else(|| {
            ApplyStepError::Internal(format!(
                "no distribution was created for `{site}` before its API permission"
            ))
        })?;
    let sid = cloudfront_sid(site, statement);
    aws::lambda::allow_cloudfront(&s.ctx.clients.lambda, (name, alias), &sid, statement, &arn).await?;
    Ok(())
}

/// The API function's URL as an origin: its host read now (the URL may be
/// new in this run), and a `lambda` origin access control of its own.
async fn api_origin(s: &Step<'_, '_>, site: &str, api: &PlannedApi) -> Result<ApiOrigin, ApplyStepError> {
    let c = s.ctx.clients;
    let url = aws::lambda::url(&c.lambda, &api.name, &api.alias)
        .await?
        .ok_or_else(|| {
            ApplyStepError::Internal(format!(
                "function {} has no URL to put behind the distribution",
                api.name
            ))
        })?;
    let stack = &s.ctx.desired.stack.name;
    let name = crate::model::names::oac_name(stack, site, true);
    let access_control = aws::cloudfront::origin_access_control(&c.cloudfront, &name, AccessControlFor::Lambda).await?;
    let headers_policy = match &s.state.headers_policy {
        Some(id) => Some(id.clone()),
        None => aws::cloudfront::find_headers_policy(&c.cloudfront, &s.ctx.desired.stack.headers_policy())
            .await?
            .map(|(id, _)| id),
    };
    let request_policy = match &api.request_policy {
        None => crate::model::ALL_VIEWER_EXCEPT_HOST_POLICY.to_string(),
        Some(name) => match s.state.request_policies.get(name) {
            Some(id) => id.clone(),
            None => aws::cloudfront::request_policies(&c.cloudfront, name)
                .await?
                .remove(name)
                .map(|(id, _)| id)
                .ok_or_else(|| {
                    ApplyStepError::Internal(format!("no origin request policy {name} before the API's behaviour"))
                })?,
        },
    };
    Ok(ApiOrigin {
        id: api_origin_id(&api.name),
        domain: url_host(&url.url).to_string(),
        access_control,
        path: api.path.clone(),
        headers_policy,
        request_policy,
    })
}

/// The bucket-policy statement letting the distribution (an existing one,
/// or the one this run created) read the frontend's prefix.
async fn allow_distribution(
    s: &mut Step<'_, '_>,
    site: &str,
    bucket: &str,
    prefix: &str,
    distribution_arn: Option<&str>,
) -> Result<(), ApplyStepError> {
    let arn = distribution_arn
        .map(str::to_string)
        .or_else(|| s.state.distribution_arns.get(site).cloned())
        .ok_or_else(|| {
            ApplyStepError::Internal(format!(
                "no distribution was created for `{site}` before its bucket policy"
            ))
        })?;
    let statements = crate::policy::distribution_statements(site, bucket, prefix, &arn, s.ctx.partition);
    aws::s3::put_policy_statements(&s.ctx.clients.s3, bucket, statements).await?;
    Ok(())
}

/// Uploads a phase's files, `concurrency` at a time, reporting each.
async fn upload(s: &mut Step<'_, '_>, site: &str, bucket: &str, files: &[SiteFile]) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    let concurrency = s
        .ctx
        .desired
        .frontends
        .iter()
        .find(|f| f.key == *site)
        .map_or(8, |f| f.concurrency);
    let scanned = s
        .ctx
        .frontends
        .get(site)
        .ok_or_else(|| ApplyStepError::Internal(format!("frontend `{site}` was not scanned")))?;
    let total = files.len();
    let mut uploads = futures_util::stream::iter(files)
        .map(|f| async move {
            aws::s3::put_file(&c.s3, bucket, &put_file(f))
                .await
                .map(|etag| (f, etag))
        })
        .buffer_unordered(concurrency);
    let mut bytes = 0u64;
    let mut done = 0usize;
    while let Some(result) = uploads.next().await {
        let (f, etag) = result?;
        done += 1;
        bytes += f.size;
        s.reporter.item(
            &format!("uploaded {done}/{total}: {}", f.key),
            json!({
                "event": "uploaded",
                "key": f.key,
                "bytes": f.size,
                "content_type": f.style.content_type,
                "cache_control": f.style.cache_control,
            }),
        );
        // The scan is sorted by key.
        let index = scanned
            .binary_search_by(|g| g.key.cmp(&f.key))
            .map_err(|_| ApplyStepError::Internal(format!("{} is not in the scan of `{site}`", f.key)))?;
        let slots = s.state.uploaded.entry(site.to_string()).or_default();
        slots.resize(scanned.len(), None);
        slots[index] = Some(etag);
    }
    Ok(json!({ "files": total, "bytes": bytes }))
}

/// The manifest of this sync: every local file with the ETag and version
/// it is stored under (uploaded now, or known from the listing), written
/// from the scan and those, never built as a map.
async fn write_manifest(
    s: &mut Step<'_, '_>,
    site: &str,
    bucket: &str,
    key: &str,
    known: &BTreeMap<String, Stored>,
) -> Result<(), ApplyStepError> {
    let files = s
        .ctx
        .frontends
        .get(site)
        .ok_or_else(|| ApplyStepError::Internal(format!("frontend `{site}` was not scanned")))?;
    // Moved out of the run's uploads (one copy of each ETag and version).
    let mut uploaded = s.state.uploaded.remove(site).unwrap_or_default();
    uploaded.resize(files.len(), None);
    // Collected in place: the slots become the manifest's entries.
    let stored = uploaded
        .into_iter()
        .zip(files)
        .map(|(up, f)| {
            up.or_else(|| known.get(&f.key).cloned())
                .ok_or_else(|| ApplyStepError::Internal(format!("no ETag known for {}", f.key)))
        })
        .collect::<Result<Vec<Stored>, _>>()?;
    let mut manifest = WrittenManifest {
        version: 1,
        files: WrittenFiles {
            files: files.clone(),
            stored,
        },
    };
    // Files the last manifest listed without a version id (written before
    // bosun kept them): this manifest, and the release, carry them again.
    aws::s3::fill_versions(&s.ctx.clients.s3, bucket, manifest.files.versions_mut()).await?;
    put_manifest(s, bucket, key, &manifest).await?;
    s.applied.manifests.insert(site.to_string(), manifest);
    Ok(())
}

async fn put_manifest(
    s: &Step<'_, '_>,
    bucket: &str,
    key: &str,
    manifest: &impl serde::Serialize,
) -> Result<(), ApplyStepError> {
    let body = crate::aws::s3::JsonFile::for_put(manifest, &format!("s3://{bucket}/{key}"))?;
    aws::s3::put_json(&s.ctx.clients.s3, bucket, key, body).await?;
    Ok(())
}
