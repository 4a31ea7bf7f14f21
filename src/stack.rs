//! Stack files: TOML → validated [`Desired`].
//!
//! Owns every rule about what a stack file may say. The whole file is checked
//! and *all* problems are reported at once, each with file, line, column and
//! the dotted key, before anything talks to AWS. Unknown keys are errors. The
//! only I/O here is reading the file and checking that the code paths it names
//! exist.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml_edit::{Item, TableLike, Value};

use crate::model::{
    Access, Arch, AttrType, Billing, CacheRule, CodeSource, Desired, DistributionSpec, FrontendSpec, FunctionSpec,
    KeyAttr, Runtime, ScheduleSpec, SesSpec, StackMeta, TableSpec, UrlAuth, UrlSpec,
};

/// One thing wrong with a stack file, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    /// Dotted path of the key, e.g. `functions.exec-reports.memory`.
    pub key: String,
    pub message: String,
    pub help: Option<String>,
}

/// A stack file that could not be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackError {
    pub file: PathBuf,
    pub problems: Vec<Problem>,
}

impl std::error::Error for StackError {}

impl fmt::Display for StackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        writeln!(
            f,
            "{}: {n} problem{} in stack file; nothing was changed",
            self.file.display(),
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "  {}:{}:{}: ", self.file.display(), p.line, p.column)?;
            if !p.key.is_empty() {
                write!(f, "{}: ", p.key)?;
            }
            writeln!(f, "{}", p.message)?;
            if let Some(help) = &p.help {
                writeln!(f, "      help: {help}")?;
            }
        }
        Ok(())
    }
}

/// Reads and validates a stack file.
pub fn load(path: &Path) -> Result<Desired, StackError> {
    let text = std::fs::read_to_string(path).map_err(|e| StackError {
        file: path.to_path_buf(),
        problems: vec![Problem {
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the stack file: {e}"),
            help: Some("pass an existing file with --stack, e.g. --stack stacks/NAME.toml".into()),
        }],
    })?;
    parse(path, &text)
}

/// Validates stack-file text. `path` names the file in errors and anchors the
/// relative paths inside it.
pub fn parse(path: &Path, text: &str) -> Result<Desired, StackError> {
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        StackError {
            file: path.to_path_buf(),
            problems: vec![Problem {
                line,
                column,
                key: String::new(),
                message: format!("invalid TOML: {}", e.message().trim()),
                help: None,
            }],
        }
    })?;
    let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let mut v = Validator {
        text,
        base,
        problems: Vec::new(),
    };
    let desired = v.document(path, doc.as_table());
    if v.problems.is_empty() {
        Ok(desired.expect("a document without problems yields a Desired"))
    } else {
        v.problems.sort_by_key(|p| (p.line, p.column));
        Err(StackError {
            file: path.to_path_buf(),
            problems: v.problems,
        })
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

const TOP_KEYS: &[&str] = &["stack", "ses", "tables", "functions", "frontends", "schedules"];
const STACK_KEYS: &[&str] = &["name", "region", "timezone", "state_bucket", "allow_secrets", "account"];
const SCHEDULE_KEYS: &[&str] = &["function", "expression", "input", "enabled", "description"];
const SES_KEYS: &[&str] = &[
    "sender",
    "identities",
    "audit_bcc",
    "configuration_set",
    "mail_from_domain",
    "recipients",
];
const TABLE_KEYS: &[&str] = &[
    "name",
    "partition_key",
    "sort_key",
    "billing",
    "read_capacity",
    "write_capacity",
    "ttl_attribute",
];
const KEY_ATTR_KEYS: &[&str] = &["name", "type"];
const FUNCTION_KEYS: &[&str] = &[
    "name",
    "crate",
    "bin",
    "binary",
    "runtime",
    "architecture",
    "memory",
    "timeout",
    "description",
    "alias",
    "environment",
    "tables",
    "send_email",
    "url",
    "data",
    "archive",
    "smoke",
    "secrets",
];
const URL_KEYS: &[&str] = &["auth"];
const FRONTEND_KEYS: &[&str] = &[
    "dir",
    "bucket",
    "prefix",
    "distribution",
    "cache",
    "content_types",
    "max_deletes",
    "concurrency",
    "invalidation_max_paths",
];
const CACHE_RULE_KEYS: &[&str] = &["glob", "control"];

/// Environment variables Lambda sets itself and refuses to take from a function's configuration.
const RESERVED_ENV: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

struct Validator<'t> {
    text: &'t str,
    base: PathBuf,
    problems: Vec<Problem>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Value(Value::String(_)) => "a string",
        Item::Value(Value::Integer(_)) => "an integer",
        Item::Value(Value::Float(_)) => "a float",
        Item::Value(Value::Boolean(_)) => "a boolean",
        Item::Value(Value::Datetime(_)) => "a datetime",
        Item::Value(Value::Array(_)) | Item::ArrayOfTables(_) => "an array",
        Item::Value(Value::InlineTable(_)) | Item::Table(_) => "a table",
    }
}

