//! `[ses]`: the sender, the identities that must be verified for it, the
//! audit BCC, configuration set (with its event destination, `[ses.events]`),
//! MAIL FROM domain and recipient batches.

use std::collections::BTreeMap;
use std::ops::Range;

use toml_edit::TableLike;

use super::rules::{valid_address, valid_batch, valid_domain, valid_sender};
use super::{join, Validator};
use crate::model::{EventTarget, SesEvents, SesSpec};

const SES_KEYS: &[&str] = &[
    "sender",
    "identities",
    "audit_bcc",
    "configuration_set",
    "mail_from_domain",
    "recipients",
    "events",
];

const EVENTS_KEYS: &[&str] = &["destination", "topic_arn", "name"];

/// The event destination's name when `[ses.events]` gives none.
const DEFAULT_EVENTS_NAME: &str = "bosun";

impl Validator<'_> {
    pub(super) fn ses(&mut self, t: &dyn TableLike, span: Option<Range<usize>>, stack: &str) -> Option<SesSpec> {
        self.only_keys(t, "ses", SES_KEYS);
        let sender = self.sender(t, span);
        let identities = self.str_list(t, "ses", "identities", valid_sender, "an e-mail address or a domain");
        let audit_bcc = self.opt_str(t, "ses", "audit_bcc");
        if let Some(a) = audit_bcc.as_ref().filter(|a| !valid_address(a)) {
            let at = Self::span_of(t, "audit_bcc");
            self.problem(
                at,
                "ses.audit_bcc",
                format!("`{a}` is not an e-mail address"),
                Some("use an address such as audit@example.com".into()),
            );
        }
        let configuration_set = self.opt_str(t, "ses", "configuration_set");
        if let Some(c) = configuration_set.as_ref().filter(|c| !valid_configuration_set(c)) {
            let at = Self::span_of(t, "configuration_set");
            self.problem(
                at,
                "ses.configuration_set",
                format!("`{c}` is not a configuration set name"),
                Some("1-64 letters, digits, '-' or '_'".into()),
            );
        }
        let events = self.events(t, configuration_set.is_some(), stack);
        let mail_from_domain = self.opt_str(t, "ses", "mail_from_domain");
        let recipients = self.recipients(t);
        let sender = sender?;
        let identities = match identities {
            Some(list) if list.is_empty() => {
                let at = Self::span_of(t, "identities");
                self.problem(
                    at,
                    "ses.identities",
                    "an empty list leaves nothing to send from".into(),
                    Some("list the sender's address or domain, or remove the key (default: the sender)".into()),
                );
                return None;
            }
            Some(list) => list,
            None if t.get("identities").is_some() => return None,
            None => vec![sender.clone()],
        };
        let spec = SesSpec {
            identities,
            audit_bcc,
            configuration_set,
            mail_from_domain,
            recipients,
            sender,
            events,
        };
        self.identities_cover(t, &spec);
        Some(spec)
    }

    fn sender(&mut self, t: &dyn TableLike, span: Option<Range<usize>>) -> Option<String> {
        match self.opt_str(t, "ses", "sender") {
            Some(s) if valid_sender(&s) => Some(s),
            Some(s) => {
                let at = Self::span_of(t, "sender");
                self.problem(
                    at,
                    "ses.sender",
                    format!("`{s}` is neither an e-mail address nor a domain"),
                    Some("use an address such as reports@example.com or a domain such as example.com".into()),
                );
                None
            }
            None => {
                if t.get("sender").is_none() {
                    self.missing(span, "ses", "sender", "add sender = \"reports@example.com\"");
                }
                None
            }
        }
    }

    /// `[ses.recipients]`: batch name → addresses, each batch non-empty.
    fn recipients(&mut self, t: &dyn TableLike) -> BTreeMap<String, Vec<String>> {
        let mut recipients = BTreeMap::new();
        let Some(rt) = self.opt_table(t, "ses", "recipients") else {
            return recipients;
        };
        for (batch, _) in rt.iter() {
            let bp = join("ses.recipients", batch);
            if !valid_batch(batch) {
                let at = rt.key(batch).and_then(|k| k.span());
                self.problem(
                    at,
                    &bp,
                    format!("`{batch}` is not a batch name"),
                    Some("use letters, digits, '-' or '_' (the name schedules pass as {batch = \"...\"})".into()),
                );
                continue;
            }
            if let Some(list) = self.str_list(rt, "ses.recipients", batch, valid_address, "an e-mail address") {
                if list.is_empty() {
                    let at = Self::span_of(rt, batch);
                    self.problem(
                        at,
                        &bp,
                        "a report batch needs at least one recipient".into(),
                        Some("add an address, or remove the batch".into()),
                    );
                }
                recipients.insert(batch.to_string(), list);
            }
        }
        recipients
    }

    /// `[ses.events]`: the configuration set's event destination. A set
    /// always gets one (CloudWatch, named "bosun", when the table is absent);
    /// without a set there is nothing to publish through.
    fn events(&mut self, t: &dyn TableLike, has_set: bool, stack: &str) -> Option<SesEvents> {
        let cloudwatch = EventTarget::CloudWatch {
            dimension: "stack".into(),
            default_value: stack.to_string(),
        };
        let Some(et) = self.opt_table(t, "ses", "events") else {
            return has_set.then(|| SesEvents {
                name: DEFAULT_EVENTS_NAME.into(),
                target: cloudwatch,
            });
        };
        // The table's own problems are reported with or without a set.
        let at = Self::span_of(t, "events");
        let events = self.events_table(et, at.clone(), cloudwatch);
        if !has_set {
            self.problem(
                at,
                "ses.events",
                "SES publishes events through a configuration set, and [ses] names none".into(),
                Some("add configuration_set = \"NAME\" to [ses], or remove [ses.events]".into()),
            );
            return None;
        }
        events
    }

    /// The keys of `[ses.events]` (found at `at`); `cloudwatch` is the default target.
    fn events_table(
        &mut self,
        et: &dyn TableLike,
        at: Option<Range<usize>>,
        cloudwatch: EventTarget,
    ) -> Option<SesEvents> {
        self.only_keys(et, "ses.events", EVENTS_KEYS);
        let destination = self.choice(et, "ses.events", "destination", &["cloudwatch", "sns"]);
        let name = match self.opt_str(et, "ses.events", "name") {
            Some(n) if valid_configuration_set(&n) => Some(n),
            Some(n) => {
                let at = Self::span_of(et, "name");
                self.problem(
                    at,
                    "ses.events.name",
                    format!("`{n}` is not an event destination name"),
                    Some("1-64 letters, digits, '-' or '_'".into()),
                );
                None
            }
            // A value of the wrong type, reported by opt_str.
            None if et.contains_key("name") => None,
            None => Some(DEFAULT_EVENTS_NAME.into()),
        };
        let topic_arn = self.opt_str(et, "ses.events", "topic_arn");
        let destination = match destination {
            Some(d) => d,
            None if et.contains_key("destination") => return None,
            None => "cloudwatch",
        };
        let target = match (destination, topic_arn) {
            ("sns", Some(arn)) => {
                if let Err(why) = check_topic_arn(&arn) {
                    let at = Self::span_of(et, "topic_arn");
                    self.problem(at, "ses.events.topic_arn", why.0, Some(why.1.into()));
                    return None;
                }
                EventTarget::Sns { topic_arn: arn }
            }
            ("sns", None) => {
                if !et.contains_key("topic_arn") {
                    self.missing(
                        at,
                        "ses.events",
                        "topic_arn",
                        "add topic_arn = \"arn:aws:sns:REGION:ACCOUNT:TOPIC\" (a standard topic)",
                    );
                }
                return None;
            }
            (_, Some(_)) => {
                let at = Self::span_of(et, "topic_arn");
                self.problem(
                    at,
                    "ses.events.topic_arn",
                    "a topic is only for destination = \"sns\"".into(),
                    Some("add destination = \"sns\", or remove topic_arn (CloudWatch needs none)".into()),
                );
                return None;
            }
            _ => cloudwatch,
        };
        Some(SesEvents { name: name?, target })
    }

    /// An identity must cover the sender, and the MAIL FROM domain must be
    /// a subdomain of a domain identity.
    fn identities_cover(&mut self, t: &dyn TableLike, spec: &SesSpec) {
        let covered = spec
            .identities
            .iter()
            .any(|i| i.eq_ignore_ascii_case(&spec.sender) || i.eq_ignore_ascii_case(spec.sender_domain()));
        if !covered {
            let at = Self::span_of(t, "identities");
            self.problem(
                at,
                "ses.identities",
                format!("no identity covers the sender `{}`", spec.sender),
                Some(format!(
                    "add \"{}\" or \"{}\" to identities",
                    spec.sender,
                    spec.sender_domain()
                )),
            );
        }
        let Some(m) = &spec.mail_from_domain else {
            return;
        };
        let parent = spec.identities.iter().filter(|i| !i.contains('@')).any(|d| {
            m.to_ascii_lowercase()
                .ends_with(&format!(".{}", d.to_ascii_lowercase()))
        });
        if !valid_domain(m) || !parent {
            let at = Self::span_of(t, "mail_from_domain");
            self.problem(
                at,
                "ses.mail_from_domain",
                format!("`{m}` must be a subdomain of a domain identity"),
                Some("e.g. identities = [\"example.com\"] with mail_from_domain = \"mail.example.com\"".into()),
            );
        }
    }
}

