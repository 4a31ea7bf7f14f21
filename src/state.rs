//! The stack's state bucket: release records (`releases/ID.json`) and the
//! deploy lock (`lock.json`), both written with S3 conditional writes so two
//! runs can never both think they won.
//!
//! The lock carries a journal of what the run holding it has applied; a run
//! that takes over an expired lock (its holder was killed) learns what was
//! done, and which invalidations were already created, from it.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::aws::s3::{self, Condition};
use crate::aws::{AwsError, Clients};
use crate::release::{Release, SCHEMA};

pub const LOCK_KEY: &str = "lock.json";
const RELEASES: &str = "releases/";

/// What a lock says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    /// Random per run; `bosun unlock --id` names it.
    pub id: String,
    pub who: String,
    pub command: String,
    pub host: String,
    pub pid: u32,
    /// UTC, RFC 3339.
    pub started: String,
    /// Unix seconds; a lock past this is stale and may be taken over.
    pub expires: i64,
    #[serde(default)]
    pub journal: Journal,
}

/// What the holder has applied so far.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Journal {
    /// `resource: description` of each completed change, in order.
    pub done: Vec<String>,
    /// Invalidation CallerReference → invalidation id.
    pub invalidations: BTreeMap<String, String>,
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("the stack is locked by {} ({} on {}, pid {}) since {}, lock id {}; it expires in {}s\n      help: wait with --lock-wait SECONDS, or if that run is dead: bosun unlock --id {}", .0.who, .0.command, .0.host, .0.pid, .0.started, .0.id, .1, .0.id)]
    Held(Box<LockRecord>, i64),
    #[error("the lock at s3://{bucket}/{LOCK_KEY} cannot be read ({why})\n      help: inspect it, then remove it with bosun unlock --id ID")]
    Unreadable { bucket: String, why: String },
    #[error("the lock was taken over by another run while this one held it: {0}\n      help: the other run now owns the stack; check its outcome before deploying again")]
    Lost(String),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

/// A lock this run holds.
#[derive(Debug, Clone)]
pub struct Lock {
    pub record: LockRecord,
    etag: String,
    ttl: i64,
    /// The expired lock this run took over, if any (its journal says what that run did).
    pub took_over: Option<LockRecord>,
}

/// The newest entry of the lock's history (the state bucket is versioned)
/// when a run read the stack: once it holds the lock, the run can tell
/// whether any other run held it in between ([`StateStore::quiet_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockMark {
    /// No bucket, or a lock never taken.
    Never,
    /// The version id of the newest lock write or delete marker.
    Newest(String),
    /// Cannot tell (an unversioned bucket, a failed read): assume a run did.
    Unknown,
}

impl Lock {
    /// Invalidations the run whose expired lock this one took over had
    /// already created (CallerReference → id): apply does not create them again.
    pub fn inherited_invalidations(&self) -> BTreeMap<String, String> {
        self.took_over
            .as_ref()
            .map(|o| o.journal.invalidations.clone())
            .unwrap_or_default()
    }
}

pub struct StateStore<'c> {
    clients: &'c Clients,
    pub state_bucket: String,
}

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// Now, UTC, to the second (RFC 3339).
pub fn now_text() -> String {
    now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Who runs bosun: the CI job when there is one, else user@host.
pub fn who() -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if let (Some(actor), Some(run)) = (env("GITHUB_ACTOR"), env("GITHUB_RUN_ID")) {
        return format!("github-actions {actor} run {run}");
    }
    if let Some(job) = env("CI_JOB_ID") {
        return format!("gitlab-ci job {job}");
    }
    if env("CI").is_some() {
        return "ci".into();
    }
    format!("{}@{}", env("USER").unwrap_or_else(|| "unknown".into()), host())
}

fn host() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .unwrap_or_else(|| "unknown-host".into())
}

