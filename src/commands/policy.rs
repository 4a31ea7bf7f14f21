//! `bosun policy`: the least-privilege IAM policy a deployer needs for this
//! stack. No AWS call.

use crate::cli::Settings;
use crate::output::Reporter;
use crate::policy::ArnScope;
use crate::report::PolicyReport;

/// `(partition, read_only)`: the ARNs' partition; only the read actions.
pub fn run(
    settings: &Settings,
    account: Option<String>,
    (partition, read_only): (&str, bool),
    reporter: &mut Reporter,
) {
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
    let mut policy = crate::deployer::deployer_policy(desired, &scope);
    if read_only {
        policy = crate::deployer::read_only(&policy);
    }
    reporter.result("policy", &PolicyReport { policy });
}
