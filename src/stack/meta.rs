//! `[stack]`: the name that prefixes every resource, region, time zone,
//! state bucket, the account it may deploy to, accepted secret findings,
//! the cargo profile crates are built with.

use std::ops::Range;

use toml_edit::{Item, TableLike};

use super::rules::{valid_bucket_name, valid_region, valid_stack_name};
use super::Validator;
use crate::model::StackMeta;

const STACK_KEYS: &[&str] = &[
    "name",
    "region",
    "timezone",
    "state_bucket",
    "allow_secrets",
    "account",
    "cargo_profile",
];

impl Validator<'_> {
    /// The `[stack]` table, which every file must have.
    pub(super) fn stack_section(&mut self, root: &toml_edit::Table) -> Option<StackMeta> {
        match self.opt_table(root, "", "stack") {
            Some(t) => self.stack_meta(t, root.get("stack").and_then(Item::span)),
            None => {
                if root.get("stack").is_none() {
                    self.missing(
                        Some(0..0),
                        "",
                        "stack",
                        "start the file with a [stack] table: name = \"mystack\"",
                    );
                }
                None
            }
        }
    }

    fn stack_meta(&mut self, t: &dyn TableLike, span: Option<Range<usize>>) -> Option<StackMeta> {
        self.only_keys(t, "stack", STACK_KEYS);
        let name = self.stack_name(t, span);
        let region = match self.opt_str(t, "stack", "region") {
            Some(r) if valid_region(&r) => Some(r),
            Some(r) => {
                let at = Self::span_of(t, "region");
                self.problem(
                    at,
                    "stack.region",
                    format!("`{r}` is not an AWS region name"),
                    Some("use a region such as us-west-2, or leave it out to use AWS_REGION / the profile's".into()),
                );
                None
            }
            None => None,
        };
        let timezone = self.opt_str(t, "stack", "timezone");
        if let Some(tz) = timezone.as_ref().filter(|tz| jiff::tz::TimeZone::get(tz).is_err()) {
            let at = Self::span_of(t, "timezone");
            self.problem(
                at,
                "stack.timezone",
                format!("`{tz}` is not an IANA time zone"),
                Some("use a name such as America/Los_Angeles or Europe/London".into()),
            );
        }
        let state_bucket = self.opt_str(t, "stack", "state_bucket");
        if let Some(b) = state_bucket.as_ref().filter(|b| !valid_bucket_name(b)) {
            let at = Self::span_of(t, "state_bucket");
            self.problem(
                at,
                "stack.state_bucket",
                format!("`{b}` is not a valid S3 bucket name"),
                Some("3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit".into()),
            );
        }
        let allow_secrets = self
            .str_list(t, "stack", "allow_secrets", |s| !s.is_empty(), "a finding id")
            .unwrap_or_default();
        let account = self.opt_str(t, "stack", "account");
        if let Some(a) = account
            .as_ref()
            .filter(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            let at = Self::span_of(t, "account");
            self.problem(
                at,
                "stack.account",
                format!("`{a}` is not an AWS account id"),
                Some("use the 12-digit id (quoted, leading zeros kept), e.g. account = \"123456789012\"".into()),
            );
        }
        let cargo_profile = self.cargo_profile(t, "stack");
        Some(StackMeta {
            name: name?,
            region,
            timezone,
            state_bucket,
            allow_secrets,
            account,
            cargo_profile,
        })
    }

    fn stack_name(&mut self, t: &dyn TableLike, span: Option<Range<usize>>) -> Option<String> {
        match self.opt_str(t, "stack", "name") {
            Some(n) if valid_stack_name(&n) => Some(n),
            Some(n) => {
                let at = Self::span_of(t, "name");
                self.problem(
                    at,
                    "stack.name",
                    format!("`{n}` is not a valid stack name"),
                    Some("use 1-40 characters: lowercase letters, digits and '-', starting with a letter".into()),
                );
                None
            }
            None => {
                if t.get("name").is_none() {
                    self.missing(
                        span,
                        "stack",
                        "name",
                        "add name = \"mystack\"; it prefixes every resource name",
                    );
                }
                None
            }
        }
    }
}
