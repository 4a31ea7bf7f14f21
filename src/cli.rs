//! The command line: clap structs hold only what the user typed; `resolve`
//! turns them plus the stack file into the immutable settings a command runs
//! with; each command is a short pipeline over the library.
//!
//! Exit codes (stable, documented in the README):
//! 0 success · 1 the operation failed (AWS, build) · 2 bad input (stack file,
//! arguments, a binary refused before upload; nothing was changed) · 3 `status`
//! found live state differing from the local build.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::json;

use crate::apply::{self, ApplyContext, ApplyError};
use crate::aws::{self, AwsError, AwsSettings, Call, Clients};
use crate::frontend::{self, FrontendError, LocalFile};
use crate::model::names;
use crate::model::Desired;
use crate::model::{Observed, Selection};
use crate::observe;
use crate::output::{stdout_line, OutputMode, Reporter};
use crate::package::{self, Package, PackageError};
use crate::plan::{self, Plan, PlanError};
use crate::release::{self, Release};
use crate::ses;
use crate::stack::{self, StackError};
use crate::state::{self, Lock, LockRecord, StateStore};

#[derive(Debug, Parser)]
#[command(
    name = "bosun",
    version,
    about = "Deploy a small AWS serverless estate from one stack file"
)]
pub struct Args {
    /// The stack file (default: the only file in stacks/).
    #[arg(long, global = true, env = "BOSUN_STACK")]
    pub stack: Option<PathBuf>,
    /// AWS profile: its credentials are used even when AWS_ACCESS_KEY_ID is set
    /// (default: the standard credential chain).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (default: the stack's `region`, then AWS_REGION / the profile's).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (AWS_ENDPOINT_URL works too).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// text for people; json for CI: one JSON object per line on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputMode::Text)]
    pub output: OutputMode,
    /// More log detail on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, read AWS and print what a deploy would change. Writes nothing.
    Plan {
        /// Plan deletions past a frontend's max_deletes guard.
        #[arg(long)]
        force_deletes: bool,
        /// Show what `bosun rollback` would do instead (no build).
        #[arg(long)]
        rollback: bool,
        /// With --rollback: the release to go back to (default: the one before the latest).
        #[arg(long, requires = "rollback")]
        to: Option<String>,
    },
    /// Bring AWS to the stack's state.
    Deploy {
        /// Wait for CloudFront invalidations to complete.
        #[arg(long, global = true)]
        wait: bool,
        /// Allow deleting more objects than a frontend's max_deletes (or emptying it).
        #[arg(long, global = true)]
        force_deletes: bool,
        /// Wire mail-sending schedules even when `verify-ses` fails (prints a warning).
        #[arg(long, global = true)]
        skip_ses_check: bool,
        /// After recording the release, delete function versions older than the
        /// N most recent releases that no alias or release within N references.
        #[arg(long, global = true, value_name = "N")]
        keep: Option<usize>,
        #[command(flatten)]
        lock: LockArgs,
        #[command(subcommand)]
        what: DeployWhat,
    },
    /// Put functions, frontend and schedules back to an earlier release (no rebuild).
    Rollback {
        /// The release to go back to (default: the one before the latest).
        #[arg(long)]
        to: Option<String>,
        /// Wait for the CloudFront invalidation to complete.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// The stack's releases, newest first.
    Releases,
    /// Print a deployed function's environment (KEY=VALUE lines; a JSON object
    /// with --output json), e.g. to run its handler locally against the stack.
    Env {
        /// The function's stack key.
        function: String,
    },
    /// Remove a deploy lock left by a run that died (only the lock with this id).
    Unlock {
        /// The lock's id, as the locked error names it.
        #[arg(long)]
        id: String,
    },
    /// Live state against the last release (drift): aliases, code, frontend
    /// objects, schedules. Without a release (or with --build): against the local build.
    Status {
        /// Compare each function's live code with the local build instead.
        #[arg(long)]
        build: bool,
    },
    /// Print the least-privilege IAM policy a deployer (a CI role) needs for
    /// this stack: deploy, rollback, status, releases and verify-ses. No AWS call.
    Policy {
        /// The account id for the ARNs (default: [stack] account, else `*`).
        #[arg(long)]
        account: Option<String>,
        /// The AWS partition (aws, aws-cn, aws-us-gov).
        #[arg(long, default_value = "aws")]
        partition: String,
    },
    /// Check that mail from this stack will be sent and delivered (identities,
    /// DKIM, MAIL FROM, account, quota, sandbox recipients, suppression list).
    #[command(name = "verify-ses")]
    VerifySes {
        /// Create missing identities, the MAIL FROM setting and the configuration
        /// set, and print the DNS records to publish.
        #[arg(long)]
        create: bool,
        /// Send one message to the SES mailbox simulator (success@simulator.amazonses.com).
        #[arg(long)]
        send_test: bool,
        /// Fail on warnings and unknowns too.
        #[arg(long)]
        strict: bool,
    },
}

/// How a writing run waits for, and holds, the stack's deploy lock.
#[derive(Debug, Clone, clap::Args)]
pub struct LockArgs {
    /// Wait up to this many seconds for another run's lock (default: fail at once).
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 0)]
    pub lock_wait: u64,
    /// A lock not refreshed for this long is stale and may be taken over.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 900)]
    pub lock_ttl: u64,
}

#[derive(Debug, Subcommand)]
pub enum DeployWhat {
    /// The whole stack: roles, tables, data files, functions, aliases, URLs, frontends, schedules.
    All,
    /// Only the frontends: bucket sync and CloudFront invalidation.
    Frontend,
    /// Only the schedules: EventBridge rules, targets and invoke permissions.
    Schedules,
    /// Only these functions (stack keys; all when none given), with their roles and tables.
    Functions { names: Vec<String> },
}

