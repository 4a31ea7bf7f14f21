//! S3: site buckets, listings, uploads streamed from disk, deletions.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, Delete, ObjectIdentifier,
    PublicAccessBlockConfiguration, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::AwsError;
use crate::site::{SiteManifest, META_HEADERS, META_SHA256};

/// An object as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ListedObject {
    /// The ETag without quotes.
    pub etag: String,
    pub size: i64,
}

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

/// Every object under `prefix` (all pages).
pub async fn list(client: &Client, bucket: &str, prefix: &str) -> Result<BTreeMap<String, ListedObject>, AwsError> {
    let mut out = BTreeMap::new();
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
                out.insert(
                    key.to_string(),
                    ListedObject {
                        etag: o.e_tag().unwrap_or_default().trim_matches('"').to_string(),
                        size: o.size().unwrap_or(0),
                    },
                );
            }
        }
    }
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
) -> Result<(Option<SiteManifest>, Option<String>), AwsError> {
    match client.get_object().bucket(bucket).key(key).send().await {
        Ok(out) => {
            let version = out.version_id().map(str::to_string);
            let bytes = out
                .body
                .collect()
                .await
                .map_err(|e| AwsError {
                    operation: "s3:GetObject",
                    resource: format!("s3://{bucket}/{key}"),
                    message: e.to_string(),
                    code: None,
                    help: None,
                })?
                .into_bytes();
            // An unreadable manifest only costs extra HEADs; it is rewritten after the sync.
            Ok((serde_json::from_slice(&bytes).ok(), version))
        }
        Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => Ok((None, None)),
        Err(e) => Err(AwsError::from_sdk("s3:GetObject", &format!("s3://{bucket}/{key}"), e)),
    }
}

/// What to upload for one object.
pub struct PutFile<'a> {
    pub key: &'a str,
    pub path: &'a Path,
    pub content_type: &'a str,
    pub cache_control: &'a str,
    pub sha256: &'a str,
    /// Hex MD5 of the content; sent as Content-MD5 so S3 rejects a corrupted upload.
    pub md5: &'a str,
    pub headers: &'a str,
}

fn md5_base64(hex: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect();
    bytes.filter(|b| b.len() == 16).map(aws_smithy_types::base64::encode)
}

/// Uploads a file, streamed from disk; returns the ETag (without quotes).
pub async fn put_file(client: &Client, bucket: &str, f: &PutFile<'_>) -> Result<String, AwsError> {
    let resource = format!("s3://{bucket}/{}", f.key);
    let body = ByteStream::from_path(f.path).await.map_err(|e| AwsError {
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
        .metadata(META_SHA256, f.sha256)
        .metadata(META_HEADERS, f.headers)
        .set_content_md5(md5_base64(f.md5))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("s3:PutObject", &resource, e))?;
    Ok(out.e_tag().unwrap_or_default().trim_matches('"').to_string())
}

pub async fn put_json(client: &Client, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), AwsError> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
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

/// Lets one CloudFront distribution read `prefix` of the bucket: adds (or
/// replaces) bosun's statement for this site, keeping every other statement.
pub async fn allow_distribution(
    client: &Client,
    bucket: &str,
    prefix: &str,
    sid: &str,
    distribution_arn: &str,
    partition: &str,
) -> Result<(), AwsError> {
    let existing = match client.get_bucket_policy().bucket(bucket).send().await {
        Ok(out) => out
            .policy()
            .and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()),
        Err(e) if e.code() == Some("NoSuchBucketPolicy") => None,
        Err(e) => return Err(AwsError::from_sdk("s3:GetBucketPolicy", bucket, e)),
    };
    let mut policy = existing.unwrap_or_else(|| serde_json::json!({"Version": "2012-10-17", "Statement": []}));
    let statement = serde_json::json!({
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": format!("arn:{partition}:s3:::{bucket}/{prefix}*"),
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    });
    let statements = policy["Statement"].as_array_mut().ok_or_else(|| AwsError {
        operation: "s3:PutBucketPolicy",
        resource: bucket.to_string(),
        message: "the existing bucket policy has no Statement list".into(),
        code: None,
        help: Some("fix the bucket policy by hand, then run the deploy again".into()),
    })?;
    statements.retain(|s| s["Sid"] != sid);
    statements.push(statement);
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
    fn content_md5_is_base64_of_the_digest() {
        // md5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(
            super::md5_base64("d41d8cd98f00b204e9800998ecf8427e").as_deref(),
            Some("1B2M2Y8AsgTpgAmY7PhCfg==")
        );
        assert_eq!(super::md5_base64("zz"), None);
    }
}
