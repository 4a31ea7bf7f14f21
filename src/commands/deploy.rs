//! `bosun deploy`: brings AWS to the stack's state.
//!
//! 1. `prepare`: build, scan, refuse secrets, read AWS, plan.
//! 2. Nothing planned: report and stop (no write, no lock).
//! 3. Gates: preflight every new binary, check SES before wiring mail schedules.
//! 4. Under the lock (`Session`): read and plan again (another run may have
//!    deployed meanwhile), apply, record the release, prune.
//! 5. Report what is live, from the read the release was captured from.

use crate::plan::SiteChange;
use std::collections::BTreeSet;

use clap::Subcommand;

use super::{gates, prepare, Prepared};
use crate::apply::{Applied, ApplyContext};
use crate::commands::Settings;
use crate::failure::Failure;
use crate::model::{Desired, Observed, Selection};
use crate::observe;
use crate::output::Reporter;
use crate::plan::{self, Change};
use crate::report::{function_lines, schedule_lines, CallSummary, DeployReport, FrontendLine};
use crate::session::LockArgs;
use crate::session::{Record, Recorded, Session};

#[derive(Debug, Clone, Subcommand)]
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

impl DeployWhat {
    /// The command as the lock and the journal name it (`deploy functions a b`).
    pub fn command_line(&self) -> String {
        match self {
            DeployWhat::All => "deploy all".into(),
            DeployWhat::Frontend => "deploy frontend".into(),
            DeployWhat::Schedules => "deploy schedules".into(),
            DeployWhat::Functions { names } if names.is_empty() => "deploy functions".into(),
            DeployWhat::Functions { names } => format!("deploy functions {}", names.join(" ")),
        }
    }
}

/// What the user asked `deploy` for.
pub struct DeployRequest {
    pub what: DeployWhat,
    /// Wait for CloudFront invalidations to complete.
    pub wait: bool,
    pub force_deletes: bool,
    pub skip_ses_check: bool,
    /// `--keep N`: prune versions older than the N most recent releases.
    pub keep: Option<usize>,
    pub lock: LockArgs,
    /// `--prebuilt DIR`: deploy `bosun build`'s zips instead of building.
    pub prebuilt: Option<crate::prebuilt::Source>,
}

pub async fn run(settings: &Settings, request: &DeployRequest, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let sel = selection(desired, Some(&request.what))?;
    let options = plan::Options {
        force_deletes: request.force_deletes,
    };
    let mut prepared = prepare(settings, &sel, options, true, request.prebuilt.as_ref(), reporter).await?;
    let mut outcome = Recorded::default();
    if !prepared.plan.is_empty() {
        gates::before_writes(
            &gates::Gated {
                desired,
                prepared: &prepared,
                prebuilt: request.prebuilt.is_some(),
                skip_ses_check: request.skip_ses_check,
            },
            reporter,
        )
        .await?;
        let t = std::time::Instant::now();
        let command = request.what.command_line();
        test_pause_before_lock().await;
        let mut session = Session::begin(&prepared.clients, desired, &request.lock, &command, reporter).await?;
        // The first read still holds when no other run took the lock since
        // it was made; otherwise the run reads and plans again.
        let quiet = match &prepared.lock_mark {
            Some(mark) => session.quiet_since(mark).await,
            None => false,
        };
        reporter.phase("lock", t.elapsed());
        let first = if quiet {
            // Moved, not copied (a site's listing and manifest are large):
            // the report then shows the release's capture, built from it.
            Some((
                std::mem::take(&mut prepared.observed),
                std::mem::take(&mut prepared.plan),
            ))
        } else {
            drop(std::mem::take(&mut prepared.plan));
            None
        };
        let result = under_lock(&mut session, &prepared, first, &sel, request, reporter).await;
        let t = std::time::Instant::now();
        session.end(reporter).await;
        reporter.phase("unlock", t.elapsed());
        outcome = result?;
    }
    // The report shows what is live, not the intent: the release's read
    // after apply (the whole stack), or the first read when nothing changed.
    let after = outcome.after.take();
    let after = after.as_ref().unwrap_or(&prepared.observed);
    let report = deploy_report(desired, &sel, &prepared, after, outcome);
    super::aws_time(&prepared.clients, reporter);
    reporter.result("deploy", &report);
    Ok(())
}

