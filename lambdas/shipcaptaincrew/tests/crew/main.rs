//! ShipCaptainCrew against the emulator: every route and every rejection,
//! through the real router with real DynamoDB, SES and SSM (moto), and the
//! frontend in a browser. Mail is read back from the app's outbox (a copy
//! of each message SES accepted). The emulator harness is the workspace's
//! dev-only `testkit` crate, shared with bosun's tests. This file is the
//! harness (a fresh app on its own tables, SSM parameter and outbox, and
//! calls through its router); one file per area of the API holds its tests.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shipcaptaincrew::config::{Config, Limits};
use shipcaptaincrew::App;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use testkit::*;
use tower::ServiceExt;

mod browser;
mod checklist;
mod events;
mod guests;
mod members;
mod origin;
mod secrets;
mod signin;
mod slots;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A good secret (48 random-looking bytes, as bosun generates).
const SECRET: &str = "9f2c41d87a3be05619c4f7d2a8e3b6105d9c7f4e2a1b8c6d3e0f5a7b9c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c";

pub const ADMIN: &str = "admin@example.com";

/// A fresh app on its own tables, SSM parameter and outbox.
pub struct Crew {
    pub app: App,
    router: axum::Router,
    pub outbox: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
}

async fn create_table(db: &aws_sdk_dynamodb::Client, name: &str, keys: &[&str]) {
    use aws_sdk_dynamodb::types::*;
    let mut req = db
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest);
    for (i, k) in keys.iter().enumerate() {
        let kt = if i == 0 { KeyType::Hash } else { KeyType::Range };
        req = req
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(*k)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap(),
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(*k)
                    .key_type(kt)
                    .build()
                    .unwrap(),
            );
    }
    req.send().await.expect("create table");
}

/// Tables, the secret parameter and a verified sender for a test app; returns its environment.
pub async fn provision(secret: &str) -> BTreeMap<String, String> {
    let sdk = sdk_config().await;
    let id = unique("scc");
    let db = aws_sdk_dynamodb::Client::new(&sdk);
    create_table(&db, &format!("{id}-crew"), &["pk", "sk"]).await;
    create_table(&db, &format!("{id}-invites"), &["code_hash"]).await;
    let param = format!("/{id}/shipcaptaincrew/jwt");
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(&param)
        .value(secret)
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .expect("put parameter");
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity("crew@example.com")
        .send()
        .await
        .ok();
    [
        ("BOSUN_TABLE_CREW", format!("{id}-crew")),
        ("BOSUN_TABLE_INVITES", format!("{id}-invites")),
        ("BOSUN_SES_SENDER", "crew@example.com".into()),
        ("BOSUN_SECRET_JWT", param),
        ("SCC_PUBLIC_URL", "https://crew.example.com".into()),
        ("SCC_ADMINS", ADMIN.into()),
        ("SCC_MARINA_NAME", "San Diego Bay".into()),
        ("SCC_ALLOWED_ORIGIN", "https://crew.example.com".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

impl Crew {
    pub async fn new() -> Crew {
        Crew::with_limits(Limits::default()).await
    }

    pub async fn with_limits(limits: Limits) -> Crew {
        Crew::with_config(|cfg| cfg.limits = limits).await
    }

    /// A fresh app whose configuration `change` adjusts.
    pub async fn with_config(change: impl FnOnce(&mut Config)) -> Crew {
        let env = provision(SECRET).await;
        let mut cfg = Config::from_map(&env).expect("config");
        change(&mut cfg);
        let outbox = tempfile::tempdir().unwrap();
        let app = App::start(&sdk_config().await, cfg, Some(outbox.path().to_path_buf()))
            .await
            .expect("start");
        let router = shipcaptaincrew::router(app.clone(), None);
        Crew {
            app,
            router,
            outbox,
            env,
        }
    }

    /// One request from `ip`; returns the status, the JSON body and the headers.
    pub async fn call_from(
        &self,
        ip: &str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "evil.example.net");
        if let Some(t) = token {
            req = req.header("x-session-token", t);
        }
        let mut req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let addr: SocketAddr = format!("{ip}:40000").parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
        self.send(req).await
    }

    /// One request, then the work it queued for after its answer (as the
    /// Lambda extension runs it).
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let answer = self.answer_only(req).await;
        self.app.after_response().await;
        answer
    }

    /// One request's answer, leaving its queued work queued.
    pub async fn answer_only(&self, req: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let (status, headers) = (resp.status(), resp.headers().clone());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| json!({"raw": String::from_utf8_lossy(&bytes)}));
        (status, json, headers)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let (s, v, _) = self.call_from("192.0.2.1", method, path, token, body).await;
        (s, v)
    }

    pub fn token(&self, email: &str, role: shipcaptaincrew::auth::Role) -> String {
        self.app.keys.issue(email, role, self.app.clock.now(), 3600)
    }

    pub fn admin(&self) -> String {
        self.token(ADMIN, shipcaptaincrew::auth::Role::Admin)
    }

    /// Every message in the outbox, oldest first.
    pub fn mail(&self) -> Vec<Value> {
        let mut files: Vec<_> = std::fs::read_dir(self.outbox.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .iter()
            .map(|f| serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap())
            .collect()
    }

    pub fn mail_to(&self, to: &str) -> Vec<Value> {
        self.mail().into_iter().filter(|m| m["to"][0] == to).collect()
    }

    /// The code in the newest sign-in link sent to `to`.
    pub fn last_code(&self, to: &str) -> String {
        let m = self.mail_to(to).pop().unwrap_or_else(|| panic!("no mail to {to}"));
        let text = m["text"].as_str().unwrap();
        let link = text
            .split_whitespace()
            .find(|w| w.contains("/#/auth/"))
            .expect("a link");
        assert!(
            link.starts_with("https://crew.example.com/#/auth/"),
            "link host comes from config: {link}"
        );
        link.rsplit('/').next().unwrap().to_string()
    }

    /// Invites `email` as `role` and signs in through the link: a session token.
    pub async fn member(&self, email: &str, role: &str) -> String {
        let (s, b) = self
            .call(
                Method::POST,
                "/api/invites",
                Some(&self.admin()),
                Some(json!({"email": email, "role": role})),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{b}");
        let (s, b) = self
            .call(
                Method::POST,
                "/api/auth/exchange",
                None,
                Some(json!({"code": self.last_code(email)})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["token"].as_str().unwrap().to_string()
    }

    pub async fn event(&self, date: &str) -> Value {
        let (s, b) = self
            .call(
                Method::POST,
                "/api/events",
                Some(&self.admin()),
                Some(json!({"date": date, "boat": "Queen of San Diego", "kind": "sunset sail", "guests": 2})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }
}

pub fn next_year(md: &str) -> String {
    format!("{}-{md}", jiff::Zoned::now().year() + 1)
}

async fn guest_call_at(c: &Crew, path: &str, token: &str) -> (StatusCode, Value, HeaderMap) {
    c.send(
        Request::get(path)
            .header("x-guest-token", token)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn slot_holder(event: &Value, slot: &str) -> Value {
    event["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slot"] == slot)
        .map(|s| s["holder"].clone())
        .unwrap_or(Value::Null)
}
