//! The way back: the plan that puts the stack to a recorded release.

use crate::plan::{FunctionChange, SiteChange};
use std::collections::{BTreeMap, BTreeSet};

use super::frontends::viewer_prefix;
use super::{AliasTarget, Change, Plan, PlanError, Unchanged};
use crate::model::{Desired, DistributionSpec, FrontendManifest, FrontendSpec, Observed, ScheduleSpec, Selection};
use crate::release::{FrontendRecord, Release};

/// What the rollback planner reads.
struct RollbackInputs<'a> {
    desired: &'a Desired,
    target: &'a Release,
    observed: &'a Observed,
    /// Frontend key → its live objects (key → ETag).
    listings: &'a BTreeMap<String, BTreeMap<String, String>>,
    /// Frontend key → every stored (key, version id) under its prefix.
    stored_versions: &'a BTreeMap<String, BTreeSet<(String, String)>>,
}

/// The rollback plan as it is built.
#[derive(Default)]
struct Back {
    aliases: Vec<Change>,
    frontends: Vec<Change>,
    /// Object deletions: applied last, after the schedules.
    deletions: Vec<Change>,
    unchanged: Vec<Unchanged>,
    /// What the release needs that no longer exists.
    missing: Vec<String>,
}

/// The plan that puts the stack back to `target`: alias moves to the
/// recorded versions, frontend objects restored from their recorded S3
/// versions (and files added since removed), one invalidation per site,
/// schedules restored. Fails before any change when something the release
/// needs no longer exists.
pub fn plan_rollback(
    desired: &Desired,
    target: &Release,
    observed: &Observed,
    listings: &BTreeMap<String, BTreeMap<String, String>>,
    stored_versions: &BTreeMap<String, BTreeSet<(String, String)>>,
) -> Result<Plan, PlanError> {
    crate::plan::check_account(desired, observed)?;
    let input = RollbackInputs {
        desired,
        target,
        observed,
        listings,
        stored_versions,
    };
    let mut back = Back::default();
    aliases(&input, &mut back);
    for (key, rec) in &target.state.frontends {
        frontend(&input, key, rec, &mut back);
    }
    if !back.missing.is_empty() {
        return Err(PlanError::ReleaseIncomplete {
            release: target.id.clone(),
            missing: back.missing.join(", "),
        });
    }
    let schedule_plan = schedules(&input)?;
    let mut changes = back.aliases;
    changes.extend(back.frontends);
    changes.extend(schedule_plan.changes);
    changes.extend(back.deletions);
    let mut unchanged = back.unchanged;
    unchanged.extend(schedule_plan.unchanged);
    Ok(Plan {
        changes,
        unchanged,
        ..Plan::default()
    })
}

/// Each recorded function's alias back to its recorded version, which must
/// still exist with the recorded code.
fn aliases(input: &RollbackInputs<'_>, back: &mut Back) {
    for (key, rec) in &input.target.state.functions {
        let live = input.observed.functions.get(&rec.name).and_then(Option::as_ref);
        let have = live.and_then(|l| l.version(&rec.version));
        if have.is_none_or(|v| v.config.code_sha256 != rec.code_sha256) {
            back.missing
                .push(format!("function {} version {}", rec.name, rec.version));
            continue;
        }
        let from = live.and_then(|l| l.alias.clone());
        if from.as_deref() == Some(rec.version.as_str()) {
            back.unchanged.push(Unchanged {
                resource: format!("function/{}", rec.name),
                note: format!("alias `{}` already → version {}", rec.alias, rec.version),
            });
        } else {
            back.aliases.push(Change::Function(FunctionChange::PointAlias {
                function: key.clone(),
                name: rec.name.clone(),
                alias: rec.alias.clone(),
                target: AliasTarget::Existing(rec.version.clone()),
                from,
            }));
        }
    }
}

/// A frontend's objects back to their recorded versions, files added since
/// deleted, one invalidation, and the recorded manifest.
fn frontend(input: &RollbackInputs<'_>, key: &str, rec: &FrontendRecord, back: &mut Back) {
    // The live listing is of the stack's current bucket and prefix; a
    // site that moved cannot be compared (or restored) against it.
    let Some(spec) = input.desired.frontends.iter().find(|f| f.key == *key) else {
        back.missing
            .push(format!("frontend {key} (no longer in the stack file)"));
        return;
    };
    if spec.bucket != rec.bucket || spec.prefix != rec.prefix {
        back.missing.push(format!(
            "frontend {key} at s3://{}/{} (it now deploys to s3://{}/{}; roll back after restoring the old bucket/prefix in the stack file)",
            rec.bucket, rec.prefix, spec.bucket, spec.prefix
        ));
        return;
    }
    let empty = BTreeMap::new();
    let listing = input.listings.get(key).unwrap_or(&empty);
    let manifest_key = format!("{}{}", rec.prefix, crate::model::names::MANIFEST_NAME);
    let restore = restorable(rec, listing, input.stored_versions.get(key), &mut back.missing);
    let deletes: Vec<String> = listing
        .keys()
        .filter(|k| !rec.files.contains_key(k) && **k != manifest_key)
        .cloned()
        .collect();
    if restore.is_empty() && deletes.is_empty() {
        back.unchanged.push(Unchanged {
            resource: format!("frontend/{key}"),
            note: format!("{} file(s) as in release {}", rec.files.len(), input.target.id),
        });
        return;
    }
    if !restore.is_empty() {
        back.frontends.push(Change::Site(SiteChange::RestoreObjects {
            site: key.to_string(),
            bucket: rec.bucket.clone(),
            objects: restore.clone(),
        }));
    }
    if let Some(dist) = &rec.distribution {
        let Some(change) = rollback_invalidation(input, (key, spec, rec), dist, (&restore, &deletes), back) else {
            return;
        };
        back.frontends.push(change);
    }
    back.frontends.push(Change::Site(SiteChange::WriteRecordedManifest {
        site: key.to_string(),
        bucket: rec.bucket.clone(),
        key: manifest_key,
        manifest: FrontendManifest {
            version: 1,
            files: rec.files.clone(),
        },
    }));
    if !deletes.is_empty() {
        back.deletions.push(Change::Site(SiteChange::DeleteObjects {
            site: key.to_string(),
            bucket: rec.bucket.clone(),
            keys: deletes,
        }));
    }
}