impl Validator<'_> {
    fn problem(&mut self, span: Option<Range<usize>>, key: &str, message: String, help: Option<String>) {
        let (line, column) = span.map(|s| line_col(self.text, s.start)).unwrap_or((1, 1));
        self.problems.push(Problem {
            line,
            column,
            key: key.to_string(),
            message,
            help,
        });
    }

    /// Reports keys of `table` not in `allowed`, suggesting the closest allowed one.
    fn only_keys(&mut self, table: &dyn TableLike, path: &str, allowed: &[&str]) {
        for (key, _) in table.iter() {
            if allowed.contains(&key) {
                continue;
            }
            let span = table.key(key).and_then(|k| k.span());
            let closest = allowed
                .iter()
                .map(|a| (strsim::levenshtein(a, key), *a))
                .filter(|(d, _)| *d <= 2)
                .min();
            let help = match closest {
                Some((_, a)) => format!("did you mean `{a}`? allowed keys here: {}", allowed.join(", ")),
                None => format!("allowed keys here: {}", allowed.join(", ")),
            };
            self.problem(span, &join(path, key), format!("unknown key `{key}`"), Some(help));
        }
    }

    /// The span to point at for a value: the value itself, else its key.
    fn span_of(table: &dyn TableLike, key: &str) -> Option<Range<usize>> {
        table
            .get_key_value(key)
            .and_then(|(k, item)| item.span().or_else(|| k.span()))
    }

    fn wrong_type(&mut self, table: &dyn TableLike, path: &str, key: &str, expected: &str) {
        let found = table.get(key).map(type_name).unwrap_or("nothing");
        let span = Self::span_of(table, key);
        self.problem(
            span,
            &join(path, key),
            format!("expected {expected}, found {found}"),
            None,
        );
    }

    fn missing(&mut self, at: Option<Range<usize>>, path: &str, key: &str, help: &str) {
        self.problem(
            at,
            &join(path, key),
            format!("missing required key `{key}`"),
            Some(help.to_string()),
        );
    }

    fn opt_str(&mut self, t: &dyn TableLike, path: &str, key: &str) -> Option<String> {
        let item = t.get(key)?;
        match item.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.wrong_type(t, path, key, "a string");
                None
            }
        }
    }

    fn opt_int(&mut self, t: &dyn TableLike, path: &str, key: &str) -> Option<i64> {
        let item = t.get(key)?;
        match item.as_integer() {
            Some(n) => Some(n),
            None => {
                self.wrong_type(t, path, key, "an integer");
                None
            }
        }
    }

    fn opt_bool(&mut self, t: &dyn TableLike, path: &str, key: &str) -> Option<bool> {
        let item = t.get(key)?;
        match item.as_bool() {
            Some(b) => Some(b),
            None => {
                self.wrong_type(t, path, key, "true or false");
                None
            }
        }
    }

    fn opt_table<'a>(&mut self, t: &'a dyn TableLike, path: &str, key: &str) -> Option<&'a dyn TableLike> {
        let item = t.get(key)?;
        match item.as_table_like() {
            Some(tab) => Some(tab),
            None => {
                self.wrong_type(t, path, key, "a table");
                None
            }
        }
    }

    /// An integer that must lie in `range`; `unit` is shown in the message.
    fn int_in(
        &mut self,
        t: &dyn TableLike,
        path: &str,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        unit: &str,
    ) -> Option<i64> {
        let n = self.opt_int(t, path, key)?;
        if range.contains(&n) {
            Some(n)
        } else {
            let span = Self::span_of(t, key);
            self.problem(
                span,
                &join(path, key),
                format!("{n} is out of range"),
                Some(format!("use {} to {} {unit}", range.start(), range.end())),
            );
            None
        }
    }

    /// A string that must be one of `choices`.
    fn choice<'c>(&mut self, t: &dyn TableLike, path: &str, key: &str, choices: &[&'c str]) -> Option<&'c str> {
        let s = self.opt_str(t, path, key)?;
        match choices.iter().find(|c| **c == s) {
            Some(c) => Some(c),
            None => {
                let span = Self::span_of(t, key);
                self.problem(
                    span,
                    &join(path, key),
                    format!("`{s}` is not allowed"),
                    Some(format!("use one of: {}", choices.join(", "))),
                );
                None
            }
        }
    }

    fn document(&mut self, file: &Path, root: &toml_edit::Table) -> Option<Desired> {
        self.only_keys(root, "", TOP_KEYS);

        let stack = match self.opt_table(root, "", "stack") {
            Some(t) => self.stack_meta(t, root.get("stack").and_then(Item::span)),
            None => {
                if root.get("stack").is_none() {
                    self.missing(
                        Some(0..0),
                        "",
                        "stack",
                        "start the file with a [stack] table: name = \"mystack\"",
                    );
                }
                None
            }
        };
        let ses = self
            .opt_table(root, "", "ses")
            .and_then(|t| self.ses(t, root.get("ses").and_then(Item::span)));

        let stack_name = stack.as_ref().map(|s: &StackMeta| s.name.clone()).unwrap_or_default();
        let mut tables = Vec::new();
        if let Some(ts) = self.opt_table(root, "", "tables") {
            for (key, item) in ts.iter() {
                let path = join("tables", key);
                match item.as_table_like() {
                    Some(t) => {
                        if let Some(spec) = self.table(&stack_name, key, &path, t, item.span()) {
                            tables.push(spec);
                        }
                    }
                    None => self.wrong_type(ts, "tables", key, "a table"),
                }
            }
        }
        let mut seen = BTreeSet::new();
        for t in &tables {
            if !seen.insert(t.name.clone()) {
                let span = root
                    .get("tables")
                    .and_then(Item::as_table_like)
                    .and_then(|ts| Self::span_of(ts, &t.key));
                self.problem(
                    span,
                    &join("tables", &t.key),
                    format!("table name `{}` is used by more than one table", t.name),
                    Some("give each table its own `name`".into()),
                );
            }
        }

        let mut functions = Vec::new();
        match self.opt_table(root, "", "functions") {
            Some(fs) => {
                for (key, item) in fs.iter() {
                    let path = join("functions", key);
                    match item.as_table_like() {
                        Some(t) => {
                            if let Some(spec) =
                                self.function(&stack_name, key, &path, t, item.span(), &tables, ses.as_ref())
                            {
                                functions.push(spec);
                            }
                        }
                        None => self.wrong_type(fs, "functions", key, "a table"),
                    }
                }
            }
            None if root.get("functions").is_none() => {
                // A stack with only tables is legal, but almost certainly a mistake.
            }
            None => {}
        }
        let mut seen = BTreeSet::new();
        for f in &functions {
            if !seen.insert(f.name.clone()) {
                let span = root
                    .get("functions")
                    .and_then(Item::as_table_like)
                    .and_then(|fs| Self::span_of(fs, &f.key));
                self.problem(
                    span,
                    &join("functions", &f.key),
                    format!("function name `{}` is used by more than one function", f.name),
                    Some("give each function its own `name`".into()),
                );
            }
        }

        let mut frontends = Vec::new();
        if let Some(fs) = self.opt_table(root, "", "frontends") {
            for (key, item) in fs.iter() {
                let path = join("frontends", key);
                match item.as_table_like() {
                    Some(t) => {
                        if let Some(spec) = self.frontend(key, &path, t, item.span()) {
                            frontends.push(spec);
                        }
                    }
                    None => self.wrong_type(fs, "frontends", key, "a table"),
                }
            }
        }

        let stack = stack?;
        let mut schedules = Vec::new();
        if let Some(ss) = self.opt_table(root, "", "schedules") {
            for (key, item) in ss.iter() {
                let path = join("schedules", key);
                match item.as_table_like() {
                    Some(t) => {
                        let ctx = ScheduleContext {
                            stack: &stack.name,
                            functions: &functions,
                            ses: ses.as_ref(),
                        };
                        if let Some(spec) = self.schedule(&ctx, key, &path, t, item.span()) {
                            schedules.push(spec);
                        }
                    }
                    None => self.wrong_type(ss, "schedules", key, "a table"),
                }
            }
        }

        let desired = Desired {
            file: file.to_path_buf(),
            stack,
            ses,
            tables,
            functions,
            frontends,
            schedules,
        };
        self.computed_environments(root, &desired);
        Some(desired)
    }

    /// Lambda's 4 KB limit covers every variable of a function, including
    /// the BOSUN_* ones bosun adds (BOSUN_SES_RECIPIENTS grows with the
    /// mailing lists), so it is checked on the environment bosun will send.
    /// The default state bucket's name holds the 12-digit account id, whose
    /// length is known before any AWS call.
    fn computed_environments(&mut self, root: &dyn TableLike, desired: &Desired) {
        let state_bucket = desired.stack.state_bucket("000000000000");
        for f in &desired.functions {
            let mut env = f.bosun_environment(desired, &state_bucket);
            env.extend(f.environment.clone());
            let size = crate::model::environment_size(&env);
            if size <= crate::model::ENVIRONMENT_MAX_BYTES {
                continue;
            }
            let path = join("functions", &f.key);
            let table = root.get("functions").and_then(Item::as_table_like);
            let at = table
                .and_then(|fs| fs.get(&f.key))
                .and_then(Item::as_table_like)
                .and_then(|t| Self::span_of(t, "environment"))
                .or_else(|| table.and_then(|fs| Self::span_of(fs, &f.key)));
            let added: usize = size - crate::model::environment_size(&f.environment);
            self.problem(
                at,
                &join(&path, "environment"),
                format!(
                    "the function's environment would be {size} bytes with the {} variable(s) bosun adds ({added} bytes, e.g. BOSUN_SES_RECIPIENTS); Lambda allows {} in total",
                    env.len() - f.environment.len(),
                    crate::model::ENVIRONMENT_MAX_BYTES
                ),
                Some("shorten or drop variables, move mailing lists or large values into a data file (`data = {...}`), or keep values in SSM Parameter Store (`secrets`)".into()),
            );
        }
    }

    fn stack_meta(&mut self, t: &dyn TableLike, span: Option<Range<usize>>) -> Option<StackMeta> {
        self.only_keys(t, "stack", STACK_KEYS);
        let name = match self.opt_str(t, "stack", "name") {
            Some(n) if valid_stack_name(&n) => Some(n),
            Some(n) => {
                let at = Self::span_of(t, "name");
                self.problem(
                    at,
                    "stack.name",
                    format!("`{n}` is not a valid stack name"),
                    Some("use 1-40 characters: lowercase letters, digits and '-', starting with a letter".into()),
                );
                None
            }
            None => {
                if t.get("name").is_none() {
                    self.missing(
                        span,
                        "stack",
                        "name",
                        "add name = \"mystack\"; it prefixes every resource name",
                    );
                }
                None
            }
        };
        let region = match self.opt_str(t, "stack", "region") {
            Some(r) if valid_region(&r) => Some(r),
            Some(r) => {
                let at = Self::span_of(t, "region");
                self.problem(
                    at,
                    "stack.region",
                    format!("`{r}` is not an AWS region name"),
                    Some("use a region such as us-west-2, or leave it out to use AWS_REGION / the profile's".into()),
                );
                None
            }
            None => None,
        };
        let timezone = self.opt_str(t, "stack", "timezone");
        if let Some(tz) = &timezone {
            if jiff::tz::TimeZone::get(tz).is_err() {
                let at = Self::span_of(t, "timezone");
                self.problem(
                    at,
                    "stack.timezone",
                    format!("`{tz}` is not an IANA time zone"),
                    Some("use a name such as America/Los_Angeles or Europe/London".into()),
                );
            }
        }
        let state_bucket = self.opt_str(t, "stack", "state_bucket");
        if let Some(b) = &state_bucket {
            if !valid_bucket_name(b) {
                let at = Self::span_of(t, "state_bucket");
                self.problem(
                    at,
                    "stack.state_bucket",
                    format!("`{b}` is not a valid S3 bucket name"),
                    Some(
                        "3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
                            .into(),
                    ),
                );
            }
        }
        let allow_secrets = self
            .str_list(t, "stack", "allow_secrets", |s| !s.is_empty(), "a finding id")
            .unwrap_or_default();
        let account = self.opt_str(t, "stack", "account");
        if let Some(a) = &account {
            if a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()) {
                let at = Self::span_of(t, "account");
                self.problem(
                    at,
                    "stack.account",
                    format!("`{a}` is not an AWS account id"),
                    Some("use the 12-digit id (quoted, leading zeros kept), e.g. account = \"123456789012\"".into()),
                );
            }
        }
        Some(StackMeta {
            name: name?,
            region,
            timezone,
            state_bucket,
            allow_secrets,
            account,
        })
    }

    /// A list of strings at `key`, each checked by `valid`; `None` when absent or wrong.
    fn str_list(
        &mut self,
        t: &dyn TableLike,
        path: &str,
        key: &str,
        valid: fn(&str) -> bool,
        what: &str,
    ) -> Option<Vec<String>> {
        let item = t.get(key)?;
        let Some(arr) = item.as_array() else {
            self.wrong_type(t, path, key, &format!("a list of {what}s"));
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, v) in arr.iter().enumerate() {
            match v.as_str() {
                Some(x) if valid(x) => out.push(x.to_string()),
                Some(x) => {
                    ok = false;
                    self.problem(
                        v.span(),
                        &format!("{}[{i}]", join(path, key)),
                        format!("`{x}` is not {what}"),
                        None,
                    );
                }
                None => {
                    ok = false;
                    self.problem(
                        v.span(),
                        &format!("{}[{i}]", join(path, key)),
                        format!("expected {what}"),
                        None,
                    );
                }
            }
        }
        ok.then_some(out)
    }

    fn ses(&mut self, t: &dyn TableLike, span: Option<Range<usize>>) -> Option<SesSpec> {
        self.only_keys(t, "ses", SES_KEYS);
        let sender = match self.opt_str(t, "ses", "sender") {
            Some(s) if valid_sender(&s) => Some(s),
            Some(s) => {
                let at = Self::span_of(t, "sender");
                self.problem(
                    at,
                    "ses.sender",
                    format!("`{s}` is neither an e-mail address nor a domain"),
                    Some("use an address such as reports@example.com or a domain such as example.com".into()),
                );
                None
            }
            None => {
                if t.get("sender").is_none() {
                    self.missing(span, "ses", "sender", "add sender = \"reports@example.com\"");
                }
                None
            }
        };
        let identities = self.str_list(t, "ses", "identities", valid_sender, "an e-mail address or a domain");
        let audit_bcc = self.opt_str(t, "ses", "audit_bcc");
        if let Some(a) = &audit_bcc {
            if !valid_address(a) {
                let at = Self::span_of(t, "audit_bcc");
                self.problem(
                    at,
                    "ses.audit_bcc",
                    format!("`{a}` is not an e-mail address"),
                    Some("use an address such as audit@example.com".into()),
                );
            }
        }
        let configuration_set = self.opt_str(t, "ses", "configuration_set");
        if let Some(c) = &configuration_set {
            let ok =
                (1..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                let at = Self::span_of(t, "configuration_set");
                self.problem(
                    at,
                    "ses.configuration_set",
                    format!("`{c}` is not a configuration set name"),
                    Some("1-64 letters, digits, '-' or '_'".into()),
                );
            }
        }
        let mail_from_domain = self.opt_str(t, "ses", "mail_from_domain");
        let mut recipients = BTreeMap::new();
        if let Some(rt) = self.opt_table(t, "ses", "recipients") {
            for (batch, _) in rt.iter() {
                let bp = join("ses.recipients", batch);
                if !valid_batch(batch) {
                    let at = rt.key(batch).and_then(|k| k.span());
                    self.problem(
                        at,
                        &bp,
                        format!("`{batch}` is not a batch name"),
                        Some("use letters, digits, '-' or '_' (the name schedules pass as {batch = \"...\"})".into()),
                    );
                    continue;
                }
                if let Some(list) = self.str_list(rt, "ses.recipients", batch, valid_address, "an e-mail address") {
                    if list.is_empty() {
                        let at = Self::span_of(rt, batch);
                        self.problem(
                            at,
                            &bp,
                            "a report batch needs at least one recipient".into(),
                            Some("add an address, or remove the batch".into()),
                        );
                    }
                    recipients.insert(batch.to_string(), list);
                }
            }
        }
        let sender = sender?;
        let identities = match identities {
            Some(list) if list.is_empty() => {
                let at = Self::span_of(t, "identities");
                self.problem(
                    at,
                    "ses.identities",
                    "an empty list leaves nothing to send from".into(),
                    Some("list the sender's address or domain, or remove the key (default: the sender)".into()),
                );
                return None;
            }
            Some(list) => list,
            None if t.get("identities").is_some() => return None,
            None => vec![sender.clone()],
        };
        let spec = SesSpec {
            identities,
            audit_bcc,
            configuration_set,
            mail_from_domain,
            recipients,
            sender,
        };
        let covered = spec
            .identities
            .iter()
            .any(|i| i.eq_ignore_ascii_case(&spec.sender) || i.eq_ignore_ascii_case(spec.sender_domain()));
        if !covered {
            let at = Self::span_of(t, "identities");
            self.problem(
                at,
                "ses.identities",
                format!("no identity covers the sender `{}`", spec.sender),
                Some(format!(
                    "add \"{}\" or \"{}\" to identities",
                    spec.sender,
                    spec.sender_domain()
                )),
            );
        }
        if let Some(m) = &spec.mail_from_domain {
            let parent = spec.identities.iter().filter(|i| !i.contains('@')).any(|d| {
                m.to_ascii_lowercase()
                    .ends_with(&format!(".{}", d.to_ascii_lowercase()))
            });
            if !valid_domain(m) || !parent {
                let at = Self::span_of(t, "mail_from_domain");
                self.problem(
                    at,
                    "ses.mail_from_domain",
                    format!("`{m}` must be a subdomain of a domain identity"),
                    Some("e.g. identities = [\"example.com\"] with mail_from_domain = \"mail.example.com\"".into()),
                );
            }
        }
        Some(spec)
    }

    fn schedule(
        &mut self,
        ctx: &ScheduleContext<'_>,
        key: &str,
        path: &str,
        t: &dyn TableLike,
        span: Option<Range<usize>>,
    ) -> Option<ScheduleSpec> {
        self.only_keys(t, path, SCHEDULE_KEYS);
        let rule = format!("{}-{key}", ctx.stack);
        let mut ok = true;
        if rule.len() > 64
            || !rule
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        {
            ok = false;
            let at = span.clone();
            self.problem(
                at,
                path,
                format!("the rule name `{rule}` is not valid for EventBridge"),
                Some("use a shorter key of letters, digits, '-', '_' or '.' (the rule name is {stack}-{key}, at most 64)".into()),
            );
        }
        let function = match self.opt_str(t, path, "function") {
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
                        span.clone(),
                        path,
                        "function",
                        "add function = \"KEY\" (a [functions.KEY])",
                    );
                }
                None
            }
        };
        let expression = match self.opt_str(t, path, "expression") {
            Some(e) => match crate::cron::Schedule::parse(&e) {
                Ok(_) => Some(e.trim().to_string()),
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
                        span.clone(),
                        path,
                        "expression",
                        "add expression = \"cron(0 15 ? * MON *)\"",
                    );
                }
                None
            }
        };
        let input = match t.get("input") {
            None => Some(serde_json::json!({})),
            Some(item) => match item.as_table_like() {
                Some(tab) => {
                    let v = table_json(tab);
                    if v.to_string().len() > 8192 {
                        ok = false;
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
                None => {
                    self.wrong_type(t, path, "input", "a table (it becomes the JSON the function receives)");
                    None
                }
            },
        };
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
            key: key.to_string(),
            rule,
            expression,
            function,
            input,
            enabled,
            description,
        };
        // A mail-sending schedule that names a batch must name a declared one.
        let sends = ctx.functions.iter().any(|f| f.key == spec.function && f.send_email);
        if let (true, Some(batch), Some(ses)) = (sends, spec.batch(), ctx.ses) {
            if !ses.recipients.is_empty() && !ses.recipients.contains_key(batch) {
                ok = false;
                let at = Self::span_of(t, "input");
                self.problem(
                    at,
                    &join(path, "input.batch"),
                    format!("batch `{batch}` has no recipients in [ses.recipients]"),
                    Some(format!(
                        "declared batches: {}",
                        ses.recipients.keys().cloned().collect::<Vec<_>>().join(", ")
                    )),
                );
            }
        }
        ok.then_some(spec)
    }

    fn key_attr(&mut self, t: &dyn TableLike, path: &str, key: &str) -> Option<KeyAttr> {
        let item = t.get(key)?;
        let kp = join(path, key);
        if let Some(name) = item.as_str() {
            return self.attr_name(t, path, key, name).map(|name| KeyAttr {
                name,
                kind: AttrType::S,
            });
        }
        let Some(inner) = item.as_table_like() else {
            self.wrong_type(t, path, key, "an attribute name or { name = \"pk\", type = \"S\" }");
            return None;
        };
        self.only_keys(inner, &kp, KEY_ATTR_KEYS);
        let name = match self.opt_str(inner, &kp, "name") {
            Some(n) => self.attr_name(inner, &kp, "name", &n),
            None => {
                if inner.get("name").is_none() {
                    self.missing(item.span(), &kp, "name", "add name = \"pk\"");
                }
                None
            }
        };
        let kind = match self.choice(inner, &kp, "type", &["S", "N", "B"]) {
            Some("N") => Some(AttrType::N),
            Some("B") => Some(AttrType::B),
            Some(_) => Some(AttrType::S),
            None if inner.get("type").is_none() => Some(AttrType::S),
            None => None,
        };
        Some(KeyAttr {
            name: name?,
            kind: kind?,
        })
    }

    fn attr_name(&mut self, t: &dyn TableLike, path: &str, key: &str, name: &str) -> Option<String> {
        if name.is_empty() || name.len() > 255 {
            let at = Self::span_of(t, key);
            self.problem(
                at,
                &join(path, key),
                "attribute names are 1-255 characters".into(),
                None,
            );
            None
        } else {
            Some(name.to_string())
        }
    }

    fn table(
        &mut self,
        stack: &str,
        key: &str,
        path: &str,
        t: &dyn TableLike,
        span: Option<Range<usize>>,
    ) -> Option<TableSpec> {
        self.only_keys(t, path, TABLE_KEYS);
        let name = self
            .opt_str(t, path, "name")
            .unwrap_or_else(|| format!("{stack}-{key}"));
        let name_ok = valid_table_name(&name);
        if !name_ok {
            let at = Self::span_of(t, "name").or(span.clone());
            self.problem(
                at,
                &join(path, "name"),
                format!("`{name}` is not a valid DynamoDB table name"),
                Some("use 3-255 characters: letters, digits, '_', '-' and '.'".into()),
            );
        }
        let partition_key = self.key_attr(t, path, "partition_key");
        if t.get("partition_key").is_none() {
            self.missing(
                span.clone(),
                path,
                "partition_key",
                "add partition_key = \"pk\" or { name = \"pk\", type = \"S\" }",
            );
        }
        let sort_key = self.key_attr(t, path, "sort_key");
        let sort_ok = t.get("sort_key").is_none() || sort_key.is_some();

        let read = self.int_in(t, path, "read_capacity", 1..=40_000, "capacity units");
        let write = self.int_in(t, path, "write_capacity", 1..=40_000, "capacity units");
        let billing_choice = match t.get("billing") {
            None => Some("pay-per-request"),
            Some(_) => self.choice(t, path, "billing", &["pay-per-request", "provisioned"]),
        };
        let billing = match billing_choice {
            Some("provisioned") => match (read, write) {
                (Some(read), Some(write)) => Some(Billing::Provisioned { read, write }),
                _ => {
                    for k in ["read_capacity", "write_capacity"] {
                        if t.get(k).is_none() {
                            let at = Self::span_of(t, "billing");
                            self.missing(
                                at,
                                path,
                                k,
                                "provisioned billing needs read_capacity and write_capacity",
                            );
                        }
                    }
                    None
                }
            },
            Some(_) => {
                for k in ["read_capacity", "write_capacity"] {
                    if t.get(k).is_some() {
                        let at = t.key(k).and_then(|k| k.span());
                        self.problem(
                            at,
                            &join(path, k),
                            "capacity is only used with billing = \"provisioned\"".into(),
                            Some("remove it, or set billing = \"provisioned\"".into()),
                        );
                    }
                }
                Some(Billing::PayPerRequest)
            }
            None => None,
        };
        let ttl_attribute = self.opt_str(t, path, "ttl_attribute");
        if let Some(a) = &ttl_attribute {
            self.attr_name(t, path, "ttl_attribute", a);
        }
        if !name_ok || !sort_ok {
            return None;
        }
        Some(TableSpec {
            key: key.to_string(),
            name,
            partition_key: partition_key?,
            sort_key,
            billing: billing?,
            ttl_attribute,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn function(
        &mut self,
        stack: &str,
        key: &str,
        path: &str,
        t: &dyn TableLike,
        span: Option<Range<usize>>,
        tables: &[TableSpec],
        ses: Option<&SesSpec>,
    ) -> Option<FunctionSpec> {
        self.only_keys(t, path, FUNCTION_KEYS);
        let mut ok = true;

        let name = self
            .opt_str(t, path, "name")
            .unwrap_or_else(|| format!("{stack}-{key}"));
        if !valid_function_name(&name) {
            ok = false;
            let at = Self::span_of(t, "name").or(span.clone());
            self.problem(
                at,
                &join(path, "name"),
                format!("`{name}` is not a valid Lambda function name (it also names the IAM role)"),
                Some("use 1-64 characters: letters, digits, '-' and '_'; shorten the stack name or set `name`".into()),
            );
        }

        let code = match (t.get("crate"), t.get("binary")) {
            (Some(_), Some(_)) => {
                ok = false;
                let at = t.key("binary").and_then(|k| k.span());
                self.problem(
                    at,
                    &join(path, "binary"),
                    "`crate` and `binary` are both set".into(),
                    Some(
                        "use `crate` to have bosun build the function, or `binary` for a prebuilt one, not both".into(),
                    ),
                );
                None
            }
            (None, None) => {
                ok = false;
                self.missing(
                    span.clone(),
                    path,
                    "crate",
                    "add crate = \"../lambdas/NAME\" (a path relative to this file), or binary = \"path/to/bootstrap\"",
                );
                None
            }
            (Some(_), None) => {
                let bin = self.opt_str(t, path, "bin");
                self.opt_str(t, path, "crate").and_then(|dir| {
                    let dir = self.base.join(dir);
                    if dir.join("Cargo.toml").is_file() {
                        Some(CodeSource::Crate { dir, bin })
                    } else {
                        let at = Self::span_of(t, "crate");
                        self.problem(
                            at,
                            &join(path, "crate"),
                            format!("no Cargo.toml at {}", dir.display()),
                            Some("the path is relative to the stack file's folder".into()),
                        );
                        None
                    }
                })
            }
            (None, Some(_)) => {
                if t.get("bin").is_some() {
                    let at = t.key("bin").and_then(|k| k.span());
                    self.problem(at, &join(path, "bin"), "`bin` only applies with `crate`".into(), None);
                }
                self.opt_str(t, path, "binary").and_then(|p| {
                    let p = self.base.join(p);
                    if p.is_file() {
                        Some(CodeSource::Binary { path: p })
                    } else {
                        let at = Self::span_of(t, "binary");
                        self.problem(
                            at,
                            &join(path, "binary"),
                            format!("no file at {}", p.display()),
                            Some("build it first; the path is relative to the stack file's folder".into()),
                        );
                        None
                    }
                })
            }
        };

        let runtime = match self.choice(t, path, "runtime", &["provided.al2023", "provided.al2"]) {
            Some("provided.al2") => Some(Runtime::ProvidedAl2),
            Some(_) => Some(Runtime::ProvidedAl2023),
            None if t.get("runtime").is_none() => Some(Runtime::ProvidedAl2023),
            None => None,
        };
        let arch = match self.choice(t, path, "architecture", &["x86_64", "arm64"]) {
            Some("arm64") => Some(Arch::Arm64),
            Some(_) => Some(Arch::X86_64),
            None if t.get("architecture").is_none() => Some(Arch::X86_64),
            None => None,
        };
        let memory = match t.get("memory") {
            None => Some(128),
            Some(_) => self.int_in(t, path, "memory", 128..=10_240, "MB"),
        };
        let timeout = match t.get("timeout") {
            None => Some(30),
            Some(_) => self.int_in(t, path, "timeout", 1..=900, "seconds"),
        };
        let description = self.opt_str(t, path, "description").unwrap_or_default();
        if description.chars().count() > 256 {
            ok = false;
            let at = Self::span_of(t, "description");
            self.problem(
                at,
                &join(path, "description"),
                "longer than 256 characters".into(),
                None,
            );
        }
        let alias = self.opt_str(t, path, "alias").unwrap_or_else(|| "live".to_string());
        if !valid_alias(&alias) {
            ok = false;
            let at = Self::span_of(t, "alias");
            self.problem(
                at,
                &join(path, "alias"),
                format!("`{alias}` is not a valid alias name"),
                Some("use 1-128 letters, digits, '-' or '_', not only digits".into()),
            );
        }

        let environment = self.environment(t, path).unwrap_or_else(|| {
            ok = false;
            BTreeMap::new()
        });

        let mut uses = BTreeMap::new();
        if let Some(ts) = self.opt_table(t, path, "tables") {
            let tp = join(path, "tables");
            for (tkey, _) in ts.iter() {
                let access = match self.choice(ts, &tp, tkey, &["read", "write", "read-write"]) {
                    Some("read") => Access::Read,
                    Some("write") => Access::Write,
                    Some(_) => Access::ReadWrite,
                    None => {
                        ok = false;
                        continue;
                    }
                };
                if tables.iter().all(|spec| spec.key != tkey) {
                    ok = false;
                    let at = ts.key(tkey).and_then(|k| k.span());
                    let declared: Vec<&str> = tables.iter().map(|s| s.key.as_str()).collect();
                    self.problem(
                        at,
                        &join(&tp, tkey),
                        format!("table `{tkey}` is not declared in this stack"),
                        Some(if declared.is_empty() {
                            format!("declare it as [tables.{tkey}]")
                        } else {
                            format!("declared tables: {}; or add [tables.{tkey}]", declared.join(", "))
                        }),
                    );
                }
                uses.insert(tkey.to_string(), access);
            }
        } else if t.get("tables").is_some() {
            ok = false;
        }

        let send_email = self.opt_bool(t, path, "send_email").unwrap_or(false);
        if send_email && ses.is_none() {
            ok = false;
            let at = t.key("send_email").and_then(|k| k.span());
            self.problem(
                at,
                &join(path, "send_email"),
                "the function sends e-mail but the stack has no sender identity".into(),
                Some("add [ses] with sender = \"reports@example.com\"".into()),
            );
        }

        let url = match self.opt_table(t, path, "url") {
            Some(u) => {
                let up = join(path, "url");
                self.only_keys(u, &up, URL_KEYS);
                match self.choice(u, &up, "auth", &["aws-iam", "none"]) {
                    Some("none") => Some(UrlSpec { auth: UrlAuth::None }),
                    Some(_) => Some(UrlSpec { auth: UrlAuth::AwsIam }),
                    None if u.get("auth").is_none() => Some(UrlSpec { auth: UrlAuth::AwsIam }),
                    None => {
                        ok = false;
                        None
                    }
                }
            }
            None => {
                if t.get("url").is_some() {
                    ok = false;
                }
                None
            }
        };

        let mut data = BTreeMap::new();
        if let Some(d) = self.opt_table(t, path, "data") {
            let dp = join(path, "data");
            for (name, item) in d.iter() {
                let np = join(&dp, name);
                let at = item.span().or_else(|| d.key(name).and_then(|k| k.span()));
                if !valid_batch(name) {
                    ok = false;
                    self.problem(
                        at.clone(),
                        &np,
                        format!("`{name}` is not a data name"),
                        Some("use letters, digits, '-' or '_'".into()),
                    );
                    continue;
                }
                let Some(rel) = item.as_str() else {
                    ok = false;
                    self.problem(at, &np, "expected a file path".into(), None);
                    continue;
                };
                let file = self.base.join(rel);
                match check_data_file(&file) {
                    Ok(()) => {
                        data.insert(name.to_string(), file);
                    }
                    Err(why) => {
                        ok = false;
                        self.problem(
                            at,
                            &np,
                            why,
                            Some("fix the file (a .toml or .json data file beside the stack)".into()),
                        );
                    }
                }
            }
        } else if t.get("data").is_some() {
            ok = false;
        }
        let archive = self.opt_bool(t, path, "archive").unwrap_or(false);
        let secrets = match self.str_list(
            t,
            path,
            "secrets",
            valid_batch,
            "a secret name (letters, digits, '-' or '_')",
        ) {
            Some(list) => {
                let mut seen = std::collections::BTreeSet::new();
                for name in &list {
                    if !seen.insert(name.to_ascii_lowercase().replace('-', "_")) {
                        ok = false;
                        let at = Self::span_of(t, "secrets");
                        self.problem(
                            at,
                            &join(path, "secrets"),
                            format!("secret `{name}` is listed twice (names differing only in case or '-'/'_' share a variable)"),
                            None,
                        );
                    }
                }
                let prefix = stack.to_ascii_lowercase();
                if !list.is_empty() && (prefix.starts_with("aws") || prefix.starts_with("ssm")) {
                    ok = false;
                    let at = Self::span_of(t, "secrets");
                    self.problem(
                        at,
                        &join(path, "secrets"),
                        format!("secret parameters are named /{{stack}}/…, and SSM refuses names starting with \"aws\" or \"ssm\" (stack `{stack}`)"),
                        Some("rename the stack".into()),
                    );
                }
                list
            }
            None if t.get("secrets").is_some() => {
                ok = false;
                Vec::new()
            }
            None => Vec::new(),
        };
        let smoke = match t.get("smoke") {
            None => None,
            Some(item) => match item.as_table_like() {
                Some(tab) => Some(table_json(tab)),
                None => {
                    ok = false;
                    self.wrong_type(t, path, "smoke", "a table (the JSON event the function must answer)");
                    None
                }
            },
        };

        if !ok {
            return None;
        }
        Some(FunctionSpec {
            data,
            archive,
            secrets,
            smoke,
            key: key.to_string(),
            name,
            code: code?,
            runtime: runtime?,
            arch: arch?,
            memory: memory? as i32,
            timeout: timeout? as i32,
            description,
            alias,
            environment,
            tables: uses,
            send_email,
            url,
        })
    }

    fn frontend(
        &mut self,
        key: &str,
        path: &str,
        t: &dyn TableLike,
        span: Option<Range<usize>>,
    ) -> Option<FrontendSpec> {
        self.only_keys(t, path, FRONTEND_KEYS);
        let mut ok = true;
        let dir = match self.opt_str(t, path, "dir") {
            Some(d) => {
                let dir = self.base.join(d);
                if dir.is_dir() {
                    Some(dir)
                } else {
                    let at = Self::span_of(t, "dir");
                    self.problem(
                        at,
                        &join(path, "dir"),
                        format!("no folder at {}", dir.display()),
                        Some("the path is relative to the stack file's folder".into()),
                    );
                    None
                }
            }
            None => {
                if t.get("dir").is_none() {
                    self.missing(
                        span.clone(),
                        path,
                        "dir",
                        "add dir = \"../site\" (the folder to publish)",
                    );
                }
                None
            }
        };
        let bucket = match self.opt_str(t, path, "bucket") {
            Some(b) if valid_bucket_name(&b) => Some(b),
            Some(b) => {
                let at = Self::span_of(t, "bucket");
                self.problem(
                    at,
                    &join(path, "bucket"),
                    format!("`{b}` is not a valid S3 bucket name"),
                    Some(
                        "use 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
                            .into(),
                    ),
                );
                None
            }
            None => {
                if t.get("bucket").is_none() {
                    self.missing(span.clone(), path, "bucket", "add bucket = \"my-site-bucket\"");
                }
                None
            }
        };
        let prefix = match self.opt_str(t, path, "prefix") {
            Some(p) if p.starts_with('/') || p.contains("//") || p.split('/').any(|s| s == ".." || s == ".") => {
                ok = false;
                let at = Self::span_of(t, "prefix");
                self.problem(
                    at,
                    &join(path, "prefix"),
                    format!("`{p}` is not a usable key prefix"),
                    Some("use a relative prefix such as \"shipcaptaincrew/\", without leading '/', '.' or '..'".into()),
                );
                String::new()
            }
            Some(p) if p.is_empty() || p.ends_with('/') => p,
            Some(p) => format!("{p}/"),
            None => String::new(),
        };
        let distribution = match t.get("distribution") {
            None => DistributionSpec::None,
            Some(item) => match item.as_str() {
                Some("managed") => DistributionSpec::Managed,
                Some(id) if !id.is_empty() && id.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) => {
                    DistributionSpec::Id(id.to_string())
                }
                _ => {
                    ok = false;
                    let at = Self::span_of(t, "distribution");
                    self.problem(
                        at,
                        &join(path, "distribution"),
                        "expected a CloudFront distribution id (e.g. \"E2ABCDEF123456\") or \"managed\"".into(),
                        Some("\"managed\" lets bosun create and own the distribution".into()),
                    );
                    DistributionSpec::None
                }
            },
        };
        let mut cache = Vec::new();
        if let Some(item) = t.get("cache") {
            let cp = join(path, "cache");
            match item.as_array().map(|a| a.iter().collect::<Vec<_>>()) {
                Some(rules) => {
                    for (i, rule) in rules.into_iter().enumerate() {
                        let rp = format!("{cp}[{i}]");
                        let Some(r) = rule.as_inline_table() else {
                            ok = false;
                            self.problem(
                                rule.span(),
                                &rp,
                                "expected { glob = \"...\", control = \"...\" }".into(),
                                None,
                            );
                            continue;
                        };
                        self.only_keys(r, &rp, CACHE_RULE_KEYS);
                        let glob = self.opt_str(r, &rp, "glob");
                        let control = self.opt_str(r, &rp, "control");
                        match (glob, control) {
                            (Some(glob), Some(control)) => {
                                if let Err(e) = globset::Glob::new(&glob) {
                                    ok = false;
                                    let at = Self::span_of(r, "glob");
                                    self.problem(at, &join(&rp, "glob"), format!("invalid glob: {e}"), None);
                                } else if control.is_empty() || control.contains(['\n', '\r']) {
                                    ok = false;
                                    let at = Self::span_of(r, "control");
                                    self.problem(
                                        at,
                                        &join(&rp, "control"),
                                        "not a usable Cache-Control value".into(),
                                        None,
                                    );
                                } else {
                                    cache.push(CacheRule {
                                        glob,
                                        cache_control: control,
                                    });
                                }
                            }
                            (g, c) => {
                                ok = false;
                                for (k, v) in [("glob", g.is_none()), ("control", c.is_none())] {
                                    if v && r.get(k).is_none() {
                                        self.missing(rule.span(), &rp, k, "each cache rule needs glob and control");
                                    }
                                }
                            }
                        }
                    }
                }
                None => {
                    ok = false;
                    self.wrong_type(t, path, "cache", "an array of { glob, control } rules");
                }
            }
        }
        let mut content_types = BTreeMap::new();
        if let Some(ct) = self.opt_table(t, path, "content_types") {
            let cp = join(path, "content_types");
            for (ext, _) in ct.iter() {
                if let Some(v) = self.opt_str(ct, &cp, ext) {
                    if !v.contains('/') {
                        ok = false;
                        let at = Self::span_of(ct, ext);
                        self.problem(
                            at,
                            &join(&cp, ext),
                            format!("`{v}` is not a media type"),
                            Some("use type/subtype, e.g. application/manifest+json".into()),
                        );
                    }
                    content_types.insert(ext.trim_start_matches('.').to_ascii_lowercase(), v);
                } else {
                    ok = false;
                }
            }
        }
        let max_deletes = match t.get("max_deletes") {
            None => Some(100),
            Some(_) => self.int_in(t, path, "max_deletes", 0..=1_000_000, "files"),
        };
        let concurrency = match t.get("concurrency") {
            None => Some(16),
            Some(_) => self.int_in(t, path, "concurrency", 1..=256, "parallel uploads"),
        };
        let max_paths = match t.get("invalidation_max_paths") {
            None => Some(15),
            Some(_) => self.int_in(t, path, "invalidation_max_paths", 1..=3000, "paths"),
        };
        if !ok {
            return None;
        }
        Some(FrontendSpec {
            key: key.to_string(),
            dir: dir?,
            bucket: bucket?,
            prefix,
            distribution,
            cache,
            content_types,
            max_deletes: max_deletes? as usize,
            concurrency: concurrency? as usize,
            invalidation_max_paths: max_paths? as usize,
        })
    }

    fn environment(&mut self, t: &dyn TableLike, path: &str) -> Option<BTreeMap<String, String>> {
        let mut env = BTreeMap::new();
        let Some(e) = self.opt_table(t, path, "environment") else {
            return if t.get("environment").is_some() {
                None
            } else {
                Some(env)
            };
        };
        let ep = join(path, "environment");
        let mut ok = true;
        for (k, item) in e.iter() {
            let kspan = e.key(k).and_then(|key| key.span());
            if !valid_env_key(k) {
                ok = false;
                self.problem(
                    kspan.clone(),
                    &join(&ep, k),
                    format!("`{k}` is not a valid environment variable name"),
                    Some("Lambda wants [a-zA-Z][a-zA-Z0-9_]+: a letter, then at least one letter, digit or '_'".into()),
                );
            } else if k.starts_with("BOSUN_") {
                ok = false;
                self.problem(
                    kspan.clone(),
                    &join(&ep, k),
                    format!("`{k}`: the BOSUN_ prefix is bosun's"),
                    Some("bosun sets BOSUN_STACK, BOSUN_TABLE_*, BOSUN_SES_*, BOSUN_DATA_* itself; rename it".into()),
                );
            } else if RESERVED_ENV.contains(&k) {
                ok = false;
                self.problem(
                    kspan.clone(),
                    &join(&ep, k),
                    format!("`{k}` is reserved by Lambda"),
                    Some("Lambda sets it itself; remove it".into()),
                );
            }
            match item.as_str() {
                Some(v) => {
                    env.insert(k.to_string(), v.to_string());
                }
                None => {
                    ok = false;
                    let at = item.span().or(kspan);
                    self.problem(
                        at,
                        &join(&ep, k),
                        format!("expected a string, found {}", type_name(item)),
                        Some("environment values are strings: quote the value".into()),
                    );
                }
            }
        }
        let size = crate::model::environment_size(&env);
        if size > crate::model::ENVIRONMENT_MAX_BYTES {
            ok = false;
            let at = t.key("environment").and_then(|k| k.span());
            self.problem(
                at,
                &ep,
                format!(
                    "the environment is {size} bytes; Lambda allows {} for all variables together",
                    crate::model::ENVIRONMENT_MAX_BYTES
                ),
                Some("move large values to the function's data or to SSM Parameter Store".into()),
            );
        }
        ok.then_some(env)
    }
}

fn valid_bucket_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !s.contains("..")
}

