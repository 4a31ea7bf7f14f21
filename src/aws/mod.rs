//! The AWS edge: one `Clients` built once from one `SdkConfig`, and one module
//! per service with a handful of intent-named async functions.
//!
//! This is the only place `SdkError` is matched. Every client carries a call
//! log (an SDK interceptor) so a deploy can report — and tests can assert —
//! exactly how many write calls it made.

pub mod acm;
pub mod cloudfront;
pub mod dynamodb;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod s3;
pub mod ses;
pub mod ssm;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

/// How to reach AWS: resolved from flags, environment and the stack file.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
}

/// One AWS API call bosun made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    pub service: String,
    pub operation: String,
}

impl Call {
    /// Reads are the operations that cannot change anything.
    pub fn is_write(&self) -> bool {
        !["Get", "List", "Describe", "Head"]
            .iter()
            .any(|p| self.operation.starts_with(p))
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.service, self.operation)
    }
}

/// Every operation started through the clients, in order (retries count once:
/// the recorder runs before serialisation, which happens once per operation),
/// with how long each took, retries included. Each call is a few bytes (an
/// index into the distinct operations and a duration), so a 20,000-file
/// sync's log stays small.
#[derive(Debug, Clone, Default)]
pub struct CallLog(Arc<Mutex<Calls>>);

#[derive(Debug, Default)]
struct Calls {
    /// The distinct operations called, in the order first seen.
    ops: Vec<Call>,
    /// Each call: its operation (an index into `ops`) and how long it took
    /// in microseconds (`u32::MAX`: not finished, or over an hour).
    seq: Vec<(u16, u32)>,
}

const UNFINISHED: u32 = u32::MAX;

impl CallLog {
    /// Calls `f` with each call in order, without copying the log.
    pub fn visit(&self, mut f: impl FnMut(&Call)) {
        let log = self.0.lock().expect("call log lock");
        for &(op, _) in &log.seq {
            f(&log.ops[usize::from(op)]);
        }
    }

    /// Time spent in each operation (summed over its calls, so concurrent
    /// calls add up to more than the wall time), slowest first: `(operation,
    /// calls, total)`.
    pub fn busy(&self) -> Vec<(String, usize, Duration)> {
        let log = self.0.lock().expect("call log lock");
        let mut by_op = vec![(0usize, Duration::ZERO); log.ops.len()];
        for &(op, micros) in &log.seq {
            let entry = &mut by_op[usize::from(op)];
            entry.0 += 1;
            if micros != UNFINISHED {
                entry.1 += Duration::from_micros(u64::from(micros));
            }
        }
        let mut out: Vec<_> = log
            .ops
            .iter()
            .zip(by_op)
            .map(|(call, (n, d))| (call.to_string(), n, d))
            .collect();
        out.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));
        out
    }

    /// Logs the start of a call; returns its place in the log.
    fn start(&self, service: &str, operation: &str) -> usize {
        let mut log = self.0.lock().expect("call log lock");
        let op = match log
            .ops
            .iter()
            .position(|c| c.service == service && c.operation == operation)
        {
            Some(i) => i,
            None => {
                log.ops.push(Call {
                    service: service.to_string(),
                    operation: operation.to_string(),
                });
                log.ops.len() - 1
            }
        };
        // bosun calls a few dozen distinct operations, far under u16::MAX.
        let op = u16::try_from(op).unwrap_or(u16::MAX);
        log.seq.push((op, UNFINISHED));
        log.seq.len() - 1
    }

    /// Logs how long the call at `index` took.
    fn finish(&self, index: usize, took: Duration) {
        if let Some(slot) = self.0.lock().expect("call log lock").seq.get_mut(index) {
            slot.1 = u32::try_from(took.as_micros()).unwrap_or(UNFINISHED - 1);
        }
    }
}

#[derive(Debug)]
struct CallRecorder(CallLog);

/// Where a call sits in the log and when it started.
#[derive(Debug, Clone)]
struct CallStart(usize, std::time::Instant);

impl aws_smithy_types::config_bag::Storable for CallStart {
    type Storer = aws_smithy_types::config_bag::StoreReplace<Self>;
}

