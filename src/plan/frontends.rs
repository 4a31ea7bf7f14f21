//! Frontends: per frontend its bucket (created, versioned), its CloudFront
//! distribution (managed: created with the stack's index-page function and
//! the bucket-policy statement letting it read), then the sync: uploads
//! (assets, then HTML), the invalidation, the manifest, then deletions.

use crate::plan::{EdgeChange, NewDistribution, SiteChange};
use std::collections::BTreeMap;

use super::display::list_some;
use super::{Change, Inputs, Notes, Options, PlanError, PlannedApi, UploadPhase};
use crate::frontend::{self, LocalFile, SiteFile};
use crate::model::names::{
    api_origin_id, cloudfront_sid, manifest_key, s3_origin_domain, serves_bucket, statement_action, url_host,
    PublicStatement, API_ORIGIN_PREFIX,
};
use crate::model::{
    Desired, DistributionSpec, FrontendManifest, FrontendSpec, LiveFrontend, LiveOrigin, Observed, ServicePermission,
    Stored,
};
use crate::policy::{self, ArnScope};

/// What every frontend's plan shares.
struct FrontendContext<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    stack: &'a str,
    scope: &'a ArnScope<'a>,
    /// ARN of the stack's index-page function.
    index_function: String,
    options: Options,
    /// Warnings for the plan: changes left for a later deploy.
    deferred: std::cell::RefCell<Vec<String>>,
}

pub(super) fn plan(
    input: &Inputs<'_>,
    local: &BTreeMap<String, Vec<SiteFile>>,
    options: Options,
    notes: &mut Notes,
) -> Result<Vec<Change>, PlanError> {
    let (desired, observed) = (input.desired, input.observed);
    let mut out = Vec::new();
    let index_function = desired.stack.index_function();
    let selected = input.selection.frontends(desired);
    if selected.iter().any(|f| f.is_managed())
        && observed.index_function.as_deref() != Some(crate::model::edge::INDEX_FUNCTION_CODE.as_bytes())
    {
        out.push(Change::Edge(EdgeChange::PutIndexFunction {
            name: index_function.clone(),
        }));
    }
    let differs = match &observed.headers_policy {
        Some((_, live)) => headers_differences(live),
        None => Vec::new(),
    };
    if selected.iter().any(|f| f.is_managed()) && (observed.headers_policy.is_none() || !differs.is_empty()) {
        out.push(Change::Edge(EdgeChange::PutHeadersPolicy {
            name: desired.stack.headers_policy(),
            differs,
        }));
    }
    let ctx = FrontendContext {
        desired,
        observed,
        stack: &desired.stack.name,
        scope: &input.scope,
        index_function: input.scope.cloudfront_function(&index_function),
        options,
        deferred: Default::default(),
    };
    for spec in selected {
        if let Some(change) = request_policy(spec, &ctx) {
            out.push(change);
        }
        let files = local.get(&spec.key).map(Vec::as_slice).unwrap_or_default();
        let absent = LiveFrontend::default();
        let live = observed.frontends.get(&spec.key).unwrap_or(&absent);
        let changes = plan_frontend(spec, &ctx, files, live)?;
        if changes.is_empty() {
            notes.unchanged(
                format!("frontend/{}", spec.key),
                format!(
                    "{} file(s) in sync in s3://{}/{}",
                    files.len(),
                    spec.bucket,
                    spec.prefix
                ),
            );
        }
        out.extend(changes);
    }
    notes.warnings.extend(ctx.deferred.take());
    Ok(out)
}

/// A managed frontend's API that names its headers: its origin request
/// policy, when missing or forwarding other headers.
/// The security headers a live policy (name → value, as a browser sees
/// them) does not set as bosun does, in bosun's order; empty when current.
pub(super) fn headers_differences(live: &BTreeMap<String, String>) -> Vec<String> {
    crate::model::edge::security_headers()
        .into_iter()
        .filter(|(name, value)| live.get(*name) != Some(value))
        .map(|(name, _)| name.to_string())
        .collect()
}

