//! EventBridge: invoke permissions, rules, targets, and their removal.

use serde_json::{json, Value};

use super::{ApplyStepError, Step};
use crate::aws;
use crate::plan::ScheduleChange;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &ScheduleChange) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    match change {
        ScheduleChange::AllowSchedule {
            name,
            alias,
            sid,
            rule_arn,
            ..
        } => aws::lambda::allow_events(&c.lambda, name, alias, sid, rule_arn).await?,
        ScheduleChange::PutRule {
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
        ScheduleChange::PutTarget {
            rule,
            target_arn,
            input,
            ..
        } => aws::events::put_target(&c.events, rule, target_arn, input).await?,
        ScheduleChange::RemoveTargets { rule, ids } => aws::events::remove_targets(&c.events, rule, ids).await?,
        ScheduleChange::DeleteRule { rule, target_ids } => {
            aws::events::remove_targets(&c.events, rule, target_ids).await?;
            aws::events::delete_rule(&c.events, rule).await?
        }
        ScheduleChange::RemoveSchedulePermission { name, alias, sid, .. } => {
            aws::lambda::remove_permission(&c.lambda, name, alias, sid).await?
        }
    }
    Ok(json!({}))
}
