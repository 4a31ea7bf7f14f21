//! CloudFront: find or create a site's distribution, invalidate paths.

use std::time::Duration;

use aws_sdk_cloudfront::client::Waiters;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    DefaultCacheBehavior, DistributionConfig, EventType, FunctionAssociation, FunctionAssociations, FunctionConfig,
    FunctionRuntime, FunctionStage, InvalidationBatch, Origin, OriginAccessControlConfig,
    OriginAccessControlOriginTypes, OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols, Origins,
    Paths, S3OriginConfig, ViewerProtocolPolicy,
};
use aws_sdk_cloudfront::Client;

use super::AwsError;
use crate::model::names::s3_origin_domain;
use crate::model::{LiveOrigin, Setup};

/// AWS's managed "CachingOptimized" cache policy.
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// True when a distribution with this id exists.
pub async fn exists(client: &Client, id: &str) -> Result<bool, AwsError> {
    match client.get_distribution().id(id).send().await {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_distribution()) => Ok(false),
        Err(e) => Err(AwsError::from_sdk("cloudfront:GetDistribution", id, e)),
    }
}

/// The id of the distribution whose comment is `comment` (bosun-managed ones).
pub async fn find_by_comment(client: &Client, comment: &str) -> Result<Option<String>, AwsError> {
    let mut marker: Option<String> = None;
    loop {
        let out = client
            .list_distributions()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudfront:ListDistributions", comment, e))?;
        let Some(list) = out.distribution_list() else {
            return Ok(None);
        };
        if let Some(d) = list.items().iter().find(|d| d.comment() == comment) {
            return Ok(Some(d.id().to_string()));
        }
        match (list.is_truncated(), list.next_marker()) {
            (true, Some(next)) => marker = Some(next.to_string()),
            _ => return Ok(None),
        }
    }
}

/// Finds or creates the origin access control (SigV4 to S3) named `name`; returns its id.
pub async fn origin_access_control(client: &Client, name: &str) -> Result<String, AwsError> {
    let op = "cloudfront:CreateOriginAccessControl";
    let mut marker: Option<String> = None;
    loop {
        let out = client
            .list_origin_access_controls()
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("cloudfront:ListOriginAccessControls", name, e))?;
        let Some(list) = out.origin_access_control_list() else {
            break;
        };
        if let Some(found) = list.items().iter().find(|o| o.name() == name) {
            return Ok(found.id().to_string());
        }
        match (list.is_truncated(), list.next_marker()) {
            (true, Some(next)) => marker = Some(next.to_string()),
            _ => break,
        }
    }
    let config = OriginAccessControlConfig::builder()
        .name(name)
        .description("bosun: CloudFront reads the site bucket with SigV4")
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(OriginAccessControlOriginTypes::S3)
        .build()
        .map_err(|e| AwsError::build(op, name, e))?;
    let out = client
        .create_origin_access_control()
        .origin_access_control_config(config)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(op, name, e))?;
    out.origin_access_control()
        .map(|o| o.id().to_string())
        .ok_or_else(|| AwsError::missing(op, name, "OriginAccessControl"))
}

/// The viewer-request function bosun attaches to the distributions it
/// manages. CloudFront's default root object applies to `/` only ("How
/// default root object works"), so with an S3 origin behind an origin access
/// control `/docs/` would ask S3 for the key `docs/` and get 403; this serves
/// `docs/index.html` instead, as bosun's invalidations of `/docs/` assume.
pub const INDEX_FUNCTION_CODE: &str = "\
// bosun: folder URLs serve their index.html (/docs/ -> /docs/index.html).
function handler(event) {
    var request = event.request;
    if (request.uri.endsWith('/')) {
        request.uri += 'index.html';
    }
    return request;
}
";

