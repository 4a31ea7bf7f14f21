//! Apply: executes a `Plan` in order against AWS.
//!
//! Every step is safe to retry: creates tolerate "already exists" from an
//! interrupted earlier run, puts are full replaces, and publishing is guarded
//! by the expected code hash. Apply stops at the first failure and reports
//! what was done and what was not, so a re-run converges.
//!
//! `step` routes each change to the file of its resource kind, mirroring
//! `plan/`: `roles`, `tables`, `functions`, `frontends`, `schedules`.

mod frontends;
mod functions;
mod roles;
mod schedules;
mod tables;

use crate::plan::RoleChange;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Instant;

use serde::Serialize;

use crate::aws::{AwsError, Clients};
use crate::frontend::SiteFile;
use crate::model::Desired;
use crate::output::Reporter;
use crate::package::Package;
use crate::plan::{Change, Plan};
use futures_util::future::BoxFuture;

pub struct ApplyContext<'a> {
    pub clients: &'a Clients,
    pub desired: &'a Desired,
    pub packages: &'a BTreeMap<String, Package>,
    /// Frontend key → its scanned files, sorted by key.
    pub frontends: &'a BTreeMap<String, Vec<SiteFile>>,
    /// The AWS partition (for ARNs in bucket policies).
    pub partition: &'a str,
    /// Wait for CloudFront: new or changed distributions deployed,
    /// invalidations completed.
    pub wait_cloudfront: bool,
    /// Invalidations an interrupted earlier run already created (CallerReference → id).
    pub known_invalidations: BTreeMap<String, String>,
}

/// Called after each completed change, before the next one starts (the
/// deploy lock's journal).
pub trait StepHook: Send {
    fn done<'a>(&'a mut self, change: &'a Change, extra: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>>;
}

/// No journal.
pub struct NoHook;

impl StepHook for NoHook {
    fn done<'a>(&'a mut self, _: &'a Change, _: &'a serde_json::Value) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// What apply learns as it goes and later steps need.
#[derive(Default)]
struct State {
    /// Function key → version published or created in this run.
    published: BTreeMap<String, String>,
    /// Frontend key → the ETag and version of each file this run uploaded,
    /// at the file's index in the site's scan (most files of a first sync:
    /// a slot each, not a map entry with its key copied).
    uploaded: BTreeMap<String, Vec<Option<crate::model::Stored>>>,
    /// S3 key → ETag and version of objects a rollback restored.
    restored: BTreeMap<String, crate::model::Stored>,
    /// Frontend key → ARN of the distribution created in this run.
    distribution_arns: BTreeMap<String, String>,
    /// The response headers policy's id, once this run put it.
    headers_policy: Option<String>,
    /// Origin request policy name → id, once this run put it.
    request_policies: BTreeMap<String, String>,
}

/// What apply did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Applied {
    /// Changes completed, in order.
    pub done: Vec<Change>,
    /// Function key → the version its alias now points at (for functions this run touched).
    pub aliases: BTreeMap<String, String>,
    /// Function key → function URL, where one was created or changed.
    pub urls: BTreeMap<String, String>,
    /// Frontend key → distribution id, where one was created.
    pub distributions: BTreeMap<String, String>,
    /// Frontend key → invalidation id.
    pub invalidations: BTreeMap<String, String>,
    /// Frontend key → the manifest this run wrote (what the release records
    /// for that site, without reading it back).
    #[serde(skip)]
    pub manifests: BTreeMap<String, crate::model::WrittenManifest>,
}

impl Applied {
    /// Adds a later pass's work to this one's.
    pub fn extend(&mut self, later: Applied) {
        self.done.extend(later.done);
        self.aliases.extend(later.aliases);
        self.urls.extend(later.urls);
        self.distributions.extend(later.distributions);
        self.invalidations.extend(later.invalidations);
        self.manifests.extend(later.manifests);
    }
}

