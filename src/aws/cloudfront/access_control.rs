//! Origin access controls (S3 and Lambda origins), found by name and type, or created.

use super::*;

/// What an origin access control signs for: the frontend's bucket, or an
/// API function's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessControlFor {
    S3,
    Lambda,
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