/// The recorded objects whose live ETag differs, as (key, version id) to
/// copy back; versions no longer stored go to `missing`.
fn restorable(
    rec: &FrontendRecord,
    listing: &BTreeMap<String, String>,
    versions: Option<&BTreeSet<(String, String)>>,
    missing: &mut Vec<String>,
) -> Vec<(String, String)> {
    let mut restore = Vec::new();
    for (k, e) in &rec.files {
        if listing.get(k).is_some_and(|live| e.etag == *live) {
            continue;
        }
        match &e.version_id {
            Some(v) if versions.is_some_and(|set| set.contains(&(k.to_string(), v.clone()))) => {
                restore.push((k.to_string(), v.clone()));
            }
            Some(v) => missing.push(format!("s3://{}/{k} version {v}", rec.bucket)),
            None => missing.push(format!("s3://{}/{k} (the release has no version id)", rec.bucket)),
        }
    }
    restore
}

/// The invalidation of a rollback's restored and deleted paths, at the
/// viewer paths of the distribution's origin; `None` (and the release
/// counted incomplete) when the distribution does not serve the frontend.
fn rollback_invalidation(
    input: &RollbackInputs<'_>,
    (key, spec, rec): (&str, &FrontendSpec, &FrontendRecord),
    dist: &str,
    (restore, deletes): (&[(String, String)], &[String]),
    back: &mut Back,
) -> Option<Change> {
    let live = input.observed.frontends.get(key);
    let manifest_version = live.and_then(|s| s.manifest_version.as_deref());
    let origins = live.map(|l| l.setup.origins.as_slice()).unwrap_or_default();
    let viewer = match (&spec.distribution, viewer_prefix(spec, origins)) {
        (_, Ok(v)) => v,
        // bosun's own distributions serve the prefix at the root.
        (DistributionSpec::Managed, Err(_)) => String::new(),
        (_, Err(found)) => {
            back.missing.push(format!(
                "frontend {key}: a distribution serving s3://{}/{} (distribution {dist} has origins: {found})",
                rec.bucket, rec.prefix
            ));
            return None;
        }
    };
    Some(invalidation(
        key,
        rec,
        (dist, manifest_version, &viewer),
        (restore, deletes),
        spec.invalidation_max_paths,
    ))
}

/// One invalidation for the restored and deleted paths, its caller
/// reference naming the state the frontend leaves (`manifest_version`).
fn invalidation(
    key: &str,
    rec: &FrontendRecord,
    (distribution, manifest_version, viewer): (&str, Option<&str>, &str),
    (restore, deletes): (&[(String, String)], &[String]),
    max_paths: usize,
) -> Change {
    let rel = |k: &str| format!("{viewer}{}", k.strip_prefix(rec.prefix.as_str()).unwrap_or(k));
    let rels: Vec<String> = restore
        .iter()
        .map(|(k, _)| rel(k))
        .chain(deletes.iter().map(|k| rel(k)))
        .collect();
    let paths = crate::frontend::invalidation_paths(rels.iter().map(String::as_str), max_paths);
    let content: Vec<(&str, &str, &str)> = restore
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str(), "restored"))
        .chain(deletes.iter().map(|k| (k.as_str(), "deleted", "")))
        .collect();
    Change::Site(SiteChange::Invalidate {
        site: key.to_string(),
        caller_reference: crate::frontend::caller_reference(distribution, manifest_version, &paths, &content),
        distribution: distribution.to_string(),
        paths,
    })
}

/// Schedules: the recorded rules become the desired ones and go through
/// the deploy planner (rules added since are removed).
fn schedules(input: &RollbackInputs<'_>) -> Result<Plan, PlanError> {
    let mut schedules = Vec::new();
    for (key, rec) in &input.target.state.schedules {
        let Some(function) = rec.function.clone() else {
            return Err(PlanError::ReleaseIncomplete {
                release: input.target.id.clone(),
                missing: format!("the function schedule {} targeted ({})", rec.rule, rec.target_arn),
            });
        };
        schedules.push(ScheduleSpec {
            key: key.clone(),
            rule: rec.rule.clone(),
            expression: rec.expression.clone(),
            function,
            input: rec.input.clone(),
            enabled: rec.enabled,
            description: rec.description.clone(),
        });
    }
    let mut rolled = input.desired.clone();
    rolled.schedules = schedules;
    crate::plan::plan(
        &rolled,
        &crate::plan::Local::default(),
        input.observed,
        &Selection::Schedules,
        crate::plan::Options::default(),
    )
}