/// Everything that can stop a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Stack(#[from] StackError),
    #[error("{0}")]
    Package(#[from] PackageError),
    #[error("{0}")]
    Site(#[from] FrontendError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error("{0}")]
    Apply(#[from] Box<ApplyError>),
    #[error("live state differs from the local build")]
    Drift,
    #[error("SES is not ready: see the failed checks")]
    SesNotReady,
    #[error("schedule(s) {schedules} send mail, but SES is not ready; nothing was changed:\n{failed}\n      help: run `bosun verify-ses` for the fixes, or pass --skip-ses-check to wire them anyway")]
    SesGate { schedules: String, failed: String },
    #[error("{0}")]
    Lock(#[from] crate::state::LockError),
    #[error("{0}\n      help: the binary was run locally as Lambda would (runtime API on 127.0.0.1) and refused before upload; nothing was changed")]
    Preflight(#[from] crate::preflight::PreflightError),
    #[error("{} credential-looking value(s) would be deployed; nothing was changed:\n{}\n      help: move secrets to SSM Parameter Store or Secrets Manager; if one is a false positive, add its id to [stack] allow_secrets", .0.len(), .0.iter().map(|f| format!("      - {f}  (id {})", f.id())).collect::<Vec<_>>().join("\n"))]
    Secrets(Vec<crate::secrets::Finding>),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Stack(_) | Failure::Plan(_) | Failure::Secrets(_) | Failure::Preflight(_) => 2,
            Failure::Package(e) if e.is_bad_input() => 2,
            Failure::Site(FrontendError::Read { .. }) => 1,
            Failure::Site(_) => 2,
            Failure::Drift => 3,
            Failure::Apply(e) if matches!(e.error, apply::ApplyStepError::Interrupted) => 130,
            Failure::Package(_)
            | Failure::Aws(_)
            | Failure::Apply(_)
            | Failure::SesNotReady
            | Failure::SesGate { .. }
            | Failure::Lock(_) => 1,
        }
    }
}

/// The resolved settings a command runs with.
pub struct Settings {
    pub desired: Desired,
    pub aws: AwsSettings,
}

/// Finds the stack file: the flag, else the only `stacks/*.toml`.
fn stack_path(flag: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("stacks")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Failure::Usage(
            "no stack file: pass --stack PATH (or set BOSUN_STACK); none found in ./stacks".into(),
        )),
        _ => Err(Failure::Usage(format!(
            "several stack files in ./stacks ({}); choose one with --stack",
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub fn resolve(args: &Args) -> Result<Settings, Failure> {
    let path = stack_path(args.stack.as_deref())?;
    let desired = stack::load(&path)?;
    let aws = AwsSettings {
        region: args.region.clone().or_else(|| desired.stack.region.clone()),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    Ok(Settings { desired, aws })
}

fn selection(desired: &Desired, what: Option<&DeployWhat>) -> Result<Selection, Failure> {
    match what {
        Some(DeployWhat::Functions { names }) if !names.is_empty() => {
            let known: BTreeSet<&str> = desired.functions.iter().map(|f| f.key.as_str()).collect();
            let unknown: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| !known.contains(n))
                .collect();
            if !unknown.is_empty() {
                return Err(Failure::Usage(format!(
                    "unknown function(s): {}; the stack declares: {}",
                    unknown.join(", "),
                    known.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
            Ok(Selection::Functions(names.iter().cloned().collect()))
        }
        Some(DeployWhat::Functions { .. }) => Ok(Selection::Functions(
            desired.functions.iter().map(|f| f.key.clone()).collect(),
        )),
        Some(DeployWhat::Frontend) => Ok(Selection::Frontends),
        Some(DeployWhat::Schedules) => Ok(Selection::Schedules),
        _ => Ok(Selection::All),
    }
}

/// Builds, checks and zips every selected function.
async fn build(
    desired: &Desired,
    sel: &Selection,
    reporter: &mut Reporter,
) -> Result<BTreeMap<String, Package>, Failure> {
    let functions = sel.functions(desired);
    reporter.begin(functions.len(), "building");
    let mut packages = BTreeMap::new();
    for f in functions {
        reporter.started(&format!("function/{}", f.name), "build and package");
        let start = Instant::now();
        let spec = f.clone();
        let pkg = tokio::task::spawn_blocking(move || package::package(&spec))
            .await
            .map_err(|e| Failure::Usage(format!("packaging task failed: {e}")))??;
        reporter.done(
            "packaged",
            &format!("function/{}", f.name),
            "build and package",
            start.elapsed(),
            json!({"code_sha256": pkg.sha256, "zip_bytes": pkg.size, "glibc": pkg.glibc}),
        );
        packages.insert(f.key.clone(), pkg);
    }
    reporter.finish();
    Ok(packages)
}

/// Scans every selected frontend's folder.
async fn scan_frontends(
    desired: &Desired,
    sel: &Selection,
    reporter: &mut Reporter,
) -> Result<BTreeMap<String, Vec<LocalFile>>, Failure> {
    let mut sites = BTreeMap::new();
    for spec in sel.frontends(desired) {
        let start = Instant::now();
        let owned = spec.clone();
        let files = tokio::task::spawn_blocking(move || frontend::scan(&owned))
            .await
            .map_err(|e| Failure::Usage(format!("scanning task failed: {e}")))??;
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        reporter.done(
            "scanned",
            &format!("frontend/{}", spec.key),
            &format!("scan {} file(s)", files.len()),
            start.elapsed(),
            json!({"files": files.len(), "bytes": bytes}),
        );
        sites.insert(spec.key.clone(), files);
    }
    Ok(sites)
}

/// Every selected function's data files, hashed, by state-bucket key.
fn data_files(desired: &Desired, sel: &Selection) -> Result<BTreeMap<String, LocalFile>, Failure> {
    let mut out = BTreeMap::new();
    for f in sel.functions(desired) {
        for (name, path) in &f.data {
            let key = f.data_key(name, path);
            let file = frontend::single(path, &key).map_err(|e| FrontendError::Read {
                site: format!("{} data {name}", f.key),
                path: path.clone(),
                source: e,
            })?;
            out.insert(key, file);
        }
    }
    Ok(out)
}

fn shas(packages: &BTreeMap<String, Package>) -> BTreeMap<String, String> {
    packages.iter().map(|(k, p)| (k.clone(), p.sha256.clone())).collect()
}

/// `bosun plan`'s result.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    pub stack: String,
    pub plan: Plan,
    pub schedules: Vec<ScheduleLine>,
    pub calls: CallSummary,
}

impl fmt::Display for PlanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}:", self.stack)?;
        write!(f, "{}", self.plan)?;
        if !self.schedules.is_empty() {
            writeln!(f, "schedules (next fire times):")?;
            for s in &self.schedules {
                writeln!(f, "{s}")?;
                for t in &s.next {
                    match &t.local {
                        Some(local) => writeln!(f, "      {}   {local}", t.utc)?,
                        None => writeln!(f, "      {}", t.utc)?,
                    }
                }
            }
        }
        Ok(())
    }
}

/// A schedule as the stack declares it, with its next fire times.
#[derive(Debug, Serialize)]
pub struct ScheduleLine {
    pub schedule: String,
    pub rule: String,
    pub expression: String,
    pub target: String,
    pub input: serde_json::Value,
    pub enabled: bool,
    pub next: Vec<crate::cron::Fire>,
}

impl fmt::Display for ScheduleLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {:<32} {}  → {} {}{}",
            self.rule,
            self.expression,
            self.target,
            self.input,
            if self.enabled { "" } else { "  (disabled)" }
        )
    }
}

/// Each selected schedule with its next three fire times (UTC and the stack's time zone).
fn schedule_lines(desired: &Desired, sel: &Selection) -> Vec<ScheduleLine> {
    let tz = desired
        .stack
        .timezone
        .as_deref()
        .and_then(|z| jiff::tz::TimeZone::get(z).ok());
    let now = jiff::Timestamp::now();
    sel.schedules(desired)
        .into_iter()
        .map(|s| {
            let next = crate::cron::Schedule::parse(&s.expression)
                .map(|p| p.next_n(now, 3))
                .unwrap_or_default()
                .into_iter()
                .map(|t| crate::cron::fire(t, tz.as_ref()))
                .collect();
            let target = desired
                .function(&s.function)
                .map(|f| format!("{}:{}", f.name, f.alias))
                .unwrap_or_default();
            ScheduleLine {
                schedule: s.key.clone(),
                rule: s.rule.clone(),
                expression: s.expression.clone(),
                target,
                input: s.input.clone(),
                enabled: s.enabled,
                next,
            }
        })
        .collect()
}

/// Before mail-sending schedules are wired, SES must pass `verify-ses` (reads only).
async fn ses_gate(
    clients: &Clients,
    desired: &Desired,
    plan: &Plan,
    skip: bool,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let mut keys: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::PutRule { schedule, .. }
            | plan::Change::PutTarget { schedule, .. }
            | plan::Change::AllowSchedule { schedule, .. } => Some(schedule.as_str()),
            _ => None,
        })
        .filter(|k| {
            desired
                .schedules
                .iter()
                .any(|s| s.key == *k && s.enabled && desired.sends_mail(s))
        })
        .collect();
    keys.dedup();
    let Some(spec) = desired.ses.as_ref().filter(|_| !keys.is_empty()) else {
        return Ok(());
    };
    if skip {
        reporter.warn(&format!(
            "--skip-ses-check: wiring mail-sending schedule(s) {} without checking SES",
            keys.join(", ")
        ));
        return Ok(());
    }
    let start = Instant::now();
    let volume = ses::Volume::of_stack(desired, jiff::Timestamp::now());
    let observed = ses::observe(&clients.sesv2, spec, false).await;
    let checks = ses::assess(spec, &observed, &clients.region, &volume);
    let report = ses::Report::new(
        &desired.stack.name,
        &clients.region,
        checks,
        Vec::new(),
        false,
        volume.daily(spec),
    );
    // Not knowing the account's state (GetAccount failed: no permission, an
    // outage) is not "ready": sending may be disabled or sandboxed.
    let unknown_account = report
        .checks
        .iter()
        .any(|c| c.check == "account" && c.status == ses::Status::Unknown);
    if !report.ready || unknown_account {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.status == ses::Status::Fail || (c.check == "account" && c.status == ses::Status::Unknown))
            .map(|c| {
                let status = if c.status == ses::Status::Fail {
                    "FAIL"
                } else {
                    "UNKNOWN"
                };
                format!("      {status} {} {}: {}", c.check, c.subject, c.message)
            })
            .collect();
        return Err(Failure::SesGate {
            schedules: keys.join(", "),
            failed: failed.join("\n"),
        });
    }
    reporter.done(
        "ses_verified",
        "ses",
        &format!(
            "verify-ses before wiring {} ({} warning(s), {} unknown)",
            keys.join(", "),
            report.warnings,
            report.unknown
        ),
        start.elapsed(),
        json!({"warnings": report.warnings, "unknown": report.unknown}),
    );
    Ok(())
}