fn request_policy(spec: &FrontendSpec, ctx: &FrontendContext<'_>) -> Option<Change> {
    let headers = spec.api.as_ref()?.headers.as_ref()?;
    let headers = crate::model::request_policy_headers(headers);
    let name = ctx.desired.stack.request_policy(&spec.key);
    let current = ctx
        .observed
        .request_policies
        .get(&name)
        .is_some_and(|(_, live)| crate::model::request_policy_current(live, &headers));
    (!current).then(|| {
        Change::Edge(EdgeChange::PutRequestPolicy {
            site: spec.key.clone(),
            name,
            headers,
        })
    })
}

/// One frontend: bucket, distribution, uploads (assets, then HTML), the
/// invalidation, the manifest, then deletions.
fn plan_frontend(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    local: &[SiteFile],
    live: &LiveFrontend,
) -> Result<Vec<Change>, PlanError> {
    let mut out = Vec::new();
    out.extend(bucket(spec, ctx, live)?);
    let distribution = distribution(spec, ctx, live, &mut out)?;
    let sync = Sync::compare(spec, local, live, ctx.options)?;
    out.extend(sync.uploads());
    if let Some(served) = distribution {
        out.extend(sync.invalidation(&served));
    }
    out.extend(sync.manifest());
    out.extend(sync.deletion());
    Ok(out)
}

/// The bucket: created in the stack's region, versioned (rollback restores
/// object versions); a bucket in another region is refused.
fn bucket(spec: &FrontendSpec, ctx: &FrontendContext<'_>, live: &LiveFrontend) -> Result<Option<Change>, PlanError> {
    let region = ctx.scope.region;
    match &live.bucket_region {
        None => Ok(Some(Change::Site(SiteChange::CreateBucket {
            site: spec.key.clone(),
            bucket: spec.bucket.clone(),
            region: region.to_string(),
        }))),
        Some(actual) if actual != region => Err(PlanError::BucketRegion {
            frontend: spec.key.clone(),
            bucket: spec.bucket.clone(),
            actual: actual.clone(),
            wanted: region.to_string(),
        }),
        Some(_) if !live.versioning => Ok(Some(Change::Site(SiteChange::EnableVersioning {
            site: spec.key.clone(),
            bucket: spec.bucket.clone(),
        }))),
        Some(_) => Ok(None),
    }
}

/// A distribution to invalidate, and the part of the bucket prefix its
/// viewers see (`viewer_prefix`).
pub(super) struct Served {
    pub id: String,
    pub viewer_prefix: String,
}

/// The part of the frontend's prefix that appears in viewer paths: the
/// distribution's origin for the bucket maps viewer path `/X` to the key
/// `{OriginPath}/X`, so a key `{prefix}{rel}` is served at
/// `/{viewer_prefix}{rel}`. `Err` lists the origins when none serves the prefix.
pub(super) fn viewer_prefix(spec: &FrontendSpec, origins: &[LiveOrigin]) -> Result<String, String> {
    for o in origins.iter().filter(|o| serves_bucket(&o.domain, &spec.bucket)) {
        let path = o.path.trim_matches('/');
        let base = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        if let Some(rest) = spec.prefix.strip_prefix(&base) {
            return Ok(rest.to_string());
        }
    }
    let listed: Vec<String> = origins.iter().map(|o| format!("{}{}", o.domain, o.path)).collect();
    Err(if listed.is_empty() {
        "none".into()
    } else {
        listed.join(", ")
    })
}

/// The distribution's changes; returns the distribution to invalidate
/// (none for a new one: it has nothing cached).
fn distribution(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    live: &LiveFrontend,
    out: &mut Vec<Change>,
) -> Result<Option<Served>, PlanError> {
    let before = out.len();
    let served = distribution_changes(spec, ctx, live, out)?;
    // CloudFront refuses a viewer certificate that is not issued or does
    // not cover the domain (InvalidViewerCertificate): refused here, before
    // any write, when this deploy would set it.
    let sets_domain = out[before..].iter().any(|c| {
        matches!(
            c,
            Change::Edge(EdgeChange::CreateDistribution(NewDistribution { domain: Some(_), .. }))
                | Change::Edge(EdgeChange::SetDomain { domain: Some(_), .. })
        )
    });
    if let (true, Some(domain)) = (sets_domain, &spec.domain) {
        if let Some(problem) = live
            .setup
            .wanted_certificate
            .as_ref()
            .and_then(|c| c.problem(&domain.name))
        {
            return Err(PlanError::Certificate {
                frontend: spec.key.clone(),
                certificate: domain.certificate.clone(),
                domain: domain.name.clone(),
                problem,
            });
        }
    }
    Ok(served)
}

