//! The planner: `(Desired, packages, Observed) -> Plan`, a pure function.
//!
//! No async and no I/O here. This is where "nothing changed → empty plan"
//! lives: every change is derived from a difference between what the stack
//! asks for and what AWS has, so a second deploy with nothing changed plans
//! nothing and makes no write call. The plan is data: printed by `bosun plan`,
//! executed in order by `apply`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::frontend::LocalFile;
use crate::model::names::{events_sid, PublicStatement, EVENTS_SID_PREFIX, TARGET_ID};
use crate::model::{
    Billing, Desired, DistributionSpec, FrontendSpec, FunctionConfig, FunctionSpec, LiveFrontend, LiveFunction,
    LiveTtl, Observed, Selection, StatementState, Stored, UrlAuth,
};
use crate::policy::{self, ArnScope};

/// Which version an alias should point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasTarget {
    /// The version this deploy publishes (or creates) for the function.
    Published,
    /// An existing version whose code and configuration already match.
    Existing(String),
}

/// One write to AWS, in the order apply runs them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Change {
    CreateRole {
        role: String,
        trust: Value,
    },
    UpdateTrust {
        role: String,
        trust: Value,
    },
    PutRolePolicy {
        role: String,
        policy: Value,
    },
    CreateTable {
        table: String,
        name: String,
    },
    UpdateBilling {
        name: String,
        from: String,
        to: Billing,
    },
    SetTtl {
        name: String,
        attribute: String,
        enabled: bool,
    },
    /// A function's data file, to the state bucket (before the function changes).
    UploadData {
        function: String,
        bucket: String,
        file: LocalFile,
    },
    /// A function's secret: an SSM SecureString parameter with a random
    /// value, created once (before the function that reads it).
    CreateSecret {
        function: String,
        parameter: String,
    },
    CreateFunction {
        function: String,
        name: String,
        config: FunctionConfig,
    },
    UpdateCode {
        function: String,
        name: String,
        from: String,
        to: String,
    },
    UpdateConfig {
        function: String,
        name: String,
        config: FunctionConfig,
        diff: Vec<String>,
    },
    PublishVersion {
        function: String,
        name: String,
        code_sha256: String,
    },
    PointAlias {
        function: String,
        name: String,
        alias: String,
        target: AliasTarget,
        from: Option<String>,
    },
    PutUrl {
        function: String,
        name: String,
        alias: String,
        auth: String,
        create: bool,
    },
    /// One of the two statements a `NONE`-auth URL needs.
    AllowPublicUrl {
        function: String,
        name: String,
        alias: String,
        statement: PublicStatement,
    },
    RemovePublicUrl {
        function: String,
        name: String,
        alias: String,
    },
    DeleteUrl {
        function: String,
        name: String,
        alias: String,
    },
    CreateBucket {
        site: String,
        bucket: String,
        region: String,
    },
    EnableVersioning {
        site: String,
        bucket: String,
    },
    /// The stack's CloudFront function for folder index pages (created or
    /// updated, then published), before any distribution uses it.
    PutIndexFunction {
        name: String,
    },
    CreateDistribution {
        site: String,
        bucket: String,
        prefix: String,
        comment: String,
        /// ARN of the viewer-request function the distribution runs.
        index_function: String,
    },
    /// A managed distribution made before bosun attached the index function.
    AttachIndexFunction {
        site: String,
        distribution: String,
        function_arn: String,
    },
    /// The bucket-policy statement letting the managed distribution read
    /// the files (its own step, so a failed put is retried by the next run).
    AllowDistribution {
        site: String,
        bucket: String,
        prefix: String,
        /// The distribution's ARN; `None`: the one this run creates.
        distribution_arn: Option<String>,
    },
    Upload {
        site: String,
        bucket: String,
        phase: UploadPhase,
        files: Vec<LocalFile>,
    },
    Invalidate {
        site: String,
        distribution: String,
        paths: Vec<String>,
        caller_reference: String,
    },
    WriteManifest {
        site: String,
        bucket: String,
        key: String,
        /// ETags and versions of objects this sync does not upload (uploaded ones come from apply).
        #[serde(skip)]
        known: BTreeMap<String, Stored>,
    },
    DeleteObjects {
        site: String,
        bucket: String,
        keys: Vec<String>,
    },
    /// Rollback: copies recorded S3 versions (key, version id) back over their keys.
    RestoreObjects {
        site: String,
        bucket: String,
        objects: Vec<(String, String)>,
    },
    /// Rollback: the site's manifest as the release recorded it.
    WriteRecordedManifest {
        site: String,
        bucket: String,
        key: String,
        #[serde(skip)]
        manifest: crate::model::FrontendManifest,
    },
    /// Lets the rule (by ARN) invoke the function's alias.
    AllowSchedule {
        schedule: String,
        rule: String,
        rule_arn: String,
        name: String,
        alias: String,
        sid: String,
    },
    PutRule {
        schedule: String,
        rule: String,
        expression: String,
        enabled: bool,
        description: String,
        /// What differs from the live rule; empty when it is created.
        diff: Vec<String>,
    },
    PutTarget {
        schedule: String,
        rule: String,
        target_arn: String,
        input: String,
    },
    /// Targets on a stack-owned rule that bosun did not put there.
    RemoveTargets {
        rule: String,
        ids: Vec<String>,
    },
    DeleteRule {
        rule: String,
        target_ids: Vec<String>,
    },
    RemoveSchedulePermission {
        rule: String,
        name: String,
        alias: String,
        sid: String,
    },
}

/// Uploads go in two phases so a page never references an asset not yet there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadPhase {
    Assets,
    Html,
}

fn list_some(items: &[String], max: usize) -> String {
    let mut s = items.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > max {
        s.push_str(&format!(", … ({} more)", items.len() - max));
    }
    s
}