/// How many AWS calls a command made, and which were writes.
#[derive(Debug, Clone, Serialize)]
pub struct CallSummary {
    pub total: usize,
    /// Writes to the stack's resources (the state bucket's are in `state_writes`).
    pub writes: usize,
    pub write_calls: Vec<String>,
    /// Writes to the state bucket: lock, journal, release record.
    pub state_writes: usize,
    /// Every distinct operation called, state bucket included (`Service:Operation`).
    pub operations: Vec<String>,
}

impl CallSummary {
    /// Resource calls, plus the state bucket's writes (releases, lock) counted apart.
    fn with_state(calls: &[Call], state: &[Call]) -> CallSummary {
        let mut s = CallSummary::of(calls);
        s.state_writes = state.iter().filter(|c| c.is_write()).count();
        s.total += state.len();
        let all: BTreeSet<String> = calls.iter().chain(state).map(Call::to_string).collect();
        s.operations = all.into_iter().collect();
        s
    }

    fn of(calls: &[Call]) -> CallSummary {
        let writes: Vec<String> = calls.iter().filter(|c| c.is_write()).map(Call::to_string).collect();
        let all: BTreeSet<String> = calls.iter().map(Call::to_string).collect();
        CallSummary {
            total: calls.len(),
            writes: writes.len(),
            write_calls: writes,
            state_writes: 0,
            operations: all.into_iter().collect(),
        }
    }
}

/// `bosun verify-ses`'s result: the readiness report and the calls made.
#[derive(Debug, Serialize)]
pub struct VerifySesReport {
    #[serde(flatten)]
    pub report: ses::Report,
    pub calls: CallSummary,
}

impl fmt::Display for VerifySesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.report.fmt(f)
    }
}

/// `bosun policy`'s result: the document itself in text (ready for
/// `aws iam put-role-policy --policy-document file://…`).
#[derive(Debug, Serialize)]
pub struct PolicyReport {
    pub policy: serde_json::Value,
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string_pretty(&self.policy).map_err(|_| fmt::Error)?;
        writeln!(f, "{text}")
    }
}

/// `bosun deploy`'s result.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub stack: String,
    pub changes: usize,
    /// The release this deploy recorded (none when nothing changed).
    pub release: Option<String>,
    /// Function versions deleted by --keep, as name:version.
    pub pruned: Vec<String>,
    pub functions: Vec<FunctionLine>,
    pub frontends: Vec<FrontendLine>,
    pub schedules: Vec<ScheduleLine>,
    pub calls: CallSummary,
    pub elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct FrontendLine {
    pub frontend: String,
    pub bucket: String,
    pub prefix: String,
    pub files: usize,
    pub uploaded: usize,
    pub deleted: usize,
    pub distribution: Option<String>,
    pub invalidation: Option<String>,
}

impl fmt::Display for FrontendLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {:<32} s3://{}/{}  {} file(s), {} uploaded, {} deleted",
            self.frontend, self.bucket, self.prefix, self.files, self.uploaded, self.deleted
        )?;
        if let Some(d) = &self.distribution {
            write!(f, "  CloudFront {d}")?;
        }
        if let Some(i) = &self.invalidation {
            write!(f, " (invalidation {i})")?;
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct FunctionLine {
    pub function: String,
    pub name: String,
    pub alias: String,
    pub version: Option<String>,
    pub code_sha256: String,
    pub url: Option<String>,
    pub in_sync: bool,
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes == 0 {
            writeln!(f, "stack {}: no changes (nothing written)", self.stack)?;
        } else {
            writeln!(f, "stack {}: {} change(s) applied", self.stack, self.changes)?;
            if let Some(r) = &self.release {
                writeln!(f, "recorded as release {r} (`bosun releases`, `bosun rollback`)")?;
            }
            if !self.pruned.is_empty() {
                writeln!(f, "pruned version(s): {}", self.pruned.join(", "))?;
            }
        }
        for l in &self.functions {
            writeln!(f, "{l}")?;
        }
        for l in &self.frontends {
            writeln!(f, "{l}")?;
        }
        for l in &self.schedules {
            write!(f, "{l}")?;
            match l.next.first() {
                Some(t) => writeln!(f, "  next {}", t.local.as_deref().unwrap_or(&t.utc))?,
                None => writeln!(f)?,
            }
        }
        write!(f, "{} AWS call(s), {} write(s)", self.calls.total, self.calls.writes)?;
        if self.calls.state_writes > 0 {
            write!(f, " (+{} to the state bucket)", self.calls.state_writes)?;
        }
        writeln!(f, ", {:.1}s", self.elapsed_ms as f64 / 1000.0)
    }
}

