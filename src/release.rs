//! Releases: the whole deployed state after every deploy that changed
//! something, kept in the stack's state bucket; drift against the last one;
//! and rollback, which turns an earlier release back into a plan of the same
//! changes a deploy makes (alias moves, byte-exact object restores,
//! deletions, one invalidation, schedule puts). Pure: I/O lives in `cli` and
//! `aws::state`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::names::{self, TARGET_ID};
use crate::model::{Desired, ManifestFiles, Observed, WrittenFiles, WrittenManifest};
use crate::policy::ArnScope;

/// The release record format; readers refuse newer ones.
pub const SCHEMA: u32 = 1;

/// One release: who deployed what, when, and the whole resulting state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub schema: u32,
    /// Monotonic and sortable: zero-padded sequence number.
    pub id: String,
    /// UTC, RFC 3339.
    pub time: String,
    pub commit: Option<String>,
    pub who: String,
    /// "deploy" or "rollback".
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback_of: Option<String>,
    /// What this deploy changed, one line per change.
    pub changes: Vec<String>,
    pub state: ReleaseState,
    /// Objects recorded without a version id (`s3://bucket/key`): written
    /// while a bucket's first versioning was still taking effect (S3 may
    /// take up to 15 minutes), so a rollback to this release cannot bring
    /// them back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unversioned: Vec<String>,
}

/// The deployed state of the whole stack.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReleaseState {
    pub functions: BTreeMap<String, FunctionRecord>,
    pub frontends: BTreeMap<String, FrontendRecord>,
    pub schedules: BTreeMap<String, ScheduleRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FunctionRecord {
    pub name: String,
    pub alias: String,
    pub version: String,
    pub code_sha256: String,
    pub memory: i32,
    pub timeout: i32,
    pub runtime: String,
    pub architecture: String,
    /// Names only: values may be sensitive and never go into a record.
    pub environment_keys: Vec<String>,
    /// The function URL's auth type (NONE or AWS_IAM), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_auth: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FrontendRecord {
    pub bucket: String,
    pub prefix: String,
    pub distribution: Option<String>,
    /// Every served key → content hash, ETag, S3 version id, headers.
    pub files: ManifestFiles,
    /// A release captured right after this run wrote the site's manifest
    /// holds the files as written (then `files` is empty): they go into the
    /// record as `files` too, without a second copy of every entry.
    #[serde(skip)]
    pub written: Option<WrittenFiles>,
}

impl FrontendRecord {
    /// The recorded keys that have no version id.
    pub fn unversioned(&self) -> Vec<String> {
        let listed = self.files.iter().map(|(k, e)| (k, e.version_id.is_none()));
        let written = self
            .written
            .iter()
            .flat_map(|w| w.files.iter().zip(&w.stored))
            .map(|(f, s)| (f.key.as_str(), s.version_id.is_none()));
        listed
            .chain(written)
            .filter(|(_, missing)| *missing)
            .map(|(k, _)| format!("s3://{}/{k}", self.bucket))
            .collect()
    }
}

impl Serialize for FrontendRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut record = serializer.serialize_struct("FrontendRecord", 4)?;
        record.serialize_field("bucket", &self.bucket)?;
        record.serialize_field("prefix", &self.prefix)?;
        record.serialize_field("distribution", &self.distribution)?;
        match &self.written {
            Some(written) => record.serialize_field("files", written)?,
            None => record.serialize_field("files", &self.files)?,
        }
        record.end()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleRecord {
    pub rule: String,
    pub expression: String,
    pub enabled: bool,
    pub description: String,
    /// The function's stack key, when the target is one of the stack's aliases.
    pub function: Option<String>,
    pub target_arn: String,
    pub input: Value,
}

/// The id after `last`.
pub fn next_id(last: Option<&str>) -> String {
    let n = last.and_then(|l| l.parse::<u64>().ok()).unwrap_or(0);
    format!("{:06}", n + 1)
}

/// What is live now, as a release state. Frontend files come from each
/// site's manifest (the record of its last completed sync).
pub fn capture(desired: &Desired, observed: &Observed) -> ReleaseState {
    capture_with(desired, observed, |key| {
        observed.frontends.get(key)?.manifest.as_ref().map(|m| m.files.clone())
    })
}

