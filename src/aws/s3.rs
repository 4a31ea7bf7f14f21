//! S3: site buckets, listings, uploads streamed from disk, deletions.

use std::collections::BTreeMap;
use std::io::{Seek, Write};
use std::path::PathBuf;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures_util::StreamExt;

use super::AwsError;
use crate::model::names::{META_HEADERS, META_SHA256};
use crate::model::{Etag, FrontendManifest, Listing, ManifestFiles, Stored};

/// The bucket's region, or `None` when it does not exist.
pub async fn bucket_region(client: &Client, bucket: &str) -> Result<Option<String>, AwsError> {
    match client.head_bucket().bucket(bucket).send().await {
        Ok(out) => Ok(Some(out.bucket_region().unwrap_or("us-east-1").to_string())),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => Ok(None),
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 301) => {
            // Wrong-region endpoint: the header names the bucket's real region.
            let region = e
                .raw_response()
                .and_then(|r| r.headers().get("x-amz-bucket-region"))
                .unwrap_or("another region")
                .to_string();
            Ok(Some(region))
        }
        // HeadBucket API reference: 403 when the bucket exists but the
        // caller may not access it, or (bosun names the expected owner on
        // every call) when another account owns it.
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Err(AwsError {
            operation: "s3:HeadBucket",
            resource: bucket.to_string(),
            message: "the bucket exists but is not accessible to these credentials (403)".into(),
            code: Some("Forbidden".into()),
            help: Some(
                "bucket names are global: it probably belongs to another account (bosun sends ExpectedBucketOwner, so nothing is read from or written to a bucket this account does not own), so choose another name (`[stack] state_bucket` for the state bucket); if it is yours, allow s3:ListBucket on it".into(),
            ),
        }),
        Err(e) => Err(AwsError::from_sdk("s3:HeadBucket", bucket, e)),
    }
}

/// Creates a private bucket with versioning on. An existing bucket we own
/// (a retried create) is not an error.
pub async fn create_bucket(client: &Client, bucket: &str, region: &str) -> Result<(), AwsError> {
    let mut req = client.create_bucket().bucket(bucket);
    if region != "us-east-1" {
        req = req.create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(region))
                .build(),
        );
    }
    match req.send().await {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(|s| s.is_bucket_already_owned_by_you()) => {}
        Err(e) => return Err(AwsError::from_sdk("s3:CreateBucket", bucket, e)),
    }
    client
        .put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:PutPublicAccessBlock", bucket, e))?;
    enable_versioning(client, bucket).await
}

pub async fn enable_versioning(client: &Client, bucket: &str) -> Result<(), AwsError> {
    client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketVersioning", bucket, e))
}

/// Whether the bucket's versioning is `Enabled` (GetBucketVersioning: a
/// bucket never versioned has no Status; a suspended one says `Suspended`).
pub async fn versioning_enabled(client: &Client, bucket: &str) -> Result<bool, AwsError> {
    let out = client
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:GetBucketVersioning", bucket, e))?;
    Ok(out.status() == Some(&BucketVersioningStatus::Enabled))
}

/// Calls `each(key, etag)` for every object under `prefix`, page by page
/// as the pages arrive (a large site's listing is never held twice).
async fn each_object(
    client: &Client,
    bucket: &str,
    prefix: &str,
    mut each: impl FnMut(&str, Etag),
) -> Result<(), AwsError> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("s3:ListObjectsV2", bucket, e))?;
        for o in page.contents() {
            if let Some(key) = o.key() {
                each(key, Etag::new(o.e_tag().unwrap_or_default().trim_matches('"')));
            }
        }
    }
    Ok(())
}

/// Every object under `prefix` (all pages), held against `manifest` (see
/// [`Listing`]): what it records as listed is a flag, each page's objects
/// are folded in as the page arrives.
pub async fn list(
    client: &Client,
    bucket: &str,
    prefix: &str,
    manifest: Option<&ManifestFiles>,
) -> Result<Listing, AwsError> {
    let mut out = Listing::against(manifest);
    each_object(client, bucket, prefix, |key, etag| out.add(manifest, key, etag)).await?;
    // S3 lists in key order; sorting then only checks the order.
    Ok(out.done())
}

