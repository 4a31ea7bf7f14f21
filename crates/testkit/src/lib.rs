//! The emulator harness every test binary of the workspace shares (a
//! dev-dependency only): one moto server per test binary on a free
//! 127.0.0.1 port, started by `scripts/emulator.py` and stopped when the
//! binary exits; the SDK configuration pointed at it with dummy
//! credentials; unique names; the repository's paths.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

pub const REGION: &str = "us-west-2";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// One moto server for this test binary, on a free 127.0.0.1 port. It is
/// started with `--lifeline`: when this process exits, its stdin closes and
/// the emulator stops, so no test run leaves one behind.
pub struct Emulator {
    pub endpoint: String,
    _child: Mutex<Child>,
}

pub fn emulator() -> &'static Emulator {
    static EMULATOR: OnceLock<Emulator> = OnceLock::new();
    EMULATOR.get_or_init(|| start_emulator(&[]))
}

/// Another emulator of this test's own, with extra environment (e.g.
/// INITIAL_NO_AUTH_ACTION_COUNT, which makes moto enforce IAM).
pub fn start_emulator(env: &[(&str, &str)]) -> Emulator {
    let mut child = Command::new("python3")
        .arg(root().join("scripts/emulator.py"))
        .args(["serve", "--lifeline"])
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start scripts/emulator.py (needs python3)");
    let stdout = child.stdout.take().expect("emulator stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the emulator's ready line");
    let endpoint = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("emulator did not start: {line:?}"))
        .to_string();
    Emulator {
        endpoint,
        _child: Mutex::new(child),
    }
}

/// The SDK configuration for this binary's emulator (dummy credentials).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(&emulator().endpoint)
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

pub async fn ssm() -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::new(&sdk_config().await)
}

pub async fn dynamodb() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(&sdk_config().await)
}

/// A unique name per test, so tests share one emulator without colliding.
pub fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id() % 100_000,
        N.fetch_add(1, Ordering::SeqCst)
    )
}

/// The Python of the browser test's venv (Selenium; `scripts/browser.py install`).
pub fn browser_python() -> String {
    let out = Command::new("python3")
        .arg(root().join("scripts/browser.py"))
        .arg("python")
        .output()
        .expect("run scripts/browser.py python");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}
