//! ShipCaptainCrew against the emulator: every route and every rejection,
//! through the real router with real DynamoDB, SES and SSM (moto), and the
//! frontend in a browser. Mail is read back from the app's outbox (a copy
//! of each message SES accepted). The emulator harness is the workspace's
//! dev-only `testkit` crate, shared with bosun's tests.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use shipcaptaincrew::config::{Config, Limits};
use shipcaptaincrew::App;
use tower::ServiceExt;

use testkit::*;

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

/// The sail list is read a page at a time from the calendar partition, not
/// by scanning the table: 25 upcoming sails a page, soonest first, with a
/// cursor to the next; past sails apart, newest first. Events written
/// before the calendar existed (an older version of the app) are added to
/// it the first time the list is read.
#[tokio::test]
async fn the_sail_list_comes_a_bounded_page_at_a_time() {
    let c = Crew::new().await;
    // An event as the version before the calendar wrote it: META only.
    dynamodb()
        .await
        .put_item()
        .table_name(&c.env["BOSUN_TABLE_CREW"])
        .item(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("EVENT#older0event".into()),
        )
        .item("sk", aws_sdk_dynamodb::types::AttributeValue::S("META".into()))
        .item("id", aws_sdk_dynamodb::types::AttributeValue::S("older0event".into()))
        .item("date", aws_sdk_dynamodb::types::AttributeValue::S(next_year("01-01")))
        .item("boat", aws_sdk_dynamodb::types::AttributeValue::S("B".into()))
        .item("kind", aws_sdk_dynamodb::types::AttributeValue::S("sunset sail".into()))
        .item("guests", aws_sdk_dynamodb::types::AttributeValue::N("2".into()))
        .item("crew_slots", aws_sdk_dynamodb::types::AttributeValue::N("1".into()))
        .item("status", aws_sdk_dynamodb::types::AttributeValue::S("booked".into()))
        .item("booked_guests", aws_sdk_dynamodb::types::AttributeValue::N("0".into()))
        .send()
        .await
        .unwrap();
    let mut dates = vec![next_year("01-01")];
    for day in 1..=29 {
        let date = format!("{}-03-{day:02}", jiff::Zoned::now().year() + 1);
        c.event(&date).await;
        dates.push(date);
    }
    c.call(
        Method::POST,
        "/api/invites",
        Some(&c.admin()),
        Some(json!({"email": "deck@example.com", "role": "crew"})),
    )
    .await;
    let crew = c.token("deck@example.com", shipcaptaincrew::auth::Role::Crew);
    let listed = |v: &Value| -> Vec<String> {
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["date"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, first) = c.call(Method::GET, "/api/events", Some(&crew), None).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    assert_eq!(
        listed(&first),
        dates[..25].to_vec(),
        "the first 25, soonest first (the older event included)"
    );
    assert_eq!(
        first["events"][1]["slots"].as_array().unwrap().len(),
        3,
        "with their slots (captain, 2 crew)"
    );
    let next = first["next"].as_str().expect("a cursor to the next page").to_string();
    let (s, second) = c
        .call(
            Method::GET,
            &format!("/api/events?when=upcoming&after={next}"),
            Some(&crew),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{second}");
    assert_eq!(listed(&second), dates[25..].to_vec());
    assert!(second["next"].is_null(), "the last page: {second}");
    // Nothing is past yet; two years on, everything is, newest first.
    let (_, past) = c.call(Method::GET, "/api/events?when=past", Some(&crew), None).await;
    assert!(listed(&past).is_empty(), "{past}");
    c.app.clock.advance(2 * 366 * 86_400);
    let later = c.token("deck@example.com", shipcaptaincrew::auth::Role::Crew);
    let (_, past) = c.call(Method::GET, "/api/events?when=past", Some(&later), None).await;
    let mut newest_first = dates.clone();
    newest_first.reverse();
    assert_eq!(listed(&past), newest_first[..25].to_vec());
    // Bad queries are 400s that say what is wrong.
    for q in ["when=soon", "after=../../x", "after=2027-01-01_UPPER", "limit=1000"] {
        let (s, b) = c
            .call(Method::GET, &format!("/api/events?{q}"), Some(&later), None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {b}");
    }
}

#[tokio::test]
async fn open_routes_and_json_errors() {
    let c = Crew::new().await;
    let (s, b) = c.call(Method::GET, "/api/health", None, None).await;
    assert_eq!((s, b["ok"].clone()), (StatusCode::OK, json!(true)));
    let (s, b) = c.call(Method::GET, "/api/config", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b["timezone"], "America/Los_Angeles");
    assert_eq!(b["marina"]["name"], "San Diego Bay");
    let (s, b) = c.call(Method::GET, "/api/nope", None, None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    // Every crew route needs a token.
    for (m, p) in [
        (Method::GET, "/api/me"),
        (Method::GET, "/api/events"),
        (Method::GET, "/api/events/x"),
        (Method::POST, "/api/events/x/slots/captain/claim"),
    ] {
        let (s, b) = c.call(m, p, None, None).await;
        assert_eq!(
            (s, b["error"].clone()),
            (StatusCode::UNAUTHORIZED, json!("unauthorized")),
            "{p}"
        );
    }
    // A malformed body is a 400 that says what is wrong, not a 500.
    let (s, b) = c
        .call(
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "a@example.com", "extra": 1})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(b["message"].as_str().unwrap().contains("extra"), "{b}");
}

#[tokio::test]
async fn cors_allows_exactly_the_frontend_origin() {
    let c = Crew::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(Method::OPTIONS)
            .uri("/api/events")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "x-session-token, content-type, idempotency-key",
            )
            .body(Body::empty())
            .unwrap()
    };
    let (_, _, h) = c.send(preflight("https://crew.example.com")).await;
    assert_eq!(h["access-control-allow-origin"], "https://crew.example.com");
    let allowed = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(
        allowed.contains("idempotency-key") && allowed.contains("x-session-token"),
        "{allowed}"
    );
    let (_, _, h) = c.send(preflight("https://evil.example.net")).await;
    // Another origin never gets itself allowed (the browser compares and refuses).
    assert_ne!(
        h.get("access-control-allow-origin").map(|v| v.to_str().unwrap()),
        Some("https://evil.example.net"),
        "{h:?}"
    );
}

#[tokio::test]
async fn magic_link_signs_in_once() {
    let c = Crew::new().await;
    let token = c.member("deckhand@example.com", "crew").await;
    let (s, b) = c.call(Method::GET, "/api/me", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, json!({"email": "deckhand@example.com", "role": "crew"}));
    // The invite mail: link host from configuration even though the request said evil.example.net.
    let m = c.mail_to("deckhand@example.com").pop().unwrap();
    assert!(m["html"].as_str().unwrap().contains("https://crew.example.com/#/auth/"));
    assert!(!m["text"].as_str().unwrap().contains("evil.example.net"));
    // Reused code.
    let code = c.last_code("deckhand@example.com");
    let (s, b) = c
        .call(Method::POST, "/api/auth/exchange", None, Some(json!({"code": code})))
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_code"))
    );
    // Only the hash is stored: the code itself appears nowhere in the invites table.
    let db = dynamodb().await;
    let items = db
        .scan()
        .table_name(&c.env["BOSUN_TABLE_INVITES"])
        .send()
        .await
        .unwrap();
    let dump = format!("{:?}", items.items());
    assert!(!dump.contains(&code), "the plain code is not stored");
    assert!(dump.contains(&shipcaptaincrew::secret::hash_code(&code)));
}