/// Every key under `prefix` and its ETag (all pages).
pub async fn etags(client: &Client, bucket: &str, prefix: &str) -> Result<BTreeMap<String, Etag>, AwsError> {
    let mut out = BTreeMap::new();
    each_object(client, bucket, prefix, |key, etag| {
        out.insert(key.to_string(), etag);
    })
    .await?;
    Ok(out)
}

/// bosun's metadata on an object: (content SHA-256, headers hash), if it has them.
pub async fn object_meta(client: &Client, bucket: &str, key: &str) -> Result<Option<(String, String)>, AwsError> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let meta = out.metadata();
            let get = |k: &str| meta.and_then(|m| m.get(k)).cloned();
            Ok(get(META_SHA256).zip(get(META_HEADERS)))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("s3:HeadObject", &format!("s3://{bucket}/{key}"), e)),
    }
}

/// The stored manifest of the last completed sync (if readable) and the
/// S3 version id it was stored under (`None` when the object does not exist).
pub async fn get_manifest(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<(Option<FrontendManifest>, Option<String>), AwsError> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let version = out.version_id().map(str::to_string);
            let resource = format!("s3://{bucket}/{key}");
            let spool_error = |what: &str, e: std::io::Error| temp_file_error("s3:GetObject", &resource, what, e);
            // Spooled to a temporary file and parsed from there: a large
            // site's manifest is never held whole beside what it parses into.
            let mut spool = tempfile::tempfile().map_err(|e| spool_error("create", e))?;
            let mut body = out.body;
            while let Some(chunk) = body.try_next().await.map_err(|e| AwsError {
                operation: "s3:GetObject",
                resource: resource.clone(),
                message: e.to_string(),
                code: None,
                help: None,
            })? {
                spool.write_all(&chunk).map_err(|e| spool_error("write to", e))?;
            }
            spool.rewind().map_err(|e| spool_error("read back", e))?;
            // An unreadable manifest only costs extra HEADs; it is rewritten
            // after the sync. Parsed on a blocking thread, not one of the
            // runtime's (the read goes on alongside the build and the scan).
            let parsed = tokio::task::spawn_blocking(move || {
                serde_json::from_reader::<_, FrontendManifest>(std::io::BufReader::new(spool)).ok()
            })
            .await
            .ok()
            .flatten();
            Ok((parsed, version))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok((None, None)),
        Err(e) => Err(AwsError::from_sdk("s3:GetObject", &format!("s3://{bucket}/{key}"), e)),
    }
}

/// What to upload for one object.
pub struct PutFile<'a> {
    pub key: &'a str,
    pub path: PathBuf,
    pub content_type: &'a str,
    pub cache_control: &'a str,
    pub sha256: &'a crate::model::Hex<32>,
    /// MD5 of the content; sent as Content-MD5 so S3 rejects a corrupted upload.
    pub md5: &'a crate::model::Hex<16>,
    pub headers: &'a str,
}

fn stored(etag: Option<&str>, version: Option<&str>) -> Stored {
    Stored {
        etag: Etag::new(etag.unwrap_or_default().trim_matches('"')),
        version_id: version.filter(|v| *v != "null").map(str::to_string),
    }
}

/// Uploads a file, streamed from disk.
pub async fn put_file(client: &Client, bucket: &str, f: &PutFile<'_>) -> Result<Stored, AwsError> {
    let resource = format!("s3://{bucket}/{}", f.key);
    let body = ByteStream::from_path(&f.path).await.map_err(|e| AwsError {
        operation: "s3:PutObject",
        resource: resource.clone(),
        message: format!("cannot read {}: {e}", f.path.display()),
        code: None,
        help: None,
    })?;
    let out = client
        .put_object()
        .bucket(bucket)
        .key(f.key)
        .body(body)
        .content_type(f.content_type)
        .cache_control(f.cache_control)
        .metadata(META_SHA256, f.sha256.hex())
        .metadata(META_HEADERS, f.headers)
        .content_md5(aws_smithy_types::base64::encode(f.md5.0))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:PutObject", &resource, e))?;
    Ok(stored(out.e_tag(), out.version_id()))
}

