//! The command line: clap structs (`args`) hold only what the user typed;
//! `resolve` turns them plus the stack file into the immutable settings a
//! command runs with; `run` hands them to one of `crate::commands`; `main`
//! maps the outcome to an exit code (`failure`).

mod args;
mod failure;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

pub use crate::commands::deploy::DeployWhat;
pub use crate::commands::Settings;
pub use crate::failure::Failure;
pub use crate::session::LockArgs;
pub use args::{Args, Command};

use crate::aws::AwsSettings;
use crate::commands::{self, deploy, rollback, verify_ses};
use crate::output::{OutputMode, Reporter};
use crate::stack;

/// Finds the stack file: the flag, else the only `stacks/*.toml`.
fn stack_path(flag: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("stacks")
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Failure::Usage(
            "no stack file: pass --stack PATH (or set BOSUN_STACK); none found in ./stacks".into(),
        )),
        _ => Err(Failure::Usage(format!(
            "several stack files in ./stacks ({}); choose one with --stack",
            found
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

pub fn resolve(args: &Args) -> Result<Settings, Failure> {
    let path = stack_path(args.stack.as_deref())?;
    let desired = stack::load(&path)?;
    let aws = AwsSettings {
        region: args.region.clone().or_else(|| desired.stack.region.clone()),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone(),
    };
    Ok(Settings { desired, aws })
}

/// One arm per command: each is a short pipeline in `crate::commands`.
async fn run(args: Args, reporter: &mut Reporter) -> Result<(), Failure> {
    let markdown_plan = matches!(args.command, Command::Plan { rollback: false, .. });
    if args.output == OutputMode::Markdown && !markdown_plan {
        return Err(Failure::Usage(
            "--output markdown is for `bosun plan` (e.g. a pull request's job summary); use --output text or json"
                .into(),
        ));
    }
    let settings = resolve(&args)?;
    match args.command {
        Command::Plan { rollback: true, to, .. } => rollback::plan(&settings, to.as_deref(), reporter).await,
        Command::Plan { force_deletes, .. } => commands::plan::run(&settings, force_deletes, reporter).await,
        Command::Deploy {
            wait,
            force_deletes,
            skip_ses_check,
            keep,
            lock,
            what,
            prebuilt,
            prebuilt_sha256,
        } => {
            let request = deploy::DeployRequest {
                what,
                wait,
                force_deletes,
                skip_ses_check,
                keep,
                lock,
                prebuilt: prebuilt.map(|dir| crate::prebuilt::Source {
                    dir,
                    manifest_sha256: prebuilt_sha256,
                }),
            };
            deploy::run(&settings, &request, reporter).await
        }
        Command::Rollback { to, wait, lock } => {
            let request = rollback::RollbackRequest { to, wait, lock };
            rollback::run(&settings, &request, reporter).await
        }
        Command::Releases => commands::releases::run(&settings, reporter).await,
        Command::Build { out } => commands::build::build_out(&settings, &out, reporter).await,
        Command::Env { function } => commands::env::run(&settings, &function, reporter).await,
        Command::Invoke { function, input, local } => {
            let request = commands::invoke::InvokeRequest { function, input, local };
            commands::invoke::run(&settings, &request, reporter).await
        }
        Command::Unlock { id } => commands::unlock::run(&settings, &id, reporter).await,
        Command::Status { build } => commands::status::run(&settings, build, reporter).await,
        Command::Policy {
            account,
            partition,
            read_only,
            boundary,
            split,
        } => {
            let which = match (read_only, boundary) {
                (_, true) => commands::policy::Which::Boundary,
                (true, _) => commands::policy::Which::ReadOnly,
                _ => commands::policy::Which::Deployer,
            };
            commands::policy::run(&settings, account, (&partition, which, split), reporter)
        }
        Command::VerifySes {
            create,
            send_test,
            strict,
        } => {
            let request = verify_ses::VerifySesRequest {
                create,
                send_test,
                strict,
            };
            verify_ses::run(&settings, &request, reporter).await
        }
    }
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "bosun=info",
        _ => "bosun=debug,aws_smithy_runtime=debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BOSUN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The binary's entry point: parse, run, map the outcome to an exit code.
pub fn main() -> ExitCode {
    let args = Args::parse();
    init_tracing(args.verbose);
    let mode = args.output;
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let mut reporter = Reporter::new(mode).with_verbose(args.verbose);
    let outcome = runtime.block_on(run(args, &mut reporter));
    reporter.finish();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            failure::report_failure(mode, &failure);
            ExitCode::from(failure.exit_code())
        }
    }
}
