//! `bosun policy`: the least-privilege IAM policy a deployer needs for this
//! stack. No AWS call.

use crate::commands::Settings;
use crate::failure::Failure;
use crate::output::Reporter;
use crate::policy::{policy_size, ArnScope, MANAGED_POLICY_MAX_CHARS, ROLE_POLICY_MAX_CHARS};
use crate::report::PolicyReport;

/// Which policy `bosun policy` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// What a deployer (a CI role) needs.
    Deployer,
    /// Only its reads: a plan role.
    ReadOnly,
    /// The stack's permissions boundary.
    Boundary,
}

/// `(partition, which, split)`: the ARNs' partition; which policy; as
/// managed-policy-sized parts.
pub fn run(
    settings: &Settings,
    account: Option<String>,
    (partition, which, split): (&str, Which, bool),
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let desired = &settings.desired;
    let account = account.or_else(|| desired.stack.account.clone());
    let region = settings
        .aws
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .unwrap_or_else(|| "*".into());
    let scope = ArnScope {
        partition,
        region: &region,
        account: account.as_deref().unwrap_or("*"),
    };
    let policy = match which {
        Which::Deployer => crate::deployer::deployer_policy(desired, &scope),
        Which::ReadOnly => crate::deployer::read_only(&crate::deployer::deployer_policy(desired, &scope)),
        Which::Boundary => crate::policy::boundary_policy(desired, &scope),
    };
    let characters = policy_size(&policy);
    if split {
        let parts = crate::policy::split(&policy, MANAGED_POLICY_MAX_CHARS).map_err(Failure::Usage)?;
        reporter.result(
            "policy",
            &PolicyReport {
                characters,
                policy: serde_json::Value::Array(parts),
            },
        );
        return Ok(());
    }
    // IAM's size quotas (characters outside whitespace): where this
    // document can be attached, said before someone finds out from IAM.
    match which {
        Which::Boundary if characters > MANAGED_POLICY_MAX_CHARS => reporter.warn(&format!(
            "the boundary is {characters} characters; a managed policy holds {MANAGED_POLICY_MAX_CHARS}: give functions and tables names under the stack's prefix so the boundary covers them by pattern"
        )),
        Which::Boundary => {}
        _ if characters > ROLE_POLICY_MAX_CHARS => reporter.warn(&format!(
            "this policy is {characters} characters: more than a role's inline policies hold ({ROLE_POLICY_MAX_CHARS}); attach it as managed policies instead: `bosun policy --split` prints parts of at most {MANAGED_POLICY_MAX_CHARS}"
        )),
        _ if characters > MANAGED_POLICY_MAX_CHARS => reporter.warn(&format!(
            "this policy is {characters} characters: attach it inline to the role (`aws iam put-role-policy`; a role's inline policies hold {ROLE_POLICY_MAX_CHARS}); as one managed policy it is too big ({MANAGED_POLICY_MAX_CHARS}): `bosun policy --split` prints managed-sized parts"
        )),
        _ => {}
    }
    reporter.result("policy", &PolicyReport { characters, policy });
    Ok(())
}
