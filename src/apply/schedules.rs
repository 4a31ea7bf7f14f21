//! EventBridge: invoke permissions, rules, targets, and their removal.

use serde_json::{json, Value};

use super::{misrouted, ApplyStepError, Step};
use crate::aws;
use crate::plan::Change;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &Change) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    match change {
        Change::AllowSchedule {
            name,
            alias,
            sid,
            rule_arn,
            ..
        } => aws::lambda::allow_events(&c.lambda, name, alias, sid, rule_arn).await?,
        Change::PutRule {
            rule,
            expression,
            enabled,
            description,
            ..
        } => {
            let rule = aws::events::NewRule {
                name: rule,
                expression,
                enabled: *enabled,
                description,
                stack: &s.ctx.desired.stack.name,
            };
            let arn = aws::events::put_rule(&c.events, &rule).await?;
            return Ok(json!({ "rule_arn": arn }));
        }
        Change::PutTarget {
            rule,
            target_arn,
            input,
            ..
        } => aws::events::put_target(&c.events, rule, target_arn, input).await?,
        Change::RemoveTargets { rule, ids } => aws::events::remove_targets(&c.events, rule, ids).await?,
        Change::DeleteRule { rule, target_ids } => {
            aws::events::remove_targets(&c.events, rule, target_ids).await?;
            aws::events::delete_rule(&c.events, rule).await?
        }
        Change::RemoveSchedulePermission { name, alias, sid, .. } => {
            aws::lambda::remove_permission(&c.lambda, name, alias, sid).await?
        }
        other => return Err(misrouted("schedule", other)),
    }
    Ok(json!({}))
}
