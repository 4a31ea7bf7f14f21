//! `bosun releases`: the stack's releases, newest first.

use super::state_store;
use crate::aws::Clients;
use crate::commands::Settings;
use crate::failure::Failure;
use crate::output::Reporter;
use crate::report::{ReleaseLine, ReleasesReport};

pub async fn run(settings: &Settings, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let store = state_store(&clients, desired).await?;
    let releases = store.releases().await?.into_iter().map(ReleaseLine::from).collect();
    reporter.result(
        "releases",
        &ReleasesReport {
            stack: desired.stack.name.clone(),
            bucket: store.state_bucket.clone(),
            releases,
        },
    );
    Ok(())
}
