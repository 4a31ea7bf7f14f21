//! Everything that can stop a command, its exit code, and how it is
//! reported (text on stderr; one JSON `error` event with `--output json`).
//!
//! Exit codes (stable, documented in the README):
//! 0 success · 1 the operation failed (AWS, build) · 2 bad input (stack file,
//! arguments, a binary refused before upload; nothing was changed) · 3 `status`
//! found live state differing from the local build · 130 interrupted.

use crate::apply::{self, ApplyError};
use crate::aws::AwsError;
use crate::frontend::FrontendError;
use crate::package::PackageError;
use crate::plan::PlanError;
use crate::stack::StackError;

/// Everything that can stop a command, with its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Usage(String),
    /// A bug in bosun (a task that panicked, a state that cannot happen):
    /// not the user's input, so not exit 2.
    #[error("internal error (a bug in bosun, please report it): {0}")]
    Internal(String),
    #[error("{0}")]
    Stack(#[from] StackError),
    #[error("{0}")]
    Package(#[from] PackageError),
    #[error("{0}")]
    Prebuilt(#[from] crate::prebuilt::PrebuiltError),
    #[error("{0}")]
    Frontend(#[from] FrontendError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("{0}")]
    Aws(#[from] AwsError),
    #[error("{0}")]
    Apply(#[from] Box<ApplyError>),
    #[error("live state differs from the local build")]
    Drift,
    #[error("SES is not ready: see the failed checks")]
    SesNotReady,
    #[error("schedule(s) {schedules} send mail, but SES is not ready; nothing was changed:\n{failed}\n      help: run `bosun verify-ses` for the fixes, or pass --skip-ses-check to wire them anyway")]
    SesGate { schedules: String, failed: String },
    #[error("{0}")]
    Lock(#[from] crate::state::LockError),
    /// Reserved concurrency the account cannot give; nothing was changed.
    #[error("{0}")]
    Concurrency(String),
    /// `bosun invoke`: the function ran and answered with an error.
    #[error("{0}")]
    Invoked(String),
    #[error("{0}\n      help: the binary was run locally as Lambda would (runtime API on 127.0.0.1) and refused before upload; nothing was changed")]
    Preflight(#[from] crate::preflight::PreflightError),
    #[error("{} credential-looking value(s) would be deployed; nothing was changed:\n{}\n      help: move secrets to SSM Parameter Store or Secrets Manager; if one is a false positive, add its id to [stack] allow_secrets", .0.len(), .0.iter().map(|f| format!("      - {f}  (id {})", f.id())).collect::<Vec<_>>().join("\n"))]
    Secrets(Vec<crate::secrets::Finding>),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Usage(_)
            | Failure::Stack(_)
            | Failure::Plan(_)
            | Failure::Secrets(_)
            | Failure::Preflight(_)
            | Failure::Concurrency(_) => 2,
            Failure::Package(e) if e.is_bad_input() => 2,
            Failure::Prebuilt(crate::prebuilt::PrebuiltError::Package(e)) if e.is_bad_input() => 2,
            Failure::Prebuilt(crate::prebuilt::PrebuiltError::Io { .. }) => 1,
            Failure::Prebuilt(_) => 2,
            Failure::Frontend(FrontendError::Read { .. }) => 1,
            Failure::Frontend(_) => 2,
            Failure::Drift => 3,
            Failure::Apply(e) if matches!(e.error, apply::ApplyStepError::Interrupted) => 130,
            Failure::Package(_)
            | Failure::Aws(_)
            | Failure::Apply(_)
            | Failure::SesNotReady
            | Failure::SesGate { .. }
            | Failure::Invoked(_)
            | Failure::Internal(_)
            | Failure::Lock(_) => 1,
        }
    }
}
