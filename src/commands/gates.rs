//! The gates a deploy passes before its first write: no secrets in what
//! would be deployed (`secrets`, run by `prepare`), then `before_writes`
//! in order: every new binary starts locally as Lambda would run it, the
//! account can give the reserved concurrency, and SES is ready before a
//! mail-sending schedule is wired. Which changes each gate covers is
//! decided by the pure functions below.

use crate::plan::{FunctionChange, ScheduleChange};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::aws::Clients;
use crate::failure::Failure;
use crate::model::{Desired, Observed, Selection};
use crate::output::Reporter;
use crate::package::Package;
use crate::plan::{self, Change, Plan};
use crate::ses;

/// What the gates of a deploy look at.
pub(crate) struct Gated<'a> {
    pub desired: &'a Desired,
    pub prepared: &'a super::Prepared,
    /// `--prebuilt`: its binaries were started by `bosun build`.
    pub prebuilt: bool,
    pub skip_ses_check: bool,
}

/// Every gate a deploy passes after its plan and before its first write,
/// in order (the secrets gate ran earlier, in `prepare`, before AWS was
/// even read): each new binary starts locally, the account can give the
/// reserved concurrency, SES is ready for mail-sending schedules.
pub(crate) async fn before_writes(g: &Gated<'_>, reporter: &mut Reporter) -> Result<(), Failure> {
    let t = Instant::now();
    let p = g.prepared;
    if g.prebuilt {
        // Prebuilt binaries were started by `bosun build`, where no role's
        // credentials are: never here, where a started binary could read
        // them from this process (/proc/PID/environ).
        reporter.phase_detail(
            "preflight",
            Duration::ZERO,
            "skipped: --prebuilt binaries were started by `bosun build`".into(),
        );
    } else {
        preflight(g.desired, &new_code(&p.plan), &p.packages, &p.observed, reporter).await?;
    }
    concurrency(&p.clients, &p.plan).await?;
    ses(&p.clients, g.desired, &p.plan, g.skip_ses_check, reporter).await?;
    reporter.phase("gates", t.elapsed());
    Ok(())
}

/// The schedules a plan wires (rule, target or permission) that are
/// enabled and send mail: the SES gate covers exactly these.
pub fn mail_schedules<'p>(desired: &Desired, plan: &'p Plan) -> Vec<&'p str> {
    let mut keys: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Schedule(ScheduleChange::PutRule { schedule, .. })
            | Change::Schedule(ScheduleChange::PutTarget { schedule, .. })
            | Change::Schedule(ScheduleChange::AllowSchedule { schedule, .. }) => Some(schedule.as_str()),
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
    keys
}

/// The functions whose code a plan uploads (created or updated): the
/// binaries preflight starts, in plan order.
pub fn new_code(plan: &Plan) -> Vec<&str> {
    let mut keys: Vec<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Function(FunctionChange::CreateFunction { function, .. })
            | Change::Function(FunctionChange::UpdateCode { function, .. }) => Some(function.as_str()),
            _ => None,
        })
        .collect();
    keys.dedup();
    keys
}

/// Lambda's name for the architecture Rust calls `arch` (`aarch64` → `arm64`).
pub fn host_arch(arch: &str) -> &str {
    match arch {
        "aarch64" => "arm64",
        other => other,
    }
}