/// [`distribution`]'s changes, before the certificate check.
fn distribution_changes(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    live: &LiveFrontend,
    out: &mut Vec<Change>,
) -> Result<Option<Served>, PlanError> {
    match (&spec.distribution, &live.distribution) {
        (DistributionSpec::None, _) => Ok(None),
        (DistributionSpec::Id(_), Some(d)) => {
            let viewer_prefix =
                viewer_prefix(spec, &live.setup.origins).map_err(|origins| PlanError::DistributionMisses {
                    frontend: spec.key.clone(),
                    id: d.clone(),
                    location: format!("s3://{}/{}", spec.bucket, spec.prefix),
                    origins,
                })?;
            Ok(Some(Served {
                id: d.clone(),
                viewer_prefix,
            }))
        }
        (DistributionSpec::Id(id), None) => Err(PlanError::NoDistribution {
            frontend: spec.key.clone(),
            id: id.clone(),
        }),
        (DistributionSpec::Managed, None) => {
            out.extend(new_managed(spec, ctx));
            Ok(None)
        }
        (DistributionSpec::Managed, Some(id)) => {
            out.extend(existing_managed(spec, ctx, live, id)?);
            // bosun's own distributions serve the prefix at the root (origin
            // path = prefix); one read without origins is taken to be one.
            Ok(Some(Served {
                id: id.clone(),
                viewer_prefix: viewer_prefix(spec, &live.setup.origins).unwrap_or_default(),
            }))
        }
    }
}

/// A new managed distribution: created whole (index function, API origin,
/// domain, headers policy), then the permissions that name its ARN.
fn new_managed(spec: &FrontendSpec, ctx: &FrontendContext<'_>) -> Vec<Change> {
    let api = planned_api(spec, ctx);
    let mut out = vec![
        Change::Edge(EdgeChange::CreateDistribution(NewDistribution {
            site: spec.key.clone(),
            bucket: spec.bucket.clone(),
            prefix: spec.prefix.clone(),
            comment: spec.distribution_comment(ctx.stack),
            index_function: ctx.index_function.clone(),
            api: api.clone(),
            domain: spec.domain.clone(),
            headers_policy: ctx.desired.stack.headers_policy(),
        })),
        allow_distribution(spec, None),
    ];
    if let Some(api) = &api {
        out.extend(allow_cloudfront(spec, api, None));
    }
    out
}

/// An existing managed distribution, repaired where it differs: its
/// region, index function, bucket access, API, domain and headers policy.
fn existing_managed(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    live: &LiveFrontend,
    id: &str,
) -> Result<Vec<Change>, PlanError> {
    // Found by its comment, which names the stack and the frontend but not
    // the region: the same stack deployed in another region must not take
    // this one over.
    let scope = ctx.scope;
    let wanted = s3_origin_domain(&spec.bucket, scope.region, scope.partition);
    let found: Vec<String> = live.setup.origins.iter().map(|o| o.domain.clone()).collect();
    if !found.is_empty() && !found.contains(&wanted) {
        return Err(PlanError::DistributionElsewhere {
            frontend: spec.key.clone(),
            id: id.to_string(),
            comment: spec.distribution_comment(ctx.stack),
            found: found.join(", "),
            wanted,
        });
    }
    let mut out = Vec::new();
    let stack = &ctx.desired.stack.name;
    match live.setup.stack_tag.as_deref() {
        Some(tag) if tag == stack => {}
        Some(tag) => {
            return Err(PlanError::DistributionOfAnotherStack {
                frontend: spec.key.clone(),
                id: id.to_string(),
                tagged: tag.to_string(),
                stack: stack.clone(),
            })
        }
        None => out.push(Change::Edge(EdgeChange::TagDistribution {
            site: spec.key.clone(),
            distribution: id.to_string(),
            arn: scope.distribution(id),
        })),
    }
    if live.setup.viewer_request_function.as_deref() != Some(ctx.index_function.as_str()) {
        out.push(Change::Edge(EdgeChange::AttachIndexFunction {
            site: spec.key.clone(),
            distribution: id.to_string(),
            function_arn: ctx.index_function.clone(),
        }));
    }
    let arn = scope.distribution(id);
    let statements = policy::distribution_statements(&spec.key, &spec.bucket, &spec.prefix, &arn, scope.partition);
    if !live
        .bucket_policy
        .as_ref()
        .is_some_and(|p| statements.iter().all(|s| policy::has_statement(p, s)))
    {
        out.push(allow_distribution(spec, Some(arn.clone())));
    }
    out.extend(api_repairs(spec, ctx, (live, id, &arn)));
    out.extend(domain_and_headers(spec, ctx, live, id));
    Ok(out)
}