impl fmt::Display for FunctionLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {:<32} {} → {:<4} code {}  {}",
            self.name,
            self.alias,
            self.version.as_deref().unwrap_or("-"),
            &self.code_sha256[..self.code_sha256.len().min(12)],
            if self.in_sync {
                "in sync"
            } else {
                "DIFFERS from local build"
            }
        )?;
        if let Some(url) = &self.url {
            write!(f, "  {url}")?;
        }
        Ok(())
    }
}

/// `bosun status`'s result.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub in_sync: bool,
    /// The release live state was compared with (`None`: compared with the local build).
    pub release: Option<String>,
    /// What differs from the release, one line each.
    pub drift: Vec<String>,
    pub functions: Vec<FunctionLine>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}:", self.stack)?;
        for l in &self.functions {
            writeln!(f, "{l}")?;
        }
        match (&self.release, self.in_sync) {
            (Some(r), true) => writeln!(f, "no drift: live state matches release {r}"),
            (Some(r), false) => {
                writeln!(f, "drift against release {r} (changed outside bosun):")?;
                for d in &self.drift {
                    writeln!(f, "  - {d}")?;
                }
                writeln!(
                    f,
                    "run `bosun plan` to see what a deploy would change, or `bosun rollback --to {r}`"
                )
            }
            (None, true) => writeln!(f, "every function's alias runs the local build"),
            (None, false) => writeln!(f, "drift: run `bosun plan` to see what a deploy would change"),
        }
    }
}

/// Each selected function's alias, version and whether it runs the local build.
fn function_lines(
    desired: &Desired,
    sel: &Selection,
    packages: &BTreeMap<String, Package>,
    observed: &Observed,
) -> Vec<FunctionLine> {
    sel.functions(desired)
        .into_iter()
        .map(|f| {
            let live = observed.functions.get(&f.name).and_then(Option::as_ref);
            let version = live.and_then(|l| l.alias.clone());
            let live_sha = version
                .as_deref()
                .and_then(|v| live.and_then(|l| l.version(v)))
                .map(|v| v.config.code_sha256.clone())
                .unwrap_or_default();
            let local = packages.get(&f.key).map(|p| p.sha256.clone()).unwrap_or_default();
            FunctionLine {
                function: f.key.clone(),
                name: f.name.clone(),
                alias: f.alias.clone(),
                version,
                in_sync: !live_sha.is_empty() && live_sha == local,
                code_sha256: if live_sha.is_empty() { local } else { live_sha },
                url: live.and_then(|l| l.url.as_ref()).map(|u| u.url.clone()),
            }
        })
        .collect()
}

/// `bosun verify-ses`: reads SES (creating what is missing with `--create`) and reports every check.
async fn verify_ses(
    settings: &Settings,
    create: bool,
    send_test: bool,
    strict: bool,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let desired = &settings.desired;
    let spec = desired.ses.as_ref().ok_or_else(|| {
        Failure::Usage(format!(
            "{} has no [ses] section: add one with sender = \"reports@example.com\"",
            desired.file.display()
        ))
    })?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    if create {
        // --create writes: the same account guard as a deploy, before any write.
        let (account, _) = clients.identity().await?;
        reporter.target(&account, &clients.region);
        if let Some(wanted) = desired.stack.account.as_ref().filter(|w| **w != account) {
            return Err(Failure::Plan(plan::PlanError::WrongAccount {
                stack: desired.stack.name.clone(),
                wanted: wanted.clone(),
                actual: account,
            }));
        }
    }
    reporter.started("ses", "read identities, account and suppression list");
    let observed = ses::observe(&clients.sesv2, spec, create).await;
    let volume = ses::Volume::of_stack(desired, jiff::Timestamp::now());
    let mut checks = ses::assess(spec, &observed, &clients.region, &volume);
    if send_test {
        checks.push(ses::send_test(&clients.sesv2, spec, &desired.stack.name).await);
    }
    let report = ses::Report::new(
        &desired.stack.name,
        &clients.region,
        checks,
        observed.created,
        strict,
        volume.daily(spec),
    );
    let ready = report.ready;
    reporter.result(
        "verify-ses",
        &VerifySesReport {
            report,
            calls: CallSummary::of(&clients.log.calls()),
        },
    );
    if ready {
        Ok(())
    } else {
        Err(Failure::SesNotReady)
    }
}

async fn run(args: Args, reporter: &mut Reporter) -> Result<(), Failure> {
    let settings = resolve(&args)?;
    match &args.command {
        Command::VerifySes {
            create,
            send_test,
            strict,
        } => return verify_ses(&settings, *create, *send_test, *strict, reporter).await,
        Command::Releases => return releases(&settings, reporter).await,
        Command::Policy { account, partition } => {
            let desired = &settings.desired;
            let account = account.clone().or_else(|| desired.stack.account.clone());
            let region = settings
                .aws
                .region
                .clone()
                .or_else(|| std::env::var("AWS_REGION").ok())
                .unwrap_or_else(|| "*".into());
            let scope = crate::policy::ArnScope {
                partition,
                region: &region,
                account: account.as_deref().unwrap_or("*"),
            };
            let policy = crate::deployer::deployer_policy(desired, &scope);
            reporter.result("policy", &PolicyReport { policy });
            return Ok(());
        }
        Command::Unlock { id } => return unlock(&settings, id, reporter).await,
        Command::Env { function } => return function_env(&settings, function, reporter).await,
        Command::Rollback { to, wait, lock } => {
            return rollback(&settings, to.as_deref(), Some((*wait, lock)), reporter).await;
        }
        Command::Plan { rollback: true, to, .. } => return rollback(&settings, to.as_deref(), None, reporter).await,
        Command::Status { build: false } => {
            if let Some(()) = release_status(&settings, reporter).await? {
                return Ok(());
            }
        }
        _ => {}
    }
    let desired = &settings.desired;
    let what = match &args.command {
        Command::Deploy { what, .. } => Some(what),
        _ => None,
    };
    let sel = selection(desired, what)?;
    let options = plan::Options {
        force_deletes: match &args.command {
            Command::Plan { force_deletes, .. } | Command::Deploy { force_deletes, .. } => *force_deletes,
            _ => false,
        },
    };
    let started = Instant::now();
    let packages = build(desired, &sel, reporter).await?;
    let sites = scan_frontends(desired, &sel, reporter).await?;
    secrets_preflight(desired, &sel, &packages, &sites, reporter)?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let observed = observe::observe(&clients, desired, &sel, &sites).await?;
    reporter.target(&observed.account, &observed.region);
    let local = plan::Local {
        packages: shas(&packages),
        frontends: sites,
        data: data_files(desired, &sel)?,
    };
    let plan = plan::plan(desired, &local, &observed, &sel, options)?;
    for w in &plan.warnings {
        reporter.warn(w);
    }
    match &args.command {
        Command::Plan { .. } => {
            let report = PlanReport {
                stack: desired.stack.name.clone(),
                plan,
                schedules: schedule_lines(desired, &sel),
                calls: CallSummary::of(&clients.log.calls()),
            };
            reporter.result("plan", &report);
            Ok(())
        }
        Command::Deploy {
            wait,
            skip_ses_check,
            keep,
            lock,
            ..
        } => {
            let mut outcome = Outcome::default();
            if !plan.is_empty() {
                preflight(desired, &plan, &packages, &observed, reporter).await?;
                ses_gate(&clients, desired, &plan, *skip_ses_check, reporter).await?;
                let run = LockedRun {
                    clients: &clients,
                    desired,
                    lock,
                    command: deploy_command(&args.command),
                };
                outcome = run
                    .run(reporter, |store, lock, reporter| {
                        Box::pin(deploy_locked(
                            store, lock, reporter, &clients, desired, &sel, &packages, &local, options, *wait, *keep,
                        ))
                    })
                    .await?;
            }
            // Read back what is live now, so the report shows the truth, not the intent.
            let after = if outcome.applied.done.is_empty() {
                observed
            } else {
                observe::observe(&clients, desired, &sel, &local.frontends).await?
            };
            let report = deploy_report(desired, &sel, &packages, &local, &after, outcome, &clients, started);
            reporter.result("deploy", &report);
            Ok(())
        }
        _ => {
            // `status --build` (or no release yet): live code against the local build.
            let functions = function_lines(desired, &sel, &packages, &observed);
            let in_sync = functions.iter().all(|l| l.in_sync);
            reporter.result(
                "status",
                &StatusReport {
                    stack: desired.stack.name.clone(),
                    in_sync,
                    release: None,
                    drift: Vec::new(),
                    functions,
                },
            );
            if in_sync {
                Ok(())
            } else {
                Err(Failure::Drift)
            }
        }
    }
}