impl Intercept for CallRecorder {
    fn name(&self) -> &'static str {
        "bosun-call-log"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(meta) = cfg.load::<Metadata>() {
            let index = self.0.start(meta.service(), meta.name());
            cfg.interceptor_state()
                .store_put(CallStart(index, std::time::Instant::now()));
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _context: &aws_smithy_runtime_api::client::interceptors::context::FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(CallStart(index, start)) = cfg.load::<CallStart>().cloned() {
            self.0.finish(index, start.elapsed());
        }
        Ok(())
    }
}

/// Names the account every S3 request expects to own the bucket
/// (`x-amz-expected-bucket-owner`, and `x-amz-source-expected-bucket-owner`
/// on a copy) once the credentials' account is known: a bucket of the same
/// name in another account (one squatting the predictable state-bucket
/// name) answers 403 and receives nothing. Not on CreateBucket, which takes
/// no such parameter, nor ListBuckets, which names no bucket.
#[derive(Debug)]
struct ExpectedOwner(Arc<std::sync::OnceLock<(String, String)>>);

impl Intercept for ExpectedOwner {
    fn name(&self) -> &'static str {
        "bosun-expected-bucket-owner"
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some((account, _)) = self.0.get() else {
            return Ok(());
        };
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_string()).unwrap_or_default();
        if matches!(operation.as_str(), "CreateBucket" | "ListBuckets") {
            return Ok(());
        }
        let headers = context.request_mut().headers_mut();
        headers.insert("x-amz-expected-bucket-owner", account.clone());
        if operation == "CopyObject" {
            headers.insert("x-amz-source-expected-bucket-owner", account.clone());
        }
        Ok(())
    }
}

/// The service clients, built once.
#[derive(Debug, Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub iam: aws_sdk_iam::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sts: aws_sdk_sts::Client,
    pub s3: aws_sdk_s3::Client,
    pub cloudfront: aws_sdk_cloudfront::Client,
    /// ACM in us-east-1, where CloudFront takes viewer certificates from.
    pub acm: aws_sdk_acm::Client,
    pub sesv2: aws_sdk_sesv2::Client,
    /// S3 for the stack's state bucket (releases, lock), with its own call
    /// log: bookkeeping writes are counted apart from the resources' writes.
    pub state_s3: aws_sdk_s3::Client,
    pub state_log: CallLog,
    pub events: aws_sdk_eventbridge::Client,
    pub ssm: aws_sdk_ssm::Client,
    pub region: String,
    /// The stack these clients deploy (names bosun-managed resources).
    pub stack: String,
    pub log: CallLog,
    /// The loaded configuration (credentials provider, endpoint override).
    pub config: aws_config::SdkConfig,
    /// The credentials' account and partition, once read (`identity`).
    identity: Arc<std::sync::OnceLock<(String, String)>>,
}

