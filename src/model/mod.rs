//! The typed desired state of a stack, as the stack file declares it.
//!
//! Built only by `stack` (which validates everything first), read by the
//! packager, the planner and apply. Plain data: no I/O, no AWS types.

pub mod digest;
pub mod edge;
pub mod live;
pub mod names;
pub mod references;
pub mod selection;
pub mod site;

pub use digest::{hex, Etag, Hex};
pub use live::*;
pub use selection::Selection;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Serialize;

/// Everything a stack file asks for, validated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Desired {
    /// The stack file this came from.
    pub file: PathBuf,
    pub stack: StackMeta,
    pub ses: Option<SesSpec>,
    pub tables: Vec<TableSpec>,
    pub functions: Vec<FunctionSpec>,
    pub frontends: Vec<FrontendSpec>,
    pub schedules: Vec<ScheduleSpec>,
}

impl Desired {
    pub fn table(&self, key: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.key == key)
    }

    pub fn function(&self, key: &str) -> Option<&FunctionSpec> {
        self.functions.iter().find(|f| f.key == key)
    }

    /// True when the schedule's target function sends e-mail.
    pub fn sends_mail(&self, schedule: &ScheduleSpec) -> bool {
        self.function(&schedule.function).is_some_and(|f| f.send_email)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StackMeta {
    pub name: String,
    /// Region from the stack file; the command line and environment may override it.
    pub region: Option<String>,
    /// IANA time zone schedules' fire times are also shown in (e.g. America/Los_Angeles).
    pub timezone: Option<String>,
    /// The bucket holding releases and the deploy lock (default `bosun-{account}-{stack}`).
    pub state_bucket: Option<String>,
    /// Secret-scan findings (by id) the stack accepts, one entry each.
    pub allow_secrets: Vec<String>,
    /// The only AWS account this stack may be deployed to (12 digits).
    pub account: Option<String>,
    /// The cargo profile crates are built with unless a function names its own.
    pub cargo_profile: Option<String>,
}

impl StackMeta {
    /// The CloudFront function (global, one per stack) serving folder index
    /// pages on the stack's managed distributions.
    /// The name of the stack's response headers policy (security headers).
    pub fn headers_policy(&self) -> String {
        format!("bosun-{}-security-headers", self.name)
    }

    /// The prefix of the stack's origin request policies (one per API).
    pub fn request_policy_prefix(&self) -> String {
        format!("bosun-{}-", self.name)
    }

    /// The origin request policy of frontend `site`'s API.
    pub fn request_policy(&self, site: &str) -> String {
        format!("{}{site}-api", self.request_policy_prefix())
    }

    pub fn index_function(&self) -> String {
        format!("bosun-{}-index", self.name)
    }

    /// The state bucket's name for this account.
    pub fn state_bucket(&self, account: &str) -> String {
        self.state_bucket
            .clone()
            .unwrap_or_else(|| format!("bosun-{account}-{}", self.name))
    }
}

/// An EventBridge rule that invokes a function's alias on a schedule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleSpec {
    /// The stack file's key.
    pub key: String,
    /// The rule's name: `{stack}-{key}`.
    pub rule: String,
    /// `cron(...)` or `rate(...)`, validated.
    pub expression: String,
    /// The target function's stack key.
    pub function: String,
    /// The fixed JSON the function receives.
    pub input: serde_json::Value,
    pub enabled: bool,
    pub description: String,
}

impl ScheduleSpec {
    /// The rule's input as EventBridge stores it: compact JSON, keys sorted.
    pub fn input_json(&self) -> String {
        self.input.to_string()
    }

