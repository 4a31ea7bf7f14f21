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
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::json;

use crate::apply::{self, ApplyContext, ApplyError};
use crate::aws::{AwsError, AwsSettings, Call, Clients};
use crate::model::Desired;
use crate::observe::{self, Observed};
use crate::output::{stdout_line, OutputMode, Reporter};
use crate::package::{self, Package, PackageError};
use crate::plan::{self, Plan, PlanError, Selection};
use crate::ses;
use crate::site::{self, LocalFile, SiteError};
use crate::stack::{self, StackError};

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
    /// AWS profile to use (default: the standard credential chain).
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
        #[command(subcommand)]
        what: DeployWhat,
    },
    /// Each function's alias → version, and whether the live code matches the local build.
    Status,
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

#[derive(Debug, Subcommand)]
pub enum DeployWhat {
    /// The whole stack: roles, tables, functions, aliases, URLs, frontends.
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
    Site(#[from] SiteError),
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
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_) | Failure::Stack(_) | Failure::Plan(_) => 2,
            Failure::Package(e) if e.is_bad_input() => 2,
            Failure::Site(SiteError::Read { .. }) => 1,
            Failure::Site(_) => 2,
            Failure::Drift => 3,
            Failure::Package(_)
            | Failure::Aws(_)
            | Failure::Apply(_)
            | Failure::SesNotReady
            | Failure::SesGate { .. } => 1,
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
async fn scan_sites(
    desired: &Desired,
    sel: &Selection,
    reporter: &mut Reporter,
) -> Result<BTreeMap<String, Vec<LocalFile>>, Failure> {
    let mut sites = BTreeMap::new();
    for spec in sel.frontends(desired) {
        let start = Instant::now();
        let owned = spec.clone();
        let files = tokio::task::spawn_blocking(move || site::scan(&owned))
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
    if !report.ready {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|c| c.status == ses::Status::Fail)
            .map(|c| format!("      FAIL {} {}: {}", c.check, c.subject, c.message))
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
    pub writes: usize,
    pub write_calls: Vec<String>,
}

impl CallSummary {
    fn of(calls: &[Call]) -> CallSummary {
        let writes: Vec<String> = calls.iter().filter(|c| c.is_write()).map(Call::to_string).collect();
        CallSummary {
            total: calls.len(),
            writes: writes.len(),
            write_calls: writes,
        }
    }
}

/// `bosun deploy`'s result.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub stack: String,
    pub changes: usize,
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
        writeln!(
            f,
            "{} AWS call(s), {} write(s), {:.1}s",
            self.calls.total,
            self.calls.writes,
            self.elapsed_ms as f64 / 1000.0
        )
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
    pub functions: Vec<FunctionLine>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}:", self.stack)?;
        for l in &self.functions {
            writeln!(f, "{l}")?;
        }
        if self.in_sync {
            writeln!(f, "every function's alias runs the local build")
        } else {
            writeln!(f, "drift: run `bosun plan` to see what a deploy would change")
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
    reporter.result("verify-ses", &report);
    if ready {
        Ok(())
    } else {
        Err(Failure::SesNotReady)
    }
}

async fn run(args: Args, reporter: &mut Reporter) -> Result<(), Failure> {
    let settings = resolve(&args)?;
    if let Command::VerifySes {
        create,
        send_test,
        strict,
    } = args.command
    {
        return verify_ses(&settings, create, send_test, strict, reporter).await;
    }
    let desired = &settings.desired;
    let what = match &args.command {
        Command::Deploy { what, .. } => Some(what),
        _ => None,
    };
    let sel = selection(desired, what)?;
    let options = plan::Options {
        force_deletes: match &args.command {
            Command::Plan { force_deletes } | Command::Deploy { force_deletes, .. } => *force_deletes,
            Command::Status | Command::VerifySes { .. } => false,
        },
    };
    let started = Instant::now();
    let packages = build(desired, &sel, reporter).await?;
    let sites = scan_sites(desired, &sel, reporter).await?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let observed = observe::observe(&clients, desired, &sel, &sites).await?;
    let local = plan::Local {
        packages: shas(&packages),
        sites,
    };
    let plan = plan::plan(desired, &local, &observed, &sel, options)?;
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
        Command::VerifySes { .. } => unreachable!("handled before building"),
        Command::Status => {
            let functions = function_lines(desired, &sel, &packages, &observed);
            let in_sync = functions.iter().all(|l| l.in_sync);
            reporter.result(
                "status",
                &StatusReport {
                    stack: desired.stack.name.clone(),
                    in_sync,
                    functions,
                },
            );
            if in_sync {
                Ok(())
            } else {
                Err(Failure::Drift)
            }
        }
        Command::Deploy {
            wait, skip_ses_check, ..
        } => {
            let changes = plan.changes.len();
            let mut applied = apply::Applied::default();
            ses_gate(&clients, desired, &plan, *skip_ses_check, reporter).await?;
            if changes > 0 {
                let ctx = ApplyContext {
                    clients: &clients,
                    desired,
                    packages: &packages,
                    sites: &local.sites,
                    partition: &observed.partition,
                    wait_invalidations: *wait,
                };
                applied = apply::apply(&ctx, &plan, reporter).await.map_err(Box::new)?;
            }
            // Read back what is live now, so the report shows the truth, not the intent.
            let after = if changes > 0 {
                observe::observe(&clients, desired, &sel, &local.sites).await?
            } else {
                observed
            };
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
                    files: local.sites.get(&spec.key).map_or(0, Vec::len),
                    uploaded: count(&spec.key, |c| match c {
                        plan::Change::Upload { site, files, .. } => Some((site, files.len())),
                        _ => None,
                    }),
                    deleted: count(&spec.key, |c| match c {
                        plan::Change::DeleteObjects { site, keys, .. } => Some((site, keys.len())),
                        _ => None,
                    }),
                    distribution: after.sites.get(&spec.key).and_then(|s| s.distribution.clone()),
                    invalidation: applied.invalidations.get(&spec.key).cloned(),
                })
                .collect();
            let report = DeployReport {
                stack: desired.stack.name.clone(),
                changes,
                functions: function_lines(desired, &sel, &packages, &after),
                frontends,
                schedules: schedule_lines(desired, &sel),
                calls: CallSummary::of(&clients.log.calls()),
                elapsed_ms: started.elapsed().as_millis() as u64,
            };
            reporter.result("deploy", &report);
            Ok(())
        }
    }
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
