//! Everything before the first write, shared by `plan`, `deploy` and
//! `status --build`: the local build (or a prebuilt one) and the frontends'
//! scan, the secrets gate, the read of AWS alongside, and the plan.

use std::collections::BTreeMap;
use std::time::Instant;

use serde_json::json;

use super::build::build;
use super::gates;
use super::Settings;
use crate::aws::Clients;
use crate::failure::Failure;
use crate::frontend::{self, FrontendError, LocalFile, SiteFile};
use crate::model::{Desired, Observed, Selection};
use crate::observe;
use crate::output::Reporter;
use crate::package::Package;
use crate::plan::{Local, Options, Plan};
use crate::state::StateStore;

/// What `plan`, `deploy` and `status --build` share: the local build, AWS
/// as it is now, and the plan between them.
pub(crate) struct Prepared {
    pub started: Instant,
    pub packages: BTreeMap<String, Package>,
    pub local: Local,
    pub clients: Clients,
    pub observed: Observed,
    pub plan: Plan,
    /// The lock's history before the read (`deploy` only): whether another
    /// run held the lock since decides whether the read is repeated.
    pub lock_mark: Option<crate::state::LockMark>,
    /// Where a prebuilt build's binaries were unpacked: held until the
    /// deploy ends (preflight starts them), removed on drop.
    _unpacked: Option<tempfile::TempDir>,
}

/// Builds and scans, refuses secrets, reads AWS and plans: everything
/// before the first write.
pub(crate) async fn prepare(
    settings: &Settings,
    sel: &Selection,
    options: Options,
    mark_lock: bool,
    prebuilt: Option<&crate::prebuilt::Source>,
    reporter: &mut Reporter,
) -> Result<Prepared, Failure> {
    let desired = &settings.desired;
    let started = Instant::now();
    // The stack is read while the functions build and the sites are
    // scanned: the read needs nothing local but the per-object metadata of
    // the scanned files, read after. Local errors win: a broken build or a
    // refused secret is reported even when AWS is unreachable too.
    let remote = async {
        let t = Instant::now();
        let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
        // Before the read: a lock taken after this mark shows in the history.
        let lock_mark = match mark_lock {
            true => Some(state_store(&clients, desired).await?.lock_mark().await),
            false => None,
        };
        let observed = observe::observe_stack(&clients, desired, sel).await?;
        Ok::<_, Failure>((clients, lock_mark, observed, t.elapsed()))
    };
    tokio::pin!(remote);
    let mut read = None;
    let built = {
        let local = async {
            let (packages, unpacked) = match prebuilt {
                Some(source) => {
                    let (packages, dir) = load_prebuilt(source, desired, sel, reporter).await?;
                    (packages, Some(dir))
                }
                None => (build(desired, sel, reporter).await?, None),
            };
            let t = Instant::now();
            let (frontends, in_files) = scan_frontends(desired, sel, reporter).await?;
            gates::secrets(desired, sel, &packages, in_files, reporter)?;
            reporter.phase("scan", t.elapsed());
            Ok::<_, Failure>((packages, frontends, unpacked))
        };
        tokio::pin!(local);
        loop {
            tokio::select! {
                built = &mut local => break built,
                r = &mut remote, if read.is_none() => read = Some(r),
            }
        }
    };
    let (packages, frontends, unpacked) = built?;
    let t = Instant::now();
    let (clients, lock_mark, mut observed, reading) = match read {
        Some(r) => r?,
        None => remote.await?,
    };
    observe::read_local_metas(&clients, desired, sel, &frontends, &mut observed).await?;
    reporter.phase_detail(
        "observe",
        t.elapsed(),
        format!("{:.2}s alongside the build and scan", reading.as_secs_f64()),
    );
    reporter.target(&observed.account, &observed.region);
    let t = Instant::now();
    let local = Local {
        packages: shas(&packages),
        frontends,
        data: data_files(desired, sel)?,
    };
    let plan = crate::plan::plan(desired, &local, &observed, sel, options)?;
    reporter.phase("plan", t.elapsed());
    for w in &plan.warnings {
        reporter.warn(w);
    }
    Ok(Prepared {
        started,
        packages,
        local,
        clients,
        observed,
        plan,
        lock_mark,
        _unpacked: unpacked,
    })
}

