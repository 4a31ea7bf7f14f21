//! A writing run (`deploy`, `rollback`) from lock to lock:
//!
//! 1. [`Session::begin`]: the state bucket, the stack's lock (waiting for
//!    another run's, taking over a stale one), a Ctrl-C listener that stops
//!    apply after the step in flight.
//! 2. [`Session::apply_and_record`]: apply with the lock's journal as the
//!    step hook (noted in memory; the lock is rewritten only to renew its
//!    lease); read everything back once (the release and the report both
//!    use that read); fence (If-Match) and record the release; with
//!    `--keep`, delete the function versions no recent release needs.
//! 3. [`Session::end`]: releases the lock, on success, failure and
//!    interrupt alike.
//!
//! Which versions pruning may delete is decided by [`prunable`], a pure
//! function.

use crate::plan::SiteChange;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use futures_util::future::try_join_all;
use serde_json::json;

use crate::apply::{self, ApplyContext};
use crate::aws::{self, Clients};
use crate::failure::Failure;
use crate::model::{Desired, Observed, Selection};
use crate::observe;
use crate::output::Reporter;
use crate::plan::{self, Change, Plan};
use crate::release::{self, Release};
use crate::state::{self, Lock, StateStore};

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

/// What a locked deploy or rollback did.
#[derive(Default)]
pub struct Recorded {
    pub applied: apply::Applied,
    pub changes: usize,
    pub release: Option<String>,
    pub pruned: Vec<String>,
    /// The whole stack as read after apply (the release's capture): what
    /// the report shows, without reading it again.
    pub after: Option<Observed>,
}

/// What the release record says about the run that made it.
pub struct Record {
    /// `deploy` or `rollback`.
    pub kind: &'static str,
    /// The release a rollback went back to.
    pub rollback_of: Option<String>,
    /// `--keep N`: prune versions older than the N most recent releases.
    pub keep: Option<usize>,
}

/// A run holding the stack's lock.
pub struct Session<'c> {
    clients: &'c Clients,
    desired: &'c Desired,
    store: StateStore<'c>,
    lock: Lock,
    ctrl_c: tokio::task::JoinHandle<()>,
    /// Steps applied so far, over every pass (for the fault hook).
    steps: usize,
}

impl<'c> Session<'c> {
    /// Takes the stack's lock for `command` (as the lock and journal name it).
    pub async fn begin(
        clients: &'c Clients,
        desired: &'c Desired,
        args: &LockArgs,
        command: &str,
        reporter: &mut Reporter,
    ) -> Result<Session<'c>, Failure> {
        let store = crate::state::StateStore::of(clients, desired).await?;
        store.ensure().await?;
        let lock = store
            .lock(
                command,
                Duration::from_secs(args.lock_ttl),
                Duration::from_secs(args.lock_wait),
                |held| {
                    reporter.warn(&format!(
                        "waiting up to {}s for the lock held by {} ({} since {})",
                        args.lock_wait, held.who, held.command, held.started
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
        // stops, and `end` releases the lock.
        let ctrl_c = tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                apply::INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
                eprintln!("interrupt: finishing the step in flight, then stopping");
            }
        });
        Ok(Session {
            clients,
            desired,
            store,
            lock,
            ctrl_c,
            steps: 0,
        })
    }

    /// Whether no other run held the stack's lock since `mark` (taken
    /// before the stack was read): then that read still describes the stack
    /// and need not be repeated under the lock.
    pub async fn quiet_since(&self, mark: &state::LockMark) -> bool {
        self.store.quiet_since(mark, &self.lock).await
    }

