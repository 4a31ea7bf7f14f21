//! The plan's vocabulary: one `Change` per write to AWS, in the order apply
//! runs them. Serialized into `bosun plan --output json` and the journal.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::frontend::{LocalFile, SiteFile};
use crate::model::names::PublicStatement;
use crate::model::{Billing, DomainSpec, FrontendManifest, FunctionConfig, Stored};

/// Which version an alias should point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AliasTarget {
    /// The version this deploy publishes (or creates) for the function.
    Published,
    /// An existing version whose code and configuration already match.
    Existing(String),
}

/// One write to AWS, in the order apply runs them, by the kind of resource
/// it writes. The JSON is the inner change's (`{"action": …, …}`): the kind
/// adds no level, so plan output and journals read as before
/// (`snapshot.rs` holds every change's JSON byte for byte).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Change {
    Role(RoleChange),
    Table(TableChange),
    Function(FunctionChange),
    Site(SiteChange),
    Edge(EdgeChange),
    Schedule(ScheduleChange),
}

/// The stack's IAM: its permissions boundary and each function's role.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RoleChange {
    /// The stack's permissions boundary (a managed policy), when missing.
    CreateBoundary {
        name: String,
        policy: Value,
    },
    CreateRole {
        role: String,
        trust: Value,
        /// The permissions boundary's ARN.
        boundary: String,
    },
    /// A role made without the stack's boundary (before bosun set one).
    SetRoleBoundary {
        role: String,
        boundary: String,
    },
    PutRolePolicy {
        role: String,
        policy: Value,
    },
}

/// DynamoDB tables.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum TableChange {
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
}

/// A function: its data and secrets, code, configuration, versions, alias, concurrency and URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FunctionChange {
    /// A function's data file, to the state bucket (before the function changes).
    UploadData {
        function: String,
        bucket: String,
        file: LocalFile,
    },
    /// A function's secret: an SSM SecureString parameter with a random
    /// value, created once (before the function that reads it).
    CreateSecret { function: String, parameter: String },
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
    /// Reserve `to` concurrent executions for the function, or (`None`)
    /// remove its reservation.
    PutConcurrency {
        function: String,
        name: String,
        from: Option<i32>,
        to: Option<i32>,
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
}

/// A frontend's files: its bucket, the bucket policy's read grant, uploads, the manifest, deletions, invalidations and a rollback's restores.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SiteChange {
    CreateBucket {
        site: String,
        bucket: String,
        region: String,
    },
    EnableVersioning {
        site: String,
        bucket: String,
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
        files: Vec<SiteFile>,
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
        /// ETags and versions of objects this sync does not upload (uploaded
        /// ones come from apply). Shared: what apply did holds the change too.
        #[serde(skip)]
        known: std::sync::Arc<BTreeMap<String, Stored>>,
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
        manifest: FrontendManifest,
    },
}

/// CloudFront: the index function, policies, a managed distribution and what hangs on it, and the API's grants to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum EdgeChange {
    /// The stack's CloudFront function for folder index pages (created or
    /// updated, then published), before any distribution uses it.
    PutIndexFunction { name: String },
    /// A managed distribution behind an origin access control.
    CreateDistribution(NewDistribution),
    /// The stack's response headers policy (security headers), created or
    /// updated to the headers bosun sets, before any distribution uses it.
    PutHeadersPolicy {
        name: String,
        /// The headers an existing policy sets otherwise (none: a new policy).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        differs: Vec<String>,
    },
    /// The origin request policy of a frontend's API (its headers and the
    /// viewer's address), created or updated before the API's behaviour uses it.
    PutRequestPolicy {
        site: String,
        name: String,
        /// Every header it forwards.
        headers: Vec<String>,
    },
    /// A managed distribution made before bosun set security headers.
    AttachHeadersPolicy {
        site: String,
        distribution: String,
        name: String,
    },
    /// A managed distribution's custom domain set, changed or (`None`) removed.
    SetDomain {
        site: String,
        distribution: String,
        domain: Option<DomainSpec>,
    },
    /// A managed distribution gets (or has repaired) its API origin and path behaviour.
    AttachApi {
        site: String,
        distribution: String,
        api: PlannedApi,
    },
    /// An API origin (and the behaviours targeting it) the frontend no longer has.
    DetachApi {
        site: String,
        distribution: String,
        origin: String,
    },
    /// One of the two statements letting the frontend's distribution call
    /// the API function's URL (its own step, so a failed add is retried).
    AllowCloudFront {
        site: String,
        function: String,
        name: String,
        alias: String,
        statement: PublicStatement,
        /// The distribution's ARN; `None`: the one this run creates.
        distribution_arn: Option<String>,
    },
    /// A CloudFront statement with bosun's id that says something else.
    RemoveCloudFrontPermission {
        site: String,
        name: String,
        alias: String,
        sid: String,
    },
    /// A managed distribution made before bosun tagged its distributions:
    /// tagged `bosun:stack = STACK` first, as the deployer policy lets a
    /// deployer change only distributions carrying its stack's tag.
    TagDistribution {
        site: String,
        distribution: String,
        arn: String,
    },
    /// A managed distribution made before bosun attached the index function.
    AttachIndexFunction {
        site: String,
        distribution: String,
        function_arn: String,
    },
}

/// EventBridge report schedules: the rule, its target and the permission to invoke.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ScheduleChange {
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

/// A managed distribution to create: reading the site's bucket through an
/// origin access control, running the index function, with the stack's
/// security headers and, when the site has one, the API behind a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewDistribution {
    pub site: String,
    pub bucket: String,
    pub prefix: String,
    pub comment: String,
    /// ARN of the viewer-request function the distribution runs.
    pub index_function: String,
    /// The API function behind a path of the same distribution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<PlannedApi>,
    /// The custom domain and its certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainSpec>,
    /// The stack's response headers policy (security headers), by name.
    pub headers_policy: String,
}

/// An API function as a distribution's origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedApi {
    /// The function's stack key.
    pub function: String,
    pub name: String,
    pub alias: String,
    /// The cache behaviour's path pattern.
    pub path: String,
    /// bosun's origin request policy for it, when the API names its headers.
    pub request_policy: Option<String>,
}

/// Uploads go in two phases so a page never references an asset not yet there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadPhase {
    Assets,
    Html,
}

/// A resource the plan leaves alone, with why it is already right.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unchanged {
    pub resource: String,
    pub note: String,
}
