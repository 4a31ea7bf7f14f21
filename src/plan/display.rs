//! How a plan reads on a terminal: each change's resource and one-line
//! description, and the plan as a whole.

use std::collections::BTreeMap;
use std::fmt;

use super::{AliasTarget, Change, Plan, UploadPhase};
use crate::model::names::PublicStatement;

/// The first `max` items, then how many more (nothing copied past those).
pub(super) fn list_some<S: AsRef<str>>(items: impl ExactSizeIterator<Item = S>, max: usize) -> String {
    let total = items.len();
    let mut s = String::new();
    for (i, item) in items.take(max).enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(item.as_ref());
    }
    if total > max {
        s.push_str(&format!(", … ({} more)", total - max));
    }
    s
}

impl Change {
    /// The change's kind as in JSON output, e.g. `put_rule`.
    pub fn action(&self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v["action"].as_str().map(str::to_string))
            .unwrap_or_default()
    }

    /// The resource this change applies to, as `kind/name`.
    pub fn resource(&self) -> String {
        match self {
            Change::CreateBoundary { name, .. } => format!("policy/{name}"),
            Change::CreateRole { role, .. }
            | Change::SetRoleBoundary { role, .. }
            | Change::PutRolePolicy { role, .. } => {
                format!("role/{role}")
            }
            Change::CreateTable { name, .. } | Change::UpdateBilling { name, .. } | Change::SetTtl { name, .. } => {
                format!("table/{name}")
            }
            Change::UploadData { function, .. } => format!("data/{function}"),
            Change::PutIndexFunction { name } => format!("cloudfront-function/{name}"),
            Change::PutHeadersPolicy { name, .. } => format!("response-headers-policy/{name}"),
            Change::PutRequestPolicy { name, .. } => format!("origin-request-policy/{name}"),
            Change::CreateSecret { parameter, .. } => format!("parameter{parameter}"),
            Change::CreateFunction { name, .. }
            | Change::UpdateCode { name, .. }
            | Change::UpdateConfig { name, .. }
            | Change::PublishVersion { name, .. }
            | Change::PointAlias { name, .. }
            | Change::PutUrl { name, .. }
            | Change::PutConcurrency { name, .. }
            | Change::AllowPublicUrl { name, .. }
            | Change::RemovePublicUrl { name, .. }
            | Change::DeleteUrl { name, .. } => format!("function/{name}"),
            Change::CreateBucket { site, .. }
            | Change::EnableVersioning { site, .. }
            | Change::CreateDistribution { site, .. }
            | Change::AttachApi { site, .. }
            | Change::DetachApi { site, .. }
            | Change::SetDomain { site, .. }
            | Change::AttachHeadersPolicy { site, .. }
            | Change::AllowCloudFront { site, .. }
            | Change::RemoveCloudFrontPermission { site, .. }
            | Change::AttachIndexFunction { site, .. }
            | Change::TagDistribution { site, .. }
            | Change::AllowDistribution { site, .. }
            | Change::Upload { site, .. }
            | Change::Invalidate { site, .. }
            | Change::WriteManifest { site, .. }
            | Change::DeleteObjects { site, .. }
            | Change::RestoreObjects { site, .. }
            | Change::WriteRecordedManifest { site, .. } => format!("frontend/{site}"),
            Change::AllowSchedule { rule, .. }
            | Change::PutRule { rule, .. }
            | Change::PutTarget { rule, .. }
            | Change::RemoveTargets { rule, .. }
            | Change::DeleteRule { rule, .. }
            | Change::RemoveSchedulePermission { rule, .. } => format!("schedule/{rule}"),
        }
    }

    /// A short human description of what the change does.
    // One arm per change kind, each a line of text: long, but splitting it
    // would only scatter the plan's wording.
    pub fn describe(&self) -> String {
        match self {
            Change::CreateBoundary { .. } => "create the stack's permissions boundary".into(),
            Change::CreateRole { .. } => "create role (trusts lambda.amazonaws.com; the stack's boundary)".into(),
            Change::SetRoleBoundary { .. } => "set the stack's permissions boundary".into(),
            Change::PutRolePolicy { .. } => "put inline policy `bosun`".into(),
            Change::CreateTable { .. } => "create table".into(),
            Change::UpdateBilling { from, to, .. } => format!("billing {from} → {to}"),
            Change::SetTtl {
                attribute,
                enabled: true,
                ..
            } => format!("enable TTL on `{attribute}`"),
            Change::SetTtl {
                attribute,
                enabled: false,
                ..
            } => format!("disable TTL on `{attribute}`"),
            Change::UploadData { bucket, file, .. } => {
                let path = file.path();
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                format!("upload {name} to s3://{bucket}/{}", file.key)
            }
            Change::CreateSecret { .. } => {
                "create SecureString parameter with a random value (never shown; kept on later deploys)".to_string()
            }
            Change::CreateFunction { config, .. } => format!(
                "create function ({}, {}, {} MB, {} s) and publish version 1",
                config.runtime, config.architecture, config.memory, config.timeout
            ),
            Change::UpdateCode { from, to, .. } => {
                format!("update code {} → {}", short(from), short(to))
            }
            Change::UpdateConfig { diff, .. } => {
                format!("update configuration: {}", diff.join(", "))
            }
            Change::PublishVersion { .. } => "publish a new version".into(),
            Change::PointAlias {
                alias, target, from, ..
            } => {
                let to = match target {
                    AliasTarget::Published => "the new version".to_string(),
                    AliasTarget::Existing(v) => format!("existing version {v}"),
                };
                match from {
                    Some(f) => format!("move alias `{alias}` from version {f} to {to}"),
                    None => format!("create alias `{alias}` → {to}"),
                }
            }
            Change::PutConcurrency { from, to, .. } => {
                let was = from.map_or("none".to_string(), |n| n.to_string());
                match to {
                    Some(0) => format!("reserve 0 concurrent executions: the function cannot run (was {was})"),
                    Some(n) => format!("reserve {n} concurrent executions (was {was})"),
                    None => format!("remove the concurrency reservation (was {was})"),
                }
            }
            Change::PutUrl {
                alias,
                auth,
                create: true,
                ..
            } => format!("create function URL on `{alias}` (auth {auth})"),
            Change::PutUrl {
                alias,
                auth,
                create: false,
                ..
            } => format!("set function URL auth on `{alias}` to {auth}"),
            Change::AllowPublicUrl {
                statement: PublicStatement::InvokeFunctionUrl,
                ..
            } => "allow anyone to call the NONE-auth URL (lambda:InvokeFunctionUrl)".into(),
            Change::AllowPublicUrl {
                statement: PublicStatement::InvokeFunction,
                ..
            } => "allow invocation through the function URL (lambda:InvokeFunction, InvokedViaFunctionUrl)".into(),
            Change::RemovePublicUrl { .. } => "remove the public URL permissions".into(),
            Change::DeleteUrl { alias, .. } => format!("delete function URL on `{alias}`"),
            Change::CreateBucket { bucket, region, .. } => {
                format!("create bucket {bucket} in {region} (private, versioned)")
            }
            Change::EnableVersioning { bucket, .. } => format!("enable versioning on bucket {bucket}"),
            Change::CreateDistribution { comment, api, .. } => match api {
                Some(api) => format!(
                    "create CloudFront distribution \"{comment}\" with origin access control and the index function; {} behind {}",
                    api.name, api.path
                ),
                None => format!(
                    "create CloudFront distribution \"{comment}\" with origin access control and the index function"
                ),
            },
            Change::PutHeadersPolicy { differs, .. } if differs.is_empty() => {
                "create the response headers policy: HSTS, nosniff, DENY framing, no-referrer, Content-Security-Policy".into()
            }
            Change::PutHeadersPolicy { differs, .. } => {
                format!("update the response headers policy: {} differ(s) from what bosun sets", differs.join(", "))
            }
            Change::PutRequestPolicy { headers, .. } => {
                format!("create/update the API's origin request policy: forward {}", headers.join(", "))
            }
            Change::AttachHeadersPolicy { distribution, .. } => {
                format!("send the security headers on every response of distribution {distribution}")
            }
            Change::SetDomain {
                distribution, domain, ..
            } => match domain {
                Some(d) => format!(
                    "serve distribution {distribution} as {} (certificate {})",
                    d.name, d.certificate
                ),
                None => format!("remove the custom domain from distribution {distribution}"),
            },
            Change::DetachApi {
                distribution, origin, ..
            } => format!("remove the API origin {origin} and its path behaviour from distribution {distribution}"),
            Change::AttachApi { distribution, api, .. } => format!(
                "put {}'s URL behind {} on distribution {distribution} (lambda origin access control, no caching)",
                api.name, api.path
            ),
            Change::AllowCloudFront {
                name, alias, statement, ..
            } => format!(
                "let the distribution call {name}:{alias} ({} for cloudfront.amazonaws.com, scoped to the distribution)",
                crate::model::names::statement_action(*statement)
            ),
            Change::RemoveCloudFrontPermission { name, alias, sid, .. } => {
                format!("remove the outdated CloudFront statement {sid} from {name}:{alias}")
            }
            Change::PutIndexFunction { .. } => {
                "create/update and publish the viewer-request function serving folder index pages (/dir/ → /dir/index.html)".into()
            }
            Change::TagDistribution { distribution, .. } => {
                format!("tag distribution {distribution} bosun:stack (made before bosun tagged its distributions; needs an administrator's credentials once: the deployer policy changes only tagged distributions and tags none)")
            }
            Change::AttachIndexFunction { distribution, .. } => {
                format!("attach the index function to distribution {distribution} (viewer request)")
            }
            Change::AllowDistribution { bucket, prefix, .. } => {
                format!("bucket policy: let the distribution read s3://{bucket}/{prefix}* (origin access control)")
            }
            Change::Upload { phase, files, .. } => {
                let what = match phase {
                    UploadPhase::Assets => "asset",
                    UploadPhase::Html => "HTML page",
                };
                format!(
                    "upload {} {what}(s): {}",
                    files.len(),
                    list_some(files.iter().map(|f| f.key.as_str()), 10)
                )
            }
            Change::Invalidate {
                distribution, paths, ..
            } => {
                format!(
                    "invalidate {} path(s) on {distribution}: {}",
                    paths.len(),
                    list_some(paths.iter(), 10)
                )
            }
            Change::WriteManifest { key, .. } => format!("record the synced state in {key}"),
            Change::DeleteObjects { keys, .. } => format!("delete {} object(s): {}", keys.len(), list_some(keys.iter(), 10)),
            Change::RestoreObjects { objects, .. } => {
                format!(
                    "restore {} object(s) from their recorded versions: {}",
                    objects.len(),
                    list_some(objects.iter().map(|(k, _)| k), 10)
                )
            }
            Change::WriteRecordedManifest { key, manifest, .. } => {
                format!("record the restored state ({} file(s)) in {key}", manifest.files.len())
            }
            Change::AllowSchedule { name, alias, .. } => {
                format!("allow the rule to invoke {name}:{alias} (lambda permission scoped to the rule ARN)")
            }
            Change::PutRule {
                expression,
                enabled,
                diff,
                ..
            } => {
                let state = if *enabled { "enabled" } else { "disabled" };
                if diff.is_empty() {
                    format!("create rule {expression} ({state})")
                } else {
                    format!("update rule: {}", diff.join(", "))
                }
            }
            Change::PutTarget { target_arn, input, .. } => format!("target {target_arn} with input {input}"),
            Change::RemoveTargets { ids, .. } => format!("remove foreign target(s) {}", ids.join(", ")),
            Change::DeleteRule { .. } => "delete rule and its targets (no longer in the stack)".into(),
            Change::RemoveSchedulePermission { name, alias, .. } => {
                format!("remove the rule's invoke permission from {name}:{alias}")
            }
        }
    }
}

