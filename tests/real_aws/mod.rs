//! Rules real AWS enforces and moto alone does not. The emulator runs with
//! scripts/aws_rules.py, which adds them; each test here failed against the
//! code before it was made to follow the rule.

use serde_json::{json, Value};

use crate::util::*;

fn function_with_url(bin: &std::path::Path, auth: &str) -> String {
    format!(
        "[functions.app]\nbinary = \"{}\"\nurl = {{ auth = \"{auth}\" }}\n",
        bin.display()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_public_url_gets_both_statements_and_an_older_one_gets_the_second() {
    let stack = TestStack::new(&unique("url"), "");
    let bin = stack.binary("exec-reports", "app.bin");
    stack.write(&function_with_url(&bin, "none"));
    let first = stack.bosun(&["deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    let function = format!("{}-app", stack.name);
    url_is_public(&policy_statements(&function, "live").await).unwrap();

    // A URL made before October 2025 has only lambda:InvokeFunctionUrl.
    lambda()
        .await
        .remove_permission()
        .function_name(&function)
        .qualifier("live")
        .statement_id(bosun::model::names::PUBLIC_INVOKE_SID)
        .send()
        .await
        .unwrap();
    let err = url_is_public(&policy_statements(&function, "live").await).unwrap_err();
    assert!(err.contains("InvokedViaFunctionUrl"), "{err}");
    let fix = stack.bosun(&["deploy", "all"]);
    assert_eq!(fix.code, 0, "{fix:?}");
    assert_eq!(
        fix.write_calls(),
        ["Lambda:AddPermission"],
        "only the missing statement"
    );
    url_is_public(&policy_statements(&function, "live").await).unwrap();
    assert_eq!(stack.bosun(&["deploy", "all"]).write_calls(), Vec::<String>::new());

    // aws-iam: both public statements go.
    stack.write(&function_with_url(&bin, "aws-iam"));
    let private = stack.bosun(&["deploy", "all"]);
    assert_eq!(private.code, 0, "{private:?}");
    let left: Vec<Value> = policy_statements(&function, "live").await;
    assert!(
        !left
            .iter()
            .any(|s| s["Sid"].as_str().unwrap_or("").starts_with("bosun-public-url")),
        "{left:?}"
    );
}

/// A managed frontend whose `index.html` says `text`.
fn site(stack: &TestStack, bucket: &str, text: &str) {
    write_files(
        &stack.dir.path().join("site"),
        &[("index.html", format!("<h1>{text}</h1>").as_bytes())],
    );
    stack.write(&format!(
        "[frontends.web]\ndir = \"site\"\nbucket = \"{bucket}\"\ndistribution = \"managed\"\n"
    ));
}

/// The invalidation id a run created (from its `applied` event).
fn invalidation_id(run: &Run) -> String {
    run.events()
        .iter()
        .find_map(|e| e["invalidation"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no invalidation: {run:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn every_transition_invalidates_even_back_and_forth_and_repeated_rollbacks() {
    let stack = TestStack::new(&unique("flip"), "");
    let bucket = format!("{}-site", stack.name);
    site(&stack, &bucket, "A");
    let first = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(first.code, 0, "{first:?}");
    let release_a = first.result()["release"].as_str().unwrap().to_string();
    let dist = distribution_of(&stack.name, "web").await;

    // A→B→A→B: CloudFront answers a repeated CallerReference with the
    // earlier invalidation, so each transition needs its own reference.
    let mut ids = Vec::new();
    for text in ["B", "A", "B"] {
        site(&stack, &bucket, text);
        let run = stack.bosun(&["deploy", "frontend"]);
        assert_eq!(run.code, 0, "{run:?}");
        assert_eq!(run.count_writes("CreateInvalidation"), 1);
        ids.push(invalidation_id(&run));
    }
    // Rolling back to the same release twice (with a roll-forward between).
    let mut rollbacks = Vec::new();
    for _ in 0..2 {
        let back = stack.bosun(&["rollback", "--to", &release_a]);
        assert_eq!(back.code, 0, "{back:?}");
        ids.push(invalidation_id(&back));
        rollbacks.push(back);
        let forward = stack.bosun(&["deploy", "frontend"]);
        assert_eq!(forward.code, 0, "{forward:?}");
        ids.push(invalidation_id(&forward));
    }
    let distinct: std::collections::BTreeSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "a new invalidation every time: {ids:?}");
    assert_eq!(invalidations(&cloudfront().await, &dist).await.len(), ids.len());
    // `bosun policy` allows what a rollback does (restoring S3 versions).
    assert_policy_covers(&stack.path_str(), &rollbacks.iter().collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread")]
async fn ttl_moves_to_another_attribute_one_change_per_table_per_hour() {
    let name = unique("ttl");
    let table = format!("{name}-data");
    let body = |attr: &str| format!("[tables.data]\npartition_key = \"pk\"\nttl_attribute = \"{attr}\"\n");
    let stack = TestStack::new(&name, &body("a"));
    let first = stack.bosun(&["deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    rules(json!({"ttl_window_over": table}));
    // While a change processes, DescribeTimeToLive says ENABLING/DISABLING.
    rules(json!({"table": table, "ttl_settle_seconds": 600}));

    stack.write(&body("b"));
    let moved = stack.bosun(&["deploy", "all"]);
    assert_eq!(moved.code, 0, "{moved:?}");
    assert_eq!(
        moved.write_calls(),
        ["DynamoDB:UpdateTimeToLive"],
        "one TTL change per run"
    );
    let warning = moved
        .events()
        .into_iter()
        .find(|e| e["event"] == "warning")
        .unwrap_or_else(|| panic!("a warning: {moved:?}"));
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("run the deploy again in an hour"),
        "{warning}"
    );
    let ttl = |d: aws_sdk_dynamodb::operation::describe_time_to_live::DescribeTimeToLiveOutput| {
        let d = d.time_to_live_description().unwrap().clone();
        (
            d.attribute_name().unwrap_or_default().to_string(),
            d.time_to_live_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
        )
    };
    let read = || async {
        ttl(dynamodb()
            .await
            .describe_time_to_live()
            .table_name(&table)
            .send()
            .await
            .unwrap())
    };
    assert_eq!(read().await, ("a".to_string(), "DISABLING".to_string()));

    // DISABLING is a change in progress, not "off": nothing to write yet.
    let waiting = stack.bosun(&["deploy", "all"]);
    assert_eq!(waiting.code, 0, "{waiting:?}");
    assert_eq!(waiting.write_calls(), Vec::<String>::new());
    assert!(waiting.stdout.contains("DISABLING"), "{waiting:?}");

    // Processed, but still within the hour: the change is deferred, not failed.
    rules(json!({"table": table, "ttl_settle_seconds": 0}));
    let early = stack.bosun(&["deploy", "all"]);
    assert_eq!(early.code, 0, "{early:?}");
    assert!(early.stdout.contains("deferred"), "{early:?}");
    assert_eq!(read().await, ("a".to_string(), "DISABLED".to_string()));

    // An hour later the new attribute is enabled.
    rules(json!({"ttl_window_over": table}));
    let done = stack.bosun(&["deploy", "all"]);
    assert_eq!(done.code, 0, "{done:?}");
    assert_eq!(done.write_calls(), ["DynamoDB:UpdateTimeToLive"]);
    assert_eq!(read().await, ("b".to_string(), "ENABLED".to_string()));
    assert_eq!(stack.bosun(&["deploy", "all"]).write_calls(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_credentials_win_over_environment_keys_and_the_account_guard_holds() {
    let proxy = faults::start(&emulator().endpoint, 0, 1);
    let dir = tempfile::tempdir().unwrap();
    let credentials = dir.path().join("credentials");
    std::fs::write(
        &credentials,
        "[deployer]\naws_access_key_id = AKIAPROFILEDEPLOYER1\naws_secret_access_key = profile-secret\n",
    )
    .unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, "[profile deployer]\nregion = us-west-2\n").unwrap();
    let stack = TestStack::new(&unique("prof"), "[tables.data]\npartition_key = \"pk\"\n");
    let path = stack.path_str();
    let run = |profile: Option<&str>| {
        let mut args = vec!["--stack", path.as_str(), "--output", "json"];
        if let Some(p) = profile {
            args.extend(["--profile", p]);
        }
        args.push("plan");
        let out = bosun_command(&proxy.endpoint, &args)
            .env("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY01")
            .env("AWS_SHARED_CREDENTIALS_FILE", &credentials)
            .env("AWS_CONFIG_FILE", &config)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let keys = std::mem::take(&mut *proxy.counts.access_keys.lock().unwrap());
        keys.into_iter().collect::<Vec<_>>()
    };
    // The test can tell: without --profile the environment's keys sign.
    assert_eq!(run(None), ["AKIAENVIRONMENTKEY01"]);
    assert_eq!(run(Some("deployer")), ["AKIAPROFILEDEPLOYER1"]);

    // Every deploy says where it goes.
    let plan = stack.bosun(&["plan"]);
    let target = plan
        .events()
        .into_iter()
        .find(|e| e["event"] == "target")
        .expect("target event");
    assert_eq!(
        target,
        json!({"event": "target", "account": "123456789012", "region": REGION})
    );

    // [stack] account: any other account is refused before any write.
    let text = std::fs::read_to_string(stack.path()).unwrap();
    let guarded = text.replacen("[stack]\n", "[stack]\naccount = \"210987654321\"\n", 1);
    std::fs::write(stack.path(), guarded).unwrap();
    let refused = stack.bosun(&["deploy", "all"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let message = refused.result()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("account 210987654321") && message.contains("account 123456789012"),
        "{message}"
    );
    let table = dynamodb()
        .await
        .describe_table()
        .table_name(format!("{}-data", stack.name))
        .send()
        .await;
    assert!(table.is_err(), "nothing was created");
    std::fs::write(
        stack.path(),
        text.replacen("[stack]\n", "[stack]\naccount = \"123456789012\"\n", 1),
    )
    .unwrap();
    assert_eq!(stack.bosun(&["deploy", "all"]).code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_distributions_bucket_policy_is_restored_and_a_single_statement_policy_is_kept() {
    let stack = TestStack::new(&unique("bpol"), "");
    let bucket = format!("{}-site", stack.name);
    site(&stack, &bucket, "A");
    assert_eq!(stack.bosun(&["deploy", "frontend"]).code, 0);
    let s3 = s3().await;
    let statements = |policy: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(policy).unwrap();
        match &v["Statement"] {
            Value::Array(a) => a.clone(),
            other => vec![other.clone()],
        }
    };

    // The PutBucketPolicy after CreateDistribution failed (or someone
    // removed it): the next deploy puts it back.
    s3.delete_bucket_policy().bucket(&bucket).send().await.unwrap();
    let plan = stack.bosun(&["plan"]);
    assert_eq!(plan.planned_actions(), ["allow_distribution"]);
    let fix = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(fix.write_calls(), ["S3:PutBucketPolicy"], "{fix:?}");

    // A policy whose Statement is one object (legal IAM grammar) is read,
    // and its statement kept.
    let foreign = json!({"Version": "2012-10-17", "Statement": {
        "Sid": "Foreign", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": format!("arn:aws:s3:::{bucket}/public/*")
    }});
    s3.put_bucket_policy()
        .bucket(&bucket)
        .policy(foreign.to_string())
        .send()
        .await
        .unwrap();
    let fix = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(fix.code, 0, "{fix:?}");
    assert_eq!(fix.write_calls(), ["S3:PutBucketPolicy"]);
    let policy = s3.get_bucket_policy().bucket(&bucket).send().await.unwrap();
    let sids: Vec<Value> = statements(policy.policy().unwrap())
        .iter()
        .map(|s| s["Sid"].clone())
        .collect();
    assert_eq!(
        sids,
        [json!("Foreign"), json!("BosunCloudFrontweb"), json!("BosunInternalweb")]
    );
    assert_eq!(stack.bosun(&["deploy", "frontend"]).write_calls(), Vec::<String>::new());

    // Versioning is read, not inferred: a suspended bucket is re-enabled.
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let fix = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(fix.write_calls(), ["S3:PutBucketVersioning"], "{fix:?}");
    let v = s3.get_bucket_versioning().bucket(&bucket).send().await.unwrap();
    assert_eq!(v.status().map(|s| s.as_str()), Some("Enabled"));
}

#[test]
fn a_409_conditional_conflict_on_the_journal_is_retried_not_taken_for_a_lost_lock() {
    let stack = TestStack::new(&unique("c409"), "[tables.data]\npartition_key = \"pk\"\n");
    let proxy = faults::start(&emulator().endpoint, 0, 7);
    let body = "<Error><Code>ConditionalRequestConflict</Code><Message>A conflicting conditional operation is currently in progress against this resource. Please try again.</Message></Error>";
    // The first PUT takes the lock; the second rewrites it with the journal
    // (If-Match): that one meets the conflict.
    proxy.counts.answer_once.lock().unwrap().push((
        format!("PUT /bosun-123456789012-{}/lock.json", stack.name),
        1,
        format!(
            "HTTP/1.1 409 Conflict\r\ncontent-type: application/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        ),
    ));
    let path = stack.path_str();
    let run = bosun_at(
        &proxy.endpoint,
        &["--stack", &path, "--output", "json", "deploy", "all"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        proxy.counts.answer_once.lock().unwrap().is_empty(),
        "the 409 was answered"
    );
    assert_eq!(run.result()["changes"], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn managed_distributions_serve_folder_index_pages_through_bosuns_function() {
    let stack = TestStack::new(&unique("index"), "");
    let bucket = format!("{}-site", stack.name);
    site(&stack, &bucket, "A");
    let first = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(first.code, 0, "{first:?}");
    let dist = distribution_of(&stack.name, "web").await;
    let cf = cloudfront().await;
    let function = format!("bosun-{}-index", stack.name);
    // Published (LIVE) with bosun's code…
    let live = cf
        .get_function()
        .name(&function)
        .stage(aws_sdk_cloudfront::types::FunctionStage::Live)
        .send()
        .await
        .expect("a LIVE index function");
    let code = String::from_utf8(live.function_code.unwrap().into_inner()).unwrap();
    assert_eq!(code, bosun::aws::cloudfront::INDEX_FUNCTION_CODE);
    assert!(code.contains("request.uri += 'index.html'"), "{code}");
    // …and on the distribution's viewer requests.
    let viewer = |config: &aws_sdk_cloudfront::types::DistributionConfig| {
        config
            .default_cache_behavior()
            .and_then(|b| b.function_associations())
            .map(|f| {
                f.items()
                    .iter()
                    .map(|a| (a.event_type().as_str().to_string(), a.function_arn().to_string()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let config = cf.get_distribution_config().id(&dist).send().await.unwrap();
    let arn = format!("arn:aws:cloudfront::123456789012:function/{function}");
    assert_eq!(
        viewer(config.distribution_config().unwrap()),
        [("viewer-request".to_string(), arn.clone())]
    );
    assert_eq!(stack.bosun(&["deploy", "frontend"]).write_calls(), Vec::<String>::new());

    // A distribution made before bosun attached it (or detached by hand)
    // gets it back with one UpdateDistribution.
    let etag = config.e_tag().unwrap().to_string();
    let mut bare = config.distribution_config.unwrap();
    let mut behaviour = bare.default_cache_behavior.take().unwrap();
    behaviour.function_associations = Some(
        aws_sdk_cloudfront::types::FunctionAssociations::builder()
            .quantity(0)
            .build()
            .unwrap(),
    );
    bare.default_cache_behavior = Some(behaviour);
    cf.update_distribution()
        .id(&dist)
        .if_match(etag)
        .distribution_config(bare)
        .send()
        .await
        .unwrap();
    let fix = stack.bosun(&["deploy", "frontend"]);
    assert_eq!(fix.code, 0, "{fix:?}");
    assert_eq!(fix.write_calls(), ["CloudFront:UpdateDistribution"], "{fix:?}");
    let config = cf.get_distribution_config().id(&dist).send().await.unwrap();
    assert_eq!(
        viewer(config.distribution_config().unwrap()),
        [("viewer-request".to_string(), arn)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_distribution_is_waited_for_then_invalidated() {
    let stack = TestStack::new(&unique("busy"), "");
    let bucket = format!("{}-site", stack.name);
    site(&stack, &bucket, "A");
    assert_eq!(stack.bosun(&["deploy", "frontend"]).code, 0);
    let dist = distribution_of(&stack.name, "web").await;
    // Invalidations on this distribution stay in progress for 2 s, and 15
    // wildcard paths are already in progress: CloudFront's maximum.
    rules(json!({"distribution": dist, "invalidation_seconds": 2}));
    let cf = cloudfront().await;
    for n in 0..3 {
        let paths: Vec<String> = (0..5).map(|k| format!("/other{n}{k}/*")).collect();
        cf.create_invalidation()
            .distribution_id(&dist)
            .invalidation_batch(
                aws_sdk_cloudfront::types::InvalidationBatch::builder()
                    .caller_reference(format!("busy-{n}"))
                    .paths(
                        aws_sdk_cloudfront::types::Paths::builder()
                            .quantity(5)
                            .set_items(Some(paths))
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    // 20 changed assets collapse to one wildcard, /assets/*: one too many.
    let files: Vec<(String, Vec<u8>)> = (0..20)
        .map(|i| (format!("assets/a{i:02}.js"), format!("//{i}").into_bytes()))
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(k, v)| (k.as_str(), v.as_slice())).collect();
    write_files(&stack.dir.path().join("site"), &refs);
    let run = stack.bosun(&["deploy", "frontend", "-v"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("too many invalidations in progress"),
        "{}",
        run.stderr
    );
    let applied = run
        .events()
        .into_iter()
        .find(|e| e["invalidation"].is_string())
        .expect("an invalidation");
    assert_eq!(applied["paths"], json!(["/assets/*"]));
}

/// An SDK configuration for `endpoint` signed with these credentials.
async fn config_as(endpoint: &str, key: &str, secret: &str, token: Option<&str>) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .endpoint_url(endpoint)
        .credentials_provider(aws_sdk_lambda::config::Credentials::new(
            key,
            secret,
            token.map(str::to_string),
            None,
            "tests",
        ))
        .load()
        .await
}

const ALLOW_ALL: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// An emulator enforcing IAM (moto's INITIAL_NO_AUTH_ACTION_COUNT, with the
/// rules layer's resources, condition keys and size quotas) from the fourth
/// request on: the first three make an administrator, whose config is
/// returned; everything else is authorized.
async fn enforced() -> (Emulator, aws_config::SdkConfig) {
    let emulator = start_emulator(&[("INITIAL_NO_AUTH_ACTION_COUNT", "3")]);
    let bootstrap = config_as(&emulator.endpoint, "admin", "admin", None).await;
    let iam = aws_sdk_iam::Client::new(&bootstrap);
    iam.create_user().user_name("administrator").send().await.unwrap();
    iam.put_user_policy()
        .user_name("administrator")
        .policy_name("all")
        .policy_document(ALLOW_ALL)
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name("administrator").send().await.unwrap();
    let key = key.access_key().unwrap();
    let admin = config_as(&emulator.endpoint, key.access_key_id(), key.secret_access_key(), None).await;
    (emulator, admin)
}

/// Temporary credentials of a role.
struct Creds {
    key: String,
    secret: String,
    token: String,
}

impl Creds {
    async fn config(&self, endpoint: &str) -> aws_config::SdkConfig {
        config_as(endpoint, &self.key, &self.secret, Some(&self.token)).await
    }

    /// `bosun ARGS` (with `--output json`) as this role.
    fn bosun(&self, endpoint: &str, args: &[&str]) -> Run {
        let mut all = vec!["--output", "json"];
        all.extend_from_slice(args);
        let out = bosun_command(endpoint, &all)
            .env("AWS_ACCESS_KEY_ID", &self.key)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret)
            .env("AWS_SESSION_TOKEN", &self.token)
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A CI role as docs/ci.md makes one: role `name` holding `policy` inline
/// (a role's inline policies may hold 10,240 characters; a user's only
/// 2,048), assumed by a user `{name}-ci` allowed nothing else. Returns the
/// role's temporary credentials.
async fn ci_role(endpoint: &str, admin: &aws_config::SdkConfig, name: &str, policy: &str) -> Creds {
    let iam = aws_sdk_iam::Client::new(admin);
    let user = format!("{name}-ci");
    iam.create_user().user_name(&user).send().await.unwrap();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": format!("arn:aws:iam::123456789012:user/{user}")}, "Action": "sts:AssumeRole"}]});
    let role_arn = format!("arn:aws:iam::123456789012:role/{name}");
    iam.create_role()
        .role_name(name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name(name)
        .policy_name("bosun")
        .policy_document(policy)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the role's policy: {e:?}"));
    let assume = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Action": "sts:AssumeRole", "Resource": role_arn}]});
    iam.put_user_policy()
        .user_name(&user)
        .policy_name("assume")
        .policy_document(assume.to_string())
        .send()
        .await
        .unwrap();
    let key = iam.create_access_key().user_name(&user).send().await.unwrap();
    let key = key.access_key().unwrap();
    let as_user = config_as(endpoint, key.access_key_id(), key.secret_access_key(), None).await;
    let assumed = aws_sdk_sts::Client::new(&as_user)
        .assume_role()
        .role_arn(&role_arn)
        .role_session_name("ci")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    Creds {
        key: c.access_key_id().to_string(),
        secret: c.secret_access_key().to_string(),
        token: c.session_token().to_string(),
    }
}

/// Under IAM enforcement (moto plus the rules layer), a deploy role holding
/// only the printed policy deploys a stack of a table and a CDN-less
/// frontend (plus the state bucket and the lock), makes no write the second
/// time, and is refused another stack's table; the plan role plans but reads
/// no archived report, no data file and no secret's value. The printed
/// policy is too big for a user's inline policies (2,048 characters) and
/// fits a role's (10,240), as docs/ci.md attaches it.
#[tokio::test(flavor = "multi_thread")]
async fn the_printed_policy_is_enough_under_enforced_iam_and_no_more() {
    let (enforced, as_admin) = enforced().await;
    let name = unique("iam");
    let body = format!(
        "[tables.data]\npartition_key = \"pk\"\nttl_attribute = \"expires_at\"\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"{name}-site\"\nprefix = \"app/\"\n"
    );
    let stack = TestStack::new(&name, &body);
    write_files(
        &stack.dir.path().join("site"),
        &[("index.html", b"<h1>hi</h1>"), ("a.js", b"1")],
    );
    let path = stack.path_str();
    let printed = stack.bosun(&["policy", "--account", "123456789012"]);
    assert_eq!(printed.code, 0, "{printed:?}");
    let policy = printed.result()["policy"].to_string();
    let read_only = stack.bosun(&["policy", "--account", "123456789012", "--read-only"]);
    assert_eq!(read_only.code, 0, "{read_only:?}");

    // The demo stack's deployer policy: refused on a user, held by a role.
    let demo = root().join("stacks/queenofsandiego.toml");
    let demo = bosun(&[
        "--stack",
        demo.to_str().unwrap(),
        "--output",
        "json",
        "policy",
        "--account",
        "123456789012",
    ]);
    let demo = demo.result()["policy"].to_string();
    let iam = aws_sdk_iam::Client::new(&as_admin);
    iam.create_user().user_name("too-small").send().await.unwrap();
    let on_user = iam
        .put_user_policy()
        .user_name("too-small")
        .policy_name("bosun")
        .policy_document(&demo)
        .send()
        .await;
    let refused = format!(
        "{:?}",
        on_user.expect_err("a user's inline policies hold 2,048 characters")
    );
    assert!(refused.contains("LimitExceeded"), "{refused}");
    ci_role(&enforced.endpoint, &as_admin, "demo-deployer", &demo).await;

    let deployer = ci_role(&enforced.endpoint, &as_admin, "deployer", &policy).await;
    let planner = ci_role(
        &enforced.endpoint,
        &as_admin,
        "planner",
        &read_only.result()["policy"].to_string(),
    )
    .await;
    let first = deployer.bosun(&enforced.endpoint, &["--stack", &path, "deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(
        first.result()["release"].is_string(),
        "recorded under the lock: {first:?}"
    );
    let again = deployer.bosun(&enforced.endpoint, &["--stack", &path, "deploy", "all"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.write_calls(), Vec::<String>::new());

    // The policy is this stack's: another stack's table is refused, by name.
    let other = TestStack::new(&unique("iam-other"), "[tables.data]\npartition_key = \"pk\"\n");
    let denied = deployer.bosun(&enforced.endpoint, &["--stack", &other.path_str(), "deploy", "all"]);
    assert_eq!(denied.code, 1, "{denied:?}");
    let message = denied.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("dynamodb:DescribeTable"), "{message}");
    assert!(
        message.contains("AccessDeniedException") && message.contains("bosun policy"),
        "{message}"
    );

    // The plan role plans, but reads no archived report, no data file and
    // no secret's value.
    let plan = planner.bosun(&enforced.endpoint, &["--stack", &path, "plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let state_bucket = format!("bosun-123456789012-{name}");
    let admin_s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&as_admin)
            .force_path_style(true)
            .build(),
    );
    for key in ["archive/reports/2026-12.html", "data/reports/portfolio.toml"] {
        admin_s3
            .put_object()
            .bucket(&state_bucket)
            .key(key)
            .body(b"private".to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let ssm_admin = aws_sdk_ssm::Client::new(&as_admin);
    let parameter = format!("/{name}/reports/jwt");
    ssm_admin
        .put_parameter()
        .name(&parameter)
        .value("not-for-pull-requests")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .send()
        .await
        .unwrap();
    let as_planner = planner.config(&enforced.endpoint).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&as_planner)
            .force_path_style(true)
            .build(),
    );
    for key in ["archive/reports/2026-12.html", "data/reports/portfolio.toml"] {
        let read = s3.get_object().bucket(&state_bucket).key(key).send().await;
        assert!(read.is_err(), "the plan role read {key}");
    }
    let secret = aws_sdk_ssm::Client::new(&as_planner)
        .get_parameter()
        .name(&parameter)
        .with_decryption(true)
        .send()
        .await;
    assert!(secret.is_err(), "the plan role read a secret's value");
}

/// The state bucket's name is predictable (`bosun-{account}-{stack}`): an
/// account that creates it first would receive the releases, the lock and
/// the data files. Every S3 call names the account it expects to own the
/// bucket (ExpectedBucketOwner), so the squatted bucket answers 403 and
/// bosun stops before writing anything, naming the bucket.
#[tokio::test(flavor = "multi_thread")]
async fn a_state_bucket_owned_by_another_account_is_refused_before_any_write() {
    let name = unique("squat");
    let stack = TestStack::new(&name, "[tables.data]\npartition_key = \"pk\"\n");
    // Another account (moto: credentials from AssumeRole into it act there).
    let assumed = aws_sdk_sts::Client::new(&sdk_config().await)
        .assume_role()
        .role_arn("arn:aws:iam::111111111111:role/squatter")
        .role_session_name("squatter")
        .send()
        .await
        .unwrap();
    let c = assumed.credentials().unwrap();
    let squatter = config_as(
        &emulator().endpoint,
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token()),
    )
    .await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&squatter)
            .force_path_style(true)
            .build(),
    );
    let bucket = format!("bosun-123456789012-{name}");
    s3.create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let run = stack.bosun(&["deploy", "all"]);
    assert_ne!(run.code, 0, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains(&bucket), "{message}");
    assert!(message.contains("another account"), "{message}");
    let table = dynamodb()
        .await
        .describe_table()
        .table_name(format!("{name}-data"))
        .send()
        .await;
    assert!(table.is_err(), "no write before the state bucket is checked");
    let listed = s3.list_objects_v2().bucket(&bucket).send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0), "nothing reached the squatter: {listed:?}");
}

/// The deployer cannot become more than the stack: under moto's IAM
/// enforcement (with the request context IAM gives, from the rules layer),
/// a user holding the printed policy makes the stack's role only with the
/// stack's permissions boundary, may put its policy only then, and may not
/// take the boundary off, swap it, change the boundary's document or change
/// who may assume the role.
#[tokio::test(flavor = "multi_thread")]
async fn the_deployer_makes_roles_only_under_the_stacks_boundary() {
    let (enforced, admin) = enforced().await;
    let name = unique("bound");
    let stack = TestStack::new(&name, "[functions.app]\nbinary = \"/bin/sh\"\n");
    let printed = stack.bosun(&["policy", "--account", "123456789012"]);
    assert_eq!(printed.code, 0, "{printed:?}");
    let boundary_doc = stack.bosun(&["policy", "--account", "123456789012", "--boundary"]);
    assert_eq!(boundary_doc.code, 0, "{boundary_doc:?}");
    let iam = aws_sdk_iam::Client::new(&admin);
    // An administrator creates the boundary (the deployer may not).
    iam.create_policy()
        .policy_name(format!("bosun-{name}-boundary"))
        .policy_document(boundary_doc.result()["policy"].to_string())
        .send()
        .await
        .unwrap();
    let creds = ci_role(
        &enforced.endpoint,
        &admin,
        "deployer",
        &printed.result()["policy"].to_string(),
    )
    .await;
    let deployer = aws_sdk_iam::Client::new(&creds.config(&enforced.endpoint).await);
    let role = format!("{name}-app");
    let boundary = format!("arn:aws:iam::123456789012:policy/bosun-{name}-boundary");
    let trust = bosun::policy::lambda_trust().to_string();
    let denied = |what: &str, r: Result<(), String>| {
        let e = r.expect_err(&format!("{what} was allowed"));
        assert!(e.contains("AccessDenied"), "{what}: {e}");
    };
    let create = |with_boundary: bool| {
        let mut req = deployer
            .create_role()
            .role_name(&role)
            .assume_role_policy_document(&trust);
        if with_boundary {
            req = req.permissions_boundary(&boundary);
        }
        async move { req.send().await.map(|_| ()).map_err(|e| format!("{e:?}")) }
    };
    denied("CreateRole without the boundary", create(false).await);
    denied(
        "CreatePolicy (another boundary document)",
        deployer
            .create_policy()
            .policy_name(format!("bosun-{name}-boundary"))
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    create(true).await.expect("CreateRole with the boundary");
    deployer
        .put_role_policy()
        .role_name(&role)
        .policy_name("bosun")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#,
        )
        .send()
        .await
        .expect("PutRolePolicy on a bounded role");
    denied(
        "DeleteRolePermissionsBoundary",
        deployer
            .delete_role_permissions_boundary()
            .role_name(&role)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    denied(
        "PutRolePermissionsBoundary with another policy",
        deployer
            .put_role_permissions_boundary()
            .role_name(&role)
            .permissions_boundary("arn:aws:iam::aws:policy/AdministratorAccess")
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    denied(
        "UpdateAssumeRolePolicy",
        deployer
            .update_assume_role_policy()
            .role_name(&role)
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
    denied(
        "CreatePolicyVersion on the boundary",
        deployer
            .create_policy_version()
            .policy_arn(&boundary)
            .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
            .set_as_default(true)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("{e:?}")),
    );
}

/// CloudFront tags `bosun:stack = stack`.
fn stack_tag(stack: &str) -> aws_sdk_cloudfront::types::Tags {
    aws_sdk_cloudfront::types::Tags::builder()
        .items(
            aws_sdk_cloudfront::types::Tag::builder()
                .key("bosun:stack")
                .value(stack)
                .build()
                .unwrap(),
        )
        .build()
}

/// The whole shape — a function with a URL behind the site's managed
/// distribution, a schedule, a table — deploys under IAM enforced for every
/// service bosun calls (CloudFront, Lambda and SESv2 included, with the
/// resources and condition keys the rules layer gives), and the policy
/// reaches no further than the stack: distributions not tagged for it
/// cannot be changed or invalidated, one tagged for another stack cannot
/// be taken over, and the function cannot be opened to other principals.
/// A managed distribution made before bosun tagged its distributions is
/// tagged once by an administrator (the deploy says how).
#[tokio::test(flavor = "multi_thread")]
async fn the_deployer_changes_only_its_stacks_distributions_and_grants() {
    let (enforced, admin) = enforced().await;
    let name = unique("tagged");
    let stack = TestStack::new(&name, "");
    let binary = stack.binary("exec-reports", "api.bin");
    stack.write(&format!(
        "[tables.data]\npartition_key = \"pk\"\n\n\
         [functions.api]\nbinary = \"{}\"\nurl = {{ auth = \"aws-iam\" }}\n\n\
         [schedules.tick]\nfunction = \"api\"\nexpression = \"rate(1 day)\"\n\n\
         [frontends.web]\ndir = \"site\"\nbucket = \"{name}-site\"\nprefix = \"app/\"\ndistribution = \"managed\"\n\
         api = {{ function = \"api\", path = \"/api/*\" }}\n",
        binary.display()
    ));
    write_files(&stack.dir.path().join("site"), &[("index.html", b"<h1>crew</h1>")]);
    let printed = stack.bosun(&["policy", "--account", "123456789012"]);
    assert_eq!(printed.code, 0, "{printed:?}");
    let boundary_doc = stack.bosun(&["policy", "--account", "123456789012", "--boundary"]);
    assert_eq!(boundary_doc.code, 0, "{boundary_doc:?}");
    aws_sdk_iam::Client::new(&admin)
        .create_policy()
        .policy_name(format!("bosun-{name}-boundary"))
        .policy_document(boundary_doc.result()["policy"].to_string())
        .send()
        .await
        .unwrap();
    let creds = ci_role(
        &enforced.endpoint,
        &admin,
        "deployer",
        &printed.result()["policy"].to_string(),
    )
    .await;
    let deployer_conf = creds.config(&enforced.endpoint).await;
    let path = stack.path_str();
    let as_deployer = |args: &[&str]| {
        let mut all = vec!["--stack", path.as_str()];
        all.extend_from_slice(args);
        creds.bosun(&enforced.endpoint, &all)
    };
    let first = as_deployer(&["deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    let again = as_deployer(&["deploy", "all"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.write_calls(), Vec::<String>::new());

    let cf_admin = aws_sdk_cloudfront::Client::new(&admin);
    let cf = aws_sdk_cloudfront::Client::new(&deployer_conf);
    let comment = format!("bosun {name}/web");
    let ours = cf_admin.list_distributions().send().await.unwrap();
    let ours = ours
        .distribution_list()
        .unwrap()
        .items()
        .iter()
        .find(|d| d.comment() == comment)
        .unwrap_or_else(|| panic!("no distribution commented {comment}"))
        .clone();
    let tags = cf_admin
        .list_tags_for_resource()
        .resource(ours.arn())
        .send()
        .await
        .unwrap();
    let tags: Vec<(String, String)> = tags
        .tags()
        .unwrap()
        .items()
        .iter()
        .map(|t| (t.key().to_string(), t.value().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(tags, [("bosun:stack".to_string(), name.clone())]);
    let ours_config = cf_admin.get_distribution_config().id(ours.id()).send().await.unwrap();
    let ours_config = ours_config.distribution_config().unwrap().clone();
    let copy_of = |config: &aws_sdk_cloudfront::types::DistributionConfig, comment: &str| {
        let mut copy = config.clone();
        copy.caller_reference = unique("copy");
        copy.comment = comment.to_string();
        copy
    };

    // Someone else's distributions: an untagged one, and one of another stack.
    let others = [None, Some("another-stack")];
    for tag in others {
        let created = cf_admin
            .create_distribution_with_tags()
            .distribution_config_with_tags(
                aws_sdk_cloudfront::types::DistributionConfigWithTags::builder()
                    .distribution_config(copy_of(&ours_config, "someone else's"))
                    .tags(tag.map_or_else(|| aws_sdk_cloudfront::types::Tags::builder().build(), stack_tag))
                    .build(),
            )
            .send()
            .await
            .unwrap();
        let other = created.distribution().unwrap();
        let config = cf.get_distribution_config().id(other.id()).send().await;
        let config = config.expect("reading is allowed (a plan reads before it knows the tag)");
        let update = cf
            .update_distribution()
            .id(other.id())
            .if_match(config.e_tag().unwrap())
            .distribution_config(config.distribution_config().unwrap().clone())
            .send()
            .await;
        assert!(update.is_err(), "updated a distribution tagged {tag:?}");
        let invalidate = cf
            .create_invalidation()
            .distribution_id(other.id())
            .invalidation_batch(
                aws_sdk_cloudfront::types::InvalidationBatch::builder()
                    .caller_reference(unique("inv"))
                    .paths(
                        aws_sdk_cloudfront::types::Paths::builder()
                            .quantity(1)
                            .items("/*")
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
            .send()
            .await;
        assert!(invalidate.is_err(), "invalidated a distribution tagged {tag:?}");
        // Nor may it tag either one as the stack's (and then change it).
        let take = cf
            .tag_resource()
            .resource(other.arn())
            .tags(stack_tag(&name))
            .send()
            .await;
        assert!(take.is_err(), "tagged a distribution tagged {tag:?} as the stack's");
    }
    // Nor may it create a distribution without the stack's tag.
    let untagged = cf
        .create_distribution()
        .distribution_config(copy_of(&ours_config, "untagged"))
        .send()
        .await;
    assert!(untagged.is_err(), "created an untagged distribution");

    // The function opens only to the principals the stack grants.
    let lambda = aws_sdk_lambda::Client::new(&deployer_conf);
    let opened = lambda
        .add_permission()
        .function_name(format!("{name}-api"))
        .qualifier("live")
        .statement_id("anyone")
        .action("lambda:InvokeFunction")
        .principal("s3.amazonaws.com")
        .send()
        .await;
    assert!(opened.is_err(), "granted an invocation to another principal");

    // A distribution made before bosun tagged its own: the deployer may
    // not tag it; the deploy says what an administrator runs once, after
    // which the deploy has nothing to do.
    cf_admin
        .untag_resource()
        .resource(ours.arn())
        .tag_keys(
            aws_sdk_cloudfront::types::TagKeys::builder()
                .items("bosun:stack")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let refused = as_deployer(&["deploy", "all"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    let message = refused.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("aws cloudfront tag-resource --resource"), "{message}");
    cf_admin
        .tag_resource()
        .resource(ours.arn())
        .tags(stack_tag(&name))
        .send()
        .await
        .unwrap();
    let last = as_deployer(&["deploy", "all"]);
    assert_eq!(last.write_calls(), Vec::<String>::new());
}

#[test]
fn a_bucket_answering_403_is_named_as_someone_elses() {
    let name = unique("b403");
    let stack = TestStack::new(
        &name,
        &format!("[frontends.web]\ndir = \"site\"\nbucket = \"{name}-taken\"\n"),
    );
    write_files(&stack.dir.path().join("site"), &[("index.html", b"x")]);
    let proxy = faults::start(&emulator().endpoint, 0, 9);
    // HeadBucket API reference: 403 when the bucket exists and is not yours.
    proxy.counts.answer_once.lock().unwrap().push((
        format!("HEAD /{name}-taken"),
        0,
        "HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string(),
    ));
    let path = stack.path_str();
    let run = bosun_at(
        &proxy.endpoint,
        &["--stack", &path, "--output", "json", "deploy", "all"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("exists but is not accessible"), "{message}");
    assert!(message.contains("choose another name"), "{message}");
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_ses_create_keeps_to_the_stacks_account() {
    let sender = format!("{}@example.com", unique("guarded"));
    let stack = TestStack::new(&unique("sesacct"), &format!("[ses]\nsender = \"{sender}\"\n"));
    let text = std::fs::read_to_string(stack.path()).unwrap();
    let guarded = text.replacen("[stack]\n", "[stack]\naccount = \"210987654321\"\n", 1);
    std::fs::write(stack.path(), guarded).unwrap();
    let run = stack.bosun(&["verify-ses", "--create"]);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("account 210987654321"), "{message}");
    let ses = aws_sdk_sesv2::Client::new(&sdk_config().await);
    let found = ses.get_email_identity().email_identity(&sender).send().await;
    assert!(found.is_err(), "nothing was created");
}

async fn reserved(function: &str) -> Option<i32> {
    lambda()
        .await
        .get_function_concurrency()
        .function_name(function)
        .send()
        .await
        .unwrap()
        .reserved_concurrent_executions
}

#[tokio::test(flavor = "multi_thread")]
async fn reserved_concurrency_is_set_changed_removed_and_checked_against_the_account() {
    let stack = TestStack::new(&unique("conc"), "");
    let bin = stack.binary("exec-reports", "app.bin");
    let function = format!("{}-app", stack.name);
    let body = |extra: &str| format!("[functions.app]\nbinary = \"{}\"\n{extra}", bin.display());

    stack.write(&body("reserved_concurrency = 5\n"));
    let first = stack.bosun(&["deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(first.count_writes("PutFunctionConcurrency"), 1);
    assert_eq!(reserved(&function).await, Some(5));
    // Read back from GetFunction: the next deploy writes nothing.
    let again = stack.bosun(&["deploy", "all"]);
    assert_eq!(again.write_calls(), Vec::<String>::new(), "{again:?}");

    // 0 is a reservation too (the function cannot run), and reads back as one.
    stack.write(&body("reserved_concurrency = 0\n"));
    let zero = stack.bosun(&["deploy", "all"]);
    assert_eq!(zero.code, 0, "{zero:?}");
    assert_eq!(reserved(&function).await, Some(0));
    assert_eq!(stack.bosun(&["deploy", "all"]).write_calls(), Vec::<String>::new());

    // No key: no reservation.
    stack.write(&body(""));
    let removed = stack.bosun(&["deploy", "all"]);
    assert_eq!(removed.count_writes("DeleteFunctionConcurrency"), 1, "{removed:?}");
    assert_eq!(reserved(&function).await, None);

    // AWS keeps 100 of the account's 1,000 unreserved: a reservation that
    // would take them is refused before any write, not half-way.
    stack.write(&body("reserved_concurrency = 950\nmemory = 512\n"));
    let refused = stack.bosun(&["deploy", "all"]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let message = refused.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("AWS keeps at least 100 unreserved"), "{message}");
    assert!(message.contains("lower `reserved_concurrency`"), "{message}");
    assert_eq!(reserved(&function).await, None, "nothing half-changed");
    let memory = lambda()
        .await
        .get_function_configuration()
        .function_name(&function)
        .send()
        .await
        .unwrap()
        .memory_size;
    assert_eq!(memory, Some(128), "nothing half-changed");
}

/// The demo stack itself — its tables, roles (under the boundary), secret,
/// functions with URLs and data files, the crew site behind its managed
/// distribution, the report schedules and SES — deployed by a CI role
/// holding only `bosun policy` inline, with IAM enforced for every service
/// and its size quotas; `verify-ses --create` too, and a second deploy
/// writes nothing. The plan role plans it.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_stack_deploys_as_a_ci_role_holding_only_the_printed_policy() {
    let (enforced, admin) = enforced().await;
    let name = unique("demo-iam");
    let text = crate::edge::as_test_stack(
        &std::fs::read_to_string(root().join("stacks/queenofsandiego.toml")).unwrap(),
        &name,
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.toml");
    std::fs::write(&path, text).unwrap();
    let path = path.to_string_lossy().into_owned();
    let printed = |extra: &[&str]| {
        let mut args = vec![
            "--stack",
            path.as_str(),
            "--output",
            "json",
            "policy",
            "--account",
            "123456789012",
        ];
        args.extend_from_slice(extra);
        let run = bosun(&args);
        assert_eq!(run.code, 0, "{run:?}");
        run.result()["policy"].to_string()
    };
    aws_sdk_iam::Client::new(&admin)
        .create_policy()
        .policy_name(format!("bosun-{name}-boundary"))
        .policy_document(printed(&["--boundary"]))
        .send()
        .await
        .unwrap();
    let deployer = ci_role(&enforced.endpoint, &admin, "deployer", &printed(&[])).await;
    let planner = ci_role(&enforced.endpoint, &admin, "planner", &printed(&["--read-only"])).await;

    let ses = deployer.bosun(&enforced.endpoint, &["--stack", &path, "verify-ses", "--create"]);
    assert_eq!(ses.code, 0, "{ses:?}");
    let first = deployer.bosun(&enforced.endpoint, &["--stack", &path, "deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert!(first.result()["release"].is_string(), "{first:?}");
    let again = deployer.bosun(&enforced.endpoint, &["--stack", &path, "deploy", "all"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.write_calls(), Vec::<String>::new());
    let plan = planner.bosun(&enforced.endpoint, &["--stack", &path, "plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
}
