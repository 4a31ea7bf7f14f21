//! `bosun unlock`: removes a deploy lock left by a run that died (only the
//! lock with the id given).

use super::state_store;
use crate::aws::Clients;
use crate::commands::Settings;
use crate::failure::Failure;
use crate::output::Reporter;
use crate::report::UnlockReport;

pub async fn run(settings: &Settings, id: &str, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    let store = state_store(&clients, desired).await?;
    let removed = store.force_unlock(id).await?;
    reporter.result("unlock", &UnlockReport { removed });
    Ok(())
}
