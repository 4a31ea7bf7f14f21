//! `bosun verify-ses`: reads SES (creating what is missing with `--create`)
//! and reports every check: identities, DKIM, MAIL FROM, configuration set
//! and its event destination, account, quota, sandbox recipients,
//! suppression list.

use crate::aws::Clients;
use crate::commands::Settings;
use crate::failure::Failure;
use crate::output::Reporter;
use crate::plan::PlanError;
use crate::report::{CallSummary, VerifySesReport};
use crate::ses;

/// What the user asked `verify-ses` for.
pub struct VerifySesRequest {
    /// Create missing identities, the MAIL FROM setting, the configuration set
    /// and its event destination (updating bosun's destination if it differs).
    pub create: bool,
    /// Send one message to the SES mailbox simulator.
    pub send_test: bool,
    /// Fail on warnings and unknowns too.
    pub strict: bool,
}

/// `bosun verify-ses`: reads SES (creating what is missing with `--create`) and reports every check.
pub async fn run(settings: &Settings, request: &VerifySesRequest, reporter: &mut Reporter) -> Result<(), Failure> {
    let VerifySesRequest {
        create,
        send_test,
        strict,
    } = *request;
    let desired = &settings.desired;
    let spec = desired.ses.as_ref().ok_or_else(|| {
        Failure::Usage(format!(
            "{} has no [ses] section: add one with sender = \"reports@example.com\"",
            desired.file.display()
        ))
    })?;
    let clients = Clients::connect(&settings.aws, &desired.stack.name).await?;
    if create {
        // --create writes: the same account guard as a deploy, before any write.
        let (account, _) = clients.identity().await?;
        reporter.target(&account, &clients.region);
        if let Some(wanted) = desired.stack.account.as_ref().filter(|w| **w != account) {
            return Err(Failure::Plan(PlanError::WrongAccount {
                stack: desired.stack.name.clone(),
                wanted: wanted.clone(),
                actual: account,
            }));
        }
    }
    reporter.started("ses", "read identities, account and suppression list");
    let observed = ses::observe(&clients.sesv2, spec, create).await;
    let volume = ses::Volume::of_stack(desired, jiff::Timestamp::now());
    let mut checks = ses::assess(spec, &observed, &clients.region, &volume);
    if send_test {
        checks.push(ses::send_test(&clients.sesv2, spec, &desired.stack.name).await);
    }
    let report = ses::Report::new(
        &desired.stack.name,
        &clients.region,
        checks,
        observed.created,
        strict,
        volume.daily(spec),
    );
    let ready = report.ready;
    reporter.result(
        "verify-ses",
        &VerifySesReport {
            report,
            calls: CallSummary::of(&clients.log),
        },
    );
    if ready {
        Ok(())
    } else {
        Err(Failure::SesNotReady)
    }
}
