//! SESv2: identities (with DKIM and MAIL FROM state), the account's sending
//! status, the suppression list, configuration sets (and their event
//! destinations) and a test send.
//!
//! Reads return plain data (`Identity`, `Account`, …) so the readiness checks
//! in `crate::ses` stay pure.

use std::collections::BTreeSet;
use std::fmt;

use aws_sdk_sesv2::types::{
    BehaviorOnMxFailure, Body, CloudWatchDestination, CloudWatchDimensionConfiguration, Content, Destination,
    DimensionValueSource, DkimSigningAttributes, DkimSigningKeyLength, EmailContent, EventDestinationDefinition,
    EventType, Message, SnsDestination,
};
use aws_sdk_sesv2::Client;
use serde::Serialize;

use super::AwsError;
use crate::model::{EventTarget, SesEvents};

/// An SES identity as SESv2 describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// EMAIL_ADDRESS, DOMAIN or MANAGED_DOMAIN.
    pub kind: String,
    pub verified_for_sending: bool,
    /// PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED (absent on old identities).
    pub verification_status: Option<String>,
    pub dkim: Option<Dkim>,
    pub mail_from: Option<MailFrom>,
}

impl Identity {
    /// Whether SES will send from (or, in the sandbox, to) the identity:
    /// `VerifiedForSendingStatus`. `VerificationStatus` is detail (why not).
    pub fn verified(&self) -> bool {
        self.verified_for_sending
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dkim {
    pub signing_enabled: bool,
    /// PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE or NOT_STARTED.
    pub status: Option<String>,
    /// Easy DKIM tokens: each is published as `TOKEN._domainkey.DOMAIN CNAME TOKEN.dkim.amazonses.com`.
    pub tokens: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailFrom {
    pub domain: String,
    /// PENDING, SUCCESS, FAILED or TEMPORARY_FAILURE.
    pub status: String,
}

/// The account's sending status (GetAccount).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub production_access: bool,
    pub sending_enabled: bool,
    /// HEALTHY, PROBATION or SHUTDOWN.
    pub enforcement_status: Option<String>,
    pub max_24_hour_send: f64,
    pub max_send_rate: f64,
    pub sent_last_24_hours: f64,
}

/// The identity `name`, or `None` when SES has no such identity.
pub async fn identity(client: &Client, name: &str) -> Result<Option<Identity>, AwsError> {
    match client.get_email_identity().email_identity(name).send().await {
        Ok(out) => Ok(Some(Identity {
            kind: out.identity_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
            verified_for_sending: out.verified_for_sending_status(),
            verification_status: out.verification_status().map(|s| s.as_str().to_string()),
            dkim: out.dkim_attributes().map(|d| Dkim {
                signing_enabled: d.signing_enabled(),
                status: d.status().map(|s| s.as_str().to_string()),
                tokens: d.tokens().to_vec(),
            }),
            mail_from: out.mail_from_attributes().map(|m| MailFrom {
                domain: m.mail_from_domain().to_string(),
                status: m.mail_from_domain_status().as_str().to_string(),
            }),
        })),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("sesv2:GetEmailIdentity", name, e)),
    }
}

/// Creates the identity `name` (Easy DKIM with 2048-bit keys for a domain).
/// An identity that already exists is not an error: the call is safe to retry.
pub async fn create_identity(client: &Client, name: &str) -> Result<(), AwsError> {
    let mut req = client.create_email_identity().email_identity(name);
    if !name.contains('@') {
        req = req.dkim_signing_attributes(
            DkimSigningAttributes::builder()
                .next_signing_key_length(DkimSigningKeyLength::Rsa2048Bit)
                .build(),
        );
    }
    match req.send().await {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("sesv2:CreateEmailIdentity", name, e)),
    }
}

/// Sets the custom MAIL FROM domain of a domain identity (idempotent).
pub async fn put_mail_from(client: &Client, identity: &str, mail_from: &str) -> Result<(), AwsError> {
    client
        .put_email_identity_mail_from_attributes()
        .email_identity(identity)
        .mail_from_domain(mail_from)
        .behavior_on_mx_failure(BehaviorOnMxFailure::UseDefaultValue)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| AwsError::from_sdk("sesv2:PutEmailIdentityMailFromAttributes", identity, e))
}

/// The account's sending status.
pub async fn account(client: &Client) -> Result<Account, AwsError> {
    let out = client
        .get_account()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("sesv2:GetAccount", "account", e))?;
    let quota = out.send_quota();
    Ok(Account {
        production_access: out.production_access_enabled(),
        sending_enabled: out.sending_enabled(),
        enforcement_status: out.enforcement_status().map(str::to_string),
        max_24_hour_send: quota.map_or(0.0, |q| q.max24_hour_send()),
        max_send_rate: quota.map_or(0.0, |q| q.max_send_rate()),
        sent_last_24_hours: quota.map_or(0.0, |q| q.sent_last24_hours()),
    })
}