/// Restores a key to an earlier version by copying that version over it
/// (content, Content-Type, Cache-Control and metadata are copied byte-exact).
pub async fn copy_version(client: &Client, bucket: &str, key: &str, version_id: &str) -> Result<Stored, AwsError> {
    let resource = format!("s3://{bucket}/{key}?versionId={version_id}");
    let source = format!(
        "{bucket}/{}?versionId={}",
        percent_encoding::utf8_percent_encode(key, COPY_SOURCE),
        percent_encoding::utf8_percent_encode(version_id, COPY_SOURCE)
    );
    let out = client
        .copy_object()
        .bucket(bucket)
        .key(key)
        .copy_source(source)
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Copy)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:CopyObject", &resource, e))?;
    Ok(stored(
        out.copy_object_result().and_then(|r| r.e_tag()),
        out.version_id(),
    ))
}

/// Characters escaped in an x-amz-copy-source key: everything but unreserved and '/'.
const COPY_SOURCE: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Every (key, version id) stored under `prefix`, delete markers excluded.
pub async fn versions(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<std::collections::BTreeSet<(String, String)>, AwsError> {
    let mut out = std::collections::BTreeSet::new();
    let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:ListObjectVersions", bucket, e))?;
        for v in page.versions() {
            if let (Some(k), Some(id)) = (v.key(), v.version_id()) {
                out.insert((k.to_string(), id.to_string()));
            }
        }
        if page.is_truncated() != Some(true) {
            return Ok(out);
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
        if key_marker.is_none() {
            return Ok(out);
        }
    }
}

/// One entry of a key's history: a version or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub version_id: String,
    /// The version's ETag (a delete marker has none).
    pub etag: Option<String>,
    pub is_latest: bool,
}

/// The newest `max` entries of `key`'s history (versions and delete
/// markers), `None` when the bucket does not exist. S3 lists a key's
/// versions from the most recent to the least recent, delete markers
/// included, and `max` bounds both together; but the response splits them
/// into two lists whose LastModified has one-second resolution, so only the
/// entry marked latest is surely first (the rest are sorted by date, ties
/// unordered). [`crate::state::StateStore::quiet_since`] needs no more: the
/// latest, then whichever single entry remains with `max` = 2.
pub async fn key_history(
    client: &Client,
    bucket: &str,
    key: &str,
    max: i32,
) -> Result<Option<Vec<HistoryEntry>>, AwsError> {
    let page = match client
        .list_object_versions()
        .bucket(bucket)
        .prefix(key)
        .max_keys(max)
        .send()
        .await
    {
        Ok(page) => page,
        Err(e) if e.code() == Some("NoSuchBucket") => return Ok(None),
        Err(e) => return Err(AwsError::from_sdk("s3:ListObjectVersions", bucket, e)),
    };
    let mut entries: Vec<(bool, Option<aws_sdk_s3::primitives::DateTime>, HistoryEntry)> = Vec::new();
    for v in page.versions().iter().filter(|v| v.key() == Some(key)) {
        entries.push((
            v.is_latest() == Some(true),
            v.last_modified().cloned(),
            HistoryEntry {
                version_id: v.version_id().unwrap_or("null").to_string(),
                etag: v.e_tag().map(|e| e.trim_matches('"').to_string()),
                is_latest: v.is_latest() == Some(true),
            },
        ));
    }
    for m in page.delete_markers().iter().filter(|m| m.key() == Some(key)) {
        entries.push((
            m.is_latest() == Some(true),
            m.last_modified().cloned(),
            HistoryEntry {
                version_id: m.version_id().unwrap_or("null").to_string(),
                etag: None,
                is_latest: m.is_latest() == Some(true),
            },
        ));
    }
    entries.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    Ok(Some(entries.into_iter().map(|(_, _, e)| e).collect()))
}

/// The current version id of an object (`None` when it does not exist or the
/// bucket is unversioned).
pub async fn current_version(client: &Client, bucket: &str, key: &str) -> Result<Option<String>, AwsError> {
    match client.head_object().bucket(bucket).key(key).send().await {
        Ok(out) => Ok(out.version_id().filter(|v| *v != "null").map(str::to_string)),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("s3:HeadObject", &format!("s3://{bucket}/{key}"), e)),
    }
}

