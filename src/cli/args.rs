//! What the user typed: the clap structs, nothing resolved. `cli::resolve`
//! turns them and the stack file into the settings a command runs with.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::deploy::DeployWhat;
use crate::output::OutputMode;
use crate::session::LockArgs;

#[derive(Debug, Parser)]
#[command(
    name = "bosun",
    version,
    about = "Deploy a small AWS serverless estate from one stack file"
)]
pub struct Args {
    /// The stack file (default: the only file in stacks/).
    #[arg(long, global = true, env = "BOSUN_STACK")]
    pub stack: Option<PathBuf>,
    /// AWS profile: its credentials are used even when AWS_ACCESS_KEY_ID is set
    /// (default: the standard credential chain).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region (default: the stack's `region`, then AWS_REGION / the profile's).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Send every AWS call to this endpoint (AWS_ENDPOINT_URL works too).
    #[arg(long, global = true)]
    pub endpoint_url: Option<String>,
    /// text for people; json for CI: one JSON object per line on stdout.
    #[arg(long, global = true, value_enum, default_value_t = OutputMode::Text)]
    pub output: OutputMode,
    /// More log detail on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, read AWS and print what a deploy would change. Writes nothing.
    Plan {
        /// Plan deletions past a frontend's max_deletes guard.
        #[arg(long)]
        force_deletes: bool,
        /// Show what `bosun rollback` would do instead (no build).
        #[arg(long)]
        rollback: bool,
        /// With --rollback: the release to go back to (default: the one before the latest).
        #[arg(long, requires = "rollback")]
        to: Option<String>,
    },
    /// Bring AWS to the stack's state.
    Deploy {
        /// Wait for CloudFront: new or changed distributions deployed, invalidations completed.
        #[arg(long, global = true)]
        wait: bool,
        /// Allow deleting more objects than a frontend's max_deletes (or emptying it).
        #[arg(long, global = true)]
        force_deletes: bool,
        /// Wire mail-sending schedules even when `verify-ses` fails (prints a warning).
        #[arg(long, global = true)]
        skip_ses_check: bool,
        /// After recording the release, delete function versions older than the
        /// N most recent releases that no alias or release within N references.
        #[arg(long, global = true, value_name = "N")]
        keep: Option<usize>,
        /// Deploy the zips `bosun build --out DIR` made instead of building
        /// (e.g. in a CI job that holds the deploy role but compiles nothing).
        #[arg(long, global = true, value_name = "DIR")]
        prebuilt: Option<std::path::PathBuf>,
        /// With --prebuilt: the SHA-256 (hex) `bosun build` reported for its
        /// manifest; any other build is refused.
        #[arg(long, global = true, value_name = "HEX", requires = "prebuilt")]
        prebuilt_sha256: Option<String>,
        #[command(flatten)]
        lock: LockArgs,
        #[command(subcommand)]
        what: DeployWhat,
    },
    /// Build, check and zip every function into DIR with a manifest, for
    /// `deploy --prebuilt DIR` (reads no AWS; needs no credentials).
    Build {
        /// Where the zips and the manifest (bosun-build.json) go.
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
    },
    /// Put functions, frontend and schedules back to an earlier release (no rebuild).
    Rollback {
        /// The release to go back to (default: the one before the latest).
        #[arg(long)]
        to: Option<String>,
        /// Wait for the CloudFront invalidation to complete.
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        lock: LockArgs,
    },
    /// The stack's releases, newest first.
    Releases,
    /// Print a deployed function's environment (KEY=VALUE lines; a JSON object
    /// with --output json), e.g. to run its handler locally against the stack.
    Env {
        /// The function's stack key.
        function: String,
    },
    /// Run a deployed function now (the manual trigger): its alias on Lambda,
    /// or with --local the locally built bootstrap on this machine with the
    /// deployed environment. Prints the answer and the log tail.
    Invoke {
        /// The function's stack key.
        function: String,
        /// The event, as JSON (default `{}`).
        #[arg(long)]
        input: Option<String>,
        /// Run the local build here (under bosun's Lambda Runtime API),
        /// against the AWS this command reaches.
        #[arg(long)]
        local: bool,
    },
    /// Remove a deploy lock left by a run that died (only the lock with this id).
    Unlock {
        /// The lock's id, as the locked error names it.
        #[arg(long)]
        id: String,
    },
    /// Live state against the last release (drift): aliases, code, frontend
    /// objects, schedules. Without a release (or with --build): against the local build.
    Status {
        /// Compare each function's live code with the local build instead.
        #[arg(long)]
        build: bool,
    },
    /// Print the least-privilege IAM policy a deployer (a CI role) needs for
    /// this stack: deploy, rollback, status, releases and verify-ses. No AWS call.
    Policy {
        /// The account id for the ARNs (default: [stack] account, else `*`).
        #[arg(long)]
        account: Option<String>,
        /// The AWS partition (aws, aws-cn, aws-us-gov).
        #[arg(long, default_value = "aws")]
        partition: String,
        /// Only the reads (what `bosun plan` and `status` call): for a role
        /// that plans pull requests and can change nothing.
        #[arg(long)]
        read_only: bool,
        /// Print instead the stack's permissions boundary (the managed
        /// policy `bosun-{stack}-boundary` on every execution role), for an
        /// administrator to create or update it.
        #[arg(long, conflicts_with = "read_only")]
        boundary: bool,
        /// Print the policy as managed policies of at most 6,144 characters
        /// each (a JSON list), for a role whose inline policies cannot hold
        /// it (10,240 characters together).
        #[arg(long, conflicts_with = "boundary")]
        split: bool,
    },
    /// Check that mail from this stack will be sent and delivered (identities,
    /// DKIM, MAIL FROM, account, quota, sandbox recipients, suppression list).
    #[command(name = "verify-ses")]
    VerifySes {
        /// Create missing identities, the MAIL FROM setting and the configuration
        /// set, and print the DNS records to publish.
        #[arg(long)]
        create: bool,
        /// Send one message to the SES mailbox simulator (success@simulator.amazonses.com).
        #[arg(long)]
        send_test: bool,
        /// Fail on warnings and unknowns too.
        #[arg(long)]
        strict: bool,
    },
}