impl Change {
    /// The change's kind as in JSON output, e.g. `put_rule`.
    pub fn action(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v["action"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The resource this change applies to, as `kind/name`.
    pub fn resource(&self) -> String {
        match self {
            Change::CreateRole { role, .. } | Change::UpdateTrust { role, .. } | Change::PutRolePolicy { role, .. } => {
                format!("role/{role}")
            }
            Change::CreateTable { name, .. } | Change::UpdateBilling { name, .. } | Change::SetTtl { name, .. } => {
                format!("table/{name}")
            }
            Change::UploadData { function, .. } => format!("data/{function}"),
            Change::PutIndexFunction { name } => format!("cloudfront-function/{name}"),
            Change::CreateSecret { parameter, .. } => format!("parameter{parameter}"),
            Change::CreateFunction { name, .. }
            | Change::UpdateCode { name, .. }
            | Change::UpdateConfig { name, .. }
            | Change::PublishVersion { name, .. }
            | Change::PointAlias { name, .. }
            | Change::PutUrl { name, .. }
            | Change::AllowPublicUrl { name, .. }
            | Change::RemovePublicUrl { name, .. }
            | Change::DeleteUrl { name, .. } => format!("function/{name}"),
            Change::CreateBucket { site, .. }
            | Change::EnableVersioning { site, .. }
            | Change::CreateDistribution { site, .. }
            | Change::AttachIndexFunction { site, .. }
            | Change::AllowDistribution { site, .. }
            | Change::Upload { site, .. }
            | Change::Invalidate { site, .. }
            | Change::WriteManifest { site, .. }
            | Change::DeleteObjects { site, .. }
            | Change::RestoreObjects { site, .. }
            | Change::WriteRecordedManifest { site, .. } => format!("frontend/{site}"),
            Change::AllowSchedule { rule, .. }
            | Change::PutRule { rule, .. }
            | Change::PutTarget { rule, .. }
            | Change::RemoveTargets { rule, .. }
            | Change::DeleteRule { rule, .. }
            | Change::RemoveSchedulePermission { rule, .. } => format!("schedule/{rule}"),
        }
    }

    /// A short human description of what the change does.
    pub fn describe(&self) -> String {
        match self {
            Change::CreateRole { .. } => "create role (trusts lambda.amazonaws.com)".into(),
            Change::UpdateTrust { .. } => "update trust policy".into(),
            Change::PutRolePolicy { .. } => "put inline policy `bosun`".into(),
            Change::CreateTable { .. } => "create table".into(),
            Change::UpdateBilling { from, to, .. } => format!("billing {from} → {to}"),
            Change::SetTtl {
                attribute,
                enabled: true,
                ..
            } => format!("enable TTL on `{attribute}`"),
            Change::SetTtl {
                attribute,
                enabled: false,
                ..
            } => format!("disable TTL on `{attribute}`"),
            Change::UploadData { bucket, file, .. } => {
                format!("upload {} to s3://{bucket}/{}", file.rel, file.key)
            }
            Change::CreateSecret { .. } => {
                "create SecureString parameter with a random value (never shown; kept on later deploys)".to_string()
            }
            Change::CreateFunction { config, .. } => format!(
                "create function ({}, {}, {} MB, {} s) and publish version 1",
                config.runtime, config.architecture, config.memory, config.timeout
            ),
            Change::UpdateCode { from, to, .. } => {
                format!("update code {} → {}", short(from), short(to))
            }
            Change::UpdateConfig { diff, .. } => {
                format!("update configuration: {}", diff.join(", "))
            }
            Change::PublishVersion { .. } => "publish a new version".into(),
            Change::PointAlias {
                alias, target, from, ..
            } => {
                let to = match target {
                    AliasTarget::Published => "the new version".to_string(),
                    AliasTarget::Existing(v) => format!("existing version {v}"),
                };
                match from {
                    Some(f) => format!("move alias `{alias}` from version {f} to {to}"),
                    None => format!("create alias `{alias}` → {to}"),
                }
            }
            Change::PutUrl {
                alias,
                auth,
                create: true,
                ..
            } => format!("create function URL on `{alias}` (auth {auth})"),
            Change::PutUrl {
                alias,
                auth,
                create: false,
                ..
            } => format!("set function URL auth on `{alias}` to {auth}"),
            Change::AllowPublicUrl {
                statement: PublicStatement::InvokeFunctionUrl,
                ..
            } => "allow anyone to call the NONE-auth URL (lambda:InvokeFunctionUrl)".into(),
            Change::AllowPublicUrl {
                statement: PublicStatement::InvokeFunction,
                ..
            } => "allow invocation through the function URL (lambda:InvokeFunction, InvokedViaFunctionUrl)".into(),
            Change::RemovePublicUrl { .. } => "remove the public URL permissions".into(),
            Change::DeleteUrl { alias, .. } => format!("delete function URL on `{alias}`"),
            Change::CreateBucket { bucket, region, .. } => {
                format!("create bucket {bucket} in {region} (private, versioned)")
            }
            Change::EnableVersioning { bucket, .. } => format!("enable versioning on bucket {bucket}"),
            Change::CreateDistribution { comment, .. } => {
                format!("create CloudFront distribution \"{comment}\" with origin access control and the index function")
            }
            Change::PutIndexFunction { .. } => {
                "create/update and publish the viewer-request function serving folder index pages (/dir/ → /dir/index.html)".into()
            }
            Change::AttachIndexFunction { distribution, .. } => {
                format!("attach the index function to distribution {distribution} (viewer request)")
            }
            Change::AllowDistribution { bucket, prefix, .. } => {
                format!("bucket policy: let the distribution read s3://{bucket}/{prefix}* (origin access control)")
            }
            Change::Upload { phase, files, .. } => {
                let keys: Vec<String> = files.iter().map(|f| f.key.clone()).collect();
                let what = match phase {
                    UploadPhase::Assets => "asset",
                    UploadPhase::Html => "HTML page",
                };
                format!("upload {} {what}(s): {}", files.len(), list_some(&keys, 10))
            }
            Change::Invalidate {
                distribution, paths, ..
            } => {
                format!(
                    "invalidate {} path(s) on {distribution}: {}",
                    paths.len(),
                    list_some(paths, 10)
                )
            }
            Change::WriteManifest { key, .. } => format!("record the synced state in {key}"),
            Change::DeleteObjects { keys, .. } => format!("delete {} object(s): {}", keys.len(), list_some(keys, 10)),
            Change::RestoreObjects { objects, .. } => {
                let keys: Vec<String> = objects.iter().map(|(k, _)| k.clone()).collect();
                format!(
                    "restore {} object(s) from their recorded versions: {}",
                    keys.len(),
                    list_some(&keys, 10)
                )
            }
            Change::WriteRecordedManifest { key, manifest, .. } => {
                format!("record the restored state ({} file(s)) in {key}", manifest.files.len())
            }
            Change::AllowSchedule { name, alias, .. } => {
                format!("allow the rule to invoke {name}:{alias} (lambda permission scoped to the rule ARN)")
            }
            Change::PutRule {
                expression,
                enabled,
                diff,
                ..
            } => {
                let state = if *enabled { "enabled" } else { "disabled" };
                if diff.is_empty() {
                    format!("create rule {expression} ({state})")
                } else {
                    format!("update rule: {}", diff.join(", "))
                }
            }
            Change::PutTarget { target_arn, input, .. } => format!("target {target_arn} with input {input}"),
            Change::RemoveTargets { ids, .. } => format!("remove foreign target(s) {}", ids.join(", ")),
            Change::DeleteRule { .. } => "delete rule and its targets (no longer in the stack)".into(),
            Change::RemoveSchedulePermission { name, alias, .. } => {
                format!("remove the rule's invoke permission from {name}:{alias}")
            }
        }
    }
}

fn short(sha: &str) -> &str {
    if sha.is_empty() {
        "(none)"
    } else {
        &sha[..sha.len().min(10)]
    }
}

/// A resource the plan leaves alone, with why it is already right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchanged {
    pub resource: String,
    pub note: String,
}

/// What a deploy would do.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: Vec<Unchanged>,
    /// What a person should know that is not a change (e.g. a change AWS
    /// is still processing, or one that must wait for a later run).
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut order: Vec<String> = Vec::new();
        let mut by_resource: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for c in &self.changes {
            let r = c.resource();
            if !by_resource.contains_key(&r) {
                order.push(r.clone());
            }
            by_resource.entry(r).or_default().push(c.describe());
        }
        for r in &order {
            let verb = if self.changes.iter().any(|c| {
                c.resource() == *r
                    && matches!(
                        c,
                        Change::CreateRole { .. } | Change::CreateTable { .. } | Change::CreateFunction { .. }
                    )
                    || matches!(c, Change::PutRule { diff, .. } if diff.is_empty())
            }) {
                "create"
            } else {
                "update"
            };
            writeln!(f, "{verb:>7}  {r}")?;
            for d in &by_resource[r] {
                writeln!(f, "           - {d}")?;
            }
        }
        for u in &self.unchanged {
            if !by_resource.contains_key(&u.resource) {
                writeln!(f, "{:>7}  {}  ({})", "ok", u.resource, u.note)?;
            }
        }
        if self.changes.is_empty() {
            writeln!(f, "no changes")?;
        } else {
            writeln!(f, "{} change(s) to {} resource(s)", self.changes.len(), order.len())?;
        }
        Ok(())
    }
}

