//! What commands print: one result type per command, each `Serialize`
//! (the `--output json` result event) and `Display` (the text), plus the
//! lines they share (functions, frontends, schedules, the call summary).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::aws::CallLog;
use crate::model::{Desired, Observed, Selection};
use crate::package::Package;
use crate::plan::Plan;
use crate::release::Release;
use crate::ses;
use crate::state::LockRecord;

/// `bosun plan`'s result.
#[derive(Debug, Serialize)]
pub struct PlanReport {
    pub stack: String,
    pub account: String,
    pub region: String,
    pub plan: Plan,
    pub schedules: Vec<ScheduleLine>,
    pub calls: CallSummary,
}

impl fmt::Display for PlanReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}:", self.stack)?;
        write!(f, "{}", self.plan)?;
        if !self.schedules.is_empty() {
            writeln!(f, "schedules (next fire times):")?;
            for s in &self.schedules {
                writeln!(f, "{s}")?;
                for t in &s.next {
                    match &t.local {
                        Some(local) => writeln!(f, "      {}   {local}", t.utc)?,
                        None => writeln!(f, "      {}", t.utc)?,
                    }
                }
            }
        }
        Ok(())
    }
}

impl PlanReport {
    /// The plan as Markdown, for a pull request (`--output markdown`, e.g.
    /// into GitHub's job summary): a heading, the summary, one table row
    /// per resource, references, schedules and warnings.
    pub fn markdown(&self) -> String {
        let mut md = format!(
            "### bosun plan: stack `{}`\n\n**{}** in account {}, {}\n\n",
            self.stack,
            self.plan.summary(),
            self.account,
            self.region
        );
        for w in &self.plan.warnings {
            md.push_str(&format!("> **Warning:** {}\n\n", cell(w)));
        }
        let groups = self.plan.by_resource();
        if !groups.is_empty() {
            md.push_str("| | resource | changes |\n|---|---|---|\n");
            for g in &groups {
                let changes: Vec<String> = g.changes.iter().map(|c| cell(c)).collect();
                md.push_str(&format!(
                    "| {} | `{}` | {} |\n",
                    g.verb,
                    cell(&g.resource),
                    changes.join("<br>")
                ));
            }
            md.push('\n');
        }
        let untouched: Vec<_> = self.plan.untouched().collect();
        if !untouched.is_empty() {
            md.push_str(&format!(
                "<details><summary>{} resource(s) unchanged</summary>\n\n| resource | |\n|---|---|\n",
                untouched.len()
            ));
            for u in untouched {
                md.push_str(&format!("| `{}` | {} |\n", cell(&u.resource), cell(&u.note)));
            }
            md.push_str("\n</details>\n\n");
        }
        if !self.plan.references.is_empty() {
            md.push_str("| function | variable | reference | value |\n|---|---|---|---|\n");
            for r in &self.plan.references {
                md.push_str(&format!(
                    "| `{}` | `{}` | `{}` | {} |\n",
                    cell(&r.function),
                    cell(&r.variable),
                    cell(&r.reference),
                    cell(crate::plan::reference_value(r))
                ));
            }
            md.push('\n');
        }
        if !self.schedules.is_empty() {
            md.push_str("| schedule | expression | next (UTC) |\n|---|---|---|\n");
            for s in &self.schedules {
                let next: Vec<&str> = s.next.iter().map(|t| t.utc.as_str()).collect();
                md.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    cell(&s.rule),
                    cell(&s.expression),
                    cell(&next.join(", "))
                ));
            }
        }
        md
    }
}

/// Text safe inside a Markdown table cell: no raw pipes, newlines or HTML.
fn cell(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// A schedule as the stack declares it, with its next fire times.
#[derive(Debug, Serialize)]
pub struct ScheduleLine {
    pub schedule: String,
    pub rule: String,
    pub expression: String,
    pub target: String,
    pub input: serde_json::Value,
    pub enabled: bool,
    pub next: Vec<crate::cron::Fire>,
}

impl fmt::Display for ScheduleLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {:<32} {}  → {} {}{}",
            self.rule,
            self.expression,
            self.target,
            self.input,
            if self.enabled { "" } else { "  (disabled)" }
        )
    }
}

