//! Lambda: each selected function's data files, secrets, code,
//! configuration, published version, alias and URL.

use crate::plan::FunctionChange;
use std::collections::{BTreeMap, BTreeSet};

use super::display::short;
use super::references::{self, Resolved};
use super::{AliasTarget, Change, Inputs, Notes, PlanError};
use crate::frontend::LocalFile;
use crate::model::names::PublicStatement;
use crate::model::{Desired, FunctionConfig, FunctionSpec, LiveFunction, Observed, StatementState, UrlAuth};
use crate::policy::ArnScope;

/// Data files whose stored SHA-256 differs from the local file's.
pub(super) fn plan_data(input: &Inputs<'_>, local: &BTreeMap<String, LocalFile>) -> Result<Vec<Change>, PlanError> {
    let mut out = Vec::new();
    let state_bucket = input.desired.stack.state_bucket(&input.observed.account);
    for f in input.selection.functions(input.desired) {
        for (name, path) in &f.data {
            let key = f.data_key(name, path);
            let Some(file) = local.get(&key) else {
                return Err(PlanError::NoPackage {
                    function: format!("{} (data file {name})", f.key),
                });
            };
            if !input
                .observed
                .data
                .get(&key)
                .and_then(Option::as_ref)
                // A single PUT's ETag is the content's MD5 (SSE-S3, the
                // state bucket's encryption).
                .is_some_and(|etag| *etag == crate::model::Etag::Md5(file.md5))
            {
                out.push(Change::Function(FunctionChange::UploadData {
                    function: f.key.clone(),
                    bucket: state_bucket.clone(),
                    file: file.clone(),
                }));
            }
        }
    }
    Ok(out)
}

/// Secrets are created once, as SecureStrings; their values are never read.
pub(super) fn plan_secrets(input: &Inputs<'_>, notes: &mut Notes) -> Result<Vec<Change>, PlanError> {
    let mut out = Vec::new();
    for f in input.selection.functions(input.desired) {
        for name in &f.secrets {
            let parameter = f.secret_parameter(&input.desired.stack.name, name);
            match input.observed.secrets.get(&parameter) {
                Some(Some(kind)) if kind == "SecureString" => notes.unchanged(
                    format!("parameter{parameter}"),
                    "secret exists (its value is never read or changed)".into(),
                ),
                Some(Some(kind)) => {
                    return Err(PlanError::SecretNotSecure {
                        parameter,
                        kind: kind.clone(),
                    })
                }
                _ => out.push(Change::Function(FunctionChange::CreateSecret {
                    function: f.key.clone(),
                    parameter,
                })),
            }
        }
    }
    Ok(out)
}

