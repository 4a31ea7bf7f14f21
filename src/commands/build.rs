//! Building and zipping the functions: one cargo invocation per job (with
//! its progress), then each binary checked and zipped a few at a time; and
//! `bosun build --out DIR`, which writes them for `deploy --prebuilt`.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use serde_json::json;

use super::gates;
use super::Settings;
use crate::build::{self, Host};
use crate::failure::Failure;
use crate::model::{CodeSource, Desired, FunctionSpec, Observed, Selection};
use crate::output::Reporter;
use crate::package::{self, Package};

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

/// Builds, checks and zips every selected function. Crates are built in
/// jobs (one cargo invocation per workspace and target) over every crate
/// function of the stack, so a binary never depends on the selection.
pub(crate) async fn build(
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
                .map_err(|e| Failure::Internal(format!("packaging task failed: {e}")))?;
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