/// A difference the planner refuses to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "table `{table}` has key schema {live}, but the stack declares {wanted}; DynamoDB cannot change a table's keys\n      help: keep the live key schema in the stack file, or declare a new table (a new `name`) and migrate the data; bosun never deletes a table"
    )]
    KeySchemaChanged {
        table: String,
        live: String,
        wanted: String,
    },
    #[error("secret parameter {parameter} exists as a {kind}, not a SecureString: its value is stored unencrypted\n      help: delete it (or re-create it as a SecureString with the same value); bosun then creates a new random one on the next deploy")]
    SecretNotSecure { parameter: String, kind: String },
    #[error("stack `{stack}` may only be deployed to account {wanted}, but the credentials in use are for account {actual}; nothing was changed\n      help: use the profile or role for account {wanted} (--profile, AWS_PROFILE), or change [stack] account if this stack really moved")]
    WrongAccount {
        stack: String,
        wanted: String,
        actual: String,
    },
    #[error("role {role} serves this stack's functions in {other}; roles are global, so deploying the stack to {region} would rewrite them; nothing was changed\n      help: give this region's functions their own names (`name = \"...\"` per function, which also names the role), or deploy the stack under another name")]
    RoleElsewhere {
        role: String,
        other: String,
        region: String,
    },
    #[error("role {role}: its inline policy would be {size} characters; IAM allows {max} per role (whitespace not counted); nothing was changed\n      help: use fewer tables, data files or secrets on function `{function}`, or split it into functions with narrower access")]
    PolicyTooLarge {
        role: String,
        function: String,
        size: usize,
        max: usize,
    },
    #[error("function `{function}` has no package; it must be built before planning")]
    NoPackage { function: String },
    #[error("frontend `{site}`: bucket {bucket} is in {actual}, but this stack deploys to {wanted}\n      help: use a bucket in {wanted}, or deploy the stack to {actual} (--region / [stack] region)")]
    BucketRegion {
        site: String,
        bucket: String,
        actual: String,
        wanted: String,
    },
    #[error("frontend `{site}`: CloudFront distribution {id} does not exist\n      help: check the id, or set distribution = \"managed\" to let bosun create one")]
    NoDistribution { site: String, id: String },
    #[error("frontend `{site}`: the managed distribution {id} (\"{comment}\") serves {found}, not {wanted}: it belongs to this stack deployed elsewhere (another region or bucket); nothing was changed\n      help: CloudFront is global, so one stack name can have one managed distribution per frontend; deploy the other region under another stack name, or point this frontend at that bucket")]
    DistributionElsewhere {
        site: String,
        id: String,
        comment: String,
        found: String,
        wanted: String,
    },
    #[error("schedule `{schedule}` targets function `{function}`, which is not deployed yet\n      help: run `bosun deploy all` (or `bosun deploy functions {function}`) first")]
    ScheduleTargetMissing { schedule: String, function: String },
    #[error("schedule `{schedule}`: a rule named {rule} exists but is not owned by this stack (no tag bosun:stack = {stack})\n      help: bosun never changes rules it does not own; rename the schedule key, or delete/tag the rule if it really is this stack's")]
    ForeignRule {
        schedule: String,
        rule: String,
        stack: String,
    },
    #[error("release {release} cannot be restored: {missing} no longer exist(s); nothing was changed\n      help: pick another release (`bosun releases`); versions deleted by pruning or by hand cannot be brought back")]
    ReleaseIncomplete { release: String, missing: String },
    #[error("frontend `{site}`: the site folder is empty but {count} object(s) would be deleted from the bucket\n      help: check `dir` (a failed build step?); pass --force-deletes to really empty the site")]
    EmptyFrontend { site: String, count: usize },
    #[error("frontend `{site}`: {count} object(s) would be deleted, more than max_deletes = {max} (e.g. {sample})\n      help: check the site folder; raise max_deletes, or pass --force-deletes if this is intended")]
    TooManyDeletes {
        site: String,
        count: usize,
        max: usize,
        sample: String,
    },
}

/// What was built and scanned locally.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// Function key → base64 SHA-256 of its zip.
    pub packages: BTreeMap<String, String>,
    /// Frontend key → its scanned files.
    pub sites: BTreeMap<String, Vec<LocalFile>>,
    /// State-bucket key → a function's data file, hashed.
    pub data: BTreeMap<String, LocalFile>,
}

/// Choices the user made for this run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Allow deletions past `max_deletes` (and emptying a site).
    pub force_deletes: bool,
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

/// Computes the plan.
pub fn plan(
    desired: &Desired,
    local: &Local,
    observed: &Observed,
    selection: &Selection,
    options: Options,
) -> Result<Plan, PlanError> {
    check_account(desired, observed)?;
    let packages = &local.packages;
    let scope = ArnScope {
        partition: &observed.partition,
        region: &observed.region,
        account: &observed.account,
    };
    let mut roles = Vec::new();
    let mut tables = Vec::new();
    let mut functions = Vec::new();
    let mut aliases = Vec::new();
    let mut unchanged = Vec::new();
    let mut warnings = Vec::new();

    let selected = selection.functions(desired);

    for f in &selected {
        let role = f.role_name().to_string();
        let trust = policy::lambda_trust();
        let policy = policy::execution_policy(desired, f, &scope);
        check_policy_size(&role, &f.key, &policy)?;
        let live_role = observed.roles.get(&role).and_then(Option::as_ref);
        // The region a role serves: its tag, or (for roles made before bosun
        // tagged them) the region in its policy's log-group ARN.
        let serves = live_role.and_then(|r| r.region.clone().or_else(|| policy_region(r.policy.as_ref())));
        if let Some(other) = serves.filter(|r| *r != observed.region) {
            return Err(PlanError::RoleElsewhere {
                role,
                other,
                region: observed.region.clone(),
            });
        }
        match live_role {
            None => {
                roles.push(Change::CreateRole {
                    role: role.clone(),
                    trust,
                });
                roles.push(Change::PutRolePolicy { role, policy });
            }
            Some(live) => {
                let mut same = true;
                if !policy::same_policy(&live.trust, &trust) {
                    same = false;
                    roles.push(Change::UpdateTrust {
                        role: role.clone(),
                        trust,
                    });
                }
                if !live.policy.as_ref().is_some_and(|p| policy::same_policy(p, &policy)) {
                    same = false;
                    roles.push(Change::PutRolePolicy {
                        role: role.clone(),
                        policy,
                    });
                }
                if same {
                    unchanged.push(Unchanged {
                        resource: format!("role/{role}"),
                        note: "trust and policy match".into(),
                    });
                }
            }
        }
    }

    for t in selection.tables(desired) {
        match observed.tables.get(&t.name).and_then(Option::as_ref) {
            None => {
                tables.push(Change::CreateTable {
                    table: t.key.clone(),
                    name: t.name.clone(),
                });
                if let Some(attr) = &t.ttl_attribute {
                    tables.push(Change::SetTtl {
                        name: t.name.clone(),
                        attribute: attr.clone(),
                        enabled: true,
                    });
                }
            }
            Some(live) => {
                if live.partition_key != t.partition_key || live.sort_key != t.sort_key {
                    let show = |pk: &crate::model::KeyAttr, sk: &Option<crate::model::KeyAttr>| match sk {
                        Some(sk) => format!("partition {pk}, sort {sk}"),
                        None => format!("partition {pk}, no sort key"),
                    };
                    return Err(PlanError::KeySchemaChanged {
                        table: t.name.clone(),
                        live: show(&live.partition_key, &live.sort_key),
                        wanted: show(&t.partition_key, &t.sort_key),
                    });
                }
                let before = tables.len();
                if live.billing != t.billing {
                    tables.push(Change::UpdateBilling {
                        name: t.name.clone(),
                        from: live.billing.to_string(),
                        to: t.billing,
                    });
                }
                let (ttl_change, ttl_warning) = plan_ttl(&t.name, &live.ttl, t.ttl_attribute.as_deref());
                tables.extend(ttl_change);
                warnings.extend(ttl_warning);
                if tables.len() == before {
                    unchanged.push(Unchanged {
                        resource: format!("table/{}", t.name),
                        note: "keys, billing and TTL match".into(),
                    });
                }
            }
        }
    }

    let mut data = Vec::new();
    let state_bucket = desired.stack.state_bucket(&observed.account);
    for f in &selected {
        for (name, path) in &f.data {
            let key = f.data_key(name, path);
            let Some(file) = local.data.get(&key) else {
                return Err(PlanError::NoPackage {
                    function: format!("{} (data file {name})", f.key),
                });
            };
            if observed.data.get(&key).and_then(Option::as_deref) != Some(file.sha256.as_str()) {
                data.push(Change::UploadData {
                    function: f.key.clone(),
                    bucket: state_bucket.clone(),
                    file: file.clone(),
                });
            }
        }
    }

    for f in &selected {
        let sha = packages.get(&f.key).ok_or_else(|| PlanError::NoPackage {
            function: f.key.clone(),
        })?;
        let want = want_config(desired, f, sha, &scope);
        let live = observed.functions.get(&f.name).and_then(Option::as_ref);
        let before = functions.len() + aliases.len();
        match live {
            None => {
                functions.push(Change::CreateFunction {
                    function: f.key.clone(),
                    name: f.name.clone(),
                    config: want,
                });
                aliases.push(Change::PointAlias {
                    function: f.key.clone(),
                    name: f.name.clone(),
                    alias: f.alias.clone(),
                    target: AliasTarget::Published,
                    from: None,
                });
            }
            Some(live) => plan_function(f, live, &want, &mut functions, &mut aliases),
        }
        plan_url(f, live, &mut aliases);
        if functions.len() + aliases.len() == before {
            let version = live.and_then(|l| l.alias.clone()).unwrap_or_default();
            unchanged.push(Unchanged {
                resource: format!("function/{}", f.name),
                note: format!("alias `{}` → version {version}, code {}", f.alias, short(sha)),
            });
        }
    }

    let mut sites = Vec::new();
    let index_function = desired.stack.index_function();
    if selection.frontends(desired).iter().any(|f| f.is_managed()) && observed.index_function != Some(true) {
        sites.push(Change::PutIndexFunction {
            name: index_function.clone(),
        });
    }
    let frontend_ctx = FrontendContext {
        stack: &desired.stack.name,
        scope: &scope,
        index_function: scope.cloudfront_function(&index_function),
    };
    for spec in selection.frontends(desired) {
        let files = local.sites.get(&spec.key).map(Vec::as_slice).unwrap_or_default();
        let live = observed.sites.get(&spec.key).cloned().unwrap_or_default();
        let before = sites.len();
        plan_frontend(spec, &frontend_ctx, files, &live, options, &mut sites)?;
        if sites.len() == before {
            unchanged.push(Unchanged {
                resource: format!("frontend/{}", spec.key),
                note: format!(
                    "{} file(s) in sync in s3://{}/{}",
                    files.len(),
                    spec.bucket,
                    spec.prefix
                ),
            });
        }
    }

    let mut secrets = Vec::new();
    for f in &selected {
        for name in &f.secrets {
            let parameter = f.secret_parameter(&desired.stack.name, name);
            match observed.secrets.get(&parameter) {
                Some(Some(kind)) if kind == "SecureString" => unchanged.push(Unchanged {
                    resource: format!("parameter{parameter}"),
                    note: "secret exists (its value is never read or changed)".into(),
                }),
                Some(Some(kind)) => {
                    return Err(PlanError::SecretNotSecure {
                        parameter,
                        kind: kind.clone(),
                    })
                }
                _ => secrets.push(Change::CreateSecret {
                    function: f.key.clone(),
                    parameter,
                }),
            }
        }
    }

    let (schedules, schedule_deletions) = plan_schedules(desired, observed, selection, &scope, &mut unchanged)?;

    let mut changes = roles;
    changes.extend(tables);
    changes.extend(data);
    changes.extend(secrets);
    changes.extend(functions);
    changes.extend(aliases);
    changes.extend(sites);
    changes.extend(schedules);
    changes.extend(schedule_deletions);
    Ok(Plan {
        changes,
        unchanged,
        warnings,
    })
}

