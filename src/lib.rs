//! bosun: deploys a small AWS serverless estate from one stack file.
//!
//! The shape is a functional core in an imperative shell. `stack` turns the
//! TOML file into `model::Desired`; `observe` reads AWS into
//! `model::Observed`; the pure `plan` compares them and returns the ordered
//! `Change`s that `apply` executes. `aws` is the only module that talks to
//! AWS, and it depends on nothing above `model` (and the pure `policy`
//! documents); `model`, `plan` and `release` never reach AWS, and no two
//! modules import each other (tests keep both so: `tests/layout`).
//!
//! Which file to open (the whole map, file by file, is docs/DESIGN.md,
//! "Where things live"):
//!
//! | for                                   | open                                   |
//! |---------------------------------------|----------------------------------------|
//! | a command (`bosun deploy`, `rollback`…) | `commands/<command>.rs`              |
//! | before a deploy's first write         | `commands/prepare.rs`, `commands/gates.rs` |
//! | its flags; how an error is printed    | `cli/args.rs`, `cli/failure.rs`        |
//! | what can stop a command, exit codes   | `failure.rs`                           |
//! | what it prints (text and JSON)        | `report.rs`, progress in `output.rs`   |
//! | lock → apply → release → unlock       | `session.rs`                           |
//! | a stack-file key and its checks       | `stack/<section>.rs`                   |
//! | the types the stack becomes           | `model/mod.rs`; AWS's side `model/live.rs` |
//! | names bosun recognises in AWS         | `model/names.rs`                       |
//! | what a deploy changes, and why        | `plan/<kind>.rs`; rollback `plan/rollback.rs` |
//! | how a change is executed              | `apply/<kind>.rs`                      |
//! | an AWS call                           | `aws/<service>.rs`                     |
//! | builds (cargo or zig, progress)       | `build.rs`                             |
//! | zips, binary checks                   | `package.rs`, `preflight.rs`, `secrets.rs` |
//! | `bosun build`, `deploy --prebuilt`    | `prebuilt.rs`                          |
//! | frontend files, manifests, invalidation paths | `frontend.rs`; a file's model `model/site.rs` |
//! | releases, drift; the state bucket     | `release.rs`; `state.rs`               |
//! | IAM documents                         | `policy.rs` (functions), `deployer.rs` (CI role) |
//! | SES readiness                         | `ses/` (`observe.rs` reads, `checks.rs` judges) |
//! | schedule expressions                  | `cron.rs`                              |

// The shell: the command line and the commands.
pub mod cli;
pub mod commands;
pub mod failure;
pub mod report;
pub mod session;

// The pure core: stack file → model → plan.
pub mod model;
pub mod plan;
pub mod release;
pub mod stack;

// Reading and writing AWS.
pub mod apply;
pub mod aws;
pub mod build;
pub mod observe;
pub mod state;

// The local side: builds, files, checks.
pub mod cron;
pub mod deployer;
pub mod frontend;
pub mod output;
pub mod package;
pub mod policy;
pub mod prebuilt;
pub mod preflight;
pub mod secrets;
pub mod ses;
