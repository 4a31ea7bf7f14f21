//! EventBridge rules on the default bus: the stack's schedules.
//!
//! A rule is the stack's when it carries the tag `bosun:stack = STACK`;
//! rules without it are never changed or deleted, even under the stack's
//! name prefix.

use aws_sdk_eventbridge::types::{RuleState, Tag, Target};
use aws_sdk_eventbridge::Client;

use super::AwsError;
use crate::model::names::{STACK_TAG, TARGET_ID};
use crate::model::{LiveRule, LiveTarget};

/// Every rule whose name starts with `prefix`, with ownership and targets.
pub async fn rules_with_prefix(client: &Client, prefix: &str, stack: &str) -> Result<Vec<LiveRule>, AwsError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_rules()
            .name_prefix(prefix)
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("events:ListRules", prefix, e))?;
        for r in page.rules() {
            let (Some(name), Some(arn)) = (r.name(), r.arn()) else {
                continue;
            };
            // A name prefix match is not enough: the stack's rules carry its tag.
            let tags = client
                .list_tags_for_resource()
                .resource_arn(arn)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("events:ListTagsForResource", name, e))?;
            let owned = tags.tags().iter().any(|t| t.key() == STACK_TAG && t.value() == stack);
            let targets = if owned {
                targets(client, name).await?
            } else {
                Vec::new()
            };
            out.push(LiveRule {
                name: name.to_string(),
                arn: arn.to_string(),
                expression: r.schedule_expression().map(str::to_string),
                enabled: r.state() == Some(&RuleState::Enabled),
                description: r.description().unwrap_or_default().to_string(),
                owned,
                targets,
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

async fn targets(client: &Client, rule: &str) -> Result<Vec<LiveTarget>, AwsError> {
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let page = client
            .list_targets_by_rule()
            .rule(rule)
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("events:ListTargetsByRule", rule, e))?;
        out.extend(page.targets().iter().map(|t| LiveTarget {
            id: t.id().to_string(),
            arn: t.arn().to_string(),
            input: t.input().map(str::to_string),
        }));
        match page.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Creates or updates a schedule rule (PutRule is an upsert); returns its ARN.
/// A schedule's rule as PutRule writes it (tagged as the stack's).
pub struct NewRule<'a> {
    pub name: &'a str,
    pub expression: &'a str,
    pub enabled: bool,
    pub description: &'a str,
    pub stack: &'a str,
}

pub async fn put_rule(client: &Client, rule: &NewRule<'_>) -> Result<String, AwsError> {
    let NewRule {
        name,
        expression,
        enabled,
        description,
        stack,
    } = *rule;
    let op = "events:PutRule";
    let tag = Tag::builder()
        .key(STACK_TAG)
        .value(stack)
        .build()
        .map_err(|e| AwsError::build(op, name, e))?;
    let out = client
        .put_rule()
        .name(name)
        .schedule_expression(expression)
        .state(if enabled {
            RuleState::Enabled
        } else {
            RuleState::Disabled
        })
        .description(description)
        .tags(tag)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(op, name, e))?;
    Ok(out.rule_arn().unwrap_or_default().to_string())
}

/// Puts bosun's one target on the rule (replacing a target with the same id).
pub async fn put_target(client: &Client, rule: &str, arn: &str, input: &str) -> Result<(), AwsError> {
    let op = "events:PutTargets";
    let target = Target::builder()
        .id(TARGET_ID)
        .arn(arn)
        .input(input)
        .build()
        .map_err(|e| AwsError::build(op, rule, e))?;
    let out = client
        .put_targets()
        .rule(rule)
        .targets(target)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(op, rule, e))?;
    if out.failed_entry_count() > 0 {
        let why: Vec<String> = out
            .failed_entries()
            .iter()
            .map(|f| {
                format!(
                    "{}: {}",
                    f.error_code().unwrap_or("error"),
                    f.error_message().unwrap_or_default()
                )
            })
            .collect();
        return Err(AwsError {
            operation: op,
            resource: rule.to_string(),
            message: why.join("; "),
            code: None,
            help: Some("the deploy can be run again; PutTargets replaces the target by id".into()),
        });
    }
    Ok(())
}

/// Removes targets from a rule (ids already gone are fine).
pub async fn remove_targets(client: &Client, rule: &str, ids: &[String]) -> Result<(), AwsError> {
    if ids.is_empty() {
        return Ok(());
    }
    match client
        .remove_targets()
        .rule(rule)
        .set_ids(Some(ids.to_vec()))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::from_sdk("events:RemoveTargets", rule, e)),
    }
}

/// Deletes a rule (one already gone is fine).
pub async fn delete_rule(client: &Client, rule: &str) -> Result<(), AwsError> {
    match client.delete_rule().name(rule).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(e) => Err(AwsError::from_sdk("events:DeleteRule", rule, e)),
    }
}
