//! One file per command, each a short pipeline over the library: resolve
//! what to do, read, plan, gate, apply under a `Session`, report. This file
//! holds what several commands share: the selection, the local build (build,
//! scan, data files) and `prepare`, the read-and-plan pipeline of `plan`,
//! `deploy` and `status --build`.

pub mod deploy;
pub mod env;
pub mod gates;
pub mod invoke;
pub mod plan;
pub mod policy;
pub mod releases;
pub mod rollback;
pub mod status;
pub mod unlock;
pub mod verify_ses;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::json;

use crate::aws::AwsSettings;
use crate::aws::Clients;
use crate::build::{self, Host};
use crate::failure::Failure;
use crate::frontend::{self, FrontendError, LocalFile, SiteFile};
use crate::model::{CodeSource, Desired, FunctionSpec, Observed, Selection};
use crate::observe;
use crate::output::Reporter;
use crate::package::{self, Package};
use crate::plan::{Local, Options, Plan};
use crate::state::StateStore;
use deploy::DeployWhat;

/// The resolved settings a command runs with.
pub struct Settings {
    pub desired: Desired,
    pub aws: AwsSettings,
}

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

/// `bosun build --out DIR`: every function built, checked (secrets
/// included) and zipped into DIR with its manifest; reads no AWS.
pub(crate) async fn build_out(
    settings: &Settings,
    out: &std::path::Path,
    reporter: &mut Reporter,
) -> Result<(), Failure> {
    let desired = &settings.desired;
    let sel = Selection::Functions(desired.functions.iter().map(|f| f.key.clone()).collect());
    let packages = build(desired, &sel, reporter).await?;
    gates::secrets(desired, &sel, &packages, Vec::new(), reporter)?;
    // Every binary started here, as Lambda would run it (the deploy of a
    // prebuilt build starts none): references to the stack's resources are
    // not resolved (no AWS is read), the rest of the environment is.
    let keys: Vec<&str> = desired.functions.iter().map(|f| f.key.as_str()).collect();
    gates::preflight(desired, &keys, &packages, &Observed::default(), reporter).await?;
    let (manifest, sha256) = crate::prebuilt::write(out, desired, &packages)?;
    reporter.result(
        "build",
        &crate::report::BuildReport {
            stack: desired.stack.name.clone(),
            out: out.to_path_buf(),
            manifest,
            manifest_sha256: sha256,
            functions: packages
                .values()
                .map(|p| (p.function.clone(), p.sha256.clone()))
                .collect(),
        },
    );
    Ok(())
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
        .map_err(|e| Failure::Usage(format!("unpacking task failed: {e}")))??;
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

pub(crate) fn selection(desired: &Desired, what: Option<&DeployWhat>) -> Result<Selection, Failure> {
    match what {
        Some(DeployWhat::Functions { names }) if !names.is_empty() => {
            let known: BTreeSet<&str> = desired.functions.iter().map(|f| f.key.as_str()).collect();
            let unknown: Vec<&str> = names
                .iter()
                .map(String::as_str)
                .filter(|n| !known.contains(n))
                .collect();
            if !unknown.is_empty() {
                return Err(Failure::Usage(format!(
                    "unknown function(s): {}; the stack declares: {}",
                    unknown.join(", "),
                    known.into_iter().collect::<Vec<_>>().join(", ")
                )));
            }
            Ok(Selection::Functions(names.iter().cloned().collect()))
        }
        Some(DeployWhat::Functions { .. }) => Ok(Selection::Functions(
            desired.functions.iter().map(|f| f.key.clone()).collect(),
        )),
        Some(DeployWhat::Frontend) => Ok(Selection::Frontends),
        Some(DeployWhat::Schedules) => Ok(Selection::Schedules),
        _ => Ok(Selection::All),
    }
}

/// Builds, checks and zips every selected function. Crates are built in
/// jobs (one cargo invocation per workspace and target) over every crate
/// function of the stack, so a binary never depends on the selection.
async fn build(
    desired: &Desired,
    sel: &Selection,
    reporter: &mut Reporter,
) -> Result<BTreeMap<String, Package>, Failure> {
    let selected = sel.functions(desired);
    if selected.is_empty() {
        return Ok(BTreeMap::new());
    }
    let host = Host::detect();
    let all: Vec<&FunctionSpec> = desired.functions.iter().collect();
    let wanted: BTreeSet<&str> = selected.iter().map(|f| f.key.as_str()).collect();
    let mut binaries = BTreeMap::new();
    let t = Instant::now();
    for job in build::jobs(&all, &host)? {
        if job.members.iter().any(|m| wanted.contains(m.function.as_str())) {
            binaries.extend(run_job(&job, &host, reporter).await?);
        }
    }
    reporter.phase("build", t.elapsed());
    let t = Instant::now();
    reporter.begin(selected.len(), "packaging");
    // Functions are checked and zipped a few at a time (one blocking thread
    // each, as many as there are cores: each holds a binary and its zip),
    // then reported in stack order.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let mut packages = BTreeMap::new();
    for group in selected.chunks(cores) {
        let mut tasks = Vec::new();
        for f in group {
            let binary = match &f.code {
                CodeSource::Binary { path } => path.clone(),
                CodeSource::Crate { .. } => binaries
                    .remove(&f.key)
                    .ok_or_else(|| Failure::Usage(format!("function `{}`: the build produced no binary", f.key)))?,
            };
            reporter.started(&format!("function/{}", f.name), "check and package");
            let spec = (*f).clone();
            tasks.push((
                f,
                tokio::task::spawn_blocking(move || {
                    let start = Instant::now();
                    (package::package(&spec, binary), start.elapsed())
                }),
            ));
        }
        for (f, task) in tasks {
            let (pkg, took) = task
                .await
                .map_err(|e| Failure::Usage(format!("packaging task failed: {e}")))?;
            let pkg = pkg?;
            reporter.done(
                "packaged",
                &format!("function/{}", f.name),
                "check and package",
                took,
                json!({"code_sha256": pkg.sha256, "zip_bytes": pkg.size, "glibc": pkg.glibc}),
            );
            packages.insert(f.key.clone(), pkg);
        }
    }
    reporter.finish();
    reporter.phase("package", t.elapsed());
    Ok(packages)
}

/// One build job with its progress reported: `build_started`, cargo's
/// progress, `build_finished`.
async fn run_job(
    job: &build::Job,
    host: &Host,
    reporter: &mut Reporter,
) -> Result<BTreeMap<String, std::path::PathBuf>, Failure> {
    let functions = job.functions();
    let summary = format!("{}: {} ({})", functions.join(", "), job.describe(), job.why);
    reporter.build_started(
        &summary,
        json!({
            "functions": functions,
            "packages": job.members.iter().map(|m| m.package.as_str()).collect::<Vec<_>>(),
            "tool": job.tool,
            "architecture": job.arch.as_str(),
            "target": job.target(host),
            "why": job.why,
            "command": job.shell_line(host),
        }),
    );
    let start = Instant::now();
    let mut compiled = 0u32;
    // Cargo's lines arrive on a channel and are reported here, between
    // awaits, so the reporter stays borrowed by one place.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let building = async {
        let mut send = move |p: build::Progress| {
            let _ = tx.send(p);
        };
        build::run(job, host, &mut send).await
    };
    let reporting = async {
        while let Some(p) = rx.recv().await {
            match p {
                build::Progress::Units { done, total, current } => reporter.build_progress(done, total, &current),
                build::Progress::Compiling(name) => {
                    compiled += 1;
                    reporter.build_line(&format!("   Compiling {name}"));
                }
                build::Progress::Line(line) => reporter.build_line(&line),
            }
        }
    };
    let (built, ()) = tokio::join!(building, reporting);
    let built = built?;
    reporter.build_finished(
        &format!(
            "{}: {}",
            functions.join(", "),
            match compiled {
                0 => "up to date".to_string(),
                1 => "1 crate compiled".to_string(),
                n => format!("{n} crates compiled"),
            }
        ),
        start.elapsed(),
        json!({"functions": functions, "compiled": compiled}),
    );
    Ok(built)
}