/// Each selected schedule with its next three fire times (UTC and the stack's time zone).
pub fn schedule_lines(desired: &Desired, sel: &Selection) -> Vec<ScheduleLine> {
    let tz = desired
        .stack
        .timezone
        .as_deref()
        .and_then(|z| jiff::tz::TimeZone::get(z).ok());
    let now = jiff::Timestamp::now();
    sel.schedules(desired)
        .into_iter()
        .map(|s| {
            let next = crate::cron::Schedule::parse(&s.expression)
                .map(|p| p.next_n(now, 3))
                .unwrap_or_default()
                .into_iter()
                .map(|t| crate::cron::fire(t, tz.as_ref()))
                .collect();
            let target = desired
                .function(&s.function)
                .map(|f| format!("{}:{}", f.name, f.alias))
                .unwrap_or_default();
            ScheduleLine {
                schedule: s.key.clone(),
                rule: s.rule.clone(),
                expression: s.expression.clone(),
                target,
                input: s.input.clone(),
                enabled: s.enabled,
                next,
            }
        })
        .collect()
}

/// How many AWS calls a command made, and which were writes.
#[derive(Debug, Clone, Serialize)]
pub struct CallSummary {
    pub total: usize,
    /// Writes to the stack's resources (the state bucket's are in `state_writes`).
    pub writes: usize,
    /// In call order; each distinct `Service:Operation` text is shared.
    pub write_calls: Vec<Arc<str>>,
    /// Writes to the state bucket: lock, journal, release record.
    pub state_writes: usize,
    /// Every distinct operation called, state bucket included (`Service:Operation`).
    pub operations: Vec<String>,
}

impl CallSummary {
    /// Resource calls, plus the state bucket's writes (releases, lock) counted apart.
    pub fn with_state(calls: &CallLog, state: &CallLog) -> CallSummary {
        let mut s = CallSummary::of(calls);
        let mut all: BTreeSet<String> = s.operations.drain(..).collect();
        state.visit(|c| {
            s.total += 1;
            if c.is_write() {
                s.state_writes += 1;
            }
            all.insert(c.to_string());
        });
        s.operations = all.into_iter().collect();
        s
    }

    pub fn of(calls: &CallLog) -> CallSummary {
        let mut names: BTreeMap<String, Arc<str>> = BTreeMap::new();
        let mut s = CallSummary {
            total: 0,
            writes: 0,
            write_calls: Vec::new(),
            state_writes: 0,
            operations: Vec::new(),
        };
        calls.visit(|c| {
            s.total += 1;
            let name = c.to_string();
            let shared = names.entry(name).or_insert_with_key(|n| Arc::from(n.as_str()));
            if c.is_write() {
                s.writes += 1;
                s.write_calls.push(shared.clone());
            }
        });
        s.operations = names.into_keys().collect();
        s
    }
}

/// `bosun verify-ses`'s result: the readiness report and the calls made.
#[derive(Debug, Serialize)]
pub struct VerifySesReport {
    #[serde(flatten)]
    pub report: ses::Report,
    pub calls: CallSummary,
}

impl fmt::Display for VerifySesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.report.fmt(f)
    }
}

/// `bosun policy`'s result: the document itself in text (ready for
/// `aws iam put-role-policy --policy-document file://…`).
#[derive(Debug, Serialize)]
pub struct PolicyReport {
    /// The whole policy's size as IAM counts it (characters outside whitespace).
    pub characters: usize,
    /// The policy; with `--split`, a list of managed-policy-sized parts.
    pub policy: serde_json::Value,
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string_pretty(&self.policy).map_err(|_| fmt::Error)?;
        writeln!(f, "{text}")
    }
}

/// `bosun deploy`'s result.
#[derive(Debug, Serialize)]
pub struct DeployReport {
    pub stack: String,
    pub changes: usize,
    /// The release this deploy recorded (none when nothing changed).
    pub release: Option<String>,
    /// Function versions deleted by --keep, as name:version.
    pub pruned: Vec<String>,
    pub functions: Vec<FunctionLine>,
    pub frontends: Vec<FrontendLine>,
    pub schedules: Vec<ScheduleLine>,
    pub calls: CallSummary,
    pub elapsed_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct FrontendLine {
    pub frontend: String,
    pub bucket: String,
    pub prefix: String,
    pub files: usize,
    pub uploaded: usize,
    pub deleted: usize,
    pub distribution: Option<String>,
    pub invalidation: Option<String>,
    /// Where viewers reach the frontend: `https://` and its custom domain, else
    /// its distribution's domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The DNS record a custom domain needs: `NAME CNAME DISTRIBUTION-DOMAIN`,
    /// or for a zone apex (which takes no CNAME) `NAME ALIAS DISTRIBUTION-DOMAIN`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<String>,
}

impl fmt::Display for FrontendLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {:<32} s3://{}/{}  {} file(s), {} uploaded, {} deleted",
            self.frontend, self.bucket, self.prefix, self.files, self.uploaded, self.deleted
        )?;
        if let Some(d) = &self.distribution {
            write!(f, "  CloudFront {d}")?;
        }
        if let Some(i) = &self.invalidation {
            write!(f, " (invalidation {i})")?;
        }
        if let Some(url) = &self.url {
            write!(f, "  {url}")?;
        }
        if let Some(dns) = &self.dns {
            write!(f, "\n      DNS: create {dns}")?;
            if dns.contains(" ALIAS ") {
                write!(
                    f,
                    "\n           (a zone apex cannot hold a CNAME: in Route 53, an A alias record to the distribution, hosted zone {} (and AAAA if IPv6 is enabled on it); elsewhere the provider's ALIAS/ANAME/flattened CNAME)",
                    crate::model::names::CLOUDFRONT_HOSTED_ZONE
                )?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize)]
