//! IAM: the stack's permissions boundary, and each selected function's
//! execution role (under that boundary) and bosun's inline policy on it.

use crate::plan::RoleChange;
use serde_json::Value;

use super::{Change, Inputs, Notes, PlanError};
use crate::policy;

pub(super) fn plan(input: &Inputs<'_>, notes: &mut Notes) -> Result<Vec<Change>, PlanError> {
    let mut out = Vec::new();
    let functions = input.selection.functions(input.desired);
    if functions.is_empty() {
        return Ok(out);
    }
    // The stack's permissions boundary: created when missing, never changed
    // by a deployer (that would let it widen what its roles may do).
    let stack = &input.desired.stack.name;
    let boundary = input.scope.boundary(stack);
    let wanted = policy::boundary_policy(input.desired, &input.scope);
    let size = policy::policy_size(&wanted);
    if size > policy::MANAGED_POLICY_MAX_CHARS {
        return Err(PlanError::BoundaryTooLarge {
            name: policy::boundary_name(stack),
            size,
            max: policy::MANAGED_POLICY_MAX_CHARS,
        });
    }
    match &input.observed.boundary {
        None => out.push(Change::Role(RoleChange::CreateBoundary {
            name: policy::boundary_name(stack),
            policy: wanted,
        })),
        Some(live) if !policy::same_policy(live, &wanted) => notes.warnings.push(format!(
            "the permissions boundary {boundary} is not what this stack file draws (it names other \
             resources): its roles can do only what both allow. A deployer never changes a boundary; \
             an administrator updates it with `bosun policy --boundary > boundary.json` and \
             `aws iam create-policy-version --policy-arn {boundary} --policy-document file://boundary.json --set-as-default`"
        )),
        Some(_) => notes.unchanged(format!("policy/{}", policy::boundary_name(stack)), "boundary matches".into()),
    }
    for f in functions {
        let role = f.role_name().to_string();
        let trust = policy::lambda_trust();
        let policy = policy::execution_policy(input.desired, f, &input.scope);
        check_policy_size(&role, &f.key, &policy)?;
        let live_role = input.observed.roles.get(&role).and_then(Option::as_ref);
        // The region a role serves: its tag, or (for roles made before bosun
        // tagged them) the region in its policy's log-group ARN.
        let serves = live_role.and_then(|r| r.region.clone().or_else(|| policy_region(r.policy.as_ref())));
        if let Some(other) = serves.filter(|r| *r != input.observed.region) {
            return Err(PlanError::RoleElsewhere {
                role,
                other,
                region: input.observed.region.clone(),
            });
        }
        let Some(live) = live_role else {
            out.push(Change::Role(RoleChange::CreateRole {
                role: role.clone(),
                trust,
                boundary: boundary.clone(),
            }));
            out.push(Change::Role(RoleChange::PutRolePolicy { role, policy }));
            continue;
        };
        let before = out.len();
        if live.boundary.as_deref() != Some(boundary.as_str()) {
            // Before the policy: a deployer may put a role's policy only
            // once the role has the stack's boundary.
            out.push(Change::Role(RoleChange::SetRoleBoundary {
                role: role.clone(),
                boundary: boundary.clone(),
            }));
        }
        if !policy::same_policy(&live.trust, &trust) {
            // Who may assume the role is a person's decision: reported, with
            // the command, never rewritten by a deployer.
            notes.warnings.push(format!(
                "role {role} trusts more or other than lambda.amazonaws.com; if that is not on purpose, \
                 fix it with `aws iam update-assume-role-policy --role-name {role} --policy-document '{trust}'`"
            ));
        }
        if !live.policy.as_ref().is_some_and(|p| policy::same_policy(p, &policy)) {
            out.push(Change::Role(RoleChange::PutRolePolicy {
                role: role.clone(),
                policy,
            }));
        }
        if out.len() == before {
            notes.unchanged(format!("role/{role}"), "boundary and policy match".into());
        }
    }
    Ok(out)
}

/// The region named by the first regional (logs) ARN in a policy bosun wrote.
fn policy_region(policy: Option<&Value>) -> Option<String> {
    let text = policy?.to_string();
    let at = text.find(":logs:")? + ":logs:".len();
    let region = text[at..].split(':').next()?;
    (!region.is_empty()).then(|| region.to_string())
}

/// IAM refuses a role whose inline policies exceed 10,240 characters; say so
/// before anything is written rather than in the middle of a deploy.
pub(super) fn check_policy_size(role: &str, function: &str, policy: &Value) -> Result<(), PlanError> {
    let size = policy::policy_size(policy);
    if size > policy::ROLE_POLICY_MAX_CHARS {
        return Err(PlanError::PolicyTooLarge {
            role: role.to_string(),
            function: function.to_string(),
            size,
            max: policy::ROLE_POLICY_MAX_CHARS,
        });
    }
    Ok(())
}
