//! CloudFront Functions: the index function, published to LIVE and attached to viewer requests.

use super::*;

/// The code the LIVE stage of function `name` runs: `None` when the
/// function has no LIVE stage (never created or never published).
pub async fn live_function_code(client: &Client, name: &str) -> Result<Option<Vec<u8>>, AwsError> {
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
    Ok(Some(out.function_code.map(Blob::into_inner).unwrap_or_default()))
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

pub(super) fn viewer_request(
    function_arn: &str,
    existing: &[FunctionAssociation],
) -> Result<FunctionAssociations, AwsError> {
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