    /// The report batch the input names (`{"batch": "csuite"}`), if any.
    pub fn batch(&self) -> Option<&str> {
        self.input.get("batch").and_then(serde_json::Value::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SesSpec {
    /// The From address (or a domain, when functions choose the local part).
    pub sender: String,
    /// The SES identities (addresses and/or domains) that must be verified for
    /// sending; one of them covers `sender`. Default: `[sender]`.
    pub identities: Vec<String>,
    /// Every report is BCC'd here (an archive mailbox).
    pub audit_bcc: Option<String>,
    /// The SES configuration set every message is sent with.
    pub configuration_set: Option<String>,
    /// A custom MAIL FROM domain, a subdomain of a domain identity.
    pub mail_from_domain: Option<String>,
    /// Recipients per report batch (batch name → addresses).
    pub recipients: BTreeMap<String, Vec<String>>,
    /// Where SES publishes the configuration set's events (`[ses.events]`);
    /// `Some` exactly when `configuration_set` is (default: CloudWatch).
    pub events: Option<SesEvents>,
}

/// The events bosun's event destination publishes: what a sender needs to
/// see (accepted, bounced, complained about, delivered).
pub const SES_EVENT_TYPES: [&str; 4] = ["SEND", "BOUNCE", "COMPLAINT", "DELIVERY"];

/// `[ses.events]`: bosun's event destination in the configuration set. bosun
/// owns only the destination of this name; others in the set are left alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SesEvents {
    /// The event destination's name in the configuration set (default "bosun").
    pub name: String,
    pub target: EventTarget,
}

/// Where the events go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "destination", rename_all = "lowercase")]
pub enum EventTarget {
    /// CloudWatch metrics with one dimension, taken from a message tag and
    /// `default_value` (the stack name) when a message lacks the tag.
    CloudWatch { dimension: String, default_value: String },
    /// A standard (not FIFO) SNS topic, whose policy must let SES publish.
    Sns { topic_arn: String },
}

impl EventTarget {
    /// The stack file's word for the kind: "cloudwatch" or "sns".
    pub fn kind(&self) -> &'static str {
        match self {
            EventTarget::CloudWatch { .. } => "cloudwatch",
            EventTarget::Sns { .. } => "sns",
        }
    }
}

impl fmt::Display for EventTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventTarget::CloudWatch { dimension, .. } => write!(f, "CloudWatch (dimension {dimension})"),
            EventTarget::Sns { topic_arn } => write!(f, "SNS topic {topic_arn}"),
        }
    }
}

impl SesSpec {
    /// A spec with only a sender: the sender is the one identity.
    pub fn sender_only(sender: &str) -> SesSpec {
        SesSpec {
            sender: sender.to_string(),
            identities: vec![sender.to_string()],
            audit_bcc: None,
            configuration_set: None,
            mail_from_domain: None,
            recipients: BTreeMap::new(),
            events: None,
        }
    }

    /// The domain part of the sender (the sender itself when it is a domain).
    pub fn sender_domain(&self) -> &str {
        self.sender.rsplit_once('@').map_or(self.sender.as_str(), |(_, d)| d)
    }

    /// Every address mail goes to: all recipients, then the audit BCC, each once.
    pub fn destinations(&self) -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for a in self.recipients.values().flatten().chain(self.audit_bcc.iter()) {
            if !all.iter().any(|x| x.eq_ignore_ascii_case(a)) {
                all.push(a.clone());
            }
        }
        all
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AttrType {
    S,
    N,
    B,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::S => "S",
            AttrType::N => "N",
            AttrType::B => "B",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAttr {
    pub name: String,
    pub kind: AttrType,
}

impl fmt::Display for KeyAttr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.kind.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Billing {
    PayPerRequest,
    Provisioned { read: i64, write: i64 },
}

impl fmt::Display for Billing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Billing::PayPerRequest => f.write_str("pay-per-request"),
            Billing::Provisioned { read, write } => {
                write!(f, "provisioned ({read} read / {write} write)")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableSpec {
    /// The key under `[tables.KEY]`; functions refer to tables by it.
    pub key: String,
    /// The DynamoDB table name.
    pub name: String,
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub billing: Billing,
    pub ttl_attribute: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Access {
    Read,
    Write,
    ReadWrite,
}

impl Access {
    pub fn reads(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }
    pub fn writes(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Runtime {
    ProvidedAl2023,
    ProvidedAl2,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::ProvidedAl2023 => "provided.al2023",
            Runtime::ProvidedAl2 => "provided.al2",
        }
    }

    /// The newest glibc the runtime's base image provides.
    pub fn max_glibc(self) -> (u32, u32) {
        match self {
            Runtime::ProvidedAl2023 => (2, 34),
            Runtime::ProvidedAl2 => (2, 26),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// The name Lambda uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Arm64 => "arm64",
        }
    }

    /// The Rust target triple that builds for this architecture on Lambda.
    pub fn rust_target(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-linux-gnu",
            Arch::Arm64 => "aarch64-unknown-linux-gnu",
        }
    }

    pub fn host() -> Option<Arch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Arm64),
            _ => None,
        }
    }
}

/// Where a function's code comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CodeSource {
    /// A cargo crate directory, built by `build` with cargo profile `profile`.
    Crate {
        dir: PathBuf,
        bin: Option<String>,
        build: BuildChoice,
        /// `release` unless the stack's or the function's `cargo_profile` names another.
        profile: String,
    },
    /// A binary built elsewhere (e.g. by an earlier CI step), packaged as is.
    Binary { path: PathBuf },
}

/// How a crate is built (the stack's `build` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BuildChoice {
    /// No `build` key: `cargo` when the host's own build is sure to run on
    /// the runtime, `zig` otherwise (see `build::resolve`).
    Auto,
    /// `cargo zigbuild`: links against exactly the runtime's glibc and
    /// cross-compiles without a system toolchain.
    Zig,
    /// The host's `cargo build --release`.
    Cargo,
}

