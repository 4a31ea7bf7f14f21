//! `bosun policy`: the least-privilege IAM policy a deployer needs for this
//! stack. No AWS call.

use crate::cli::Settings;
use crate::output::Reporter;
use crate::policy::ArnScope;
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

/// `(partition, which)`: the ARNs' partition; which policy.
pub fn run(settings: &Settings, account: Option<String>, (partition, which): (&str, Which), reporter: &mut Reporter) {
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
    reporter.result("policy", &PolicyReport { policy });
}