/// The region named by the first regional (logs) ARN in a policy bosun wrote.
fn policy_region(policy: Option<&Value>) -> Option<String> {
    let text = policy?.to_string();
    let at = text.find(":logs:")? + ":logs:".len();
    let region = text[at..].split(':').next()?;
    (!region.is_empty()).then(|| region.to_string())
}

/// IAM refuses a role whose inline policies exceed 10,240 characters; say so
/// before anything is written rather than in the middle of a deploy.
fn check_policy_size(role: &str, function: &str, policy: &Value) -> Result<(), PlanError> {
    let size = policy::policy_size(policy);
    if size > policy::ROLE_POLICY_MAX_CHARS {
        return Err(PlanError::PolicyTooLarge {
            role: role.to_string(),
            function: function.to_string(),
            size,
            max: policy::ROLE_POLICY_MAX_CHARS,
        });
    }
    Ok(())
}

/// `[stack] account`: any other account is refused before anything is written.
pub fn check_account(desired: &Desired, observed: &Observed) -> Result<(), PlanError> {
    match &desired.stack.account {
        Some(wanted) if *wanted != observed.account => Err(PlanError::WrongAccount {
            stack: desired.stack.name.clone(),
            wanted: wanted.clone(),
            actual: observed.account.clone(),
        }),
        _ => Ok(()),
    }
}

/// At most one TTL change per table per run: DynamoDB accepts one
/// UpdateTimeToLive per table per hour (UpdateTimeToLive API reference), and
/// reports a change still processing as ENABLING or DISABLING. Moving TTL to
/// another attribute therefore takes two runs: this one disables the old
/// attribute, a run at least an hour later enables the new one.
fn plan_ttl(table: &str, live: &LiveTtl, want: Option<&str>) -> (Option<Change>, Option<String>) {
    let set = |attribute: &str, enabled: bool| {
        Some(Change::SetTtl {
            name: table.to_string(),
            attribute: attribute.to_string(),
            enabled,
        })
    };
    let later = "DynamoDB allows one TTL change per table per hour: run the deploy again in an hour to finish it";
    match (live, want) {
        (LiveTtl::Enabled(a), Some(w)) if a == w => (None, None),
        (LiveTtl::Enabling(a), Some(w)) if a == w => (None, None),
        (LiveTtl::Disabled, None) | (LiveTtl::Disabling(_), None) => (None, None),
        (LiveTtl::Disabled, Some(w)) => (set(w, true), None),
        (LiveTtl::Enabled(a), None) => (set(a, false), None),
        (LiveTtl::Enabled(a), Some(w)) => (
            set(a, false),
            Some(format!(
                "table {table}: TTL moves from `{a}` to `{w}`; this run disables it on `{a}` (expired items are then kept). {later}"
            )),
        ),
        (LiveTtl::Enabling(a), _) => (
            None,
            Some(format!(
                "table {table}: TTL on `{a}` is still being enabled (ENABLING), so it cannot be changed yet. {later}"
            )),
        ),
        (LiveTtl::Disabling(a), Some(w)) => (
            None,
            Some(format!(
                "table {table}: TTL on `{a}` is still being disabled (DISABLING); TTL on `{w}` can be enabled once that has finished. {later}"
            )),
        ),
    }
}

/// Plans the schedules: per rule the invoke permission, the rule, its one
/// target; then, last, the removal of stack-owned rules (and their
/// permissions) that the stack no longer declares. Rules without the stack's
/// tag are never touched.
fn plan_schedules(
    desired: &Desired,
    observed: &Observed,
    selection: &Selection,
    scope: &ArnScope<'_>,
    unchanged: &mut Vec<Unchanged>,
) -> Result<(Vec<Change>, Vec<Change>), PlanError> {
    let mut out = Vec::new();
    let mut deletions = Vec::new();
    if !selection.includes_schedules() {
        return Ok((out, deletions));
    }
    let deploys_functions = !selection.functions(desired).is_empty();
    for s in selection.schedules(desired) {
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
        let rule_arn = observed
            .rules
            .get(&s.rule)
            .map(|r| r.arn.clone())
            .unwrap_or_else(|| scope.rule(&s.rule));
        let target_arn = scope.alias(&f.name, &f.alias);
        let sid = events_sid(&s.rule);
        let before = out.len();
        if live_fn.and_then(|l| l.event_permissions.get(&sid)) != Some(&rule_arn) {
            if live_fn.is_some_and(|l| l.event_permissions.contains_key(&sid)) {
                // A statement with this id allowing another source: replace it.
                out.push(Change::RemoveSchedulePermission {
                    rule: s.rule.clone(),
                    name: f.name.clone(),
                    alias: f.alias.clone(),
                    sid: sid.clone(),
                });
            }
            out.push(Change::AllowSchedule {
                schedule: s.key.clone(),
                rule: s.rule.clone(),
                rule_arn: rule_arn.clone(),
                name: f.name.clone(),
                alias: f.alias.clone(),
                sid: sid.clone(),
            });
        }
        let live = observed.rules.get(&s.rule);
        if let Some(r) = live.filter(|r| !r.owned) {
            return Err(PlanError::ForeignRule {
                schedule: s.key.clone(),
                rule: r.name.clone(),
                stack: desired.stack.name.clone(),
            });
        }
        let put_rule = |diff: Vec<String>| Change::PutRule {
            schedule: s.key.clone(),
            rule: s.rule.clone(),
            expression: s.expression.clone(),
            enabled: s.enabled,
            description: s.description.clone(),
            diff,
        };
        match live {
            None => out.push(put_rule(Vec::new())),
            Some(r) => {
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
                if !diff.is_empty() {
                    out.push(put_rule(diff));
                }
            }
        }
        let targets = live.map(|r| r.targets.as_slice()).unwrap_or_default();
        let ours = targets.iter().find(|t| t.id == TARGET_ID);
        let same_input =
            |have: Option<&str>| have.and_then(|h| serde_json::from_str::<Value>(h).ok()).as_ref() == Some(&s.input);
        if !ours.is_some_and(|t| t.arn == target_arn && same_input(t.input.as_deref())) {
            out.push(Change::PutTarget {
                schedule: s.key.clone(),
                rule: s.rule.clone(),
                target_arn,
                input: s.input_json(),
            });
        }
        let foreign: Vec<String> = targets
            .iter()
            .filter(|t| t.id != TARGET_ID)
            .map(|t| t.id.clone())
            .collect();
        if !foreign.is_empty() {
            out.push(Change::RemoveTargets {
                rule: s.rule.clone(),
                ids: foreign,
            });
        }
        if out.len() == before {
            unchanged.push(Unchanged {
                resource: format!("schedule/{}", s.rule),
                note: format!(
                    "{} → {}:{} ({})",
                    s.expression,
                    f.name,
                    f.alias,
                    if s.enabled { "enabled" } else { "disabled" }
                ),
            });
        }
    }
    // Removed schedules: owned rules the stack no longer declares, and
    // schedule permissions on the stack's functions that no schedule needs.
    let wanted_rules: BTreeSet<&str> = desired.schedules.iter().map(|s| s.rule.as_str()).collect();
    for r in observed.rules.values() {
        if r.owned && !wanted_rules.contains(r.name.as_str()) {
            deletions.push(Change::DeleteRule {
                rule: r.name.clone(),
                target_ids: r.targets.iter().map(|t| t.id.clone()).collect(),
            });
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
                deletions.push(Change::RemoveSchedulePermission {
                    rule: rule.to_string(),
                    name: f.name.clone(),
                    alias: f.alias.clone(),
                    sid: sid.clone(),
                });
            }
        }
    }
    Ok((out, deletions))
}

