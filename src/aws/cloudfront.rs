//! CloudFront: find or create a site's distribution, invalidate paths.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_cloudfront::client::Waiters;
use aws_sdk_cloudfront::primitives::Blob;
use aws_sdk_cloudfront::types::{
    Aliases, AllowedMethods, CacheBehavior, CacheBehaviors, CachedMethods, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, DistributionConfigWithTags, EventType, FrameOptionsList, FunctionAssociation,
    FunctionAssociations, FunctionConfig, FunctionRuntime, FunctionStage, Headers, InvalidationBatch, Method,
    MinimumProtocolVersion, Origin, OriginAccessControlConfig, OriginAccessControlOriginTypes,
    OriginAccessControlSigningBehaviors, OriginAccessControlSigningProtocols, OriginProtocolPolicy,
    OriginRequestPolicyConfig, OriginRequestPolicyCookieBehavior, OriginRequestPolicyCookiesConfig,
    OriginRequestPolicyHeaderBehavior, OriginRequestPolicyHeadersConfig, OriginRequestPolicyQueryStringBehavior,
    OriginRequestPolicyQueryStringsConfig, OriginRequestPolicyType, OriginSslProtocols, Origins, Paths,
    ReferrerPolicyList, ResponseHeadersPolicyConfig, ResponseHeadersPolicyContentSecurityPolicy,
    ResponseHeadersPolicyContentTypeOptions, ResponseHeadersPolicyFrameOptions, ResponseHeadersPolicyReferrerPolicy,
    ResponseHeadersPolicySecurityHeadersConfig, ResponseHeadersPolicyStrictTransportSecurity,
    ResponseHeadersPolicyType, S3OriginConfig, SslProtocol, SslSupportMethod, Tag, Tags, ViewerCertificate,
    ViewerProtocolPolicy,
};
use aws_sdk_cloudfront::Client;

use super::AwsError;
use crate::model::names::{s3_origin_domain, STACK_TAG};
use crate::model::{LiveOrigin, Setup};

/// AWS's managed "CachingOptimized" cache policy.
const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// AWS's managed "CachingDisabled" cache policy (an API's answers are not cached).
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// The Content-Security-Policy of bosun's frontends: everything from the
/// site's own origin (the API included, behind the same distribution),
/// images also as data: URLs, no plugins, no framing, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Strict-Transport-Security's max-age: two years.
pub const HSTS_MAX_AGE: i32 = 63_072_000;

/// The headers bosun's response headers policy sets on every response of
/// a managed distribution (overriding the origin's), as a browser sees
/// them; the browser test serves the same set locally.
pub fn security_headers() -> Vec<(&'static str, String)> {
    vec![
        (
            "Strict-Transport-Security",
            format!("max-age={HSTS_MAX_AGE}; includeSubDomains"),
        ),
        ("X-Content-Type-Options", "nosniff".into()),
        ("X-Frame-Options", "DENY".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY.into()),
    ]
}

fn headers_policy_config(name: &str) -> Result<ResponseHeadersPolicyConfig, AwsError> {
    let op = "cloudfront:CreateResponseHeadersPolicy";
    let e = |e| AwsError::build(op, name, e);
    let security = ResponseHeadersPolicySecurityHeadersConfig::builder()
        .strict_transport_security(
            ResponseHeadersPolicyStrictTransportSecurity::builder()
                .r#override(true)
                .include_subdomains(true)
                .access_control_max_age_sec(HSTS_MAX_AGE)
                .build()
                .map_err(e)?,
        )
        .content_type_options(
            ResponseHeadersPolicyContentTypeOptions::builder()
                .r#override(true)
                .build()
                .map_err(|e| AwsError::build(op, name, e))?,
        )
        .frame_options(
            ResponseHeadersPolicyFrameOptions::builder()
                .r#override(true)
                .frame_option(FrameOptionsList::Deny)
                .build()
                .map_err(|e| AwsError::build(op, name, e))?,
        )
        .referrer_policy(
            ResponseHeadersPolicyReferrerPolicy::builder()
                .r#override(true)
                .referrer_policy(ReferrerPolicyList::NoReferrer)
                .build()
                .map_err(|e| AwsError::build(op, name, e))?,
        )
        .content_security_policy(
            ResponseHeadersPolicyContentSecurityPolicy::builder()
                .r#override(true)
                .content_security_policy(CONTENT_SECURITY_POLICY)
                .build()
                .map_err(|e| AwsError::build(op, name, e))?,
        )
        .build();
    ResponseHeadersPolicyConfig::builder()
        .name(name)
        .comment("bosun: security headers for the stack's frontends")
        .security_headers_config(security)
        .build()
        .map_err(|e| AwsError::build(op, name, e))
}