/// Fills each empty version id of `slots` (key, version id) with the
/// object's current version, a few HEADs at a time (a manifest written
/// before version ids were kept may name thousands).
pub async fn fill_versions<'a>(
    client: &Client,
    bucket: &str,
    slots: impl Iterator<Item = (&'a str, &'a mut Option<String>)>,
) -> Result<(), AwsError> {
    const HEADS: usize = 16;
    let mut heads = futures_util::stream::iter(slots.filter(|(_, v)| v.is_none()))
        .map(|(key, slot)| async move { current_version(client, bucket, key).await.map(|v| *slot = v) })
        .buffer_unordered(HEADS);
    while let Some(done) = heads.next().await {
        done?;
    }
    Ok(())
}

/// An object's bytes and ETag, or `None` when it does not exist.
pub async fn get_bytes(client: &Client, bucket: &str, key: &str) -> Result<Option<(Vec<u8>, String)>, AwsError> {
    let resource = format!("s3://{bucket}/{key}");
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let etag = out.e_tag().unwrap_or_default().trim_matches('"').to_string();
            let bytes = out.body.collect().await.map_err(|e| AwsError {
                operation: "s3:GetObject",
                resource: resource.clone(),
                message: e.to_string(),
                code: None,
                help: None,
            })?;
            Ok(Some((bytes.into_bytes().to_vec(), etag)))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("s3:GetObject", &resource, e)),
    }
}

/// bosun could not use a temporary file for `operation` on `resource`: the
/// error names the folder and what to do.
fn temp_file_error(operation: &'static str, resource: &str, what: &str, e: std::io::Error) -> AwsError {
    AwsError {
        operation,
        resource: resource.to_string(),
        message: format!(
            "cannot {what} a temporary file in {}: {e}",
            std::env::temp_dir().display()
        ),
        code: None,
        help: Some("free space there, or set TMPDIR to a writable folder, and run again".into()),
    }
}

/// A JSON document to PUT, written to a temporary file and sent from it: a
/// large site's manifest or release is MBs, and is never held whole in
/// memory. The file is removed when this is dropped.
pub struct JsonFile {
    file: tempfile::NamedTempFile,
}

impl JsonFile {
    /// Writes `value` as compact JSON for the PUT of `resource`; an error
    /// names the temporary folder and what to do.
    pub fn for_put<T: serde::Serialize + ?Sized>(value: &T, resource: &str) -> Result<JsonFile, AwsError> {
        JsonFile::write(value).map_err(|e| temp_file_error("s3:PutObject", resource, "write the document to", e))
    }

    /// Writes `value` as compact JSON.
    pub fn write<T: serde::Serialize + ?Sized>(value: &T) -> std::io::Result<JsonFile> {
        use std::io::Write;
        let mut file = tempfile::Builder::new().prefix("bosun-").suffix(".json").tempfile()?;
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, file.as_file_mut());
        serde_json::to_writer(&mut out, value)?;
        out.flush()?;
        drop(out);
        Ok(JsonFile { file })
    }

    /// The document's bytes as a body (read from the file, again for each attempt).
    async fn body(&self, operation: &'static str, resource: &str) -> Result<ByteStream, AwsError> {
        ByteStream::read_from()
            .path(self.file.path())
            .build()
            .await
            .map_err(|e| AwsError::build(operation, resource, e))
    }
}

/// A body for a JSON PUT: small ones in memory, large ones from a file.
pub enum JsonBody {
    Bytes(Vec<u8>),
    File(JsonFile),
}

impl From<Vec<u8>> for JsonBody {
    fn from(bytes: Vec<u8>) -> JsonBody {
        JsonBody::Bytes(bytes)
    }
}

impl From<JsonFile> for JsonBody {
    fn from(file: JsonFile) -> JsonBody {
        JsonBody::File(file)
    }
}