impl BuildChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildChoice::Auto => "auto",
            BuildChoice::Zig => "zig",
            BuildChoice::Cargo => "cargo",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UrlAuth {
    None,
    AwsIam,
}

impl UrlAuth {
    pub fn as_str(self) -> &'static str {
        match self {
            UrlAuth::None => "NONE",
            UrlAuth::AwsIam => "AWS_IAM",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UrlSpec {
    pub auth: UrlAuth,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionSpec {
    /// The key under `[functions.KEY]`.
    pub key: String,
    /// The Lambda function name (also its execution role's name).
    pub name: String,
    pub code: CodeSource,
    pub runtime: Runtime,
    pub arch: Arch,
    pub memory: i32,
    pub timeout: i32,
    pub description: String,
    pub alias: String,
    pub environment: BTreeMap<String, String>,
    /// Tables this function uses, by table key, with the access it needs.
    pub tables: BTreeMap<String, Access>,
    pub send_email: bool,
    pub url: Option<UrlSpec>,
    /// Data files (name → path) uploaded to the state bucket and read at run time.
    pub data: BTreeMap<String, PathBuf>,
    /// May write archive objects under `archive/{key}/` in the state bucket.
    pub archive: bool,
    /// An event the new code must answer with success in the preflight.
    pub smoke: Option<serde_json::Value>,
    /// Secrets (names) bosun creates once as SSM SecureString parameters with
    /// random values; the function gets each parameter's name, never its value.
    pub secrets: Vec<String>,
    /// Concurrent executions reserved for (and capping) the function; `None`:
    /// no reservation (it shares the account's unreserved pool).
    pub reserved_concurrency: Option<i32>,
}

/// The environment variable naming a table for a function: `BOSUN_TABLE_REPORT_RUNS`.
/// Lambda's limit on a function's environment: 4 KB for all variables
/// together (Lambda quotas).
pub const ENVIRONMENT_MAX_BYTES: usize = 4096;

/// The size an environment counts against that limit. AWS does not document
/// the exact accounting; this is the conservative one, the bytes of the
/// variables as JSON (`{"KEY":"value",...}`), which is never smaller than
/// the keys and values alone.
pub fn environment_size(env: &BTreeMap<String, String>) -> usize {
    serde_json::to_vec(env).map_or(usize::MAX, |v| v.len())
}

pub fn env_name(prefix: &str, key: &str) -> String {
    format!("{prefix}{}", key.to_ascii_uppercase().replace(['-', '.'], "_"))
}

impl FunctionSpec {
    /// The state-bucket key of data file `name`.
    pub fn data_key(&self, name: &str, path: &std::path::Path) -> String {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("dat");
        format!("data/{}/{name}.{ext}", self.key)
    }

    /// The SSM parameter holding secret `name`: `/{stack}/{function}/{name}`.
    pub fn secret_parameter(&self, stack: &str, name: &str) -> String {
        format!("/{stack}/{}/{name}", self.key)
    }

    pub fn archive_prefix(&self) -> String {
        format!("archive/{}/", self.key)
    }

    /// Whether the function reads or writes the state bucket.
    pub fn uses_state(&self) -> bool {
        !self.data.is_empty() || self.archive
    }

    /// The variables bosun sets besides the declared ones: the stack, each
    /// table's name, the SES settings for mail senders, and where its data
    /// and archive live. Addresses and names only; never secrets.
    pub fn bosun_environment(&self, desired: &Desired, state_bucket: &str) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        env.insert("BOSUN_STACK".to_string(), desired.stack.name.clone());
        for key in self.tables.keys() {
            if let Some(t) = desired.table(key) {
                env.insert(env_name("BOSUN_TABLE_", key), t.name.clone());
            }
        }
        if let (true, Some(ses)) = (self.send_email, &desired.ses) {
            env.insert("BOSUN_SES_SENDER".into(), ses.sender.clone());
            if let Some(b) = &ses.audit_bcc {
                env.insert("BOSUN_SES_AUDIT_BCC".into(), b.clone());
            }
            if let Some(c) = &ses.configuration_set {
                env.insert("BOSUN_SES_CONFIGURATION_SET".into(), c.clone());
            }
            if !ses.recipients.is_empty() {
                env.insert(
                    "BOSUN_SES_RECIPIENTS".into(),
                    serde_json::to_string(&ses.recipients).unwrap_or_default(),
                );
            }
        }
        if self.uses_state() {
            env.insert("BOSUN_STATE_BUCKET".into(), state_bucket.to_string());
        }
        for (name, path) in &self.data {
            env.insert(env_name("BOSUN_DATA_", name), self.data_key(name, path));
        }
        if self.archive {
            env.insert("BOSUN_ARCHIVE_PREFIX".into(), self.archive_prefix());
        }
        for name in &self.secrets {
            env.insert(
                env_name("BOSUN_SECRET_", name),
                self.secret_parameter(&desired.stack.name, name),
            );
        }
        env
    }

    pub fn role_name(&self) -> &str {
        &self.name
    }

    pub fn log_group(&self) -> String {
        format!("/aws/lambda/{}", self.name)
    }
}

/// The parts of a Lambda function configuration bosun manages, in the form
/// Lambda reports them: the desired state is built in this shape so the
/// planner compares like with like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionConfig {
    pub code_sha256: String,
    pub memory: i32,
    pub timeout: i32,
    pub description: String,
    pub environment: BTreeMap<String, String>,
    pub runtime: String,
    pub architecture: String,
    pub role: String,
    pub handler: String,
}

/// A cache rule: files matching `glob` (relative to the site folder) get `cache_control`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheRule {
    pub glob: String,
    pub cache_control: String,
}