/// [`capture`] that moves the sites' manifests out of `observed` instead of
/// copying them (a release of a large site holds one copy, not two), and
/// takes the files of the manifests this run wrote from `written`.
pub fn capture_taking_manifests(
    desired: &Desired,
    observed: &mut Observed,
    written: &mut BTreeMap<String, WrittenManifest>,
) -> ReleaseState {
    let mut files: BTreeMap<String, ManifestFiles> = observed
        .frontends
        .iter_mut()
        .filter_map(|(k, f)| Some((k.clone(), f.manifest.take()?.files)))
        .collect();
    let mut state = capture_with(desired, observed, |key| {
        if written.contains_key(key) {
            return Some(ManifestFiles::default());
        }
        files.remove(key)
    });
    for (key, record) in state.frontends.iter_mut() {
        record.written = written.remove(key).map(|m| m.files);
    }
    state
}

/// The release state of `observed`, with each site's files from `files_of`
/// (by frontend key; `None`: the site has no manifest and is not recorded).
fn capture_with(
    desired: &Desired,
    observed: &Observed,
    mut files_of: impl FnMut(&str) -> Option<ManifestFiles>,
) -> ReleaseState {
    let mut state = ReleaseState::default();
    let scope = ArnScope {
        partition: &observed.partition,
        region: &observed.region,
        account: &observed.account,
    };
    for f in &desired.functions {
        let Some(live) = observed.functions.get(&f.name).and_then(Option::as_ref) else {
            continue;
        };
        let Some(version) = live.alias.clone() else { continue };
        let Some(v) = live.version(&version) else { continue };
        state.functions.insert(
            f.key.clone(),
            FunctionRecord {
                name: f.name.clone(),
                alias: f.alias.clone(),
                version,
                code_sha256: v.config.code_sha256.clone(),
                memory: v.config.memory,
                timeout: v.config.timeout,
                runtime: v.config.runtime.clone(),
                architecture: v.config.architecture.clone(),
                environment_keys: v.config.environment.keys().cloned().collect(),
                url_auth: live.url.as_ref().map(|u| u.auth.clone()),
            },
        );
    }
    for spec in &desired.frontends {
        let Some(live) = observed.frontends.get(&spec.key) else {
            continue;
        };
        let Some(files) = files_of(&spec.key) else { continue };
        state.frontends.insert(
            spec.key.clone(),
            FrontendRecord {
                bucket: spec.bucket.clone(),
                prefix: spec.prefix.clone(),
                distribution: live.distribution.clone(),
                files,
                written: None,
            },
        );
    }
    let prefix = format!("{}-", desired.stack.name);
    for r in observed.rules.values().filter(|r| r.owned) {
        let key = r.name.strip_prefix(&prefix).unwrap_or(&r.name).to_string();
        let target = r.targets.iter().find(|t| t.id == TARGET_ID);
        let target_arn = target.map(|t| t.arn.clone()).unwrap_or_default();
        let function = desired
            .functions
            .iter()
            .find(|f| scope.alias(&f.name, &f.alias) == target_arn)
            .map(|f| f.key.clone());
        state.schedules.insert(
            key,
            ScheduleRecord {
                rule: r.name.clone(),
                expression: r.expression.clone().unwrap_or_default(),
                enabled: r.enabled,
                description: r.description.clone(),
                function,
                target_arn,
                input: target
                    .and_then(|t| t.input.as_deref())
                    .and_then(|i| serde_json::from_str(i).ok())
                    .unwrap_or(Value::Null),
            },
        );
    }
    state
}