/// When a conditional write may happen.
#[derive(Debug, Clone)]
pub enum Condition {
    /// Only if the key does not exist (If-None-Match: *).
    Absent,
    /// Only if the object still has this ETag (If-Match).
    Unchanged(String),
}

/// A conditional PutObject of JSON: `Ok(Some(etag))` when written, `Ok(None)`
/// when the condition failed (someone else wrote first, or, for If-Match,
/// the object is gone: S3 answers 404 NoSuchKey there, not 412).
///
/// A write whose answer was lost (a timeout, a dropped connection) may have
/// happened: the SDK's retry then fails the condition against our own
/// write. So before calling a failed condition someone else's, the object
/// is read back; when it holds exactly these bytes, the write was ours.
pub async fn put_json_if(
    client: &Client,
    bucket: &str,
    key: &str,
    body: impl Into<JsonBody>,
    condition: &Condition,
) -> Result<Option<String>, AwsError> {
    let resource = format!("s3://{bucket}/{key}");
    // One copy of an in-memory body, shared by every attempt.
    let body = match body.into() {
        JsonBody::Bytes(bytes) => Ok(aws_smithy_types::body::SdkBody::from(bytes)),
        JsonBody::File(file) => Err(file),
    };
    let request = || async {
        let stream = match &body {
            Ok(bytes) => ByteStream::new(bytes.try_clone().expect("an in-memory body can be cloned")),
            Err(file) => file.body("s3:PutObject", &resource).await?,
        };
        let req = client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(stream)
            .content_type("application/json")
            .cache_control("no-store");
        Ok::<_, AwsError>(match condition {
            Condition::Absent => req.if_none_match("*"),
            Condition::Unchanged(etag) => req.if_match(format!("\"{etag}\"")),
        })
    };
    let mut attempt = 1;
    loop {
        match request().await?.send().await {
            Ok(out) => return Ok(Some(out.e_tag().unwrap_or_default().trim_matches('"').to_string())),
            Err(e) if is_conflict(&e) && attempt < CONFLICT_ATTEMPTS => {
                conflict_pause(attempt).await;
                attempt += 1;
            }
            Err(e)
                if is_precondition_failed(&e) || (is_not_found(&e) && matches!(condition, Condition::Unchanged(_))) =>
            {
                let ours = match &body {
                    Ok(bytes) => bytes.bytes().map(<[u8]>::to_vec),
                    Err(file) => std::fs::read(file.file.path()).ok(),
                };
                if let Some(ours) = ours {
                    if let Some((now, etag)) = get_bytes(client, bucket, key).await? {
                        if ours == now {
                            return Ok(Some(etag));
                        }
                    }
                }
                return Ok(None);
            }
            Err(e) => return Err(AwsError::from_sdk("s3:PutObject", &format!("s3://{bucket}/{key}"), e)),
        }
    }
}

fn is_not_found<E: ProvideErrorMetadata>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> bool {
    e.code() == Some("NoSuchKey") || e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
}

/// 409 ConditionalRequestConflict: another conditional write to the key was
/// in flight. S3's answer is "retry the request" (conditional requests,
/// S3 user guide); only 412 means the condition itself failed.
const CONFLICT_ATTEMPTS: u32 = 5;

async fn conflict_pause(attempt: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(100 << attempt.min(5))).await;
}

fn is_conflict<E: ProvideErrorMetadata>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> bool {
    e.code() == Some("ConditionalRequestConflict") || e.raw_response().is_some_and(|r| r.status().as_u16() == 409)
}

/// Deletes `key` only if it still has `etag`; `false` when it changed or is gone.
pub async fn delete_if(client: &Client, bucket: &str, key: &str, etag: &str) -> Result<bool, AwsError> {
    let mut attempt = 1;
    loop {
        match client
            .delete_object()
            .bucket(bucket)
            .key(key)
            .if_match(format!("\"{etag}\""))
            .send()
            .await
        {
            Ok(_) => return Ok(true),
            Err(e) if is_conflict(&e) && attempt < CONFLICT_ATTEMPTS => {
                conflict_pause(attempt).await;
                attempt += 1;
            }
            Err(e) if is_precondition_failed(&e) => return Ok(false),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 404) => return Ok(false),
            Err(e) => {
                return Err(AwsError::from_sdk(
                    "s3:DeleteObject",
                    &format!("s3://{bucket}/{key}"),
                    e,
                ))
            }
        }
    }
}

