//! Outgoing mail: magic links and waiver links, sent through SES. For local
//! use (`shipcaptaincrew serve --outbox DIR`) every message is also written to
//! a directory as JSON, so a person or a browser test can follow the link.

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message as SesMessage};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// One message.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Sends mail from the configured sender.
#[derive(Debug)]
pub struct Mailer {
    ses: aws_sdk_sesv2::Client,
    sender: String,
    outbox: Option<Outbox>,
}

#[derive(Debug)]
struct Outbox {
    dir: PathBuf,
    next: AtomicU64,
}

/// A send that did not happen. The cause is logged, never shown to users,
/// and carries no address: SES names the recipients in some errors ("the
/// following identities failed the check: …"), and logs are no place for
/// who the members are.
#[derive(Debug, thiserror::Error)]
#[error("sending mail failed: {0}")]
pub struct MailError(String);

impl MailError {
    fn new(cause: &str) -> MailError {
        MailError(redact_addresses(cause))
    }
}

/// `text` with every e-mail address in it replaced by `<address>`.
pub fn redact_addresses(text: &str) -> String {
    let part = |c: char| c.is_alphanumeric() || "._%+-@'".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let address = word
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.'));
        out.push_str(if address { "<address>" } else { word.as_str() });
        word.clear();
    };
    for c in text.chars() {
        if part(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

impl Mailer {
    pub fn new(ses: aws_sdk_sesv2::Client, sender: &str) -> Mailer {
        Mailer {
            ses,
            sender: sender.to_string(),
            outbox: None,
        }
    }

    /// Also writes every sent message to `dir/<n>.json` (local use and tests).
    pub fn with_outbox(mut self, dir: PathBuf) -> Mailer {
        self.outbox = Some(Outbox {
            dir,
            next: AtomicU64::new(1),
        });
        self
    }

    /// Sends `msg` through SES and returns the SES message id.
    pub async fn send(&self, msg: &Message) -> Result<String, MailError> {
        let utf8 = |s: &str| {
            Content::builder()
                .data(s)
                .charset("UTF-8")
                .build()
                .expect("data is set")
        };
        let out = self
            .ses
            .send_email()
            .from_email_address(&self.sender)
            .destination(Destination::builder().set_to_addresses(Some(msg.to.clone())).build())
            .content(
                EmailContent::builder()
                    .simple(
                        SesMessage::builder()
                            .subject(utf8(&msg.subject))
                            .body(Body::builder().text(utf8(&msg.text)).html(utf8(&msg.html)).build())
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| MailError::new(&aws_sdk_sesv2::error::DisplayErrorContext(&e).to_string()))?;
        if let Some(outbox) = &self.outbox {
            let n = outbox.next.fetch_add(1, Ordering::SeqCst);
            let path = outbox.dir.join(format!("{n:06}.json"));
            let body = serde_json::to_vec_pretty(msg).expect("a message serialises");
            tokio::fs::write(&path, body)
                .await
                .map_err(|e| MailError::new(&format!("outbox {}: {e}", path.display())))?;
        }
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// Escapes text for HTML bodies.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The sign-in message for a magic link.
pub fn sign_in_message(to: &str, link: &str, role: &str, minutes: i64) -> Message {
    Message {
        to: vec![to.to_string()],
        subject: "Your ShipCaptainCrew sign-in link".into(),
        text: format!(
            "Sign in to ShipCaptainCrew as {role}:\n\n{link}\n\nThe link works once and expires in {minutes} minutes. \
             If you did not ask for it, ignore this message."
        ),
        html: format!(
            "<p>Sign in to ShipCaptainCrew as {role}:</p><p><a href=\"{l}\">Sign in</a></p>\
             <p>The link works once and expires in {minutes} minutes. If you did not ask for it, ignore this message.</p>",
            role = html_escape(role),
            l = html_escape(link)
        ),
    }
}

/// Tells a member they were put into a slot (by an admin or the captain).
pub fn assignment_message(to: &str, slot: &str, when: &str, boat: &str, by: &str, link: &str) -> Message {
    Message {
        to: vec![to.to_string()],
        subject: format!("You are {slot} aboard {boat} on {when}"),
        text: format!(
            "{by} put you in the {slot} slot aboard {boat} on {when}.\n\nThe sail, its timing and checklist:\n\n{link}\n"
        ),
        html: format!(
            "<p>{by} put you in the {slot} slot aboard {boat} on {when}.</p><p><a href=\"{l}\">The sail, its timing and checklist</a></p>",
            by = html_escape(by),
            slot = html_escape(slot),
            boat = html_escape(boat),
            when = html_escape(when),
            l = html_escape(link)
        ),
    }
}

/// The waiver message for a guest.
pub fn waiver_message(to: &str, name: &str, link: &str, when: &str, boat: &str) -> Message {
    Message {
        to: vec![to.to_string()],
        subject: format!("Your sail on {when}: please sign the waiver"),
        text: format!(
            "Hello {name},\n\nYour place aboard {boat} on {when} is on hold until you sign the waiver:\n\n{link}\n"
        ),
        html: format!(
            "<p>Hello {n},</p><p>Your place aboard {b} on {w} is on hold until you sign the waiver:</p>\
             <p><a href=\"{l}\">Read and sign the waiver</a></p>",
            n = html_escape(name),
            b = html_escape(boat),
            w = html_escape(when),
            l = html_escape(link)
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ses_errors_are_logged_without_the_recipients() {
        let ses = "MessageRejected: Email address is not verified. The following identities failed the check in region US-WEST-2: crew.member@example.com, O'Brien+sail@mail.example.org";
        let logged = super::MailError::new(ses).to_string();
        assert!(!logged.contains('@'), "{logged}");
        assert!(
            logged.contains("failed the check in region US-WEST-2: <address>, <address>"),
            "{logged}"
        );
        // Not an address: kept.
        assert_eq!(super::redact_addresses("user@ host a@b"), "user@ host a@b");
    }

    use super::*;

    #[test]
    fn html_is_escaped() {
        let m = waiver_message(
            "g@example.com",
            "<script>",
            "https://x.example.com/#/a&b",
            "2027-07-04",
            "Boat",
        );
        assert!(m.html.contains("&lt;script&gt;"));
        assert!(m.html.contains("#/a&amp;b"));
        assert!(m.text.contains("<script>"));
    }
}