/// Whether a policy's security headers are the ones bosun sets.
fn headers_current(config: &ResponseHeadersPolicyConfig) -> bool {
    let Some(s) = config.security_headers_config() else {
        return false;
    };
    s.content_security_policy()
        .is_some_and(|c| c.r#override() && c.content_security_policy() == CONTENT_SECURITY_POLICY)
        && s.strict_transport_security().is_some_and(|h| {
            h.r#override() && h.include_subdomains() == Some(true) && h.access_control_max_age_sec() == HSTS_MAX_AGE
        })
        && s.content_type_options().is_some_and(|c| c.r#override())
        && s.frame_options()
            .is_some_and(|f| f.r#override() && *f.frame_option() == FrameOptionsList::Deny)
        && s.referrer_policy()
            .is_some_and(|r| r.r#override() && *r.referrer_policy() == ReferrerPolicyList::NoReferrer)
}

/// bosun's response headers policy `name`, if it exists: its id, and
/// whether it sets the headers bosun wants.
pub async fn find_headers_policy(client: &Client, name: &str) -> Result<Option<(String, bool)>, AwsError> {
    let out = client
        .list_response_headers_policies()
        .r#type(ResponseHeadersPolicyType::Custom)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:ListResponseHeadersPolicies", name, e))?;
    let items = out
        .response_headers_policy_list()
        .map(|l| l.items())
        .unwrap_or_default();
    Ok(items.iter().find_map(|item| {
        let policy = item.response_headers_policy()?;
        let config = policy.response_headers_policy_config()?;
        (config.name() == name).then(|| (policy.id().to_string(), headers_current(config)))
    }))
}

/// Creates bosun's response headers policy, or updates it to the wanted
/// headers (If-Match the ETag just read); returns its id.
pub async fn put_headers_policy(client: &Client, name: &str) -> Result<String, AwsError> {
    let config = headers_policy_config(name)?;
    let Some((id, _)) = find_headers_policy(client, name).await? else {
        let op = "cloudfront:CreateResponseHeadersPolicy";
        let out = client
            .create_response_headers_policy()
            .response_headers_policy_config(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(op, name, e))?;
        return out
            .response_headers_policy()
            .map(|p| p.id().to_string())
            .ok_or_else(|| AwsError::missing(op, name, "ResponseHeadersPolicy"));
    };
    let current = client
        .get_response_headers_policy()
        .id(&id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:GetResponseHeadersPolicy", name, e))?;
    client
        .update_response_headers_policy()
        .id(&id)
        .set_if_match(current.e_tag().map(str::to_string))
        .response_headers_policy_config(config)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:UpdateResponseHeadersPolicy", name, e))?;
    Ok(id)
}

/// Puts the response headers policy on every behaviour of the distribution
/// (a policy applies only to the behaviours it is attached to: without it
/// on the API's, its answers would carry no security headers).
pub async fn attach_headers_policy(client: &Client, id: &str, policy_id: &str) -> Result<(), AwsError> {
    update_config(client, id, |mut config| {
        if let Some(behaviour) = config.default_cache_behavior.as_mut() {
            behaviour.response_headers_policy_id = Some(policy_id.to_string());
        }
        if let Some(behaviours) = config.cache_behaviors.as_mut() {
            for b in behaviours.items.iter_mut().flatten() {
                b.response_headers_policy_id = Some(policy_id.to_string());
            }
        }
        Ok(config)
    })
    .await
}

fn request_policy_config(name: &str, headers: &[String]) -> Result<OriginRequestPolicyConfig, AwsError> {
    let op = "cloudfront:CreateOriginRequestPolicy";
    let e = |e| AwsError::build(op, name, e);
    // Named headers only, with CloudFront's viewer address (the managed
    // AllViewerExceptHostHeader cannot add it, and a policy that forwards
    // every viewer header and a CloudFront one forwards Host too, which a
    // function URL refuses); every query string; no cookies.
    OriginRequestPolicyConfig::builder()
        .name(name)
        .comment("bosun: the API's headers and the viewer's address")
        .headers_config(
            OriginRequestPolicyHeadersConfig::builder()
                .header_behavior(OriginRequestPolicyHeaderBehavior::Whitelist)
                .headers(
                    Headers::builder()
                        .quantity(headers.len() as i32)
                        .set_items(Some(headers.to_vec()))
                        .build()
                        .map_err(e)?,
                )
                .build()
                .map_err(e)?,
        )
        .cookies_config(
            OriginRequestPolicyCookiesConfig::builder()
                .cookie_behavior(OriginRequestPolicyCookieBehavior::None)
                .build()
                .map_err(e)?,
        )
        .query_strings_config(
            OriginRequestPolicyQueryStringsConfig::builder()
                .query_string_behavior(OriginRequestPolicyQueryStringBehavior::All)
                .build()
                .map_err(e)?,
        )
        .build()
        .map_err(e)
}

/// The account's custom origin request policies whose names start with
/// `prefix`: name → (id, the headers it forwards, lower-cased and sorted).
pub async fn request_policies(
    client: &Client,
    prefix: &str,
) -> Result<BTreeMap<String, (String, Vec<String>)>, AwsError> {
    let op = "cloudfront:ListOriginRequestPolicies";
    let mut out = BTreeMap::new();
    let mut marker: Option<String> = None;
    loop {
        let page = client
            .list_origin_request_policies()
            .r#type(OriginRequestPolicyType::Custom)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(op, prefix, e))?;
        let Some(list) = page.origin_request_policy_list() else {
            break;
        };
        for item in list.items() {
            let Some(policy) = item.origin_request_policy() else {
                continue;
            };
            let Some(config) = policy.origin_request_policy_config() else {
                continue;
            };
            if !config.name().starts_with(prefix) {
                continue;
            }
            let headers = config
                .headers_config()
                .filter(|h| *h.header_behavior() == OriginRequestPolicyHeaderBehavior::Whitelist)
                .and_then(|h| h.headers())
                .map(|h| crate::model::header_set(h.items()))
                .unwrap_or_default();
            out.insert(config.name().to_string(), (policy.id().to_string(), headers));
        }
        marker = list.next_marker().filter(|m| !m.is_empty()).map(str::to_string);
        if marker.is_none() {
            break;
        }
    }
    Ok(out)
}

/// Creates the origin request policy `name` forwarding `headers`, or
/// updates it (its id stays); returns its id.
pub async fn put_request_policy(client: &Client, name: &str, headers: &[String]) -> Result<String, AwsError> {
    let config = request_policy_config(name, headers)?;
    let found = request_policies(client, name).await?.remove(name);
    let Some((id, live)) = found else {
        let op = "cloudfront:CreateOriginRequestPolicy";
        let out = client
            .create_origin_request_policy()
            .origin_request_policy_config(config)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(op, name, e))?;
        return out
            .origin_request_policy()
            .map(|p| p.id().to_string())
            .ok_or_else(|| AwsError::missing(op, name, "OriginRequestPolicy"));
    };
    if crate::model::request_policy_current(&live, headers) {
        return Ok(id);
    }
    let current = client
        .get_origin_request_policy()
        .id(&id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:GetOriginRequestPolicy", name, e))?;
    client
        .update_origin_request_policy()
        .id(&id)
        .set_if_match(current.e_tag().map(str::to_string))
        .origin_request_policy_config(config)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:UpdateOriginRequestPolicy", name, e))?;
    Ok(id)
}

/// What an origin access control signs for: the frontend's bucket, or an
/// API function's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessControlFor {
    S3,
    Lambda,
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

/// Finds (by name and origin type) or creates the origin access control
/// named `name`; returns its id.
pub async fn origin_access_control(client: &Client, name: &str, kind: AccessControlFor) -> Result<String, AwsError> {
    let op = "cloudfront:CreateOriginAccessControl";
    let wanted_type = match kind {
        AccessControlFor::S3 => OriginAccessControlOriginTypes::S3,
        AccessControlFor::Lambda => OriginAccessControlOriginTypes::Lambda,
    };
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
            // Names are unique in the account: one of another origin type
            // (an S3 access control where a function URL needs a Lambda
            // one) would sign for the wrong service.
            if found.origin_access_control_origin_type() != &wanted_type {
                return Err(AwsError {
                    operation: "cloudfront:ListOriginAccessControls",
                    resource: name.to_string(),
                    message: format!(
                        "origin access control {name} ({}) is for {} origins, not {}",
                        found.id(),
                        found.origin_access_control_origin_type().as_str(),
                        wanted_type.as_str()
                    ),
                    code: None,
                    help: Some("another tool made an origin access control of this name: delete it if nothing uses it, or rename this frontend".into()),
                });
            }
            return Ok(found.id().to_string());
        }
        match (list.is_truncated(), list.next_marker()) {
            (true, Some(next)) => marker = Some(next.to_string()),
            _ => break,
        }
    }
    let (description, origin_type) = match kind {
        AccessControlFor::S3 => (
            "bosun: CloudFront reads the site bucket with SigV4",
            OriginAccessControlOriginTypes::S3,
        ),
        AccessControlFor::Lambda => (
            "bosun: CloudFront calls the API's function URL with SigV4",
            OriginAccessControlOriginTypes::Lambda,
        ),
    };
    let config = OriginAccessControlConfig::builder()
        .name(name)
        .description(description)
        .signing_protocol(OriginAccessControlSigningProtocols::Sigv4)
        .signing_behavior(OriginAccessControlSigningBehaviors::Always)
        .origin_access_control_origin_type(origin_type)
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

/// Reads the distribution: its domain and configuration (GetDistribution);
/// `None` when no distribution has this id.
pub async fn setup(client: &Client, id: &str) -> Result<Option<Setup>, AwsError> {
    let op = "cloudfront:GetDistribution";
    let out = match client.get_distribution().id(id).send().await {
        Ok(out) => out,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_distribution()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk(op, id, e)),
    };
    let distribution = out
        .distribution()
        .ok_or_else(|| AwsError::missing(op, id, "Distribution"))?;
    let config = distribution
        .distribution_config()
        .ok_or_else(|| AwsError::missing(op, id, "DistributionConfig"))?;
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
                    id: o.id().to_string(),
                    domain: o.domain_name().to_string(),
                    path: o.origin_path().unwrap_or_default().to_string(),
                    access_control: o
                        .origin_access_control_id()
                        .filter(|id| !id.is_empty())
                        .map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    let behaviors = config
        .cache_behaviors()
        .map(|b| {
            b.items()
                .iter()
                .map(|b| (b.path_pattern().to_string(), b.target_origin_id().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let request_policies = config
        .cache_behaviors()
        .map(|b| {
            b.items()
                .iter()
                .filter_map(|b| {
                    let id = b.origin_request_policy_id().filter(|id| !id.is_empty())?;
                    Some((b.path_pattern().to_string(), id.to_string()))
                })
                .collect()
        })
        .unwrap_or_default();
    let aliases = config.aliases().map(|a| a.items().to_vec()).unwrap_or_default();
    let certificate = config
        .viewer_certificate()
        .and_then(|v| v.acm_certificate_arn())
        .filter(|arn| !arn.is_empty())
        .map(str::to_string);
    // The policy every behaviour has (the API's included); none when any
    // behaviour lacks it or has another.
    let mut policies = config
        .default_cache_behavior()
        .map(|b| b.response_headers_policy_id())
        .into_iter()
        .chain(
            config
                .cache_behaviors()
                .map(|b| b.items())
                .unwrap_or_default()
                .iter()
                .map(|b| b.response_headers_policy_id()),
        )
        .map(|id| id.filter(|id| !id.is_empty()));
    let first = policies.next().flatten();
    let headers_policy = match policies.all(|p| p == first) {
        true => first.map(str::to_string),
        false => None,
    };
    Ok(Some(Setup {
        headers_policy,
        request_policies,
        deployed: distribution.status() == "Deployed",
        domain: distribution.domain_name().to_string(),
        arn: distribution.arn().to_string(),
        stack_tag: None,
        wanted_certificate: None,
        viewer_request_function,
        origins,
        behaviors,
        aliases,
        certificate,
    }))
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
    update_config(client, id, |mut config| {
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
        Ok(config)
    })
    .await
}

/// Reads the distribution's configuration, lets `edit` change it, and
/// writes it back If-Match the ETag just read (a change made meanwhile
/// fails the update instead of being overwritten).
async fn update_config(
    client: &Client,
    id: &str,
    edit: impl FnOnce(DistributionConfig) -> Result<DistributionConfig, AwsError>,
) -> Result<(), AwsError> {
    let op = "cloudfront:UpdateDistribution";
    let out = client
        .get_distribution_config()
        .id(id)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:GetDistributionConfig", id, e))?;
    let etag = out.e_tag().map(str::to_string);
    let config = out
        .distribution_config
        .ok_or_else(|| AwsError::missing("cloudfront:GetDistributionConfig", id, "DistributionConfig"))?;
    client
        .update_distribution()
        .id(id)
        .set_if_match(etag)
        .distribution_config(edit(config)?)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk(op, id, e))
}

/// What a new managed distribution is made of.
#[derive(Debug, Clone, Copy)]
pub struct NewDistribution<'a> {
    /// The stack it is tagged for (`bosun:stack`): the deployer policy lets
    /// a deployer change only distributions carrying its stack's tag.
    pub stack: &'a str,
    pub bucket: &'a str,
    pub region: &'a str,
    pub partition: &'a str,
    pub prefix: &'a str,
    /// Names the distribution (bosun finds its distributions by comment).
    pub comment: &'a str,
    pub oac_id: &'a str,
    /// ARN of the viewer-request function (folder index pages).
    pub index_function: &'a str,
    /// An API function's URL behind a path of the same distribution.
    pub api: Option<&'a ApiOrigin>,
    /// A custom domain: (name, ACM certificate ARN).
    pub domain: Option<(&'a str, &'a str)>,
    /// The response headers policy for every response (security headers).
    pub headers_policy: &'a str,
}

/// The config with `domain` (name, certificate) as its only alternate
/// domain name and viewer certificate, or with CloudFront's own name and
/// certificate when `None`.
fn with_domain(
    mut config: DistributionConfig,
    domain: Option<(&str, &str)>,
    op: &'static str,
) -> Result<DistributionConfig, AwsError> {
    let aliases = Aliases::builder()
        .quantity(i32::from(domain.is_some()))
        .set_items(domain.map(|(name, _)| vec![name.to_string()]))
        .build()
        .map_err(|e| AwsError::build(op, "Aliases", e))?;
    let certificate = match domain {
        Some((_, arn)) => ViewerCertificate::builder()
            .acm_certificate_arn(arn)
            .ssl_support_method(SslSupportMethod::SniOnly)
            .minimum_protocol_version(MinimumProtocolVersion::TlSv122021)
            .cloud_front_default_certificate(false)
            .build(),
        None => ViewerCertificate::builder()
            .cloud_front_default_certificate(true)
            .build(),
    };
    config.aliases = Some(aliases);
    config.viewer_certificate = Some(certificate);
    Ok(config)
}

/// Sets (or removes, with `None`) the distribution's custom domain.
pub async fn set_domain(client: &Client, id: &str, domain: Option<(&str, &str)>) -> Result<(), AwsError> {
    update_config(client, id, |config| {
        with_domain(config, domain, "cloudfront:UpdateDistribution")
    })
    .await
}

/// The frontend's bucket as the origin, its prefix the origin path, read
/// through the origin access control.
fn bucket_origin(d: &NewDistribution<'_>, id: &str) -> Result<Origin, AwsError> {
    let origin_path = d.prefix.trim_end_matches('/');
    Origin::builder()
        .id(id)
        .domain_name(s3_origin_domain(d.bucket, d.region, d.partition))
        .origin_path(if origin_path.is_empty() {
            String::new()
        } else {
            format!("/{origin_path}")
        })
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .origin_access_control_id(d.oac_id)
        .build()
        .map_err(|e| AwsError::build("cloudfront:CreateDistribution", d.comment, e))
}

/// A function URL as a distribution's origin for a path.
#[derive(Debug, Clone)]
pub struct ApiOrigin {
    pub id: String,
    /// The function URL's host.
    pub domain: String,
    /// The `lambda` origin access control signing CloudFront's requests.
    pub access_control: String,
    pub path: String,
    /// The response headers policy, as on every other behaviour.
    pub headers_policy: Option<String>,
    /// The origin request policy (bosun's, or AWS's AllViewerExceptHostHeader).
    pub request_policy: String,
}

impl ApiOrigin {
    fn origin(&self, op: &'static str) -> Result<Origin, AwsError> {
        let custom = CustomOriginConfig::builder()
            .http_port(80)
            .https_port(443)
            .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
            .origin_ssl_protocols(
                OriginSslProtocols::builder()
                    .quantity(1)
                    .items(SslProtocol::TlSv12)
                    .build()
                    .map_err(|e| AwsError::build(op, &self.domain, e))?,
            )
            .build()
            .map_err(|e| AwsError::build(op, &self.domain, e))?;
        Origin::builder()
            .id(&self.id)
            .domain_name(&self.domain)
            .origin_path("")
            .custom_origin_config(custom)
            .origin_access_control_id(&self.access_control)
            .build()
            .map_err(|e| AwsError::build(op, &self.domain, e))
    }

    /// Every method, nothing cached, every viewer header but Host forwarded.
    fn behavior(&self, op: &'static str) -> Result<CacheBehavior, AwsError> {
        let methods = [
            Method::Get,
            Method::Head,
            Method::Options,
            Method::Put,
            Method::Post,
            Method::Patch,
            Method::Delete,
        ];
        let cached = CachedMethods::builder()
            .quantity(2)
            .items(Method::Get)
            .items(Method::Head)
            .build()
            .map_err(|e| AwsError::build(op, &self.path, e))?;
        let allowed = AllowedMethods::builder()
            .quantity(methods.len() as i32)
            .set_items(Some(methods.to_vec()))
            .cached_methods(cached)
            .build()
            .map_err(|e| AwsError::build(op, &self.path, e))?;
        CacheBehavior::builder()
            .path_pattern(&self.path)
            .target_origin_id(&self.id)
            .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
            .allowed_methods(allowed)
            .cache_policy_id(CACHING_DISABLED)
            .origin_request_policy_id(&self.request_policy)
            .set_response_headers_policy_id(self.headers_policy.clone())
            .compress(true)
            .build()
            .map_err(|e| AwsError::build(op, &self.path, e))
    }
}

/// The config with `api`'s origin and path behaviour put in (replacing any
/// origin with its id and any behaviour for its path).
fn with_api(mut config: DistributionConfig, api: &ApiOrigin, op: &'static str) -> Result<DistributionConfig, AwsError> {
    let mut origins: Vec<Origin> = config.origins().map(|o| o.items().to_vec()).unwrap_or_default();
    origins.retain(|o| o.id() != api.id);
    origins.push(api.origin(op)?);
    let mut behaviors: Vec<CacheBehavior> = config.cache_behaviors().map(|b| b.items().to_vec()).unwrap_or_default();
    behaviors.retain(|b| b.path_pattern() != api.path);
    behaviors.push(api.behavior(op)?);
    set_origins(&mut config, origins, behaviors, op, &api.id)?;
    Ok(config)
}

/// Puts `origins` and `behaviors` (with their quantities) into `config`.
fn set_origins(
    config: &mut DistributionConfig,
    origins: Vec<Origin>,
    behaviors: Vec<CacheBehavior>,
    op: &'static str,
    resource: &str,
) -> Result<(), AwsError> {
    config.origins = Some(
        Origins::builder()
            .quantity(origins.len() as i32)
            .set_items(Some(origins))
            .build()
            .map_err(|e| AwsError::build(op, resource, e))?,
    );
    config.cache_behaviors = Some(
        CacheBehaviors::builder()
            .quantity(behaviors.len() as i32)
            .set_items(Some(behaviors))
            .build()
            .map_err(|e| AwsError::build(op, resource, e))?,
    );
    Ok(())
}

/// Removes the origin `origin` and every behaviour targeting it.
pub async fn detach_origin(client: &Client, id: &str, origin: &str) -> Result<(), AwsError> {
    let op = "cloudfront:UpdateDistribution";
    update_config(client, id, |mut config| {
        let mut origins: Vec<Origin> = config.origins().map(|o| o.items().to_vec()).unwrap_or_default();
        origins.retain(|o| o.id() != origin);
        let mut behaviors: Vec<CacheBehavior> =
            config.cache_behaviors().map(|b| b.items().to_vec()).unwrap_or_default();
        behaviors.retain(|b| b.target_origin_id() != origin);
        set_origins(&mut config, origins, behaviors, op, origin)?;
        Ok(config)
    })
    .await
}

/// Adds (or repairs) the API's origin and path behaviour on an existing distribution.
pub async fn attach_api(client: &Client, id: &str, api: &ApiOrigin) -> Result<(), AwsError> {
    update_config(client, id, |config| {
        with_api(config, api, "cloudfront:UpdateDistribution")
    })
    .await
}

pub async fn create(client: &Client, d: &NewDistribution<'_>) -> Result<(String, String), AwsError> {
    let NewDistribution {
        bucket,
        comment,
        index_function,
        api,
        domain,
        headers_policy,
        ..
    } = *d;
    let op = "cloudfront:CreateDistribution";
    let origin_id = format!("s3-{bucket}");
    let origin = bucket_origin(d, &origin_id)?;
    let behavior = DefaultCacheBehavior::builder()
        .target_origin_id(&origin_id)
        .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
        .cache_policy_id(CACHING_OPTIMIZED)
        .compress(true)
        .function_associations(viewer_request(index_function, &[])?)
        .response_headers_policy_id(headers_policy)
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
    let config = match api {
        Some(api) => with_api(config, api, op)?,
        None => config,
    };
    let config = with_domain(config, domain, op)?;
    let tags = Tags::builder()
        .items(
            Tag::builder()
                .key(STACK_TAG)
                .value(d.stack)
                .build()
                .map_err(|e| AwsError::build(op, comment, e))?,
        )
        .build();
    let with_tags = DistributionConfigWithTags::builder()
        .distribution_config(config)
        .tags(tags)
        .build();
    match client
        .create_distribution_with_tags()
        .distribution_config_with_tags(with_tags)
        .send()
        .await
    {
        Ok(out) => out
            .distribution()
            .map(|d| (d.id().to_string(), d.arn().to_string()))
            .ok_or_else(|| AwsError::missing(op, comment, "Distribution")),
        // The CallerReference (derived from the comment) is taken: an
        // interrupted earlier run created it. Found by its comment, it is
        // this frontend's; when a person changed the comment, the holder
        // CloudFront names is reported, not adopted.
        Err(e) if e.as_service_error().is_some_and(|s| s.is_distribution_already_exists()) => {
            let holder = e
                .as_service_error()
                .and_then(|s| s.meta().message())
                .and_then(|m| m.rsplit_once("Already exists:"))
                .map(|(_, id)| id.trim().trim_end_matches('.').to_string());
            let Some(id) = find_by_comment(client, comment).await? else {
                return Err(reference_taken(client, comment, holder.as_deref()).await);
            };
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

/// The error for a CallerReference held by a distribution whose comment is
/// no longer `comment`: names the holder and its comment, and what to do.
async fn reference_taken(client: &Client, comment: &str, holder: Option<&str>) -> AwsError {
    let reference = comment.replace([' ', '/'], "-");
    let found = match holder {
        Some(id) => client
            .get_distribution_config()
            .id(id)
            .send()
            .await
            .ok()
            .and_then(|o| o.distribution_config().map(|c| c.comment().to_string())),
        None => None,
    };
    let who = match (holder, found) {
        (Some(id), Some(now)) => format!("distribution {id} (its comment is now \"{now}\")"),
        (Some(id), None) => format!("distribution {id}"),
        (None, _) => "another distribution (CloudFront did not name it)".to_string(),
    };
    AwsError {
        operation: "cloudfront:CreateDistribution",
        resource: comment.to_string(),
        message: format!("DistributionAlreadyExists: CallerReference {reference} is held by {who}"),
        code: Some("DistributionAlreadyExists".into()),
        help: Some(format!(
            "bosun created that distribution for this frontend and finds it by its comment; set the comment back to \"{comment}\" (CloudFront console, or `aws cloudfront update-distribution`) and deploy again, or delete that distribution if it should go"
        )),
    }
}

/// The distribution's `bosun:stack` tag (ListTagsForResource); `None` when
/// it has none.
pub async fn stack_tag(client: &Client, arn: &str) -> Result<Option<String>, AwsError> {
    let out = client
        .list_tags_for_resource()
        .resource(arn)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("cloudfront:ListTagsForResource", arn, e))?;
    Ok(out
        .tags()
        .and_then(|t| t.items().iter().find(|t| t.key() == STACK_TAG))
        .and_then(|t| t.value().map(str::to_string)))
}

/// Tags the distribution `bosun:stack = stack` (one made before bosun
/// tagged its distributions). The deployer policy denies this (tagging an
/// existing distribution would make it the stack's): refused, the error
/// says what an administrator runs once.
pub async fn tag_for_stack(client: &Client, arn: &str, stack: &str) -> Result<(), AwsError> {
    let op = "cloudfront:TagResource";
    let tag = Tag::builder()
        .key(STACK_TAG)
        .value(stack)
        .build()
        .map_err(|e| AwsError::build(op, arn, e))?;
    client
        .tag_resource()
        .resource(arn)
        .tags(Tags::builder().items(tag).build())
        .send()
        .await
        .map_err(|e| {
            let mut err = AwsError::from_sdk(op, arn, e);
            if err.code.as_deref().is_some_and(|c| c.starts_with("AccessDenied")) {
                err.help = Some(format!(
                    "a deployer may not tag an existing distribution (that would make any distribution the stack's); this one was made by bosun before it tagged its distributions: an administrator tags it once, `aws cloudfront tag-resource --resource {arn} --tags 'Items=[{{Key={STACK_TAG},Value={stack}}}]'`, then deploy again"
                ));
            }
            err
        })?;
    Ok(())
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
/// Waits until the distribution's changes have reached every edge location
/// (status `Deployed`), with the SDK's waiter.
pub async fn wait_deployed(client: &Client, id: &str) -> Result<(), AwsError> {
    client
        .wait_until_distribution_deployed()
        .id(id)
        .wait(Duration::from_secs(2400))
        .await
        .map(|_| ())
        .map_err(|e| AwsError::waiter("cloudfront:wait-distribution-deployed", id, e))
}

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