#[tokio::test]
async fn expired_and_guessed_codes_are_refused_and_guessing_is_limited() {
    let c = Crew::with_limits(Limits {
        exchange_per_ip: 4,
        ..Limits::default()
    })
    .await;
    c.call(
        Method::POST,
        "/api/invites",
        Some(&c.admin()),
        Some(json!({"email": "late@example.com", "role": "crew"})),
    )
    .await;
    let code = c.last_code("late@example.com");
    // The code expires after 15 minutes by the app's own check (not DynamoDB TTL).
    c.app.clock.advance(15 * 60 + 1);
    let (s, b) = c
        .call_from(
            "198.51.100.7",
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"code": code})),
        )
        .await
        .into_pair();
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_code"))
    );
    // Guessed codes: the same answer.
    for guess in ["AAAAAAAAAAAAAAAAAAAAAA", "0123456789ABCDEFGHJKMN", "x"] {
        let (s, b) = c
            .call_from(
                "198.51.100.7",
                Method::POST,
                "/api/auth/exchange",
                None,
                Some(json!({"code": guess})),
            )
            .await
            .into_pair();
        assert_eq!(
            (s, b["error"].clone()),
            (StatusCode::UNAUTHORIZED, json!("invalid_code")),
            "{guess}"
        );
    }
    // The fifth attempt from that IP in the window is refused with Retry-After.
    let (s, b, h) = c
        .call_from(
            "198.51.100.7",
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"code": "BBBBBBBBBBBBBBBBBBBBBB"})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::TOO_MANY_REQUESTS, json!("rate_limited"))
    );
    let retry: i64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Another IP is not affected.
    let (s, _, _) = c
        .call_from(
            "198.51.100.8",
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"code": "CCCCCCCCCCCCCCCCCCCCCC"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

trait Pair {
    fn into_pair(self) -> (StatusCode, Value);
}
impl Pair for (StatusCode, Value, HeaderMap) {
    fn into_pair(self) -> (StatusCode, Value) {
        (self.0, self.1)
    }
}

/// `POST /api/auth/request` from 203.0.113.1 for `email`.
fn link_request(email: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/request")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "email": email }).to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo("203.0.113.1:40000".parse::<SocketAddr>().unwrap()));
    req
}

/// The sign-in answer does not wait on whether the address is a member, nor
/// on the invite's write or the SES send: all of that runs after it (on
/// Lambda, in the invocation's extension phase), so its timing says nothing
/// about membership and a slow SES cannot show through.
#[tokio::test]
async fn the_sign_in_answer_comes_before_the_link_is_written_or_mailed() {
    let c = Crew::new().await;
    c.call(
        Method::POST,
        "/api/invites",
        Some(&c.admin()),
        Some(json!({"email": "member@example.com", "role": "crew"})),
    )
    .await;
    let before = c.mail().len();
    let invites_before = invite_count(&c).await;
    let (s, _, _) = c.answer_only(link_request("member@example.com")).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(c.mail().len(), before, "answered before any mail was sent");
    assert_eq!(
        invite_count(&c).await,
        invites_before,
        "answered before the link was stored"
    );
    c.app.after_response().await;
    assert_eq!(
        c.mail_to("member@example.com").len(),
        2,
        "the queued link went out after the answer"
    );
    assert_eq!(invite_count(&c).await, invites_before + 1);
    // A stranger's request queues the same work, which sends nothing.
    let (s, _, _) = c.answer_only(link_request("stranger@example.com")).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    c.app.after_response().await;
    assert!(c.mail_to("stranger@example.com").is_empty());
    assert_eq!(invite_count(&c).await, invites_before + 1);
}

/// Sign-in codes stored (the table also holds the rate limits' counters).
async fn invite_count(c: &Crew) -> usize {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
        .scan()
        .table_name(&c.env["BOSUN_TABLE_INVITES"])
        .filter_expression("attribute_exists(email)")
        .send()
        .await
        .expect("scan invites")
        .count() as usize
}

#[tokio::test]
async fn sign_in_requests_look_the_same_for_unknown_addresses_and_are_limited() {
    let c = Crew::with_limits(Limits {
        per_address: 2,
        per_ip: 4,
        ..Limits::default()
    })
    .await;
    c.call(
        Method::POST,
        "/api/invites",
        Some(&c.admin()),
        Some(json!({"email": "known@example.com", "role": "captain"})),
    )
    .await;
    let before = c.mail().len();
    let known = c
        .call_from(
            "203.0.113.1",
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "known@example.com"})),
        )
        .await;
    let unknown = c
        .call_from(
            "203.0.113.1",
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "stranger@example.com"})),
        )
        .await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!((known.0, &known.1), (unknown.0, &unknown.1), "identical answers");
    let mails = c.mail();
    assert_eq!(mails.len(), before + 1, "only the known address got mail");
    assert_eq!(mails.last().unwrap()["to"][0], "known@example.com");
    // The new link works and signs in with the member's role.
    let (s, b) = c
        .call(
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"code": c.last_code("known@example.com")})),
        )
        .await;
    assert_eq!((s, b["role"].clone()), (StatusCode::OK, json!("captain")));
    // Per address: 2 requests are allowed (invites count apart); the third is refused, from any IP.
    let (s, _, _) = c
        .call_from(
            "203.0.113.9",
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "known@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, b, _) = c
        .call_from(
            "203.0.113.9",
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "known@example.com"})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::TOO_MANY_REQUESTS, json!("rate_limited"))
    );
    // Per IP: 2 used from 203.0.113.1; two more addresses pass, the next is refused.
    for a in ["x1@example.com", "x2@example.com"] {
        assert_eq!(
            c.call_from(
                "203.0.113.1",
                Method::POST,
                "/api/auth/request",
                None,
                Some(json!({"email": a}))
            )
            .await
            .0,
            StatusCode::ACCEPTED
        );
    }
    let (s, _, _) = c
        .call_from(
            "203.0.113.1",
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "x3@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    // A configured admin signs in by asking for a link.
    c.call_from(
        "203.0.113.2",
        Method::POST,
        "/api/auth/request",
        None,
        Some(json!({"email": ADMIN})),
    )
    .await;
    let (s, b) = c
        .call(
            Method::POST,
            "/api/auth/exchange",
            None,
            Some(json!({"code": c.last_code(ADMIN)})),
        )
        .await;
    assert_eq!((s, b["role"].clone()), (StatusCode::OK, json!("admin")));
}

#[tokio::test]
async fn bad_tokens_are_refused() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
    let c = Crew::new().await;
    let now = c.app.clock.now();
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let claims = |over: Value| {
        let mut v = json!({"sub": ADMIN, "role": "admin", "iss": "shipcaptaincrew", "aud": "shipcaptaincrew-api", "iat": now, "exp": now + 600});
        for (k, x) in over.as_object().unwrap() {
            if x.is_null() {
                v.as_object_mut().unwrap().remove(k);
            } else {
                v[k] = x.clone();
            }
        }
        v
    };
    let hs256 = |c: Value| encode(&Header::new(Algorithm::HS256), &c, &key).unwrap();
    let good = hs256(claims(json!({})));
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&good), None).await.0,
        StatusCode::OK,
        "control"
    );
    let mut tampered: Vec<String> = good.split('.').map(String::from).collect();
    tampered[1] = B64.encode(claims(json!({"sub": "someone@example.com"})).to_string());
    let none = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        B64.encode(claims(json!({})).to_string())
    );
    let cases = [
        ("expired", hs256(claims(json!({"exp": now - 3600})))),
        ("tampered payload", tampered.join(".")),
        ("alg none", none),
        (
            "alg HS512 (same secret)",
            encode(&Header::new(Algorithm::HS512), &claims(json!({})), &key).unwrap(),
        ),
        (
            "alg HS384 (same secret)",
            encode(&Header::new(Algorithm::HS384), &claims(json!({})), &key).unwrap(),
        ),
        ("wrong audience", hs256(claims(json!({"aud": "another-app"})))),
        ("wrong issuer", hs256(claims(json!({"iss": "someone-else"})))),
        ("no exp", hs256(claims(json!({"exp": null})))),
        ("no aud", hs256(claims(json!({"aud": null})))),
        (
            "exp as a string (GHSA-h395-gr6q-cpjc)",
            hs256(claims(json!({"exp": (now + 600).to_string()}))),
        ),
        (
            "other secret",
            encode(
                &Header::new(Algorithm::HS256),
                &claims(json!({})),
                &EncodingKey::from_secret(b"another-32-byte-secret-xxxxxxxxxxxxxxx"),
            )
            .unwrap(),
        ),
        ("garbage", "not.a.token".to_string()),
    ];
    for (what, t) in cases {
        let (s, b) = c.call(Method::GET, "/api/me", Some(&t), None).await;
        assert_eq!(
            (s, b["error"].clone()),
            (StatusCode::UNAUTHORIZED, json!("unauthorized")),
            "{what}"
        );
        assert!(
            !b.to_string().contains("InvalidSignature") && !b.to_string().contains("jsonwebtoken"),
            "no internals: {b}"
        );
    }
    // An RS256 header over an HMAC signature (key confusion).
    let body = good.split_once('.').unwrap().1;
    let rs = format!("{}.{body}", B64.encode(r#"{"alg":"RS256","typ":"JWT"}"#));
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&rs), None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn weak_or_missing_secrets_stop_start_up() {
    for (secret, expect) in [
        ("short-secret", "at least 32"),
        ("your-256-bit-secret-your-256-bit-secret", "known or guessable"),
    ] {
        let env = provision(secret).await;
        let err = App::start(&sdk_config().await, Config::from_map(&env).unwrap(), None)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expect) && err.contains(&env["BOSUN_SECRET_JWT"]), "{err}");
        assert!(!err.contains(secret), "the secret is never shown: {err}");
    }
    let mut env = provision(SECRET).await;
    env.insert("BOSUN_SECRET_JWT".into(), "/no/such/parameter".into());
    let err = App::start(&sdk_config().await, Config::from_map(&env).unwrap(), None)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("/no/such/parameter"), "{err}");
}

