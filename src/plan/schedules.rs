//! EventBridge schedules: per rule the invoke permission, the rule, its one
//! target; then, last, the removal of stack-owned rules (and their
//! permissions) that the stack no longer declares. Rules without the stack's
//! tag are never touched.

use crate::plan::ScheduleChange;
use std::collections::BTreeSet;

use serde_json::Value;

use super::{Change, Inputs, Notes, PlanError};
use crate::model::names::{events_sid, EVENTS_SID_PREFIX, TARGET_ID};
use crate::model::{FunctionSpec, LiveFunction, LiveRule, ScheduleSpec};

/// The schedules' changes and, apart, the deletions (applied last).
pub(super) fn plan(input: &Inputs<'_>, notes: &mut Notes) -> Result<(Vec<Change>, Vec<Change>), PlanError> {
    let (desired, observed) = (input.desired, input.observed);
    let mut out = Vec::new();
    if !input.selection.includes_schedules() {
        return Ok((out, Vec::new()));
    }
    let deploys_functions = !input.selection.functions(desired).is_empty();
    for s in input.selection.schedules(desired) {
        let Some(f) = desired.function(&s.function) else {
            continue; // the stack validator guarantees the function exists
        };
        let live_fn = observed.functions.get(&f.name).and_then(Option::as_ref);
        let deployed = live_fn.is_some_and(|l| l.alias.is_some());
        if !deployed && !deploys_functions {
            return Err(PlanError::ScheduleTargetMissing {
                schedule: s.key.clone(),
                function: s.function.clone(),
            });
        }
        let before = out.len();
        out.extend(permission(input, s, f, live_fn));
        out.extend(rule(input, s)?);
        out.extend(targets(input, s, f));
        if out.len() == before {
            notes.unchanged(
                format!("schedule/{}", s.rule),
                format!(
                    "{} → {}:{} ({})",
                    s.expression,
                    f.name,
                    f.alias,
                    if s.enabled { "enabled" } else { "disabled" }
                ),
            );
        }
    }
    Ok((out, deletions(input)))
}

/// The statement letting the rule invoke the alias; one with the same id
/// allowing another source is replaced.
fn permission(input: &Inputs<'_>, s: &ScheduleSpec, f: &FunctionSpec, live_fn: Option<&LiveFunction>) -> Vec<Change> {
    let rule_arn = input
        .observed
        .rules
        .get(&s.rule)
        .map(|r| r.arn.clone())
        .unwrap_or_else(|| input.scope.rule(&s.rule));
    let sid = events_sid(&s.rule);
    if live_fn.and_then(|l| l.event_permissions.get(&sid)) == Some(&rule_arn) {
        return Vec::new();
    }
    let mut out = Vec::new();
    if live_fn.is_some_and(|l| l.event_permissions.contains_key(&sid)) {
        out.push(Change::Schedule(ScheduleChange::RemoveSchedulePermission {
            rule: s.rule.clone(),
            name: f.name.clone(),
            alias: f.alias.clone(),
            sid: sid.clone(),
        }));
    }
    out.push(Change::Schedule(ScheduleChange::AllowSchedule {
        schedule: s.key.clone(),
        rule: s.rule.clone(),
        rule_arn,
        name: f.name.clone(),
        alias: f.alias.clone(),
        sid,
    }));
    out
}

/// The rule itself: created, or updated where expression, state or
/// description differ. A rule of that name the stack does not own is refused.
fn rule(input: &Inputs<'_>, s: &ScheduleSpec) -> Result<Option<Change>, PlanError> {
    let live = input.observed.rules.get(&s.rule);
    if let Some(r) = live.filter(|r| !r.owned) {
        return Err(PlanError::ForeignRule {
            schedule: s.key.clone(),
            rule: r.name.clone(),
            stack: input.desired.stack.name.clone(),
        });
    }
    let diff = live.map(|r| rule_diff(r, s));
    if diff.as_ref().is_some_and(Vec::is_empty) {
        return Ok(None);
    }
    Ok(Some(Change::Schedule(ScheduleChange::PutRule {
        schedule: s.key.clone(),
        rule: s.rule.clone(),
        expression: s.expression.clone(),
        enabled: s.enabled,
        description: s.description.clone(),
        diff: diff.unwrap_or_default(),
    })))
}

fn rule_diff(r: &LiveRule, s: &ScheduleSpec) -> Vec<String> {
    let mut diff = Vec::new();
    if r.expression.as_deref() != Some(s.expression.as_str()) {
        diff.push(format!(
            "expression {} → {}",
            r.expression.as_deref().unwrap_or("(none)"),
            s.expression
        ));
    }
    if r.enabled != s.enabled {
        diff.push(if s.enabled { "enable".into() } else { "disable".into() });
    }
    if r.description != s.description {
        diff.push("description".into());
    }
    diff
}

/// bosun's one target (input compared as JSON, not text); targets others
/// put on the stack's rule are removed.
fn targets(input: &Inputs<'_>, s: &ScheduleSpec, f: &FunctionSpec) -> Vec<Change> {
    let mut out = Vec::new();
    let target_arn = input.scope.alias(&f.name, &f.alias);
    let targets = input
        .observed
        .rules
        .get(&s.rule)
        .map(|r| r.targets.as_slice())
        .unwrap_or_default();
    let ours = targets.iter().find(|t| t.id == TARGET_ID);
    let same_input =
        |have: Option<&str>| have.and_then(|h| serde_json::from_str::<Value>(h).ok()).as_ref() == Some(&s.input);
    if !ours.is_some_and(|t| t.arn == target_arn && same_input(t.input.as_deref())) {
        out.push(Change::Schedule(ScheduleChange::PutTarget {
            schedule: s.key.clone(),
            rule: s.rule.clone(),
            target_arn,
            input: s.input_json(),
        }));
    }
    let foreign: Vec<String> = targets
        .iter()
        .filter(|t| t.id != TARGET_ID)
        .map(|t| t.id.clone())
        .collect();
    if !foreign.is_empty() {
        out.push(Change::Schedule(ScheduleChange::RemoveTargets {
            rule: s.rule.clone(),
            ids: foreign,
        }));
    }
    out
}

/// Removed schedules: owned rules the stack no longer declares, and
/// schedule permissions on the stack's functions that no schedule needs.
fn deletions(input: &Inputs<'_>) -> Vec<Change> {
    let (desired, observed) = (input.desired, input.observed);
    let mut out = Vec::new();
    let wanted_rules: BTreeSet<&str> = desired.schedules.iter().map(|s| s.rule.as_str()).collect();
    for r in observed.rules.values() {
        if r.owned && !wanted_rules.contains(r.name.as_str()) {
            out.push(Change::Schedule(ScheduleChange::DeleteRule {
                rule: r.name.clone(),
                target_ids: r.targets.iter().map(|t| t.id.clone()).collect(),
            }));
        }
    }
    for f in &desired.functions {
        let Some(live) = observed.functions.get(&f.name).and_then(Option::as_ref) else {
            continue;
        };
        for sid in live.event_permissions.keys() {
            let rule = sid.trim_start_matches(EVENTS_SID_PREFIX);
            let needed = desired
                .schedules
                .iter()
                .any(|s| s.rule == rule && desired.function(&s.function).is_some_and(|t| t.name == f.name));
            if !needed {
                out.push(Change::Schedule(ScheduleChange::RemoveSchedulePermission {
                    rule: rule.to_string(),
                    name: f.name.clone(),
                    alias: f.alias.clone(),
                    sid: sid.clone(),
                }));
            }
        }
    }
    out
}
