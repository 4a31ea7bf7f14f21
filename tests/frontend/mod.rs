//! `bosun deploy frontend` against the emulator: content-hash sync, headers,
//! ordering, deletions and their guard, tricky keys, exact invalidations.

use crate::util::*;

/// A site stack: frontend `web` from `site/` in the stack dir to a unique bucket.
struct Site {
    stack: TestStack,
    bucket: String,
}

impl Site {
    fn new(prefix: &str, extra: &str) -> Site {
        let name = unique(prefix);
        let bucket = format!("{name}-site");
        let stack = TestStack::new(&name, "");
        std::fs::create_dir_all(stack.dir.path().join("site")).unwrap();
        let site = Site { stack, bucket };
        site.configure(extra);
        site
    }

    fn configure(&self, extra: &str) {
        self.stack.write(&format!(
            "[frontends.web]\ndir = \"site\"\nbucket = \"{}\"\nprefix = \"app/\"\ndistribution = \"managed\"\n{extra}",
            self.bucket
        ));
    }

    fn dir(&self) -> std::path::PathBuf {
        self.stack.dir.path().join("site")
    }

    fn write(&self, files: &[(&str, &[u8])]) {
        write_files(&self.dir(), files);
    }

    fn deploy(&self, extra: &[&str]) -> Run {
        let mut args = vec!["deploy", "frontend"];
        args.extend_from_slice(extra);
        self.stack.bosun(&args)
    }

    async fn distribution(&self) -> String {
        distribution_of(&self.stack.name, "web").await
    }

    fn uploaded_keys(run: &Run) -> Vec<String> {
        run.events()
            .iter()
            .filter(|e| e["event"] == "uploaded")
            .map(|e| e["key"].as_str().unwrap().to_string())
            .collect()
    }
}

const RULES: &str = "cache = [\n  { glob = \"assets/**\", control = \"public, max-age=31536000, immutable\" },\n  { glob = \"*.html\", control = \"no-cache\" },\n]\n";