pub(super) fn short(sha: &str) -> &str {
    if sha.is_empty() {
        "(none)"
    } else {
        &sha[..sha.len().min(10)]
    }
}

/// The changes to one resource, as the plan shows them.
pub struct ResourceChanges {
    /// "create" or "update".
    pub verb: &'static str,
    pub resource: String,
    pub changes: Vec<String>,
}

impl Plan {
    /// The changes grouped by resource, in apply order of first appearance.
    pub fn by_resource(&self) -> Vec<ResourceChanges> {
        let mut out: Vec<ResourceChanges> = Vec::new();
        for c in &self.changes {
            let r = c.resource();
            let creates = matches!(
                c,
                Change::CreateBoundary { .. }
                    | Change::CreateRole { .. }
                    | Change::CreateTable { .. }
                    | Change::CreateFunction { .. }
            ) || matches!(c, Change::PutRule { diff, .. } if diff.is_empty());
            match out.iter_mut().find(|g| g.resource == r) {
                Some(g) => {
                    g.changes.push(c.describe());
                    if creates {
                        g.verb = "create";
                    }
                }
                None => out.push(ResourceChanges {
                    verb: if creates { "create" } else { "update" },
                    resource: r,
                    changes: vec![c.describe()],
                }),
            }
        }
        out
    }

