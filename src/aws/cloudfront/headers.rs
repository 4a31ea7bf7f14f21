//! The stack's response headers policy (security headers), found by name, put, attached.

use super::*;

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

/// The security headers a policy sets over the origin's, as a browser
/// sees them (name → value). Which of them differ from bosun's is the
/// plan's to say (`plan::frontends`).
fn security_headers_of(config: &ResponseHeadersPolicyConfig) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(s) = config.security_headers_config() else {
        return out;
    };
    if let Some(c) = s.content_security_policy().filter(|c| c.r#override()) {
        out.insert(
            "Content-Security-Policy".into(),
            c.content_security_policy().to_string(),
        );
    }
    if let Some(h) = s.strict_transport_security().filter(|h| h.r#override()) {
        let mut value = format!("max-age={}", h.access_control_max_age_sec());
        if h.include_subdomains() == Some(true) {
            value.push_str("; includeSubDomains");
        }
        if h.preload() == Some(true) {
            value.push_str("; preload");
        }
        out.insert("Strict-Transport-Security".into(), value);
    }
    if s.content_type_options().is_some_and(|c| c.r#override()) {
        out.insert("X-Content-Type-Options".into(), "nosniff".into());
    }
    if let Some(f) = s.frame_options().filter(|f| f.r#override()) {
        out.insert("X-Frame-Options".into(), f.frame_option().as_str().to_string());
    }
    if let Some(r) = s.referrer_policy().filter(|r| r.r#override()) {
        out.insert("Referrer-Policy".into(), r.referrer_policy().as_str().to_string());
    }
    out
}

/// bosun's response headers policy `name`, if it exists: its id, and the
/// security headers it sets (name → value, as a browser sees them).
pub async fn find_headers_policy(
    client: &Client,
    name: &str,
) -> Result<Option<(String, BTreeMap<String, String>)>, AwsError> {
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
        (config.name() == name).then(|| (policy.id().to_string(), security_headers_of(config)))
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
