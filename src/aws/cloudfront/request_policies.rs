//! Origin request policies: which viewer headers reach the API origin.

use super::*;

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
