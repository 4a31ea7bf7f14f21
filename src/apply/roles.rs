//! IAM: creates the stack's permissions boundary and roles under it, sets
//! the boundary on older roles, replaces inline policies.

use serde_json::{json, Value};

use super::{misrouted, ApplyStepError, Step};
use crate::aws;
use crate::plan::Change;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &Change) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    let stack = &s.ctx.desired.stack.name;
    match change {
        Change::CreateBoundary { name, policy } => aws::iam::create_boundary(&c.iam, name, policy, stack).await?,
        Change::CreateRole { role, trust, boundary } => {
            aws::iam::create_role(&c.iam, role, trust, (stack, &c.region), boundary).await?
        }
        Change::SetRoleBoundary { role, boundary } => aws::iam::put_role_boundary(&c.iam, role, boundary).await?,
        Change::PutRolePolicy { role, policy } => aws::iam::put_policy(&c.iam, role, policy).await?,
        other => return Err(misrouted("role", other)),
    }
    Ok(json!({}))
}