/// The stack's function `key`, or a usage error naming the ones it has.
pub(crate) fn function_spec<'d>(desired: &'d Desired, key: &str) -> Result<&'d FunctionSpec, Failure> {
    desired.function(key).ok_or_else(|| {
        Failure::Usage(format!(
            "no function `{key}` in the stack; it declares: {}",
            desired
                .functions
                .iter()
                .map(|f| f.key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// A deployed function's environment as its alias runs it.
pub(crate) async fn deployed_environment(
    clients: &Clients,
    f: &FunctionSpec,
) -> Result<BTreeMap<String, String>, Failure> {
    let live = crate::aws::lambda::get_function(&clients.lambda, &f.name, &f.alias)
        .await?
        .ok_or_else(|| Failure::Usage(format!("function {} is not deployed; run `bosun deploy all`", f.name)))?;
    Ok(live
        .alias
        .as_deref()
        .and_then(|v| live.version(v))
        .map(|v| v.config.environment.clone())
        .unwrap_or(live.latest.environment))
}

/// Builds (or takes the prebuilt) binary of one function, checked as a
/// deploy checks it.
pub(crate) async fn build_one(
    desired: &Desired,
    f: &FunctionSpec,
    reporter: &mut Reporter,
) -> Result<std::path::PathBuf, Failure> {
    let sel = Selection::Functions([f.key.clone()].into_iter().collect());
    let mut packages = build(desired, &sel, reporter).await?;
    packages
        .remove(&f.key)
        .map(|p| p.binary)
        .ok_or_else(|| Failure::Usage(format!("function `{}`: the build produced no binary", f.key)))
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
            .map_err(|e| Failure::Usage(format!("scanning task failed: {e}")))??;
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