impl Clients {
    /// Loads the SDK configuration (standard credential chain, `AWS_ENDPOINT_URL`
    /// honoured) with bosun's overrides, bounded retries and timeouts.
    pub async fn connect(settings: &AwsSettings, stack: &str) -> Result<Clients, AwsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(5))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .operation_attempt_timeout(Duration::from_secs(120))
                    .operation_timeout(Duration::from_secs(600))
                    .build(),
            );
        if let Some(region) = &settings.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &settings.profile {
            // `profile_name` alone only picks the profile for the profile
            // provider: the default chain still prefers AWS_ACCESS_KEY_ID
            // from the environment, so a CI runner with keys in its
            // environment would deploy to that account. --profile means
            // this profile's credentials, whatever else is set.
            //
            // The provider gets the region explicitly: an assume-role or
            // web-identity profile calls STS, which needs one (the loader
            // hands its region only to providers it builds itself).
            let region = match &settings.region {
                Some(r) => Some(Region::new(r.clone())),
                None => {
                    aws_config::default_provider::region::DefaultRegionChain::builder()
                        .profile_name(profile)
                        .build()
                        .region()
                        .await
                }
            };
            let provider_config = aws_config::provider_config::ProviderConfig::default().with_region(region);
            loader = loader.profile_name(profile).credentials_provider(
                aws_config::profile::ProfileFileCredentialsProvider::builder()
                    .profile_name(profile)
                    .configure(&provider_config)
                    .build(),
            );
        }
        if let Some(url) = &settings.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        let conf = loader.load().await;
        let region = conf.region().map(|r| r.to_string()).ok_or_else(|| AwsError {
            operation: "configure",
            resource: "region".into(),
            message: "no AWS region is set".into(),
            code: None,
            help: Some("pass --region, set AWS_REGION, or add region = \"...\" to [stack]".into()),
        })?;
        Ok(Clients::from_conf(&conf, region, stack))
    }

    /// Builds the clients from an existing config (tests use this with mocks too).
    pub fn from_conf(conf: &aws_config::SdkConfig, region: String, stack: &str) -> Clients {
        let log = CallLog::default();
        let recorder = || CallRecorder(log.clone());
        let state_log = CallLog::default();
        let identity: Arc<std::sync::OnceLock<(String, String)>> = Arc::default();
        let s3_config = || {
            aws_sdk_s3::config::Builder::from(conf)
                .interceptor(ExpectedOwner(identity.clone()))
                .force_path_style(conf.endpoint_url().is_some())
                // Uploads carry Content-MD5 of the bytes bosun hashed, so S3
                // itself verifies them; no second (CRC) checksum is computed.
                .request_checksum_calculation(aws_sdk_s3::config::RequestChecksumCalculation::WhenRequired)
        };
        Clients {
            lambda: aws_sdk_lambda::Client::from_conf(
                aws_sdk_lambda::config::Builder::from(conf)
                    .interceptor(recorder())
                    .build(),
            ),
            iam: aws_sdk_iam::Client::from_conf(
                aws_sdk_iam::config::Builder::from(conf).interceptor(recorder()).build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                aws_sdk_dynamodb::config::Builder::from(conf)
                    .interceptor(recorder())
                    .build(),
            ),
            sts: aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(conf).interceptor(recorder()).build(),
            ),
            // A custom endpoint (an emulator, MinIO, a VPC endpoint) needs
            // path-style addressing; AWS's own endpoints take virtual-host style.
            s3: aws_sdk_s3::Client::from_conf(s3_config().interceptor(recorder()).build()),
            state_s3: aws_sdk_s3::Client::from_conf(s3_config().interceptor(CallRecorder(state_log.clone())).build()),
            state_log,
            cloudfront: aws_sdk_cloudfront::Client::from_conf(
                aws_sdk_cloudfront::config::Builder::from(conf)
                    .interceptor(recorder())
                    .build(),
            ),
            acm: aws_sdk_acm::Client::from_conf(
                aws_sdk_acm::config::Builder::from(conf)
                    .region(Region::new("us-east-1"))
                    .interceptor(recorder())
                    .build(),
            ),
            sesv2: aws_sdk_sesv2::Client::from_conf(
                aws_sdk_sesv2::config::Builder::from(conf)
                    .interceptor(recorder())
                    .build(),
            ),
            events: aws_sdk_eventbridge::Client::from_conf(
                aws_sdk_eventbridge::config::Builder::from(conf)
                    .interceptor(recorder())
                    .build(),
            ),
            ssm: aws_sdk_ssm::Client::from_conf(
                aws_sdk_ssm::config::Builder::from(conf).interceptor(recorder()).build(),
            ),
            region,
            stack: stack.to_string(),
            log,
            config: conf.clone(),
            identity,
        }
    }

    /// The endpoint override (`--endpoint-url` / AWS_ENDPOINT_URL), if any.
    pub fn endpoint(&self) -> Option<String> {
        self.config.endpoint_url().map(str::to_string)
    }

    /// The credentials these clients sign with, resolved now (profile, SSO,
    /// web identity or environment alike).
    pub async fn credentials(&self) -> Result<aws_sdk_sts::config::Credentials, String> {
        use aws_sdk_sts::config::ProvideCredentials;
        let provider = self
            .config
            .credentials_provider()
            .ok_or("no AWS credentials are configured")?;
        provider.provide_credentials().await.map_err(|e| e.to_string())
    }

    /// The account the credentials belong to, and its partition (asked of
    /// STS once per run).
    pub async fn identity(&self) -> Result<(String, String), AwsError> {
        if let Some(known) = self.identity.get() {
            return Ok(known.clone());
        }
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("sts:GetCallerIdentity", "caller", e))?;
        let account = out
            .account()
            .map(str::to_string)
            .ok_or_else(|| AwsError::missing("sts:GetCallerIdentity", "caller", "Account"))?;
        let partition = out
            .arn()
            .and_then(|arn| arn.split(':').nth(1))
            .unwrap_or("aws")
            .to_string();
        Ok(self.identity.get_or_init(|| (account, partition)).clone())
    }
}

