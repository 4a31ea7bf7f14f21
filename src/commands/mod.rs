//! One file per command, each a short pipeline over the library: resolve
//! what to do, read, plan, gate, apply under a `Session`, report. What
//! several commands share has a file of its own: `prepare.rs` (the local
//! build and scan, the read of AWS and the plan: everything before the
//! first write), `build.rs` (building and zipping the functions; `bosun
//! build`), `gates.rs` (what a deploy passes before it writes).

pub mod build;
pub mod deploy;
pub mod env;
pub mod gates;
pub mod invoke;
pub mod plan;
pub mod policy;
pub mod prepare;
pub mod releases;
pub mod rollback;
pub mod status;
pub mod unlock;
pub mod verify_ses;

use crate::aws::AwsSettings;
use crate::model::Desired;

pub(crate) use prepare::{aws_time, prepare, state_store, Prepared};

/// The resolved settings a command runs with.
pub struct Settings {
    pub desired: Desired,
    pub aws: AwsSettings,
}
