//! Distributions: found by comment, read into `Setup`, created (tagged for the stack), changed.

use super::*;

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

/// Reads the distribution's configuration, lets `edit` change it, and
/// writes it back If-Match the ETag just read (a change made meanwhile
/// fails the update instead of being overwritten).
pub(super) async fn update_config(
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