/// `--prebuilt DIR`: the selected functions' zips from `bosun build`,
/// checked (see `crate::prebuilt`), instead of a build.
async fn load_prebuilt(
    source: &crate::prebuilt::Source,
    desired: &Desired,
    sel: &Selection,
    reporter: &mut Reporter,
) -> Result<(BTreeMap<String, Package>, tempfile::TempDir), Failure> {
    let t = Instant::now();
    let scratch = tempfile::Builder::new()
        .prefix("bosun-prebuilt-")
        .tempdir()
        .map_err(|e| Failure::Usage(format!("cannot make a temporary directory: {e}")))?;
    let (owned, selection, at, dir) = (
        source.clone(),
        sel.clone(),
        desired.clone(),
        scratch.path().to_path_buf(),
    );
    let packages = tokio::task::spawn_blocking(move || crate::prebuilt::load(&owned, &at, &selection, &dir))
        .await
        .map_err(|e| Failure::Internal(format!("unpacking task failed: {e}")))??;
    for (key, p) in &packages {
        let name = desired
            .functions
            .iter()
            .find(|f| &f.key == key)
            .map_or(key, |f| &f.name);
        reporter.done(
            "packaged",
            &format!("function/{name}"),
            &format!("check the prebuilt zip from {}", source.dir.display()),
            t.elapsed(),
            json!({"code_sha256": p.sha256, "zip_bytes": p.size, "glibc": p.glibc, "prebuilt": true}),
        );
    }
    reporter.phase("package", t.elapsed());
    Ok((packages, scratch))
}

/// Hands the reporter where the AWS time went (`-v` prints it), the state
/// bucket's calls apart.
pub(crate) fn aws_time(clients: &Clients, reporter: &mut Reporter) {
    let mut busy = clients.log.busy();
    busy.extend(
        clients
            .state_log
            .busy()
            .into_iter()
            .map(|(op, n, d)| (format!("state {op}"), n, d)),
    );
    busy.sort_by_key(|b| std::cmp::Reverse(b.2));
    reporter.aws_busy(busy);
}

/// The stack's state bucket (releases, lock) in the credentials' account.
pub(crate) async fn state_store<'c>(clients: &'c Clients, desired: &Desired) -> Result<StateStore<'c>, Failure> {
    Ok(StateStore::of(clients, desired).await?)
}

/// Scans every selected frontend's folder: the files, and the secrets
/// found in them (by the same read).
async fn scan_frontends(
    desired: &Desired,
    sel: &Selection,
    reporter: &mut Reporter,
) -> Result<(BTreeMap<String, Vec<SiteFile>>, Vec<crate::secrets::Finding>), Failure> {
    let mut frontends = BTreeMap::new();
    let mut findings = Vec::new();
    for spec in sel.frontends(desired) {
        let start = Instant::now();
        let owned = spec.clone();
        let scan = tokio::task::spawn_blocking(move || frontend::scan(&owned))
            .await
            .map_err(|e| Failure::Internal(format!("scanning task failed: {e}")))??;
        let files = scan.files;
        let bytes: u64 = files.iter().map(|f| f.size).sum();
        reporter.done(
            "scanned",
            &format!("frontend/{}", spec.key),
            &format!("scan {} file(s)", files.len()),
            start.elapsed(),
            json!({"files": files.len(), "bytes": bytes}),
        );
        frontends.insert(spec.key.clone(), files);
        findings.extend(scan.findings);
    }
    Ok((frontends, findings))
}

/// Every selected function's data files, hashed, by state-bucket key.
fn data_files(desired: &Desired, sel: &Selection) -> Result<BTreeMap<String, LocalFile>, Failure> {
    let mut out = BTreeMap::new();
    for f in sel.functions(desired) {
        for (name, path) in &f.data {
            let key = f.data_key(name, path);
            let file = frontend::single(path, &key).map_err(|e| FrontendError::Read {
                frontend: format!("{} data {name}", f.key),
                path: path.clone(),
                source: e,
            })?;
            out.insert(key, file);
        }
    }
    Ok(out)
}

fn shas(packages: &BTreeMap<String, Package>) -> BTreeMap<String, String> {
    packages.iter().map(|(k, p)| (k.clone(), p.sha256.clone())).collect()
}
