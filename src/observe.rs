//! Observed state: what AWS has now, for the resources a stack declares.
//!
//! Read-only: every call made here is a Get/List/Describe. The per-resource
//! reads run concurrently. What they fill in is `model::live`: plain data
//! the planner compares with the desired state.

use std::collections::BTreeMap;

use futures_util::future::try_join_all;
use futures_util::{StreamExt, TryStreamExt};

use crate::aws::{self, AwsError, Clients};
use crate::frontend::SiteFile;
use crate::model::names;
use crate::model::{Desired, DistributionSpec, Etag, FrontendSpec, LiveFrontend, Observed, Selection, Setup};

/// Reads a frontend's bucket, listing, manifest and distribution,
/// concurrently where one read does not decide the next.
async fn observe_frontend(clients: &Clients, spec: &FrontendSpec) -> Result<LiveFrontend, AwsError> {
    // Read even before the bucket exists: a managed distribution found by
    // its comment may serve another region's bucket (the planner refuses
    // it), and every distribution's origin paths decide its viewer paths.
    let distribution = read_distribution(clients, spec);
    let bucket = async {
        let Some(region) = aws::s3::bucket_region(&clients.s3, &spec.bucket).await? else {
            return Ok(None);
        };
        if region != clients.region {
            // A bucket elsewhere is refused by the planner; do not read further.
            return Ok(Some((region, None)));
        }
        // The manifest first, so the listing is held against it: what the
        // manifest records as it is listed costs a flag, not a copy.
        let listing = async {
            let manifest = aws::s3::get_manifest(&clients.s3, &spec.bucket, &names::manifest_key(spec)).await?;
            let files = manifest.0.as_ref().map(|m| &m.files);
            let objects = aws::s3::list(&clients.s3, &spec.bucket, &spec.prefix, files).await?;
            Ok::<_, AwsError>((objects, manifest))
        };
        // Read, not inferred: a bucket whose versioning was suspended stores new
        // objects without versions, which breaks byte-exact rollback.
        let versioning = aws::s3::versioning_enabled(&clients.s3, &spec.bucket);
        // Only a managed distribution's bucket policy matters (the planner
        // grants it read access); read alongside, used when it has one.
        let policy = async {
            if spec.is_managed() {
                aws::s3::bucket_policy(&clients.s3, &spec.bucket).await
            } else {
                Ok(None)
            }
        };
        let (listing, versioning, policy) = tokio::try_join!(listing, versioning, policy)?;
        Ok::<_, AwsError>(Some((region, Some((listing, versioning, policy)))))
    };
    let ((distribution, setup), bucket) = tokio::try_join!(distribution, bucket)?;
    let Some((region, here)) = bucket else {
        return Ok(LiveFrontend {
            distribution,
            setup,
            ..LiveFrontend::default()
        });
    };
    let Some(((objects, (manifest, manifest_version)), versioning, policy)) = here else {
        return Ok(LiveFrontend {
            bucket_region: Some(region),
            distribution,
            setup,
            ..LiveFrontend::default()
        });
    };
    let bucket_policy = if distribution.is_some() { policy } else { None };
    Ok(LiveFrontend {
        bucket_region: Some(region),
        versioning,
        objects,
        manifest,
        manifest_version,
        metas: BTreeMap::new(),
        distribution,
        bucket_policy,
        setup,
    })
}

/// A frontend's distribution (its id and setup), when it has one.
async fn read_distribution(clients: &Clients, spec: &FrontendSpec) -> Result<(Option<String>, Setup), AwsError> {
    let certificate = async {
        match &spec.domain {
            Some(d) => aws::acm::describe(&clients.acm, &d.certificate).await.map(Some),
            None => Ok(None),
        }
    };
    let (found, certificate) = tokio::try_join!(find_distribution(clients, spec), certificate)?;
    let (id, mut setup) = found;
    setup.wanted_certificate = certificate;
    Ok((id, setup))
}