/// Refuses credential-looking values in environment variables, frontend files
/// and binaries before any AWS call; `[stack] allow_secrets` overrides one
/// finding per entry.
fn secrets_preflight(
    desired: &Desired,
    sel: &Selection,
    packages: &BTreeMap<String, Package>,
    frontends: &BTreeMap<String, Vec<LocalFile>>,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let mut findings = Vec::new();
    for f in sel.functions(desired) {
        for (k, v) in &f.environment {
            findings.extend(crate::secrets::scan_env(&f.key, k, v));
        }
        if let Some(p) = packages.get(&f.key) {
            findings.extend(p.secrets.iter().cloned());
        }
    }
    for (site, files) in frontends {
        for file in files {
            let bytes = std::fs::read(&file.path).map_err(|source| FrontendError::Read {
                site: site.clone(),
                path: file.path.clone(),
                source,
            })?;
            findings.extend(crate::secrets::scan_bytes(&format!("file:{site}:{}", file.rel), &bytes));
        }
    }
    let allow = &desired.stack.allow_secrets;
    for a in allow.iter().filter(|_| *sel == Selection::All) {
        if !findings.iter().any(|f| &f.id() == a) {
            reporter.warn(&format!(
                "[stack] allow_secrets entry `{a}` matches no finding; remove it"
            ));
        }
    }
    findings.retain(|f| !allow.contains(&f.id()));
    if findings.is_empty() {
        Ok(())
    } else {
        Err(Failure::Secrets(findings))
    }
}

/// Starts each new binary locally as Lambda would before it is uploaded.
async fn preflight(
    desired: &Desired,
    plan: &Plan,
    packages: &BTreeMap<String, Package>,
    observed: &Observed,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let scope = crate::policy::ArnScope {
        partition: &observed.partition,
        region: &observed.region,
        account: &observed.account,
    };
    let mut keys: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::CreateFunction { function, .. } | plan::Change::UpdateCode { function, .. } => {
                Some(function.as_str())
            }
            _ => None,
        })
        .collect();
    keys.dedup();
    for key in keys {
        let (Some(f), Some(p)) = (desired.function(key), packages.get(key)) else {
            continue;
        };
        let host = match std::env::consts::ARCH {
            "aarch64" => "arm64",
            other => other,
        };
        if f.arch.as_str() != host {
            reporter.warn(&format!(
                "preflight of `{key}` skipped: a {} binary cannot run on this {host} machine",
                f.arch.as_str()
            ));
            continue;
        }
        let start = Instant::now();
        let env = plan::want_config(desired, f, &p.sha256, &scope).environment;
        let outcome = crate::preflight::run(key, &p.binary, &env, f.smoke.as_ref(), Duration::from_secs(10)).await?;
        let crate::preflight::Outcome::Ready { smoke_response } = outcome;
        reporter.done(
            "preflight",
            &format!("function/{}", f.name),
            if f.smoke.is_some() {
                "start locally and answer the smoke event"
            } else {
                "start locally under the runtime API"
            },
            start.elapsed(),
            json!({ "smoke_response": smoke_response }),
        );
    }
    Ok(())
}

fn deploy_command(c: &Command) -> String {
    match c {
        Command::Deploy { what, .. } => match what {
            DeployWhat::All => "deploy all".into(),
            DeployWhat::Frontend => "deploy frontend".into(),
            DeployWhat::Schedules => "deploy schedules".into(),
            DeployWhat::Functions { names } if names.is_empty() => "deploy functions".into(),
            DeployWhat::Functions { names } => format!("deploy functions {}", names.join(" ")),
        },
        _ => "bosun".into(),
    }
}

/// What a locked deploy or rollback did.
#[derive(Default)]
struct Outcome {
    applied: apply::Applied,
    changes: usize,
    release: Option<String>,
    pruned: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
fn deploy_report(
    desired: &Desired,
    sel: &Selection,
    packages: &BTreeMap<String, Package>,
    local: &plan::Local,
    after: &Observed,
    outcome: Outcome,
    clients: &Clients,
    started: Instant,
) -> DeployReport {
    let applied = &outcome.applied;
    let count = |site: &str, f: fn(&plan::Change) -> Option<(&str, usize)>| -> usize {
        applied
            .done
            .iter()
            .filter_map(f)
            .filter(|(s, _)| *s == site)
            .map(|(_, n)| n)
            .sum()
    };
    let frontends = sel
        .frontends(desired)
        .into_iter()
        .map(|spec| FrontendLine {
            frontend: spec.key.clone(),
            bucket: spec.bucket.clone(),
            prefix: spec.prefix.clone(),
            files: local.frontends.get(&spec.key).map_or(0, Vec::len),
            uploaded: count(&spec.key, |c| match c {
                plan::Change::Upload { site, files, .. } => Some((site, files.len())),
                _ => None,
            }),
            deleted: count(&spec.key, |c| match c {
                plan::Change::DeleteObjects { site, keys, .. } => Some((site, keys.len())),
                _ => None,
            }),
            distribution: after.frontends.get(&spec.key).and_then(|s| s.distribution.clone()),
            invalidation: applied.invalidations.get(&spec.key).cloned(),
        })
        .collect();
    DeployReport {
        stack: desired.stack.name.clone(),
        changes: outcome.changes,
        release: outcome.release,
        pruned: outcome.pruned,
        functions: function_lines(desired, sel, packages, after),
        frontends,
        schedules: schedule_lines(desired, sel),
        calls: CallSummary::with_state(&clients.log.calls(), &clients.state_log.calls()),
        elapsed_ms: started.elapsed().as_millis() as u64,
    }
}

type LockedBody<'a> = Pin<Box<dyn Future<Output = Result<Outcome, Failure>> + 'a>>;

/// A writing run: takes the stack's lock, runs `body` under it (Ctrl-C
/// stops it), and releases the lock on success, failure and interrupt.
struct LockedRun<'a> {
    clients: &'a Clients,
    desired: &'a Desired,
    lock: &'a LockArgs,
    command: String,
}