    /// The stack this session deploys.
    pub fn desired(&self) -> &'c Desired {
        self.desired
    }

    /// Invalidations an earlier run (whose lock this one took over) created:
    /// caller reference → invalidation id.
    pub fn known_invalidations(&self) -> BTreeMap<String, String> {
        self.lock.inherited_invalidations()
    }

    /// Applies `plan`, journaling each step into the lock.
    pub async fn apply(
        &mut self,
        ctx: &ApplyContext<'_>,
        plan: &Plan,
        reporter: &mut Reporter,
    ) -> Result<apply::Applied, Failure> {
        let mut journal = LockJournal {
            store: &self.store,
            lock: &mut self.lock,
            steps: &mut self.steps,
            exit_after: fault_exit_after(),
        };
        Ok(apply::apply(ctx, plan, reporter, &mut journal)
            .await
            .map_err(Box::new)?)
    }

    /// Applies `plan` with the journal, then records the release (and prunes).
    pub async fn apply_and_record(
        &mut self,
        ctx: &ApplyContext<'_>,
        plan: &Plan,
        record: Record,
        reporter: &mut Reporter,
    ) -> Result<Recorded, Failure> {
        let applied = self.apply(ctx, plan, reporter).await?;
        self.record(&plan.changes, applied, record, None, reporter).await
    }

    /// Records the release of what `changes` (all of this run's passes)
    /// did, capturing the whole stack as it is now; prunes with `--keep`.
    /// `base` is the read this run planned its last pass from (and whether
    /// it covered the schedules): what no change touched is taken from it,
    /// and a site's files from the manifest apply wrote; only the rest is
    /// read again.
    pub async fn record(
        &mut self,
        changes: &[Change],
        applied: apply::Applied,
        record: Record,
        base: Option<(Observed, bool)>,
        reporter: &mut Reporter,
    ) -> Result<Recorded, Failure> {
        let mut applied = applied;
        let mut everything = match base {
            Some((base, schedules_read)) => {
                self.read_for_release(changes, &mut applied, base, schedules_read)
                    .await?
            }
            None => observe::observe(self.clients, self.desired, &Selection::All, &BTreeMap::new()).await?,
        };
        let id = self
            .record_release(changes, &record, &mut everything, &mut applied.manifests, reporter)
            .await?;
        // The release's fence (a moment ago) also covers pruning.
        let pruned = match record.keep {
            Some(n) => self.prune(&everything, n, reporter).await?,
            None => Vec::new(),
        };
        Ok(Recorded {
            changes: changes.len(),
            applied,
            release: Some(id),
            pruned,
            after: Some(everything),
        })
    }

    /// The whole stack after apply, reading only what `base` cannot tell:
    /// functions and schedules when a change touched them or `base` did not
    /// cover them (one read of both), a site when no manifest of this run
    /// and no entry of `base` describes it, or a distribution was created.
    async fn read_for_release(
        &self,
        changes: &[Change],
        applied: &mut apply::Applied,
        mut base: Observed,
        schedules_read: bool,
    ) -> Result<Observed, Failure> {
        let desired = self.desired;
        let touched = |kind: &str| changes.iter().any(|c| c.resource().starts_with(kind));
        let functions_known = desired.functions.iter().all(|f| base.functions.contains_key(&f.name));
        let read_functions = touched("function/") || touched("schedule/") || !functions_known || !schedules_read;
        // A site described only by its distribution (read because a
        // function names it) has no manifest in `base`: read it whole.
        let stale_sites: BTreeSet<&str> = desired
            .frontends
            .iter()
            .map(|f| f.key.as_str())
            .filter(|key| {
                !applied.manifests.contains_key(*key) && base.frontends.get(*key).is_none_or(|f| f.manifest.is_none())
            })
            .collect();
        // A distribution this run created: only its setup (domain) is new.
        let new_distributions = try_join_all(
            applied
                .distributions
                .iter()
                .filter(|(key, _)| !stale_sites.contains(key.as_str()))
                .map(|(key, id)| async move {
                    let setup = aws::cloudfront::setup(&self.clients.cloudfront, id).await?;
                    Ok::<_, aws::AwsError>((key.clone(), id.clone(), setup))
                }),
        );
        let read = |selection: Selection, needed: bool| async move {
            if needed {
                observe::observe(self.clients, desired, &selection, &BTreeMap::new())
                    .await
                    .map(Some)
            } else {
                Ok(None)
            }
        };
        // Selection::Schedules reads every function and the rules; Frontends every site.
        let (functions_and_rules, sites, new_distributions) = tokio::try_join!(
            read(Selection::Schedules, read_functions),
            read(Selection::Frontends, !stale_sites.is_empty()),
            new_distributions
        )?;
        for (key, id, setup) in new_distributions {
            let live = base.frontends.entry(key).or_default();
            live.distribution = Some(id);
            live.setup = setup.unwrap_or_default();
        }
        if let Some(fresh) = functions_and_rules {
            base.functions = fresh.functions;
            base.rules = fresh.rules;
        }
        let mut sites = sites;
        for spec in &desired.frontends {
            if let Some(fresh) = sites.as_mut().filter(|_| stale_sites.contains(spec.key.as_str())) {
                if let Some(f) = fresh.frontends.remove(&spec.key) {
                    base.frontends.insert(spec.key.clone(), f);
                }
            }
        }
        Ok(base)
    }

    /// Captures what is live into a new release record; returns its id.
    async fn record_release(
        &mut self,
        changes: &[Change],
        record: &Record,
        everything: &mut Observed,
        written: &mut BTreeMap<String, crate::model::WrittenManifest>,
        reporter: &mut Reporter,
    ) -> Result<String, Failure> {
        let mut state = release::capture_taking_manifests(self.desired, everything, written);
        // Files recorded before version ids were kept in the manifest: ask S3.
        // (A manifest this run wrote had them filled before it was written.)
        for rec in state.frontends.values_mut() {
            let recorded = rec.files.iter_mut().map(|(k, e)| (k, &mut e.version_id));
            aws::s3::fill_versions(&self.clients.s3, &rec.bucket, recorded).await?;
        }
        // Objects with no version id (S3's "null"): stored before the
        // bucket was versioned, or written by this run while the bucket's
        // first versioning was still taking effect. The release lists them
        // (it cannot restore them); the warning names this run's.
        let unversioned: Vec<String> = state.frontends.values().flat_map(|rec| rec.unversioned()).collect();
        let uploaded: BTreeSet<String> = changes
            .iter()
            .filter_map(|c| match c {
                Change::Site(SiteChange::Upload { bucket, files, .. }) => {
                    Some(files.iter().map(move |f| format!("s3://{bucket}/{}", f.key)))
                }
                _ => None,
            })
            .flatten()
            .collect();
        let fresh: Vec<&String> = unversioned.iter().filter(|k| uploaded.contains(*k)).collect();
        if !fresh.is_empty() {
            reporter.warn(&format!(
                "{} object(s) this deploy wrote got no version id ({}{}): S3 can take up to 15 minutes to start versioning a bucket after versioning is first enabled; a rollback to this release cannot restore them (the release lists them), and the next deploy that changes them records them with versions",
                fresh.len(),
                fresh.iter().take(3).map(|k| k.as_str()).collect::<Vec<_>>().join(", "),
                if fresh.len() > 3 { ", …" } else { "" }
            ));
        }
        // Still ours? (A step that outlived the TTL may have lost the lock.)
        self.store.journal(&mut self.lock, |_| {}).await?;
        let last = self.store.release_ids().await?;
        let release = Release {
            schema: release::SCHEMA,
            id: release::next_id(last.last().map(String::as_str)),
            time: state::now_text(),
            commit: state::commit(self.desired.file.parent().unwrap_or(Path::new("."))),
            who: state::who(),
            kind: record.kind.to_string(),
            rollback_of: record.rollback_of.clone(),
            changes: plan::summary(changes),
            state,
            unversioned,
        };
        self.store.put_release(&release).await?;
        reporter.done(
            "released",
            &format!("release/{}", release.id),
            &format!("record release {} ({} change(s))", release.id, release.changes.len()),
            Duration::ZERO,
            json!({"release": release.id}),
        );
        Ok(release.id)
    }

    /// Deletes the versions [`prunable`] names; a version Lambda will not
    /// delete (another alias, provisioned concurrency) is a warning: the
    /// deploy already succeeded.
    async fn prune(&self, live: &Observed, keep: usize, reporter: &mut Reporter) -> Result<Vec<String>, Failure> {
        let keep = keep.max(1);
        let recent = self.store.releases().await?;
        let recent: Vec<&Release> = recent.iter().take(keep).collect();
        let mut pruned = Vec::new();
        for (name, version) in prunable(self.desired, live, &recent) {
            let start = Instant::now();
            if let Err(e) = aws::lambda::delete_version(&self.clients.lambda, &name, &version).await {
                reporter.warn(&format!("version {version} of {name} was kept: {e}"));
                continue;
            }
            reporter.done(
                "pruned",
                &format!("function/{name}"),
                &format!("delete version {version} (older than the {keep} most recent releases)"),
                start.elapsed(),
                json!({"version": version}),
            );
            pruned.push(format!("{name}:{version}"));
        }
        Ok(pruned)
    }

    /// Releases the lock (a failure to do so is a warning naming `bosun unlock`).
    pub async fn end(self, reporter: &mut Reporter) {
        self.ctrl_c.abort();
        match self.store.unlock(&self.lock).await {
            Ok(true) => {}
            Ok(false) => reporter.warn("the lock was no longer this run's when it finished (taken over?)"),
            Err(e) => reporter.warn(&format!(
                "could not release the lock: {e}; `bosun unlock --id {}`",
                self.lock.record.id
            )),
        }
    }
}