/// Differences between the last release and what is live, one line each.
/// Frontend objects are compared by the listing's ETags, so an object
/// changed outside bosun shows even though the manifest does not.
pub fn drift(
    last: &ReleaseState,
    live: &ReleaseState,
    listings: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (key, rec) in &last.functions {
        match live.functions.get(key) {
            None => out.push(format!("function/{}: alias `{}` is gone", rec.name, rec.alias)),
            Some(l) if l.version != rec.version => out.push(format!(
                "function/{}: alias `{}` → version {}, the release has {}",
                rec.name, rec.alias, l.version, rec.version
            )),
            Some(l) if l.code_sha256 != rec.code_sha256 => {
                out.push(format!("function/{}: code differs from the release", rec.name))
            }
            Some(_) => {}
        }
    }
    for (key, l) in &live.functions {
        if !last.functions.contains_key(key) {
            out.push(format!("function/{}: not in the release", l.name));
        }
    }
    for (key, rec) in &last.frontends {
        let Some(listing) = listings.get(key) else { continue };
        for (k, e) in &rec.files {
            match listing.get(k) {
                None => out.push(format!("frontend/{key}: {k} is missing")),
                Some(etag) if *etag != e.etag => out.push(format!("frontend/{key}: {k} was changed outside bosun")),
                Some(_) => {}
            }
        }
        for k in listing.keys() {
            if !rec.files.contains_key(k) {
                out.push(format!("frontend/{key}: {k} is not in the release"));
            }
        }
    }
    for (key, rec) in &last.schedules {
        match live.schedules.get(key) {
            None => out.push(format!("schedule/{}: the rule is gone", rec.rule)),
            Some(l) => {
                if l.expression != rec.expression {
                    out.push(format!(
                        "schedule/{}: expression {} (release: {})",
                        rec.rule, l.expression, rec.expression
                    ));
                }
                if l.enabled != rec.enabled {
                    out.push(format!(
                        "schedule/{}: {} (release: {})",
                        rec.rule,
                        if l.enabled { "enabled" } else { "disabled" },
                        if rec.enabled { "enabled" } else { "disabled" }
                    ));
                }
                if l.target_arn != rec.target_arn || l.input != rec.input {
                    out.push(format!(
                        "schedule/{}: target or input differs from the release",
                        rec.rule
                    ));
                }
            }
        }
    }
    for (key, l) in &live.schedules {
        if !last.schedules.contains_key(key) {
            out.push(format!("schedule/{}: not in the release", l.rule));
        }
    }
    out
}

