//! Observed state: what AWS has now, for the resources a stack declares.
//!
//! Read-only: every call made here is a Get/List/Describe. The per-resource
//! reads run concurrently. The types are plain data the planner compares with
//! the desired state.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use futures_util::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::aws::s3::ListedObject;
use crate::aws::{self, AwsError, Clients};
use crate::model::{Billing, Desired, DistributionSpec, FrontendSpec, FunctionConfig, KeyAttr};
use crate::plan::Selection;
use crate::site::{self, LocalFile, SiteManifest};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveRole {
    pub arn: String,
    pub trust: serde_json::Value,
    /// bosun's inline policy on the role, if present.
    pub policy: Option<serde_json::Value>,
    /// The region whose functions the role serves (tag `bosun:region`;
    /// absent on roles made before bosun tagged them).
    pub region: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveTable {
    pub arn: String,
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub billing: Billing,
    pub ttl: LiveTtl,
}

/// A table's TTL as DescribeTimeToLive reports it. ENABLING and DISABLING
/// are changes still in progress: DynamoDB refuses another UpdateTimeToLive
/// on the table until the change has fully processed (up to an hour).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "status", content = "attribute", rename_all = "snake_case")]
pub enum LiveTtl {
    #[default]
    Disabled,
    Enabled(String),
    Enabling(String),
    Disabling(String),
}

impl LiveTtl {
    /// The attribute TTL is (or is becoming) enabled on.
    pub fn enabled_on(&self) -> Option<&str> {
        match self {
            LiveTtl::Enabled(a) | LiveTtl::Enabling(a) => Some(a),
            LiveTtl::Disabled | LiveTtl::Disabling(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveVersion {
    pub version: String,
    pub config: FunctionConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveUrl {
    pub url: String,
    pub auth: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveFunction {
    pub arn: String,
    /// `$LATEST`.
    pub latest: FunctionConfig,
    /// Published versions, oldest first.
    pub versions: Vec<LiveVersion>,
    /// The stack's alias, and the version it points at.
    pub alias: Option<String>,
    pub url: Option<LiveUrl>,
    /// The alias's two public-URL statements (a `NONE`-auth URL needs both).
    pub public_url: UrlPermissions,
    /// bosun's schedule permissions on the alias: statement id → the rule ARN it allows.
    pub event_permissions: BTreeMap<String, String>,
}

/// One statement bosun manages in a resource policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementState {
    #[default]
    Absent,
    /// Present and saying what bosun puts there.
    Present,
    /// A statement with bosun's id that says something else (replaced on deploy).
    Wrong,
}

/// The statements that make a `NONE`-auth function URL public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct UrlPermissions {
    /// `lambda:InvokeFunctionUrl` for `FunctionUrlAuthType = NONE`.
    pub invoke_url: StatementState,
    /// `lambda:InvokeFunction` for `InvokedViaFunctionUrl = true`.
    pub invoke_function: StatementState,
}

impl UrlPermissions {
    /// Both statements, as Lambda needs them for a public URL.
    pub fn both() -> UrlPermissions {
        UrlPermissions {
            invoke_url: StatementState::Present,
            invoke_function: StatementState::Present,
        }
    }

    /// Any statement with one of bosun's public-URL ids.
    pub fn any(&self) -> bool {
        self.invoke_url != StatementState::Absent || self.invoke_function != StatementState::Absent
    }
}

impl LiveFunction {
    pub fn version(&self, v: &str) -> Option<&LiveVersion> {
        self.versions.iter().find(|x| x.version == v)
    }
}

/// What AWS has, keyed by AWS name; `None` means "does not exist".
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Observed {
    pub account: String,
    pub partition: String,
    pub region: String,
    pub roles: BTreeMap<String, Option<LiveRole>>,
    pub tables: BTreeMap<String, Option<LiveTable>>,
    pub functions: BTreeMap<String, Option<LiveFunction>>,
    /// Frontend key → what its bucket and distribution hold.
    pub sites: BTreeMap<String, LiveSite>,
    /// Rules named `{stack}-…` (owned by the stack or not), by name.
    pub rules: BTreeMap<String, aws::events::LiveRule>,
    /// State-bucket key of each selected function's data file → the SHA-256
    /// bosun stored it with (`None`: absent).
    pub data: BTreeMap<String, Option<String>>,
    /// SSM parameter of each selected function's secret → its type (`None`: absent).
    pub secrets: BTreeMap<String, Option<String>>,
    /// The stack's index-page CloudFront function, read when a managed
    /// frontend is selected: `None` absent (or never published), `Some(true)`
    /// LIVE with bosun's code, `Some(false)` LIVE with other code.
    pub index_function: Option<bool>,
}

/// A frontend's live side: its bucket, the objects under its prefix, the
/// manifest of the last completed sync, and its distribution.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LiveSite {
    /// The bucket's region; `None` when the bucket does not exist.
    pub bucket_region: Option<String>,
    pub versioning: bool,
    pub objects: BTreeMap<String, ListedObject>,
    pub manifest: Option<SiteManifest>,
    /// The S3 version id of that manifest: it changes with every sync, so
    /// it names the state an invalidation moves the site away from.
    pub manifest_version: Option<String>,
    /// bosun's metadata (content SHA-256, headers hash) read with HEAD for
    /// objects the manifest does not vouch for.
    pub metas: BTreeMap<String, Option<(String, String)>>,
    /// The distribution id, when it exists.
    pub distribution: Option<String>,
    /// The bucket's policy, read for a managed distribution that exists
    /// (it must let that distribution read the files).
    pub bucket_policy: Option<serde_json::Value>,
    /// A managed distribution's viewer-request function and origins.
    pub setup: aws::cloudfront::Setup,
}

/// Reads a frontend's bucket, listing, manifest and distribution. Objects
/// whose state the stored manifest cannot vouch for (no entry, or an ETag that
/// moved) are HEADed for bosun's metadata, concurrently.
pub async fn observe_site(clients: &Clients, spec: &FrontendSpec, local: &[LocalFile]) -> Result<LiveSite, AwsError> {
    let distribution = match &spec.distribution {
        DistributionSpec::None => None,
        DistributionSpec::Id(id) => aws::cloudfront::exists(&clients.cloudfront, id)
            .await?
            .then(|| id.clone()),
        DistributionSpec::Managed => {
            aws::cloudfront::find_by_comment(&clients.cloudfront, &spec.distribution_comment(&clients.stack)).await?
        }
    };
    // Read even before the bucket exists: a managed distribution found by
    // its comment may serve another region's bucket (the planner refuses it).
    let setup = match (&distribution, spec.is_managed()) {
        (Some(id), true) => aws::cloudfront::setup(&clients.cloudfront, id).await?,
        _ => aws::cloudfront::Setup::default(),
    };
    let Some(region) = aws::s3::bucket_region(&clients.s3, &spec.bucket).await? else {
        return Ok(LiveSite {
            distribution,
            setup,
            ..LiveSite::default()
        });
    };
    if region != clients.region {
        // A bucket elsewhere is refused by the planner; do not read further.
        return Ok(LiveSite {
            bucket_region: Some(region),
            distribution,
            setup,
            ..LiveSite::default()
        });
    }
    let bucket_policy = match (&distribution, spec.is_managed()) {
        (Some(_), true) => aws::s3::bucket_policy(&clients.s3, &spec.bucket).await?,
        _ => None,
    };
    let objects = aws::s3::list(&clients.s3, &spec.bucket, &spec.prefix).await?;
    let (manifest, manifest_version) = if objects.contains_key(&site::manifest_key(spec)) {
        aws::s3::get_manifest(&clients.s3, &spec.bucket, &site::manifest_key(spec)).await?
    } else {
        (None, None)
    };
    // Read, not inferred: a bucket whose versioning was suspended stores new
    // objects without versions, which breaks byte-exact rollback.
    let versioning = aws::s3::versioning_enabled(&clients.s3, &spec.bucket).await?;
    let unvouched: Vec<&str> = local
        .iter()
        .filter_map(|f| {
            let listed = objects.get(&f.key)?;
            let vouched = manifest
                .as_ref()
                .and_then(|m| m.files.get(&f.key))
                .is_some_and(|e| e.etag == listed.etag);
            (!vouched).then_some(f.key.as_str())
        })
        .collect();
    let metas = futures_util::stream::iter(unvouched)
        .map(|key| async move {
            let meta = aws::s3::object_meta(&clients.s3, &spec.bucket, key).await?;
            Ok::<_, AwsError>((key.to_string(), meta))
        })
        .buffer_unordered(spec.concurrency)
        .try_collect::<BTreeMap<_, _>>()
        .await?;
    Ok(LiveSite {
        bucket_region: Some(region),
        versioning,
        objects,
        manifest,
        manifest_version,
        metas,
        distribution,
        bucket_policy,
        setup,
    })
}

/// Reads the live state of everything `selection` covers.
pub async fn observe(
    clients: &Clients,
    desired: &Desired,
    selection: &Selection,
    sites: &BTreeMap<String, Vec<LocalFile>>,
) -> Result<Observed, AwsError> {
    let (account, partition) = clients.identity().await?;
    let functions_sel = selection.functions(desired);
    let observed_functions = selection.observed_functions(desired);
    let roles = try_join_all(functions_sel.iter().map(|f| async move {
        let live = aws::iam::get_role(&clients.iam, f.role_name()).await?;
        Ok::<_, AwsError>((f.role_name().to_string(), live))
    }));
    let tables = try_join_all(selection.tables(desired).into_iter().map(|t| async move {
        let live = aws::dynamodb::describe_table(&clients.dynamodb, &t.name).await?;
        Ok::<_, AwsError>((t.name.clone(), live))
    }));
    let functions = try_join_all(observed_functions.iter().map(|f| async move {
        let live = aws::lambda::get_function(&clients.lambda, &f.name, &f.alias).await?;
        Ok::<_, AwsError>((f.name.clone(), live))
    }));
    let site_reads = try_join_all(selection.frontends(desired).into_iter().map(|spec| async move {
        let local = sites.get(&spec.key).map(Vec::as_slice).unwrap_or_default();
        Ok::<_, AwsError>((spec.key.clone(), observe_site(clients, spec, local).await?))
    }));
    let rules = async {
        if selection.includes_schedules() {
            let prefix = format!("{}-", desired.stack.name);
            aws::events::rules_with_prefix(&clients.events, &prefix, &desired.stack.name).await
        } else {
            Ok(Vec::new())
        }
    };
    let state_bucket = desired.stack.state_bucket(&account);
    let data_keys: Vec<String> = functions_sel
        .iter()
        .flat_map(|f| f.data.iter().map(|(n, p)| f.data_key(n, p)))
        .collect();
    let data = async {
        let mut out = BTreeMap::new();
        if data_keys.is_empty()
            || aws::s3::bucket_region(&clients.state_s3, &state_bucket)
                .await?
                .is_none()
        {
            return Ok::<_, AwsError>(data_keys.iter().map(|k| (k.clone(), None)).collect());
        }
        for k in &data_keys {
            let meta = aws::s3::object_meta(&clients.s3, &state_bucket, k).await?;
            out.insert(k.clone(), meta.map(|(sha, _)| sha));
        }
        Ok(out)
    };
    let secret_names: Vec<String> = functions_sel
        .iter()
        .flat_map(|f| f.secrets.iter().map(|n| f.secret_parameter(&desired.stack.name, n)))
        .collect();
    let secrets = async {
        let mut out = BTreeMap::new();
        for name in &secret_names {
            out.insert(name.clone(), aws::ssm::parameter_type(&clients.ssm, name).await?);
        }
        Ok::<_, AwsError>(out)
    };
    let index_function = async {
        if selection.frontends(desired).iter().any(|f| f.is_managed()) {
            aws::cloudfront::live_function_matches(
                &clients.cloudfront,
                &desired.stack.index_function(),
                aws::cloudfront::INDEX_FUNCTION_CODE,
            )
            .await
        } else {
            Ok(None)
        }
    };
    let (roles, tables, functions, sites, rules, data, secrets, index_function) = tokio::try_join!(
        roles,
        tables,
        functions,
        site_reads,
        rules,
        data,
        secrets,
        index_function
    )?;
    Ok(Observed {
        account,
        partition,
        region: clients.region.clone(),
        roles: roles.into_iter().collect(),
        tables: tables.into_iter().collect(),
        functions: functions.into_iter().collect(),
        sites: sites.into_iter().collect(),
        rules: rules.into_iter().map(|r| (r.name.clone(), r)).collect(),
        data,
        secrets,
        index_function,
    })
}
