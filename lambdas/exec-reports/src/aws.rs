//! The AWS side of the handler: SESv2 sending, DynamoDB claims, the state
//! bucket (data file, release record, archive) and the crew table's bookings.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};

use crate::deliver::{Archive, Claim, Claims, Mailer, Message};
use crate::engine::{DeployedFunction, Facts};

fn err(op: &str, e: impl std::fmt::Display) -> String {
    format!("{op}: {e}")
}

fn sdk_err<E>(op: &str, e: aws_sdk_s3::error::SdkError<E>) -> String
where
    E: std::error::Error + 'static,
{
    err(op, aws_sdk_s3::error::DisplayErrorContext(&e))
}

pub struct Ses {
    pub client: aws_sdk_sesv2::Client,
    pub from: String,
    pub configuration_set: Option<String>,
}

impl Mailer for Ses {
    /// Sends the raw MIME message (the charts ride inline); the recipients,
    /// BCC included, go in the envelope (Destination), not the headers.
    async fn send(&self, m: &Message) -> Result<String, String> {
        let raw = RawMessage::builder()
            .data(Blob::new(m.raw.clone()))
            .build()
            .map_err(|e| err("SendEmail", e))?;
        let out = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(m.to.clone()))
                    .set_bcc_addresses(m.bcc.clone().map(|b| vec![b]))
                    .build(),
            )
            .content(EmailContent::builder().raw(raw).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|e| sdk_err("SendEmail", e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// Claims in the report-runs table (partition key `run_id`, TTL `expires_at`).
pub struct DynamoClaims {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
}

/// Claim records are kept this long (the table's TTL cleans them up).
const KEEP_SECS: i64 = 90 * 24 * 3600;

impl Claims for DynamoClaims {
    async fn claim(&self, run_id: &str, token: &str, now: i64, lease: i64) -> Result<Claim, String> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        let n = |v: i64| AttributeValue::N(v.to_string());
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("run_id", s(run_id))
            .item("status", s("sending"))
            .item("token", s(token))
            .item("claimed_at", n(now))
            .item("expires_at", n(now + KEEP_SECS))
            .condition_expression("attribute_not_exists(run_id) OR (#s = :sending AND claimed_at < :stale)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":stale", n(now - lease))
            .send()
            .await;
        match put {
            Ok(_) => Ok(Claim::Won),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                let got = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("run_id", s(run_id))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| sdk_err("GetItem", e))?;
                let item = got.item().cloned().unwrap_or_default();
                let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok()).cloned();
                match text("status").as_deref() {
                    Some("sent") => Ok(Claim::AlreadySent(text("message_id").unwrap_or_default())),
                    _ => Ok(Claim::InProgress),
                }
            }
            Err(e) => Err(sdk_err("PutItem", e)),
        }
    }

    async fn sent(&self, run_id: &str, token: &str, message_id: &str, now: i64) -> Result<(), String> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        self.client
            .update_item()
            .table_name(&self.table)
            .key("run_id", s(run_id))
            .update_expression("SET #s = :sent, message_id = :m, sent_at = :t")
            .condition_expression("#tok = :token")
            .expression_attribute_names("#s", "status")
            .expression_attribute_names("#tok", "token")
            .expression_attribute_values(":sent", s("sent"))
            .expression_attribute_values(":m", s(message_id))
            .expression_attribute_values(":t", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":token", s(token))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_err("UpdateItem", e))
    }

    async fn release(&self, run_id: &str, token: &str) -> Result<(), String> {
        let s = |v: &str| AttributeValue::S(v.to_string());
        match self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("run_id", s(run_id))
            .condition_expression("#tok = :token AND #s = :sending")
            .expression_attribute_names("#tok", "token")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":token", s(token))
            .expression_attribute_values(":sending", s("sending"))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Not ours any more: nothing to give back.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|x| x.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(sdk_err("DeleteItem", e)),
        }
    }
}

pub struct StateBucket {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl StateBucket {
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self.client.get_object().bucket(&self.bucket).key(key).send().await {
            Ok(out) => Ok(Some(
                out.body
                    .collect()
                    .await
                    .map_err(|e| err("GetObject", e))?
                    .into_bytes()
                    .to_vec(),
            )),
            Err(e) if e.as_service_error().is_some_and(|x| x.is_no_such_key()) => Ok(None),
            Err(e) => Err(sdk_err(&format!("GetObject s3://{}/{key}", self.bucket), e)),
        }
    }

