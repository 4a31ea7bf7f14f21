//! IAM: creates the stack's permissions boundary and roles under it, sets
//! the boundary on older roles, replaces inline policies.

use serde_json::{json, Value};

use super::{ApplyStepError, Step};
use crate::aws;
use crate::plan::RoleChange;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &RoleChange) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    let stack = &s.ctx.desired.stack.name;
    match change {
        RoleChange::CreateBoundary { name, policy } => aws::iam::create_boundary(&c.iam, name, policy, stack).await?,
        RoleChange::CreateRole { role, trust, boundary } => {
            aws::iam::create_role(&c.iam, role, trust, (stack, &c.region), boundary).await?
        }
        RoleChange::SetRoleBoundary { role, boundary } => aws::iam::put_role_boundary(&c.iam, role, boundary).await?,
        RoleChange::PutRolePolicy { role, policy } => aws::iam::put_policy(&c.iam, role, policy).await?,
    }
    Ok(json!({}))
}