/// The API as the frontend declares it now: added or repaired, or (gone
/// from the stack file) first no longer routed, then no longer permitted.
fn api_repairs(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    (live, id, arn): (&LiveFrontend, &str, &str),
) -> Vec<Change> {
    let mut out = Vec::new();
    let api = planned_api(spec, ctx);
    if let Some(api) = &api {
        out.extend(api_changes(spec, ctx, (live, id, arn), api));
    }
    let wanted = api.as_ref().map(|a| api_origin_id(&a.name));
    for origin in live
        .setup
        .origins
        .iter()
        .filter(|o| o.id.starts_with(API_ORIGIN_PREFIX))
    {
        if Some(&origin.id) != wanted.as_ref() {
            out.push(Change::Edge(EdgeChange::DetachApi {
                site: spec.key.clone(),
                distribution: id.to_string(),
                origin: origin.id.clone(),
            }));
        }
    }
    out.extend(stale_api_permissions(spec, ctx, live, api.as_ref()));
    out
}

/// The security headers policy on the default behaviour, and the custom
/// domain (or CloudFront's own name) with its certificate.
fn domain_and_headers(spec: &FrontendSpec, ctx: &FrontendContext<'_>, live: &LiveFrontend, id: &str) -> Vec<Change> {
    let mut out = Vec::new();
    let policy = ctx.observed.headers_policy.as_ref().map(|(id, _)| id);
    if policy.is_none() || live.setup.headers_policy.as_ref() != policy {
        out.push(Change::Edge(EdgeChange::AttachHeadersPolicy {
            site: spec.key.clone(),
            distribution: id.to_string(),
            name: ctx.desired.stack.headers_policy(),
        }));
    }
    let aliases: Vec<String> = spec.domain.iter().map(|d| d.name.clone()).collect();
    let certificate = spec.domain.as_ref().map(|d| d.certificate.clone());
    if live.setup.aliases != aliases || live.setup.certificate != certificate {
        out.push(Change::Edge(EdgeChange::SetDomain {
            site: spec.key.clone(),
            distribution: id.to_string(),
            domain: spec.domain.clone(),
        }));
    }
    out
}

/// The frontend's API function, as the distribution's origin for its path.
fn planned_api(spec: &FrontendSpec, ctx: &FrontendContext<'_>) -> Option<PlannedApi> {
    let api = spec.api.as_ref()?;
    let f = ctx.desired.function(&api.function)?;
    Some(PlannedApi {
        function: f.key.clone(),
        name: f.name.clone(),
        alias: f.alias.clone(),
        path: api.path.clone(),
        request_policy: api
            .headers
            .as_ref()
            .map(|_| ctx.desired.stack.request_policy(&spec.key)),
    })
}

/// The two statements letting the distribution call the API's URL.
fn allow_cloudfront(spec: &FrontendSpec, api: &PlannedApi, distribution_arn: Option<&str>) -> Vec<Change> {
    [PublicStatement::InvokeFunctionUrl, PublicStatement::InvokeFunction]
        .into_iter()
        .map(|statement| {
            Change::Edge(EdgeChange::AllowCloudFront {
                site: spec.key.clone(),
                function: api.function.clone(),
                name: api.name.clone(),
                alias: api.alias.clone(),
                statement,
                distribution_arn: distribution_arn.map(str::to_string),
            })
        })
        .collect()
}