/// The frontend's distribution: its id and setup, when it exists.
async fn find_distribution(clients: &Clients, spec: &FrontendSpec) -> Result<(Option<String>, Setup), AwsError> {
    let id = match &spec.distribution {
        DistributionSpec::None => None,
        DistributionSpec::Id(id) => Some(id.clone()),
        DistributionSpec::Managed => {
            aws::cloudfront::find_by_comment(&clients.cloudfront, &spec.distribution_comment(&clients.stack)).await?
        }
    };
    // One GetDistribution: it says whether the distribution exists, and how it is set up.
    let Some(id) = id else {
        return Ok((None, Setup::default()));
    };
    match aws::cloudfront::setup(&clients.cloudfront, &id).await? {
        Some(mut setup) => {
            // A managed distribution is changed only under its stack's tag
            // (the deployer policy's condition): read it.
            if spec.distribution == DistributionSpec::Managed {
                setup.stack_tag = aws::cloudfront::stack_tag(&clients.cloudfront, &setup.arn).await?;
            }
            Ok((Some(id), setup))
        }
        None => Ok((None, Setup::default())),
    }
}

/// Reads the live state of everything `selection` covers, with bosun's
/// metadata of the listed objects the local files need and the stored
/// manifest cannot vouch for.
pub async fn observe(
    clients: &Clients,
    desired: &Desired,
    selection: &Selection,
    frontends: &BTreeMap<String, Vec<SiteFile>>,
) -> Result<Observed, AwsError> {
    let mut observed = observe_stack(clients, desired, selection).await?;
    read_local_metas(clients, desired, selection, frontends, &mut observed).await?;
    Ok(observed)
}

/// The metadata half of `observe`: HEADs, concurrently, the listed objects
/// of `frontends` (the local scan) that the stored manifest cannot vouch
/// for. Split out so the stack can be read while the sites are still being
/// scanned.
pub async fn read_local_metas(
    clients: &Clients,
    desired: &Desired,
    selection: &Selection,
    frontends: &BTreeMap<String, Vec<SiteFile>>,
    observed: &mut Observed,
) -> Result<(), AwsError> {
    let reads = selection.frontends(desired).into_iter().filter_map(|spec| {
        let local = frontends.get(&spec.key)?;
        let live = observed.frontends.get(&spec.key)?;
        Some(async move {
            let metas = read_metas(clients, spec, local, live).await?;
            Ok::<_, AwsError>((spec.key.clone(), metas))
        })
    });
    for (key, metas) in try_join_all(reads).await? {
        if let Some(live) = observed.frontends.get_mut(&key) {
            live.metas = metas;
        }
    }
    Ok(())
}

/// Reads the live state of everything `selection` covers, without the
/// per-object metadata that depends on local files (`read_local_metas`).
pub async fn observe_stack(clients: &Clients, desired: &Desired, selection: &Selection) -> Result<Observed, AwsError> {
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
    let frontend_reads = try_join_all(
        selection
            .frontends(desired)
            .into_iter()
            .map(|spec| async move { Ok::<_, AwsError>((spec.key.clone(), observe_frontend(clients, spec).await?)) }),
    );
    // Frontends a selected function's environment names: their distribution only.
    let referenced = read_referenced(clients, selection.referenced_frontends(desired));
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
    let data = read_data(clients, &state_bucket, &data_keys);
    let secret_names: Vec<String> = functions_sel
        .iter()
        .flat_map(|f| f.secrets.iter().map(|n| f.secret_parameter(&desired.stack.name, n)))
        .collect();
    let secrets = read_secrets(clients, &secret_names);
    let managed = selection.frontends(desired).iter().any(|f| f.is_managed());
    let forwards = selection
        .frontends(desired)
        .iter()
        .any(|f| f.api.as_ref().is_some_and(|a| a.headers.is_some()));
    let shared = read_shared(clients, desired, managed, forwards);
    let boundary_arn = crate::policy::ArnScope {
        partition: &partition,
        region: &clients.region,
        account: &account,
    }
    .boundary(&desired.stack.name);
    let boundary = async {
        if functions_sel.is_empty() {
            Ok(None)
        } else {
            aws::iam::managed_policy(&clients.iam, &boundary_arn).await
        }
    };
    let (
        boundary,
        roles,
        tables,
        functions,
        frontends,
        referenced,
        rules,
        data,
        secrets,
        (index_function, headers_policy, request_policies),
    ) = tokio::try_join!(
        boundary,
        roles,
        tables,
        functions,
        frontend_reads,
        referenced,
        rules,
        data,
        secrets,
        shared
    )?;
    Ok(Observed {
        account,
        partition,
        region: clients.region.clone(),
        roles: roles.into_iter().collect(),
        tables: tables.into_iter().collect(),
        functions: functions.into_iter().collect(),
        frontends: frontends.into_iter().chain(referenced).collect(),
        rules: rules.into_iter().map(|r| (r.name.clone(), r)).collect(),
        data,
        secrets,
        index_function,
        headers_policy,
        request_policies,
        boundary,
    })
}