impl<'a> LockedRun<'a> {
    async fn run<F>(self, reporter: &mut Reporter, body: F) -> Result<Outcome, Failure>
    where
        F: for<'b> FnOnce(&'b StateStore<'a>, &'b mut Lock, &'b mut Reporter) -> LockedBody<'b>,
    {
        let (account, _) = self.clients.identity().await?;
        let store = StateStore::new(self.clients, self.desired.stack.state_bucket(&account));
        store.ensure().await?;
        let mut lock = store
            .lock(
                &self.command,
                Duration::from_secs(self.lock.lock_ttl),
                Duration::from_secs(self.lock.lock_wait),
                |held| {
                    reporter.warn(&format!(
                        "waiting up to {}s for the lock held by {} ({} since {})",
                        self.lock.lock_wait, held.who, held.command, held.started
                    ))
                },
            )
            .await?;
        if let Some(old) = &lock.took_over {
            reporter.warn(&format!(
                "took over the expired lock of {} ({} since {}); it had applied {} change(s){}",
                old.who,
                old.command,
                old.started,
                old.journal.done.len(),
                if old.journal.done.is_empty() {
                    String::new()
                } else {
                    format!(": {}", old.journal.done.join("; "))
                }
            ));
        }
        // Ctrl-C: the step in flight finishes (and is journaled), then apply
        // stops, and the lock is released below.
        let listener = tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                apply::INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
                eprintln!("interrupt: finishing the step in flight, then stopping");
            }
        });
        let result = body(&store, &mut lock, reporter).await;
        listener.abort();
        match store.unlock(&lock).await {
            Ok(true) => {}
            Ok(false) => reporter.warn("the lock was no longer this run's when it finished (taken over?)"),
            Err(e) => reporter.warn(&format!(
                "could not release the lock: {e}; `bosun unlock --id {}`",
                lock.record.id
            )),
        }
        result
    }
}

/// The deploy lock's journal as apply's step hook (and the test-only fault
/// hook `BOSUN_FAULT_EXIT_AFTER_STEPS=N`, which ends the process after N
/// steps as a kill would: the lock stays behind).
struct LockJournal<'s, 'c> {
    store: &'s StateStore<'c>,
    lock: &'s mut Lock,
    steps: usize,
    exit_after: Option<usize>,
}

impl apply::StepHook for LockJournal<'_, '_> {
    fn done<'a>(
        &'a mut self,
        change: &'a plan::Change,
        extra: &'a serde_json::Value,
    ) -> futures_util::future::BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let line = format!("{}: {}", change.resource(), change.describe());
            let invalidation = match change {
                plan::Change::Invalidate { caller_reference, .. } => extra["invalidation"]
                    .as_str()
                    .map(|id| (caller_reference.clone(), id.to_string())),
                _ => None,
            };
            self.store
                .journal(self.lock, |j| {
                    j.done.push(line);
                    if let Some((r, id)) = invalidation {
                        j.invalidations.insert(r, id);
                    }
                })
                .await
                .map_err(|e| e.to_string())?;
            self.steps += 1;
            if self.exit_after == Some(self.steps) {
                eprintln!("BOSUN_FAULT_EXIT_AFTER_STEPS: exiting after {} step(s)", self.steps);
                std::process::exit(99);
            }
            Ok(())
        })
    }
}

fn fault_exit_after() -> Option<usize> {
    std::env::var("BOSUN_FAULT_EXIT_AFTER_STEPS").ok()?.parse().ok()
}

/// Applies `plan` under the lock with the journal, then records the release.
#[allow(clippy::too_many_arguments)]
async fn apply_and_record(
    store: &StateStore<'_>,
    lock: &mut Lock,
    reporter: &mut Reporter,
    ctx: &ApplyContext<'_>,
    plan: &Plan,
    kind: &str,
    rollback_of: Option<String>,
    keep: Option<usize>,
) -> Result<Outcome, Failure> {
    let mut journal = LockJournal {
        store,
        lock,
        steps: 0,
        exit_after: fault_exit_after(),
    };
    let applied = apply::apply(ctx, plan, reporter, &mut journal)
        .await
        .map_err(Box::new)?;
    let desired = ctx.desired;
    let clients = ctx.clients;
    let everything = observe::observe(clients, desired, &Selection::All, &BTreeMap::new()).await?;
    let mut state = release::capture(desired, &everything);
    // Files recorded before version ids were kept in the manifest: ask S3.
    for rec in state.frontends.values_mut() {
        for (key, entry) in rec.files.iter_mut().filter(|(_, e)| e.version_id.is_none()) {
            entry.version_id = aws::s3::current_version(&clients.s3, &rec.bucket, key).await?;
        }
    }
    // Still ours? (A step that outlived the TTL may have lost the lock.)
    store.journal(lock, |_| {}).await?;
    let last = store.release_ids().await?;
    let record = Release {
        schema: release::SCHEMA,
        id: release::next_id(last.last().map(String::as_str)),
        time: state::now_text(),
        commit: state::commit(desired.file.parent().unwrap_or(Path::new("."))),
        who: state::who(),
        kind: kind.to_string(),
        rollback_of,
        changes: release::summary(&plan.changes),
        state,
    };
    store.put_release(&record).await?;
    reporter.done(
        "released",
        &format!("release/{}", record.id),
        &format!("record release {} ({} change(s))", record.id, record.changes.len()),
        Duration::ZERO,
        json!({"release": record.id}),
    );
    let pruned = match keep {
        Some(n) => {
            store.journal(lock, |_| {}).await?;
            prune(store, clients, desired, &everything, n, reporter).await?
        }
        None => Vec::new(),
    };
    Ok(Outcome {
        changes: plan.changes.len(),
        applied,
        release: Some(record.id),
        pruned,
    })
}