/// A failed AWS operation, naming the operation and the resource.
#[derive(Debug, Clone, thiserror::Error)]
pub struct AwsError {
    pub operation: &'static str,
    pub resource: String,
    pub message: String,
    /// The service's error code, e.g. `ResourceConflictException`.
    pub code: Option<String>,
    pub help: Option<String>,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {} failed: {}", self.operation, self.resource, self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n      help: {help}")?;
        }
        Ok(())
    }
}

impl AwsError {
    pub fn from_sdk<E>(operation: &'static str, resource: &str, err: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = err.code().map(str::to_string);
        let help = match code.as_deref() {
            Some("AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation") => Some(
                "the credentials in use lack this permission; `bosun policy` prints the policy a deployer needs for this stack".into(),
            ),
            None if err.raw_response().is_some_and(|r| r.status().as_u16() == 403) => Some(
                "HTTP 403: most likely the credentials in use lack this permission; `bosun policy` prints the policy a deployer needs for this stack".into(),
            ),
            Some("ExpiredToken" | "ExpiredTokenException" | "InvalidClientTokenId") => {
                Some("refresh the AWS credentials (e.g. aws sso login) and run again".into())
            }
            _ if matches!(err, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) => Some(
                "AWS could not be reached; check the network, --endpoint-url / AWS_ENDPOINT_URL, and run again (every step is safe to retry)".into(),
            ),
            _ => None,
        };
        // A modeled error without metadata (a mocked one) still displays its
        // message; an unmodeled one displays as "unhandled error".
        let modeled = err
            .as_service_error()
            .map(|e| e.to_string())
            .filter(|m| !m.is_empty() && !m.starts_with("unhandled error"));
        let message = match (err.message(), err.raw_response()) {
            (Some(m), _) => format!("{}: {m}", code.as_deref().unwrap_or("error")),
            (None, _) if modeled.as_deref().is_some_and(|m| !m.is_empty()) => modeled.unwrap_or_default(),
            // An answer that is not the service's error shape (a proxy, an
            // emulator without the API): the status says more than a parse error.
            (None, Some(raw)) if code.is_none() => {
                tracing::debug!(operation, resource, error = %DisplayErrorContext(&err), "unrecognised response");
                format!("unrecognised response, HTTP {}", raw.status().as_u16())
            }
            (None, _) => DisplayErrorContext(&err).to_string(),
        };
        AwsError {
            operation,
            resource: resource.to_string(),
            message,
            code,
            help,
        }
    }

    /// A request that could not be built (a required field missing): a bug
    /// in bosun or a value validation missed, named with its operation.
    pub fn build(operation: &'static str, resource: &str, err: impl fmt::Display) -> AwsError {
        AwsError {
            operation,
            resource: resource.to_string(),
            message: format!("could not build the request: {err}"),
            code: None,
            help: None,
        }
    }

    /// A response lacked a field AWS documents as present.
    pub fn missing(operation: &'static str, resource: &str, field: &str) -> AwsError {
        AwsError {
            operation,
            resource: resource.to_string(),
            message: format!("the response has no {field}"),
            code: None,
            help: None,
        }
    }

    pub fn waiter(operation: &'static str, resource: &str, err: impl fmt::Debug) -> AwsError {
        AwsError {
            operation,
            resource: resource.to_string(),
            message: format!("waiting did not succeed: {err:?}"),
            code: None,
            help: Some("the resource may still be settling; run the deploy again".into()),
        }
    }
}

/// Parses a policy document as IAM returns it: URL-encoded JSON on the real
/// service, plain JSON from some emulators.
pub fn decode_policy(raw: &str) -> Option<serde_json::Value> {
    serde_json::from_str(raw).ok().or_else(|| {
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8().ok()?;
        serde_json::from_str(&decoded).ok()
    })
}

/// Spaces calls at least `interval` apart (the first goes at once).
pub struct Pacer {
    interval: std::time::Duration,
    last: Option<tokio::time::Instant>,
}

impl Pacer {
    pub fn new(interval: std::time::Duration) -> Pacer {
        Pacer { interval, last: None }
    }

    pub async fn tick(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.interval).await;
        }
        self.last = Some(tokio::time::Instant::now());
    }
}
