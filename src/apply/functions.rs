//! Lambda: data files and secrets first, then code, configuration,
//! versions, aliases and URLs (with their public-URL statements).

use serde_json::{json, Value};

use super::{ApplyStepError, Step};
use crate::aws;
use crate::frontend::LocalFile;
use crate::plan::{AliasTarget, FunctionChange};

pub(super) async fn apply(s: &mut Step<'_, '_>, change: &FunctionChange) -> Result<Value, ApplyStepError> {
    let c = s.ctx.clients;
    match change {
        FunctionChange::UploadData { bucket, file, .. } => {
            aws::s3::put_file(&c.s3, bucket, &put_file(file)).await?;
        }
        FunctionChange::CreateSecret { function, parameter } => {
            aws::ssm::create_secret(&c.ssm, parameter, &c.stack, function).await?
        }
        FunctionChange::CreateFunction { function, name, config } => {
            let zip = s.package(function)?.zip_bytes().map_err(ApplyStepError::Package)?;
            let new_role = s.new_roles.contains(name.as_str());
            let version = aws::lambda::create_function(&c.lambda, name, config, &zip, new_role).await?;
            s.state.published.insert(function.clone(), version.clone());
            return Ok(json!({ "version": version }));
        }
        FunctionChange::UpdateCode { function, name, .. } => {
            let zip = s.package(function)?.zip_bytes().map_err(ApplyStepError::Package)?;
            let arch = s
                .ctx
                .desired
                .function(function)
                .map(|f| f.arch.as_str())
                .unwrap_or("x86_64");
            aws::lambda::update_code(&c.lambda, name, &zip, arch).await?
        }
        FunctionChange::UpdateConfig { name, config, .. } => {
            aws::lambda::update_config(&c.lambda, name, config).await?
        }
        FunctionChange::PublishVersion {
            function,
            name,
            code_sha256,
        } => {
            let version = aws::lambda::publish_version(&c.lambda, name, code_sha256).await?;
            s.state.published.insert(function.clone(), version.clone());
            return Ok(json!({ "version": version }));
        }
        FunctionChange::PointAlias {
            function,
            name,
            alias,
            target,
            from,
        } => return point_alias(s, function, name, alias, target, from.is_some()).await,
        FunctionChange::PutConcurrency { name, to, .. } => aws::lambda::put_concurrency(&c.lambda, name, *to).await?,
        FunctionChange::PutUrl {
            function,
            name,
            alias,
            auth,
            create,
        } => {
            let url = aws::lambda::put_url(&c.lambda, name, alias, auth, !create).await?;
            s.applied.urls.insert(function.clone(), url.clone());
            return Ok(json!({ "url": url }));
        }
        FunctionChange::AllowPublicUrl {
            name, alias, statement, ..
        } => aws::lambda::allow_public_url(&c.lambda, name, alias, *statement).await?,
        FunctionChange::RemovePublicUrl { name, alias, .. } => {
            aws::lambda::remove_public_url(&c.lambda, name, alias).await?
        }
        FunctionChange::DeleteUrl { name, alias, .. } => aws::lambda::delete_url(&c.lambda, name, alias).await?,
    }
    Ok(json!({}))
}

/// Points the alias at an existing version, or at the one this run published.
/// `exists`: the alias is there (it is updated, not created).
async fn point_alias(
    s: &mut Step<'_, '_>,
    function: &str,
    name: &str,
    alias: &str,
    target: &AliasTarget,
    exists: bool,
) -> Result<Value, ApplyStepError> {
    let version = match target {
        AliasTarget::Existing(v) => v.clone(),
        AliasTarget::Published => s.state.published.get(function).cloned().ok_or_else(|| {
            ApplyStepError::Internal(format!("no version was published for `{function}` before its alias"))
        })?,
    };
    aws::lambda::put_alias(&s.ctx.clients.lambda, name, alias, &version, exists).await?;
    s.applied.aliases.insert(function.to_string(), version.clone());
    Ok(json!({ "alias": alias, "version": version }))
}

/// A local file as S3 stores it: content, headers and bosun's metadata.
pub(super) fn put_file(f: &LocalFile) -> aws::s3::PutFile<'_> {
    aws::s3::PutFile {
        key: &f.key,
        path: f.path(),
        content_type: &f.style.content_type,
        cache_control: &f.style.cache_control,
        sha256: &f.sha256,
        md5: &f.md5,
        headers: &f.style.headers,
    }
}
