//! The planner: `(Desired, packages, Observed) -> Plan`, a pure function.
//!
//! No async and no I/O here. This is where "nothing changed → empty plan"
//! lives: every change is derived from a difference between what the stack
//! asks for and what AWS has, so a second deploy with nothing changed plans
//! nothing and makes no write call. The plan is data: printed by `bosun plan`,
//! executed in order by `apply`.

//!
//! One file per resource kind, each a pure function of `Inputs`:
//! `roles`, `tables`, `functions` (data files, secrets, code, configuration,
//! versions, aliases, URLs), `frontends` (bucket, distribution, sync,
//! invalidation), `schedules`; `rollback` plans the way back to a recorded
//! release. `change` is the vocabulary they all produce, `display` how it
//! prints.

mod change;
mod display;
pub use display::{reference_value, summary, ResourceChanges};
mod frontends;
mod functions;
pub mod references;
mod roles;
mod rollback;
mod schedules;
#[cfg(test)]
mod snapshot;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::Serialize;

pub use change::{
    AliasTarget, Change, EdgeChange, FunctionChange, NewDistribution, PlannedApi, RoleChange, ScheduleChange,
    SiteChange, TableChange, Unchanged, UploadPhase,
};
pub use functions::{config_diff, resolved_config, want_config};
pub use rollback::plan_rollback;

use crate::frontend::{LocalFile, SiteFile};
use crate::model::{Desired, Observed, Selection};
use crate::policy::ArnScope;

/// What a deploy would do.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: Vec<Unchanged>,
    /// What a person should know that is not a change (e.g. a change AWS
    /// is still processing, or one that must wait for a later run).
    pub warnings: Vec<String>,
    /// Environment variables holding `${…}` references, as resolved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<references::Resolved>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// True when a reference names something this plan creates: applying
    /// it leaves a placeholder that a second pass replaces.
    pub fn pending(&self) -> bool {
        self.references.iter().any(|r| r.value.is_none())
    }
}

/// A difference the planner refuses to act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error(
        "table `{table}` has key schema {live}, but the stack declares {wanted}; DynamoDB cannot change a table's keys\n      help: keep the live key schema in the stack file, or declare a new table (a new `name`) and migrate the data; bosun never deletes a table"
    )]
    KeySchemaChanged {
        table: String,
        live: String,
        wanted: String,
    },
    #[error("secret parameter {parameter} exists as a {kind}, not a SecureString: its value is stored unencrypted\n      help: delete it (or re-create it as a SecureString with the same value); bosun then creates a new random one on the next deploy")]
    SecretNotSecure { parameter: String, kind: String },
    #[error("stack `{stack}` may only be deployed to account {wanted}, but the credentials in use are for account {actual}; nothing was changed\n      help: use the profile or role for account {wanted} (--profile, AWS_PROFILE), or change [stack] account if this stack really moved")]
    WrongAccount {
        stack: String,
        wanted: String,
        actual: String,
    },
    #[error("role {role} serves this stack's functions in {other}; roles are global, so deploying the stack to {region} would rewrite them; nothing was changed\n      help: give this region's functions their own names (`name = \"...\"` per function, which also names the role), or deploy the stack under another name")]
    RoleElsewhere {
        role: String,
        other: String,
        region: String,
    },
    #[error("role {role}: its inline policy would be {size} characters; IAM allows {max} per role (whitespace not counted); nothing was changed\n      help: use fewer tables, data files or secrets on function `{function}`, or split it into functions with narrower access")]
    PolicyTooLarge {
        role: String,
        function: String,
        size: usize,
        max: usize,
    },
    #[error("the stack's permissions boundary {name} would be {size} characters; IAM allows {max} per managed policy (whitespace not counted); nothing was changed\n      help: give tables and functions names that start with the stack's name (`{{stack}}-…`), so the boundary covers them by pattern rather than one by one")]
    BoundaryTooLarge { name: String, size: usize, max: usize },
    #[error("function `{function}`: its environment would be {size} bytes once `${{…}}` references are resolved ({detail}); Lambda allows {max} in total; nothing was changed\n      help: shorten or drop variables, or move large values into a data file (`data = {{...}}`)")]
    EnvironmentTooLarge {
        function: String,
        size: usize,
        max: usize,
        detail: String,
    },
    #[error("function `{function}` has no package; it must be built before planning")]
    NoPackage { function: String },
    #[error("frontend `{frontend}`: bucket {bucket} is in {actual}, but this stack deploys to {wanted}\n      help: use a bucket in {wanted}, or deploy the stack to {actual} (--region / [stack] region)")]
    BucketRegion {
        frontend: String,
        bucket: String,
        actual: String,
        wanted: String,
    },
    #[error("frontend `{frontend}`: CloudFront distribution {id} does not serve {location} (its origins: {origins}); nothing was changed\n      help: name the distribution that serves this bucket, or give it an origin for the bucket whose origin path is a leading part of the prefix (invalidation paths are the keys with that origin path taken off)")]
    DistributionMisses {
        frontend: String,
        id: String,
        /// `s3://bucket/prefix`.
        location: String,
        origins: String,
    },
    #[error("frontend `{frontend}`: CloudFront distribution {id} does not exist\n      help: check the id, or set distribution = \"managed\" to let bosun create one")]
    NoDistribution { frontend: String, id: String },
    #[error("frontend `{frontend}`: the managed distribution {id} (\"{comment}\") serves {found}, not {wanted}: it belongs to this stack deployed elsewhere (another region or bucket); nothing was changed\n      help: CloudFront is global, so one stack name can have one managed distribution per frontend; deploy the other region under another stack name, or point this frontend at that bucket")]
    DistributionElsewhere {
        frontend: String,
        id: String,
        comment: String,
        found: String,
        wanted: String,
    },
    #[error("schedule `{schedule}` targets function `{function}`, which is not deployed yet\n      help: run `bosun deploy all` (or `bosun deploy functions {function}`) first")]
    ScheduleTargetMissing { schedule: String, function: String },
    #[error("frontend `{frontend}`: certificate {certificate} {problem}, so CloudFront cannot serve {domain} with it; nothing was changed\n      help: in ACM (us-east-1) request a certificate for {domain} (or a *. wildcard of its parent), publish its DNS validation record, wait until it is ISSUED, and give its ARN as `certificate`")]
    Certificate {
        frontend: String,
        certificate: String,
        domain: String,
        problem: String,
    },
    #[error("frontend `{frontend}`: the managed distribution {id} is tagged bosun:stack = {tagged}, not {stack}; nothing was changed\n      help: the comment says it is this stack's, the tag says another's: check which stack really owns it, and fix its comment or its tag")]
    DistributionOfAnotherStack {
        frontend: String,
        id: String,
        tagged: String,
        stack: String,
    },
    #[error("schedule `{schedule}`: a rule named {rule} exists but is not owned by this stack (no tag bosun:stack = {stack})\n      help: bosun never changes rules it does not own; rename the schedule key, or delete/tag the rule if it really is this stack's")]
    ForeignRule {
        schedule: String,
        rule: String,
        stack: String,
    },
    #[error("release {release} cannot be restored: {missing} no longer exist(s); nothing was changed\n      help: pick another release (`bosun releases`); versions deleted by pruning or by hand cannot be brought back")]
    ReleaseIncomplete { release: String, missing: String },
    #[error("frontend `{frontend}`: the site folder is empty but {count} object(s) would be deleted from the bucket\n      help: check `dir` (a failed build step?); pass --force-deletes to really empty the site")]
    EmptyFrontend { frontend: String, count: usize },
    #[error("frontend `{frontend}`: {count} object(s) would be deleted, more than max_deletes = {max} (e.g. {sample})\n      help: check the site folder; raise max_deletes, or pass --force-deletes if this is intended")]
    TooManyDeletes {
        frontend: String,
        count: usize,
        max: usize,
        sample: String,
    },
}