/// Deletes function versions older than the `keep` most recent releases that
/// no alias and no release within them references.
async fn prune(
    store: &StateStore<'_>,
    clients: &Clients,
    desired: &Desired,
    live: &Observed,
    keep: usize,
    reporter: &mut Reporter,
) -> Result<Vec<String>, Failure> {
    let keep = keep.max(1);
    let recent = store.releases().await?;
    let recent: Vec<&Release> = recent.iter().take(keep).collect();
    let mut pruned = Vec::new();
    for f in &desired.functions {
        let Some(l) = live.functions.get(&f.name).and_then(Option::as_ref) else {
            continue;
        };
        let mut referenced: BTreeSet<u64> = recent
            .iter()
            .filter_map(|r| r.state.functions.get(&f.key))
            .filter_map(|rec| rec.version.parse().ok())
            .collect();
        referenced.extend(l.alias.as_deref().and_then(|v| v.parse::<u64>().ok()));
        let Some(&oldest) = referenced.iter().min() else {
            continue;
        };
        for v in &l.versions {
            let Ok(n) = v.version.parse::<u64>() else { continue };
            if n < oldest && !referenced.contains(&n) {
                let start = Instant::now();
                // The deploy already succeeded: a version Lambda will not
                // delete (another alias, provisioned concurrency) is a warning.
                if let Err(e) = aws::lambda::delete_version(&clients.lambda, &f.name, &v.version).await {
                    reporter.warn(&format!("version {} of {} was kept: {e}", v.version, f.name));
                    continue;
                }
                reporter.done(
                    "pruned",
                    &format!("function/{}", f.name),
                    &format!(
                        "delete version {} (older than the {keep} most recent releases)",
                        v.version
                    ),
                    start.elapsed(),
                    json!({"version": v.version}),
                );
                pruned.push(format!("{}:{}", f.name, v.version));
            }
        }
    }
    Ok(pruned)
}

/// Re-reads and re-plans under the lock (another run may have deployed
/// meanwhile), then applies and records the release.
#[allow(clippy::too_many_arguments)]
async fn deploy_locked(
    store: &StateStore<'_>,
    lock: &mut Lock,
    reporter: &mut Reporter,
    clients: &Clients,
    desired: &Desired,
    sel: &Selection,
    packages: &BTreeMap<String, Package>,
    local: &plan::Local,
    options: plan::Options,
    wait: bool,
    keep: Option<usize>,
) -> Result<Outcome, Failure> {
    let observed = observe::observe(clients, desired, sel, &local.frontends).await?;
    let plan = plan::plan(desired, local, &observed, sel, options)?;
    if plan.is_empty() {
        return Ok(Outcome::default());
    }
    let ctx = ApplyContext {
        clients,
        desired,
        packages,
        frontends: &local.frontends,
        partition: &observed.partition,
        wait_invalidations: wait,
        known_invalidations: lock.inherited_invalidations(),
    };
    apply_and_record(store, lock, reporter, &ctx, &plan, "deploy", None, keep).await
}

/// What live state is read for a release comparison: every frontend's
/// objects (by ETag, the manifest itself excluded).
fn listings(desired: &Desired, observed: &Observed) -> BTreeMap<String, BTreeMap<String, String>> {
    desired
        .frontends
        .iter()
        .filter_map(|spec| {
            let site = observed.frontends.get(&spec.key)?;
            site.bucket_region.as_ref()?;
            let manifest = names::manifest_key(spec);
            Some((
                spec.key.clone(),
                site.objects
                    .iter()
                    .filter(|(k, _)| **k != manifest)
                    .map(|(k, o)| (k.clone(), o.etag.clone()))
                    .collect(),
            ))
        })
        .collect()
}

/// `bosun status` against the last release; `None` when there is no release yet.
async fn release_status(settings: &Settings, reporter: &mut Reporter) -> Result<Option<()>, Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let (account, _) = clients.identity().await?;
    let store = StateStore::new(&clients, desired.stack.state_bucket(&account));
    let Some(last) = store.latest().await? else {
        return Ok(None);
    };
    let observed = observe::observe(&clients, desired, &Selection::All, &BTreeMap::new()).await?;
    let live = release::capture(desired, &observed);
    let drift = release::drift(&last.state, &live, &listings(desired, &observed));
    let functions = desired
        .functions
        .iter()
        .filter_map(|f| {
            let rec = last.state.functions.get(&f.key);
            let l = live.functions.get(&f.key);
            let url = observed
                .functions
                .get(&f.name)
                .and_then(Option::as_ref)
                .and_then(|x| x.url.as_ref())
                .map(|u| u.url.clone());
            Some(FunctionLine {
                function: f.key.clone(),
                name: f.name.clone(),
                alias: f.alias.clone(),
                version: l.map(|x| x.version.clone()),
                code_sha256: l.or(rec)?.code_sha256.clone(),
                url,
                in_sync: rec.is_some() && rec == l,
            })
        })
        .collect();
    let in_sync = drift.is_empty();
    reporter.result(
        "status",
        &StatusReport {
            stack: desired.stack.name.clone(),
            in_sync,
            release: Some(last.id.clone()),
            drift,
            functions,
        },
    );
    if in_sync {
        Ok(Some(()))
    } else {
        Err(Failure::Drift)
    }
}

/// `bosun releases`' result.
#[derive(Debug, Serialize)]
pub struct ReleasesReport {
    pub stack: String,
    pub bucket: String,
    pub releases: Vec<ReleaseLine>,
}

#[derive(Debug, Serialize)]
pub struct ReleaseLine {
    pub id: String,
    pub time: String,
    pub kind: String,
    pub rollback_of: Option<String>,
    pub commit: Option<String>,
    pub who: String,
    pub changes: Vec<String>,
}

impl fmt::Display for ReleasesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.releases.is_empty() {
            return writeln!(f, "stack {}: no releases yet (s3://{})", self.stack, self.bucket);
        }
        writeln!(
            f,
            "stack {}: {} release(s), newest first",
            self.stack,
            self.releases.len()
        )?;
        for r in &self.releases {
            let commit = r.commit.as_deref().map_or("-", |c| &c[..c.len().min(10)]);
            let kind = match &r.rollback_of {
                Some(to) => format!("rollback to {to}"),
                None => r.kind.clone(),
            };
            writeln!(
                f,
                "  {}  {}  {:<16} {:<10} {}  {} change(s)",
                r.id,
                r.time,
                kind,
                commit,
                r.who,
                r.changes.len()
            )?;
            for c in r.changes.iter().take(3) {
                writeln!(f, "        {c}")?;
            }
            if r.changes.len() > 3 {
                writeln!(f, "        … {} more", r.changes.len() - 3)?;
            }
        }
        Ok(())
    }
}

async fn releases(settings: &Settings, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let (account, _) = clients.identity().await?;
    let store = StateStore::new(&clients, desired.stack.state_bucket(&account));
    let releases = store
        .releases()
        .await?
        .into_iter()
        .map(|r| ReleaseLine {
            id: r.id,
            time: r.time,
            kind: r.kind,
            rollback_of: r.rollback_of,
            commit: r.commit,
            who: r.who,
            changes: r.changes,
        })
        .collect();
    reporter.result(
        "releases",
        &ReleasesReport {
            stack: desired.stack.name.clone(),
            bucket: store.bucket.clone(),
            releases,
        },
    );
    Ok(())
}

/// `bosun env`'s result.
#[derive(Debug, Serialize)]
pub struct EnvReport {
    pub function: String,
    pub name: String,
    pub alias: String,
    pub environment: BTreeMap<String, String>,
}