pub struct FunctionLine {
    pub function: String,
    pub name: String,
    pub alias: String,
    pub version: Option<String>,
    pub code_sha256: String,
    pub url: Option<String>,
    pub in_sync: bool,
}

impl fmt::Display for DeployReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes == 0 {
            writeln!(f, "stack {}: no changes (nothing written)", self.stack)?;
        } else {
            writeln!(f, "stack {}: {} change(s) applied", self.stack, self.changes)?;
            if let Some(r) = &self.release {
                writeln!(f, "recorded as release {r} (`bosun releases`, `bosun rollback`)")?;
            }
            if !self.pruned.is_empty() {
                writeln!(f, "pruned version(s): {}", self.pruned.join(", "))?;
            }
        }
        for l in &self.functions {
            writeln!(f, "{l}")?;
        }
        for l in &self.frontends {
            writeln!(f, "{l}")?;
        }
        for l in &self.schedules {
            write!(f, "{l}")?;
            match l.next.first() {
                Some(t) => writeln!(f, "  next {}", t.local.as_deref().unwrap_or(&t.utc))?,
                None => writeln!(f)?,
            }
        }
        write!(f, "{} AWS call(s), {} write(s)", self.calls.total, self.calls.writes)?;
        if self.calls.state_writes > 0 {
            write!(f, " (+{} to the state bucket)", self.calls.state_writes)?;
        }
        writeln!(f, ", {:.1}s", self.elapsed_ms as f64 / 1000.0)
    }
}

impl fmt::Display for FunctionLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "  {:<32} {} → {:<4} code {}  {}",
            self.name,
            self.alias,
            self.version.as_deref().unwrap_or("-"),
            &self.code_sha256[..self.code_sha256.len().min(12)],
            if self.in_sync {
                "in sync"
            } else {
                "DIFFERS from local build"
            }
        )?;
        if let Some(url) = &self.url {
            write!(f, "  {url}")?;
        }
        Ok(())
    }
}

/// `bosun status`'s result.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub stack: String,
    pub in_sync: bool,
    /// The release live state was compared with (`None`: compared with the local build).
    pub release: Option<String>,
    /// What differs from the release, one line each.
    pub drift: Vec<String>,
    pub functions: Vec<FunctionLine>,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "stack {}:", self.stack)?;
        for l in &self.functions {
            writeln!(f, "{l}")?;
        }
        match (&self.release, self.in_sync) {
            (Some(r), true) => writeln!(f, "no drift: live state matches release {r}"),
            (Some(r), false) => {
                writeln!(f, "drift against release {r} (changed outside bosun):")?;
                for d in &self.drift {
                    writeln!(f, "  - {d}")?;
                }
                writeln!(
                    f,
                    "run `bosun plan` to see what a deploy would change, or `bosun rollback --to {r}`"
                )
            }
            (None, true) => writeln!(f, "every function's alias runs the local build"),
            (None, false) => writeln!(f, "drift: run `bosun plan` to see what a deploy would change"),
        }
    }
}

/// Each selected function's alias, version and whether it runs the local build.
pub fn function_lines(
    desired: &Desired,
    sel: &Selection,
    packages: &BTreeMap<String, Package>,
    observed: &Observed,
) -> Vec<FunctionLine> {
    sel.functions(desired)
        .into_iter()
        .map(|f| {
            let live = observed.functions.get(&f.name).and_then(Option::as_ref);
            let version = live.and_then(|l| l.alias.clone());
            let live_sha = version
                .as_deref()
                .and_then(|v| live.and_then(|l| l.version(v)))
                .map(|v| v.config.code_sha256.clone())
                .unwrap_or_default();
            let local = packages.get(&f.key).map(|p| p.sha256.clone()).unwrap_or_default();
            FunctionLine {
                function: f.key.clone(),
                name: f.name.clone(),
                alias: f.alias.clone(),
                version,
                in_sync: !live_sha.is_empty() && live_sha == local,
                code_sha256: if live_sha.is_empty() { local } else { live_sha },
                url: live.and_then(|l| l.url.as_ref()).map(|u| u.url.clone()),
            }
        })
        .collect()
}

