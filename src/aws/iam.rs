//! IAM: execution roles and bosun's inline policy on them.

use aws_sdk_iam::types::Tag;
use aws_sdk_iam::Client;

use super::{decode_policy, AwsError};
use crate::model::LiveRole;

/// The name of the inline policy bosun owns on each execution role.
pub const POLICY_NAME: &str = "bosun";

/// Reads a role, its trust policy and bosun's inline policy; `None` if the role does not exist.
pub async fn get_role(client: &Client, name: &str) -> Result<Option<LiveRole>, AwsError> {
    let role = match client.get_role().role_name(name).send().await {
        Ok(out) => out.role,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("iam:GetRole", name, e)),
    };
    let role = role.ok_or_else(|| AwsError::missing("iam:GetRole", name, "Role"))?;
    let trust = role
        .assume_role_policy_document()
        .and_then(decode_policy)
        .unwrap_or(serde_json::Value::Null);
    let policy = match client
        .get_role_policy()
        .role_name(name)
        .policy_name(POLICY_NAME)
        .send()
        .await
    {
        Ok(out) => decode_policy(out.policy_document()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => None,
        Err(e) => return Err(AwsError::from_sdk("iam:GetRolePolicy", name, e)),
    };
    let region = role
        .tags()
        .iter()
        .find(|t| t.key() == REGION_TAG)
        .map(|t| t.value().to_string());
    Ok(Some(LiveRole {
        arn: role.arn().to_string(),
        trust,
        policy,
        region,
    }))
}

/// Creates a role with a trust policy; an existing role (a retried create) is not an error.
/// The tag naming the region whose functions a role serves: roles are
/// global, so the same stack deployed in a second region must not take over
/// (and rewrite the policy of) the first one's roles.
pub const REGION_TAG: &str = "bosun:region";

pub async fn create_role(
    client: &Client,
    name: &str,
    trust: &serde_json::Value,
    stack: &str,
    region: &str,
) -> Result<(), AwsError> {
    let tag = |key: &str, value: &str| {
        Tag::builder()
            .key(key)
            .value(value)
            .build()
            .map_err(|e| AwsError::build("iam:CreateRole", name, e))
    };
    let result = client
        .create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .description(format!(
            "Lambda execution role for {name}, managed by bosun (stack {stack})"
        ))
        .tags(tag("bosun:stack", stack)?)
        .tags(tag(REGION_TAG, region)?)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_entity_already_exists_exception()) =>
        {
            update_trust(client, name, trust).await
        }
        Err(e) => Err(AwsError::from_sdk("iam:CreateRole", name, e)),
    }
}

pub async fn update_trust(client: &Client, name: &str, trust: &serde_json::Value) -> Result<(), AwsError> {
    client
        .update_assume_role_policy()
        .role_name(name)
        .policy_document(trust.to_string())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("iam:UpdateAssumeRolePolicy", name, e))
}

/// Puts bosun's inline policy (a full replace, so it is idempotent).
pub async fn put_policy(client: &Client, role: &str, policy: &serde_json::Value) -> Result<(), AwsError> {
    client
        .put_role_policy()
        .role_name(role)
        .policy_name(POLICY_NAME)
        .policy_document(policy.to_string())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("iam:PutRolePolicy", role, e))
}