/// Reads the distribution's configuration (GetDistributionConfig).
pub async fn setup(client: &Client, id: &str) -> Result<Setup, AwsError> {
    let out = client
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:GetDistributionConfig", id, e))?;
    let config = out
        .distribution_config()
        .ok_or_else(|| AwsError::missing("cloudfront:GetDistributionConfig", id, "DistributionConfig"))?;
    let viewer_request_function = config
        .default_cache_behavior()
        .and_then(|b| b.function_associations())
        .and_then(|f| {
            f.items()
                .iter()
                .find(|a| *a.event_type() == EventType::ViewerRequest)
                .map(|a| a.function_arn().to_string())
        });
    let origins = config
        .origins()
        .map(|o| {
            o.items()
                .iter()
                .map(|o| LiveOrigin {
                    domain: o.domain_name().to_string(),
                    path: o.origin_path().unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Setup {
        viewer_request_function,
        origins,
    })
}

/// Whether the LIVE stage of function `name` runs `code`: `None` when the
/// function has no LIVE stage (never created or never published).
pub async fn live_function_matches(client: &Client, name: &str, code: &str) -> Result<Option<bool>, AwsError> {
    match client
        .describe_function()
        .name(name)
        .stage(FunctionStage::Live)
        .send()
        .await
    {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_function_exists()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("cloudfront:DescribeFunction", name, e)),
    }
    let out = client
        .get_function()
        .name(name)
        .stage(FunctionStage::Live)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:GetFunction", name, e))?;
    let live = out.function_code.map(Blob::into_inner).unwrap_or_default();
    Ok(Some(live == code.as_bytes()))
}

/// Creates or updates function `name` with `code` and publishes it to LIVE;
/// returns its ARN. Each step carries the ETag it read (IfMatch), and every
/// step is safe to repeat.
pub async fn put_function(client: &Client, name: &str, comment: &str, code: &str) -> Result<String, AwsError> {
    let config = FunctionConfig::builder()
        .comment(comment)
        .runtime(FunctionRuntime::CloudfrontJs20)
        .build()
        .map_err(|e| AwsError::build("cloudfront:CreateFunction", name, e))?;
    let code = Blob::new(code.as_bytes());
    let etag = match client
        .describe_function()
        .name(name)
        .stage(FunctionStage::Development)
        .send()
        .await
    {
        Ok(out) => {
            let etag = out.e_tag().unwrap_or_default().to_string();
            client
                .update_function()
                .name(name)
                .if_match(etag)
                .function_config(config)
                .function_code(code)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudfront:UpdateFunction", name, e))?
                .e_tag
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_function_exists()) => {
            client
                .create_function()
                .name(name)
                .function_config(config)
                .function_code(code)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudfront:CreateFunction", name, e))?
                .e_tag
        }
        Err(e) => return Err(AwsError::from_sdk("cloudfront:DescribeFunction", name, e)),
    };
    let out = client
        .publish_function()
        .name(name)
        .set_if_match(etag)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:PublishFunction", name, e))?;
    out.function_summary()
        .and_then(|s| s.function_metadata())
        .map(|m| m.function_arn().to_string())
        .ok_or_else(|| AwsError::missing("cloudfront:PublishFunction", name, "FunctionMetadata"))
}

fn viewer_request(function_arn: &str, existing: &[FunctionAssociation]) -> Result<FunctionAssociations, AwsError> {
    let op = "cloudfront:UpdateDistribution";
    let mut items: Vec<FunctionAssociation> = existing
        .iter()
        .filter(|a| *a.event_type() != EventType::ViewerRequest)
        .cloned()
        .collect();
    items.push(
        FunctionAssociation::builder()
            .function_arn(function_arn)
            .event_type(EventType::ViewerRequest)
            .build()
            .map_err(|e| AwsError::build(op, function_arn, e))?,
    );
    FunctionAssociations::builder()
        .quantity(items.len() as i32)
        .set_items(Some(items))
        .build()
        .map_err(|e| AwsError::build(op, function_arn, e))
}

/// Makes `function_arn` the viewer-request function of the distribution's
/// default behaviour (read, change, write back with its ETag).
pub async fn attach_viewer_function(client: &Client, id: &str, function_arn: &str) -> Result<(), AwsError> {
    let op = "cloudfront:UpdateDistribution";
    let out = client
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:GetDistributionConfig", id, e))?;
    let etag = out.e_tag().map(str::to_string);
    let mut config = out
        .distribution_config
        .ok_or_else(|| AwsError::missing("cloudfront:GetDistributionConfig", id, "DistributionConfig"))?;
    let mut behaviour = config
        .default_cache_behavior
        .take()
        .ok_or_else(|| AwsError::missing("cloudfront:GetDistributionConfig", id, "DefaultCacheBehavior"))?;
    let existing = behaviour
        .function_associations()
        .map(|f| f.items().to_vec())
        .unwrap_or_default();
    behaviour.function_associations = Some(viewer_request(function_arn, &existing)?);
    config.default_cache_behavior = Some(behaviour);
    client
        .update_distribution()
        .id(id)
        .set_if_match(etag)
        .distribution_config(config)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(op, id, e))
}

/// What a new managed distribution is made of.
#[derive(Debug, Clone, Copy)]
pub struct NewDistribution<'a> {
    pub bucket: &'a str,
    pub region: &'a str,
    pub partition: &'a str,
    pub prefix: &'a str,
    /// Names the distribution (bosun finds its distributions by comment).
    pub comment: &'a str,
    pub oac_id: &'a str,
    /// ARN of the viewer-request function (folder index pages).
    pub index_function: &'a str,
}