/// An existing managed distribution's API: the origin (the function URL's
/// host, signed by an origin access control) and the path behaviour
/// targeting it, and the function's two statements naming the distribution.
fn api_changes(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    (live, id, arn): (&LiveFrontend, &str, &str),
    api: &PlannedApi,
) -> Vec<Change> {
    let mut out = Vec::new();
    let live_fn = ctx.observed.functions.get(&api.name).and_then(Option::as_ref);
    let host = live_fn.and_then(|f| f.url.as_ref()).map(|u| url_host(&u.url));
    let origin_id = api_origin_id(&api.name);
    let origin_ok = live.setup.origins.iter().any(|o| {
        o.id == origin_id && Some(o.domain.as_str()) == host && o.path.is_empty() && o.access_control.is_some()
    });
    // The behaviour's origin request policy: AWS's managed one, or bosun's
    // (not yet created: the behaviour must be pointed at it once it is).
    let want_policy = match &api.request_policy {
        None => Some(crate::model::ALL_VIEWER_EXCEPT_HOST_POLICY),
        Some(name) => ctx.observed.request_policies.get(name).map(|(id, _)| id.as_str()),
    };
    let policy_ok =
        want_policy.is_some() && live.setup.request_policies.get(&api.path).map(String::as_str) == want_policy;
    for statement in [PublicStatement::InvokeFunctionUrl, PublicStatement::InvokeFunction] {
        let sid = cloudfront_sid(&spec.key, statement);
        let want = ServicePermission {
            action: statement_action(statement).to_string(),
            principal: "cloudfront.amazonaws.com".to_string(),
            source: arn.to_string(),
        };
        let have = live_fn.and_then(|f| f.cloudfront_permissions.get(&sid));
        if have == Some(&want) {
            continue;
        }
        if have.is_some() {
            out.push(Change::Edge(EdgeChange::RemoveCloudFrontPermission {
                site: spec.key.clone(),
                name: api.name.clone(),
                alias: api.alias.clone(),
                sid,
            }));
        }
        out.push(Change::Edge(EdgeChange::AllowCloudFront {
            site: spec.key.clone(),
            function: api.function.clone(),
            name: api.name.clone(),
            alias: api.alias.clone(),
            statement,
            distribution_arn: Some(arn.to_string()),
        }));
    }
    // Granted first, routed after ("Restrict access to an AWS Lambda function
    // URL origin": the permission before the origin access control's
    // origin), so no request reaches a function that would refuse it.
    if !origin_ok || !policy_ok || live.setup.behaviors.get(&api.path) != Some(&origin_id) {
        out.push(Change::Edge(EdgeChange::AttachApi {
            site: spec.key.clone(),
            distribution: id.to_string(),
            api: api.clone(),
        }));
    }
    out
}

/// The frontend's CloudFront statements on functions that are no longer
/// its API (the `api` was removed or names another function): the
/// distribution must not keep calling them. Removed only once nothing
/// routes to the function: its origin is gone from the distribution and the
/// distribution is Deployed (until then some edge locations still send
/// requests there: "Update a distribution"); before that they wait for a
/// later deploy.
fn stale_api_permissions(
    spec: &FrontendSpec,
    ctx: &FrontendContext<'_>,
    live_site: &LiveFrontend,
    api: Option<&PlannedApi>,
) -> Vec<Change> {
    let sids =
        [PublicStatement::InvokeFunctionUrl, PublicStatement::InvokeFunction].map(|s| cloudfront_sid(&spec.key, s));
    let mut out = Vec::new();
    for f in ctx
        .desired
        .functions
        .iter()
        .filter(|f| api.is_none_or(|a| a.function != f.key))
    {
        let Some(live) = ctx.observed.functions.get(&f.name).and_then(Option::as_ref) else {
            continue;
        };
        let routed = live_site.setup.origins.iter().any(|o| o.id == api_origin_id(&f.name));
        for sid in sids.iter().filter(|sid| live.cloudfront_permissions.contains_key(*sid)) {
            if routed || !live_site.setup.deployed {
                ctx.deferred.borrow_mut().push(format!(
                    "frontend/{}: {}'s permission {sid} for the distribution stays until the distribution no longer routes to it and is Deployed; a later deploy removes it",
                    spec.key, f.name
                ));
                continue;
            }
            out.push(Change::Edge(EdgeChange::RemoveCloudFrontPermission {
                site: spec.key.clone(),
                name: f.name.clone(),
                alias: f.alias.clone(),
                sid: sid.clone(),
            }));
        }
    }
    out
}

