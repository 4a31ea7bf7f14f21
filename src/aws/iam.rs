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
    let boundary = role
        .permissions_boundary()
        .and_then(|b| b.permissions_boundary_arn())
        .map(str::to_string);
    Ok(Some(LiveRole {
        arn: role.arn().to_string(),
        trust,
        policy,
        region,
        boundary,
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
    (stack, region): (&str, &str),
    boundary: &str,
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
        .permissions_boundary(boundary)
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        // A retried create: the first attempt made it, boundary and all.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_entity_already_exists_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::from_sdk("iam:CreateRole", name, e)),
    }
}

/// Sets the role's permissions boundary (a role made before bosun set one).
pub async fn put_role_boundary(client: &Client, role: &str, boundary: &str) -> Result<(), AwsError> {
    client
        .put_role_permissions_boundary()
        .role_name(role)
        .permissions_boundary(boundary)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("iam:PutRolePermissionsBoundary", role, e))
}

/// The document of managed policy `arn`'s default version; `None` if the
/// policy does not exist.
pub async fn managed_policy(client: &Client, arn: &str) -> Result<Option<serde_json::Value>, AwsError> {
    let policy = match client.get_policy().policy_arn(arn).send().await {
        Ok(out) => out.policy,
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("iam:GetPolicy", arn, e)),
    };
    let Some(version) = policy.as_ref().and_then(|p| p.default_version_id()) else {
        return Err(AwsError::missing("iam:GetPolicy", arn, "DefaultVersionId"));
    };
    let out = client
        .get_policy_version()
        .policy_arn(arn)
        .version_id(version)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("iam:GetPolicyVersion", arn, e))?;
    Ok(Some(
        out.policy_version()
            .and_then(|v| v.document())
            .and_then(decode_policy)
            .unwrap_or(serde_json::Value::Null),
    ))
}

/// Creates the stack's permissions boundary, tagged with the stack, when
/// these credentials may (an administrator's first deploy; the emulator);
/// the printed deployer policy may not, and gets the commands instead. One
/// that exists (a retried step) is left as it is: bosun never changes a
/// boundary.
pub async fn create_boundary(
    client: &Client,
    name: &str,
    policy: &serde_json::Value,
    stack: &str,
) -> Result<(), AwsError> {
    let tag = Tag::builder()
        .key("bosun:stack")
        .value(stack)
        .build()
        .map_err(|e| AwsError::build("iam:CreatePolicy", name, e))?;
    match client
        .create_policy()
        .policy_name(name)
        .description(format!(
            "bosun: the most any execution role of stack {stack} may do (its permissions boundary)"
        ))
        .policy_document(policy.to_string())
        .tags(tag)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_entity_already_exists_exception()) =>
        {
            Ok(())
        }
        // The deployer policy leaves this to an administrator, by design.
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Err(AwsError {
            operation: "iam:CreatePolicy",
            resource: name.to_string(),
            message: "the stack's permissions boundary does not exist, and these credentials may not create it (a deployer never writes a boundary)".into(),
            code: Some("AccessDenied".into()),
            help: Some(format!(
                "an administrator creates it once: `bosun policy --boundary --account ACCOUNT > boundary.json` and `aws iam create-policy --policy-name {name} --policy-document file://boundary.json`; then deploy again"
            )),
        }),
        Err(e) => Err(AwsError::from_sdk("iam:CreatePolicy", name, e)),
    }
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