/// `bosun build`'s result.
#[derive(Debug, Serialize)]
pub struct BuildReport {
    pub stack: String,
    pub out: std::path::PathBuf,
    pub manifest: std::path::PathBuf,
    /// Hex SHA-256 of the manifest: what `deploy --prebuilt-sha256` takes.
    pub manifest_sha256: String,
    /// Function key → the zip's base64 SHA-256 (Lambda's CodeSha256).
    pub functions: BTreeMap<String, String>,
}

impl fmt::Display for BuildReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "stack {}: {} function(s) built and checked into {}",
            self.stack,
            self.functions.len(),
            self.out.display()
        )?;
        for (key, sha) in &self.functions {
            writeln!(f, "  {key}: {key}.zip  (CodeSha256 {sha})")?;
        }
        writeln!(
            f,
            "manifest {}  SHA-256 {}",
            self.manifest.display(),
            self.manifest_sha256
        )?;
        writeln!(
            f,
            "deploy it with: bosun deploy all --prebuilt {} --prebuilt-sha256 {}",
            self.out.display(),
            self.manifest_sha256
        )
    }
}

/// `bosun releases`' result.
#[derive(Debug, Serialize)]
pub struct ReleasesReport {
    pub stack: String,
    pub bucket: String,
    pub releases: Vec<ReleaseLine>,
}

#[derive(Debug, Serialize)]
pub struct ReleaseLine {
    pub id: String,
    pub time: String,
    pub kind: String,
    pub rollback_of: Option<String>,
    pub commit: Option<String>,
    pub who: String,
    pub changes: Vec<String>,
    /// Objects the release has no version id for (it cannot restore them).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unversioned: Vec<String>,
}

impl fmt::Display for ReleasesReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.releases.is_empty() {
            return writeln!(f, "stack {}: no releases yet (s3://{})", self.stack, self.bucket);
        }
        writeln!(
            f,
            "stack {}: {} release(s), newest first",
            self.stack,
            self.releases.len()
        )?;
        for r in &self.releases {
            let commit = r.commit.as_deref().map_or("-", |c| &c[..c.len().min(10)]);
            let kind = match &r.rollback_of {
                Some(to) => format!("rollback to {to}"),
                None => r.kind.clone(),
            };
            writeln!(
                f,
                "  {}  {}  {:<16} {:<10} {}  {} change(s)",
                r.id,
                r.time,
                kind,
                commit,
                r.who,
                r.changes.len()
            )?;
            for c in r.changes.iter().take(3) {
                writeln!(f, "        {c}")?;
            }
            if r.changes.len() > 3 {
                writeln!(f, "        … {} more", r.changes.len() - 3)?;
            }
            if !r.unversioned.is_empty() {
                writeln!(
                    f,
                    "        not restorable: {} object(s) without a version id, stored before the bucket was versioned or while its versioning was taking effect (e.g. {})",
                    r.unversioned.len(),
                    r.unversioned[0]
                )?;
            }
        }
        Ok(())
    }
}

/// `bosun invoke`'s result.
#[derive(Debug, Serialize)]
pub struct InvokeReport {
    pub function: String,
    pub name: String,
    /// `alias` (on Lambda) or `local`.
    pub ran: String,
    pub version: Option<String>,
    pub status: Option<i32>,
    /// The function's answer: JSON when it is JSON, else the text.
    pub payload: serde_json::Value,
    pub error: Option<String>,
    pub log_tail: Option<String>,
}

impl InvokeReport {
    pub fn remote(f: &crate::model::FunctionSpec, i: crate::aws::lambda::Invocation) -> InvokeReport {
        InvokeReport {
            function: f.key.clone(),
            name: f.name.clone(),
            ran: format!("alias {}", f.alias),
            version: i.version,
            status: Some(i.status),
            error: i.function_error.map(|kind| format!("{kind}: {}", i.payload)),
            payload: parse_payload(&i.payload),
            log_tail: i.log_tail,
        }
    }

    pub fn local(
        f: &crate::model::FunctionSpec,
        outcome: Result<crate::preflight::Outcome, crate::preflight::PreflightError>,
    ) -> InvokeReport {
        let (payload, error) = match outcome {
            Ok(crate::preflight::Outcome::Ready { smoke_response }) => {
                (parse_payload(&smoke_response.unwrap_or_default()), None)
            }
            Err(e) => (serde_json::Value::Null, Some(e.to_string())),
        };
        InvokeReport {
            function: f.key.clone(),
            name: f.name.clone(),
            ran: "local".into(),
            version: None,
            status: None,
            payload,
            error,
            log_tail: None,
        }
    }
}