fn allow_distribution(spec: &FrontendSpec, distribution_arn: Option<String>) -> Change {
    Change::Site(SiteChange::AllowDistribution {
        site: spec.key.clone(),
        bucket: spec.bucket.clone(),
        prefix: spec.prefix.clone(),
        distribution_arn,
    })
}

/// How a frontend's local files compare with its bucket and the manifest of
/// the last completed sync.
struct Sync<'a> {
    spec: &'a FrontendSpec,
    local: &'a [SiteFile],
    live: &'a LiveFrontend,
    manifest_key: String,
    /// Files whose bytes or headers are not in the bucket: uploaded.
    html: Vec<SiteFile>,
    assets: Vec<SiteFile>,
    /// Files that differ from what the last sync published.
    changed: Vec<&'a LocalFile>,
    /// Objects under the prefix with no local file.
    deletes: Vec<String>,
    /// Deleted objects a viewer may have cached: those the last sync
    /// published (all of them when bosun has no record yet).
    deleted_served: Vec<String>,
}

impl<'a> Sync<'a> {
    fn compare(
        spec: &'a FrontendSpec,
        local: &'a [SiteFile],
        live: &'a LiveFrontend,
        options: Options,
    ) -> Result<Sync<'a>, PlanError> {
        let manifest = live.manifest.as_ref();
        let in_manifest = |f: &LocalFile| {
            manifest
                .and_then(|m| m.files.get(&f.key))
                .is_some_and(|e| e.sha256 == f.sha256 && e.style.headers == f.style.headers)
        };
        let (html, assets): (Vec<SiteFile>, Vec<SiteFile>) = local
            .iter()
            .filter(|f| !in_bucket(live, f))
            .cloned()
            .partition(|f| f.is_html());
        let changed: Vec<&LocalFile> = local.iter().map(|f| &**f).filter(|f| !in_manifest(f)).collect();
        let manifest_key = manifest_key(spec);
        // The scan is sorted by key.
        let is_local = |k: &str| local.binary_search_by(|f| f.key.as_str().cmp(k)).is_ok();
        let deletes: Vec<String> = live
            .listing()
            .map(|(k, _)| k)
            .filter(|k| !is_local(k) && *k != manifest_key)
            .map(str::to_string)
            .collect();
        check_deletes(spec, local, &deletes, options)?;
        let deleted_served = deletes
            .iter()
            .filter(|k| manifest.is_none_or(|m| m.files.contains_key(k)))
            .cloned()
            .collect();
        Ok(Sync {
            spec,
            local,
            live,
            manifest_key,
            html,
            assets,
            changed,
            deletes,
            deleted_served,
        })
    }

    fn recorded(&self) -> Option<&'a FrontendManifest> {
        self.live.manifest.as_ref()
    }

    fn uploads(&self) -> Vec<Change> {
        [(UploadPhase::Assets, &self.assets), (UploadPhase::Html, &self.html)]
            .into_iter()
            .filter(|(_, files)| !files.is_empty())
            .map(|(phase, files)| {
                Change::Site(SiteChange::Upload {
                    site: self.spec.key.clone(),
                    bucket: self.spec.bucket.clone(),
                    phase,
                    files: files.clone(),
                })
            })
            .collect()
    }

    /// One invalidation for every changed and deleted path (as viewers ask
    /// for it), collapsed to wildcards past `invalidation_max_paths`.
    fn invalidation(&self, served: &Served) -> Option<Change> {
        if self.changed.is_empty() && self.deleted_served.is_empty() {
            return None;
        }
        let (prefix, viewer) = (self.spec.prefix.as_str(), served.viewer_prefix.as_str());
        let rels: Vec<String> = self
            .changed
            .iter()
            .map(|f| format!("{viewer}{}", f.rel()))
            .chain(
                self.deleted_served
                    .iter()
                    .map(|k| format!("{viewer}{}", k.strip_prefix(prefix).unwrap_or(k))),
            )
            .collect();
        let paths = frontend::invalidation_paths(rels.iter().map(String::as_str), self.spec.invalidation_max_paths);
        let shas: Vec<String> = self.changed.iter().map(|f| f.sha256.hex()).collect();
        let content: Vec<(&str, &str, &str)> = self
            .changed
            .iter()
            .zip(&shas)
            .map(|(f, sha)| (f.key.as_str(), sha.as_str(), f.style.headers.as_str()))
            .chain(self.deleted_served.iter().map(|k| (k.as_str(), "deleted", "")))
            .collect();
        Some(Change::Site(SiteChange::Invalidate {
            site: self.spec.key.clone(),
            caller_reference: frontend::caller_reference(
                &served.id,
                self.live.manifest_version.as_deref(),
                &paths,
                &content,
            ),
            distribution: served.id.clone(),
            paths,
        }))
    }

    /// The manifest is rewritten when anything was uploaded or it no longer
    /// describes the bucket.
    fn manifest_change(&self) -> bool {
        let (manifest, live) = (self.recorded(), self.live);
        let etags_moved =
            self.local.iter().any(
                |f| match (manifest.and_then(|m| m.files.get(&f.key)), live.listed(&f.key)) {
                    (Some(e), Some(l)) => e.etag != *l,
                    _ => false,
                },
            );
        let stale = manifest.is_none_or(|m| m.files.len() != self.local.len())
            || !self.changed.is_empty()
            || !self.deleted_served.is_empty()
            || etags_moved;
        !self.html.is_empty() || !self.assets.is_empty() || stale
    }

    fn manifest(&self) -> Option<Change> {
        if !self.manifest_change() {
            return None;
        }
        let manifest = self.recorded();
        let known: BTreeMap<String, Stored> = self
            .local
            .iter()
            .filter_map(|f| {
                let l = self.live.listed(&f.key)?;
                // The version id is known from the last manifest when its ETag still matches.
                let version_id = manifest
                    .and_then(|m| m.files.get(&f.key))
                    .filter(|e| e.etag == *l)
                    .and_then(|e| e.version_id.clone());
                Some((
                    f.key.clone(),
                    Stored {
                        etag: l.clone(),
                        version_id,
                    },
                ))
            })
            .collect();
        Some(Change::Site(SiteChange::WriteManifest {
            site: self.spec.key.clone(),
            bucket: self.spec.bucket.clone(),
            key: self.manifest_key.clone(),
            known: std::sync::Arc::new(known),
        }))
    }

    fn deletion(&self) -> Option<Change> {
        (!self.deletes.is_empty()).then(|| {
            Change::Site(SiteChange::DeleteObjects {
                site: self.spec.key.clone(),
                bucket: self.spec.bucket.clone(),
                keys: self.deletes.clone(),
            })
        })
    }
}