/// The function versions `--keep` may delete, as (function name, version):
/// per function, those older than the oldest version that an alias or one
/// of the `recent` releases references, and referenced by none of them.
/// A function no alias or release references keeps everything.
pub fn prunable(desired: &Desired, live: &Observed, recent: &[&Release]) -> Vec<(String, String)> {
    let mut out = Vec::new();
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
                out.push((f.name.clone(), v.version.clone()));
            }
        }
    }
    out
}

/// The deploy lock's journal as apply's step hook: each step is noted,
/// and the lock rewritten only to renew its lease (and the test-only fault
/// hook `BOSUN_FAULT_EXIT_AFTER_STEPS=N`, which ends the process after N
/// steps as a kill would: the lock stays behind).
struct LockJournal<'s, 'c> {
    store: &'s StateStore<'c>,
    lock: &'s mut Lock,
    steps: &'s mut usize,
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
                plan::Change::Site(SiteChange::Invalidate { caller_reference, .. }) => extra["invalidation"]
                    .as_str()
                    .map(|id| (caller_reference.clone(), id.to_string())),
                _ => None,
            };
            self.store
                .note(self.lock, |j| {
                    j.done.push(line);
                    if let Some((r, id)) = invalidation {
                        j.invalidations.insert(r, id);
                    }
                })
                .await
                .map_err(|e| e.to_string())?;
            *self.steps += 1;
            if self.exit_after == Some(*self.steps) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LiveFunction, LiveVersion};
    use crate::release::{FunctionRecord, ReleaseState};

    fn live(alias: &str, versions: &[&str]) -> LiveFunction {
        let config = crate::model::FunctionConfig {
            code_sha256: String::new(),
            memory: 128,
            timeout: 3,
            description: String::new(),
            environment: BTreeMap::new(),
            runtime: "provided.al2023".into(),
            architecture: "x86_64".into(),
            role: String::new(),
            handler: "bootstrap".into(),
        };
        LiveFunction {
            arn: String::new(),
            latest: config.clone(),
            versions: versions
                .iter()
                .map(|v| LiveVersion {
                    version: v.to_string(),
                    config: config.clone(),
                })
                .collect(),
            alias: Some(alias.into()),
            url: None,
            public_url: Default::default(),
            event_permissions: BTreeMap::new(),
            cloudfront_permissions: BTreeMap::new(),
            reserved_concurrency: None,
        }
    }

    fn release(version: &str) -> Release {
        let mut state = ReleaseState::default();
        state.functions.insert(
            "api".into(),
            FunctionRecord {
                name: "t-api".into(),
                alias: "live".into(),
                version: version.into(),
                ..FunctionRecord::default()
            },
        );
        Release {
            schema: release::SCHEMA,
            id: String::new(),
            time: String::new(),
            commit: None,
            who: String::new(),
            kind: "deploy".into(),
            rollback_of: None,
            changes: Vec::new(),
            state,
            unversioned: Vec::new(),
        }
    }

    #[test]
    fn pruning_keeps_what_the_alias_and_recent_releases_use() {
        let text = "[stack]\nname = \"t\"\n\n[functions.api]\nbinary = \"/bin/sh\"\n";
        let desired = crate::stack::parse(Path::new("/tmp/t.toml"), text).unwrap();
        let mut observed = Observed::default();
        observed
            .functions
            .insert("t-api".into(), Some(live("5", &["1", "2", "3", "4", "5"])));
        // Releases at versions 5 and 3: 4 is newer than the oldest kept, so it stays too.
        let (newest, older) = (release("5"), release("3"));
        assert_eq!(
            prunable(&desired, &observed, &[&newest, &older]),
            [
                ("t-api".to_string(), "1".to_string()),
                ("t-api".to_string(), "2".to_string())
            ]
        );
        // Only the alias referenced: everything before it may go.
        assert_eq!(prunable(&desired, &observed, &[]).len(), 4);
        // A function not deployed has nothing to prune.
        observed.functions.insert("t-api".into(), None);
        assert!(prunable(&desired, &observed, &[&newest]).is_empty());
    }
}