/// The account's suppression list: address (lower case) → reason
/// (BOUNCE, COMPLAINT). One paginated listing instead of a call per address.
pub async fn suppression_list(
    client: &Client,
    pace: &mut super::Pacer,
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    let mut out = std::collections::BTreeMap::new();
    let mut next: Option<String> = None;
    loop {
        pace.tick().await;
        let page = client
            .list_suppressed_destinations()
            .set_next_token(next.clone())
            .page_size(1000)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("sesv2:ListSuppressedDestinations", "account", e))?;
        for d in page.suppressed_destination_summaries() {
            out.insert(d.email_address().to_ascii_lowercase(), d.reason().as_str().to_string());
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

/// Why `address` is on the account's suppression list (BOUNCE, COMPLAINT), or `None`.
pub async fn suppressed(client: &Client, address: &str) -> Result<Option<String>, AwsError> {
    match client.get_suppressed_destination().email_address(address).send().await {
        Ok(out) => Ok(Some(
            out.suppressed_destination()
                .map(|d| d.reason().as_str().to_string())
                .unwrap_or_else(|| "unknown reason".into()),
        )),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found_exception()) => Ok(None),
        Err(e) => Err(AwsError::from_sdk("sesv2:GetSuppressedDestination", address, e)),
    }
}

/// True when the configuration set exists (listed, so a missing set is not
/// confused with an unreadable one).
pub async fn configuration_set_exists(client: &Client, name: &str, pace: &mut super::Pacer) -> Result<bool, AwsError> {
    let mut next: Option<String> = None;
    loop {
        pace.tick().await;
        let out = client
            .list_configuration_sets()
            .set_next_token(next.clone())
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("sesv2:ListConfigurationSets", name, e))?;
        if out.configuration_sets().iter().any(|s| s == name) {
            return Ok(true);
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => return Ok(false),
        }
    }
}

/// Creates the configuration set (one that exists already is fine).
pub async fn create_configuration_set(client: &Client, name: &str) -> Result<(), AwsError> {
    match client
        .create_configuration_set()
        .configuration_set_name(name)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => Ok(()),
        Err(e) => Err(AwsError::from_sdk("sesv2:CreateConfigurationSet", name, e)),
    }
}

/// An event destination of a configuration set (GetConfigurationSetEventDestinations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDestination {
    pub name: String,
    pub enabled: bool,
    /// The event types it publishes: SEND, BOUNCE, COMPLAINT, DELIVERY, OPEN, …
    pub types: BTreeSet<String>,
    pub target: DestinationTarget,
}

/// Where an event destination publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DestinationTarget {
    CloudWatch(Vec<CloudWatchDimension>),
    /// The topic's ARN.
    Sns(String),
    /// Kinesis Data Firehose, EventBridge or Pinpoint, which bosun never writes.
    Other(&'static str),
}

impl fmt::Display for DestinationTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DestinationTarget::CloudWatch(dims) => {
                let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
                write!(f, "CloudWatch (dimension {})", names.join(", "))
            }
            DestinationTarget::Sns(arn) => write!(f, "SNS topic {arn}"),
            DestinationTarget::Other(kind) => f.write_str(kind),
        }
    }
}

/// One CloudWatch dimension of an event destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloudWatchDimension {
    pub name: String,
    /// MESSAGE_TAG, EMAIL_HEADER or LINK_TAG.
    pub source: String,
    pub default_value: String,
}

impl CloudWatchDimension {
    /// The dimension bosun writes for `[ses.events]` destination = "cloudwatch":
    /// its value comes from the message tag of the same name.
    pub fn from_message_tag(name: &str, default_value: &str) -> CloudWatchDimension {
        CloudWatchDimension {
            name: name.to_string(),
            source: DimensionValueSource::MessageTag.as_str().to_string(),
            default_value: default_value.to_string(),
        }
    }
}