impl fmt::Display for EnvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.environment {
            writeln!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

async fn function_env(settings: &Settings, key: &str, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let f = desired.function(key).ok_or_else(|| {
        Failure::Usage(format!(
            "no function `{key}` in the stack; it declares: {}",
            desired
                .functions
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let live = aws::lambda::get_function(&clients.lambda, &f.name, &f.alias)
        .await?
        .ok_or_else(|| Failure::Usage(format!("function {} is not deployed; run `bosun deploy all`", f.name)))?;
    let environment = live
        .alias
        .as_deref()
        .and_then(|v| live.version(v))
        .map(|v| v.config.environment.clone())
        .unwrap_or(live.latest.environment);
    reporter.result(
        "env",
        &EnvReport {
            function: key.to_string(),
            name: f.name.clone(),
            alias: f.alias.clone(),
            environment,
        },
    );
    Ok(())
}

/// `bosun unlock`'s result.
#[derive(Debug, Serialize)]
pub struct UnlockReport {
    pub removed: Option<LockRecord>,
}

impl fmt::Display for UnlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.removed {
            Some(l) => writeln!(
                f,
                "removed the lock {} of {} ({} since {}, {} change(s) journaled)",
                l.id,
                l.who,
                l.command,
                l.started,
                l.journal.done.len()
            ),
            None => writeln!(f, "the stack is not locked"),
        }
    }
}

async fn unlock(settings: &Settings, id: &str, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let (account, _) = clients.identity().await?;
    let store = StateStore::new(&clients, desired.stack.state_bucket(&account));
    let removed = store.force_unlock(id).await?;
    reporter.result("unlock", &UnlockReport { removed });
    Ok(())
}

/// `bosun rollback`'s result.
#[derive(Debug, Serialize)]
pub struct RollbackReport {
    pub stack: String,
    pub to: String,
    pub changes: usize,
    pub release: Option<String>,
    pub plan: Plan,
    pub calls: CallSummary,
}

impl fmt::Display for RollbackReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.release {
            Some(r) => writeln!(
                f,
                "stack {}: rolled back to release {} in {} change(s), recorded as release {r}",
                self.stack, self.to, self.changes
            )?,
            None if self.changes == 0 => writeln!(f, "stack {}: already at release {}", self.stack, self.to)?,
            None => {
                writeln!(f, "stack {}: rolling back to release {} would:", self.stack, self.to)?;
                write!(f, "{}", self.plan)?;
            }
        }
        writeln!(f, "{} AWS call(s), {} write(s)", self.calls.total, self.calls.writes)
    }
}

/// `bosun rollback` (with `apply` = Some) and `bosun plan --rollback`.
async fn rollback(
    settings: &Settings,
    to: Option<&str>,
    apply: Option<(bool, &LockArgs)>,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let (account, _) = clients.identity().await?;
    let store = StateStore::new(&clients, desired.stack.state_bucket(&account));
    let ids = store.release_ids().await?;
    let id = match to {
        Some(t) if ids.iter().any(|i| i == t) => t.to_string(),
        Some(t) => {
            return Err(Failure::Usage(format!(
                "no release {t}; releases: {}",
                if ids.is_empty() { "none".into() } else { ids.join(", ") }
            )))
        }
        None if ids.len() >= 2 => ids[ids.len() - 2].clone(),
        None => {
            return Err(Failure::Usage(format!(
                "no earlier release to roll back to ({} release(s)); see `bosun releases`",
                ids.len()
            )))
        }
    };
    let target = store
        .release(&id)
        .await?
        .ok_or_else(|| Failure::Usage(format!("release {id} disappeared while reading")))?;
    let plan_for = |observed: Observed| {
        let clients = &clients;
        let target = &target;
        async move {
            let listings = listings(desired, &observed);
            let mut versions = BTreeMap::new();
            for (key, rec) in &target.state.frontends {
                versions.insert(
                    key.clone(),
                    aws::s3::versions(&clients.s3, &rec.bucket, &rec.prefix).await?,
                );
            }
            let plan = plan::plan_rollback(desired, target, &observed, &listings, &versions)?;
            Ok::<_, Failure>((plan, observed))
        }
    };
    let observed = observe::observe(&clients, desired, &Selection::All, &BTreeMap::new()).await?;
    reporter.target(&observed.account, &observed.region);
    let (plan, _) = plan_for(observed).await?;
    let Some((wait, lock_args)) = apply else {
        let changes = plan.changes.len();
        reporter.result(
            "plan",
            &RollbackReport {
                stack: desired.stack.name.clone(),
                to: id,
                changes,
                release: None,
                plan,
                calls: CallSummary::of(&clients.log.calls()),
            },
        );
        return Ok(());
    };
    let mut outcome = Outcome::default();
    let mut final_plan = plan;
    if !final_plan.is_empty() {
        let run = LockedRun {
            clients: &clients,
            desired,
            lock: lock_args,
            command: format!("rollback --to {id}"),
        };
        let id2 = id.clone();
        let plan_for = &plan_for;
        let clients = &clients;
        let final_plan_ref = &mut final_plan;
        outcome = run
            .run(reporter, |store, lock, reporter| {
                Box::pin(async move {
                    let observed = observe::observe(clients, desired, &Selection::All, &BTreeMap::new()).await?;
                    let (plan, observed) = plan_for(observed).await?;
                    *final_plan_ref = plan.clone();
                    if plan.is_empty() {
                        return Ok(Outcome::default());
                    }
                    let ctx = ApplyContext {
                        clients,
                        desired,
                        packages: &BTreeMap::new(),
                        frontends: &BTreeMap::new(),
                        partition: &observed.partition,
                        wait_invalidations: wait,
                        known_invalidations: lock.inherited_invalidations(),
                    };
                    apply_and_record(store, lock, reporter, &ctx, &plan, "rollback", Some(id2), None).await
                })
            })
            .await?;
    }
    reporter.result(
        "rollback",
        &RollbackReport {
            stack: desired.stack.name.clone(),
            to: id,
            changes: outcome.changes,
            release: outcome.release,
            plan: final_plan,
            calls: CallSummary::with_state(&clients.log.calls(), &clients.state_log.calls()),
        },
    );
    Ok(())
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "bosun=info",
        _ => "bosun=debug,aws_smithy_runtime=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BOSUN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Reports a failure: JSON on stdout in json mode, text on stderr otherwise.
fn report_failure(mode: OutputMode, failure: &Failure) {
    if matches!(failure, Failure::Drift | Failure::SesNotReady) {
        // The status result already said what differs; the exit code says the rest.
        return;
    }
    let code = failure.exit_code();
    match mode {
        OutputMode::Json => {
            let mut ev = json!({"event": "error", "exit_code": code, "message": failure.to_string()});
            if let Failure::Stack(e) = failure {
                ev["problems"] = serde_json::to_value(&e.problems).unwrap_or_default();
                ev["file"] = json!(e.file);
            }
            if let Failure::Apply(e) = failure {
                ev["done"] = serde_json::to_value(&e.applied.done).unwrap_or_default();
                ev["failed"] = serde_json::to_value(&e.failed).unwrap_or_default();
            }
            stdout_line(&ev.to_string());
        }
        OutputMode::Text => eprintln!("error: {}", failure.to_string().trim_end()),
    }
}

/// The binary's entry point: parse, run, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing(args.verbose);
    let mode = args.output;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut reporter = Reporter::new(mode);
    let outcome = runtime.block_on(run(args, &mut reporter));
    reporter.finish();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report_failure(mode, &failure);
            ExitCode::from(failure.exit_code())
        }
    }
}