#[tokio::test]
async fn admin_routes_refuse_members() {
    let c = Crew::new().await;
    let crew = c.member("crew1@example.com", "crew").await;
    let captain = c.member("cap1@example.com", "captain").await;
    let e = c.event(&next_year("07-04")).await;
    let id = e["id"].as_str().unwrap();
    let routes = [
        (
            "/api/events".to_string(),
            json!({"date": next_year("07-05"), "boat": "B", "kind": "k", "guests": 1}),
        ),
        (
            "/api/invites".to_string(),
            json!({"email": "x@example.com", "role": "admin"}),
        ),
        (format!("/api/events/{id}/cancel"), json!(null)),
        (
            format!("/api/events/{id}/checklist"),
            json!({"label": "l", "hook": "return", "offset_min": 5}),
        ),
        (
            format!("/api/events/{id}/guests"),
            json!({"name": "G", "email": "g@example.com"}),
        ),
        (format!("/api/events/{id}/guests/abc/cancel"), json!(null)),
    ];
    for (path, body) in routes {
        for t in [&crew, &captain] {
            let (s, b) = c
                .call(Method::POST, &path, Some(t), (!body.is_null()).then(|| body.clone()))
                .await;
            assert_eq!(
                (s, b["error"].clone()),
                (StatusCode::FORBIDDEN, json!("forbidden")),
                "{path}"
            );
        }
    }
    // Nothing changed: the event is still booked with no guests.
    let (_, e) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&crew), None)
        .await;
    assert_eq!(
        (e["status"].clone(), e["guests_list"].clone()),
        (json!("booked"), json!([]))
    );
}

#[tokio::test]
async fn events_carry_their_timing_and_the_shape_reports_read() {
    let c = Crew::new().await;
    let admin = c.admin();
    let date = next_year("07-04");
    let e = c.event(&date).await;
    let t = &e["timing"];
    assert_eq!(t["timezone"], "America/Los_Angeles");
    let at = |k: &str| t[k].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(at("sunset").as_second() - at("departure").as_second(), 90 * 60);
    assert_eq!(at("return").as_second() - at("sunset").as_second(), 30 * 60);
    assert!(t["sunset"].as_str().unwrap().ends_with("-07:00"), "summer is PDT: {t}");
    let sunset_local = t["local"]["sunset"].as_str().unwrap();
    assert!(
        ("19:55".."20:05").contains(&sunset_local),
        "San Diego sunsets near 20:00 on 4 July: {t}"
    );
    // Checklist deadlines hang off departure and return.
    let first = &e["checklist"][0];
    assert_eq!(
        (first["hook"].clone(), first["offset_min"].clone()),
        (json!("departure"), json!(-60))
    );
    let due = first["due"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(at("departure").as_second() - due.as_second(), 3600);
    let last = e["checklist"].as_array().unwrap().last().unwrap();
    assert_eq!(last["hook"], "return");
    // Offsets per event; a winter event is in PST.
    let (s, w) = c
        .call(Method::POST, "/api/events", Some(&admin), Some(json!({"date": next_year("12-20"), "boat": "B", "kind": "whale watch", "guests": 4, "depart_offset_min": -120, "return_offset_min": -10, "crew_slots": 3})))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    assert!(w["timing"]["departure"].as_str().unwrap().ends_with("-08:00"));
    assert_eq!(w["slots"].as_array().unwrap().len(), 4);
    // Listed in date order.
    let (_, list) = c.call(Method::GET, "/api/events", Some(&admin), None).await;
    let dates: Vec<&str> = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, vec![date.as_str(), w["date"].as_str().unwrap()]);
    // The item exec-reports counts: pk EVENT#…, sk META, date, status booked.
    let item = dynamodb()
        .await
        .get_item()
        .table_name(&c.env["BOSUN_TABLE_CREW"])
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("EVENT#{}", e["id"].as_str().unwrap())),
        )
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("META".into()))
        .send()
        .await
        .unwrap();
    let item = item.item().unwrap();
    assert_eq!(item["date"].as_s().unwrap(), &date);
    assert_eq!(item["status"].as_s().unwrap(), "booked");
    // Bad input: each a 400 naming the field.
    for (body, word) in [
        (
            json!({"date": "2027-02-30", "boat": "B", "kind": "k", "guests": 1}),
            "date",
        ),
        (
            json!({"date": "2001-01-01", "boat": "B", "kind": "k", "guests": 1}),
            "past",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "", "kind": "k", "guests": 1}),
            "boat",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "B", "kind": "k", "guests": 0}),
            "guests",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "B", "kind": "k", "guests": 1, "depart_offset_min": 30, "return_offset_min": -30}),
            "departure",
        ),
        (
            json!({"date": next_year("08-01"), "boat": "B", "kind": "k", "guests": 1, "captain": "x"}),
            "captain",
        ),
    ] {
        let (s, b) = c.call(Method::POST, "/api/events", Some(&admin), Some(body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
        assert!(b["message"].as_str().unwrap().contains(word), "{word}: {b}");
    }
    assert_eq!(
        c.call(Method::GET, "/api/events/nosuch", Some(&admin), None).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.call(Method::GET, "/api/events/abcdefghij", Some(&admin), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (s, b) = c.call(Method::GET, "/api/events/%FF", Some(&admin), None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"], "bad_request", "path errors are JSON too");
    // A create retried with the same Idempotency-Key makes one event.
    let body = json!({"date": next_year("09-09"), "boat": "B", "kind": "k", "guests": 1}).to_string();
    let post = || {
        Request::post("/api/events")
            .header("x-session-token", &admin)
            .header("idempotency-key", "form-7f3a9c21")
            .header("content-type", "application/json")
            .body(Body::from(body.clone()))
            .unwrap()
    };
    let (s1, first, _) = c.send(post()).await;
    let (s2, second, _) = c.send(post()).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::OK), "{first} {second}");
    assert_eq!(first["id"], second["id"]);
    // The same key with a different body is refused, never answered with
    // the first event.
    let other = json!({"date": next_year("09-10"), "boat": "B", "kind": "k", "guests": 1}).to_string();
    let reused = Request::post("/api/events")
        .header("x-session-token", &admin)
        .header("idempotency-key", "form-7f3a9c21")
        .header("content-type", "application/json")
        .body(Body::from(other))
        .unwrap();
    let (s, b, _) = c.send(reused).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("idempotency_key_reused")),
        "{b}"
    );
    let (_, list) = c.call(Method::GET, "/api/events", Some(&admin), None).await;
    let same_day = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["date"] == first["date"])
        .count();
    assert_eq!(same_day, 1);
    // Cancel: booked → cancelled, once.
    let path = format!("/api/events/{}/cancel", e["id"].as_str().unwrap());
    let (s, b) = c.call(Method::POST, &path, Some(&admin), None).await;
    assert_eq!((s, b["status"].clone()), (StatusCode::OK, json!("cancelled")));
    let (s, b) = c.call(Method::POST, &path, Some(&admin), None).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
}

#[tokio::test]
async fn of_concurrent_captain_claims_exactly_one_wins() {
    let c = Crew::new().await;
    let e = c.event(&next_year("06-20")).await;
    let id = e["id"].as_str().unwrap().to_string();
    let mut captains = Vec::new();
    for i in 0..8 {
        let email = format!("captain{i}@example.com");
        c.app
            .store
            .put_member(&email, shipcaptaincrew::auth::Role::Captain, ADMIN, 0)
            .await
            .unwrap();
        captains.push(c.token(&email, shipcaptaincrew::auth::Role::Captain));
    }
    let path = format!("/api/events/{id}/slots/captain/claim");
    let results =
        futures_util::future::join_all(captains.iter().map(|t| c.call(Method::POST, &path, Some(t), None))).await;
    let winners: Vec<usize> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == StatusCode::OK)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for (i, (s, b)) in results.iter().enumerate() {
        if !winners.contains(&i) {
            assert_eq!((*s, b["error"].clone()), (StatusCode::CONFLICT, json!("slot_taken")));
        }
    }
    let (_, e) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&captains[0]), None)
        .await;
    assert_eq!(
        e["slots"][0],
        json!({"slot": "captain", "holder": format!("captain{}@example.com", winners[0]),
               "can": {"claim": false, "release": winners[0] == 0, "assign": false}})
    );
}