/// Where a site's CloudFront distribution comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum DistributionSpec {
    /// No CDN in front: nothing to invalidate.
    None,
    /// An existing distribution, by id.
    Id(String),
    /// A distribution bosun creates and finds again by its comment.
    Managed,
}

/// A function served under a path of a frontend's distribution (its URL as
/// a second origin behind a `lambda` origin access control).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiSpec {
    /// The function's stack key.
    pub function: String,
    /// The cache behaviour's path pattern, e.g. `/api/*`.
    pub path: String,
    /// The viewer headers the API reads, forwarded by an origin request
    /// policy bosun owns together with the viewer's address
    /// (`CloudFront-Viewer-Address`); `None`: AWS's managed
    /// AllViewerExceptHostHeader (every viewer header, not the address).
    pub headers: Option<Vec<String>>,
}

/// The headers bosun's origin request policy always forwards to an API: a
/// body's type and its SHA-256 (which the origin access control signs with).
pub const API_BASE_HEADERS: [&str; 2] = ["content-type", "x-amz-content-sha256"];
/// The CloudFront header with the viewer's IP and port ("Add CloudFront
/// request headers"), forwarded by bosun's origin request policy.
pub const VIEWER_ADDRESS_HEADER: &str = "CloudFront-Viewer-Address";
/// AWS's managed "AllViewerExceptHostHeader" origin request policy: every
/// viewer header, cookie and query string, but the Host is the origin's
/// (a function URL answers only to its own host name); for an API that
/// names no headers.
pub const ALL_VIEWER_EXCEPT_HOST_POLICY: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/// Every header bosun's origin request policy for an API forwards: the
/// ones it always does, the API's own, and the viewer's address.
pub fn request_policy_headers(api_headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = API_BASE_HEADERS.iter().map(|h| h.to_string()).collect();
    out.extend(api_headers.iter().cloned());
    out.push(VIEWER_ADDRESS_HEADER.to_string());
    out
}

/// The headers a policy forwards, compared case-insensitively.
pub fn header_set(headers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    out.sort();
    out
}

/// Whether a policy read back forwards exactly `headers`.
pub fn request_policy_current(live: &[String], headers: &[String]) -> bool {
    live == header_set(headers).as_slice()
}

/// Headers an origin request policy may name (CloudFront quotas, "Origin
/// request policies": 10).
pub const ORIGIN_REQUEST_POLICY_MAX_HEADERS: usize = 10;

/// A static site folder synced to S3 behind CloudFront.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FrontendSpec {
    pub key: String,
    pub dir: PathBuf,
    pub bucket: String,
    /// Key prefix in the bucket: empty, or ending in `/`.
    pub prefix: String,
    pub distribution: DistributionSpec,
    /// First matching rule wins.
    pub cache: Vec<CacheRule>,
    /// File extension (without dot, lowercase) → Content-Type.
    pub content_types: BTreeMap<String, String>,
    pub max_deletes: usize,
    pub concurrency: usize,
    /// More invalidation paths than this are collapsed to wildcards.
    pub invalidation_max_paths: usize,
    /// The API behind the same distribution, if any.
    pub api: Option<ApiSpec>,
    /// A custom domain for a managed distribution, with its certificate.
    pub domain: Option<DomainSpec>,
}

/// A managed distribution's own name: an alternate domain name and the ACM
/// certificate (in us-east-1, as CloudFront requires) that covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainSpec {
    pub name: String,
    pub certificate: String,
}

impl FrontendSpec {
    /// The comment that marks a bosun-managed distribution for this site.
    pub fn distribution_comment(&self, stack: &str) -> String {
        format!("bosun {stack}/{}", self.key)
    }

    pub fn is_managed(&self) -> bool {
        matches!(self.distribution, DistributionSpec::Managed)
    }
}