/// A failed apply: the change that failed, the error, and what was already done.
#[derive(Debug, thiserror::Error)]
pub struct ApplyError {
    pub applied: Applied,
    pub failed: Change,
    pub remaining: Vec<Change>,
    #[source]
    pub error: ApplyStepError,
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyStepError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("internal: {0}")]
    Internal(String),
    /// The code to upload could not be produced (the binary changed or vanished).
    #[error("{0}")]
    Package(String),
    #[error("{0}")]
    Journal(String),
    #[error("interrupted (Ctrl-C) before this step; the lock is released")]
    Interrupted,
}

/// Set on Ctrl-C: apply finishes the step in flight, then stops.
pub static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "deploy stopped at {}: {}",
            self.failed.resource(),
            self.failed.describe()
        )?;
        writeln!(f, "  {}", self.error)?;
        if self.applied.done.is_empty() {
            writeln!(f, "  nothing was changed before the failure")?;
        } else {
            writeln!(f, "  done before the failure:")?;
            for c in &self.applied.done {
                writeln!(f, "    - {}: {}", c.resource(), c.describe())?;
            }
        }
        if !self.remaining.is_empty() {
            writeln!(f, "  not done:")?;
            for c in std::iter::once(&self.failed).chain(&self.remaining) {
                writeln!(f, "    - {}: {}", c.resource(), c.describe())?;
            }
        }
        write!(
            f,
            "  fix the cause and run the deploy again: every step is safe to repeat"
        )
    }
}

/// Runs the plan's changes in order.
pub async fn apply(
    ctx: &ApplyContext<'_>,
    plan: &Plan,
    reporter: &mut Reporter,
    hook: &mut dyn StepHook,
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    let mut state = State::default();
    let new_roles: BTreeSet<&str> = plan
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::Role(RoleChange::CreateRole { role, .. }) => Some(role.as_str()),
            _ => None,
        })
        .collect();
    reporter.begin(plan.changes.len(), "deploying");
    for (i, change) in plan.changes.iter().enumerate() {
        if INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst) {
            reporter.finish();
            return Err(ApplyError {
                applied,
                failed: change.clone(),
                remaining: plan.changes[i + 1..].to_vec(),
                error: ApplyStepError::Interrupted,
            });
        }
        let resource = change.resource();
        let action = change.describe();
        reporter.started(&resource, &action);
        let start = Instant::now();
        let mut s = Step {
            ctx,
            new_roles: &new_roles,
            state: &mut state,
            applied: &mut applied,
            reporter,
        };
        let outcome = match step(&mut s, change).await {
            Ok(extra) => hook
                .done(change, &extra)
                .await
                .map(|()| extra)
                .map_err(ApplyStepError::Journal),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(extra) => {
                reporter.done("applied", &resource, &action, start.elapsed(), extra);
                applied.done.push(change.clone());
            }
            Err(error) => {
                reporter.finish();
                return Err(ApplyError {
                    applied,
                    failed: change.clone(),
                    remaining: plan.changes[i + 1..].to_vec(),
                    error,
                });
            }
        }
    }
    reporter.finish();
    Ok(applied)
}

/// One run's step: the context, what earlier steps learned, what is done.
struct Step<'r, 'a> {
    ctx: &'r ApplyContext<'a>,
    /// Roles this run creates (IAM needs a moment before Lambda accepts them).
    new_roles: &'r BTreeSet<&'r str>,
    state: &'r mut State,
    applied: &'r mut Applied,
    reporter: &'r Reporter,
}

impl Step<'_, '_> {
    fn package(&self, key: &str) -> Result<&Package, ApplyStepError> {
        self.ctx
            .packages
            .get(key)
            .ok_or_else(|| ApplyStepError::Internal(format!("no package for function `{key}`")))
    }
}

/// One arm per resource kind, each executed by its file (mirroring `plan/`);
/// returns what the step reports (a version, a URL, an invalidation id).
async fn step(s: &mut Step<'_, '_>, change: &Change) -> Result<serde_json::Value, ApplyStepError> {
    match change {
        Change::Role(c) => roles::apply(s, c).await,
        Change::Table(c) => tables::apply(s, c).await,
        Change::Function(c) => functions::apply(s, c).await,
        Change::Site(c) => frontends::apply(s, c).await,
        Change::Edge(c) => frontends::edge(s, c).await,
        Change::Schedule(c) => schedules::apply(s, c).await,
    }
}