/// The functions' changes (code, configuration, versions) and, apart, their
/// aliases' and URLs' (which apply runs after every function is published).
pub(super) fn plan(
    input: &Inputs<'_>,
    packages: &BTreeMap<String, String>,
    notes: &mut Notes,
) -> Result<(Vec<Change>, Vec<Change>), PlanError> {
    let mut functions = Vec::new();
    let mut aliases = Vec::new();
    for f in input.selection.functions(input.desired) {
        let sha = packages.get(&f.key).ok_or_else(|| PlanError::NoPackage {
            function: f.key.clone(),
        })?;
        let (want, resolved) = resolved_config(input.desired, f, sha, input.observed);
        // The stack file's check counts each reference at its longest; here
        // it is the real value (a custom domain, a function URL's region).
        let size = crate::model::environment_size(&want.environment);
        if size > crate::model::ENVIRONMENT_MAX_BYTES {
            return Err(PlanError::EnvironmentTooLarge {
                function: f.key.clone(),
                size,
                max: crate::model::ENVIRONMENT_MAX_BYTES,
                detail: format!("{} reference(s)", resolved.len()),
            });
        }
        notes.references.extend(resolved);
        let live = input.observed.functions.get(&f.name).and_then(Option::as_ref);
        let before = functions.len() + aliases.len();
        match live {
            None => {
                functions.push(Change::Function(FunctionChange::CreateFunction {
                    function: f.key.clone(),
                    name: f.name.clone(),
                    config: want,
                }));
                aliases.push(Change::Function(FunctionChange::PointAlias {
                    function: f.key.clone(),
                    name: f.name.clone(),
                    alias: f.alias.clone(),
                    target: AliasTarget::Published,
                    from: None,
                }));
            }
            Some(live) => plan_function(f, live, &want, &mut functions, &mut aliases),
        }
        let reserved = live.and_then(|l| l.reserved_concurrency);
        if reserved != f.reserved_concurrency {
            functions.push(Change::Function(FunctionChange::PutConcurrency {
                function: f.key.clone(),
                name: f.name.clone(),
                from: reserved,
                to: f.reserved_concurrency,
            }));
        }
        plan_url(f, live, &mut aliases);
        if functions.len() + aliases.len() == before {
            let version = live.and_then(|l| l.alias.clone()).unwrap_or_default();
            notes.unchanged(
                format!("function/{}", f.name),
                format!("alias `{}` → version {version}, code {}", f.alias, short(sha)),
            );
        }
    }
    Ok((functions, aliases))
}
/// The configuration a function should have, in Lambda's terms: the
/// declared environment plus the variables bosun sets (`BOSUN_*`).
pub fn want_config(desired: &Desired, f: &FunctionSpec, code_sha256: &str, scope: &ArnScope<'_>) -> FunctionConfig {
    let role_arn = scope.role(f.role_name());
    let mut environment = f.bosun_environment(desired, &desired.stack.state_bucket(scope.account));
    environment.extend(f.environment.clone());
    FunctionConfig {
        code_sha256: code_sha256.to_string(),
        memory: f.memory,
        timeout: f.timeout,
        description: f.description.clone(),
        environment,
        runtime: f.runtime.as_str().to_string(),
        architecture: f.arch.as_str().to_string(),
        role: role_arn,
        handler: "bootstrap".to_string(),
    }
}

/// [`want_config`] with the environment's `${…}` references resolved
/// against `observed`, and how each was resolved.
pub fn resolved_config(
    desired: &Desired,
    f: &FunctionSpec,
    code_sha256: &str,
    observed: &Observed,
) -> (FunctionConfig, Vec<Resolved>) {
    let mut config = want_config(desired, f, code_sha256, &ArnScope::of(observed));
    let resolved = references::resolve(desired, observed, f, &mut config.environment);
    (config, resolved)
}

/// Configuration differences (not code, not architecture: those travel with the code).
pub fn config_diff(live: &FunctionConfig, want: &FunctionConfig) -> Vec<String> {
    let mut d = Vec::new();
    if live.memory != want.memory {
        d.push(format!("memory {} → {} MB", live.memory, want.memory));
    }
    if live.timeout != want.timeout {
        d.push(format!("timeout {} → {} s", live.timeout, want.timeout));
    }
    if live.description != want.description {
        d.push("description".to_string());
    }
    if live.environment != want.environment {
        let keys: BTreeSet<&String> = live.environment.keys().chain(want.environment.keys()).collect();
        let changed: Vec<&str> = keys
            .into_iter()
            .filter(|k| live.environment.get(*k) != want.environment.get(*k))
            .map(String::as_str)
            .collect();
        // Names only: values may be sensitive and never go into output.
        d.push(format!("environment ({})", changed.join(", ")));
    }
    if live.runtime != want.runtime {
        d.push(format!("runtime {} → {}", live.runtime, want.runtime));
    }
    if live.role != want.role {
        d.push("execution role".to_string());
    }
    if live.handler != want.handler {
        d.push(format!("handler {} → {}", live.handler, want.handler));
    }
    d
}

/// True when a version (or `$LATEST`) runs exactly the wanted code and configuration.
fn matches(live: &FunctionConfig, want: &FunctionConfig) -> bool {
    live.code_sha256 == want.code_sha256 && live.architecture == want.architecture && config_diff(live, want).is_empty()
}

