//! The frontend in a browser: the real binary serves it under bosun's
//! security headers, headless Chromium follows a magic link and claims.

use super::*;

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