/// SES configuration set names: 1-64 letters, digits, '-' or '_'.
fn valid_configuration_set(c: &str) -> bool {
    (1..=64).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An SNS topic ARN that SES can publish to: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`,
/// a standard topic (SES does not publish to FIFO topics: SES developer
/// guide, "Set up an Amazon SNS event destination"). Err: (message, help).
fn check_topic_arn(arn: &str) -> Result<(), (String, &'static str)> {
    const HELP: &str = "use a standard topic's ARN, e.g. arn:aws:sns:us-west-2:123456789012:ses-events";
    let parts: Vec<&str> = arn.split(':').collect();
    let well_formed = match parts.as_slice() {
        ["arn", partition, "sns", region, account, _] => {
            partition.starts_with("aws")
                && !region.is_empty()
                && region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    };
    if !well_formed {
        return Err((format!("`{arn}` is not an SNS topic ARN"), HELP));
    }
    let topic = parts[5];
    if topic.ends_with(".fifo") {
        return Err((
            format!("`{topic}` is a FIFO topic: SES publishes events only to standard topics"),
            HELP,
        ));
    }
    // SNS topic names: 1-256 letters, digits, '-' or '_' (CreateTopic).
    if !(1..=256).contains(&topic.len())
        || !topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err((format!("`{topic}` is not an SNS topic name"), HELP));
    }
    Ok(())
}