#[tokio::test]
async fn slots_are_claimed_and_released_by_the_rules() {
    let c = Crew::new().await;
    let admin = c.admin();
    let crew = c.member("crew-a@example.com", "crew").await;
    let other = c.member("crew-b@example.com", "crew").await;
    let e = c.event(&next_year("06-21")).await;
    let id = e["id"].as_str().unwrap();
    let slot = |s: &str, a: &str| format!("/api/events/{id}/slots/{s}/{a}");
    // Crew cannot take the captain slot; unknown slots are 404.
    let (s, b) = c.call(Method::POST, &slot("captain", "claim"), Some(&crew), None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::FORBIDDEN, json!("forbidden")));
    assert_eq!(
        c.call(Method::POST, &slot("crew-9", "claim"), Some(&crew), None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    // Claim crew-1; a second slot for the same person is refused.
    let (s, b) = c.call(Method::POST, &slot("crew-1", "claim"), Some(&crew), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // What the holder may do comes with the slot: release theirs, not
    // claim or assign another.
    assert_eq!(
        b["slots"][1],
        json!({"slot": "crew-1", "holder": "crew-a@example.com",
               "can": {"claim": false, "release": true, "assign": false}})
    );
    assert_eq!(
        b["slots"][2]["can"],
        json!({"claim": false, "release": false, "assign": false})
    );
    let (s, b) = c.call(Method::POST, &slot("crew-2", "claim"), Some(&crew), None).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("already_holding"))
    );
    let (s, b) = c.call(Method::POST, &slot("crew-1", "claim"), Some(&other), None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("slot_taken")));
    // Release: not by another member; by the holder; by an admin.
    let (s, _) = c
        .call(Method::POST, &slot("crew-1", "release"), Some(&other), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = c
        .call(Method::POST, &slot("crew-1", "release"), Some(&crew), None)
        .await;
    assert_eq!((s, b["slots"][1]["holder"].clone()), (StatusCode::OK, json!(null)));
    let (s, b) = c
        .call(Method::POST, &slot("crew-1", "release"), Some(&crew), None)
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("not_claimed")));
    assert_eq!(
        c.call(Method::POST, &slot("crew-2", "claim"), Some(&other), None)
            .await
            .0,
        StatusCode::OK
    );
    let (s, b) = c
        .call(Method::POST, &slot("crew-2", "release"), Some(&admin), None)
        .await;
    assert_eq!((s, b["slots"][2]["holder"].clone()), (StatusCode::OK, json!(null)));
    // After release the person may claim again (the holder marker went too).
    assert_eq!(
        c.call(Method::POST, &slot("crew-2", "claim"), Some(&other), None)
            .await
            .0,
        StatusCode::OK
    );
    // Roles are read on every request: re-invited as captain, the same token may take the captain slot.
    let (s, _) = c
        .call(
            Method::POST,
            "/api/invites",
            Some(&admin),
            Some(json!({"email": "crew-a@example.com", "role": "captain"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(
        c.call(Method::POST, &slot("captain", "claim"), Some(&crew), None)
            .await
            .0,
        StatusCode::OK
    );
    // A retried claim that already succeeded answers 200, not a conflict.
    let (s, b) = c.call(Method::POST, &slot("captain", "claim"), Some(&crew), None).await;
    assert_eq!(
        (s, b["slots"][0]["holder"].clone()),
        (StatusCode::OK, json!("crew-a@example.com"))
    );
    // A cancelled event takes no claims.
    c.call(Method::POST, &format!("/api/events/{id}/cancel"), Some(&admin), None)
        .await;
    let (s, b) = c.call(Method::POST, &slot("crew-1", "claim"), Some(&crew), None).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_not_open")));
}

#[tokio::test]
async fn checklists_are_ticked_by_the_crew_on_the_event() {
    let c = Crew::new().await;
    let admin = c.admin();
    let crew = c.member("tick@example.com", "crew").await;
    let e = c.event(&next_year("05-30")).await;
    let id = e["id"].as_str().unwrap();
    let item = e["checklist"][0]["id"].as_str().unwrap();
    let tick = format!("/api/events/{id}/checklist/{item}/check");
    let (s, _) = c
        .call(Method::POST, &tick, Some(&crew), Some(json!({"done": true})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "not crew on this event yet");
    c.call(
        Method::POST,
        &format!("/api/events/{id}/slots/crew-1/claim"),
        Some(&crew),
        None,
    )
    .await;
    let (s, b) = c
        .call(Method::POST, &tick, Some(&crew), Some(json!({"done": true})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let done = b["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .unwrap()
        .clone();
    assert_eq!(done["done_by"], "tick@example.com");
    assert!(done["done_at"].is_string());
    let (_, b) = c
        .call(Method::POST, &tick, Some(&crew), Some(json!({"done": false})))
        .await;
    assert!(b["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .unwrap()["done_by"]
        .is_null());
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/99/check"),
            Some(&crew),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // An admin adds an item due 10 minutes after return.
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist"),
            Some(&admin),
            Some(json!({"label": "Log the trip", "hook": "return", "offset_min": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let added = b["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Log the trip")
        .unwrap()
        .clone();
    let ret = b["timing"]["return"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap();
    let due = added["due"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert_eq!(due.as_second() - ret.as_second(), 600);
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist"),
            Some(&admin),
            Some(json!({"label": "x", "hook": "lunch", "offset_min": 10})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn guests_stay_on_hold_until_their_waiver_is_signed() {
    let c = Crew::new().await;
    let admin = c.admin();
    let e = c.event(&next_year("08-15")).await;
    let id = e["id"].as_str().unwrap();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Pat Guest", "email": "pat@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["guest"]["state"], "on_hold");
    let url = b["waiver_url"].as_str().unwrap().to_string();
    assert!(url.starts_with(&format!("https://crew.example.com/guest.html#/{id}/")));
    let mail = c.mail_to("pat@example.com").pop().expect("waiver mail");
    assert!(mail["text"].as_str().unwrap().contains(&url));
    let parts: Vec<&str> = url
        .rsplit('#')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .split('/')
        .collect();
    let (gid, token) = (parts[1], parts[2]);
    let waiver = format!("/api/events/{id}/guests/{gid}/waiver");
    let guest_call = |t: &str, method: Method, body: Option<Value>| {
        let mut req = Request::builder()
            .method(method)
            .uri(&waiver)
            .header("x-guest-token", t);
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        c.send(req.body(body).unwrap())
    };
    // The guest page with the right token; a wrong token is a plain 404.
    let (s, b, _) = guest_call(token, Method::GET, None).await;
    assert_eq!(
        (s, b["guest"]["state"].clone(), b["event"]["boat"].clone()),
        (StatusCode::OK, json!("on_hold"), json!("Queen of San Diego"))
    );
    assert!(b["waiver_text"].as_str().unwrap().len() > 50);
    assert!(b["guest"].get("email").is_none());
    let (s, _, _) = guest_call("WRONGTOKEN", Method::GET, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = guest_call(
        "WRONGTOKEN",
        Method::POST,
        Some(json!({"signed_name": "Pat", "accept": true})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Not accepting is not signing.
    let (s, _, _) = guest_call(
        token,
        Method::POST,
        Some(json!({"signed_name": "Pat Guest", "accept": false})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, b, _) = guest_call(
        token,
        Method::POST,
        Some(json!({"signed_name": "Pat Guest", "accept": true})),
    )
    .await;
    assert_eq!((s, b["guest"]["state"].clone()), (StatusCode::OK, json!("confirmed")));
    // confirmed → sign again: invalid transition.
    let (s, b, _) = guest_call(
        token,
        Method::POST,
        Some(json!({"signed_name": "Pat Guest", "accept": true})),
    )
    .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
    // Capacity 2: one more fits, the third is refused.
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Sam", "email": "sam@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let sam = b["guest"]["id"].as_str().unwrap().to_string();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Lee", "email": "lee@example.com"})),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_full")));
    // on_hold → cancelled frees the place; cancelling twice is refused.
    let cancel = format!("/api/events/{id}/guests/{sam}/cancel");
    let (s, b) = c.call(Method::POST, &cancel, Some(&admin), None).await;
    assert_eq!((s, b["guest"]["state"].clone()), (StatusCode::OK, json!("cancelled")));
    let (s, b) = c.call(Method::POST, &cancel, Some(&admin), None).await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("invalid_transition"))
    );
    let (s, lee) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Lee", "email": "lee@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // Crew see names and states, not addresses.
    let crew = c.member("viewer@example.com", "crew").await;
    let (_, e) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&crew), None)
        .await;
    let states: Vec<&str> = e["guests_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 3);
    assert!(states.contains(&"confirmed") && states.contains(&"cancelled") && states.contains(&"on_hold"));
    assert!(e["guests_list"]
        .as_array()
        .unwrap()
        .iter()
        .all(|g| g.get("email").is_none()));
    // The same address again (a retried request): no second place.
    let again = json!({"name": "Pat G.", "email": "PAT@example.com"});
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(again),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("already_booked")));
    // Ids that cannot exist are plain 404s, never a database error.
    let long = "a".repeat(1100);
    let (s, _, _) = guest_call_at(&c, &format!("/api/events/{id}/guests/{long}/waiver"), token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, _) = guest_call_at(&c, &format!("/api/events/{long}/guests/{gid}/waiver"), token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Once the sail is cancelled, an on-hold guest can no longer sign, and the checklist is closed.
    c.call(Method::POST, &format!("/api/events/{id}/cancel"), Some(&admin), None)
        .await;
    let lee_url = lee["waiver_url"].as_str().unwrap();
    let lee_parts: Vec<&str> = lee_url
        .rsplit('#')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .split('/')
        .collect();
    let sign = |token: &str| {
        Request::post(format!("/api/events/{id}/guests/{}/waiver", lee_parts[1]))
            .header("x-guest-token", token)
            .header("content-type", "application/json")
            .body(Body::from(json!({"signed_name": "Lee", "accept": true}).to_string()))
            .unwrap()
    };
    // A wrong token learns nothing about the sail: 404, as for any wrong token.
    let (s, b, _) = c.send(sign("not-lees-token")).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    let (s, b, _) = c.send(sign(lee_parts[2])).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_not_open")));
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/01/check"),
            Some(&admin),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("event_not_open")));
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

/// The `shipcaptaincrew` binary, which cargo builds for this crate's tests.
fn app_binary() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_BIN_EXE_shipcaptaincrew"))
}

/// End to end in a browser: the local server (the real binary) serves the
/// frontend and the API against the emulator; headless Chromium, driven by
/// scripts/e2e_browser.py (Selenium), follows a magic link from the outbox,
/// checks the timing panel against the API and claims a crew slot.
#[tokio::test]
async fn browser_follows_a_magic_link_and_claims_crew() {
    use std::io::BufRead;
    let env = provision(SECRET).await;
    let outbox = tempfile::tempdir().unwrap();
    let mut server = std::process::Command::new(app_binary())
        .args(["serve", "--signed-origin", "--addr", "127.0.0.1:0", "--frontend"])
        .arg(root().join("lambdas/shipcaptaincrew/frontend"))
        .arg("--outbox")
        .arg(outbox.path())
        .envs(&env)
        .env("SCC_PUBLIC_URL", "http://127.0.0.1:1") // replaced below once the port is known
        .env("AWS_ENDPOINT_URL", &emulator().endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start shipcaptaincrew serve");
    // The link host comes from configuration, so the server must know its own
    // address before it starts: take a free port first, then restart on it.
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().rsplit(':').next().unwrap().to_string();
    server.kill().ok();
    server.wait().ok();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = std::process::Command::new(app_binary())
        .args([
            "serve",
            "--signed-origin",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--frontend",
        ])
        .arg(root().join("lambdas/shipcaptaincrew/frontend"))
        // The security headers bosun's response headers policy sets on the
        // deployed frontend: the page must work under them (its CSP).
        .args(
            bosun::aws::cloudfront::security_headers()
                .iter()
                .flat_map(|(name, value)| ["--header".to_string(), format!("{name}: {value}")]),
        )
        .arg("--outbox")
        .arg(outbox.path())
        .envs(&env)
        .env("SCC_PUBLIC_URL", &base)
        .env("AWS_ENDPOINT_URL", &emulator().endpoint)
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start shipcaptaincrew serve");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains(&base), "{line}");
    let keys = shipcaptaincrew::auth::Keys::new(SECRET.as_bytes(), "shipcaptaincrew", "shipcaptaincrew-api").unwrap();
    let admin = keys.issue(
        ADMIN,
        shipcaptaincrew::auth::Role::Admin,
        jiff::Timestamp::now().as_second(),
        600,
    );
    // Kept for a look after the run: what the event page looks like at phone width.
    let shot = root().join("target/shipcaptaincrew-e2e.png");
    let out = tokio::process::Command::new(browser_python())
        .arg(root().join("scripts/e2e_browser.py"))
        .args(["--base-url", &base, "--admin-token", &admin, "--csp"])
        .arg(bosun::aws::cloudfront::CONTENT_SECURITY_POLICY)
        .arg("--outbox")
        .arg(outbox.path())
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .await
        .expect("run scripts/e2e_browser.py (scripts/browser.py install sets it up)");
    server.kill().ok();
    server.wait().ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && stdout.contains("e2e: ok")
            && stdout.contains("the page asks first")
            && stdout.contains("the member sees the slot as theirs"),
        "browser test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::metadata(&shot).unwrap().len() > 1000, "a screenshot was taken");
}

/// Behind CloudFront's origin access control (and `serve --signed-origin`)
/// a body must come with its SHA-256: without it, or with another body's,
/// the request is refused before any route runs; with it, the route answers.
#[tokio::test]
async fn behind_the_distribution_a_body_must_carry_its_sha256() {
    use sha2::{Digest, Sha256};
    let crew = Crew::new().await;
    let signed = shipcaptaincrew::signed_origin(shipcaptaincrew::router(crew.app.clone(), None));
    let body = json!({"email": "someone@example.com"}).to_string();
    let hash: String = Sha256::digest(body.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let request = |hash: Option<&str>| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/api/auth/request")
            .header("content-type", "application/json");
        if let Some(h) = hash {
            req = req.header("x-amz-content-sha256", h);
        }
        let mut req = req.body(Body::from(body.clone())).unwrap();
        req.extensions_mut()
            .insert(ConnectInfo("192.0.2.7:40000".parse::<SocketAddr>().unwrap()));
        req
    };
    let status = |req: Request<Body>| {
        let signed = signed.clone();
        async move { signed.oneshot(req).await.unwrap().status() }
    };
    assert_eq!(status(request(None)).await, StatusCode::FORBIDDEN);
    let other: String = Sha256::digest(b"{}").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(status(request(Some(&other))).await, StatusCode::FORBIDDEN);
    assert_eq!(status(request(Some(&hash))).await, StatusCode::ACCEPTED);
    // Reads need no hash.
    let get = Request::builder().uri("/api/config").body(Body::empty()).unwrap();
    assert_eq!(status(get).await, StatusCode::OK);
}

// ---- crew management ---------------------------------------------------------

fn slot_holder(event: &Value, slot: &str) -> Value {
    event["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["slot"] == slot)
        .map(|s| s["holder"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_roster_shows_members_and_admins_put_members_into_slots() {
    let c = Crew::new().await;
    let admin = c.admin();
    let cap = c.member("cap@example.com", "captain").await;
    c.member("deck@example.com", "crew").await;
    let e = c.event(&next_year("07-11")).await;
    let id = e["id"].as_str().unwrap().to_string();

    // An admin puts a captain into the captain slot; the member is mailed.
    let assign = |slot: &str| format!("/api/events/{id}/slots/{slot}/assign");
    let (s, b) = c
        .call(
            Method::POST,
            &assign("captain"),
            Some(&admin),
            Some(json!({"email": "Cap@Example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(slot_holder(&b, "captain"), "cap@example.com");
    assert_eq!(b["mailed"], true);
    let mail = c.mail_to("cap@example.com").pop().unwrap();
    assert!(
        mail["subject"].as_str().unwrap().starts_with("You are captain aboard"),
        "{mail}"
    );
    assert!(
        mail["text"].as_str().unwrap().contains(&format!("/#/events/{id}")),
        "{mail}"
    );
    // Only members can be put into slots, and their role must fit.
    let (s, b) = c
        .call(
            Method::POST,
            &assign("crew-1"),
            Some(&admin),
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!((s, b["error"].clone()), (StatusCode::NOT_FOUND, json!("not_found")));
    let other = c.event(&next_year("07-12")).await;
    let other_captain = format!("/api/events/{}/slots/captain/assign", other["id"].as_str().unwrap());
    let (s, b) = c
        .call(
            Method::POST,
            &other_captain,
            Some(&admin),
            Some(json!({"email": "deck@example.com"})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("role_mismatch")),
        "{b}"
    );
    // The event's captain puts crew into crew slots, not into the captain slot.
    let (s, b) = c
        .call(
            Method::POST,
            &assign("crew-1"),
            Some(&cap),
            Some(json!({"email": "deck@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(slot_holder(&b, "crew-1"), "deck@example.com");
    // One slot per person per event, as for a claim.
    let (s, b) = c
        .call(
            Method::POST,
            &assign("crew-2"),
            Some(&cap),
            Some(json!({"email": "deck@example.com"})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("already_holding"))
    );
    // Crew cannot assign; the captain takes a crew member out of a crew slot.
    let deck = c.token("deck@example.com", shipcaptaincrew::auth::Role::Crew);
    let (s, _) = c
        .call(
            Method::POST,
            &assign("crew-2"),
            Some(&deck),
            Some(json!({"email": "cap@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // The list shows each event's staffing: the "captain needed" badge can show.
    let (_, list) = c.call(Method::GET, "/api/events", Some(&admin), None).await;
    let listed = list["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(slot_holder(&listed, "captain"), "cap@example.com");
    assert_eq!(slot_holder(&listed, "crew-2"), Value::Null);

    // The roster: every member, role, last sign-in, upcoming slots; admins only.
    let (s, roster) = c.call(Method::GET, "/api/members", Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{roster}");
    let members = roster["members"].as_array().unwrap();
    let find = |email: &str| members.iter().find(|m| m["email"] == email).unwrap().clone();
    let cap_row = find("cap@example.com");
    assert_eq!(cap_row["role"], "captain");
    assert!(cap_row["last_sign_in"].is_string(), "{cap_row}");
    assert_eq!(cap_row["upcoming"][0]["slot"], "captain");
    assert_eq!(cap_row["upcoming"][0]["event"], id.as_str());
    assert_eq!(find(ADMIN)["configured"], true);
    assert_eq!(
        c.call(Method::GET, "/api/members", Some(&cap), None).await.0,
        StatusCode::FORBIDDEN
    );
    let release = format!("/api/events/{id}/slots/crew-1/release");
    let (s, b) = c.call(Method::POST, &release, Some(&cap), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(slot_holder(&b, "crew-1"), Value::Null);
}

#[tokio::test]
async fn a_demoted_captain_loses_the_captain_slot_and_a_removed_member_loses_access() {
    let c = Crew::new().await;
    let admin = c.admin();
    let cap = c.member("skipper@example.com", "captain").await;
    let first = c.event(&next_year("08-02")).await;
    let second = c.event(&next_year("08-03")).await;
    let (a, b) = (first["id"].as_str().unwrap(), second["id"].as_str().unwrap());
    c.call(
        Method::POST,
        &format!("/api/events/{a}/slots/captain/claim"),
        Some(&cap),
        None,
    )
    .await;
    c.call(
        Method::POST,
        &format!("/api/events/{b}/slots/crew-1/claim"),
        Some(&cap),
        None,
    )
    .await;

    // A change prepared before a claim does not apply after it: the claim
    // bumped the member's slot_version, so the stale transaction is refused
    // (the route then re-reads and retries).
    let seen = c
        .app
        .store
        .member("skipper@example.com")
        .await
        .unwrap()
        .unwrap()
        .slot_version;
    assert_eq!(seen, 2, "each claim bumps it");
    let stale = c
        .app
        .store
        .change_member(
            "skipper@example.com",
            Some(shipcaptaincrew::auth::Role::Crew),
            seen - 1,
            &[],
            0,
        )
        .await;
    assert!(
        stale
            .as_ref()
            .is_err_and(|e| e.refused(shipcaptaincrew::store::Refusal::MemberChanged)),
        "{stale:?}"
    );
    // Demoted to crew: the captain slot goes in the same write, the crew slot stays.
    let member = "/api/members/skipper@example.com";
    let (s, body) = c
        .call(Method::PATCH, member, Some(&admin), Some(json!({"role": "crew"})))
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["released"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(body["released"][0]["slot"], "captain");
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{a}"), Some(&admin), None)
        .await;
    assert_eq!(slot_holder(&ev, "captain"), Value::Null);
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{b}"), Some(&admin), None)
        .await;
    assert_eq!(slot_holder(&ev, "crew-1"), "skipper@example.com");
    // The same token now acts as crew: the captain slot is refused.
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{a}/slots/captain/claim"),
            Some(&cap),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, me) = c.call(Method::GET, "/api/me", Some(&cap), None).await;
    assert_eq!(me["role"], "crew");

    // SCC_ADMINS addresses change only by configuration, and the error says so.
    let (s, body) = c
        .call(
            Method::PATCH,
            &format!("/api/members/{ADMIN}"),
            Some(&admin),
            Some(json!({"role": "crew"})),
        )
        .await;
    assert_eq!(
        (s, body["error"].clone()),
        (StatusCode::CONFLICT, json!("configured_admin"))
    );
    assert!(body["message"].as_str().unwrap().contains("SCC_ADMINS"), "{body}");

    // Removed: every upcoming slot released, the next request refused.
    let (s, body) = c.call(Method::DELETE, member, Some(&admin), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["released"][0]["slot"], "crew-1");
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&cap), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (_, roster) = c.call(Method::GET, "/api/members", Some(&admin), None).await;
    assert!(!roster["members"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["email"] == "skipper@example.com"));
    // Re-invited later, the old session stays dead; the new one works.
    c.app.clock.advance(2);
    let fresh = c.member("skipper@example.com", "crew").await;
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&cap), None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&fresh), None).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_earlier_session() {
    let c = Crew::new().await;
    let admin = c.admin();
    let phone = c.member("mate@example.com", "crew").await;
    let laptop = c.token("mate@example.com", shipcaptaincrew::auth::Role::Crew);
    // A link asked for and not yet used.
    let (s, _) = c
        .call(
            Method::POST,
            "/api/auth/request",
            None,
            Some(json!({"email": "mate@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let unused = c.last_code("mate@example.com");
    // Only the member or an admin may.
    let other = c.member("other@example.com", "crew").await;
    let path = "/api/members/mate@example.com/sign-out";
    assert_eq!(
        c.call(Method::POST, path, Some(&other), None).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, b) = c.call(Method::POST, path, Some(&phone), None).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    for token in [&phone, &laptop] {
        assert_eq!(
            c.call(Method::GET, "/api/me", Some(token), None).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // The unused link went with them.
    let (s, b) = c
        .call(Method::POST, "/api/auth/exchange", None, Some(json!({"code": unused})))
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::UNAUTHORIZED, json!("invalid_code")),
        "{b}"
    );
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&other), None).await.0,
        StatusCode::OK
    );
    // A session issued afterwards works; an admin can do the same for anyone.
    c.app.clock.advance(2);
    let again = c.token("mate@example.com", shipcaptaincrew::auth::Role::Crew);
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&again), None).await.0,
        StatusCode::OK
    );
    let (s, _) = c
        .call(
            Method::POST,
            "/api/members/other@example.com/sign-out",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c.call(Method::GET, "/api/me", Some(&other), None).await.0,
        StatusCode::UNAUTHORIZED
    );
}

/// A request as a function URL hands it over: the client address only in
/// Lambda's request context (no socket address).
fn via_function_url(ip: &str, code: &str) -> Request<Body> {
    use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
    let mut ctx = ApiGatewayV2httpRequestContext::default();
    ctx.http.source_ip = Some(ip.to_string());
    let mut req = Request::post("/api/auth/exchange")
        .header("content-type", "application/json")
        .body(Body::from(json!({"code": code}).to_string()))
        .unwrap();
    req.extensions_mut()
        .insert(lambda_http::request::RequestContext::ApiGatewayV2(ctx));
    req
}

/// The same, signed by CloudFront's origin access control (the request
/// context names the IAM caller) with the viewer's address in
/// `CloudFront-Viewer-Address`.
fn via_distribution(edge: &str, viewer: &str, code: &str) -> Request<Body> {
    let mut req = via_function_url(edge, code);
    req.headers_mut()
        .insert("cloudfront-viewer-address", viewer.parse().unwrap());
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) =
        req.extensions_mut().get_mut::<lambda_http::request::RequestContext>()
    {
        ctx.authorizer = Some(
            serde_json::from_value(json!({"iam": {"accessKey": "ASIAEDGE", "accountId": "123456789012"}})).unwrap(),
        );
    }
    req
}

/// Behind the distribution every request comes from an edge's address; the
/// limits count the viewer's, from CloudFront-Viewer-Address, but only where
/// the stack says CloudFront sets it (SCC_TRUST_VIEWER_ADDRESS) and on a
/// signed request: a viewer's own copy of the header counts for nothing.
#[tokio::test]
async fn behind_the_distribution_the_limits_count_the_viewers_address() {
    let limits = Limits {
        exchange_per_ip: 2,
        ..Limits::default()
    };
    let guess = "AAAAAAAAAAAAAAAAAAAAAA";
    let c = Crew::with_config(|cfg| {
        cfg.limits = limits;
        cfg.trust_viewer_address = true;
    })
    .await;
    for _ in 0..2 {
        let s = c
            .send(via_distribution("130.176.0.1", "198.51.100.10:46532", guess))
            .await
            .0;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let s = c
        .send(via_distribution("130.176.0.1", "198.51.100.10:40000", guess))
        .await
        .0;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "the same viewer, another port");
    let s = c
        .send(via_distribution("130.176.0.1", "[2001:db8::7]:443", guess))
        .await
        .0;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "another viewer behind the same edge");
    // Unsigned (a public URL), the header is the caller's word: the edge's
    // address counts.
    let c = Crew::with_config(|cfg| {
        cfg.limits = limits;
        cfg.trust_viewer_address = true;
    })
    .await;
    for viewer in ["198.51.100.1:1", "198.51.100.2:1"] {
        let mut req = via_function_url("130.176.0.9", guess);
        req.headers_mut()
            .insert("cloudfront-viewer-address", viewer.parse().unwrap());
        assert_eq!(c.send(req).await.0, StatusCode::UNAUTHORIZED);
    }
    let mut req = via_function_url("130.176.0.9", guess);
    req.headers_mut()
        .insert("cloudfront-viewer-address", "198.51.100.3:1".parse().unwrap());
    assert_eq!(c.send(req).await.0, StatusCode::TOO_MANY_REQUESTS);
    // Without SCC_TRUST_VIEWER_ADDRESS even a signed request's header is not read.
    let c = Crew::with_limits(limits).await;
    for _ in 0..2 {
        c.send(via_distribution("130.176.0.1", "198.51.100.20:1", guess)).await;
    }
    let s = c
        .send(via_distribution("130.176.0.1", "198.51.100.21:1", guess))
        .await
        .0;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "the edge's address counts");
    assert_eq!(
        shipcaptaincrew::app::viewer_ip("2001:db8::7:443").as_deref(),
        Some("2001:db8::7")
    );
    assert_eq!(shipcaptaincrew::app::viewer_ip("not an address:1"), None);
}

#[tokio::test]
async fn behind_a_function_url_each_client_address_has_its_own_limit() {
    let c = Crew::with_limits(Limits {
        exchange_per_ip: 2,
        ..Limits::default()
    })
    .await;
    let guess = "AAAAAAAAAAAAAAAAAAAAAA";
    for _ in 0..2 {
        assert_eq!(
            c.send(via_function_url("203.0.113.5", guess)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        c.send(via_function_url("203.0.113.5", guess)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another address still has its own bucket (not one global bucket) ...
    assert_eq!(
        c.send(via_function_url("203.0.113.6", guess)).await.0,
        StatusCode::UNAUTHORIZED
    );
    // ... and IPv6 addresses share one per /64, as one host usually has a /64.
    for host in ["2001:db8:1:2::1", "2001:db8:1:2::2"] {
        assert_eq!(c.send(via_function_url(host, guess)).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        c.send(via_function_url("2001:db8:1:2:ffff::3", guess)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        c.send(via_function_url("2001:db8:1:3::1", guess)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn rate_limit_windows_slide_instead_of_resetting() {
    let c = Crew::with_limits(Limits {
        exchange_per_ip: 2,
        ..Limits::default()
    })
    .await;
    let window = Limits::default().window;
    // Two seconds before a window ends: use the whole quota.
    let now = c.app.clock.now();
    c.app.clock.advance(window - 2 - now.rem_euclid(window));
    let guess = "AAAAAAAAAAAAAAAAAAAAAA";
    for _ in 0..2 {
        assert_eq!(
            c.send(via_function_url("198.51.100.20", guess)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    // Just after the boundary a fixed window would start afresh; a sliding
    // one still counts the last window's requests.
    c.app.clock.advance(4);
    let (s, _, headers) = c.send(via_function_url("198.51.100.20", guess)).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=window).contains(&wait), "{wait}");
    // Once enough of it has slid out, requests are allowed again.
    c.app.clock.advance(wait);
    assert_eq!(
        c.send(via_function_url("198.51.100.20", guess)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_ipv6_48_shares_a_wider_bucket() {
    let c = Crew::with_limits(Limits {
        exchange_per_ip: 1,
        ..Limits::default()
    })
    .await;
    let guess = "AAAAAAAAAAAAAAAAAAAAAA";
    // Four /64s of one /48 get one request each; the fifth /64 is refused.
    for net in 1..=4 {
        let ip = format!("2001:db8:7:{net}::1");
        assert_eq!(
            c.send(via_function_url(&ip, guess)).await.0,
            StatusCode::UNAUTHORIZED,
            "{ip}"
        );
    }
    assert_eq!(
        c.send(via_function_url("2001:db8:7:5::1", guess)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        c.send(via_function_url("2001:db8:8:1::1", guess)).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn after_the_sail_nothing_changes_and_waiver_links_expire() {
    let c = Crew::new().await;
    let admin = c.admin();
    let crew = c.member("hand@example.com", "crew").await;
    let e = c.event(&next_year("06-21")).await;
    let id = e["id"].as_str().unwrap().to_string();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Late Guest", "email": "late.guest@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let url = b["waiver_url"].as_str().unwrap().to_string();
    let parts: Vec<String> = url
        .rsplit('#')
        .next()
        .unwrap()
        .trim_start_matches('/')
        .split('/')
        .map(String::from)
        .collect();
    let (gid, token) = (parts[1].clone(), parts[2].clone());
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/crew-1/claim"),
            Some(&crew),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    // Past the return time plus the grace period (the sail is next year).
    c.app.clock.advance(400 * 24 * 3600);
    let over = |s: StatusCode, b: &Value| {
        assert_eq!(
            (s, b["error"].clone()),
            (StatusCode::CONFLICT, json!("event_over")),
            "{b}"
        );
    };
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/crew-2/claim"),
            Some(&admin),
            None,
        )
        .await;
    over(s, &b);
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/captain/assign"),
            Some(&admin),
            Some(json!({"email": ADMIN})),
        )
        .await;
    over(s, &b);
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/01/check"),
            Some(&crew),
            Some(json!({"done": true})),
        )
        .await;
    over(s, &b);
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Too Late", "email": "too.late@example.com"})),
        )
        .await;
    over(s, &b);
    // What sailed stays on record: no slot released, no guest or sail cancelled.
    for (path, who) in [
        (format!("/api/events/{id}/slots/crew-1/release"), &crew),
        (format!("/api/events/{id}/slots/crew-1/release"), &admin),
        (format!("/api/events/{id}/guests/{gid}/cancel"), &admin),
        (format!("/api/events/{id}/cancel"), &admin),
    ] {
        let (s, b) = c.call(Method::POST, &path, Some(who), None).await;
        over(s, &b);
    }
    // The guest's link expired with the sail: reading or signing is "not found".
    let waiver = format!("/api/events/{id}/guests/{gid}/waiver");
    let (s, _, _) = guest_call_at(&c, &waiver, &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let sign = Request::post(&waiver)
        .header("x-guest-token", token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"signed_name": "Late Guest", "accept": true}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(sign).await.0, StatusCode::NOT_FOUND);
    // Reading the event still works (it is history now).
    let (s, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(slot_holder(&ev, "crew-1"), "hand@example.com");
}

#[tokio::test]
async fn guest_ids_are_random_and_a_rebooking_keeps_the_signed_waiver() {
    let c = Crew::new().await;
    let admin = c.admin();
    let one = c.event(&next_year("09-01")).await;
    let two = c.event(&next_year("09-02")).await;
    let book = |id: String| {
        let c = &c;
        let admin = admin.clone();
        async move {
            c.call(
                Method::POST,
                &format!("/api/events/{id}/guests"),
                Some(&admin),
                Some(json!({"name": "Robin Guest", "email": "robin@example.com"})),
            )
            .await
        }
    };
    let (id1, id2) = (
        one["id"].as_str().unwrap().to_string(),
        two["id"].as_str().unwrap().to_string(),
    );
    let (s, first) = book(id1.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let (_, other) = book(id2.clone()).await;
    // Nothing about the address follows from the id: not its hash, not the
    // same id on another sail.
    let gid = first["guest"]["id"].as_str().unwrap().to_string();
    assert_ne!(gid, shipcaptaincrew::secret::hash_key("robin@example.com")[..20]);
    assert_ne!(gid, other["guest"]["id"].as_str().unwrap());
    // Still one active booking per address per sail.
    let (s, b) = book(id1.clone()).await;
    assert_eq!((s, b["error"].clone()), (StatusCode::CONFLICT, json!("already_booked")));

    // Sign, cancel, book again: a new booking; the signed waiver stays on record.
    let url = first["waiver_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap().to_string();
    let sign = Request::post(format!("/api/events/{id1}/guests/{gid}/waiver"))
        .header("x-guest-token", token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"signed_name": "Robin Guest", "accept": true}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(sign).await.0, StatusCode::OK);
    let (s, _) = c
        .call(
            Method::POST,
            &format!("/api/events/{id1}/guests/{gid}/cancel"),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, again) = book(id1.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_ne!(again["guest"]["id"], gid.as_str());
    assert_eq!(again["guest"]["state"], "on_hold");
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id1}"), Some(&admin), None)
        .await;
    let states: Vec<(String, String)> = ev["guests_list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                g["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(states.contains(&(gid.clone(), "cancelled".into())), "{states:?}");
    assert_eq!(ev["booked_guests"], 1, "{ev}");
    let table = c.env["BOSUN_TABLE_CREW"].clone();
    let old = dynamodb()
        .await
        .get_item()
        .table_name(table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(format!("EVENT#{id1}")))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(format!("GUEST#{gid}")))
        .send()
        .await
        .unwrap();
    let item = old.item().expect("the first booking is kept");
    assert_eq!(item["waiver_signed_name"].as_s().unwrap(), "Robin Guest");
    assert!(item.contains_key("waiver_signed_at"));
}

#[tokio::test]
async fn a_link_says_who_it_is_for_without_being_used_up() {
    let c = Crew::new().await;
    c.call(
        Method::POST,
        "/api/invites",
        Some(&c.admin()),
        Some(json!({"email": "peek@example.com", "role": "captain"})),
    )
    .await;
    let code = c.last_code("peek@example.com");
    // Peeking (what the page does before asking) twice uses nothing up.
    for _ in 0..2 {
        let (s, b) = c
            .call(Method::POST, "/api/auth/peek", None, Some(json!({"code": code})))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b, json!({"email": "peek@example.com", "role": "captain"}));
    }
    let (s, b) = c
        .call(Method::POST, "/api/auth/exchange", None, Some(json!({"code": code})))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Used, guessed or expired codes: the same refusal as the exchange gives.
    for guess in [code.as_str(), "AAAAAAAAAAAAAAAAAAAAAA"] {
        let (s, b) = c
            .call(Method::POST, "/api/auth/peek", None, Some(json!({"code": guess})))
            .await;
        assert_eq!(
            (s, b["error"].clone()),
            (StatusCode::UNAUTHORIZED, json!("invalid_code"))
        );
    }
}

fn waivers_item(event: &Value) -> Value {
    event["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["derived"] == "waivers")
        .cloned()
        .unwrap_or_else(|| panic!("no derived waivers item: {event}"))
}

#[tokio::test]
async fn the_waivers_item_follows_the_guests_and_cannot_be_ticked() {
    let c = Crew::new().await;
    let admin = c.admin();
    let e = c.event(&next_year("10-03")).await;
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(waivers_item(&e)["label"], "All guest waivers signed");
    let (_, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/guests"),
            Some(&admin),
            Some(json!({"name": "Sam Guest", "email": "sam@example.com"})),
        )
        .await;
    let url = b["waiver_url"].as_str().unwrap().to_string();
    let (gid, token) = {
        let mut parts = url.rsplit('/');
        let token = parts.next().unwrap().to_string();
        (parts.next().unwrap().to_string(), token)
    };
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    let item = waivers_item(&ev);
    assert_eq!(
        (item["done"].clone(), item["signed"].clone(), item["booked"].clone()),
        (json!(false), json!(0), json!(1))
    );
    // Ticking it by hand is refused: it is the guests' to complete.
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/checklist/{}/check", item["id"].as_str().unwrap()),
            Some(&admin),
            Some(json!({"done": true})),
        )
        .await;
    assert_eq!(
        (s, b["error"].clone()),
        (StatusCode::CONFLICT, json!("derived_item")),
        "{b}"
    );
    let sign = Request::post(format!("/api/events/{id}/guests/{gid}/waiver"))
        .header("x-guest-token", token.as_str())
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"signed_name": "Sam Guest", "accept": true}).to_string(),
        ))
        .unwrap();
    assert_eq!(c.send(sign).await.0, StatusCode::OK);
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    assert_eq!(waivers_item(&ev)["done"], true);
    // Per-event offsets from the create form are kept.
    let (s, custom) = c
        .call(
            Method::POST,
            "/api/events",
            Some(&admin),
            Some(
                json!({"date": next_year("10-04"), "boat": "B", "kind": "k", "guests": 2,
                        "depart_offset_min": -120, "return_offset_min": 15}),
            ),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{custom}");
    assert_eq!(
        (custom["depart_offset_min"].clone(), custom["return_offset_min"].clone()),
        (json!(-120), json!(15))
    );
}

async fn me_status(router: &axum::Router, token: &str) -> StatusCode {
    let req = Request::get("/api/me")
        .header("x-session-token", token)
        .body(Body::empty())
        .unwrap();
    router.clone().oneshot(req).await.unwrap().status()
}

#[tokio::test]
async fn a_rotated_signing_secret_reaches_running_containers_with_a_bounded_overlap() {
    use shipcaptaincrew::keyring::{OVERLAP_SECS, REFRESH_SECS};
    let c = Crew::new().await;
    let before = c.member("rotate@example.com", "crew").await;
    let first = c.app.keys.current_version();
    let header = jsonwebtoken::decode_header(&before).unwrap();
    assert_eq!(
        header.kid,
        Some(first.to_string()),
        "tokens name the version that signed them"
    );

    // Rotate: a new version of the parameter, as an operator would write it.
    ssm()
        .await
        .put_parameter()
        .name(&c.env["BOSUN_SECRET_JWT"])
        .value("3b7e1f9a2c5d8e0b4a6f1c3e5d7b9a2f4e6c8b0d1a3f5e7c9b2d4f6a8c0e1b3d5f7a9c")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .overwrite(true)
        .send()
        .await
        .unwrap();

    // The running container re-reads on its schedule: the old session
    // still works (the overlap), new sessions are signed with the new version.
    c.app.clock.advance(REFRESH_SECS + 1);
    assert_eq!(me_status(&c.router, &before).await, StatusCode::OK);
    assert_eq!(c.app.keys.current_version(), first + 1);
    let after = c.token("rotate@example.com", shipcaptaincrew::auth::Role::Crew);
    assert_eq!(me_status(&c.router, &after).await, StatusCode::OK);

    // A container started after the rotation knows only the new version,
    // and still accepts the previous one's sessions within the overlap.
    let cold = App::start(&sdk_config().await, Config::from_map(&c.env).unwrap(), None)
        .await
        .unwrap();
    let cold_router = shipcaptaincrew::router(cold.clone(), None);
    assert_eq!(me_status(&cold_router, &before).await, StatusCode::OK);
    assert_eq!(me_status(&cold_router, &after).await, StatusCode::OK);

    // After the overlap, the old sessions are refused everywhere.
    c.app.clock.advance(OVERLAP_SECS);
    cold.clock.advance(OVERLAP_SECS + REFRESH_SECS);
    assert_eq!(me_status(&c.router, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&cold_router, &before).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&c.router, &after).await, StatusCode::OK);

    // A token naming a version that does not exist is refused.
    let forged = {
        let keys = shipcaptaincrew::auth::Keys::new(SECRET.as_bytes(), "shipcaptaincrew", "shipcaptaincrew-api")
            .unwrap()
            .with_kid(&(first + 7).to_string());
        keys.issue(
            "rotate@example.com",
            shipcaptaincrew::auth::Role::Admin,
            c.app.clock.now(),
            600,
        )
    };
    assert_eq!(me_status(&c.router, &forged).await, StatusCode::UNAUTHORIZED);
}

/// A token naming the previous signing-secret version, when that version
/// cannot be read (SSM refuses, or it is gone): the read is not made again
/// for every such token, only once the retry window has passed (mocked:
/// the emulator cannot refuse one version of a parameter).
#[tokio::test]
async fn an_unreadable_previous_secret_is_asked_for_once_per_retry_window() {
    use aws_sdk_ssm::operation::get_parameter::{GetParameterError, GetParameterOutput};
    use aws_sdk_ssm::types::Parameter;
    use aws_sdk_ssm::Client;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use shipcaptaincrew::keyring::{KeyRing, Ssm, MISS_RETRY_SECS};
    let now = jiff::Timestamp::now().as_second();
    let current = mock!(Client::get_parameter)
        .match_requests(|r| r.name() == Some("/s/shipcaptaincrew/jwt"))
        .then_output(move || {
            GetParameterOutput::builder()
                .parameter(
                    Parameter::builder()
                        .name("/s/shipcaptaincrew/jwt")
                        .value(SECRET)
                        .version(3)
                        .last_modified_date(aws_sdk_ssm::primitives::DateTime::from_secs(now - 60))
                        .build(),
                )
                .build()
        });
    let previous = mock!(Client::get_parameter)
        .match_requests(|r| r.name() == Some("/s/shipcaptaincrew/jwt:2"))
        .then_error(|| {
            GetParameterError::ParameterVersionNotFound(
                aws_sdk_ssm::types::error::ParameterVersionNotFound::builder()
                    .message("version 2 is gone")
                    .build(),
            )
        });
    let client = mock_client!(aws_sdk_ssm, RuleMode::MatchAny, [&current, &previous]);
    let ssm = Ssm {
        client,
        name: "/s/shipcaptaincrew/jwt".into(),
    };
    let ring = KeyRing::start(ssm, "shipcaptaincrew", "shipcaptaincrew-api", now)
        .await
        .unwrap();
    // A session signed by version 2, within the hour's overlap.
    let old = shipcaptaincrew::auth::Keys::new(
        b"0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b",
        "shipcaptaincrew",
        "shipcaptaincrew-api",
    )
    .unwrap()
    .with_kid("2")
    .issue(ADMIN, shipcaptaincrew::auth::Role::Admin, now, 600);
    for _ in 0..5 {
        assert!(ring.verify(&old, now).await.is_none());
    }
    assert_eq!(previous.num_calls(), 1, "asked once, not once per token");
    assert!(ring.verify(&old, now + MISS_RETRY_SECS).await.is_none());
    assert_eq!(previous.num_calls(), 2, "asked again once the window has passed");
}

/// Inviting a member again under another role is a role change: a
/// captain invited as crew leaves the captain slot in the same write.
#[tokio::test]
async fn an_invite_that_changes_a_role_releases_the_slots_it_no_longer_fits() {
    let c = Crew::new().await;
    let admin = c.admin();
    let cap = c.member("skipper@example.com", "captain").await;
    let e = c.event(&next_year("08-08")).await;
    let id = e["id"].as_str().unwrap().to_string();
    let (s, b) = c
        .call(
            Method::POST,
            &format!("/api/events/{id}/slots/captain/claim"),
            Some(&cap),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = c
        .call(
            Method::POST,
            "/api/invites",
            Some(&admin),
            Some(json!({"email": "skipper@example.com", "role": "crew"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{b}");
    assert_eq!(b["released"][0]["slot"], "captain", "{b}");
    let (_, ev) = c
        .call(Method::GET, &format!("/api/events/{id}"), Some(&admin), None)
        .await;
    assert_eq!(slot_holder(&ev, "captain"), Value::Null);
    let (_, me) = c.call(Method::GET, "/api/me", Some(&cap), None).await;
    assert_eq!(me["role"], "crew");
    // The same role again changes nothing and releases nothing.
    let (s, b) = c
        .call(
            Method::POST,
            "/api/invites",
            Some(&admin),
            Some(json!({"email": "skipper@example.com", "role": "crew"})),
        )
        .await;
    assert_eq!((s, b["released"].clone()), (StatusCode::ACCEPTED, json!([])));
}
