//! The executive-report Lambda: an EventBridge schedule invokes it with
//! `{"batch": "csuite"}` or `{"batch": "portfolio"}` (optionally with a
//! `"period"`; without one, the last complete week or month), and it mails each report of the batch through SESv2 to the
//! batch's recipients, BCC the audit mailbox, exactly once per period.
//!
//! - [`data`]: the portfolio data file (validated).
//! - [`ledger`]: the month's books (revenue, expenses, result per entity, in cents).
//! - [`engine`]: data + live facts → reports (pure, unit-tested).
//! - [`render`]: subject, plain text, HTML and the MIME message.
//! - [`charts`]: the HTML part's charts as PNG.
//! - [`deliver`]: idempotent delivery (claim, send, record, archive).
//! - [`aws`]: SES, DynamoDB and the state bucket.
//!
//! Its configuration comes from the environment bosun sets: `BOSUN_STATE_BUCKET`,
//! `BOSUN_DATA_PORTFOLIO`, `BOSUN_ARCHIVE_PREFIX`, `BOSUN_TABLE_REPORT_RUNS`,
//! `BOSUN_TABLE_CREW` (optional), `BOSUN_SES_SENDER`, `BOSUN_SES_AUDIT_BCC`,
//! `BOSUN_SES_RECIPIENTS`, `BOSUN_SES_CONFIGURATION_SET`.

pub mod aws;
pub mod charts;
pub mod data;
pub mod deliver;
pub mod engine;
pub mod ledger;
pub mod render;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the function was asked to do, decoded from the invocation payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Request {
    Ping { ping: bool },
    Batch { batch: String, period: Option<String> },
}

/// The answer to a ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pong {
    pub ok: bool,
    pub service: &'static str,
    pub version: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("unrecognised event: expected {{\"ping\": true}} or {{\"batch\": \"csuite\"|\"portfolio\"}}, got {0}")]
    BadEvent(String),
    #[error("unknown batch {0:?}: expected one of csuite, portfolio")]
    UnknownBatch(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("data file: {0}; nothing was sent")]
    Data(String),
    #[error("batch {batch} {period}: {} report(s) not delivered: {}; a retry sends only these", failed.len(), failed.iter().map(|(r, e)| format!("{r} ({e})")).collect::<Vec<_>>().join(", "))]
    Partial {
        batch: String,
        period: String,
        failed: Vec<(String, String)>,
    },
    #[error("{0}")]
    Aws(String),
}

/// The settings bosun passes in the environment.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub state_bucket: String,
    pub data_key: String,
    pub archive_prefix: String,
    pub runs_table: String,
    pub crew_table: Option<String>,
    pub sender: String,
    pub audit_bcc: Option<String>,
    pub configuration_set: Option<String>,
    pub recipients: BTreeMap<String, Vec<String>>,
}

impl Config {
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Config, HandlerError> {
        let need = |k: &str| {
            get(k).filter(|v| !v.is_empty()).ok_or_else(|| {
                HandlerError::Config(format!("{k} is not set (bosun sets it for a function with `data`, `archive`, `send_email` and the report-runs table)"))
            })
        };
        let recipients = match get("BOSUN_SES_RECIPIENTS") {
            Some(j) => serde_json::from_str(&j)
                .map_err(|e| HandlerError::Config(format!("BOSUN_SES_RECIPIENTS is not a JSON map of lists: {e}")))?,
            None => BTreeMap::new(),
        };
        Ok(Config {
            state_bucket: need("BOSUN_STATE_BUCKET")?,
            data_key: need("BOSUN_DATA_PORTFOLIO")?,
            archive_prefix: need("BOSUN_ARCHIVE_PREFIX")?,
            runs_table: need("BOSUN_TABLE_REPORT_RUNS")?,
            crew_table: get("BOSUN_TABLE_CREW"),
            sender: need("BOSUN_SES_SENDER")?,
            audit_bcc: get("BOSUN_SES_AUDIT_BCC"),
            configuration_set: get("BOSUN_SES_CONFIGURATION_SET"),
            recipients,
        })
    }
}

/// The AWS clients the handler uses, built once per container.
#[derive(Clone)]
pub struct Clients {
    pub ses: aws_sdk_sesv2::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub s3: aws_sdk_s3::Client,
}

