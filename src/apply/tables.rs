//! DynamoDB: creates tables, switches billing, sets TTL (a change DynamoDB
//! refuses within the hour is deferred to a later run with a warning).

use serde_json::{json, Value};

use super::{ApplyStepError, Step};
use crate::aws;
use crate::plan::TableChange;

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &TableChange) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    match change {
        TableChange::CreateTable { table, .. } => {
            let spec = s
                .ctx
                .desired
                .table(table)
                .ok_or_else(|| ApplyStepError::Internal(format!("table `{table}` not in the stack")))?;
            aws::dynamodb::create_table(&c.dynamodb, spec, &s.ctx.desired.stack.name).await?
        }
        TableChange::UpdateBilling { name, to, .. } => aws::dynamodb::update_billing(&c.dynamodb, name, *to).await?,
        TableChange::SetTtl {
            name,
            attribute,
            enabled,
        } => match aws::dynamodb::set_ttl(&c.dynamodb, name, attribute, *enabled).await {
            Ok(()) => {}
            // A retried step that an interrupted run already did ("TimeToLive
            // is already enabled"): done.
            Err(e) if e.code.as_deref() == Some("ValidationException") && e.message.contains("already") => {}
            // DynamoDB refuses a second TTL change on a table within an hour
            // of the last one, and DescribeTimeToLive cannot say when that
            // was. The table keeps its current TTL; the rest of the deploy
            // goes on, and a later deploy makes the change (it is planned
            // again until it is done).
            Err(e)
                if e.code.as_deref() == Some("ValidationException")
                    && (e.message.contains("multiple times") || e.message.contains("fixed interval")) =>
            {
                let what = if *enabled { "enabling" } else { "disabling" };
                s.reporter.warn(&format!(
                    "table {name}: {what} TTL on `{attribute}` deferred: DynamoDB allows one TTL change per table per hour and the last one was less than an hour ago; run the deploy again later to finish it"
                ));
                return Ok(json!({ "deferred": true }));
            }
            Err(e) => return Err(e.into()),
        },
    }
    Ok(json!({}))
}