/// Plans one frontend sync: bucket, distribution, uploads (assets, then
/// HTML), the invalidation, the manifest, then deletions.
/// What every frontend's plan shares.
struct FrontendContext<'a> {
    stack: &'a str,
    scope: &'a ArnScope<'a>,
    /// ARN of the stack's index-page function.
    index_function: String,
}

fn plan_frontend(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    local: &[LocalFile],
    live: &LiveFrontend,
    options: Options,
    out: &mut Vec<Change>,
) -> Result<(), PlanError> {
    let (stack, scope) = (ctx.stack, ctx.scope);
    let site = spec.key.clone();
    let bucket = spec.bucket.clone();
    let region = scope.region;
    match &live.bucket_region {
        None => out.push(Change::CreateBucket {
            site: site.clone(),
            bucket: bucket.clone(),
            region: region.to_string(),
        }),
        Some(actual) if actual != region => {
            return Err(PlanError::BucketRegion {
                site,
                bucket,
                actual: actual.clone(),
                wanted: region.to_string(),
            })
        }
        Some(_) if !live.versioning => out.push(Change::EnableVersioning {
            site: site.clone(),
            bucket: bucket.clone(),
        }),
        Some(_) => {}
    }
    let distribution = match &spec.distribution {
        DistributionSpec::None => None,
        DistributionSpec::Id(id) => match &live.distribution {
            Some(d) => Some(d.clone()),
            None => return Err(PlanError::NoDistribution { site, id: id.clone() }),
        },
        DistributionSpec::Managed => {
            let allow = |distribution_arn: Option<String>| Change::AllowDistribution {
                site: site.clone(),
                bucket: bucket.clone(),
                prefix: spec.prefix.clone(),
                distribution_arn,
            };
            match &live.distribution {
                None => {
                    out.push(Change::CreateDistribution {
                        site: site.clone(),
                        bucket: bucket.clone(),
                        prefix: spec.prefix.clone(),
                        comment: spec.distribution_comment(stack),
                        index_function: ctx.index_function.clone(),
                    });
                    out.push(allow(None));
                }
                Some(id) => {
                    // Found by its comment, which names the stack and the
                    // frontend but not the region: the same stack deployed in
                    // another region must not take this one over.
                    let wanted = crate::model::names::s3_origin_domain(&bucket, region, scope.partition);
                    let found = &live.setup.origin_domains;
                    if !found.is_empty() && !found.contains(&wanted) {
                        return Err(PlanError::DistributionElsewhere {
                            site,
                            id: id.clone(),
                            comment: spec.distribution_comment(stack),
                            found: found.join(", "),
                            wanted,
                        });
                    }
                    if live.setup.viewer_request_function.as_deref() != Some(ctx.index_function.as_str()) {
                        out.push(Change::AttachIndexFunction {
                            site: site.clone(),
                            distribution: id.clone(),
                            function_arn: ctx.index_function.clone(),
                        });
                    }
                    let arn = scope.distribution(id);
                    let statement = policy::distribution_statement(
                        &policy::distribution_sid(&site),
                        &bucket,
                        &spec.prefix,
                        &arn,
                        scope.partition,
                    );
                    if !live
                        .bucket_policy
                        .as_ref()
                        .is_some_and(|p| policy::has_statement(p, &statement))
                    {
                        out.push(allow(Some(arn)));
                    }
                }
            }
            // A new distribution has nothing cached: no invalidation needed.
            live.distribution.clone()
        }
    };

    let manifest_key = crate::model::names::manifest_key(spec);
    let manifest = live.manifest.as_ref();
    let in_manifest = |f: &LocalFile| {
        manifest
            .and_then(|m| m.files.get(&f.key))
            .is_some_and(|e| e.sha256 == f.sha256 && e.headers == f.headers)
    };
    let in_bucket = |f: &LocalFile| {
        let Some(listed) = live.objects.get(&f.key) else {
            return false;
        };
        match manifest
            .and_then(|m| m.files.get(&f.key))
            .filter(|e| e.etag == listed.etag)
        {
            Some(entry) => entry.sha256 == f.sha256 && entry.headers == f.headers,
            None => live
                .metas
                .get(&f.key)
                .and_then(Option::as_ref)
                .is_some_and(|(sha, headers)| *sha == f.sha256 && *headers == f.headers),
        }
    };
    let (html, assets): (Vec<LocalFile>, Vec<LocalFile>) = local
        .iter()
        .filter(|f| !in_bucket(f))
        .cloned()
        .partition(LocalFile::is_html);
    let changed: Vec<&LocalFile> = local.iter().filter(|f| !in_manifest(f)).collect();

    let local_keys: BTreeSet<&str> = local.iter().map(|f| f.key.as_str()).collect();
    let deletes: Vec<String> = live
        .objects
        .keys()
        .filter(|k| !local_keys.contains(k.as_str()) && **k != manifest_key)
        .cloned()
        .collect();
    if local.is_empty() && !deletes.is_empty() && !options.force_deletes {
        return Err(PlanError::EmptyFrontend {
            site,
            count: deletes.len(),
        });
    }
    if deletes.len() > spec.max_deletes && !options.force_deletes {
        return Err(PlanError::TooManyDeletes {
            site,
            count: deletes.len(),
            max: spec.max_deletes,
            sample: list_some(&deletes, 3),
        });
    }
    // Deleted files a viewer may have cached: those the last sync published
    // (all of them when bosun has no record yet).
    let deleted_served: Vec<&String> = deletes
        .iter()
        .filter(|k| manifest.is_none_or(|m| m.files.contains_key(*k)))
        .collect();

    for (phase, files) in [(UploadPhase::Assets, assets), (UploadPhase::Html, html)] {
        if !files.is_empty() {
            out.push(Change::Upload {
                site: site.clone(),
                bucket: bucket.clone(),
                phase,
                files,
            });
        }
    }
    if let Some(dist) = distribution {
        if !changed.is_empty() || !deleted_served.is_empty() {
            let rel = |key: &'_ str| key.strip_prefix(spec.prefix.as_str()).unwrap_or(key).to_string();
            let rels: Vec<String> = changed
                .iter()
                .map(|f| f.rel.clone())
                .chain(deleted_served.iter().map(|k| rel(k)))
                .collect();
            let paths =
                crate::frontend::invalidation_paths(rels.iter().map(String::as_str), spec.invalidation_max_paths);
            let content: Vec<(&str, &str, &str)> = changed
                .iter()
                .map(|f| (f.key.as_str(), f.sha256.as_str(), f.headers.as_str()))
                .chain(deleted_served.iter().map(|k| (k.as_str(), "deleted", "")))
                .collect();
            out.push(Change::Invalidate {
                site: site.clone(),
                caller_reference: crate::frontend::caller_reference(
                    &dist,
                    live.manifest_version.as_deref(),
                    &paths,
                    &content,
                ),
                distribution: dist,
                paths,
            });
        }
    }
    let uploads_any = out
        .iter()
        .any(|c| matches!(c, Change::Upload { site: s, .. } if *s == site));
    let etags_moved =
        local.iter().any(
            |f| match (manifest.and_then(|m| m.files.get(&f.key)), live.objects.get(&f.key)) {
                (Some(e), Some(l)) => e.etag != l.etag,
                _ => false,
            },
        );
    let manifest_stale = manifest.is_none_or(|m| m.files.len() != local.len())
        || !changed.is_empty()
        || !deleted_served.is_empty()
        || etags_moved;
    if uploads_any || manifest_stale {
        out.push(Change::WriteManifest {
            site: site.clone(),
            bucket: bucket.clone(),
            key: manifest_key,
            known: local
                .iter()
                .filter_map(|f| {
                    let l = live.objects.get(&f.key)?;
                    // The version id is known from the last manifest when its ETag still matches.
                    let version_id = manifest
                        .and_then(|m| m.files.get(&f.key))
                        .filter(|e| e.etag == l.etag)
                        .and_then(|e| e.version_id.clone());
                    Some((
                        f.key.clone(),
                        Stored {
                            etag: l.etag.clone(),
                            version_id,
                        },
                    ))
                })
                .collect(),
        });
    }
    if !deletes.is_empty() {
        out.push(Change::DeleteObjects {
            site,
            bucket,
            keys: deletes,
        });
    }
    Ok(())
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
    let point = |target: AliasTarget| Change::PointAlias {
        function: f.key.clone(),
        name: f.name.clone(),
        alias: f.alias.clone(),
        target,
        from: alias_version.map(str::to_string),
    };
    // A version that already runs exactly this code and configuration (an
    // earlier deploy, a rollback target, an interrupted run) is reused rather
    // than published again.
    if let Some(existing) = live.versions.iter().rev().find(|v| matches(&v.config, want)) {
        aliases.push(point(AliasTarget::Existing(existing.version.clone())));
        return;
    }
    if live.latest.code_sha256 != want.code_sha256 || live.latest.architecture != want.architecture {
        functions.push(Change::UpdateCode {
            function: f.key.clone(),
            name: f.name.clone(),
            from: live.latest.code_sha256.clone(),
            to: want.code_sha256.clone(),
        });
    }
    let diff = config_diff(&live.latest, want);
    if !diff.is_empty() {
        functions.push(Change::UpdateConfig {
            function: f.key.clone(),
            name: f.name.clone(),
            config: want.clone(),
            diff,
        });
    }
    functions.push(Change::PublishVersion {
        function: f.key.clone(),
        name: f.name.clone(),
        code_sha256: want.code_sha256.clone(),
    });
    aliases.push(point(AliasTarget::Published));
}