impl Clients {
    pub async fn from_env() -> Clients {
        let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let s3 = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(conf.endpoint_url().is_some())
            .build();
        Clients {
            ses: aws_sdk_sesv2::Client::new(&conf),
            dynamodb: aws_sdk_dynamodb::Client::new(&conf),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
    }
}

/// The period a batch reports on when run at `now` without one: the last
/// complete one (schedules fire at the start of a week or month, when the
/// new one has no figures yet): the ISO week before `now`'s for the C-suite
/// batch, the month before for the portfolio batch.
pub fn period(batch: &str, now: jiff::civil::Date) -> String {
    if batch == "portfolio" {
        let d = now.first_of_month().yesterday().unwrap_or(now);
        format!("{:04}-{:02}", d.year(), d.month())
    } else {
        let d = now.checked_sub(jiff::Span::new().days(7)).unwrap_or(now);
        let w = d.iso_week_date();
        format!("{:04}-W{:02}", w.year(), w.week())
    }
}

/// Handles one invocation payload.
pub async fn handle(
    event: Value,
    env: &dyn Fn(&str) -> Option<String>,
    clients: Option<&Clients>,
) -> Result<Value, HandlerError> {
    let request: Request = serde_json::from_value(event.clone()).map_err(|_| {
        let mut shown = event.to_string();
        shown.truncate(200);
        HandlerError::BadEvent(shown)
    })?;
    let (batch, period_in) = match request {
        Request::Ping { ping: true } => {
            return Ok(serde_json::to_value(Pong {
                ok: true,
                service: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            })
            .expect("Pong serialises"))
        }
        Request::Ping { ping: false } => return Err(HandlerError::BadEvent(event.to_string())),
        Request::Batch { batch, period } => (batch, period),
    };
    if !engine::BATCHES.contains(&batch.as_str()) {
        return Err(HandlerError::UnknownBatch(batch));
    }
    let config = Config::from_env(env)?;
    let Some(clients) = clients else {
        return Err(HandlerError::Config("no AWS clients".into()));
    };
    let now = jiff::Timestamp::now();
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let period = period_in.unwrap_or_else(|| period(&batch, today));
    if engine::month_of(&period).is_none() {
        return Err(HandlerError::BadEvent(format!(
            "period {period:?} is not an ISO week (YYYY-Www) or a month (YYYY-MM)"
        )));
    }
    let to = config
        .recipients
        .get(&batch)
        .cloned()
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            HandlerError::Config(format!(
                "no recipients for batch {batch} in BOSUN_SES_RECIPIENTS ([ses.recipients] in the stack)"
            ))
        })?;

    let state = aws::StateBucket {
        client: clients.s3.clone(),
        bucket: config.state_bucket.clone(),
    };
    let bytes = state
        .get(&config.data_key)
        .await
        .map_err(HandlerError::Aws)?
        .ok_or_else(|| {
            HandlerError::Data(format!(
                "s3://{}/{} does not exist (deploy the stack)",
                config.state_bucket, config.data_key
            ))
        })?;
    let text = String::from_utf8(bytes).map_err(|_| HandlerError::Data(format!("{} is not UTF-8", config.data_key)))?;
    let portfolio = data::parse(&config.data_key, &text).map_err(|e| HandlerError::Data(e.to_string()))?;
    let month = engine::month_of(&period).expect("period checked above");
    let months: Vec<String> = data::previous_month(&month).into_iter().chain([month]).collect();
    let facts = aws::facts(
        &clients.dynamodb,
        config.crew_table.as_deref(),
        &state,
        &months,
        &portfolio.finance,
    )
    .await
    .map_err(HandlerError::Aws)?;
    let reports = engine::reports(&batch, &portfolio, &facts, &period).expect("batch checked above");

    let figures = serde_json::json!({
        "period": period,
        "figures": engine::key_figures(&portfolio, &facts, &period),
    });
    let token = format!("{}-{}", now.as_nanosecond(), std::process::id());
    let b = deliver::Batch {
        batch: &batch,
        period: &period,
        company: &portfolio.company,
        from: &config.sender,
        to: &to,
        bcc: config.audit_bcc.as_deref(),
        archive_prefix: &config.archive_prefix,
        token: &token,
        now: now.as_second(),
        figures: &figures,
    };
    let mailer = aws::Ses {
        client: clients.ses.clone(),
        from: config.sender.clone(),
        configuration_set: config.configuration_set.clone(),
    };
    let claims = aws::DynamoClaims {
        client: clients.dynamodb.clone(),
        table: config.runs_table.clone(),
    };
    let outcome = deliver::deliver(&b, &reports, &mailer, &claims, &state).await;
    tracing::info!(batch = %batch, period = %period, sent = outcome.sent.len(), skipped = outcome.skipped.len(), failed = outcome.failed.len(), "delivered");
    if !outcome.failed.is_empty() {
        return Err(HandlerError::Partial {
            batch,
            period,
            failed: outcome.failed,
        });
    }
    Ok(serde_json::to_value(outcome).expect("outcome serialises"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[tokio::test]
    async fn ping_answers_ok_with_service_name() {
        let out = handle(json!({"ping": true}), &no_env, None).await.unwrap();
        assert_eq!(out["ok"], json!(true));
        assert_eq!(out["service"], json!("exec-reports"));
    }

    #[tokio::test]
    async fn unknown_event_and_batch_name_what_was_expected() {
        let err = handle(json!({"hello": 1}), &no_env, None).await.unwrap_err();
        assert!(err.to_string().contains("expected"), "{err}");
        let err = handle(json!({"batch": "weekly"}), &no_env, None).await.unwrap_err();
        assert!(err.to_string().contains("expected one of csuite, portfolio"), "{err}");
    }

    #[tokio::test]
    async fn missing_configuration_is_named() {
        let err = handle(json!({"batch": "csuite"}), &no_env, None).await.unwrap_err();
        assert!(err.to_string().contains("BOSUN_STATE_BUCKET is not set"), "{err}");
    }

    #[test]
    fn periods() {
        // Monday of week 48: the week before, and the month before.
        let d = jiff::civil::date(2026, 11, 23);
        assert_eq!(period("csuite", d), "2026-W47");
        assert_eq!(period("portfolio", d), "2026-10");
        // The 1st of a month reports the month just ended, across a year too.
        assert_eq!(period("portfolio", jiff::civil::date(2027, 1, 1)), "2026-12");
        // ISO week-years: 2027-01-04 (Monday) reports 2026's week 53.
        assert_eq!(period("csuite", jiff::civil::date(2027, 1, 4)), "2026-W53");
    }
}
