//! SESv2: identities (with DKIM and MAIL FROM state), the account's sending
//! status, the suppression list, configuration sets and a test send.
//!
//! Reads return plain data (`Identity`, `Account`, …) so the readiness checks
//! in `crate::ses` stay pure.

use aws_sdk_sesv2::types::{
    BehaviorOnMxFailure, Body, Content, Destination, DkimSigningAttributes, DkimSigningKeyLength, EmailContent, Message,
};
use aws_sdk_sesv2::Client;
use serde::Serialize;

use super::AwsError;

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