    /// "3 change(s) to 2 resource(s)", or "no changes".
    pub fn summary(&self) -> String {
        if self.changes.is_empty() {
            "no changes".into()
        } else {
            format!(
                "{} change(s) to {} resource(s)",
                self.changes.len(),
                self.by_resource().len()
            )
        }
    }

    /// Resources with nothing to change, with why.
    pub fn untouched(&self) -> impl Iterator<Item = &super::Unchanged> {
        let changed: BTreeMap<String, ()> = self.changes.iter().map(|c| (c.resource(), ())).collect();
        self.unchanged
            .iter()
            .filter(move |u| !changed.contains_key(&u.resource))
    }
}

/// A reference's value as shown: the URL, or that the deploy fills it in.
pub fn reference_value(r: &super::references::Resolved) -> &str {
    r.value
        .as_deref()
        .unwrap_or("(created by this deploy; set in its second pass)")
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for g in self.by_resource() {
            writeln!(f, "{:>7}  {}", g.verb, g.resource)?;
            for d in &g.changes {
                writeln!(f, "           - {d}")?;
            }
        }
        for u in self.untouched() {
            writeln!(f, "{:>7}  {}  ({})", "ok", u.resource, u.note)?;
        }
        for r in &self.references {
            writeln!(
                f,
                "    ref  function/{} {} = {} → {}",
                r.function,
                r.variable,
                r.reference,
                reference_value(r)
            )?;
        }
        writeln!(f, "{}", self.summary())
    }
}

/// One line per change, for a release's "what changed".
pub fn summary(changes: &[Change]) -> Vec<String> {
    changes
        .iter()
        .map(|c| format!("{}: {}", c.resource(), c.describe()))
        .collect()
}