fn is_precondition_failed<E: ProvideErrorMetadata>(
    e: &aws_smithy_runtime_api::client::result::SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>,
) -> bool {
    e.code() == Some("PreconditionFailed") || e.raw_response().is_some_and(|r| r.status().as_u16() == 412)
}

pub async fn put_json(client: &Client, bucket: &str, key: &str, body: impl Into<JsonBody>) -> Result<(), AwsError> {
    // A file body is read while the request is sent: `_file` keeps it until then.
    let (stream, _file) = match body.into() {
        JsonBody::Bytes(bytes) => (ByteStream::from(bytes), None),
        JsonBody::File(file) => (
            file.body("s3:PutObject", &format!("s3://{bucket}/{key}")).await?,
            Some(file),
        ),
    };
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(stream)
        .content_type("application/json")
        .cache_control("no-store")
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutObject", &format!("s3://{bucket}/{key}"), e))
}

/// Deletes keys in batches of 1000 (on a versioned bucket: delete markers, so
/// every deleted file can still be restored).
pub async fn delete(client: &Client, bucket: &str, keys: &[String]) -> Result<(), AwsError> {
    for chunk in keys.chunks(1000) {
        let objects = chunk
            .iter()
            .map(|k| ObjectIdentifier::builder().key(k).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AwsError::build("s3:DeleteObjects", bucket, e))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| AwsError::build("s3:DeleteObjects", bucket, e))?;
        let out = client
            .delete_objects()
            .bucket(bucket)
            .delete(delete)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("s3:DeleteObjects", bucket, e))?;
        if let Some(err) = out.errors().first() {
            return Err(AwsError {
                operation: "s3:DeleteObjects",
                resource: format!("s3://{bucket}/{}", err.key().unwrap_or("?")),
                message: format!(
                    "{}: {} ({} of {} keys failed)",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or(""),
                    out.errors().len(),
                    chunk.len()
                ),
                code: err.code().map(str::to_string),
                help: Some("run the deploy again; deletions are safe to repeat".into()),
            });
        }
    }
    Ok(())
}

/// The bucket's policy document; `None` when it has none.
pub async fn bucket_policy(client: &Client, bucket: &str) -> Result<Option<serde_json::Value>, AwsError> {
    match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => Ok(out
            .policy()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok())),
        Err(e) if e.code() == Some("NoSuchBucketPolicy") => Ok(None),
        Err(e) => Err(AwsError::from_sdk("s3:GetBucketPolicy", bucket, e)),
    }
}

/// Puts `statement` into the bucket's policy (replacing a statement with
/// its Sid, keeping every other one). The policy is read right before the
/// put, so statements others added meanwhile are kept.
pub async fn put_policy_statements(
    client: &Client,
    bucket: &str,
    statements: Vec<serde_json::Value>,
) -> Result<(), AwsError> {
    let existing = bucket_policy(client, bucket).await?;
    let policy = statements
        .into_iter()
        .fold(existing, |policy, s| {
            Some(crate::policy::with_statement(policy.as_ref(), s))
        })
        .unwrap_or_default();
    client
        .put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("s3:PutBucketPolicy", bucket, e))
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_md5_is_base64_of_the_digest_and_metadata_its_hex() {
        use md5::Digest;
        let md5 = crate::model::Hex::<16>(md5::Md5::digest(b"").into());
        assert_eq!(aws_smithy_types::base64::encode(md5.0), "1B2M2Y8AsgTpgAmY7PhCfg==");
        assert_eq!(md5.hex(), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(md5 == *"D41D8CD98F00B204E9800998ECF8427E");
        assert!(md5 != *"d41d8cd98f00b204e9800998ecf8427");
        assert!(md5 != *"d41d8cd98f00b204e9800998ecf8427g");
        assert_eq!(
            serde_json::to_string(&md5).unwrap(),
            "\"d41d8cd98f00b204e9800998ecf8427e\""
        );
    }
}
