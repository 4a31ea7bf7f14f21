//! Requests as the function URL and the distribution hand them over: a
//! body's SHA-256 behind origin access control, and the rate limits by
//! client address (the viewer's, behind the distribution), sliding
//! windows and IPv6 /48s.

use super::*;

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