fn standard_files(site: &Site) {
    site.write(&[
        ("index.html", b"<html>home</html>"),
        ("docs/index.html", b"<html>docs</html>"),
        ("assets/app.js", b"console.log(1)"),
        ("assets/logo.png", b"\x89PNG\r\n\x1a\nfake"),
        ("robots.txt", b"User-agent: *"),
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn first_sync_uploads_everything_with_headers_and_second_sync_writes_nothing() {
    let site = Site::new("fe-first", RULES);
    standard_files(&site);
    let first = site.deploy(&[]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(Site::uploaded_keys(&first).len(), 5);

    let s3 = s3().await;
    let head = |key: &'static str| {
        let s3 = s3.clone();
        let bucket = site.bucket.clone();
        async move { s3.head_object().bucket(bucket).key(key).send().await.expect(key) }
    };
    let html = head("app/index.html").await;
    assert_eq!(html.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(html.cache_control(), Some("no-cache"));
    let js = head("app/assets/app.js").await;
    assert_eq!(js.content_type(), Some("text/javascript; charset=utf-8"));
    assert_eq!(js.cache_control(), Some("public, max-age=31536000, immutable"));
    assert_eq!(head("app/assets/logo.png").await.content_type(), Some("image/png"));
    assert_eq!(
        head("app/robots.txt").await.cache_control(),
        Some("public, max-age=3600")
    );
    assert_eq!(head("app/docs/index.html").await.cache_control(), Some("no-cache"));

    // Versioning is on: objects carry real version ids (needed for rollback).
    let obj = s3
        .get_object()
        .bucket(&site.bucket)
        .key("app/index.html")
        .send()
        .await
        .unwrap();
    assert!(obj.version_id().is_some_and(|v| v != "null"), "{:?}", obj.version_id());
    let policy = s3.get_bucket_policy().bucket(&site.bucket).send().await.unwrap();
    let policy = policy.policy().unwrap();
    assert!(
        policy.contains("cloudfront.amazonaws.com") && policy.contains("AWS:SourceArn"),
        "{policy}"
    );

    // A new distribution has nothing cached: no invalidation on the first sync.
    let dist = site.distribution().await;
    assert!(invalidations(&cloudfront().await, &dist).await.is_empty());

    let second = site.deploy(&[]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(second.write_calls(), Vec::<String>::new());
    assert_eq!(second.result()["changes"], 0);

    // Touching files without changing them uploads nothing.
    site.write(&[
        ("index.html", b"<html>home</html>"),
        ("assets/app.js", b"console.log(1)"),
    ]);
    let touched = site.deploy(&[]);
    assert_eq!(touched.write_calls(), Vec::<String>::new(), "{touched:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_one_file_edit_uploads_one_object_and_invalidates_exactly_its_paths() {
    let site = Site::new("fe-edit", RULES);
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);
    let dist = site.distribution().await;

    site.write(&[("docs/index.html", b"<html>docs v2</html>")]);
    let plan = site.stack.bosun(&["plan"]);
    let text = plan.result()["plan"].to_string();
    assert!(text.contains("app/docs/index.html"), "{text}");

    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(Site::uploaded_keys(&run), ["app/docs/index.html"]);
    assert_eq!(
        run.count_writes("PutObject"),
        2,
        "the file and the manifest: {:?}",
        run.write_calls()
    );
    assert_eq!(run.count_writes("CreateInvalidation"), 1);
    assert_eq!(
        invalidations(&cloudfront().await, &dist).await,
        vec![vec![
            "/docs".to_string(),
            "/docs/".to_string(),
            "/docs/index.html".to_string()
        ]]
    );
    let body = s3()
        .await
        .get_object()
        .bucket(&site.bucket)
        .key("app/docs/index.html")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"<html>docs v2</html>");
}

/// The stored manifest is read through a temporary file: when none can be
/// made, the deploy stops before any write and says where and what to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_that_cannot_be_spooled_stops_the_deploy_before_any_write() {
    let site = Site::new("fe-tmpdir", RULES);
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);
    site.write(&[("robots.txt", b"User-agent: * v2")]);
    let path = site.stack.path_str();
    let missing = site.stack.dir.path().join("no-such-folder");
    let out = bosun_command(
        &emulator().endpoint,
        &["--stack", &path, "--output", "json", "deploy", "frontend"],
    )
    .env("TMPDIR", &missing)
    .output()
    .unwrap();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_ne!(run.code, 0, "{run:?}");
    let text = run.result().to_string();
    assert!(text.contains("s3:GetObject"), "{text}");
    assert!(text.contains("app/.bosun/manifest.json"), "{text}");
    assert!(
        text.contains(&format!("temporary file in {}", missing.display())),
        "{text}"
    );
    assert!(text.contains("set TMPDIR to a writable folder"), "{text}");
    // Nothing was written: the live file is the old one (and no lock
    // was left to refuse the next deploy).
    let s3 = s3().await;
    let live = s3
        .get_object()
        .bucket(&site.bucket)
        .key("app/robots.txt")
        .send()
        .await
        .unwrap();
    let body = live.body.collect().await.unwrap().into_bytes();
    assert_ne!(&body[..], b"User-agent: * v2");
    // With a temporary folder again, the change goes out.
    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(Site::uploaded_keys(&run), ["app/robots.txt"]);
}

/// A manifest written before version ids were kept (no `version_id`): the
/// next release asks S3 for each file's version (concurrent HEADs), so the
/// record can still restore every file byte-exactly, and the manifest this
/// sync writes carries them again.
#[tokio::test(flavor = "multi_thread")]
async fn a_manifest_without_version_ids_is_completed_from_s3_in_the_release() {
    let site = Site::new("fe-legacy", RULES);
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);
    let s3 = s3().await;
    let get_json = |bucket: String, key: String| {
        let s3 = s3.clone();
        async move {
            let out = s3.get_object().bucket(bucket).key(&key).send().await.expect(&key);
            let bytes = out.body.collect().await.unwrap().into_bytes();
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()
        }
    };
    let manifest_key = "app/.bosun/manifest.json".to_string();
    let mut manifest = get_json(site.bucket.clone(), manifest_key.clone()).await;
    for entry in manifest["files"].as_object_mut().unwrap().values_mut() {
        assert!(entry["version_id"].is_string(), "{entry}");
        entry.as_object_mut().unwrap().remove("version_id");
    }
    s3.put_object()
        .bucket(&site.bucket)
        .key(&manifest_key)
        .body(manifest.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();

    site.write(&[("robots.txt", b"User-agent: * v2")]);
    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(Site::uploaded_keys(&run), ["app/robots.txt"]);

    let releases = site.stack.bosun(&["releases"]).result();
    let newest = releases["releases"][0]["id"].as_str().unwrap().to_string();
    let record = get_json(
        format!("bosun-123456789012-{}", site.stack.name),
        format!("releases/{newest}.json"),
    )
    .await;
    let files = record["state"]["frontends"]["web"]["files"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(files.len(), 5, "{record}");
    for (key, entry) in &files {
        let head = s3.head_object().bucket(&site.bucket).key(key).send().await.unwrap();
        assert_eq!(entry["version_id"].as_str(), head.version_id(), "{key}: {entry}");
    }
    let rewritten = get_json(site.bucket.clone(), manifest_key).await;
    let rewritten = rewritten["files"].as_object().unwrap();
    assert_eq!(rewritten.len(), 5);
    for (key, entry) in rewritten {
        assert_eq!(entry["version_id"], files[key]["version_id"], "{key}");
    }
    assert_eq!(
        run.count_writes("PutObject"),
        2,
        "the file and the manifest: {:?}",
        run.write_calls()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_header_rule_change_reuploads_only_the_affected_objects() {
    let site = Site::new("fe-hdr", RULES);
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);
    site.configure("cache = [\n  { glob = \"assets/**\", control = \"public, max-age=600\" },\n  { glob = \"*.html\", control = \"no-cache\" },\n]\n");
    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let mut uploaded = Site::uploaded_keys(&run);
    uploaded.sort();
    assert_eq!(uploaded, ["app/assets/app.js", "app/assets/logo.png"]);
    let head = s3()
        .await
        .head_object()
        .bucket(&site.bucket)
        .key("app/assets/app.js")
        .send()
        .await
        .unwrap();
    assert_eq!(head.cache_control(), Some("public, max-age=600"));
    let dist = site.distribution().await;
    assert_eq!(
        invalidations(&cloudfront().await, &dist).await,
        vec![vec!["/assets/app.js".to_string(), "/assets/logo.png".to_string()]]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn assets_go_before_html_before_the_invalidation_before_deletions() {
    let site = Site::new("fe-order", RULES);
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);

    site.write(&[("assets/new.js", b"new()"), ("index.html", b"<html>uses new.js</html>")]);
    std::fs::remove_file(site.dir().join("robots.txt")).unwrap();
    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let order: Vec<String> = run
        .events()
        .iter()
        .filter_map(|e| match e["event"].as_str() {
            Some("uploaded") => Some(format!("put {}", e["key"].as_str().unwrap())),
            Some("applied") if e["action"].as_str().unwrap().starts_with("invalidate") => Some("invalidate".into()),
            Some("applied") if e["action"].as_str().unwrap().starts_with("delete") => Some("delete".into()),
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        ["put app/assets/new.js", "put app/index.html", "invalidate", "delete"]
    );
    assert!(!keys(&s3().await, &site.bucket)
        .await
        .contains(&"app/robots.txt".to_string()));
    let dist = site.distribution().await;
    let inv = invalidations(&cloudfront().await, &dist).await;
    assert_eq!(inv.len(), 1);
    for p in ["/assets/new.js", "/index.html", "/", "/robots.txt"] {
        assert!(inv[0].contains(&p.to_string()), "{p} in {:?}", inv[0]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_max_delete_guard_stops_the_deploy_unless_forced() {
    let site = Site::new("fe-guard", "max_deletes = 1\n");
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);
    std::fs::remove_file(site.dir().join("robots.txt")).unwrap();
    std::fs::remove_file(site.dir().join("assets/logo.png")).unwrap();

    let refused = site.deploy(&[]);
    assert_eq!(refused.code, 2, "{refused:?}");
    let message = refused.result()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("2 object(s) would be deleted, more than max_deletes = 1"),
        "{message}"
    );
    assert!(message.contains("--force-deletes"), "{message}");
    assert!(keys(&s3().await, &site.bucket)
        .await
        .contains(&"app/robots.txt".to_string()));

    let forced = site.deploy(&["--force-deletes"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    let now = keys(&s3().await, &site.bucket).await;
    assert!(!now.contains(&"app/robots.txt".to_string()) && !now.contains(&"app/assets/logo.png".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_emptied_site_folder_is_refused() {
    let site = Site::new("fe-empty", "");
    standard_files(&site);
    assert_eq!(site.deploy(&[]).code, 0);
    std::fs::remove_dir_all(site.dir()).unwrap();
    std::fs::create_dir(site.dir()).unwrap();
    let run = site.deploy(&[]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.result()["message"]
        .as_str()
        .unwrap()
        .contains("the site folder is empty"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tricky_keys_round_trip_exactly() {
    let site = Site::new("fe-keys", "");
    let nfd = "cafe\u{301}.txt"; // "café" decomposed, as some file systems store it
    site.write(&[
        ("with space.txt", b"space"),
        ("plus+sign.txt", b"plus"),
        ("100%.txt", b"percent"),
        (nfd, b"unicode"),
        ("nested/deep/x.js", b"deep"),
    ]);
    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let s3 = s3().await;
    let mut got = keys(&s3, &site.bucket).await;
    got.retain(|k| !k.contains(".bosun/"));
    got.sort();
    let mut want = vec![
        "app/100%.txt".to_string(),
        "app/café.txt".to_string(),
        "app/nested/deep/x.js".to_string(),
        "app/plus+sign.txt".to_string(),
        "app/with space.txt".to_string(),
    ];
    want.sort();
    assert_eq!(got, want);
    for (key, body) in [
        ("app/with space.txt", "space"),
        ("app/plus+sign.txt", "plus"),
        ("app/100%.txt", "percent"),
        ("app/café.txt", "unicode"),
    ] {
        let obj = s3.get_object().bucket(&site.bucket).key(key).send().await.expect(key);
        assert_eq!(
            &obj.body.collect().await.unwrap().into_bytes()[..],
            body.as_bytes(),
            "{key}"
        );
    }
    // And they are recognised as unchanged next time.
    assert_eq!(site.deploy(&[]).write_calls(), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn symlinks_are_refused_before_any_write() {
    let site = Site::new("fe-link", "");
    site.write(&[("index.html", b"hi")]);
    std::os::unix::fs::symlink("/etc/hostname", site.dir().join("leak.txt")).unwrap();
    let run = site.deploy(&[]);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("leak.txt") && message.contains("symbolic link"),
        "{message}"
    );
    let exists = s3().await.head_bucket().bucket(&site.bucket).send().await;
    assert!(exists.is_err(), "nothing may be created");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_in_another_region_is_refused_before_any_write() {
    let site = Site::new("fe-region", "");
    site.write(&[("index.html", b"hi")]);
    let conf = sdk_config().await;
    let eu = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .region(aws_sdk_s3::config::Region::new("eu-west-1"))
            .force_path_style(true)
            .build(),
    );
    eu.create_bucket()
        .bucket(&site.bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let run = site.deploy(&[]);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("is in eu-west-1") && message.contains("us-west-2"),
        "{message}"
    );
    assert!(keys(&s3().await, &site.bucket).await.is_empty());
}

#[test]
fn a_missing_site_folder_is_a_located_stack_error() {
    let stack = TestStack::new("bad", "[frontends.web]\ndir = \"nope\"\nbucket = \"b-ok-name\"\n");
    let path = stack.path_str();
    let run = bosun_at("http://127.0.0.1:9", &["--stack", &path, "deploy", "frontend"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("stack.toml:6:") && run.stderr.contains("frontends.web.dir: no folder"),
        "{}",
        run.stderr
    );
}

/// A distribution made outside bosun: one S3 origin on `bucket` with `origin_path`.
async fn outside_distribution(bucket: &str, origin_path: &str) -> String {
    use aws_sdk_cloudfront::types::{
        DefaultCacheBehavior, DistributionConfig, Origin, Origins, S3OriginConfig, ViewerProtocolPolicy,
    };
    let origin = Origin::builder()
        .id("site")
        .domain_name(format!("{bucket}.s3.{REGION}.amazonaws.com"))
        .origin_path(origin_path)
        .s3_origin_config(S3OriginConfig::builder().origin_access_identity("").build())
        .build()
        .unwrap();
    let config = DistributionConfig::builder()
        .caller_reference(unique("outside"))
        .comment("made by hand")
        .enabled(true)
        .origins(Origins::builder().quantity(1).items(origin).build().unwrap())
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("site")
                .viewer_protocol_policy(ViewerProtocolPolicy::RedirectToHttps)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let out = cloudfront()
        .await
        .create_distribution()
        .distribution_config(config)
        .send()
        .await
        .expect("create distribution");
    out.distribution().unwrap().id().to_string()
}

/// The seed's layout: the site under `shipcaptaincrew/` in a shared bucket,
/// behind a distribution that serves the bucket root (origin path "") or
/// the prefix (origin path "/shipcaptaincrew"). Viewers ask for the key with
/// the origin path taken off, and that is what must be invalidated.
#[tokio::test(flavor = "multi_thread")]
async fn invalidation_paths_follow_an_existing_distributions_origin_path() {
    for (origin_path, expected) in [
        (
            "",
            vec!["/shipcaptaincrew", "/shipcaptaincrew/", "/shipcaptaincrew/index.html"],
        ),
        ("/shipcaptaincrew", vec!["/", "/index.html"]),
    ] {
        let site = Site::new("fe-origin", "");
        let dist = outside_distribution(&site.bucket, origin_path).await;
        site.stack.write(&format!(
            "[frontends.web]\ndir = \"site\"\nbucket = \"{}\"\nprefix = \"shipcaptaincrew/\"\ndistribution = \"{dist}\"\n",
            site.bucket
        ));
        site.write(&[("index.html", b"<html>one</html>"), ("app.js", b"1")]);
        let first = site.deploy(&[]);
        assert_eq!(first.code, 0, "{first:?}");
        site.write(&[("index.html", b"<html>two</html>")]);
        let second = site.deploy(&[]);
        assert_eq!(second.code, 0, "{second:?}");
        let all = invalidations(&cloudfront().await, &dist).await;
        assert_eq!(all.last().unwrap(), &expected, "origin path {origin_path:?}: {all:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_that_does_not_serve_the_prefix_is_refused_naming_both() {
    let site = Site::new("fe-misses", "");
    let dist = outside_distribution(&site.bucket, "/elsewhere").await;
    site.stack.write(&format!(
        "[frontends.web]\ndir = \"site\"\nbucket = \"{}\"\nprefix = \"shipcaptaincrew/\"\ndistribution = \"{dist}\"\n",
        site.bucket
    ));
    site.write(&[("index.html", b"<html>one</html>")]);
    let run = site.deploy(&[]);
    assert_eq!(run.code, 2, "{run:?}");
    let error = run.result();
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&dist)
            && message.contains(&format!("s3://{}/shipcaptaincrew/", site.bucket))
            && message.contains("/elsewhere"),
        "{message}"
    );
    // Refused by the planner: not even the bucket was created.
    assert!(s3().await.head_bucket().bucket(&site.bucket).send().await.is_err());
}

/// The API behind the same distribution: a second origin (the function
/// URL's host, signed by a `lambda` origin access control), a path behaviour
/// that caches nothing and forwards every method, an `aws-iam` URL, and the
/// two statements naming the distribution. A second deploy writes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_api_function_sits_behind_the_sites_distribution_and_only_it_may_call() {
    let site = Site::new("fe-api", "");
    let binary = site.stack.binary("exec-reports", "api.bin");
    let body = |auth: &str, api: &str| {
        format!(
            "[functions.api]\nbinary = \"{}\"\nurl = {{ auth = \"{auth}\" }}\n\n\
             [frontends.web]\ndir = \"site\"\nbucket = \"{}\"\nprefix = \"app/\"\ndistribution = \"managed\"\n{api}",
            binary.display(),
            site.bucket
        )
    };
    // First without the API: the distribution exists, then gets the origin.
    site.stack.write(&body("none", ""));
    site.write(&[("index.html", b"<html>crew</html>")]);
    let first = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(first.code, 0, "{first:?}");
    site.stack
        .write(&body("aws-iam", "api = { function = \"api\", path = \"/api/*\" }\n"));
    let second = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(
        second.count_writes("UpdateDistribution"),
        1,
        "{:?}",
        second.write_calls()
    );

    let dist = site.distribution().await;
    let cf = cloudfront().await;
    let domain = cf.get_distribution().id(&dist).send().await.unwrap();
    let domain = domain.distribution().unwrap().domain_name().to_string();
    assert_eq!(second.result()["frontends"][0]["url"], format!("https://{domain}"));
    let config = cf.get_distribution_config().id(&dist).send().await.unwrap();
    let config = config.distribution_config().unwrap();
    let fn_name = format!("{}-api", site.stack.name);
    let url = lambda()
        .await
        .get_function_url_config()
        .function_name(&fn_name)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(url.auth_type().as_str(), "AWS_IAM");
    let host = url
        .function_url()
        .split("://")
        .nth(1)
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    let origins = config.origins().unwrap().items();
    let api = origins
        .iter()
        .find(|o| o.domain_name() == host)
        .expect("the URL is an origin");
    assert_eq!(api.origin_path(), Some(""));
    let custom = api.custom_origin_config().expect("a custom origin");
    assert_eq!(custom.origin_protocol_policy().as_str(), "https-only");
    let oac = cf
        .get_origin_access_control()
        .id(api
            .origin_access_control_id()
            .expect("signed by an origin access control"))
        .send()
        .await
        .unwrap();
    let oac = oac
        .origin_access_control()
        .unwrap()
        .origin_access_control_config()
        .unwrap();
    assert_eq!(oac.origin_access_control_origin_type().as_str(), "lambda");
    let behaviour = config.cache_behaviors().unwrap().items();
    assert_eq!(behaviour.len(), 1);
    assert_eq!(
        (behaviour[0].path_pattern(), behaviour[0].target_origin_id()),
        ("/api/*", api.id())
    );
    assert_eq!(behaviour[0].allowed_methods().unwrap().quantity(), 7);
    // CachingDisabled, AllViewerExceptHostHeader (AWS's managed policies).
    assert_eq!(
        behaviour[0].cache_policy_id(),
        Some("4135ea2d-6df8-44a3-9df3-4b5a84be39ad")
    );
    assert_eq!(
        behaviour[0].origin_request_policy_id(),
        Some("b689b0a8-53d0-40ab-baf2-68738e2966ac")
    );

    // Only this distribution may call: both actions, CloudFront, its ARN.
    let arn = cf.get_distribution().id(&dist).send().await.unwrap();
    let arn = arn.distribution().unwrap().arn().to_string();
    let statements = policy_statements(&fn_name, "live").await;
    let mut granted: Vec<(String, String, String)> = statements
        .iter()
        .filter(|s| s["Principal"]["Service"] == "cloudfront.amazonaws.com")
        .map(|s| {
            (
                s["Action"].as_str().unwrap().to_string(),
                s["Condition"]["ArnLike"]["AWS:SourceArn"].as_str().unwrap().to_string(),
                s["Effect"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    granted.sort();
    assert_eq!(
        granted,
        [
            ("lambda:InvokeFunction".to_string(), arn.clone(), "Allow".to_string()),
            ("lambda:InvokeFunctionUrl".to_string(), arn, "Allow".to_string()),
        ]
    );
    // The URL is not public any more.
    assert!(!statements.iter().any(|s| s["Principal"] == "*"), "{statements:?}");

    let third = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(third.code, 0, "{third:?}");
    assert!(third.write_calls().is_empty(), "{:?}", third.write_calls());
    // `deploy frontend` reads the API function too: nothing to write either.
    let frontend_only = site.stack.bosun(&["deploy", "frontend"]);
    assert_eq!(frontend_only.code, 0, "{frontend_only:?}");
    assert!(
        frontend_only.write_calls().is_empty(),
        "{:?}",
        frontend_only.write_calls()
    );

    // The API taken out of the frontend: no route to it, then (once nothing
    // routes there, a later deploy) no permission left.
    site.stack.write(&body("aws-iam", ""));
    let fourth = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(fourth.code, 0, "{fourth:?}");
    let config = cf.get_distribution_config().id(&dist).send().await.unwrap();
    let config = config.distribution_config().unwrap();
    assert_eq!(config.origins().unwrap().items().len(), 1);
    assert!(config.cache_behaviors().is_none_or(|b| b.items().is_empty()));
    assert_eq!(fourth.count_writes("RemovePermission"), 0, "{:?}", fourth.write_calls());
    let fifth = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(fifth.count_writes("RemovePermission"), 2, "{:?}", fifth.write_calls());
    let statements = policy_statements(&fn_name, "live").await;
    assert!(
        !statements
            .iter()
            .any(|s| s["Principal"]["Service"] == "cloudfront.amazonaws.com"),
        "{statements:?}"
    );
    assert!(site.stack.bosun(&["deploy", "all"]).write_calls().is_empty());
}

#[test]
fn an_api_needs_a_managed_distribution_and_a_function_with_an_aws_iam_url() {
    for (function, distribution, wanted) in [
        ("url = { auth = \"none\" }", "managed", "has a public URL"),
        ("", "managed", "has no URL"),
        (
            "url = { auth = \"aws-iam\" }",
            "\"E2ABCDEF123456\"",
            "needs distribution =",
        ),
    ] {
        let stack = TestStack::new(
            "fe-api-bad",
            &format!(
                "[functions.api]\nbinary = \"/bin/sh\"\n{function}\n\n\
                 [frontends.web]\ndir = \".\"\nbucket = \"b-site\"\ndistribution = {}\napi = {{ function = \"api\" }}\n",
                if distribution == "managed" { "\"managed\"".to_string() } else { distribution.to_string() }
            ),
        );
        let run = stack.bosun(&["plan"]);
        assert_eq!(run.code, 2, "{run:?}");
        let problems = run.result()["problems"].to_string();
        assert!(
            problems.contains(wanted) && problems.contains("frontends.web.api"),
            "{problems}"
        );
    }
}

/// `deploy --wait` waits for a new distribution to be deployed (the SDK's
/// waiter polls GetDistribution until `Deployed`); without it, it does not.
#[tokio::test(flavor = "multi_thread")]
async fn deploy_wait_waits_for_a_new_distribution_to_deploy() {
    for wait in [false, true] {
        let site = Site::new("fe-wait", "");
        site.write(&[("index.html", b"<html>w</html>")]);
        let args: &[&str] = if wait { &["--wait"] } else { &[] };
        let run = site.deploy(args);
        assert_eq!(run.code, 0, "{run:?}");
        let created = run
            .events()
            .into_iter()
            .find(|e| e["event"] == "applied" && e["distribution"].is_string())
            .expect("the distribution was created");
        assert_eq!(created["deployed"] == true, wait, "{created}");
        if wait {
            let dist = site.distribution().await;
            let got = cloudfront().await.get_distribution().id(&dist).send().await.unwrap();
            assert_eq!(got.distribution().unwrap().status(), "Deployed");
        }
    }
}

/// A custom domain: the managed distribution answers to it with the ACM
/// certificate, the deploy prints the DNS record to create, and
/// `${frontends.web.url}` is the domain (known before the distribution
/// exists, so one pass). Taking the domain out restores CloudFront's name.
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_domain_is_set_on_the_distribution_and_named_by_references() {
    let site = Site::new("fe-domain", "");
    let binary = site.stack.binary("exec-reports", "app.bin");
    let body = |domain: &str| {
        format!(
            "[functions.app]\nbinary = \"{}\"\nenvironment = {{ PUBLIC_URL = \"${{frontends.web.url}}\" }}\n\n\
             [frontends.web]\ndir = \"site\"\nbucket = \"{}\"\nprefix = \"app/\"\ndistribution = \"managed\"\n{domain}",
            binary.display(),
            site.bucket
        )
    };
    let issued = certificate(&["crew.example.com"], true).await;
    site.stack.write(&body(&format!(
        "domain = \"crew.example.com\"\ncertificate = \"{issued}\"\n"
    )));
    site.write(&[("index.html", b"<html>d</html>")]);
    let run = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    let dist = site.distribution().await;
    let cf = cloudfront().await;
    let got = cf.get_distribution().id(&dist).send().await.unwrap();
    let got = got.distribution().unwrap();
    let config = got.distribution_config().unwrap();
    assert_eq!(config.aliases().unwrap().items(), ["crew.example.com"]);
    let cert = config.viewer_certificate().unwrap();
    assert_eq!(cert.acm_certificate_arn(), Some(issued.as_str()));
    assert_eq!(cert.ssl_support_method().map(|m| m.as_str()), Some("sni-only"));
    assert_eq!(
        run.result()["frontends"][0]["dns"],
        format!("crew.example.com CNAME {}", got.domain_name())
    );
    assert_eq!(run.result()["frontends"][0]["url"], "https://crew.example.com");
    let fname = format!("{}-app", site.stack.name);
    assert_eq!(alias_version(&lambda().await, &fname, "live").await, "1");
    let env = lambda()
        .await
        .get_function_configuration()
        .function_name(&fname)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(
        env.environment().unwrap().variables().unwrap()["PUBLIC_URL"],
        "https://crew.example.com"
    );
    assert!(site.stack.bosun(&["deploy", "all"]).write_calls().is_empty());

    site.stack.write(&body(""));
    let run = site.stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");
    let config = cf.get_distribution_config().id(&dist).send().await.unwrap();
    assert!(config
        .distribution_config()
        .unwrap()
        .aliases()
        .unwrap()
        .items()
        .is_empty());

    // A functions-only deploy reads the site only for its URL, yet its
    // release still records the site's files (the whole stack).
    site.stack
        .write(&body("").replace("[functions.app]\n", "[functions.app]\nmemory = 256\n"));
    let run = site.stack.bosun(&["deploy", "functions", "app"]);
    assert_eq!(run.code, 0, "{run:?}");
    let releases = site.stack.bosun(&["releases"]).result();
    let newest = releases["releases"][0]["id"].as_str().unwrap().to_string();
    let record = s3()
        .await
        .get_object()
        .bucket(format!("bosun-123456789012-{}", site.stack.name))
        .key(format!("releases/{newest}.json"))
        .send()
        .await
        .unwrap();
    let record: serde_json::Value = serde_json::from_slice(&record.body.collect().await.unwrap().into_bytes()).unwrap();
    assert!(
        record["state"]["frontends"]["web"]["files"]["app/index.html"].is_object(),
        "{record}"
    );
    assert_eq!(record["state"]["functions"]["app"]["memory"], 256);
}

#[test]
fn a_custom_domain_needs_a_certificate_in_us_east_1() {
    let stack = TestStack::new(
        "fe-domain-bad",
        "[frontends.web]\ndir = \".\"\nbucket = \"b-site\"\ndistribution = \"managed\"\ndomain = \"crew.example.com\"\n\
         certificate = \"arn:aws:acm:eu-west-1:123456789012:certificate/x\"\n",
    );
    let run = stack.bosun(&["plan"]);
    assert_eq!(run.code, 2, "{run:?}");
    let problems = run.result()["problems"].to_string();
    assert!(
        problems.contains("frontends.web.certificate") && problems.contains("in us-east-1"),
        "{problems}"
    );
}

/// Every response of a managed distribution carries bosun's security
/// headers: a response headers policy the stack owns, on the default
/// behaviour (the browser test runs the page under the same headers).
#[tokio::test(flavor = "multi_thread")]
async fn a_managed_distribution_sends_the_security_headers() {
    let site = Site::new("fe-headers", "");
    site.write(&[("index.html", b"<html>h</html>")]);
    let run = site.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let cf = cloudfront().await;
    let dist = site.distribution().await;
    let config = cf.get_distribution_config().id(&dist).send().await.unwrap();
    let behaviour = config.distribution_config().unwrap().default_cache_behavior().unwrap();
    let policy_id = behaviour
        .response_headers_policy_id()
        .expect("a response headers policy");
    let policy = cf.get_response_headers_policy().id(policy_id).send().await.unwrap();
    let config = policy
        .response_headers_policy()
        .unwrap()
        .response_headers_policy_config()
        .unwrap();
    assert_eq!(config.name(), format!("bosun-{}-security-headers", site.stack.name));
    let security = config.security_headers_config().unwrap();
    let csp = security.content_security_policy().unwrap();
    assert!(csp.r#override());
    assert_eq!(
        csp.content_security_policy(),
        bosun::aws::cloudfront::CONTENT_SECURITY_POLICY
    );
    assert!(csp.content_security_policy().contains("frame-ancestors 'none'"));
    let hsts = security.strict_transport_security().unwrap();
    assert!(hsts.access_control_max_age_sec() >= 31_536_000 && hsts.include_subdomains() == Some(true));
    assert!(security.content_type_options().unwrap().r#override());
    assert_eq!(security.frame_options().unwrap().frame_option().as_str(), "DENY");
    assert_eq!(
        security.referrer_policy().unwrap().referrer_policy().as_str(),
        "no-referrer"
    );
    // Nothing changed: nothing written (the policy is read, compared, kept).
    let again = site.deploy(&[]);
    assert!(again.write_calls().is_empty(), "{:?}", again.write_calls());

    // Weakened by hand: the next deploy puts it back, If-Match the ETag it
    // read (AWS, and the rules layer, refuse an update without the current one).
    let etag = policy.e_tag().unwrap().to_string();
    let mut weak = config.clone();
    let mut security = security.clone();
    security.content_security_policy = Some(
        aws_sdk_cloudfront::types::ResponseHeadersPolicyContentSecurityPolicy::builder()
            .r#override(true)
            .content_security_policy("default-src *")
            .build()
            .unwrap(),
    );
    weak.security_headers_config = Some(security);
    let stale = cf
        .update_response_headers_policy()
        .id(policy_id)
        .if_match("STALE")
        .response_headers_policy_config(weak.clone())
        .send()
        .await;
    assert!(stale.is_err(), "an update without the current ETag is refused");
    cf.update_response_headers_policy()
        .id(policy_id)
        .if_match(etag)
        .response_headers_policy_config(weak)
        .send()
        .await
        .unwrap();
    // The plan says which header differs.
    let plan = site.stack.bosun(&["plan"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let put = plan.result()["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["action"] == "put_headers_policy")
        .cloned()
        .unwrap_or_else(|| panic!("{plan:?}"));
    assert_eq!(put["differs"], serde_json::json!(["Content-Security-Policy"]), "{put}");
    let repair = site.deploy(&[]);
    assert_eq!(repair.code, 0, "{repair:?}");
    assert_eq!(repair.write_calls(), ["CloudFront:UpdateResponseHeadersPolicy"]);
    let restored = cf.get_response_headers_policy().id(policy_id).send().await.unwrap();
    let restored = restored
        .response_headers_policy()
        .unwrap()
        .response_headers_policy_config()
        .unwrap();
    assert_eq!(
        restored
            .security_headers_config()
            .unwrap()
            .content_security_policy()
            .unwrap()
            .content_security_policy(),
        bosun::aws::cloudfront::CONTENT_SECURITY_POLICY
    );
}

/// bosun finds its distributions by comment, and derives the
/// CallerReference from it. When a person edits the comment, the next
/// deploy cannot find the distribution and its create is refused
/// (DistributionAlreadyExists, which names the holder): the error names
/// that distribution and its comment now, and says what to do; nothing
/// else is created.
#[tokio::test(flavor = "multi_thread")]
async fn a_distribution_whose_comment_was_edited_is_named_not_duplicated() {
    let site = Site::new("fe-comment", "");
    site.write(&[("index.html", b"<h1>hi</h1>")]);
    let first = site.deploy(&[]);
    assert_eq!(first.code, 0, "{first:?}");
    let id = site.distribution().await;
    let cf = cloudfront().await;
    let got = cf.get_distribution_config().id(&id).send().await.unwrap();
    let mut config = got.distribution_config().unwrap().clone();
    let comment = config.comment.clone();
    config.comment = "edited by hand".into();
    cf.update_distribution()
        .id(&id)
        .if_match(got.e_tag().unwrap())
        .distribution_config(config)
        .send()
        .await
        .unwrap();

    let again = site.deploy(&[]);
    assert_eq!(again.code, 1, "{again:?}");
    let message = again.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("DistributionAlreadyExists"), "{message}");
    assert!(
        message.contains(&format!("distribution {id} (its comment is now \"edited by hand\")")),
        "{message}"
    );
    assert!(
        message.contains(&format!("set the comment back to \"{comment}\"")),
        "{message}"
    );
    let listed = cf.list_distributions().send().await.unwrap();
    let holders = listed
        .distribution_list()
        .unwrap()
        .items()
        .iter()
        .filter(|d| d.comment() == comment || d.id() == id)
        .count();
    assert_eq!(holders, 1, "no second distribution");
}

/// CloudFront serves a custom domain only with an ISSUED certificate that
/// covers it: one still pending validation, or issued for another name, is
/// refused at plan (naming what is wrong and what to do), before any write.
/// A zone apex gets an ALIAS record, not a CNAME (an apex cannot hold one).
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_domains_certificate_is_checked_before_any_write_and_an_apex_gets_an_alias() {
    let site = Site::new("fe-cert", "");
    site.write(&[("index.html", b"<html>c</html>")]);
    let with = |domain: &str, cert: &str| {
        site.configure(&format!("domain = \"{domain}\"\ncertificate = \"{cert}\"\n"));
        site.stack.bosun(&["deploy", "all"])
    };
    let pending = certificate(&["crew.example.com"], false).await;
    let run = with("crew.example.com", &pending);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(message.contains("is PENDING_VALIDATION, not ISSUED"), "{message}");
    assert!(
        !run.stdout.contains("\"event\":\"applied\""),
        "nothing written: {run:?}"
    );

    let elsewhere = certificate(&["shop.example.com"], true).await;
    let run = with("crew.example.com", &elsewhere);
    assert_eq!(run.code, 2, "{run:?}");
    let message = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("covers shop.example.com, not crew.example.com"),
        "{message}"
    );

    let apex = certificate(&["example.com", "*.example.com"], true).await;
    let run = with("example.com", &apex);
    assert_eq!(run.code, 0, "{run:?}");
    let dns = run.result()["frontends"][0]["dns"].as_str().unwrap().to_string();
    assert!(dns.starts_with("example.com ALIAS "), "{dns}");
    assert!(dns.ends_with(".cloudfront.net"), "{dns}");
}