fn parse_payload(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|_| serde_json::Value::String(text.to_string()))
}

impl fmt::Display for InvokeReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let version = self
            .version
            .as_deref()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default();
        let status = self.status.map(|s| format!(": status {s}")).unwrap_or_default();
        writeln!(f, "function/{} ({}{version}){status}", self.name, self.ran)?;
        match &self.error {
            Some(e) => writeln!(f, "error: {e}")?,
            None => writeln!(f, "{}", serde_json::to_string_pretty(&self.payload).unwrap_or_default())?,
        }
        if let Some(log) = &self.log_tail {
            writeln!(f, "--- log tail ---\n{}", log.trim_end())?;
        }
        Ok(())
    }
}

/// `bosun env`'s result.
#[derive(Debug, Serialize)]
pub struct EnvReport {
    pub function: String,
    pub name: String,
    pub alias: String,
    pub environment: BTreeMap<String, String>,
}

impl fmt::Display for EnvReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.environment {
            writeln!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// `bosun unlock`'s result.
#[derive(Debug, Serialize)]
pub struct UnlockReport {
    pub removed: Option<LockRecord>,
}

impl fmt::Display for UnlockReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.removed {
            Some(l) => writeln!(
                f,
                "removed the lock {} of {} ({} since {}, {} change(s) journaled)",
                l.id,
                l.who,
                l.command,
                l.started,
                l.journal.done.len()
            ),
            None => writeln!(f, "the stack is not locked"),
        }
    }
}

/// `bosun rollback`'s result.
#[derive(Debug, Serialize)]
pub struct RollbackReport {
    pub stack: String,
    pub to: String,
    pub changes: usize,
    pub release: Option<String>,
    pub plan: Plan,
    pub calls: CallSummary,
}

impl fmt::Display for RollbackReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.release {
            Some(r) => writeln!(
                f,
                "stack {}: rolled back to release {} in {} change(s), recorded as release {r}",
                self.stack, self.to, self.changes
            )?,
            None if self.changes == 0 => writeln!(f, "stack {}: already at release {}", self.stack, self.to)?,
            None => {
                writeln!(f, "stack {}: rolling back to release {} would:", self.stack, self.to)?;
                write!(f, "{}", self.plan)?;
            }
        }
        writeln!(f, "{} AWS call(s), {} write(s)", self.calls.total, self.calls.writes)
    }
}

impl From<Release> for ReleaseLine {
    fn from(r: Release) -> ReleaseLine {
        ReleaseLine {
            id: r.id,
            time: r.time,
            kind: r.kind,
            rollback_of: r.rollback_of,
            commit: r.commit,
            who: r.who,
            changes: r.changes,
            unversioned: r.unversioned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, rollback_of: Option<&str>, changes: usize) -> ReleaseLine {
        ReleaseLine {
            id: id.into(),
            time: "2026-12-01T05:00:00Z".into(),
            kind: if rollback_of.is_some() { "rollback" } else { "deploy" }.into(),
            rollback_of: rollback_of.map(String::from),
            commit: Some("0123456789abcdef".into()),
            who: "ci@example.com".into(),
            changes: (1..=changes).map(|n| format!("change {n}")).collect(),
            unversioned: Vec::new(),
        }
    }

    #[test]
    fn the_release_listing_names_rollbacks_and_shortens_long_change_lists() {
        let report = ReleasesReport {
            stack: "t".into(),
            bucket: "bosun-123-t".into(),
            releases: vec![line("000002", Some("000001"), 5), line("000001", None, 1)],
        };
        let text = report.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "stack t: 2 release(s), newest first");
        assert!(
            lines[1].contains("000002") && lines[1].contains("rollback to 000001"),
            "{text}"
        );
        assert!(
            lines[1].contains("0123456789 ") && lines[1].ends_with("5 change(s)"),
            "{text}"
        );
        assert_eq!(
            lines[2..5],
            ["        change 1", "        change 2", "        change 3"]
        );
        assert_eq!(lines[5], "        … 2 more");
        assert!(lines[6].contains("000001") && lines[6].contains("deploy"), "{text}");
        let empty = ReleasesReport {
            releases: Vec::new(),
            ..report
        };
        assert_eq!(empty.to_string(), "stack t: no releases yet (s3://bosun-123-t)\n");
    }
}