/// The SHA-256 bosun stored each data file with (`None`: absent).
async fn read_data(
    clients: &Clients,
    state_bucket: &str,
    keys: &[String],
) -> Result<BTreeMap<String, Option<Etag>>, AwsError> {
    if keys.is_empty() || aws::s3::bucket_region(&clients.state_s3, state_bucket).await?.is_none() {
        return Ok(keys.iter().map(|k| (k.clone(), None)).collect());
    }
    // One listing per folder (`data/{function}/`), not a read per file.
    let folders: std::collections::BTreeSet<&str> = keys
        .iter()
        .map(|k| k.rsplit_once('/').map_or("", |(dir, _)| dir))
        .collect();
    let mut listed = BTreeMap::new();
    for folder in folders {
        listed.extend(aws::s3::etags(&clients.s3, state_bucket, &format!("{folder}/")).await?);
    }
    Ok(keys.iter().map(|k| (k.clone(), listed.remove(k))).collect())
}

/// Each secret parameter's type (`None`: absent); values are never read.
async fn read_secrets(clients: &Clients, names: &[String]) -> Result<BTreeMap<String, Option<String>>, AwsError> {
    let mut out = BTreeMap::new();
    for name in names {
        out.insert(name.clone(), aws::ssm::parameter_type(&clients.ssm, name).await?);
    }
    Ok(out)
}

/// The distributions of frontends read only for their URL.
async fn read_referenced(
    clients: &Clients,
    specs: Vec<&FrontendSpec>,
) -> Result<Vec<(String, LiveFrontend)>, AwsError> {
    try_join_all(specs.into_iter().map(|spec| async move {
        let (distribution, setup) = read_distribution(clients, spec).await?;
        let live = LiveFrontend {
            distribution,
            setup,
            ..LiveFrontend::default()
        };
        Ok::<_, AwsError>((spec.key.clone(), live))
    }))
    .await
}

/// What the stack's managed frontends read from CloudFront's account-wide lists.
type Shared = (
    Option<Vec<u8>>,
    Option<(String, BTreeMap<String, String>)>,
    BTreeMap<String, (String, Vec<String>)>,
);

/// What the stack's managed frontends share, read when one is selected:
/// the index-page function's LIVE code, the response headers policy (its
/// id, and the headers it sets; the plan compares both with bosun's), and when
/// an API names its headers, the stack's origin request policies.
async fn read_shared(clients: &Clients, desired: &Desired, managed: bool, forwards: bool) -> Result<Shared, AwsError> {
    if !managed {
        return Ok((None, None, BTreeMap::new()));
    }
    let cf = &clients.cloudfront;
    let (index_name, policy_name) = (desired.stack.index_function(), desired.stack.headers_policy());
    let index = aws::cloudfront::live_function_code(cf, &index_name);
    let headers = aws::cloudfront::find_headers_policy(cf, &policy_name);
    let prefix = desired.stack.request_policy_prefix();
    let requests = async {
        match forwards {
            true => aws::cloudfront::request_policies(cf, &prefix).await,
            false => Ok(BTreeMap::new()),
        }
    };
    tokio::try_join!(index, headers, requests)
}

/// bosun's metadata (content SHA-256, headers hash), HEADed concurrently,
/// of the listed objects the stored manifest cannot vouch for (no entry, or
/// an ETag that moved since).
async fn read_metas(
    clients: &Clients,
    spec: &FrontendSpec,
    local: &[SiteFile],
    live: &LiveFrontend,
) -> Result<BTreeMap<String, Option<(String, String)>>, AwsError> {
    let unvouched: Vec<&str> = local
        .iter()
        .filter_map(|f| {
            let listed = live.listed(&f.key)?;
            let vouched = live
                .manifest
                .as_ref()
                .and_then(|m| m.files.get(&f.key))
                .is_some_and(|e| e.etag == *listed);
            (!vouched).then_some(f.key.as_str())
        })
        .collect();
    futures_util::stream::iter(unvouched)
        .map(|key| async move {
            let meta = aws::s3::object_meta(&clients.s3, &spec.bucket, key).await?;
            Ok::<_, AwsError>((key.to_string(), meta))
        })
        .buffer_unordered(spec.concurrency)
        .try_collect()
        .await
}