fn plan_url(f: &FunctionSpec, live: Option<&LiveFunction>, out: &mut Vec<Change>) {
    let live_url = live.and_then(|l| l.url.as_ref());
    let public = live.map(|l| l.public_url).unwrap_or_default();
    let ids = || (f.key.clone(), f.name.clone(), f.alias.clone());
    match &f.url {
        Some(want) => {
            let auth = want.auth.as_str().to_string();
            match live_url {
                None => {
                    let (function, name, alias) = ids();
                    out.push(Change::PutUrl {
                        function,
                        name,
                        alias,
                        auth,
                        create: true,
                    });
                }
                Some(u) if u.auth != auth => {
                    let (function, name, alias) = ids();
                    out.push(Change::PutUrl {
                        function,
                        name,
                        alias,
                        auth,
                        create: false,
                    });
                }
                Some(_) => {}
            }
            if want.auth == UrlAuth::None {
                // A statement with bosun's id that says something else is
                // removed first (AddPermission refuses a taken id).
                let wrong = [public.invoke_url, public.invoke_function].contains(&StatementState::Wrong);
                if wrong {
                    let (function, name, alias) = ids();
                    out.push(Change::RemovePublicUrl { function, name, alias });
                }
                for (state, statement) in [
                    (public.invoke_url, PublicStatement::InvokeFunctionUrl),
                    (public.invoke_function, PublicStatement::InvokeFunction),
                ] {
                    if wrong || state != StatementState::Present {
                        let (function, name, alias) = ids();
                        out.push(Change::AllowPublicUrl {
                            function,
                            name,
                            alias,
                            statement,
                        });
                    }
                }
            }
            if want.auth == UrlAuth::AwsIam && public.any() {
                let (function, name, alias) = ids();
                out.push(Change::RemovePublicUrl { function, name, alias });
            }
        }
        None => {
            if public.any() {
                let (function, name, alias) = ids();
                out.push(Change::RemovePublicUrl { function, name, alias });
            }
            if live_url.is_some() {
                let (function, name, alias) = ids();
                out.push(Change::DeleteUrl { function, name, alias });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LiveFunction, LiveRole, LiveTable, LiveUrl, LiveVersion, UrlPermissions};
    use std::path::Path;

    const SHA: &str = "c2hhLW9uZQ==";

    fn desired(extra: &str) -> Desired {
        let text = format!(
            "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\n\n\
             [functions.api]\nbinary = \"/bin/sh\"\ntables = {{ data = \"read\" }}\n{extra}"
        );
        crate::stack::parse(Path::new("/tmp/t.toml"), &text).expect("valid stack")
    }

    fn packages(sha: &str) -> Local {
        Local {
            packages: BTreeMap::from([("api".to_string(), sha.to_string())]),
            ..Local::default()
        }
    }

    /// Plans the whole stack with default options.
    fn plan_all(d: &Desired, sha: &str, o: &Observed) -> Plan {
        plan(d, &packages(sha), o, &Selection::All, Options::default()).expect("plan")
    }

    fn empty() -> Observed {
        Observed {
            account: "123456789012".into(),
            partition: "aws".into(),
            region: "us-west-2".into(),
            ..Observed::default()
        }
    }

    #[test]
    fn a_secret_is_created_once_and_must_be_a_securestring() {
        let d = desired("secrets = [\"jwt\"]\n");
        let p = plan_all(&d, SHA, &empty());
        let created: Vec<&Change> = p
            .changes
            .iter()
            .filter(|c| matches!(c, Change::CreateSecret { .. }))
            .collect();
        assert_eq!(created.len(), 1);
        assert_eq!(created[0].resource(), "parameter/t/api/jwt");
        let pos = |pred: fn(&Change) -> bool| p.changes.iter().position(pred).unwrap();
        assert!(
            pos(|c| matches!(c, Change::CreateSecret { .. })) < pos(|c| matches!(c, Change::CreateFunction { .. }))
        );
        let mut o = converged(&d, SHA);
        o.secrets.insert("/t/api/jwt".into(), Some("SecureString".into()));
        assert!(plan_all(&d, SHA, &o).changes.is_empty());
        o.secrets.insert("/t/api/jwt".into(), Some("String".into()));
        let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
        assert!(err.to_string().contains("not a SecureString"), "{err}");
    }

    /// What AWS looks like right after a successful deploy of `d` with code `sha`.
    fn converged(d: &Desired, sha: &str) -> Observed {
        let mut o = empty();
        let scope = ArnScope {
            partition: "aws",
            region: "us-west-2",
            account: "123456789012",
        };
        for f in &d.functions {
            o.roles.insert(
                f.role_name().into(),
                Some(LiveRole {
                    arn: scope.role(f.role_name()),
                    trust: policy::lambda_trust(),
                    policy: Some(policy::execution_policy(d, f, &scope)),
                    region: Some("us-west-2".into()),
                }),
            );
            let config = want_config(d, f, sha, &scope);
            o.functions.insert(
                f.name.clone(),
                Some(LiveFunction {
                    arn: format!("arn:aws:lambda:us-west-2:123456789012:function:{}", f.name),
                    latest: config.clone(),
                    versions: vec![LiveVersion {
                        version: "1".into(),
                        config,
                    }],
                    alias: Some("1".into()),
                    url: f.url.as_ref().map(|u| LiveUrl {
                        url: "https://x".into(),
                        auth: u.auth.as_str().into(),
                    }),
                    public_url: if f.url.as_ref().is_some_and(|u| u.auth == UrlAuth::None) {
                        UrlPermissions::both()
                    } else {
                        UrlPermissions::default()
                    },
                    event_permissions: BTreeMap::new(),
                }),
            );
        }
        for t in &d.tables {
            o.tables.insert(
                t.name.clone(),
                Some(LiveTable {
                    arn: scope.table(&t.name),
                    partition_key: t.partition_key.clone(),
                    sort_key: t.sort_key.clone(),
                    billing: t.billing,
                    ttl: t.ttl_attribute.clone().map(LiveTtl::Enabled).unwrap_or_default(),
                }),
            );
        }
        o
    }

    fn actions(p: &Plan) -> Vec<String> {
        p.changes.iter().map(Change::action).collect()
    }

    #[test]
    fn empty_account_creates_in_dependency_order() {
        let d = desired("");
        let p = plan_all(&d, SHA, &empty());
        assert_eq!(
            actions(&p),
            [
                "create_role",
                "put_role_policy",
                "create_table",
                "create_function",
                "point_alias"
            ]
        );
        assert!(p.unchanged.is_empty());
    }

    /// A converged stack with one schedule `tick` on `api`, its rule as `rule` says.
    fn with_schedule(input_live: &str, owned: bool) -> (Desired, Observed) {
        let d = desired(
            "\n[schedules.tick]\nfunction = \"api\"\nexpression = \"rate(1 hour)\"\ninput = { b = 2, a = 1 }\n",
        );
        let mut o = converged(&d, SHA);
        let rule_arn = "arn:aws:events:us-west-2:123456789012:rule/t-tick".to_string();
        o.functions
            .get_mut("t-api")
            .and_then(Option::as_mut)
            .unwrap()
            .event_permissions
            .insert("bosun-events-t-tick".into(), rule_arn.clone());
        o.rules.insert(
            "t-tick".into(),
            crate::model::LiveRule {
                name: "t-tick".into(),
                arn: rule_arn,
                expression: Some("rate(1 hour)".into()),
                enabled: true,
                description: String::new(),
                owned,
                targets: vec![crate::model::LiveTarget {
                    id: "bosun".into(),
                    arn: "arn:aws:lambda:us-west-2:123456789012:function:t-api:live".into(),
                    input: Some(input_live.into()),
                }],
            },
        );
        (d, o)
    }

    #[test]
    fn schedule_input_is_compared_as_json_not_text() {
        let (d, o) = with_schedule("{ \"a\": 1, \"b\": 2 }", true);
        let p = plan_all(&d, SHA, &o);
        assert!(p.is_empty(), "{p}");
        let (d, o) = with_schedule("{\"a\":1,\"b\":3}", true);
        assert_eq!(actions(&plan_all(&d, SHA, &o)), ["put_target"]);
    }

    #[test]
    fn a_foreign_rule_with_the_schedules_name_is_refused() {
        let (d, o) = with_schedule("{}", false);
        let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
        assert!(matches!(err, PlanError::ForeignRule { .. }), "{err}");
    }

    #[test]
    fn a_removed_schedule_deletes_its_rule_then_its_permission() {
        let (_, o) = with_schedule("{}", true);
        let p = plan_all(&desired(""), SHA, &o);
        assert_eq!(actions(&p), ["delete_rule", "remove_schedule_permission"]);
        // Only schedules are planned for `deploy schedules`; functions are not touched.
        let p = plan(
            &desired(""),
            &Local::default(),
            &o,
            &Selection::Schedules,
            Options::default(),
        )
        .unwrap();
        assert_eq!(actions(&p), ["delete_rule", "remove_schedule_permission"]);
    }

    #[test]
    fn converged_state_plans_nothing() {
        let d = desired("url = { auth = \"none\" }\n");
        let p = plan_all(&d, SHA, &converged(&d, SHA));
        assert!(p.is_empty(), "{p}");
        assert_eq!(p.unchanged.len(), 3);
        assert!(p.to_string().contains("no changes"));
    }

    #[test]
    fn new_code_updates_publishes_and_moves_alias() {
        let d = desired("");
        let p = plan_all(&d, "bmV3", &converged(&d, SHA));
        assert_eq!(actions(&p), ["update_code", "publish_version", "point_alias"]);
        assert!(
            matches!(&p.changes[2], Change::PointAlias { target: AliasTarget::Published, from: Some(v), .. } if v == "1")
        );
    }

    #[test]
    fn memory_change_updates_configuration_only() {
        let d = desired("memory = 512\n");
        let before = desired("");
        let p = plan_all(&d, SHA, &converged(&before, SHA));
        assert_eq!(actions(&p), ["update_config", "publish_version", "point_alias"]);
        let Change::UpdateConfig { diff, .. } = &p.changes[0] else {
            unreachable!()
        };
        assert_eq!(diff, &["memory 128 → 512 MB"]);
    }

    #[test]
    fn environment_diff_names_keys_never_values() {
        let d = desired("environment = { TOKEN_NAME = \"s3cr3t-value\" }\n");
        let p = plan_all(&d, SHA, &converged(&desired(""), SHA));
        let text = p.to_string();
        assert!(text.contains("environment (TOKEN_NAME)"), "{text}");
        assert!(!text.contains("s3cr3t-value"), "{text}");
    }

    #[test]
    fn an_existing_matching_version_is_reused_not_republished() {
        let d = desired("");
        let mut o = converged(&d, SHA);
        let f = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
        // Version 2 runs other code and the alias points at it; version 1 matches.
        let mut other = f.versions[0].config.clone();
        other.code_sha256 = "b3RoZXI=".into();
        f.versions.push(LiveVersion {
            version: "2".into(),
            config: other.clone(),
        });
        f.latest = other;
        f.alias = Some("2".into());
        let p = plan_all(&d, SHA, &o);
        assert_eq!(actions(&p), ["point_alias"]);
        assert!(matches!(&p.changes[0], Change::PointAlias { target: AliasTarget::Existing(v), .. } if v == "1"));
    }

    #[test]
    fn interrupted_run_after_update_publishes_without_reuploading() {
        // $LATEST already has the new code (the run died before publishing).
        let d = desired("");
        let mut o = converged(&d, SHA);
        let f = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
        f.latest.code_sha256 = "bmV3".into();
        let p = plan_all(&d, "bmV3", &o);
        assert_eq!(actions(&p), ["publish_version", "point_alias"]);
    }

    #[test]
    fn missing_alias_is_created_on_a_matching_version() {
        let d = desired("");
        let mut o = converged(&d, SHA);
        o.functions.get_mut("t-api").unwrap().as_mut().unwrap().alias = None;
        let p = plan_all(&d, SHA, &o);
        assert_eq!(actions(&p), ["point_alias"]);
        assert!(p.changes[0].describe().starts_with("create alias"));
    }

    #[test]
    fn changed_table_access_rewrites_only_the_policy() {
        let before = desired("");
        let text = "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\n\n\
                    [functions.api]\nbinary = \"/bin/sh\"\ntables = { data = \"read-write\" }\n";
        let d = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
        let p = plan_all(&d, SHA, &converged(&before, SHA));
        assert_eq!(actions(&p), ["put_role_policy"]);
    }

    #[test]
    fn policy_comparison_ignores_string_versus_list_and_order() {
        let d = desired("");
        let mut o = converged(&d, SHA);
        let role = o.roles.get_mut("t-api").unwrap().as_mut().unwrap();
        role.trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]
        });
        if let Some(Value::Array(st)) = role.policy.as_mut().and_then(|p| p.get_mut("Statement")) {
            if let Some(Value::Array(actions)) = st[0].get_mut("Action") {
                actions.reverse();
            }
        }
        assert!(plan_all(&d, SHA, &o).is_empty());
    }

    #[test]
    fn key_schema_change_is_an_error_not_a_replace() {
        let d = desired("");
        let mut o = converged(&d, SHA);
        let t = o.tables.get_mut("t-data").unwrap().as_mut().unwrap();
        t.partition_key.name = "id".into();
        let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
        assert!(matches!(err, PlanError::KeySchemaChanged { .. }));
        assert!(err.to_string().contains("partition id (S)"), "{err}");
    }

    #[test]
    fn ttl_and_billing_changes_update_the_table() {
        let text = "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\nttl_attribute = \"exp\"\n\
                    billing = \"provisioned\"\nread_capacity = 2\nwrite_capacity = 1\n\n\
                    [functions.api]\nbinary = \"/bin/sh\"\ntables = { data = \"read\" }\n";
        let d = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
        let before = desired("");
        let p = plan_all(&d, SHA, &converged(&before, SHA));
        // The policy is unchanged (same table ARN); billing and TTL change.
        assert_eq!(actions(&p), ["update_billing", "set_ttl"]);
    }

    #[test]
    fn a_role_serving_another_region_is_refused() {
        let d = desired("");
        let mut o = converged(&d, SHA);
        o.roles.get_mut("t-api").unwrap().as_mut().unwrap().region = Some("eu-west-1".into());
        let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
        assert!(matches!(err, PlanError::RoleElsewhere { .. }), "{err}");
        assert!(err.to_string().contains("in eu-west-1"), "{err}");
        // A role from before bosun tagged regions: its policy's log-group ARN
        // says which region it serves.
        o.roles.get_mut("t-api").unwrap().as_mut().unwrap().region = None;
        assert!(plan_all(&d, SHA, &o).is_empty());
        let role = o.roles.get_mut("t-api").unwrap().as_mut().unwrap();
        let moved = role
            .policy
            .as_ref()
            .unwrap()
            .to_string()
            .replace(":logs:us-west-2:", ":logs:eu-west-1:");
        role.policy = Some(serde_json::from_str(&moved).unwrap());
        let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
        assert!(err.to_string().contains("in eu-west-1"), "{err}");
    }

    #[test]
    fn a_managed_distribution_serving_another_regions_bucket_is_refused() {
        let d = desired("[frontends.web]\ndir = \"/tmp\"\nbucket = \"b-site\"\ndistribution = \"managed\"\n");
        let mut o = converged(&d, SHA);
        let site = LiveFrontend {
            bucket_region: Some("us-west-2".into()),
            versioning: true,
            distribution: Some("E1".into()),
            setup: crate::model::Setup {
                viewer_request_function: Some("arn:aws:cloudfront::123456789012:function/bosun-t-index".into()),
                origin_domains: vec!["b-site.s3.eu-west-1.amazonaws.com".into()],
            },
            ..LiveFrontend::default()
        };
        o.sites.insert("web".into(), site);
        o.index_function = Some(true);
        let err = plan(&d, &packages(SHA), &o, &Selection::All, Options::default()).unwrap_err();
        assert!(matches!(err, PlanError::DistributionElsewhere { .. }), "{err}");
        assert!(err.to_string().contains("b-site.s3.eu-west-1.amazonaws.com"), "{err}");
        // Its own region's origin: fine; China's partition has its own suffix.
        assert_eq!(
            crate::model::names::s3_origin_domain("b", "cn-north-1", "aws-cn"),
            "b.s3.cn-north-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn an_inline_policy_past_iams_limit_is_refused() {
        let d = desired("");
        let scope = ArnScope {
            partition: "aws",
            region: "us-west-2",
            account: "123456789012",
        };
        let real = policy::execution_policy(&d, &d.functions[0], &scope);
        assert!(check_policy_size("t-api", "api", &real).is_ok());
        let resources: Vec<String> = (0..200)
            .map(|i| scope.table(&format!("a-rather-long-table-name-number-{i:03}")))
            .collect();
        let big = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["dynamodb:GetItem"], "Resource": resources}
        ]});
        let err = check_policy_size("t-api", "api", &big).unwrap_err();
        assert!(matches!(err, PlanError::PolicyTooLarge { .. }), "{err}");
        assert!(err.to_string().contains("IAM allows 10240"), "{err}");
        // Whitespace does not count.
        let padded = serde_json::to_string_pretty(&real).unwrap();
        assert_eq!(
            policy::policy_size(&real),
            padded.chars().filter(|c| !c.is_whitespace()).count()
        );
    }

    #[test]
    fn another_account_is_refused_before_any_change() {
        let d = desired("");
        let mut d2 = d.clone();
        d2.stack.account = Some("210987654321".into());
        let err = plan(&d2, &packages(SHA), &empty(), &Selection::All, Options::default()).unwrap_err();
        assert!(matches!(err, PlanError::WrongAccount { .. }));
        assert!(err.to_string().contains("account 210987654321"), "{err}");
        d2.stack.account = Some("123456789012".into());
        assert!(!plan_all(&d2, SHA, &empty()).changes.is_empty());
    }

    #[test]
    fn ttl_changes_one_step_per_run_and_waits_out_changes_in_progress() {
        let on = |a: &str| LiveTtl::Enabled(a.into());
        // Nothing to do, including a change AWS is still finishing.
        assert_eq!(plan_ttl("t", &on("exp"), Some("exp")), (None, None));
        assert_eq!(
            plan_ttl("t", &LiveTtl::Enabling("exp".into()), Some("exp")),
            (None, None)
        );
        assert_eq!(plan_ttl("t", &LiveTtl::Disabling("exp".into()), None), (None, None));
        // One UpdateTimeToLive per table per run.
        let actions = |p: (Option<Change>, Option<String>)| {
            (
                p.0.map(|c| match c {
                    Change::SetTtl { attribute, enabled, .. } => format!("{attribute}:{enabled}"),
                    other => other.action(),
                }),
                p.1.is_some(),
            )
        };
        assert_eq!(
            actions(plan_ttl("t", &LiveTtl::Disabled, Some("exp"))),
            (Some("exp:true".into()), false)
        );
        assert_eq!(
            actions(plan_ttl("t", &on("exp"), None)),
            (Some("exp:false".into()), false)
        );
        // Another attribute: disable now, tell the user when to re-run.
        let (change, warning) = plan_ttl("t", &on("old"), Some("new"));
        assert_eq!(actions((change, None)).0.as_deref(), Some("old:false"));
        let warning = warning.expect("a warning");
        assert!(warning.contains("run the deploy again in an hour"), "{warning}");
        // DISABLING is in progress, not "off": no change, a warning.
        let (change, warning) = plan_ttl("t", &LiveTtl::Disabling("old".into()), Some("new"));
        assert!(change.is_none());
        assert!(warning.unwrap().contains("DISABLING"));
        let (change, warning) = plan_ttl("t", &LiveTtl::Enabling("old".into()), Some("new"));
        assert!(change.is_none() && warning.is_some());
    }

    #[test]
    fn url_on_an_existing_function_is_added_with_its_permission_and_removed_with_it() {
        let d = desired("url = { auth = \"none\" }\n");
        let p = plan_all(&d, SHA, &converged(&desired(""), SHA));
        // Both statements Lambda needs for a public URL (since October 2025).
        assert_eq!(actions(&p), ["put_url", "allow_public_url", "allow_public_url"]);
        let statements: Vec<PublicStatement> = p
            .changes
            .iter()
            .filter_map(|c| match c {
                Change::AllowPublicUrl { statement, .. } => Some(*statement),
                _ => None,
            })
            .collect();
        assert_eq!(
            statements,
            [PublicStatement::InvokeFunctionUrl, PublicStatement::InvokeFunction]
        );
        let p = plan_all(&desired(""), SHA, &converged(&d, SHA));
        assert_eq!(actions(&p), ["remove_public_url", "delete_url"]);
        let iam = desired("url = { auth = \"aws-iam\" }\n");
        let p = plan_all(&iam, SHA, &converged(&d, SHA));
        assert_eq!(actions(&p), ["put_url", "remove_public_url"]);
    }

    #[test]
    fn a_url_with_only_the_old_statement_gets_the_second_one() {
        let d = desired("url = { auth = \"none\" }\n");
        let mut o = converged(&d, SHA);
        let live = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
        // A URL made before October 2025: only lambda:InvokeFunctionUrl.
        live.public_url.invoke_function = StatementState::Absent;
        let p = plan_all(&d, SHA, &o);
        assert_eq!(actions(&p), ["allow_public_url"]);
        assert!(matches!(
            p.changes[0],
            Change::AllowPublicUrl {
                statement: PublicStatement::InvokeFunction,
                ..
            }
        ));
        // A statement with bosun's id that says something else is replaced.
        let live = o.functions.get_mut("t-api").unwrap().as_mut().unwrap();
        live.public_url.invoke_function = StatementState::Wrong;
        let p = plan_all(&d, SHA, &o);
        assert_eq!(
            actions(&p),
            ["remove_public_url", "allow_public_url", "allow_public_url"]
        );
    }

    #[test]
    fn selecting_functions_skips_others_and_unused_tables() {
        let text = "[stack]\nname = \"t\"\n\n[tables.data]\npartition_key = \"pk\"\n[tables.other]\npartition_key = \"pk\"\n\n\
                    [functions.api]\nbinary = \"/bin/sh\"\ntables = { data = \"read\" }\n\
                    [functions.worker]\nbinary = \"/bin/sh\"\n";
        let d = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
        let sel = Selection::Functions(["api".to_string()].into());
        let p = plan(&d, &packages(SHA), &empty(), &sel, Options::default()).unwrap();
        let resources: BTreeSet<String> = p.changes.iter().map(Change::resource).collect();
        assert_eq!(
            resources,
            BTreeSet::from(["role/t-api".into(), "table/t-data".into(), "function/t-api".into()])
        );
    }
}
