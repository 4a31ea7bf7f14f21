//! `bosun status`: live state against the last release (drift), or, with
//! `--build` or before the first release, each function's live code
//! against the local build. Exit code 3 when they differ.

use std::collections::BTreeMap;

use super::deploy::selection;
use super::{prepare, state_store};
use crate::aws::Clients;
use crate::commands::Settings;
use crate::failure::Failure;
use crate::model::Selection;
use crate::observe;
use crate::output::Reporter;
use crate::plan::Options;
use crate::release;
use crate::report::{function_lines, FunctionLine, StatusReport};

pub async fn run(settings: &Settings, build: bool, reporter: &mut Reporter) -> Result<(), Failure> {
    if !build {
        if let Some(()) = release_status(settings, reporter).await? {
            return Ok(());
        }
    }
    // `status --build` (or no release yet): live code against the local build.
    let desired = &settings.desired;
    let sel = selection(desired, None)?;
    let prepared = prepare(settings, &sel, Options::default(), false, None, reporter).await?;
    let functions = function_lines(desired, &sel, &prepared.packages, &prepared.observed);
    let in_sync = functions.iter().all(|l| l.in_sync);
    reporter.result(
        "status",
        &StatusReport {
            stack: desired.stack.name.clone(),
            in_sync,
            release: None,
            drift: Vec::new(),
            functions,
        },
    );
    if in_sync {
        Ok(())
    } else {
        Err(Failure::Drift)
    }
}

/// `bosun status` against the last release; `None` when there is no release yet.
async fn release_status(settings: &Settings, reporter: &mut Reporter) -> Result<Option<()>, Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let store = state_store(&clients, desired).await?;
    let Some(last) = store.latest().await? else {
        return Ok(None);
    };
    let observed = observe::observe(&clients, desired, &Selection::All, &BTreeMap::new()).await?;
    let live = release::capture(desired, &observed);
    let drift = release::drift(&last.state, &live, &release::listings(desired, &observed));
    let functions = desired
        .functions
        .iter()
        .filter_map(|f| {
            let rec = last.state.functions.get(&f.key);
            let l = live.functions.get(&f.key);
            let url = observed
                .functions
                .get(&f.name)
                .and_then(Option::as_ref)
                .and_then(|x| x.url.as_ref())
                .map(|u| u.url.clone());
            Some(FunctionLine {
                function: f.key.clone(),
                name: f.name.clone(),
                alias: f.alias.clone(),
                version: l.map(|x| x.version.clone()),
                code_sha256: l.or(rec)?.code_sha256.clone(),
                url,
                in_sync: rec.is_some() && rec == l,
            })
        })
        .collect();
    let in_sync = drift.is_empty();
    reporter.result(
        "status",
        &StatusReport {
            stack: desired.stack.name.clone(),
            in_sync,
            release: Some(last.id.clone()),
            drift,
            functions,
        },
    );
    if in_sync {
        Ok(Some(()))
    } else {
        Err(Failure::Drift)
    }
}