/// The event destinations of configuration set `set`.
pub async fn event_destinations(client: &Client, set: &str) -> Result<Vec<EventDestination>, AwsError> {
    let out = client
        .get_configuration_set_event_destinations()
        .configuration_set_name(set)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("sesv2:GetConfigurationSetEventDestinations", set, e))?;
    Ok(out
        .event_destinations()
        .iter()
        .map(|d| EventDestination {
            name: d.name().to_string(),
            enabled: d.enabled(),
            types: d
                .matching_event_types()
                .iter()
                .map(|t| t.as_str().to_string())
                .collect(),
            target: if let Some(cw) = d.cloud_watch_destination() {
                DestinationTarget::CloudWatch(
                    cw.dimension_configurations()
                        .iter()
                        .map(|c| CloudWatchDimension {
                            name: c.dimension_name().to_string(),
                            source: c.dimension_value_source().as_str().to_string(),
                            default_value: c.default_dimension_value().to_string(),
                        })
                        .collect(),
                )
            } else if let Some(sns) = d.sns_destination() {
                DestinationTarget::Sns(sns.topic_arn().to_string())
            } else if d.kinesis_firehose_destination().is_some() {
                DestinationTarget::Other("Kinesis Data Firehose")
            } else if d.event_bridge_destination().is_some() {
                DestinationTarget::Other("EventBridge")
            } else if d.pinpoint_destination().is_some() {
                DestinationTarget::Other("Pinpoint")
            } else {
                DestinationTarget::Other("an unknown destination")
            },
        })
        .collect())
}

/// Creates or updates (the whole definition) bosun's event destination.
pub struct PutEventDestination<'a> {
    pub set: &'a str,
    pub events: &'a SesEvents,
    /// The event types to publish (SES_EVENT_TYPES, plus any the live
    /// destination has on top).
    pub types: &'a BTreeSet<String>,
    /// Update the destination of this name instead of creating it.
    pub update: bool,
}

/// Writes bosun's event destination. `Ok(false)`: a create found one of that
/// name already there (another run made it); the caller reads it back.
pub async fn put_event_destination(client: &Client, put: &PutEventDestination<'_>) -> Result<bool, AwsError> {
    let PutEventDestination {
        set,
        events,
        types,
        update,
    } = *put;
    let op = if update {
        "sesv2:UpdateConfigurationSetEventDestination"
    } else {
        "sesv2:CreateConfigurationSetEventDestination"
    };
    let resource = format!("{set} (event destination {})", events.name);
    let mut definition = EventDestinationDefinition::builder().enabled(true);
    for t in types {
        definition = definition.matching_event_types(EventType::from(t.as_str()));
    }
    let definition = match &events.target {
        EventTarget::CloudWatch {
            dimension,
            default_value,
        } => {
            let dim = CloudWatchDimensionConfiguration::builder()
                .dimension_name(dimension)
                .dimension_value_source(DimensionValueSource::MessageTag)
                .default_dimension_value(default_value)
                .build()
                .map_err(|e| AwsError::build(op, &resource, e))?;
            let cw = CloudWatchDestination::builder()
                .dimension_configurations(dim)
                .build()
                .map_err(|e| AwsError::build(op, &resource, e))?;
            definition.cloud_watch_destination(cw)
        }
        EventTarget::Sns { topic_arn } => definition.sns_destination(
            SnsDestination::builder()
                .topic_arn(topic_arn)
                .build()
                .map_err(|e| AwsError::build(op, &resource, e))?,
        ),
    }
    .build();
    if update {
        client
            .update_configuration_set_event_destination()
            .configuration_set_name(set)
            .event_destination_name(&events.name)
            .event_destination(definition)
            .send()
            .await
            .map(|_| true)
            .map_err(|e| AwsError::from_sdk(op, &resource, e))
    } else {
        match client
            .create_configuration_set_event_destination()
            .configuration_set_name(set)
            .event_destination_name(&events.name)
            .event_destination(definition)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_already_exists_exception()) => Ok(false),
            Err(e) => Err(AwsError::from_sdk(op, &resource, e)),
        }
    }
}

/// Sends one plain-text message; returns SES's message id.
/// A plain-text message.
pub struct TextMail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub configuration_set: Option<&'a str>,
    pub subject: &'a str,
    pub text: &'a str,
}

pub async fn send_text(client: &Client, mail: &TextMail<'_>) -> Result<String, AwsError> {
    let TextMail {
        from,
        to,
        configuration_set,
        subject,
        text,
    } = *mail;
    let op = "sesv2:SendEmail";
    let content = |s: &str| {
        Content::builder()
            .data(s)
            .charset("UTF-8")
            .build()
            .map_err(|e| AwsError::build(op, to, e))
    };
    let message = Message::builder()
        .subject(content(subject)?)
        .body(Body::builder().text(content(text)?).build())
        .build();
    let out = client
        .send_email()
        .from_email_address(from)
        .destination(Destination::builder().to_addresses(to).build())
        .content(EmailContent::builder().simple(message).build())
        .set_configuration_set_name(configuration_set.map(str::to_string))
        .send()
        .await
        .map_err(|e| AwsError::from_sdk(op, to, e))?;
    Ok(out.message_id().unwrap_or_default().to_string())
}
