//! `[schedules.KEY]`: EventBridge rules invoking a function's alias on a
//! cron or rate expression, with a JSON input.

use toml_edit::{Item, TableLike, Value};

use super::{join, Entry, Validator};
use crate::model::{FunctionSpec, ScheduleSpec, SesSpec};

const SCHEDULE_KEYS: &[&str] = &["function", "expression", "input", "enabled", "description"];

impl Validator<'_> {
    pub(super) fn schedule(&mut self, e: &Entry<'_>, ctx: &ScheduleContext<'_>) -> Option<ScheduleSpec> {
        let (t, path) = (e.t, e.path.as_str());
        self.only_keys(t, path, SCHEDULE_KEYS);
        let rule = format!("{}-{}", ctx.stack, e.key);
        let mut ok = self.rule_name(e, &rule);
        let function = self.target(e, ctx);
        let expression = self.expression(e);
        let input = self.input(e, &mut ok);
        let enabled = self.opt_bool(t, path, "enabled").unwrap_or(true);
        let description = self.opt_str(t, path, "description").unwrap_or_default();
        if description.chars().count() > 512 {
            ok = false;
            let at = Self::span_of(t, "description");
            self.problem(
                at,
                &join(path, "description"),
                "longer than 512 characters".into(),
                None,
            );
        }
        let (function, expression, input) = (function?, expression?, input?);
        let spec = ScheduleSpec {
            key: e.key.to_string(),
            rule,
            expression,
            function,
            input,
            enabled,
            description,
        };
        ok &= self.batch_declared(e, ctx, &spec);
        ok.then_some(spec)
    }

    /// The rule is named `{stack}-{key}`: EventBridge's name rules apply to it.
    fn rule_name(&mut self, e: &Entry<'_>, rule: &str) -> bool {
        let valid = rule.len() <= 64
            && rule
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
        if !valid {
            self.problem(
                e.span.clone(),
                &e.path,
                format!("the rule name `{rule}` is not valid for EventBridge"),
                Some("use a shorter key of letters, digits, '-', '_' or '.' (the rule name is {stack}-{key}, at most 64)".into()),
            );
        }
        valid
    }

    /// The function the schedule invokes: one of the stack's.
    fn target(&mut self, e: &Entry<'_>, ctx: &ScheduleContext<'_>) -> Option<String> {
        let (t, path) = (e.t, e.path.as_str());
        match self.opt_str(t, path, "function") {
            Some(f) if ctx.functions.iter().any(|x| x.key == f) => Some(f),
            Some(f) => {
                let at = Self::span_of(t, "function");
                let known: Vec<&str> = ctx.functions.iter().map(|x| x.key.as_str()).collect();
                self.problem(
                    at,
                    &join(path, "function"),
                    format!("no function `{f}` in this stack"),
                    Some(format!("use one of: {}", known.join(", "))),
                );
                None
            }
            None => {
                if t.get("function").is_none() {
                    self.missing(
                        e.span.clone(),
                        path,
                        "function",
                        "add function = \"KEY\" (a [functions.KEY])",
                    );
                }
                None
            }
        }
    }

    /// A cron() or rate() expression EventBridge accepts.
    fn expression(&mut self, e: &Entry<'_>) -> Option<String> {
        let (t, path) = (e.t, e.path.as_str());
        match self.opt_str(t, path, "expression") {
            Some(x) => match crate::cron::Schedule::parse(&x) {
                Ok(_) => Some(x.trim().to_string()),
                Err(err) => {
                    let at = Self::span_of(t, "expression");
                    self.problem(
                        at,
                        &join(path, "expression"),
                        err.message,
                        Some("EventBridge syntax: cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 15 ? * MON *), or rate(1 hour)".into()),
                    );
                    None
                }
            },
            None => {
                if t.get("expression").is_none() {
                    self.missing(
                        e.span.clone(),
                        path,
                        "expression",
                        "add expression = \"cron(0 15 ? * MON *)\"",
                    );
                }
                None
            }
        }
    }

    /// The JSON the function receives (default `{}`); over EventBridge's
    /// 8192 characters clears `ok`.
    fn input(&mut self, e: &Entry<'_>, ok: &mut bool) -> Option<serde_json::Value> {
        let (t, path) = (e.t, e.path.as_str());
        let Some(item) = t.get("input") else {
            return Some(serde_json::json!({}));
        };
        let Some(tab) = item.as_table_like() else {
            self.wrong_type(t, path, "input", "a table (it becomes the JSON the function receives)");
            return None;
        };
        let v = table_json(tab);
        if v.to_string().len() > 8192 {
            *ok = false;
            let at = Self::span_of(t, "input");
            self.problem(
                at,
                &join(path, "input"),
                "the input is over EventBridge's 8192 characters".into(),
                None,
            );
        }
        Some(v)
    }

    /// A mail-sending schedule that names a batch must name a declared one.
    fn batch_declared(&mut self, e: &Entry<'_>, ctx: &ScheduleContext<'_>, spec: &ScheduleSpec) -> bool {
        let sends = ctx.functions.iter().any(|f| f.key == spec.function && f.send_email);
        let (true, Some(batch), Some(ses)) = (sends, spec.batch(), ctx.ses) else {
            return true;
        };
        if ses.recipients.is_empty() || ses.recipients.contains_key(batch) {
            return true;
        }
        let at = Self::span_of(e.t, "input");
        self.problem(
            at,
            &join(&e.path, "input.batch"),
            format!("batch `{batch}` has no recipients in [ses.recipients]"),
            Some(format!(
                "declared batches: {}",
                ses.recipients.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        );
        false
    }
}

/// What a schedule is checked against.
pub(super) struct ScheduleContext<'a> {
    pub stack: &'a str,
    pub functions: &'a [FunctionSpec],
    pub ses: Option<&'a SesSpec>,
}

/// A TOML table as JSON (datetimes become their text).
pub(super) fn table_json(t: &dyn TableLike) -> serde_json::Value {
    serde_json::Value::Object(t.iter().map(|(k, v)| (k.to_string(), item_json(v))).collect())
}

fn item_json(item: &Item) -> serde_json::Value {
    match item {
        Item::Value(v) => value_json(v),
        Item::Table(t) => table_json(t),
        Item::ArrayOfTables(a) => serde_json::Value::Array(a.iter().map(|t| table_json(t)).collect()),
        Item::None => serde_json::Value::Null,
    }
}

fn value_json(v: &Value) -> serde_json::Value {
    use serde_json::json;
    match v {
        Value::String(s) => json!(s.value()),
        Value::Integer(i) => json!(i.value()),
        Value::Float(f) => json!(f.value()),
        Value::Boolean(b) => json!(b.value()),
        Value::Datetime(d) => json!(d.value().to_string()),
        Value::Array(a) => serde_json::Value::Array(a.iter().map(value_json).collect()),
        Value::InlineTable(t) => table_json(t),
    }
}