fn valid_stack_name(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=40).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

fn valid_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

fn valid_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && s.len() <= 253
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

/// What a schedule is checked against.
struct ScheduleContext<'a> {
    stack: &'a str,
    functions: &'a [FunctionSpec],
    ses: Option<&'a SesSpec>,
}

/// A TOML table as JSON (datetimes become their text).
fn table_json(t: &dyn TableLike) -> serde_json::Value {
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

/// A data file must exist and parse as its extension says (TOML or JSON).
fn check_data_file(file: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    match file.extension().and_then(|e| e.to_str()) {
        Some("toml") => text
            .parse::<toml_edit::DocumentMut>()
            .map(|_| ())
            .map_err(|e| format!("{} is not valid TOML: {}", file.display(), e.to_string().trim())),
        Some("json") => serde_json::from_str::<serde_json::Value>(&text)
            .map(|_| ())
            .map_err(|e| format!("{} is not valid JSON: {e}", file.display())),
        _ => Err(format!("{}: a data file must end in .toml or .json", file.display())),
    }
}

fn valid_address(s: &str) -> bool {
    s.contains('@') && valid_sender(s)
}

fn valid_batch(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn valid_sender(s: &str) -> bool {
    match s.rsplit_once('@') {
        Some((local, domain)) => !local.is_empty() && !local.contains(char::is_whitespace) && valid_domain(domain),
        None => valid_domain(s),
    }
}

pub(crate) fn valid_function_name(s: &str) -> bool {
    (1..=64).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

fn valid_table_name(s: &str) -> bool {
    (3..=255).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
}

fn valid_alias(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && !s.bytes().all(|c| c.is_ascii_digit())
}

/// Lambda's key pattern (Environment, Lambda API reference): `[a-zA-Z]([a-zA-Z0-9_])+`,
/// so at least two characters.
fn valid_env_key(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0].is_ascii_alphabetic() && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Desired, StackError> {
        parse(Path::new("/tmp/s.toml"), text)
    }

    #[test]
    fn defaults_fill_in_what_the_file_leaves_out() {
        let d = parse_str("[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\n").unwrap();
        let f = &d.functions[0];
        assert_eq!(f.name, "s-f");
        assert_eq!(f.alias, "live");
        assert_eq!((f.memory, f.timeout), (128, 30));
        assert_eq!(f.runtime, Runtime::ProvidedAl2023);
        assert_eq!(f.arch, Arch::X86_64);
        assert!(f.url.is_none());
    }

    #[test]
    fn url_without_auth_defaults_to_iam() {
        let d = parse_str("[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\n[functions.f.url]\n").unwrap();
        assert_eq!(d.functions[0].url, Some(UrlSpec { auth: UrlAuth::AwsIam }));
    }

    #[test]
    fn every_problem_is_reported_sorted_by_position() {
        let err = parse_str("[stack]\nname = \"Bad Name\"\nregion = \"mars\"\nextra = 1\n").unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["stack.name", "stack.region", "stack.extra"]);
        assert_eq!(err.problems[0].line, 2);
        assert_eq!(err.problems[0].column, 8);
    }

    #[test]
    fn ses_section_is_parsed_with_defaults() {
        let d = parse_str(
            "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\naudit_bcc = \"audit@example.com\"\n\
             [ses.recipients]\ncsuite = [\"ceo@example.com\", \"cfo@example.com\"]\n",
        )
        .unwrap();
        let ses = d.ses.unwrap();
        assert_eq!(
            ses.identities,
            ["reports@example.com"],
            "the sender is the default identity"
        );
        assert_eq!(ses.recipients["csuite"].len(), 2);
        assert_eq!(
            ses.destinations(),
            ["ceo@example.com", "cfo@example.com", "audit@example.com"]
        );
    }

    #[test]
    fn ses_problems_name_their_keys() {
        let err = parse_str(
            "[stack]\nname = \"s\"\n[ses]\nsender = \"reports@example.com\"\nidentities = [\"example.org\"]\n\
             audit_bcc = \"not-an-address\"\nmail_from_domain = \"mail.example.net\"\nbcc = 1\n\
             [ses.recipients]\ncsuite = [\"ceo@example.com\", \"nobody\"]\nempty = []\n",
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert_eq!(
            got,
            [
                (5, "ses.identities"),
                (6, "ses.audit_bcc"),
                (7, "ses.mail_from_domain"),
                (8, "ses.bcc"),
                (10, "ses.recipients.csuite[1]"),
                (11, "ses.recipients.empty"),
            ],
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("no identity covers the sender `reports@example.com`"),
            "{err}"
        );
        assert!(err.to_string().contains("did you mean `audit_bcc`?") || err.to_string().contains("allowed keys"));
    }

    #[test]
    fn secrets_are_names_listed_once() {
        let ok =
            parse_str("[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\nsecrets = [\"jwt\", \"api-key\"]\n")
                .unwrap();
        let f = &ok.functions[0];
        assert_eq!(f.secrets, ["jwt", "api-key"]);
        assert_eq!(f.secret_parameter("s", "jwt"), "/s/f/jwt");
        let env = f.bosun_environment(&ok, "bucket");
        assert_eq!(
            env.get("BOSUN_SECRET_API_KEY").map(String::as_str),
            Some("/s/f/api-key")
        );
        let err = parse_str(
            "[stack]\nname = \"s\"\n[functions.f]\nbinary = \"/bin/sh\"\nsecrets = [\"jwt\", \"a b\"]\n\
             [functions.g]\nbinary = \"/bin/sh\"\nsecrets = [\"k\", \"K\"]\n[functions.h]\nbinary = \"/bin/sh\"\nsecrets = \"jwt\"\n",
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.line, p.key.as_str())).collect();
        assert_eq!(
            got,
            [
                (5, "functions.f.secrets[1]"),
                (8, "functions.g.secrets"),
                (11, "functions.h.secrets")
            ],
            "{err}"
        );
        assert!(err.to_string().contains("listed twice"), "{err}");
    }

    #[test]
    fn missing_stack_table_is_reported() {
        let err = parse_str("[functions.f]\nbinary = \"/bin/sh\"\n").unwrap_err();
        assert!(err
            .problems
            .iter()
            .any(|p| p.key == "stack" && p.message.contains("missing")));
    }

    #[test]
    fn duplicate_function_names_are_rejected() {
        let err = parse_str(
            "[stack]\nname = \"s\"\n[functions.a]\nbinary = \"/bin/sh\"\nname = \"x\"\n\
             [functions.b]\nbinary = \"/bin/sh\"\nname = \"x\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("used by more than one function"), "{err}");
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\ncdé\nf", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé\nf", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé\nf", 7), (2, 4));
        assert_eq!(line_col("ab\ncdé\nf", 8), (3, 1));
    }

    #[test]
    fn names_follow_aws_rules() {
        assert!(valid_function_name("queenofsandiego-exec-reports"));
        assert!(!valid_function_name(&"x".repeat(65)));
        assert!(!valid_alias("123"));
        assert!(valid_alias("live"));
        assert!(valid_sender("reports@example.com"));
        assert!(valid_sender("example.com"));
        assert!(!valid_sender("reports@"));
        assert!(valid_region("us-west-2"));
        assert!(!valid_region("uswest2"));
    }
}
