//! How a plan reads on a terminal: each change's resource and one-line
//! description, and the plan as a whole.

use crate::plan::{EdgeChange, FunctionChange, NewDistribution, RoleChange, ScheduleChange, SiteChange, TableChange};
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
            Change::Role(RoleChange::CreateBoundary { name, .. }) => format!("policy/{name}"),
            Change::Role(RoleChange::CreateRole { role, .. })
            | Change::Role(RoleChange::SetRoleBoundary { role, .. })
            | Change::Role(RoleChange::PutRolePolicy { role, .. }) => {
                format!("role/{role}")
            }
            Change::Table(TableChange::CreateTable { name, .. })
            | Change::Table(TableChange::UpdateBilling { name, .. })
            | Change::Table(TableChange::SetTtl { name, .. }) => {
                format!("table/{name}")
            }
            Change::Function(FunctionChange::UploadData { function, .. }) => format!("data/{function}"),
            Change::Edge(EdgeChange::PutIndexFunction { name }) => format!("cloudfront-function/{name}"),
            Change::Edge(EdgeChange::PutHeadersPolicy { name, .. }) => format!("response-headers-policy/{name}"),
            Change::Edge(EdgeChange::PutRequestPolicy { name, .. }) => format!("origin-request-policy/{name}"),
            Change::Function(FunctionChange::CreateSecret { parameter, .. }) => format!("parameter{parameter}"),
            Change::Function(FunctionChange::CreateFunction { name, .. })
            | Change::Function(FunctionChange::UpdateCode { name, .. })
            | Change::Function(FunctionChange::UpdateConfig { name, .. })
            | Change::Function(FunctionChange::PublishVersion { name, .. })
            | Change::Function(FunctionChange::PointAlias { name, .. })
            | Change::Function(FunctionChange::PutUrl { name, .. })
            | Change::Function(FunctionChange::PutConcurrency { name, .. })
            | Change::Function(FunctionChange::AllowPublicUrl { name, .. })
            | Change::Function(FunctionChange::RemovePublicUrl { name, .. })
            | Change::Function(FunctionChange::DeleteUrl { name, .. }) => format!("function/{name}"),
            Change::Site(SiteChange::CreateBucket { site, .. })
            | Change::Site(SiteChange::EnableVersioning { site, .. })
            | Change::Edge(EdgeChange::CreateDistribution(NewDistribution { site, .. }))
            | Change::Edge(EdgeChange::AttachApi { site, .. })
            | Change::Edge(EdgeChange::DetachApi { site, .. })
            | Change::Edge(EdgeChange::SetDomain { site, .. })
            | Change::Edge(EdgeChange::AttachHeadersPolicy { site, .. })
            | Change::Edge(EdgeChange::AllowCloudFront { site, .. })
            | Change::Edge(EdgeChange::RemoveCloudFrontPermission { site, .. })
            | Change::Edge(EdgeChange::AttachIndexFunction { site, .. })
            | Change::Edge(EdgeChange::TagDistribution { site, .. })
            | Change::Site(SiteChange::AllowDistribution { site, .. })
            | Change::Site(SiteChange::Upload { site, .. })
            | Change::Site(SiteChange::Invalidate { site, .. })
            | Change::Site(SiteChange::WriteManifest { site, .. })
            | Change::Site(SiteChange::DeleteObjects { site, .. })
            | Change::Site(SiteChange::RestoreObjects { site, .. })
            | Change::Site(SiteChange::WriteRecordedManifest { site, .. }) => format!("frontend/{site}"),
            Change::Schedule(ScheduleChange::AllowSchedule { rule, .. })
            | Change::Schedule(ScheduleChange::PutRule { rule, .. })
            | Change::Schedule(ScheduleChange::PutTarget { rule, .. })
            | Change::Schedule(ScheduleChange::RemoveTargets { rule, .. })
            | Change::Schedule(ScheduleChange::DeleteRule { rule, .. })
            | Change::Schedule(ScheduleChange::RemoveSchedulePermission { rule, .. }) => format!("schedule/{rule}"),
        }
    }

    /// A short human description of what the change does.
    // One arm per change kind, each a line of text: long, but splitting it
    // would only scatter the plan's wording.
    pub fn describe(&self) -> String {
        match self {
            Change::Role(RoleChange::CreateBoundary { .. }) => "create the stack's permissions boundary".into(),
            Change::Role(RoleChange::CreateRole { .. }) => "create role (trusts lambda.amazonaws.com; the stack's boundary)".into(),
            Change::Role(RoleChange::SetRoleBoundary { .. }) => "set the stack's permissions boundary".into(),
            Change::Role(RoleChange::PutRolePolicy { .. }) => "put inline policy `bosun`".into(),
            Change::Table(TableChange::CreateTable { .. }) => "create table".into(),
            Change::Table(TableChange::UpdateBilling { from, to, .. }) => format!("billing {from} → {to}"),
            Change::Table(TableChange::SetTtl {
                attribute,
                enabled: true,
                ..
            }) => format!("enable TTL on `{attribute}`"),
            Change::Table(TableChange::SetTtl {
                attribute,
                enabled: false,
                ..
            }) => format!("disable TTL on `{attribute}`"),
            Change::Function(FunctionChange::UploadData { bucket, file, .. }) => {
                let path = file.path();
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                format!("upload {name} to s3://{bucket}/{}", file.key)
            }
            Change::Function(FunctionChange::CreateSecret { .. }) => {
                "create SecureString parameter with a random value (never shown; kept on later deploys)".to_string()
            }
            Change::Function(FunctionChange::CreateFunction { config, .. }) => format!(
                "create function ({}, {}, {} MB, {} s) and publish version 1",
                config.runtime, config.architecture, config.memory, config.timeout
            ),
            Change::Function(FunctionChange::UpdateCode { from, to, .. }) => {
                format!("update code {} → {}", short(from), short(to))
            }
            Change::Function(FunctionChange::UpdateConfig { diff, .. }) => {
                format!("update configuration: {}", diff.join(", "))
            }
            Change::Function(FunctionChange::PublishVersion { .. }) => "publish a new version".into(),
            Change::Function(FunctionChange::PointAlias {
                alias, target, from, ..
            }) => {
                let to = match target {
                    AliasTarget::Published => "the new version".to_string(),
                    AliasTarget::Existing(v) => format!("existing version {v}"),
                };
                match from {
                    Some(f) => format!("move alias `{alias}` from version {f} to {to}"),
                    None => format!("create alias `{alias}` → {to}"),
                }
            }
            Change::Function(FunctionChange::PutConcurrency { from, to, .. }) => {
                let was = from.map_or("none".to_string(), |n| n.to_string());
                match to {
                    Some(0) => format!("reserve 0 concurrent executions: the function cannot run (was {was})"),
                    Some(n) => format!("reserve {n} concurrent executions (was {was})"),
                    None => format!("remove the concurrency reservation (was {was})"),
                }
            }
            Change::Function(FunctionChange::PutUrl {
                alias,
                auth,
                create: true,
                ..
            }) => format!("create function URL on `{alias}` (auth {auth})"),
            Change::Function(FunctionChange::PutUrl {
                alias,
                auth,
                create: false,
                ..
            }) => format!("set function URL auth on `{alias}` to {auth}"),
            Change::Function(FunctionChange::AllowPublicUrl {
                statement: PublicStatement::InvokeFunctionUrl,
                ..
            }) => "allow anyone to call the NONE-auth URL (lambda:InvokeFunctionUrl)".into(),
            Change::Function(FunctionChange::AllowPublicUrl {
                statement: PublicStatement::InvokeFunction,
                ..
            }) => "allow invocation through the function URL (lambda:InvokeFunction, InvokedViaFunctionUrl)".into(),
            Change::Function(FunctionChange::RemovePublicUrl { .. }) => "remove the public URL permissions".into(),
            Change::Function(FunctionChange::DeleteUrl { alias, .. }) => format!("delete function URL on `{alias}`"),
            Change::Site(SiteChange::CreateBucket { bucket, region, .. }) => {
                format!("create bucket {bucket} in {region} (private, versioned)")
            }
            Change::Site(SiteChange::EnableVersioning { bucket, .. }) => format!("enable versioning on bucket {bucket}"),
            Change::Edge(EdgeChange::CreateDistribution(NewDistribution { comment, api, .. })) => match api {
                Some(api) => format!(
                    "create CloudFront distribution \"{comment}\" with origin access control and the index function; {} behind {}",
                    api.name, api.path
                ),
                None => format!(
                    "create CloudFront distribution \"{comment}\" with origin access control and the index function"
                ),
            },
            Change::Edge(EdgeChange::PutHeadersPolicy { differs, .. }) if differs.is_empty() => {
                "create the response headers policy: HSTS, nosniff, DENY framing, no-referrer, Content-Security-Policy".into()
            }
            Change::Edge(EdgeChange::PutHeadersPolicy { differs, .. }) => {
                format!("update the response headers policy: {} differ(s) from what bosun sets", differs.join(", "))
            }
            Change::Edge(EdgeChange::PutRequestPolicy { headers, .. }) => {
                format!("create/update the API's origin request policy: forward {}", headers.join(", "))
            }
            Change::Edge(EdgeChange::AttachHeadersPolicy { distribution, .. }) => {
                format!("send the security headers on every response of distribution {distribution}")
            }
            Change::Edge(EdgeChange::SetDomain {
                distribution, domain, ..
            }) => match domain {
                Some(d) => format!(
                    "serve distribution {distribution} as {} (certificate {})",
                    d.name, d.certificate
                ),
                None => format!("remove the custom domain from distribution {distribution}"),
            },
            Change::Edge(EdgeChange::DetachApi {
                distribution, origin, ..
            }) => format!("remove the API origin {origin} and its path behaviour from distribution {distribution}"),
            Change::Edge(EdgeChange::AttachApi { distribution, api, .. }) => format!(
                "put {}'s URL behind {} on distribution {distribution} (lambda origin access control, no caching)",
                api.name, api.path
            ),
            Change::Edge(EdgeChange::AllowCloudFront {
                name, alias, statement, ..
            }) => format!(
                "let the distribution call {name}:{alias} ({} for cloudfront.amazonaws.com, scoped to the distribution)",
                crate::model::names::statement_action(*statement)
            ),
            Change::Edge(EdgeChange::RemoveCloudFrontPermission { name, alias, sid, .. }) => {
                format!("remove the outdated CloudFront statement {sid} from {name}:{alias}")
            }
            Change::Edge(EdgeChange::PutIndexFunction { .. }) => {
                "create/update and publish the viewer-request function serving folder index pages (/dir/ → /dir/index.html)".into()
            }
            Change::Edge(EdgeChange::TagDistribution { distribution, .. }) => {
                format!("tag distribution {distribution} bosun:stack (made before bosun tagged its distributions; needs an administrator's credentials once: the deployer policy changes only tagged distributions and tags none)")
            }
            Change::Edge(EdgeChange::AttachIndexFunction { distribution, .. }) => {
                format!("attach the index function to distribution {distribution} (viewer request)")
            }
            Change::Site(SiteChange::AllowDistribution { bucket, prefix, .. }) => {
                format!("bucket policy: let the distribution read s3://{bucket}/{prefix}* (origin access control)")
            }
            Change::Site(SiteChange::Upload { phase, files, .. }) => {
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
            Change::Site(SiteChange::Invalidate {
                distribution, paths, ..
            }) => {
                format!(
                    "invalidate {} path(s) on {distribution}: {}",
                    paths.len(),
                    list_some(paths.iter(), 10)
                )
            }
            Change::Site(SiteChange::WriteManifest { key, .. }) => format!("record the synced state in {key}"),
            Change::Site(SiteChange::DeleteObjects { keys, .. }) => format!("delete {} object(s): {}", keys.len(), list_some(keys.iter(), 10)),
            Change::Site(SiteChange::RestoreObjects { objects, .. }) => {
                format!(
                    "restore {} object(s) from their recorded versions: {}",
                    objects.len(),
                    list_some(objects.iter().map(|(k, _)| k), 10)
                )
            }
            Change::Site(SiteChange::WriteRecordedManifest { key, manifest, .. }) => {
                format!("record the restored state ({} file(s)) in {key}", manifest.files.len())
            }
            Change::Schedule(ScheduleChange::AllowSchedule { name, alias, .. }) => {
                format!("allow the rule to invoke {name}:{alias} (lambda permission scoped to the rule ARN)")
            }
            Change::Schedule(ScheduleChange::PutRule {
                expression,
                enabled,
                diff,
                ..
            }) => {
                let state = if *enabled { "enabled" } else { "disabled" };
                if diff.is_empty() {
                    format!("create rule {expression} ({state})")
                } else {
                    format!("update rule: {}", diff.join(", "))
                }
            }
            Change::Schedule(ScheduleChange::PutTarget { target_arn, input, .. }) => format!("target {target_arn} with input {input}"),
            Change::Schedule(ScheduleChange::RemoveTargets { ids, .. }) => format!("remove foreign target(s) {}", ids.join(", ")),
            Change::Schedule(ScheduleChange::DeleteRule { .. }) => "delete rule and its targets (no longer in the stack)".into(),
            Change::Schedule(ScheduleChange::RemoveSchedulePermission { name, alias, .. }) => {
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
                Change::Role(RoleChange::CreateBoundary { .. })
                    | Change::Role(RoleChange::CreateRole { .. })
                    | Change::Table(TableChange::CreateTable { .. })
                    | Change::Function(FunctionChange::CreateFunction { .. })
            ) || matches!(c, Change::Schedule(ScheduleChange::PutRule { diff, .. }) if diff.is_empty());
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