/// What live state is read for a release comparison: every frontend's
/// objects (by ETag, the manifest itself excluded).
pub fn listings(desired: &Desired, observed: &Observed) -> BTreeMap<String, BTreeMap<String, String>> {
    desired
        .frontends
        .iter()
        .filter_map(|spec| {
            let live = observed.frontends.get(&spec.key)?;
            live.bucket_region.as_ref()?;
            let manifest = names::manifest_key(spec);
            Some((
                spec.key.clone(),
                live.listing()
                    .filter(|(k, _)| *k != manifest)
                    .map(|(k, etag)| (k.to_string(), etag.to_string()))
                    .collect(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_monotonic_and_sortable() {
        assert_eq!(next_id(None), "000001");
        assert_eq!(next_id(Some("000009")), "000010");
        assert!(next_id(Some("000099")).as_str() > "000099");
    }

    #[test]
    fn drift_lists_alias_object_and_schedule_changes() {
        let rec = FunctionRecord {
            name: "s-api".into(),
            alias: "live".into(),
            version: "2".into(),
            code_sha256: "abc".into(),
            memory: 128,
            timeout: 3,
            runtime: "provided.al2023".into(),
            architecture: "x86_64".into(),
            environment_keys: vec![],
            url_auth: None,
        };
        let entry = crate::model::ManifestEntry {
            sha256: crate::model::Hex([1; 32]),
            md5: crate::model::Hex([2; 16]),
            etag: "e1".into(),
            size: 1,
            style: std::sync::Arc::new(crate::frontend::Style::new("text/html".into(), "no-cache".into())),
            version_id: Some("v1".into()),
        };
        let mut last = ReleaseState::default();
        last.functions.insert("api".into(), rec.clone());
        last.frontends.insert(
            "site".into(),
            FrontendRecord {
                bucket: "b".into(),
                prefix: "p/".into(),
                distribution: None,
                files: [("p/index.html".to_string(), entry)].into_iter().collect(),
                written: None,
            },
        );
        let mut live = last.clone();
        assert!(drift(
            &last,
            &live,
            &BTreeMap::from([(
                "site".to_string(),
                BTreeMap::from([("p/index.html".to_string(), "e1".to_string())])
            )])
        )
        .is_empty());
        live.functions.get_mut("api").unwrap().version = "1".into();
        let listing = BTreeMap::from([(
            "site".to_string(),
            BTreeMap::from([
                ("p/index.html".to_string(), "e2".to_string()),
                ("p/x.js".to_string(), "e3".to_string()),
            ]),
        )]);
        let d = drift(&last, &live, &listing);
        assert_eq!(
            d,
            [
                "function/s-api: alias `live` → version 1, the release has 2",
                "frontend/site: p/index.html was changed outside bosun",
                "frontend/site: p/x.js is not in the release",
            ]
        );
    }

    fn files_style_headers(m: &crate::model::FrontendManifest) -> String {
        m.files
            .iter()
            .next()
            .map(|(_, e)| e.style.headers.clone())
            .unwrap_or_default()
    }

    /// The manifest and the release record written from the scan and the
    /// upload results are the JSON the map form gives, byte for byte, and
    /// read back as that map.
    #[test]
    fn files_as_written_serialize_as_the_manifest_map() {
        use crate::frontend::LocalFile;
        use crate::model::{FrontendManifest, Stored};
        use std::sync::Arc;
        let file = |rel: &str, sha: u8| {
            Arc::new(LocalFile {
                dir: Arc::new("/site".into()),
                own: None,
                key: format!("p/{rel}"),
                rel_at: 2,
                size: 3,
                sha256: crate::frontend::Hex([sha; 32]),
                md5: crate::frontend::Hex([sha + 1; 16]),
                style: Arc::new(crate::frontend::Style::new(
                    "text/html; charset=utf-8".into(),
                    "no-cache".into(),
                )),
            })
        };
        let files = vec![file("a.html", 0xaa), file("b/c.html", 0x0c)];
        let stored = vec![
            // A single-part PUT's ETag: the MD5, kept once.
            Stored {
                etag: crate::model::Etag::new(&files[0].md5.hex()),
                version_id: Some("v1".into()),
            },
            Stored {
                etag: "e2-2".into(),
                version_id: None,
            },
        ];
        let stored_before = stored.clone();
        let map: ManifestFiles = files
            .iter()
            .zip(&stored_before)
            .map(|(f, s)| {
                (
                    f.key.clone(),
                    crate::model::ManifestEntry {
                        sha256: f.sha256,
                        md5: f.md5,
                        etag: s.etag.clone(),
                        size: f.size,
                        style: f.style.clone(),
                        version_id: s.version_id.clone(),
                    },
                )
            })
            .collect();
        assert_eq!(
            stored[0].etag,
            crate::model::Etag::Md5(files[0].md5),
            "a single-part PUT's ETag is kept as bytes"
        );
        assert_eq!(stored[1].etag, crate::model::Etag::Other("e2-2".into()));
        let written = WrittenFiles { files, stored };
        let as_map = FrontendManifest {
            version: 1,
            files: map.clone(),
        };
        let as_written = WrittenManifest {
            version: 1,
            files: written.clone(),
        };
        let text = serde_json::to_string(&as_written).unwrap();
        assert_eq!(text, serde_json::to_string(&as_map).unwrap());
        // The stored format, field for field (manifests written by earlier
        // versions read back, and theirs read ours).
        let headers = files_style_headers(&as_map);
        let expected = serde_json::json!({"version": 1, "files": {
            "p/a.html": {"sha256": "aa".repeat(32), "md5": "ab".repeat(16), "etag": "ab".repeat(16), "size": 3,
                "content_type": "text/html; charset=utf-8", "cache_control": "no-cache", "headers": headers,
                "version_id": "v1"},
            "p/b/c.html": {"sha256": "0c".repeat(32), "md5": "0d".repeat(16), "etag": "e2-2", "size": 3,
                "content_type": "text/html; charset=utf-8", "cache_control": "no-cache", "headers": headers},
        }});
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), expected);
        let parsed = serde_json::from_str::<FrontendManifest>(&expected.to_string()).unwrap();
        assert_eq!(parsed, as_map);
        let (a, b) = (
            parsed.files.get("p/a.html").unwrap(),
            parsed.files.get("p/b/c.html").unwrap(),
        );
        assert!(Arc::ptr_eq(&a.style, &b.style), "equal styles are shared when read");
        assert!(serde_json::from_str::<FrontendManifest>(&expected.to_string().replace("0c0c", "0z0c")).is_err());
        assert_eq!(serde_json::from_str::<FrontendManifest>(&text).unwrap(), as_map);

        let record = |files, written| FrontendRecord {
            bucket: "b".into(),
            prefix: "p/".into(),
            distribution: Some("E1".into()),
            files,
            written,
        };
        let text = serde_json::to_string_pretty(&record(ManifestFiles::default(), Some(written))).unwrap();
        assert_eq!(text, serde_json::to_string_pretty(&record(map.clone(), None)).unwrap());
        assert_eq!(
            serde_json::from_str::<FrontendRecord>(&text).unwrap(),
            record(map, None)
        );
    }
}
