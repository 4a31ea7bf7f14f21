//! Stack files: TOML → validated [`Desired`].
//!
//! Owns every rule about what a stack file may say. The whole file is checked
//! and *all* problems are reported at once, each with file, line, column and
//! the dotted key, before anything talks to AWS. Unknown keys are errors. The
//! only I/O here is reading the file and checking that the code paths it names
//! exist.

mod frontends;
mod functions;
mod meta;
mod rules;
mod schedules;
mod ses;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;
use toml_edit::{Item, TableLike, Value};

use crate::model::{Desired, FrontendSpec, FunctionSpec, ScheduleSpec, StackMeta, TableSpec};
use functions::FunctionContext;
use schedules::ScheduleContext;

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

/// One `[section.KEY]` table of the stack file.
struct Entry<'a> {
    key: &'a str,
    /// `section.KEY`, the dotted path problems name.
    path: String,
    t: &'a dyn TableLike,
    /// Where the table is, for problems about what it lacks.
    span: Option<Range<usize>>,
}

/// Walks a parsed stack file, collecting every problem; one file per
/// section adds its checks (`meta`, `ses`, `tables`, `functions`,
/// `frontends`, `schedules`), `rules` holds AWS's naming rules.
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
        let stack = self.stack_section(root);
        let stack_name = stack.as_ref().map(|s: &StackMeta| s.name.clone()).unwrap_or_default();
        let ses = self
            .opt_table(root, "", "ses")
            .and_then(|t| self.ses(t, root.get("ses").and_then(Item::span), &stack_name));
        let tables: Vec<TableSpec> = self
            .entries(root, "tables")
            .iter()
            .filter_map(|e| self.table(e, &stack_name))
            .collect();
        let names: Vec<(&str, &str)> = tables.iter().map(|t| (t.key.as_str(), t.name.as_str())).collect();
        self.unique_names(root, "tables", "table", &names);
        let context = FunctionContext {
            stack: &stack_name,
            tables: &tables,
            ses: ses.as_ref(),
            cargo_profile: stack.as_ref().and_then(|s| s.cargo_profile.as_deref()),
        };
        let functions: Vec<FunctionSpec> = self
            .entries(root, "functions")
            .iter()
            .filter_map(|e| self.function(e, &context))
            .collect();
        let names: Vec<(&str, &str)> = functions.iter().map(|f| (f.key.as_str(), f.name.as_str())).collect();
        self.unique_names(root, "functions", "function", &names);
        let frontends: Vec<FrontendSpec> = self
            .entries(root, "frontends")
            .iter()
            .filter_map(|e| self.frontend(e, &functions))
            .collect();
        let stack = stack?;
        let context = ScheduleContext {
            stack: &stack.name,
            functions: &functions,
            ses: ses.as_ref(),
        };
        let schedules: Vec<ScheduleSpec> = self
            .entries(root, "schedules")
            .iter()
            .filter_map(|e| self.schedule(e, &context))
            .collect();
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
        self.references(root, &desired);
        Some(desired)
    }

    /// The tables under `[section]`; a problem for each entry that is not a table.
    fn entries<'a>(&mut self, root: &'a toml_edit::Table, section: &str) -> Vec<Entry<'a>> {
        let Some(ts) = self.opt_table(root, "", section) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, item) in ts.iter() {
            match item.as_table_like() {
                Some(t) => out.push(Entry {
                    key,
                    path: join(section, key),
                    t,
                    span: item.span(),
                }),
                None => self.wrong_type(ts, section, key, "a table"),
            }
        }
        out
    }

    /// A problem for each entry whose AWS name (`names`: key, name) an
    /// earlier entry of `section` already uses.
    fn unique_names(&mut self, root: &toml_edit::Table, section: &str, what: &str, names: &[(&str, &str)]) {
        let mut seen = BTreeSet::new();
        for (key, name) in names {
            if seen.insert(*name) {
                continue;
            }
            let span = root
                .get(section)
                .and_then(Item::as_table_like)
                .and_then(|ts| Self::span_of(ts, key));
            self.problem(
                span,
                &join(section, key),
                format!("{what} name `{name}` is used by more than one {what}"),
                Some(format!("give each {what} its own `name`")),
            );
        }
    }

    /// Lambda's 4 KB limit covers every variable of a function, including
    /// the BOSUN_* ones bosun adds (BOSUN_SES_RECIPIENTS grows with the
    /// mailing lists), so it is checked on the environment bosun will send,
    /// each `${…}` reference at its longest value (plan checks the real one).
    /// The default state bucket's name holds the 12-digit account id, whose
    /// length is known before any AWS call.
    fn computed_environments(&mut self, root: &dyn TableLike, desired: &Desired) {
        let state_bucket = desired.stack.state_bucket("000000000000");
        for f in &desired.functions {
            let mut env = f.bosun_environment(desired, &state_bucket);
            env.extend(f.environment.clone());
            // A `${…}` reference counts at the longest value it can have.
            for value in env.values_mut() {
                let (longest, _) = crate::model::references::substitute(value, |t| {
                    Some(crate::model::references::longest_value(desired, t))
                });
                *value = longest;
            }
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
}
