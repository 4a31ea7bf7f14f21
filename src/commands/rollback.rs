//! `bosun rollback` and `bosun plan --rollback`: put functions, frontends
//! and schedules back to an earlier release, without rebuilding.
//!
//! 1. Pick the release (`--to`, else the one before the latest).
//! 2. Read AWS and the frontends' stored object versions; plan the way back.
//! 3. `plan --rollback` prints that plan; `rollback` applies it under the
//!    lock (read and planned again there) and records a new release.

use std::collections::BTreeMap;

use super::state_store;
use crate::apply::ApplyContext;
use crate::aws::{self, Clients};
use crate::commands::Settings;
use crate::failure::Failure;
use crate::model::{Desired, Observed, Selection};
use crate::observe;
use crate::output::Reporter;
use crate::plan::{self, Plan};
use crate::release::{self, Release};
use crate::report::{CallSummary, RollbackReport};
use crate::session::LockArgs;
use crate::session::{Record, Recorded, Session};

/// What the user asked `rollback` for.
pub struct RollbackRequest {
    /// The release to go back to (default: the one before the latest).
    pub to: Option<String>,
    /// Wait for the CloudFront invalidation to complete.
    pub wait: bool,
    pub lock: LockArgs,
}

/// The release to roll back to, from the ids in the state bucket (oldest
/// first): `to` when it exists, else the one before the latest.
pub fn target_id(ids: &[String], to: Option<&str>) -> Result<String, Failure> {
    match to {
        Some(t) if ids.iter().any(|i| i == t) => Ok(t.to_string()),
        Some(t) => Err(Failure::Usage(format!(
            "no release {t}; releases: {}",
            if ids.is_empty() { "none".into() } else { ids.join(", ") }
        ))),
        None if ids.len() >= 2 => Ok(ids[ids.len() - 2].clone()),
        None => Err(Failure::Usage(format!(
            "no earlier release to roll back to ({} release(s)); see `bosun releases`",
            ids.len()
        ))),
    }
}

/// `bosun plan --rollback`: what a rollback would do. Writes nothing.
pub async fn plan(settings: &Settings, to: Option<&str>, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let (id, target) = find(&clients, desired, to).await?;
    let observed = observe_all(&clients, desired).await?;
    reporter.target(&observed.account, &observed.region);
    let plan = rollback_plan(&clients, desired, &target, &observed).await?;
    reporter.result(
        "plan",
        &RollbackReport {
            stack: desired.stack.name.clone(),
            to: id,
            changes: plan.changes.len(),
            release: None,
            plan,
            calls: CallSummary::of(&clients.log),
        },
    );
    Ok(())
}

/// `bosun rollback`.
pub async fn run(settings: &Settings, request: &RollbackRequest, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let (id, target) = find(&clients, desired, request.to.as_deref()).await?;
    let observed = observe_all(&clients, desired).await?;
    reporter.target(&observed.account, &observed.region);
    let mut plan = rollback_plan(&clients, desired, &target, &observed).await?;
    let mut outcome = Recorded::default();
    if !plan.is_empty() {
        let command = format!("rollback --to {id}");
        let mut session = Session::begin(&clients, desired, &request.lock, &command, reporter).await?;
        let result = under_lock(&mut session, &clients, &target, request.wait, reporter).await;
        session.end(reporter).await;
        (outcome, plan) = result?;
    }
    reporter.result(
        "rollback",
        &RollbackReport {
            stack: desired.stack.name.clone(),
            to: id,
            changes: outcome.changes,
            release: outcome.release,
            plan,
            calls: CallSummary::with_state(&clients.log, &clients.state_log),
        },
    );
    Ok(())
}

/// Re-reads and re-plans under the lock, then applies and records the
/// release; returns what was done and the plan that was applied.
async fn under_lock(
    session: &mut Session<'_>,
    clients: &Clients,
    target: &Release,
    wait: bool,
    reporter: &mut Reporter,
) -> Result<(Recorded, Plan), Failure> {
    let desired = session.desired();
    let observed = observe_all(clients, desired).await?;
    let plan = rollback_plan(clients, desired, target, &observed).await?;
    if plan.is_empty() {
        return Ok((Recorded::default(), plan));
    }
    let ctx = ApplyContext {
        clients,
        desired,
        packages: &BTreeMap::new(),
        frontends: &BTreeMap::new(),
        partition: &observed.partition,
        wait_cloudfront: wait,
        known_invalidations: session.known_invalidations(),
    };
    let record = Record {
        kind: "rollback",
        rollback_of: Some(target.id.clone()),
        keep: None,
    };
    let outcome = session.apply_and_record(&ctx, &plan, record, reporter).await?;
    Ok((outcome, plan))
}

/// The release to go back to, read from the state bucket.
async fn find(clients: &Clients, desired: &Desired, to: Option<&str>) -> Result<(String, Release), Failure> {
    let store = state_store(clients, desired).await?;
    let id = target_id(&store.release_ids().await?, to)?;
    let target = store
        .release(&id)
        .await?
        .ok_or_else(|| Failure::Usage(format!("release {id} disappeared while reading")))?;
    Ok((id, target))
}

async fn observe_all(clients: &Clients, desired: &Desired) -> Result<Observed, Failure> {
    Ok(observe::observe(clients, desired, &Selection::All, &BTreeMap::new()).await?)
}

/// Reads the frontends' stored object versions, then plans the way back.
async fn rollback_plan(
    clients: &Clients,
    desired: &Desired,
    target: &Release,
    observed: &Observed,
) -> Result<Plan, Failure> {
    let listings = release::listings(desired, observed);
    let mut versions = BTreeMap::new();
    for (key, rec) in &target.state.frontends {
        versions.insert(
            key.clone(),
            aws::s3::versions(&clients.s3, &rec.bucket, &rec.prefix).await?,
        );
    }
    Ok(plan::plan_rollback(desired, target, observed, &listings, &versions)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollback_goes_to_the_release_asked_for_else_the_one_before_the_latest() {
        let ids: Vec<String> = ["000001", "000002", "000003"].map(String::from).to_vec();
        assert_eq!(target_id(&ids, None).unwrap(), "000002");
        assert_eq!(target_id(&ids, Some("000001")).unwrap(), "000001");
        let missing = target_id(&ids, Some("000009")).unwrap_err().to_string();
        assert!(
            missing.contains("no release 000009; releases: 000001, 000002, 000003"),
            "{missing}"
        );
        let alone = target_id(&ids[..1], None).unwrap_err().to_string();
        assert!(
            alone.contains("no earlier release to roll back to (1 release(s))"),
            "{alone}"
        );
        assert_eq!(target_id(&[], Some("000001")).unwrap_err().exit_code(), 2);
    }
}