/// Applies `first` (the first read and its plan, when no other run took the
/// lock since) or re-reads and re-plans under the lock (another run may have
/// deployed meanwhile), and records the release. A plan whose `${…}`
/// references name something it creates gets a second pass, which sets
/// the values now known; the release records both passes as one.
async fn under_lock(
    session: &mut Session<'_>,
    prepared: &Prepared,
    first: Option<(Observed, plan::Plan)>,
    sel: &Selection,
    request: &DeployRequest,
    reporter: &mut Reporter,
) -> Result<Recorded, Failure> {
    let clients = &prepared.clients;
    let desired = session.desired();
    let options = plan::Options {
        force_deletes: request.force_deletes,
    };
    let mut applied = Applied::default();
    let mut changes = Vec::new();
    let mut last_read = None;
    let mut first = first;
    for _pass in 0..2 {
        let (observed, plan) = match first.take() {
            Some((observed, plan)) => (last_read.insert(observed), plan),
            None => {
                let t = std::time::Instant::now();
                let observed =
                    last_read.insert(observe::observe(clients, desired, sel, &prepared.local.frontends).await?);
                let plan = plan::plan(desired, &prepared.local, observed, sel, options)?;
                reporter.phase("re-read under the lock", t.elapsed());
                (observed, plan)
            }
        };
        if plan.is_empty() {
            break;
        }
        let ctx = ApplyContext {
            clients,
            desired,
            packages: &prepared.packages,
            frontends: &prepared.local.frontends,
            partition: &observed.partition,
            wait_cloudfront: request.wait,
            known_invalidations: session.known_invalidations(),
        };
        let t = std::time::Instant::now();
        applied.extend(session.apply(&ctx, &plan, reporter).await?);
        reporter.phase("apply", t.elapsed());
        let pending = plan.pending();
        changes.extend(plan.changes);
        if !pending {
            break;
        }
    }
    if changes.is_empty() {
        return Ok(Recorded::default());
    }
    let record = Record {
        kind: "deploy",
        rollback_of: None,
        keep: request.keep,
    };
    let t = std::time::Instant::now();
    let base = last_read.map(|observed| (observed, sel.includes_schedules()));
    let recorded = session.record(&changes, applied, record, base, reporter).await;
    reporter.phase("record", t.elapsed());
    recorded
}

/// What the deploy did, per function, frontend and schedule, read back from `after`.
fn deploy_report(
    desired: &Desired,
    sel: &Selection,
    prepared: &Prepared,
    after: &Observed,
    outcome: Recorded,
) -> DeployReport {
    let applied = &outcome.applied;
    let count = |frontend: &str, f: fn(&Change) -> Option<(&str, usize)>| -> usize {
        applied
            .done
            .iter()
            .filter_map(f)
            .filter(|(s, _)| *s == frontend)
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
            files: prepared.local.frontends.get(&spec.key).map_or(0, Vec::len),
            uploaded: count(&spec.key, |c| match c {
                Change::Site(SiteChange::Upload { site, files, .. }) => Some((site, files.len())),
                _ => None,
            }),
            deleted: count(&spec.key, |c| match c {
                Change::Site(SiteChange::DeleteObjects { site, keys, .. }) => Some((site, keys.len())),
                _ => None,
            }),
            distribution: after.frontends.get(&spec.key).and_then(|s| s.distribution.clone()),
            invalidation: applied.invalidations.get(&spec.key).cloned(),
            url: crate::plan::references::url_of(
                desired,
                after,
                &crate::model::references::Target::Frontend(spec.key.clone()),
            ),
            dns: spec.domain.as_ref().and_then(|d| {
                let live = after.frontends.get(&spec.key)?;
                live.distribution.as_ref()?;
                Some(crate::model::names::dns_record(&d.name, &live.setup.domain))
            }),
        })
        .collect();
    let clients = &prepared.clients;
    DeployReport {
        stack: desired.stack.name.clone(),
        changes: outcome.changes,
        release: outcome.release,
        pruned: outcome.pruned,
        functions: function_lines(desired, sel, &prepared.packages, after),
        frontends,
        schedules: schedule_lines(desired, sel),
        calls: CallSummary::with_state(&clients.log, &clients.state_log),
        elapsed_ms: prepared.started.elapsed().as_millis() as u64,
    }
}

/// Test hook: with `BOSUN_TEST_PAUSE_BEFORE_LOCK=DIR`, a deploy that has
/// read and planned writes `DIR/paused` and waits (up to a minute) for
/// `DIR/go` before taking the lock, so a test can run another deploy in
/// between.
async fn test_pause_before_lock() {
    let Some(dir) = std::env::var_os("BOSUN_TEST_PAUSE_BEFORE_LOCK") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    let _ = std::fs::write(dir.join("paused"), b"");
    let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !dir.join("go").exists() && std::time::Instant::now() < until {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

pub(crate) fn selection(desired: &Desired, what: Option<&DeployWhat>) -> Result<Selection, Failure> {
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
