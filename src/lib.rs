//! bosun: deploys a small AWS serverless estate from one stack file.
//!
//! The shape is a functional core in an imperative shell:
//! `stack` (TOML → `Desired`) and `observe` (AWS → `Observed`) feed the pure
//! `plan`, whose ordered changes `apply` executes. `package` builds and zips
//! function code; `aws` is the only module that talks to AWS; `cli` wires it
//! all for the binary.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod cron;
pub mod deployer;
pub mod frontend;
pub mod model;
pub mod observe;
pub mod output;
pub mod package;
pub mod plan;
pub mod policy;
pub mod preflight;
pub mod release;
pub mod report;
pub mod secrets;
pub mod ses;
pub mod session;
pub mod stack;
pub mod state;