fn plan_function(
    f: &FunctionSpec,
    live: &LiveFunction,
    want: &FunctionConfig,
    functions: &mut Vec<Change>,
    aliases: &mut Vec<Change>,
) {
    let alias_version = live.alias.as_deref();
    let alias_ok = alias_version
        .and_then(|v| live.version(v))
        .is_some_and(|v| matches(&v.config, want));
    if alias_ok {
        return;
    }
    let point = |target: AliasTarget| {
        Change::Function(FunctionChange::PointAlias {
            function: f.key.clone(),
            name: f.name.clone(),
            alias: f.alias.clone(),
            target,
            from: alias_version.map(str::to_string),
        })
    };
    // A version that already runs exactly this code and configuration (an
    // earlier deploy, a rollback target, an interrupted run) is reused rather
    // than published again.
    if let Some(existing) = live.versions.iter().rev().find(|v| matches(&v.config, want)) {
        aliases.push(point(AliasTarget::Existing(existing.version.clone())));
        return;
    }
    if live.latest.code_sha256 != want.code_sha256 || live.latest.architecture != want.architecture {
        functions.push(Change::Function(FunctionChange::UpdateCode {
            function: f.key.clone(),
            name: f.name.clone(),
            from: live.latest.code_sha256.clone(),
            to: want.code_sha256.clone(),
        }));
    }
    let diff = config_diff(&live.latest, want);
    if !diff.is_empty() {
        functions.push(Change::Function(FunctionChange::UpdateConfig {
            function: f.key.clone(),
            name: f.name.clone(),
            config: want.clone(),
            diff,
        }));
    }
    functions.push(Change::Function(FunctionChange::PublishVersion {
        function: f.key.clone(),
        name: f.name.clone(),
        code_sha256: want.code_sha256.clone(),
    }));
    aliases.push(point(AliasTarget::Published));
}

fn plan_url(f: &FunctionSpec, live: Option<&LiveFunction>, out: &mut Vec<Change>) {
    let live_url = live.and_then(|l| l.url.as_ref());
    let public = live.map(|l| l.public_url).unwrap_or_default();
    let ids = || (f.key.clone(), f.name.clone(), f.alias.clone());
    match &f.url {
        Some(want) => {
            let auth = want.auth.as_str().to_string();
            if live_url.is_none_or(|u| u.auth != auth) {
                let (function, name, alias) = ids();
                out.push(Change::Function(FunctionChange::PutUrl {
                    function,
                    name,
                    alias,
                    auth,
                    create: live_url.is_none(),
                }));
            }
            if want.auth == UrlAuth::None {
                // A statement with bosun's id that says something else is
                // removed first (AddPermission refuses a taken id).
                let wrong = [public.invoke_url, public.invoke_function].contains(&StatementState::Wrong);
                if wrong {
                    let (function, name, alias) = ids();
                    out.push(Change::Function(FunctionChange::RemovePublicUrl {
                        function,
                        name,
                        alias,
                    }));
                }
                for (state, statement) in [
                    (public.invoke_url, PublicStatement::InvokeFunctionUrl),
                    (public.invoke_function, PublicStatement::InvokeFunction),
                ] {
                    if wrong || state != StatementState::Present {
                        let (function, name, alias) = ids();
                        out.push(Change::Function(FunctionChange::AllowPublicUrl {
                            function,
                            name,
                            alias,
                            statement,
                        }));
                    }
                }
            }
            if want.auth == UrlAuth::AwsIam && public.any() {
                let (function, name, alias) = ids();
                out.push(Change::Function(FunctionChange::RemovePublicUrl {
                    function,
                    name,
                    alias,
                }));
            }
        }
        None => {
            if public.any() {
                let (function, name, alias) = ids();
                out.push(Change::Function(FunctionChange::RemovePublicUrl {
                    function,
                    name,
                    alias,
                }));
            }
            if live_url.is_some() {
                let (function, name, alias) = ids();
                out.push(Change::Function(FunctionChange::DeleteUrl { function, name, alias }));
            }
        }
    }
}
