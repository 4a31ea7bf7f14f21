//! End-to-end tests: the real `bosun` binary against the local emulator
//! (moto), results read back through the SDK; fault paths the emulator cannot
//! produce go through `aws-smithy-mocks`. One test binary; one module per
//! capability.

/// `scripts/bench.py` end to end on tiny sizes, so a broken benchmark fails CI.
mod bench;
/// The example CI workflow: GitHub's schema and zizmor, offline.
mod ci_workflow;
/// `bosun deploy` end to end: first deploy, no-op, partial deploys, JSON output.
mod deploy;
/// The request path as AWS runs it: deployed stacks reached through the
/// local edge (scripts/edge.py), the crew app in a browser included.
mod edge;
/// Frontend sync: uploads, headers, invalidations, deletions and their guards.
mod frontend;
/// Refusals before any write (secrets, preflight) and interrupts.
mod hardening;
/// The printed and written IAM policies against AWS's authorization reference.
mod iam;
/// The layering rule: the pure core never calls AWS.
mod layout;
/// Packaging real binaries: runtime and architecture checks, reproducible zips.
mod packaging;
/// What real AWS enforces and the emulator does not (the rules layer).
mod real_aws;
/// Releases, status (drift), rollback, the deploy lock.
mod releases;
/// The exec-reports Lambda, deployed by bosun and run with its environment.
mod reports;
/// EventBridge schedules: rules, targets, permissions, the SES gate.
mod schedules;
/// Faults the emulator cannot produce, through aws-smithy-mocks.
mod service_faults;
/// `bosun verify-ses`: identities, DKIM, MAIL FROM, account, recipients.
mod ses;
/// Bad stack files (located errors, exit 2) and the parser fuzz pass.
mod stack_file;
/// Shared helpers: the emulator, the `bosun` binary, test stacks.
mod util;