/// Whether the bucket holds `f`'s bytes and headers: by the manifest while
/// the object's ETag is the one it recorded, else by bosun's metadata.
fn in_bucket(live: &LiveFrontend, f: &LocalFile) -> bool {
    let Some(listed) = live.listed(&f.key) else {
        return false;
    };
    match live
        .manifest
        .as_ref()
        .and_then(|m| m.files.get(&f.key))
        .filter(|e| e.etag == *listed)
    {
        Some(entry) => entry.sha256 == f.sha256 && entry.style.headers == f.style.headers,
        None => live
            .metas
            .get(&f.key)
            .and_then(Option::as_ref)
            .is_some_and(|(sha, headers)| *sha == f.sha256 && *headers == f.style.headers),
    }
}

/// An empty folder, or more deletions than `max_deletes`, is refused
/// without --force-deletes (a failed build step must not empty a site).
fn check_deletes(
    spec: &FrontendSpec,
    local: &[SiteFile],
    deletes: &[String],
    options: Options,
) -> Result<(), PlanError> {
    if options.force_deletes {
        return Ok(());
    }
    if local.is_empty() && !deletes.is_empty() {
        return Err(PlanError::EmptyFrontend {
            frontend: spec.key.clone(),
            count: deletes.len(),
        });
    }
    if deletes.len() > spec.max_deletes {
        return Err(PlanError::TooManyDeletes {
            frontend: spec.key.clone(),
            count: deletes.len(),
            max: spec.max_deletes,
            sample: list_some(deletes.iter(), 3),
        });
    }
    Ok(())
}
