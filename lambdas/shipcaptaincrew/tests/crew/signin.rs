//! Signing in: open routes and JSON errors, CORS, magic links (used once,
//! expired, guessed, asked about without being used), the answer that
//! comes before the link is written or mailed, tokens and secrets.

use super::*;

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
