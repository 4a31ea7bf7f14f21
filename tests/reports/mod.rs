//! The exec-reports handler against the emulator: deployed by bosun (data
//! file in the state bucket, BOSUN_* environment), then run locally with the
//! deployed function's environment (the emulator cannot invoke Lambdas).

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

use crate::util::*;

struct Reports {
    stack: TestStack,
    sender: String,
}

impl Reports {
    async fn deploy() -> Reports {
        let stack = TestStack::new(&unique("rep"), "");
        let bin = stack.binary("exec-reports", "reports.bin");
        std::fs::copy(
            root().join("stacks/data/portfolio.toml"),
            stack.dir.path().join("portfolio.toml"),
        )
        .unwrap();
        let sender = format!("{}@example.com", unique("reports"));
        stack.write(&format!(
            r#"[ses]
sender = "{sender}"
audit_bcc = "audit@example.com"
[ses.recipients]
csuite = ["ceo@example.com", "cfo@example.com"]
portfolio = ["owner@example.com"]

[tables.report-runs]
partition_key = "run_id"
ttl_attribute = "expires_at"

[tables.crew]
partition_key = {{ name = "pk", type = "S" }}
sort_key = {{ name = "sk", type = "S" }}

[functions.exec-reports]
binary = "{}"
tables = {{ report-runs = "read-write", crew = "read" }}
send_email = true
data = {{ portfolio = "portfolio.toml" }}
archive = true
"#,
            bin.display()
        ));
        let r = Reports { stack, sender };
        assert_eq!(r.stack.bosun(&["verify-ses", "--create"]).code, 0);
        let run = r.stack.bosun(&["deploy", "all"]);
        assert_eq!(run.code, 0, "{run:?}");
        r
    }

    fn state_bucket(&self) -> String {
        format!("bosun-123456789012-{}", self.stack.name)
    }

