//! `[functions.KEY]`: Lambda functions: code (a crate bosun builds or a
//! prebuilt binary), runtime, limits, alias, environment, table access,
//! e-mail, URL, data files, secrets, the smoke event.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use toml_edit::TableLike;

use super::rules::{cargo_profile_problem, valid_alias, valid_batch, valid_env_key, valid_function_name};
use super::schedules::table_json;
use super::{join, type_name, Entry, Validator};
use toml_edit::Item;

use crate::model::references::{self, Target};
use crate::model::{
    Access, Arch, BuildChoice, CodeSource, Desired, DistributionSpec, FunctionSpec, Runtime, SesSpec, TableSpec,
    UrlAuth, UrlSpec,
};

/// What a function is checked against.
pub(super) struct FunctionContext<'a> {
    pub stack: &'a str,
    pub tables: &'a [TableSpec],
    pub ses: Option<&'a SesSpec>,
    /// `[stack] cargo_profile`: the profile of crates that do not name their own.
    pub cargo_profile: Option<&'a str>,
}

const FUNCTION_KEYS: &[&str] = &[
    "name",
    "crate",
    "bin",
    "build",
    "cargo_profile",
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
    "reserved_concurrency",
];
const URL_KEYS: &[&str] = &["auth"];
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

impl Validator<'_> {
    /// Each check reports its own problems and returns `None` when it found
    /// one; the function is only kept when every check passed.
    pub(super) fn function(&mut self, e: &Entry<'_>, ctx: &FunctionContext<'_>) -> Option<FunctionSpec> {
        let (t, path) = (e.t, e.path.as_str());
        self.only_keys(t, path, FUNCTION_KEYS);
        let name = self.function_name(e, ctx.stack);
        let code = self.code_source(e, ctx.cargo_profile);
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
        let reserved_concurrency = match t.get("reserved_concurrency") {
            None => Some(None),
            Some(_) => self
                .int_in(
                    t,
                    path,
                    "reserved_concurrency",
                    0..=i64::from(i32::MAX),
                    "concurrent executions",
                )
                .map(|n| Some(n as i32)),
        };
        let timeout = match t.get("timeout") {
            None => Some(30),
            Some(_) => self.int_in(t, path, "timeout", 1..=900, "seconds"),
        };
        let description = self.description(e);
        let alias = self.alias(e);
        let environment = self.environment(t, path);
        let tables = self.table_access(e, ctx.tables);
        let send_email = self.send_email(e, ctx.ses);
        let url = self.url(e);
        let data = self.data_files(e);
        let archive = self.opt_bool(t, path, "archive").unwrap_or(false);
        let secrets = self.secrets(e, ctx.stack);
        let smoke = match t.get("smoke") {
            None => Some(None),
            Some(item) => match item.as_table_like() {
                Some(tab) => Some(Some(table_json(tab))),
                None => {
                    self.wrong_type(t, path, "smoke", "a table (the JSON event the function must answer)");
                    None
                }
            },
        };
        Some(FunctionSpec {
            key: e.key.to_string(),
            name: name?,
            description: description?,
            alias: alias?,
            environment: environment?,
            tables: tables?,
            send_email: send_email?,
            url: url?,
            data: data?,
            archive,
            secrets: secrets?,
            smoke: smoke?,
            code: code?,
            runtime: runtime?,
            arch: arch?,
            memory: memory? as i32,
            reserved_concurrency: reserved_concurrency?,
            timeout: timeout? as i32,
        })
    }

    /// The function's name (default `{stack}-{key}`), which also names its role.
    fn function_name(&mut self, e: &Entry<'_>, stack: &str) -> Option<String> {
        let name = self
            .opt_str(e.t, &e.path, "name")
            .unwrap_or_else(|| format!("{stack}-{}", e.key));
        if valid_function_name(&name) {
            return Some(name);
        }
        let at = Self::span_of(e.t, "name").or(e.span.clone());
        self.problem(
            at,
            &join(&e.path, "name"),
            format!("`{name}` is not a valid Lambda function name (it also names the IAM role)"),
            Some("use 1-64 characters: letters, digits, '-' and '_'; shorten the stack name or set `name`".into()),
        );
        None
    }

    /// A `cargo_profile` key of `t` (the stack's or a function's), checked.
    pub(super) fn cargo_profile(&mut self, t: &dyn TableLike, path: &str) -> Option<String> {
        let profile = self.opt_str(t, path, "cargo_profile")?;
        let Some((message, hint)) = cargo_profile_problem(&profile) else {
            return Some(profile);
        };
        let at = Self::span_of(t, "cargo_profile");
        self.problem(at, &join(path, "cargo_profile"), message, Some(hint));
        None
    }

    /// `crate` (bosun builds it) or `binary` (prebuilt), exactly one, and it must exist.
    fn code_source(&mut self, e: &Entry<'_>, stack_profile: Option<&str>) -> Option<CodeSource> {
        let (t, path) = (e.t, e.path.as_str());
        match (t.get("crate"), t.get("binary")) {
            (Some(_), Some(_)) => {
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
                self.missing(
                    e.span.clone(),
                    path,
                    "crate",
                    "add crate = \"../lambdas/NAME\" (a path relative to this file), or binary = \"path/to/bootstrap\"",
                );
                None
            }
            (Some(_), None) => {
                let bin = self.opt_str(t, path, "bin");
                let build = match self.choice(t, path, "build", &["zig", "cargo"]) {
                    Some("zig") => BuildChoice::Zig,
                    Some(_) => BuildChoice::Cargo,
                    None if t.get("build").is_none() => BuildChoice::Auto,
                    None => return None,
                };
                let profile = match (t.get("cargo_profile"), self.cargo_profile(t, path)) {
                    (_, Some(own)) => own,
                    (Some(_), None) => return None,
                    (None, None) => stack_profile.unwrap_or("release").to_string(),
                };
                let rel = self.opt_str(t, path, "crate")?;
                let dir = self.base.join(rel);
                if dir.join("Cargo.toml").is_file() {
                    return Some(CodeSource::Crate {
                        dir,
                        bin,
                        build,
                        profile,
                    });
                }
                let at = Self::span_of(t, "crate");
                self.problem(
                    at,
                    &join(path, "crate"),
                    format!("no Cargo.toml at {}", dir.display()),
                    Some("the path is relative to the stack file's folder".into()),
                );
                None
            }
            (None, Some(_)) => {
                for key in ["bin", "build", "cargo_profile"] {
                    if t.get(key).is_some() {
                        let at = t.key(key).and_then(|k| k.span());
                        self.problem(
                            at,
                            &join(path, key),
                            format!("`{key}` only applies with `crate`"),
                            Some("a prebuilt `binary` is packaged as it is".into()),
                        );
                    }
                }
                let rel = self.opt_str(t, path, "binary")?;
                let p = self.base.join(rel);
                if p.is_file() {
                    return Some(CodeSource::Binary { path: p });
                }
                let at = Self::span_of(t, "binary");
                self.problem(
                    at,
                    &join(path, "binary"),
                    format!("no file at {}", p.display()),
                    Some("build it first; the path is relative to the stack file's folder".into()),
                );
                None
            }
        }
    }

    fn description(&mut self, e: &Entry<'_>) -> Option<String> {
        let description = self.opt_str(e.t, &e.path, "description").unwrap_or_default();
        if description.chars().count() <= 256 {
            return Some(description);
        }
        let at = Self::span_of(e.t, "description");
        self.problem(
            at,
            &join(&e.path, "description"),
            "longer than 256 characters".into(),
            None,
        );
        None
    }

    fn alias(&mut self, e: &Entry<'_>) -> Option<String> {
        let alias = self
            .opt_str(e.t, &e.path, "alias")
            .unwrap_or_else(|| "live".to_string());
        if valid_alias(&alias) {
            return Some(alias);
        }
        let at = Self::span_of(e.t, "alias");
        self.problem(
            at,
            &join(&e.path, "alias"),
            format!("`{alias}` is not a valid alias name"),
            Some("use 1-128 letters, digits, '-' or '_', not only digits".into()),
        );
        None
    }

    /// `tables = { KEY = "read" | "write" | "read-write" }`, each a declared table.
    fn table_access(&mut self, e: &Entry<'_>, tables: &[TableSpec]) -> Option<BTreeMap<String, Access>> {
        let (t, path) = (e.t, e.path.as_str());
        let mut uses = BTreeMap::new();
        let Some(ts) = self.opt_table(t, path, "tables") else {
            return t.get("tables").is_none().then_some(uses);
        };
        let mut ok = true;
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
        ok.then_some(uses)
    }

    /// A function that sends e-mail needs the stack's `[ses]` sender.
    fn send_email(&mut self, e: &Entry<'_>, ses: Option<&SesSpec>) -> Option<bool> {
        let send_email = self.opt_bool(e.t, &e.path, "send_email").unwrap_or(false);
        if !send_email || ses.is_some() {
            return Some(send_email);
        }
        let at = e.t.key("send_email").and_then(|k| k.span());
        self.problem(
            at,
            &join(&e.path, "send_email"),
            "the function sends e-mail but the stack has no sender identity".into(),
            Some("add [ses] with sender = \"reports@example.com\"".into()),
        );
        None
    }

    /// `url = { auth = "aws-iam" | "none" }` (default aws-iam); `Some(None)`: no URL.
    fn url(&mut self, e: &Entry<'_>) -> Option<Option<UrlSpec>> {
        let Some(u) = self.opt_table(e.t, &e.path, "url") else {
            return e.t.get("url").is_none().then_some(None);
        };
        let up = join(&e.path, "url");
        self.only_keys(u, &up, URL_KEYS);
        match self.choice(u, &up, "auth", &["aws-iam", "none"]) {
            Some("none") => Some(Some(UrlSpec { auth: UrlAuth::None })),
            Some(_) => Some(Some(UrlSpec { auth: UrlAuth::AwsIam })),
            None if u.get("auth").is_none() => Some(Some(UrlSpec { auth: UrlAuth::AwsIam })),
            None => None,
        }
    }

    /// `data = { NAME = "file.toml" }`: files beside the stack, each valid TOML or JSON.
    fn data_files(&mut self, e: &Entry<'_>) -> Option<BTreeMap<String, PathBuf>> {
        let mut data = BTreeMap::new();
        let Some(d) = self.opt_table(e.t, &e.path, "data") else {
            return e.t.get("data").is_none().then_some(data);
        };
        let mut ok = true;
        let dp = join(&e.path, "data");
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
        ok.then_some(data)
    }

    /// `secrets = ["jwt"]`: names that map to distinct variables, under a
    /// stack name SSM accepts as a parameter path.
    fn secrets(&mut self, e: &Entry<'_>, stack: &str) -> Option<Vec<String>> {
        let (t, path) = (e.t, e.path.as_str());
        let what = "a secret name (letters, digits, '-' or '_')";
        let Some(list) = self.str_list(t, path, "secrets", valid_batch, what) else {
            return t.get("secrets").is_none().then(Vec::new);
        };
        let mut ok = true;
        let mut seen = BTreeSet::new();
        for name in &list {
            if !seen.insert(name.to_ascii_lowercase().replace('-', "_")) {
                ok = false;
                let at = Self::span_of(t, "secrets");
                self.problem(
                    at,
                    &join(path, "secrets"),
                    format!(
                        "secret `{name}` is listed twice (names differing only in case or '-'/'_' share a variable)"
                    ),
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
        ok.then_some(list)
    }

    pub(super) fn environment(&mut self, t: &dyn TableLike, path: &str) -> Option<BTreeMap<String, String>> {
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

impl Validator<'_> {
    /// Each `${…}` in an environment value names a frontend with a
    /// distribution or a function with a URL (checked once every section is read).
    pub(super) fn references(&mut self, root: &toml_edit::Table, desired: &Desired) {
        for f in &desired.functions {
            for (name, value) in &f.environment {
                let problem = match references::parse(value) {
                    Err(why) => Some(why),
                    Ok(refs) => refs
                        .iter()
                        .find_map(|(text, target)| unresolvable(desired, text, target)),
                };
                let Some(message) = problem else { continue };
                let at = root
                    .get("functions")
                    .and_then(Item::as_table_like)
                    .and_then(|fs| fs.get(&f.key))
                    .and_then(Item::as_table_like)
                    .and_then(|t| t.get("environment"))
                    .and_then(Item::as_table_like)
                    .and_then(|e| Self::span_of(e, name));
                let path = join(&join(&join("functions", &f.key), "environment"), name);
                self.problem(at, &path, message, Some(REFERENCE_HELP.into()));
            }
        }
    }
}

const REFERENCE_HELP: &str =
    "${frontends.KEY.url} is https:// and the frontend's distribution domain; ${functions.KEY.url} is a function's URL";

/// Why `target` cannot be resolved, if it cannot.
fn unresolvable(desired: &Desired, text: &str, target: &Target) -> Option<String> {
    match target {
        Target::Frontend(key) => match desired.frontends.iter().find(|f| f.key == *key) {
            None => Some(format!("{text}: no frontend `{key}` in this stack")),
            Some(f) if f.distribution == DistributionSpec::None => Some(format!(
                "{text}: frontend `{key}` has no distribution, so it has no URL"
            )),
            Some(_) => None,
        },
        Target::Function(key) => match desired.function(key) {
            None => Some(format!("{text}: no function `{key}` in this stack")),
            Some(f) if f.url.is_none() => Some(format!("{text}: function `{key}` has no URL")),
            Some(_) => None,
        },
    }
}