/// Before mail-sending schedules are wired, SES must pass `verify-ses` (reads only).
pub async fn ses(
    clients: &Clients,
    desired: &Desired,
    plan: &Plan,
    skip: bool,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let keys = mail_schedules(desired, plan);
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

/// Refuses credential-looking values in environment variables, frontend files
/// (`in_files`, found by the scan), data files and binaries before any AWS write;
/// `[stack] allow_secrets` overrides one finding per entry.
pub fn secrets(
    desired: &Desired,
    sel: &Selection,
    packages: &BTreeMap<String, Package>,
    in_files: Vec<crate::secrets::Finding>,
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
        // Data files go to the state bucket and the function reads them:
        // a credential in one would sit there unencrypted by bosun.
        for (name, path) in &f.data {
            findings.extend(crate::frontend::scan_data_file(&f.key, name, path).map_err(|e| {
                Failure::from(crate::frontend::FrontendError::Read {
                    frontend: format!("{} data {name}", f.key),
                    path: path.clone(),
                    source: e,
                })
            })?);
        }
    }
    findings.extend(in_files);
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
/// AWS keeps at least this many concurrent executions unreserved in an
/// account (PutFunctionConcurrency API reference).
pub const UNRESERVED_MINIMUM: i64 = 100;

/// How many more concurrent executions the plan reserves (negative: frees).
pub fn reservation_increase(plan: &Plan) -> i64 {
    plan.changes
        .iter()
        .map(|c| match c {
            Change::Function(FunctionChange::PutConcurrency { from, to, .. }) => {
                i64::from(to.unwrap_or(0)) - i64::from(from.unwrap_or(0))
            }
            _ => 0,
        })
        .sum()
}

/// Whether the account can give `increase` more reserved executions.
pub fn check_reservation(unreserved: i64, total: i64, increase: i64) -> Result<(), String> {
    let left = unreserved - increase;
    if left >= UNRESERVED_MINIMUM {
        return Ok(());
    }
    Err(format!(
        "the stack reserves {increase} more concurrent executions, but the account has {unreserved} of {total} \
         unreserved and AWS keeps at least {UNRESERVED_MINIMUM} unreserved; nothing was changed\n      \
         help: lower `reserved_concurrency`, or raise the account's \"Concurrent executions\" quota (Service Quotas, Lambda)"
    ))
}

/// Refuses, before any write, reservations the account cannot give, so a
/// deploy fails whole rather than half-way at PutFunctionConcurrency. Only
/// a plan that reserves more asks AWS (GetAccountSettings).
pub async fn concurrency(clients: &Clients, plan: &Plan) -> Result<(), Failure> {
    let increase = reservation_increase(plan);
    if increase <= 0 {
        return Ok(());
    }
    let (unreserved, total) = crate::aws::lambda::unreserved_concurrency(&clients.lambda).await?;
    check_reservation(i64::from(unreserved), i64::from(total), increase).map_err(Failure::Concurrency)
}

pub async fn preflight(
    desired: &Desired,
    keys: &[&str],
    packages: &BTreeMap<String, Package>,
    observed: &Observed,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let host = host_arch(std::env::consts::ARCH);
    for &key in keys {
        let (Some(f), Some(p)) = (desired.function(key), packages.get(key)) else {
            continue;
        };
        if f.arch.as_str() != host {
            reporter.warn(&format!(
                "preflight of `{key}` skipped: a {} binary cannot run on this {host} machine",
                f.arch.as_str()
            ));
            continue;
        }
        let start = Instant::now();
        let env = plan::resolved_config(desired, f, &p.sha256, observed).0.environment;
        let binary = crate::preflight::Start {
            function: key,
            binary: &p.binary,
            env: &env,
            smoke: f.smoke.as_ref(),
            aws: None,
        };
        let outcome = crate::preflight::run(&binary, Duration::from_secs(10)).await?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_must_leave_a_hundred_unreserved() {
        let put = |from: Option<i32>, to: Option<i32>| {
            Change::Function(FunctionChange::PutConcurrency {
                function: "f".into(),
                name: "t-f".into(),
                from,
                to,
            })
        };
        let plan = Plan {
            changes: vec![put(None, Some(50)), put(Some(20), Some(5)), put(Some(10), None)],
            ..Plan::default()
        };
        assert_eq!(reservation_increase(&plan), 50 - 15 - 10);
        assert!(check_reservation(1000, 1000, 900).is_ok());
        let err = check_reservation(1000, 1000, 901).unwrap_err();
        assert!(err.contains("has 1000 of 1000 unreserved"), "{err}");
        // A new account with a low limit cannot reserve at all.
        assert!(check_reservation(10, 10, 1).is_err());
    }
    use std::path::Path;

    fn desired() -> Desired {
        let text = r#"
[stack]
name = "t"

[ses]
sender = "reports@example.com"

[functions.mailer]
binary = "/bin/sh"
send_email = true

[functions.quiet]
binary = "/bin/sh"

[schedules.weekly]
function = "mailer"
expression = "cron(0 8 ? * MON *)"

[schedules.off]
function = "mailer"
expression = "rate(1 day)"
enabled = false

[schedules.tick]
function = "quiet"
expression = "rate(5 minutes)"
"#;
        crate::stack::parse(Path::new("/tmp/t.toml"), text).expect("valid stack")
    }

    fn put_target(schedule: &str) -> Change {
        Change::Schedule(ScheduleChange::PutTarget {
            schedule: schedule.into(),
            rule: format!("t-{schedule}"),
            target_arn: "arn".into(),
            input: "{}".into(),
        })
    }

    #[test]
    fn the_ses_gate_covers_enabled_mail_schedules_the_plan_wires() {
        let d = desired();
        let plan = Plan {
            changes: vec![put_target("weekly"), put_target("off"), put_target("tick")],
            ..Plan::default()
        };
        assert_eq!(mail_schedules(&d, &plan), ["weekly"]);
        // A plan that leaves the mail schedule alone does not need SES.
        let plan = Plan {
            changes: vec![put_target("tick")],
            ..Plan::default()
        };
        assert!(mail_schedules(&d, &plan).is_empty());
    }

    #[test]
    fn preflight_starts_binaries_whose_code_is_uploaded() {
        let plan = Plan {
            changes: vec![
                Change::Function(FunctionChange::UpdateCode {
                    function: "api".into(),
                    name: "t-api".into(),
                    from: "a".into(),
                    to: "b".into(),
                }),
                Change::Function(FunctionChange::PublishVersion {
                    function: "api".into(),
                    name: "t-api".into(),
                    code_sha256: "b".into(),
                }),
                Change::Function(FunctionChange::PointAlias {
                    function: "cfg".into(),
                    name: "t-cfg".into(),
                    alias: "live".into(),
                    target: plan::AliasTarget::Existing("3".into()),
                    from: Some("2".into()),
                }),
            ],
            ..Plan::default()
        };
        assert_eq!(new_code(&plan), ["api"]);
        assert_eq!(host_arch("aarch64"), "arm64");
        assert_eq!(host_arch("x86_64"), "x86_64");
    }
}
