//! IAM: each selected function's execution role, its trust policy and
//! bosun's inline policy.

use serde_json::Value;

use super::{Change, Inputs, Notes, PlanError};
use crate::policy;

pub(super) fn plan(input: &Inputs<'_>, notes: &mut Notes) -> Result<Vec<Change>, PlanError> {
    let mut out = Vec::new();
    for f in input.selection.functions(input.desired) {
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
            out.push(Change::CreateRole {
                role: role.clone(),
                trust,
            });
            out.push(Change::PutRolePolicy { role, policy });
            continue;
        };
        let before = out.len();
        if !policy::same_policy(&live.trust, &trust) {
            out.push(Change::UpdateTrust {
                role: role.clone(),
                trust,
            });
        }
        if !live.policy.as_ref().is_some_and(|p| policy::same_policy(p, &policy)) {
            out.push(Change::PutRolePolicy {
                role: role.clone(),
                policy,
            });
        }
        if out.len() == before {
            notes.unchanged(format!("role/{role}"), "trust and policy match".into());
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
