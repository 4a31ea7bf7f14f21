//! The request path as AWS runs it: stacks deployed to the emulator and
//! reached only through the local edge (`scripts/edge.py`), which serves a
//! distribution as CloudFront's documentation says (behaviours, the
//! viewer-request function, origin access control, bucket and function
//! resource policies, the function-URL event, response headers policies)
//! and answers API requests with the zip the alias points at, as deployed.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::util::*;

/// A local edge for one distribution, stopped when dropped.
pub struct Edge {
    pub url: String,
    child: Child,
}

impl Edge {
    pub fn start(distribution: &str) -> Edge {
        let mut child = Command::new("python3")
            .arg(root().join("scripts/emulator.py"))
            .args(["edge", distribution, "--foreground", "--lifeline", "--endpoint"])
            .arg(&emulator().endpoint)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start scripts/emulator.py edge");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("the edge did not start: {line:?}"))
            .to_string();
        Edge { url, child }
    }

    /// One request (HTTP/1.1, `Connection: close`): status, headers (names
    /// lower-cased), body.
    pub fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Answer {
        let addr = self.url.trim_start_matches("http://");
        let mut conn = std::net::TcpStream::connect(addr).expect("connect to the edge");
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: d111111abcdef8.cloudfront.net\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        conn.write_all(head.as_bytes()).unwrap();
        conn.write_all(body).unwrap();
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).unwrap();
        let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
        let head = String::from_utf8_lossy(&raw[..split]).to_string();
        let mut lines = head.lines();
        let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Answer {
            status,
            headers,
            body: raw[split + 4..].to_vec(),
        }
    }

    /// A JSON POST (with its SHA-256) from the viewer address `ip` (any
    /// of 127.0.0.0/8: a connection bound there before it connects).
    pub async fn post_json_from(&self, ip: &str, path: &str, body: &Value) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let body = body.to_string();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{ip}:0").parse().unwrap()).unwrap();
        let mut conn = socket
            .connect(self.url.trim_start_matches("http://").parse().unwrap())
            .await
            .unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: d111111abcdef8.cloudfront.net\r\nConnection: close\r\ncontent-type: application/json\r\nx-amz-content-sha256: {}\r\nContent-Length: {}\r\n\r\n{body}",
            sha256_hex(body.as_bytes()),
            body.len()
        );
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut raw = String::new();
        conn.read_to_string(&mut raw).await.unwrap();
        raw.split(' ').nth(1).unwrap().parse().unwrap()
    }

    pub fn get(&self, path: &str, headers: &[(&str, &str)]) -> Answer {
        self.send("GET", path, headers, b"")
    }

    /// A JSON POST with the body's SHA-256, as the frontend sends it.
    pub fn post_json(&self, path: &str, body: &Value, headers: &[(&str, &str)]) -> Answer {
        let body = body.to_string();
        let hash = sha256_hex(body.as_bytes());
        let mut all = vec![
            ("content-type", "application/json"),
            ("x-amz-content-sha256", hash.as_str()),
        ];
        all.extend_from_slice(headers);
        self.send("POST", path, &all, body.as_bytes())
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The demo stack's text as a test's own: its name, the test build profile,
/// its own bucket (`NAME-site`) and SES configuration set (verify-ses
/// --create of two stacks at once would race for one), absolute paths.
pub fn as_test_stack(demo: &str, name: &str) -> String {
    demo.replace(
        "name = \"queenofsandiego\"",
        &format!("name = \"{name}\"\ncargo_profile = \"{TEST_PROFILE}\""),
    )
    .replace(
        "bucket = \"queenofsandiego-tools-example\"",
        &format!("bucket = \"{name}-site\""),
    )
    .replace("\"queenofsandiego-reports\"", &format!("\"{name}-reports\""))
    .replace("\"../lambdas/", &format!("\"{}/", root().join("lambdas").display()))
    .replace("\"data/", &format!("\"{}/", root().join("stacks/data").display()))
}

/// The demo stack as `scripts/demo` deploys it, under its own name and
/// bucket, built with the test profile: deployed once for this module.
pub struct Demo {
    pub distribution: String,
    _dir: tempfile::TempDir,
}

pub async fn demo() -> &'static Demo {
    static DEMO: OnceCell<Demo> = OnceCell::const_new();
    DEMO.get_or_init(|| async {
        let name = unique("edge");
        let text = as_test_stack(
            &std::fs::read_to_string(root().join("stacks/queenofsandiego.toml")).unwrap(),
            &name,
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo.toml");
        std::fs::write(&path, text).unwrap();
        let path = path.to_string_lossy().into_owned();
        let ses = bosun(&["--stack", &path, "--output", "json", "verify-ses", "--create"]);
        assert_eq!(ses.code, 0, "{ses:?}");
        let deploy = bosun(&["--stack", &path, "--output", "json", "deploy", "all"]);
        assert_eq!(deploy.code, 0, "{deploy:?}");
        let distribution = distribution_of(&name, "shipcaptaincrew").await;
        Demo {
            distribution,
            _dir: dir,
        }
    })
    .await
}

/// Mail SES accepted for `to` (the emulator keeps it), newest last.
pub fn mail_to(to: &str) -> Vec<Value> {
    let addr = emulator().endpoint.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "GET /moto-api/bosun-rules/mail?region={REGION} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    conn.read_to_string(&mut raw).unwrap();
    let body = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
    let all: Vec<Value> = serde_json::from_str(body).unwrap();
    all.into_iter()
        .filter(|m| m["to"].as_array().unwrap().iter().any(|a| a == to))
        .collect()
}

/// The mail to `to` once there are `count` messages (at most 20 s).
fn wait_for_mail(to: &str, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let mails = mail_to(to);
        if mails.len() >= count || std::time::Instant::now() > deadline {
            assert_eq!(mails.len(), count, "{count} messages to {to}");
            return mails;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A session for `email` through the edge, the way a member gets one: a
/// link asked for, read from the mail, its code exchanged.
fn sign_in(edge: &Edge, email: &str) -> String {
    let before = mail_to(email).len();
    let asked = edge.post_json("/api/auth/request", &json!({ "email": email }), &[]);
    assert!(asked.status == 200 || asked.status == 202, "{asked:?}");
    // The link is mailed after the answer (the function's extension phase).
    let mails = wait_for_mail(email, before + 1);
    let body = mails.last().unwrap()["body"].as_str().unwrap().to_string();
    let code: String = body
        .split("#/auth/")
        .nth(1)
        .expect("a sign-in link")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let exchanged = edge.post_json("/api/auth/exchange", &json!({ "code": code }), &[]);
    assert_eq!(exchanged.status, 200, "{}", exchanged.text());
    exchanged.json()["token"].as_str().unwrap().to_string()
}

/// The demo's tests sign in as its one admin, whose mail they read: one at a time.
static ADMIN_MAIL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Every rule on the deployed demo's path, as a viewer meets it.
#[tokio::test(flavor = "multi_thread")]
async fn the_deployed_demo_answers_through_the_edge_as_on_aws() {
    let demo = demo().await;
    let _admin = ADMIN_MAIL.lock().await;
    let edge = Edge::start(&demo.distribution);

    // The site: the default root object, through the origin access control,
    // with the security headers.
    let page = edge.get("/", &[]);
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains("<html"), "{}", page.text());
    let csp = bosun::aws::cloudfront::CONTENT_SECURITY_POLICY;
    assert_eq!(page.header("content-security-policy"), Some(csp));
    // A folder URL serves its index.html (the viewer-request function, run).
    assert_eq!(edge.get("/guest.html", &[]).status, 200);
    // A missing page is a 404 (the distribution may list the bucket), not
    // S3's 403.
    let missing = edge.get("/no-such-page.html", &[]);
    assert_eq!(missing.status, 404, "{}", missing.text());
    assert!(missing.text().contains("NoSuchKey"), "{}", missing.text());
    // bosun's own files are never served.
    let manifest = edge.get("/.bosun/manifest.json", &[]);
    assert_eq!(manifest.status, 403, "{}", manifest.text());

    // The API: security headers there too; the session only in its own
    // header (the origin access control overwrites Authorization).
    let config = edge.get("/api/config", &[]);
    assert_eq!(config.status, 200, "{}", config.text());
    for (name, value) in bosun::aws::cloudfront::security_headers() {
        assert_eq!(
            config.header(&name.to_ascii_lowercase()),
            Some(value.as_str()),
            "{name} on /api/config"
        );
    }
    let token = sign_in(&edge, shipcaptaincrew_admin());
    let me = edge.get("/api/me", &[("x-session-token", &token)]);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], shipcaptaincrew_admin());
    let bearer = format!("Bearer {token}");
    let as_bearer = edge.get("/api/me", &[("authorization", &bearer)]);
    assert_eq!(as_bearer.status, 401, "{}", as_bearer.text());

    // A POST without its body's SHA-256 is refused before the function runs.
    let body = json!({"email": "nobody@example.com"}).to_string();
    let unsigned = edge.send(
        "POST",
        "/api/auth/request",
        &[("content-type", "application/json")],
        body.as_bytes(),
    );
    assert_eq!(unsigned.status, 403, "{}", unsigned.text());
    let wrong = edge.send(
        "POST",
        "/api/auth/request",
        &[
            ("content-type", "application/json"),
            ("x-amz-content-sha256", &sha256_hex(b"{}")),
        ],
        body.as_bytes(),
    );
    assert_eq!(wrong.status, 403, "{}", wrong.text());
}