/// The git commit being deployed: CI's variable, else `git rev-parse HEAD` in `dir`.
pub fn commit(dir: &std::path::Path) -> Option<String> {
    for k in ["GITHUB_SHA", "CI_COMMIT_SHA", "BOSUN_COMMIT"] {
        if let Ok(v) = std::env::var(k) {
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(dir)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The history check of [`StateStore::quiet_since`]: the newest entry is
/// this run's lock (its ETag, a real version id) and the one before it is
/// `before` (`None`: there is none).
fn quiet(history: &[s3::HistoryEntry], our_etag: &str, before: Option<&str>) -> bool {
    let Some(ours) = history.first() else {
        return false;
    };
    let ours_ok = ours.is_latest && ours.version_id != "null" && ours.etag.as_deref() == Some(our_etag);
    ours_ok && history.get(1).map(|e| e.version_id.as_str()) == before
}

fn random_id() -> String {
    let mut h = sha2::Sha256::new();
    h.update(format!("{:?}{}{}", now(), std::process::id(), host()).as_bytes());
    h.finalize()[..6].iter().map(|b| format!("{b:02x}")).collect()
}

impl<'c> StateStore<'c> {
    /// The stack's state store: its bucket named for the credentials'
    /// account (one STS call, once per run).
    pub async fn of(clients: &'c Clients, desired: &crate::model::Desired) -> Result<StateStore<'c>, AwsError> {
        let (account, _) = clients.identity().await?;
        Ok(StateStore::new(clients, desired.stack.state_bucket(&account)))
    }

    pub fn new(clients: &'c Clients, state_bucket: String) -> StateStore<'c> {
        StateStore { clients, state_bucket }
    }

    /// Creates the bucket (private, versioned) when it does not exist yet.
    pub async fn ensure(&self) -> Result<(), AwsError> {
        match s3::bucket_region(&self.clients.state_s3, &self.state_bucket).await? {
            None => s3::create_bucket(&self.clients.state_s3, &self.state_bucket, &self.clients.region).await,
            Some(r) if r == self.clients.region => Ok(()),
            Some(r) => Err(AwsError {
                operation: "s3:HeadBucket",
                resource: self.state_bucket.clone(),
                message: format!(
                    "the state bucket is in {r}, the stack deploys to {}",
                    self.clients.region
                ),
                code: None,
                help: Some("set [stack] state_bucket to a bucket in the stack's region".into()),
            }),
        }
    }

    /// Release ids, oldest first (an absent bucket has none).
    pub async fn release_ids(&self) -> Result<Vec<String>, AwsError> {
        if s3::bucket_region(&self.clients.state_s3, &self.state_bucket)
            .await?
            .is_none()
        {
            return Ok(Vec::new());
        }
        let listed = s3::list(&self.clients.state_s3, &self.state_bucket, RELEASES, None).await?;
        Ok(listed
            .others()
            .keys()
            .filter_map(|k| k.strip_prefix(RELEASES)?.strip_suffix(".json").map(str::to_string))
            .collect())
    }

    pub async fn release(&self, id: &str) -> Result<Option<Release>, AwsError> {
        let key = format!("{RELEASES}{id}.json");
        let Some((bytes, _)) = s3::get_bytes(&self.clients.state_s3, &self.state_bucket, &key).await? else {
            return Ok(None);
        };
        let release: Release = serde_json::from_slice(&bytes).map_err(|e| AwsError {
            operation: "s3:GetObject",
            resource: format!("s3://{}/{key}", self.state_bucket),
            message: format!("not a release record: {e}"),
            code: None,
            help: None,
        })?;
        if release.schema > SCHEMA {
            return Err(AwsError {
                operation: "s3:GetObject",
                resource: format!("s3://{}/{key}", self.state_bucket),
                message: format!("release schema {} is newer than this bosun's {SCHEMA}", release.schema),
                code: None,
                help: Some("upgrade bosun".into()),
            });
        }
        Ok(Some(release))
    }

    /// All releases, newest first.
    pub async fn releases(&self) -> Result<Vec<Release>, AwsError> {
        let mut out = Vec::new();
        for id in self.release_ids().await?.iter().rev() {
            if let Some(r) = self.release(id).await? {
                out.push(r);
            }
        }
        Ok(out)
    }

    pub async fn latest(&self) -> Result<Option<Release>, AwsError> {
        match self.release_ids().await?.last() {
            Some(id) => self.release(id).await,
            None => Ok(None),
        }
    }

    /// Writes a release under its id; never overwrites one.
    pub async fn put_release(&self, release: &Release) -> Result<(), AwsError> {
        let key = format!("{RELEASES}{}.json", release.id);
        // Compact: a release holds every file of every site (pretty printing
        // doubles its size, and the record is read by bosun, not people).
        let body = s3::JsonFile::for_put(release, &format!("s3://{}/{key}", self.state_bucket))?;
        match s3::put_json_if(
            &self.clients.state_s3,
            &self.state_bucket,
            &key,
            body,
            &Condition::Absent,
        )
        .await?
        {
            Some(_) => Ok(()),
            None => Err(AwsError {
                operation: "s3:PutObject",
                resource: format!("s3://{}/{key}", self.state_bucket),
                message: "a release with this id already exists".into(),
                code: None,
                help: Some(
                    "another run recorded a release without the lock; run `bosun releases` and deploy again".into(),
                ),
            }),
        }
    }

    fn lock_body(record: &LockRecord) -> Result<Vec<u8>, AwsError> {
        serde_json::to_vec_pretty(record).map_err(|e| AwsError::build("s3:PutObject", LOCK_KEY, e))
    }

    /// Takes the lock; a held one is waited for up to `wait`, an expired one
    /// taken over (compare-and-swap on its ETag).
    pub async fn lock(
        &self,
        command: &str,
        ttl: Duration,
        wait: Duration,
        mut on_wait: impl FnMut(&LockRecord),
    ) -> Result<Lock, LockError> {
        let ttl = ttl.as_secs().max(1) as i64;
        let deadline = now().as_second() + wait.as_secs() as i64;
        let mut record = LockRecord {
            id: random_id(),
            who: who(),
            command: command.to_string(),
            host: host(),
            pid: std::process::id(),
            started: now_text(),
            expires: now().as_second() + ttl,
            journal: Journal::default(),
        };
        let c = &self.clients.state_s3;
        let mut waited = false;
        // Try the conditional create first; while another run's lock is
        // live, poll it with reads only and try again once it is gone.
        let mut try_create = true;
        loop {
            if try_create {
                record.expires = now().as_second() + ttl;
                let body = Self::lock_body(&record)?;
                if let Some(etag) = s3::put_json_if(c, &self.state_bucket, LOCK_KEY, body, &Condition::Absent).await? {
                    return Ok(Lock {
                        record,
                        etag,
                        ttl,
                        took_over: None,
                    });
                }
            }
            let Some((bytes, etag)) = s3::get_bytes(c, &self.state_bucket, LOCK_KEY).await? else {
                try_create = true;
                continue; // released in between
            };
            let held: LockRecord = serde_json::from_slice(&bytes).map_err(|e| LockError::Unreadable {
                bucket: self.state_bucket.clone(),
                why: e.to_string(),
            })?;
            let t = now().as_second();
            if held.expires <= t {
                record.expires = t + ttl;
                let body = Self::lock_body(&record)?;
                if let Some(new) =
                    s3::put_json_if(c, &self.state_bucket, LOCK_KEY, body, &Condition::Unchanged(etag)).await?
                {
                    return Ok(Lock {
                        record,
                        etag: new,
                        ttl,
                        took_over: Some(held),
                    });
                }
                continue; // someone else took it over first
            }
            if t >= deadline {
                return Err(LockError::Held(Box::new(held.clone()), held.expires - t));
            }
            if !waited {
                on_wait(&held);
                waited = true;
            }
            try_create = false;
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Where the lock's history stands now (never fails: an unreadable
    /// history is `Unknown`, which only costs a second read of the stack).
    pub async fn lock_mark(&self) -> LockMark {
        match s3::key_history(&self.clients.state_s3, &self.state_bucket, LOCK_KEY, 1).await {
            Ok(None) => LockMark::Never,
            Ok(Some(history)) => match history.first() {
                None => LockMark::Never,
                Some(e) if e.version_id == "null" => LockMark::Unknown,
                Some(e) => LockMark::Newest(e.version_id.clone()),
            },
            Err(e) => {
                tracing::debug!("lock history unreadable, the stack will be read again under the lock: {e}");
                LockMark::Unknown
            }
        }
    }

    /// Whether no other run held the lock between `mark` and `lock`'s
    /// acquisition: the lock's history holds, newest first, this run's write
    /// and then exactly the entry `mark` saw. Every run that writes the
    /// stack holds the lock while it does, so when this holds, the stack is
    /// as the run read it at `mark` (or changed outside bosun, which no
    /// read under the lock rules out either). A taken-over lock never
    /// counts as quiet: its run may have written after the read.
    pub async fn quiet_since(&self, mark: &LockMark, lock: &Lock) -> bool {
        if lock.took_over.is_some() {
            return false;
        }
        let before = match mark {
            LockMark::Unknown => return false,
            LockMark::Never => None,
            LockMark::Newest(id) => Some(id.as_str()),
        };
        let Ok(Some(history)) = s3::key_history(&self.clients.state_s3, &self.state_bucket, LOCK_KEY, 2).await else {
            return false;
        };
        quiet(&history, &lock.etag, before)
    }

    /// Notes a step in the lock's journal. The lock is rewritten (and its
    /// lease extended) only once a third of the lease has gone by since the
    /// last write, not after every step: recovery never needs the list of
    /// steps (every step is idempotent against a fresh read), so the write
    /// only keeps a long run's lock alive and tells a run that takes over
    /// what had been done by then. Fails when another run took the lock.
    pub async fn note(&self, lock: &mut Lock, update: impl FnOnce(&mut Journal)) -> Result<(), LockError> {
        update(&mut lock.record.journal);
        let left = lock.record.expires - now().as_second();
        if left > lock.ttl * 2 / 3 {
            return Ok(());
        }
        self.journal(lock, |_| {}).await
    }

    /// Rewrites the lock with its journal and extends it (If-Match: the
    /// fence before a release); fails when another run took it over.
    pub async fn journal(&self, lock: &mut Lock, update: impl FnOnce(&mut Journal)) -> Result<(), LockError> {
        update(&mut lock.record.journal);
        lock.record.expires = now().as_second() + lock.ttl;
        let body = Self::lock_body(&lock.record)?;
        match s3::put_json_if(
            &self.clients.state_s3,
            &self.state_bucket,
            LOCK_KEY,
            body,
            &Condition::Unchanged(lock.etag.clone()),
        )
        .await?
        {
            Some(etag) => {
                lock.etag = etag;
                Ok(())
            }
            None => Err(LockError::Lost(lock.record.id.clone())),
        }
    }

    /// Releases the lock if this run still holds it; `false` when it did not.
    pub async fn unlock(&self, lock: &Lock) -> Result<bool, AwsError> {
        s3::delete_if(&self.clients.state_s3, &self.state_bucket, LOCK_KEY, &lock.etag).await
    }

    /// `bosun unlock --id`: removes the lock only if it has that id.
    pub async fn force_unlock(&self, id: &str) -> Result<Option<LockRecord>, LockError> {
        let c = &self.clients.state_s3;
        let Some((bytes, etag)) = s3::get_bytes(c, &self.state_bucket, LOCK_KEY).await? else {
            return Ok(None);
        };
        let held: LockRecord = serde_json::from_slice(&bytes).map_err(|e| LockError::Unreadable {
            bucket: self.state_bucket.clone(),
            why: e.to_string(),
        })?;
        if held.id != id {
            return Err(LockError::Held(
                Box::new(held.clone()),
                held.expires - now().as_second(),
            ));
        }
        s3::delete_if(c, &self.state_bucket, LOCK_KEY, &etag).await?;
        Ok(Some(held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, etag: Option<&str>, latest: bool) -> s3::HistoryEntry {
        s3::HistoryEntry {
            version_id: id.into(),
            etag: etag.map(str::to_string),
            is_latest: latest,
        }
    }

    #[test]
    fn quiet_only_when_ours_follows_exactly_the_marked_entry() {
        let ours = entry("v9", Some("e9"), true);
        // The lock was released (a delete marker) when the stack was read, and
        // nobody took it since.
        assert!(quiet(&[ours.clone(), entry("d8", None, false)], "e9", Some("d8")));
        // Never taken before, and still only ours.
        assert!(quiet(std::slice::from_ref(&ours), "e9", None));
        // Another run locked and unlocked in between.
        assert!(!quiet(&[ours.clone(), entry("d7", None, false)], "e9", Some("d5")));
        // The mark saw no lock, but one came and went.
        assert!(!quiet(&[ours.clone(), entry("d1", None, false)], "e9", None));
        // The newest entry is not this run's write.
        assert!(!quiet(
            &[entry("v9", Some("other"), true), entry("d8", None, false)],
            "e9",
            Some("d8")
        ));
        assert!(!quiet(
            &[entry("v9", Some("e9"), false), entry("d8", None, false)],
            "e9",
            Some("d8")
        ));
        // An unversioned bucket cannot tell.
        assert!(!quiet(&[entry("null", Some("e9"), true)], "e9", None));
        assert!(!quiet(&[], "e9", None));
    }
}