/// What was built and scanned locally.
#[derive(Debug, Clone, Default)]
pub struct Local {
    /// Function key → base64 SHA-256 of its zip.
    pub packages: BTreeMap<String, String>,
    /// Frontend key → its scanned files, sorted by key (plan and apply find
    /// files by binary search).
    pub frontends: BTreeMap<String, Vec<SiteFile>>,
    /// State-bucket key → a function's data file, hashed.
    pub data: BTreeMap<String, LocalFile>,
}

/// Choices the user made for this run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Allow deletions past `max_deletes` (and emptying a site).
    pub force_deletes: bool,
}

/// What every per-kind planner reads.
struct Inputs<'a> {
    desired: &'a Desired,
    observed: &'a Observed,
    selection: &'a Selection,
    /// ARNs in the account and region being deployed to.
    scope: ArnScope<'a>,
}

/// What the per-kind planners note besides changes.
#[derive(Default)]
struct Notes {
    unchanged: Vec<Unchanged>,
    warnings: Vec<String>,
    references: Vec<references::Resolved>,
}

impl Notes {
    fn unchanged(&mut self, resource: String, note: String) {
        self.unchanged.push(Unchanged { resource, note });
    }
}

/// The changes that bring `observed` to `desired` for `selection`, in the
/// order apply must run them (roles and tables before the functions using
/// them, data files and secrets before the code reading them, functions
/// before the schedules invoking them, deletions last).
pub fn plan(
    desired: &Desired,
    local: &Local,
    observed: &Observed,
    selection: &Selection,
    options: Options,
) -> Result<Plan, PlanError> {
    check_account(desired, observed)?;
    let input = Inputs {
        desired,
        observed,
        selection,
        scope: ArnScope::of(observed),
    };
    let mut notes = Notes::default();
    // Planned in this order: it orders `unchanged` and decides which refusal
    // is reported first.
    let roles = roles::plan(&input, &mut notes)?;
    let tables = tables::plan(&input, &mut notes)?;
    let data = functions::plan_data(&input, &local.data)?;
    let (functions, aliases) = functions::plan(&input, &local.packages, &mut notes)?;
    let frontends = frontends::plan(&input, &local.frontends, options, &mut notes)?;
    let secrets = functions::plan_secrets(&input, &mut notes)?;
    let (schedules, schedule_deletions) = schedules::plan(&input, &mut notes)?;
    let changes = [
        roles,
        tables,
        data,
        secrets,
        functions,
        aliases,
        frontends,
        schedules,
        schedule_deletions,
    ]
    .concat();
    Ok(Plan {
        changes,
        unchanged: notes.unchanged,
        warnings: notes.warnings,
        references: notes.references,
    })
}

/// `[stack] account`: any other account is refused before anything is written.
pub fn check_account(desired: &Desired, observed: &Observed) -> Result<(), PlanError> {
    match &desired.stack.account {
        Some(wanted) if *wanted != observed.account => Err(PlanError::WrongAccount {
            stack: desired.stack.name.clone(),
            wanted: wanted.clone(),
            actual: observed.account.clone(),
        }),
        _ => Ok(()),
    }
}