    /// Runs the handler as deployed: `exec-reports-preview --send` with the
    /// function's live environment (from `bosun env`).
    fn send(&self, batch: &str, period: &str) -> (i32, Value, String) {
        let env = self.stack.bosun(&["env", "exec-reports"]).result()["environment"].clone();
        let env: BTreeMap<String, String> = serde_json::from_value(env).unwrap();
        let out = Command::new(lambda_bin("exec-reports", "exec-reports-preview"))
            .args(["--send", "--batch", batch, "--period", period])
            .envs(env)
            .env("AWS_ENDPOINT_URL", &emulator().endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", REGION)
            .output()
            .expect("run the handler");
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let result = stdout
            .lines()
            .last()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or(Value::Null);
        (
            out.status.code().unwrap_or(-1),
            result,
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    }

    /// The archived records under a batch and period.
    async fn archive(&self, batch: &str, period: &str) -> Vec<Value> {
        let s3 = s3().await;
        let prefix = format!("archive/exec-reports/{period}/{batch}/");
        let mut out = Vec::new();
        for key in keys(&s3, &self.state_bucket()).await {
            if key.starts_with(&prefix) && key.ends_with(".json") {
                let o = s3
                    .get_object()
                    .bucket(self.state_bucket())
                    .key(&key)
                    .send()
                    .await
                    .unwrap();
                out.push(serde_json::from_slice(&o.body.collect().await.unwrap().into_bytes()).unwrap());
            }
        }
        out
    }

    async fn runs(&self) -> Vec<(String, String)> {
        let table = format!("{}-report-runs", self.stack.name);
        let out = dynamodb().await.scan().table_name(table).send().await.unwrap();
        let mut v: Vec<(String, String)> = out
            .items()
            .iter()
            .map(|i| (i["run_id"].as_s().unwrap().clone(), i["status"].as_s().unwrap().clone()))
            .collect();
        v.sort();
        v
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_is_mailed_once_with_to_and_bcc_and_archived() {
    let r = Reports::deploy().await;
    let env = r.stack.bosun(&["env", "exec-reports"]).result()["environment"].clone();
    assert_eq!(env["BOSUN_DATA_PORTFOLIO"], "data/exec-reports/portfolio.toml");
    assert_eq!(
        env["BOSUN_TABLE_REPORT_RUNS"],
        format!("{}-report-runs", r.stack.name).as_str()
    );
    assert_eq!(env["BOSUN_SES_SENDER"], r.sender.as_str());

    let (code, out, err) = r.send("csuite", "2026-W47");
    assert_eq!(code, 0, "{out} {err}");
    let sent: Vec<&str> = out["sent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[0].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["ceo", "cfo", "cto", "cmo", "accounting"]);

    let archived = r.archive("csuite", "2026-W47").await;
    assert_eq!(archived.len(), 5);
    for a in &archived {
        assert_eq!(a["to"], serde_json::json!(["ceo@example.com", "cfo@example.com"]));
        assert_eq!(a["bcc"], "audit@example.com");
        assert!(!a["message_id"].as_str().unwrap().is_empty());
        assert!(a["subject"].as_str().unwrap().ends_with("- 16-22 Nov 2026"), "{a}");
    }
    let cfo = archived.iter().find(|a| a["report"] == "cfo").unwrap();
    assert!(
        cfo["text"]
            .as_str()
            .unwrap()
            .contains("Break-even: 0 charters per month (every other stream counted)"),
        "{cfo}"
    );
    // Each record keeps the period's figures by name, next to the .eml:
    // the books' result is one figure, and the month's cash follows from
    // its entries.
    let figures = &cfo["figures"]["figures"];
    assert_eq!(cfo["figures"]["period"], "2026-W47");
    assert_eq!(figures["cfo.net"], figures["accounting.net"], "{figures}");
    let cents = |k: &str| (figures[k].as_f64().unwrap() * 100.0).round() as i64;
    assert_eq!(
        cents("cash.end") - cents("cash.start"),
        cents("cash.net_flow"),
        "{figures}"
    );
    assert!(r.runs().await.iter().all(|(_, s)| s == "sent"));

    // The message as sent is archived next to the record: text, and HTML
    // with the CFO's two charts inline (multipart/related, cid: references).
    let s3 = s3().await;
    let eml = s3
        .get_object()
        .bucket(r.state_bucket())
        .key("archive/exec-reports/2026-W47/csuite/cfo.eml")
        .send()
        .await
        .unwrap();
    assert_eq!(eml.content_type(), Some("message/rfc822"));
    let eml = String::from_utf8(eml.body.collect().await.unwrap().into_bytes().to_vec()).unwrap();
    assert!(
        eml.contains(&format!("From: <{}>", r.sender)) || eml.contains(&format!("From: {}", r.sender)),
        "{}",
        &eml[..400]
    );
    assert!(
        !eml.to_ascii_lowercase().contains("\nbcc:"),
        "the BCC stays out of the headers"
    );
    for part in [
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "Content-ID: <cfo-revenue-vs-target@exec-reports>",
        "Content-ID: <cfo-burn@exec-reports>",
    ] {
        assert!(eml.contains(part), "{part} missing from the sent message");
    }

    // A duplicate delivery (EventBridge retry) sends nothing new.
    let (code, out, err) = r.send("csuite", "2026-W47");
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["sent"], serde_json::json!([]));
    assert_eq!(out["skipped"].as_array().unwrap().len(), 5);
    assert_eq!(r.archive("csuite", "2026-W47").await.len(), 5);

    // The portfolio batch goes to its own recipients.
    let (code, out, _) = r.send("portfolio", "2026-11");
    assert_eq!(code, 0, "{out}");
    let archived = r.archive("portfolio", "2026-11").await;
    assert_eq!(archived.len(), 3);
    assert!(archived
        .iter()
        .all(|a| a["to"] == serde_json::json!(["owner@example.com"])));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_send_is_not_marked_done_and_a_retry_sends_it() {
    let r = Reports::deploy().await;
    // The sender stops being verified: SES rejects every message.
    let ses = aws_sdk_sesv2::Client::new(&sdk_config().await);
    ses.delete_email_identity()
        .email_identity(&r.sender)
        .send()
        .await
        .unwrap();
    let (code, _, err) = r.send("portfolio", "2026-12");
    assert_eq!(code, 1);
    assert!(err.contains("3 report(s) not delivered"), "{err}");
    assert!(err.contains("a retry sends only these"), "{err}");
    assert!(r.runs().await.is_empty(), "no claim left behind: {:?}", r.runs().await);
    assert!(r.archive("portfolio", "2026-12").await.is_empty());

    ses.create_email_identity()
        .email_identity(&r.sender)
        .send()
        .await
        .unwrap();
    let (code, out, err) = r.send("portfolio", "2026-12");
    assert_eq!(code, 0, "{out} {err}");
    assert_eq!(out["sent"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_data_file_is_a_clear_error_and_nothing_is_sent() {
    let r = Reports::deploy().await;
    // Deploy refuses a data file that does not parse.
    let path = r.stack.dir.path().join("portfolio.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, "company = \"x\"\n[finance\n").unwrap();
    let run = r.stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    let p = &run.result()["problems"][0];
    assert_eq!(p["key"], "functions.exec-reports.data.portfolio");
    assert!(p["message"].as_str().unwrap().contains("is not valid TOML"), "{p}");

    // A data file that parses but means nothing valid is refused at run time.
    std::fs::write(&path, good.replace("charter_price = 1850.0", "charter_price = 100.0")).unwrap();
    assert_eq!(r.stack.bosun(&["deploy", "all"]).code, 0, "syntax is fine: uploaded");
    let (code, _, err) = r.send("csuite", "2026-W48");
    assert_eq!(code, 1);
    assert!(
        err.contains("data file: data/exec-reports/portfolio.toml: finance.charter_price (100) must exceed"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(r.runs().await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn charters_booked_this_month_come_live_from_the_crew_table() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let r = Reports::deploy().await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let today = jiff::Timestamp::from_second(now)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let month = format!("{:04}-{:02}", today.year(), today.month());
    let first = jiff::civil::date(today.year(), today.month(), 1);
    let before = first.checked_sub(jiff::Span::new().months(1)).unwrap();
    let prev = format!("{:04}-{:02}", before.year(), before.month());
    let earlier = first.checked_sub(jiff::Span::new().months(2)).unwrap();
    let earlier = format!("{:04}-{:02}", earlier.year(), earlier.month());
    // An empty crew table is "no data yet", not zero bookings: the data
    // file's count stands (before, it gave 0 and an empty pipeline).
    let (code, out, err) = r.send("csuite", &earlier);
    assert_eq!(code, 0, "{out} {err}");
    let archived = r.archive("csuite", &earlier).await;
    let cfo = archived.iter().find(|a| a["report"] == "cfo").unwrap();
    let text = cfo["text"].as_str().unwrap();
    assert!(
        text.contains("booked this month (from the data file: the crew table has no events yet)"),
        "{text}"
    );
    let ceo = archived.iter().find(|a| a["report"] == "ceo").unwrap();
    assert!(!ceo["text"].as_str().unwrap().contains("Empty booking pipeline"));
    let ddb = dynamodb().await;
    let table = format!("{}-crew", r.stack.name);
    // Three booked charters this month, a booked whale watch (not a
    // charter kind), one tentative, one last year, one checklist item; one
    // booked the month before.
    for (pk, sk, date, status, kind) in [
        ("EVENT#1", "META", format!("{month}-03"), "booked", "private charter"),
        ("EVENT#2", "META", format!("{month}-10"), "booked", "Private Charter"),
        ("EVENT#3", "META", format!("{month}-17"), "booked", "private charter"),
        ("EVENT#7", "META", format!("{month}-18"), "booked", "whale watching"),
        ("EVENT#4", "META", format!("{month}-20"), "tentative", "private charter"),
        ("EVENT#5", "META", "2020-01-05".to_string(), "booked", "private charter"),
        ("EVENT#1", "CHECK#1", format!("{month}-03"), "booked", "private charter"),
        ("EVENT#6", "META", format!("{prev}-12"), "booked", "private charter"),
    ] {
        ddb.put_item()
            .table_name(&table)
            .item("pk", AttributeValue::S(pk.into()))
            .item("sk", AttributeValue::S(sk.into()))
            .item("date", AttributeValue::S(date))
            .item("status", AttributeValue::S(status.into()))
            .item("kind", AttributeValue::S(kind.into()))
            .send()
            .await
            .unwrap();
    }
    // The period is this month: the count is read for it and the month before.
    let (code, out, err) = r.send("csuite", &month);
    assert_eq!(code, 0, "{out} {err}");
    let archived = r.archive("csuite", &month).await;
    let cfo = archived.iter().find(|a| a["report"] == "cfo").unwrap();
    let text = cfo["text"].as_str().unwrap();
    assert!(
        // Three charters: the whale watch is not a charter kind. (Break-even
        // depends on the month's books, so the line is read up to it.)
        text.lines()
            .any(|l| l.trim_start().starts_with("3 ") && l.contains("booked this month (live from the crew table)")),
        "{text}"
    );
    assert!(
        text.contains(&format!("Charters booked: 3, up 2 from 1 in {prev}")),
        "{text}"
    );
    // One release so far: no rollback to speak of.
    let cto = archived.iter().find(|a| a["report"] == "cto").unwrap();
    assert!(
        cto["text"].as_str().unwrap().contains("Automated rollback: missing"),
        "{cto}"
    );

    // A second release (the data file changed): bosun's history now shows
    // rollback in place, whatever the data file says.
    let path = r.stack.dir.path().join("portfolio.toml");
    let data = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, data.replace("cash_on_hand = 38500.0", "cash_on_hand = 38400.0")).unwrap();
    let run = r.stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    let (code, out, err) = r.send("csuite", &prev);
    assert_eq!(code, 0, "{out} {err}");
    let archived = r.archive("csuite", &prev).await;
    let cto = archived.iter().find(|a| a["report"] == "cto").unwrap();
    assert!(
        cto["text"]
            .as_str()
            .unwrap()
            .contains("Automated rollback: in place (bosun's release history holds 2 releases"),
        "{cto}"
    );
}
