//! The way back: the plan that puts the stack to a recorded release.

use std::collections::{BTreeMap, BTreeSet};

use super::{AliasTarget, Change, Plan, PlanError, Unchanged};
use crate::model::{Desired, FrontendManifest, Observed, ScheduleSpec, Selection};
use crate::release::Release;

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
    let mut changes = Vec::new();
    let mut unchanged = Vec::new();
    let mut missing = Vec::new();
    let state = &target.state;

    for (key, rec) in &state.functions {
        let live = observed.functions.get(&rec.name).and_then(Option::as_ref);
        let have = live.and_then(|l| l.version(&rec.version));
        match have {
            Some(v) if v.config.code_sha256 == rec.code_sha256 => {}
            _ => {
                missing.push(format!("function {} version {}", rec.name, rec.version));
                continue;
            }
        }
        let from = live.and_then(|l| l.alias.clone());
        if from.as_deref() == Some(rec.version.as_str()) {
            unchanged.push(Unchanged {
                resource: format!("function/{}", rec.name),
                note: format!("alias `{}` already → version {}", rec.alias, rec.version),
            });
        } else {
            changes.push(Change::PointAlias {
                function: key.clone(),
                name: rec.name.clone(),
                alias: rec.alias.clone(),
                target: AliasTarget::Existing(rec.version.clone()),
                from,
            });
        }
    }

    let mut site_changes = Vec::new();
    let mut site_deletions = Vec::new();
    for (key, rec) in &state.frontends {
        // The live listing is of the stack's current bucket and prefix; a
        // site that moved cannot be compared (or restored) against it.
        if let Some(spec) = desired.frontends.iter().find(|f| f.key == *key) {
            if spec.bucket != rec.bucket || spec.prefix != rec.prefix {
                missing.push(format!(
                    "frontend {key} at s3://{}/{} (it now deploys to s3://{}/{}; roll back after restoring the old bucket/prefix in the stack file)",
                    rec.bucket, rec.prefix, spec.bucket, spec.prefix
                ));
                continue;
            }
        } else {
            missing.push(format!("frontend {key} (no longer in the stack file)"));
            continue;
        }
        let empty = BTreeMap::new();
        let listing = listings.get(key).unwrap_or(&empty);
        let versions = stored_versions.get(key);
        let manifest_key = format!("{}{}", rec.prefix, crate::model::names::MANIFEST_NAME);
        let mut restore = Vec::new();
        for (k, e) in &rec.files {
            if listing.get(k) == Some(&e.etag) {
                continue;
            }
            match &e.version_id {
                Some(v) if versions.is_some_and(|set| set.contains(&(k.clone(), v.clone()))) => {
                    restore.push((k.clone(), v.clone()));
                }
                Some(v) => missing.push(format!("s3://{}/{k} version {v}", rec.bucket)),
                None => missing.push(format!("s3://{}/{k} (the release has no version id)", rec.bucket)),
            }
        }
        let deletes: Vec<String> = listing
            .keys()
            .filter(|k| !rec.files.contains_key(*k) && **k != manifest_key)
            .cloned()
            .collect();
        if restore.is_empty() && deletes.is_empty() {
            unchanged.push(Unchanged {
                resource: format!("frontend/{key}"),
                note: format!("{} file(s) as in release {}", rec.files.len(), target.id),
            });
            continue;
        }
        let rel = |k: &str| k.strip_prefix(rec.prefix.as_str()).unwrap_or(k).to_string();
        if !restore.is_empty() {
            site_changes.push(Change::RestoreObjects {
                site: key.clone(),
                bucket: rec.bucket.clone(),
                objects: restore.clone(),
            });
        }
        let spec = desired.frontends.iter().find(|f| f.key == *key);
        let max_paths = spec.map_or(15, |s| s.invalidation_max_paths);
        if let Some(dist) = &rec.distribution {
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
            site_changes.push(Change::Invalidate {
                site: key.clone(),
                caller_reference: crate::frontend::caller_reference(
                    dist,
                    observed.frontends.get(key).and_then(|s| s.manifest_version.as_deref()),
                    &paths,
                    &content,
                ),
                distribution: dist.clone(),
                paths,
            });
        }
        site_changes.push(Change::WriteRecordedManifest {
            site: key.clone(),
            bucket: rec.bucket.clone(),
            key: manifest_key,
            manifest: FrontendManifest {
                version: 1,
                files: rec.files.clone(),
            },
        });
        if !deletes.is_empty() {
            site_deletions.push(Change::DeleteObjects {
                site: key.clone(),
                bucket: rec.bucket.clone(),
                keys: deletes,
            });
        }
    }

    if !missing.is_empty() {
        return Err(PlanError::ReleaseIncomplete {
            release: target.id.clone(),
            missing: missing.join(", "),
        });
    }

    // Schedules: the recorded rules become the desired ones and go through
    // the deploy planner (rules added since are removed).
    let mut schedules = Vec::new();
    for (key, rec) in &state.schedules {
        let Some(function) = rec.function.clone() else {
            return Err(PlanError::ReleaseIncomplete {
                release: target.id.clone(),
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
    let mut rolled = desired.clone();
    rolled.schedules = schedules;
    let schedule_plan = crate::plan::plan(
        &rolled,
        &crate::plan::Local::default(),
        observed,
        &Selection::Schedules,
        crate::plan::Options::default(),
    )?;

    changes.extend(site_changes);
    changes.extend(schedule_plan.changes);
    changes.extend(site_deletions);
    unchanged.extend(schedule_plan.unchanged);
    Ok(Plan {
        changes,
        unchanged,
        warnings: Vec::new(),
    })
}
