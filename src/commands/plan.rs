//! `bosun plan`: build, read AWS and print what a deploy would change.
//! Writes nothing.

use super::deploy::selection;
use super::prepare;
use crate::commands::Settings;
use crate::failure::Failure;
use crate::output::{stdout_line, OutputMode, Reporter};
use crate::plan::Options;
use crate::report::{schedule_lines, CallSummary, PlanReport};

pub async fn run(settings: &Settings, force_deletes: bool, reporter: &mut Reporter) -> Result<(), Failure> {
    let desired = &settings.desired;
    let sel = selection(desired, None)?;
    let prepared = prepare(settings, &sel, Options { force_deletes }, false, None, reporter).await?;
    let report = PlanReport {
        stack: desired.stack.name.clone(),
        account: prepared.observed.account.clone(),
        region: prepared.observed.region.clone(),
        plan: prepared.plan,
        schedules: schedule_lines(desired, &sel),
        calls: CallSummary::of(&prepared.clients.log),
    };
    if reporter.mode() == OutputMode::Markdown {
        reporter.finish();
        stdout_line(report.markdown().trim_end());
    } else {
        super::aws_time(&prepared.clients, reporter);
        reporter.result("plan", &report);
    }
    Ok(())
}