    /// The deployed functions as the stack's newest release records them,
    /// and how many releases the history holds.
    pub async fn deployed_functions(&self) -> Result<(Vec<DeployedFunction>, usize), String> {
        let mut newest: Option<String> = None;
        let mut releases = 0;
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix("releases/")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| sdk_err("ListObjectsV2", e))?;
            for o in page.contents() {
                if let Some(k) = o.key().filter(|k| k.ends_with(".json")) {
                    releases += 1;
                    if newest.as_deref().is_none_or(|n| k > n) {
                        newest = Some(k.to_string());
                    }
                }
            }
        }
        let Some(key) = newest else { return Ok((Vec::new(), 0)) };
        let Some(bytes) = self.get(&key).await? else {
            return Ok((Vec::new(), releases));
        };
        let release: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| err(&key, e))?;
        let mut out = Vec::new();
        if let Some(fns) = release["state"]["functions"].as_object() {
            for f in fns.values() {
                out.push(DeployedFunction {
                    name: f["name"].as_str().unwrap_or_default().to_string(),
                    environment_keys: f["environment_keys"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                    url_auth: f["url_auth"].as_str().map(str::to_string),
                });
            }
        }
        Ok((out, releases))
    }
}

impl Archive for StateBucket {
    async fn put(&self, key: &str, body: Vec<u8>) -> Result<(), String> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(if key.ends_with(".eml") {
                "message/rfc822"
            } else {
                "application/json"
            })
            .body(body.into())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| sdk_err("PutObject", e))
    }
}

/// ShipCaptainCrew's events (`pk = EVENT#…`, `sk = META`) matching
/// `filter` (with its values), each as its `kind`; every page is read.
async fn event_kinds(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    filter: &str,
    values: &[(&str, &str)],
    stop_at_first: bool,
) -> Result<Vec<String>, String> {
    let mut kinds = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let mut req = client
            .scan()
            .table_name(table)
            .filter_expression(format!("begins_with(pk, :e) AND sk = :meta{filter}"))
            .expression_attribute_values(":e", AttributeValue::S("EVENT#".into()))
            .expression_attribute_values(":meta", AttributeValue::S("META".into()))
            .set_exclusive_start_key(start.take());
        if filter.contains("#d") {
            req = req.expression_attribute_names("#d", "date");
        }
        if filter.contains("#st") {
            req = req.expression_attribute_names("#st", "status");
        }
        for (k, v) in values {
            req = req.expression_attribute_values(*k, AttributeValue::S((*v).into()));
        }
        let out = req.send().await.map_err(|e| sdk_err("Scan", e))?;
        kinds.extend(out.items().iter().map(|item| {
            item.get("kind")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default()
        }));
        if stop_at_first && !kinds.is_empty() {
            return Ok(kinds);
        }
        match out.last_evaluated_key() {
            Some(k) if !k.is_empty() => start = Some(k.clone()),
            _ => return Ok(kinds),
        }
    }
}

/// Charters booked in `month` (YYYY-MM): events with `date` in the month,
/// `status = booked` and a charter `kind` (`finance.charter_kinds`).
pub async fn charters_booked(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    month: &str,
    finance: &crate::data::Finance,
) -> Result<u32, String> {
    let kinds = event_kinds(
        client,
        table,
        " AND begins_with(#d, :m) AND #st = :booked",
        &[(":m", month), (":booked", "booked")],
        false,
    )
    .await?;
    Ok(kinds.iter().filter(|k| finance.is_charter(k)).count() as u32)
}

/// Live facts: charters booked per month in `months` from the crew table
/// (when configured and in use: a table with no event yet is "no data
/// yet", not zero bookings), the deployed functions and the release count.
pub async fn facts(
    dynamodb: &aws_sdk_dynamodb::Client,
    crew_table: Option<&str>,
    state: &StateBucket,
    months: &[String],
    finance: &crate::data::Finance,
) -> Result<Facts, String> {
    let mut live_charters = std::collections::BTreeMap::new();
    let mut crew_table_empty = false;
    if let Some(t) = crew_table {
        crew_table_empty = event_kinds(dynamodb, t, "", &[], true).await?.is_empty();
        if !crew_table_empty {
            for m in months {
                live_charters.insert(m.clone(), charters_booked(dynamodb, t, m, finance).await?);
            }
        }
    }
    let (functions, releases) = state.deployed_functions().await?;
    Ok(Facts {
        charters_this_month: None,
        live_charters,
        crew_table_empty,
        functions,
        releases,
    })
}