pub async fn create(client: &Client, d: &NewDistribution<'_>) -> Result<(String, String), AwsError> {
    let NewDistribution {
        bucket,
        region,
        partition,
        prefix,
        comment,
        oac_id,
        index_function,
    } = *d;
    let op = "cloudfront:CreateDistribution";
    let origin_id = format!("s3-{bucket}");
    let origin_path = prefix.trim_end_matches('/');
    let origin = Origin::builder()
        .id(&origin_id)
        .domain_name(s3_origin_domain(bucket, region, partition))
        .origin_path(if origin_path.is_empty() {
            String::new()
        } else {
            format!("/{origin_path}")
        })
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .origin_access_control_id(oac_id)
        .build()
        .map_err(|e| AwsError::build(op, comment, e))?;
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id(&origin_id)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .cache_policy_id(CACHING_OPTIMIZED)
        .compress(true)
        .function_associations(viewer_request(index_function, &[])?)
        .build()
        .map_err(|e| AwsError::build(op, comment, e))?;
    let config = DistributionConfig::builder()
        .caller_reference(comment.replace([' ', '/'], "-"))
        .comment(comment)
        .enabled(true)
        .default_root_object("index.html")
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .map_err(|e| AwsError::build(op, comment, e))?,
        )
        .default_cache_behavior(behavior)
        .build()
        .map_err(|e| AwsError::build(op, comment, e))?;
    match client.create_distribution().distribution_config(config).send().await {
        Ok(out) => out
            .distribution()
            .map(|d| (d.id().to_string(), d.arn().to_string()))
            .ok_or_else(|| AwsError::missing(op, comment, "Distribution")),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_distribution_already_exists()) => {
            let id = find_by_comment(client, comment)
                .await?
                .ok_or_else(|| AwsError::missing(op, comment, "the existing distribution"))?;
            let arn = client
                .get_distribution()
                .id(&id)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("cloudfront:GetDistribution", &id, e))?
                .distribution()
                .map(|d| d.arn().to_string())
                .ok_or_else(|| AwsError::missing("cloudfront:GetDistribution", &id, "Distribution"))?;
            Ok((id, arn))
        }
        Err(e) => Err(AwsError::from_sdk(op, comment, e)),
    }
}

/// Creates an invalidation; returns its id.
pub async fn invalidate(
    client: &Client,
    distribution: &str,
    paths: &[String],
    caller_reference: &str,
) -> Result<String, AwsError> {
    let op = "cloudfront:CreateInvalidation";
    let batch = InvalidationBatch::builder()
        .caller_reference(caller_reference)
        .paths(
            Paths::builder()
                .quantity(paths.len() as i32)
                .set_items(Some(paths.to_vec()))
                .build()
                .map_err(|e| AwsError::build(op, distribution, e))?,
        )
        .build()
        .map_err(|e| AwsError::build(op, distribution, e))?;
    let mut attempt = 1;
    let out = loop {
        match client
            .create_invalidation()
            .distribution_id(distribution)
            .invalidation_batch(batch.clone())
            .send()
            .await
        {
            Ok(out) => break out,
            // Too many invalidations in progress on the distribution (15
            // wildcard or 3,000 file paths): wait for those to complete,
            // then try again. The same CallerReference keeps the retry from
            // creating a second invalidation.
            Err(e)
                if attempt < BUSY_ATTEMPTS
                    && e.as_service_error()
                        .is_some_and(|s| s.is_too_many_invalidations_in_progress()) =>
            {
                let running = in_progress(client, distribution).await?;
                tracing::info!(
                    distribution,
                    attempt,
                    running = running.len(),
                    "too many invalidations in progress; waiting for them to complete"
                );
                for id in &running {
                    wait_invalidation(client, distribution, id).await?;
                }
                attempt += 1;
            }
            Err(e) => {
                let mut err = AwsError::from_sdk(op, distribution, e);
                if err.code.as_deref() == Some("TooManyInvalidationsInProgress") {
                    err.help = Some("the distribution still has too many invalidations in progress; run the deploy again once they have completed (the same invalidation is not created twice)".into());
                }
                return Err(err);
            }
        }
    };
    out.invalidation()
        .map(|i| i.id().to_string())
        .ok_or_else(|| AwsError::missing(op, distribution, "Invalidation"))
}

const BUSY_ATTEMPTS: u32 = 4;

/// The ids of the distribution's invalidations still in progress.
pub async fn in_progress(client: &Client, distribution: &str) -> Result<Vec<String>, AwsError> {
    let mut ids = Vec::new();
    let mut pages = client
        .list_invalidations()
        .distribution_id(distribution)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("cloudfront:ListInvalidations", distribution, e))?;
        if let Some(list) = page.invalidation_list() {
            ids.extend(
                list.items()
                    .iter()
                    .filter(|i| i.status() != "Completed")
                    .map(|i| i.id().to_string()),
            );
        }
    }
    Ok(ids)
}

/// Waits until an invalidation has completed.
pub async fn wait_invalidation(client: &Client, distribution: &str, id: &str) -> Result<(), AwsError> {
    client
        .wait_until_invalidation_completed()
        .distribution_id(distribution)
        .id(id)
        .wait(Duration::from_secs(1200))
        .await
        .map(|_| ())
        .map_err(|e| AwsError::waiter("cloudfront:wait-invalidation-completed", distribution, e))
}
