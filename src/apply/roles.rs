//! IAM: creates roles, replaces trust and inline policies.

use serde_json::{json, Value};

use super::{misrouted, ApplyStepError, Step};
use crate::aws;
use crate::plan::Change;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &Change) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    let stack = &s.ctx.desired.stack.name;
    match change {
        Change::CreateRole { role, trust } => aws::iam::create_role(&c.iam, role, trust, stack, &c.region).await?,
        Change::UpdateTrust { role, trust } => aws::iam::update_trust(&c.iam, role, trust).await?,
        Change::PutRolePolicy { role, policy } => aws::iam::put_policy(&c.iam, role, policy).await?,
        other => return Err(misrouted("role", other)),
    }
    Ok(json!({}))
}