/// Behind the distribution the function sees every request come from the
/// edge (`sourceIp`); the sign-in limits count the viewer's address, which
/// bosun's origin request policy forwards (CloudFront-Viewer-Address): one
/// viewer using up its link requests leaves another's untouched.
#[tokio::test(flavor = "multi_thread")]
async fn the_sign_in_limits_count_each_viewer_not_the_edge() {
    let demo = demo().await;
    let edge = Edge::start(&demo.distribution);
    let limit = shipcaptaincrew::config::Limits::default().per_ip;
    let ask = |ip: &'static str, i: i64| {
        let edge = &edge;
        async move {
            let email = format!("viewer{i}-{}@example.com", ip.replace('.', "-"));
            edge.post_json_from(ip, "/api/auth/request", &json!({ "email": email }))
                .await
        }
    };
    for i in 0..limit {
        assert_eq!(ask("127.0.0.2", i).await, 202, "request {i} of the first viewer");
    }
    assert_eq!(ask("127.0.0.2", limit).await, 429, "the first viewer is over its limit");
    assert_eq!(
        ask("127.0.0.3", 0).await,
        202,
        "another viewer behind the same edge is not"
    );
}

fn shipcaptaincrew_admin() -> &'static str {
    "admin@example.com"
}

/// The ShipCaptainCrew browser test, through the edge against the deployed
/// demo: the admin and the crew member sign in from mailed links, an event
/// is created, the member confirms, sees it and claims a slot, and page and
/// API answers carry the security headers.
#[tokio::test(flavor = "multi_thread")]
async fn a_browser_uses_the_deployed_crew_app_through_the_edge() {
    let demo = demo().await;
    let _admin = ADMIN_MAIL.lock().await;
    let edge = Edge::start(&demo.distribution);
    let shot = root().join("target/shipcaptaincrew-edge.png");
    let out = tokio::process::Command::new(browser_python())
        .arg(root().join("scripts/e2e_browser.py"))
        .args(["--base-url", &edge.url, "--admin-email", shipcaptaincrew_admin()])
        .args(["--mail-endpoint", &emulator().endpoint, "--region", REGION])
        .args(["--csp", bosun::aws::cloudfront::CONTENT_SECURITY_POLICY])
        .arg("--screenshot")
        .arg(&shot)
        .output()
        .await
        .expect("run scripts/e2e_browser.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success()
            && stdout.contains("e2e: ok")
            && stdout.contains("the same session sent as Authorization: Bearer is refused")
            && stdout.contains("the member sees the slot as theirs")
            && stdout.contains("the guest signed the waiver")
            && stdout.contains("page and API served with the security headers"),
        "browser test through the edge failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A site stack of its own (no functions), for rules that change what is
/// deployed.
async fn site_stack() -> (TestStack, String, String) {
    let name = unique("edgesite");
    let bucket = format!("{name}-b");
    let stack = TestStack::new(
        &name,
        &format!(
            "[frontends.web]\ndir = \"site\"\nbucket = \"{bucket}\"\nprefix = \"web/\"\ndistribution = \"managed\"\n"
        ),
    );
    write_files(
        &stack.dir.path().join("site"),
        &[
            ("index.html", b"<html>home</html>"),
            ("docs/index.html", b"<html>docs</html>"),
        ],
    );
    let deploy = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(deploy.code, 0, "{deploy:?}");
    let distribution = distribution_of(&name, "web").await;
    (stack, bucket, distribution)
}

/// The bucket policy is evaluated as S3 does: a grant for another
/// distribution lets this one read nothing (403), and folder URLs are
/// served by the function bosun attached.
#[tokio::test(flavor = "multi_thread")]
async fn the_bucket_policy_decides_what_the_distribution_may_read() {
    let (_stack, bucket, distribution) = site_stack().await;
    let edge = Edge::start(&distribution);
    assert_eq!(edge.get("/", &[]).text(), "<html>home</html>");
    assert_eq!(
        edge.get("/docs/", &[]).text(),
        "<html>docs</html>",
        "the viewer-request function ran"
    );

    let s3 = s3().await;
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let original = policy.policy().unwrap().to_string();
    let other = original.replace(&distribution, "EOTHERDISTRIBUTION");
    assert_ne!(other, original);
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(&other)
        .send()
        .await
        .unwrap();
    let denied = edge.get("/", &[]);
    assert_eq!(denied.status, 403, "{}", denied.text());
    assert!(denied.text().contains("AccessDenied"));
    // Without s3:ListBucket a missing key is a 403 too, never a 404.
    let get_only = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{bucket}/web/*"),
        "Condition": {"StringEquals": {"AWS:SourceArn": format!("arn:aws:cloudfront::123456789012:distribution/{distribution}")}}
    }]});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(get_only.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(edge.get("/", &[]).status, 200);
    assert_eq!(edge.get("/missing.html", &[]).status, 403);
}

/// The demo stack with a second copy of the crew function (`crew2`), under
/// its own name and bucket; `api` names the function behind `/api/*`.
fn two_api_stack(name: &str, api: &str) -> String {
    let demo = std::fs::read_to_string(root().join("stacks/queenofsandiego.toml")).unwrap();
    let start = demo.find("[functions.shipcaptaincrew]").unwrap();
    let end = demo.find("\n[frontends.shipcaptaincrew]").unwrap() + 1;
    let copy = demo[start..end].replace("functions.shipcaptaincrew", "functions.crew2");
    let text = as_test_stack(&format!("{}{copy}{}", &demo[..end], &demo[end..]), name).replace(
        "api = { function = \"shipcaptaincrew\"",
        &format!("api = {{ function = \"{api}\""),
    );
    assert!(text.contains(&format!("api = {{ function = \"{api}\"")));
    text
}

/// An API moved to another function on a live distribution: while the
/// change spreads to the edge locations some serve the new configuration
/// and some the old, and not one request through the edge fails, because
/// bosun grants before it routes and revokes only once nothing routes to
/// the old function and the distribution is Deployed (a later deploy).
#[tokio::test(flavor = "multi_thread")]
async fn an_api_change_on_a_live_distribution_fails_no_request() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let name = unique("edgeapi");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stack.toml");
    let stack = path.to_string_lossy().into_owned();
    std::fs::write(&path, two_api_stack(&name, "shipcaptaincrew")).unwrap();
    let ses = bosun(&["--stack", &stack, "verify-ses", "--create"]);
    assert_eq!(ses.code, 0, "{ses:?}");
    let first = bosun(&["--stack", &stack, "deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    let distribution = distribution_of(&name, "shipcaptaincrew").await;
    // Each update takes 3 s to reach every edge location, and its answer
    // comes half a second after edge locations may start serving it.
    rules(json!({"deploy_seconds": 3, "distribution": distribution}));
    rules(json!({"update_latency_seconds": 0.5, "distribution": distribution}));
    let edge = Arc::new(Edge::start(&distribution));
    assert_eq!(edge.get("/api/config", &[]).status, 200);

    // Viewers keep asking while the API moves to crew2 (until `_stopped`
    // is dropped, also when an assertion fails first).
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let _stopped = StopOnDrop(stop.clone());
    let viewers = {
        let (edge, stop) = (edge.clone(), stop.clone());
        tokio::task::spawn_blocking(move || {
            let (mut asked, mut failed) = (0, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let answer = edge.get("/api/config", &[]);
                asked += 1;
                if answer.status != 200 {
                    failed.push(format!("{} {}", answer.status, answer.text()));
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            (asked, failed)
        })
    };
    std::fs::write(&path, two_api_stack(&name, "crew2")).unwrap();
    let moved = {
        let stack = stack.clone();
        tokio::task::spawn_blocking(move || bosun(&["--stack", &stack, "--output", "json", "deploy", "all"]))
            .await
            .unwrap()
    };
    assert_eq!(moved.code, 0, "{moved:?}");
    // Until the change has reached every edge location, and a little after.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    stop.store(true, Ordering::Relaxed);
    let (asked, failed) = viewers.await.unwrap();
    assert!(asked >= 5, "the viewers asked {asked} times");
    assert!(
        failed.is_empty(),
        "{} of {asked} requests failed during the change, the first: {:?}",
        failed.len(),
        &failed[..failed.len().min(3)]
    );

    let writes = moved.write_calls();
    assert!(
        !writes.iter().any(|w| w == "Lambda:RemovePermission"),
        "nothing revoked while routed: {writes:?}"
    );
    let deferred = moved
        .events()
        .into_iter()
        .filter(|e| e["event"] == "warning")
        .any(|e| e.to_string().contains("a later deploy removes it"));
    assert!(
        deferred,
        "the deploy says the old permissions wait: {:?}",
        moved.events()
    );

    // Deployed and no longer routed: the next deploy revokes the old grant,
    // and the one after writes nothing.
    let revoke = bosun(&["--stack", &stack, "--output", "json", "deploy", "all"]);
    assert_eq!(revoke.code, 0, "{revoke:?}");
    assert_eq!(revoke.count_writes("RemovePermission"), 2, "{:?}", revoke.write_calls());
    assert_eq!(edge.get("/api/config", &[]).status, 200);
    let statements = policy_statements(&format!("{name}-shipcaptaincrew"), "live").await;
    assert!(
        !statements
            .iter()
            .any(|s| s.to_string().contains("cloudfront.amazonaws.com")),
        "{statements:?}"
    );
    let again = bosun(&["--stack", &stack, "--output", "json", "deploy", "all"]);
    assert_eq!(again.write_calls(), Vec::<String>::new());
}
