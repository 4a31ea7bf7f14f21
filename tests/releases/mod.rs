//! Releases, rollback, the deploy lock, interrupted deploys and drift,
//! against the emulator.

use std::path::PathBuf;

use serde_json::{json, Value};

use crate::util::*;

/// A stack with one function, one frontend (with a CDN) and one schedule:
/// everything a release records.
struct Estate {
    stack: TestStack,
    bin: PathBuf,
    bucket: String,
}

impl Estate {
    fn new(prefix: &str) -> Estate {
        let stack = TestStack::new(&unique(prefix), "");
        let bin = stack.binary("exec-reports", "app.bin");
        let bucket = format!("{}-site", stack.name);
        let e = Estate { stack, bin, bucket };
        e.files(&[("index.html", b"<h1>A</h1>"), ("assets/app.js", b"console.log('A')")]);
        e.configure("csuite");
        e
    }

    fn configure(&self, batch: &str) {
        self.stack.write(&format!(
            "[functions.app]\nbinary = \"{}\"\n\n\
             [frontends.web]\ndir = \"site\"\nbucket = \"{}\"\ndistribution = \"managed\"\n\n\
             [schedules.tick]\nfunction = \"app\"\nexpression = \"cron(0 15 ? * MON *)\"\ninput = {{ batch = \"{batch}\" }}\n",
            self.bin.display(),
            self.bucket
        ));
    }

    fn files(&self, files: &[(&str, &[u8])]) {
        write_files(&self.stack.dir.path().join("site"), files);
    }

    fn function(&self) -> String {
        format!("{}-app", self.stack.name)
    }

    fn rule(&self) -> String {
        format!("{}-tick", self.stack.name)
    }

    /// Change code, one frontend file and the schedule's input.
    fn change_to_b(&self) {
        change_code(&self.bin);
        self.files(&[("index.html", b"<h1>B</h1>")]);
        self.configure("portfolio");
    }

    /// What is live: alias version, object bytes and headers, rule and target input.
    async fn live(&self) -> Value {
        let l = lambda().await;
        let alias = alias_version(&l, &self.function(), "live").await;
        let s3 = s3().await;
        let mut objects = serde_json::Map::new();
        for key in keys(&s3, &self.bucket).await {
            if key.contains(".bosun/") {
                continue;
            }
            let o = s3.get_object().bucket(&self.bucket).key(&key).send().await.unwrap();
            let ct = o.content_type().unwrap_or_default().to_string();
            let cc = o.cache_control().unwrap_or_default().to_string();
            let body = o.body.collect().await.unwrap().into_bytes();
            objects.insert(key, json!([String::from_utf8_lossy(&body), ct, cc]));
        }
        let ev = events().await;
        let rule = ev.describe_rule().name(self.rule()).send().await.unwrap();
        let targets = ev.list_targets_by_rule().rule(self.rule()).send().await.unwrap();
        let t = &targets.targets()[0];
        json!({
            "alias": alias,
            "objects": objects,
            "rule": rule.schedule_expression(),
            "target": t.arn(),
            "input": serde_json::from_str::<Value>(t.input().unwrap()).unwrap(),
        })
    }

    fn deploy(&self, extra: &[&str]) -> Run {
        let mut args = vec!["deploy", "all"];
        args.extend_from_slice(extra);
        self.stack.bosun(&args)
    }

    fn state_bucket(&self) -> String {
        format!("bosun-123456789012-{}", self.stack.name)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_restores_release_a_byte_for_byte_then_rolls_forward_to_b() {
    let e = Estate::new("rel");
    let run = e.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let release_a = run.result()["release"].as_str().unwrap().to_string();
    let a = e.live().await;

    e.change_to_b();
    let run = e.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let release_b = run.result()["release"].as_str().unwrap().to_string();
    let b = e.live().await;
    assert_ne!(a, b);
    assert_eq!(b["input"], json!({"batch": "portfolio"}));

    // A deploy with nothing to do records nothing and writes nothing at all.
    let run = e.deploy(&[]);
    assert_eq!(run.result()["release"], Value::Null);
    assert_eq!(run.result()["calls"]["writes"], 0);
    assert_eq!(run.result()["calls"]["state_writes"], 0);

    let list = e.stack.bosun(&["releases"]).result();
    let ids: Vec<&str> = list["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [release_b.as_str(), release_a.as_str()], "newest first");

    // plan --rollback shows it and writes nothing.
    let plan = e.stack.bosun(&["plan", "--rollback"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_eq!(plan.result()["calls"]["writes"], 0);
    let actions = plan.planned_actions();
    assert_eq!(
        actions,
        [
            "point_alias",
            "restore_objects",
            "invalidate",
            "write_recorded_manifest",
            "put_target"
        ]
    );

    let run = e.stack.bosun(&["rollback"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.result()["to"], release_a.as_str());
    assert_eq!(e.live().await, a, "live state equals release A");
    let rollback_id = run.result()["release"].as_str().unwrap().to_string();
    let list = e.stack.bosun(&["releases"]).result();
    assert_eq!(list["releases"][0]["id"], rollback_id.as_str());
    assert_eq!(list["releases"][0]["rollback_of"], release_a.as_str());
    // No drift after a rollback: the rollback is itself the last release.
    assert_eq!(e.stack.bosun(&["status"]).code, 0);

    // Roll forward to B.
    let run = e.stack.bosun(&["rollback", "--to", &release_b]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(e.live().await, b, "live state equals release B");
    // Exactly two versions exist: rollbacks never publish.
    assert_eq!(versions(&lambda().await, &e.function()).await, ["1", "2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reports_drift_after_an_out_of_band_alias_move() {
    let e = Estate::new("drift");
    assert_eq!(e.deploy(&[]).code, 0);
    change_code(&e.bin);
    assert_eq!(e.deploy(&[]).code, 0);
    assert_eq!(e.stack.bosun(&["status"]).code, 0);

    lambda()
        .await
        .update_alias()
        .function_name(e.function())
        .name("live")
        .function_version("1")
        .send()
        .await
        .unwrap();
    let run = e.stack.bosun(&["status"]);
    assert_eq!(run.code, 3, "{run:?}");
    let drift = run.result()["drift"].clone();
    assert_eq!(
        drift,
        json!([format!(
            "function/{}: alias `live` → version 1, the release has 2",
            e.function()
        )])
    );
    let path = e.stack.path_str();
    let text = bosun(&["--stack", &path, "status"]);
    assert!(text.stdout.contains("drift against release"), "{}", text.stdout);
}

/// Writes a lock object into the stack's state bucket as another run would.
async fn plant_lock(bucket: &str, id: &str, expires: i64) {
    let body = json!({
        "id": id, "who": "someone@elsewhere", "command": "deploy all", "host": "elsewhere",
        "pid": 4242, "started": "2026-01-01T00:00:00Z", "expires": expires,
        "journal": {"done": ["function/x: update code"], "invalidations": {}}
    });
    s3().await
        .put_object()
        .bucket(bucket)
        .key("lock.json")
        .body(body.to_string().into_bytes().into())
        .send()
        .await
        .unwrap();
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_fails_clearly_or_is_waited_for_and_a_stale_one_is_taken_over() {
    let e = Estate::new("lock");
    assert_eq!(e.deploy(&[]).code, 0);
    e.change_to_b();

    plant_lock(&e.state_bucket(), "held1", now() + 600).await;
    let run = e.deploy(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("locked by someone@elsewhere (deploy all on elsewhere, pid 4242)"),
        "{msg}"
    );
    assert!(msg.contains("bosun unlock --id held1"), "{msg}");
    assert_eq!(versions(&lambda().await, &e.function()).await, ["1"], "nothing changed");

    // Waiting: the lock goes away while bosun waits.
    let bucket = e.state_bucket();
    let remover = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(5000)).await;
        s3().await
            .delete_object()
            .bucket(&bucket)
            .key("lock.json")
            .send()
            .await
            .unwrap();
    });
    let stack_path = e.stack.path_str();
    let run = tokio::task::spawn_blocking(move || {
        bosun(&[
            "--stack",
            &stack_path,
            "--output",
            "json",
            "deploy",
            "all",
            "--lock-wait",
            "30",
        ])
    })
    .await
    .unwrap();
    remover.await.unwrap();
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.events().iter().any(|ev| ev["event"] == "warning"
        && ev["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("waiting up to 30s for the lock")));

    // A stale lock (past its expiry) is taken over, and its journal reported.
    plant_lock(&e.state_bucket(), "stale1", now() - 5).await;
    e.configure("csuite");
    let run = e.deploy(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.events().iter().any(|ev| ev["message"]
        .as_str()
        .unwrap_or_default()
        .contains("took over the expired lock of someone@elsewhere")));
    // The lock is released after the run.
    assert!(s3()
        .await
        .get_object()
        .bucket(e.state_bucket())
        .key("lock.json")
        .send()
        .await
        .is_err());

    // unlock --id removes only the named lock.
    plant_lock(&e.state_bucket(), "held2", now() + 600).await;
    let run = e.stack.bosun(&["unlock", "--id", "wrong"]);
    assert_eq!(run.code, 1, "{run:?}");
    let run = e.stack.bosun(&["unlock", "--id", "held2"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.result()["removed"]["id"], "held2");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_deploys_one_applies_the_other_waits_and_finds_nothing_to_do() {
    let e = Estate::new("race");
    assert_eq!(e.deploy(&[]).code, 0);
    e.change_to_b();
    let path = e.stack.path_str();
    let spawn = |p: String| {
        std::thread::spawn(move || bosun(&["--stack", &p, "--output", "json", "deploy", "all", "--lock-wait", "60"]))
    };
    let (r1, r2) = (spawn(path.clone()), spawn(path));
    let (r1, r2) = (r1.join().unwrap(), r2.join().unwrap());
    assert_eq!((r1.code, r2.code), (0, 0), "{r1:?}\n{r2:?}");
    let released = [r1.result(), r2.result()]
        .iter()
        .filter(|r| !r["release"].is_null())
        .count();
    assert_eq!(released, 1, "exactly one run applied and recorded a release");
    assert_eq!(
        versions(&lambda().await, &e.function()).await,
        ["1", "2"],
        "no duplicate version"
    );
}

/// How many calls of `operation` (`Service:Operation`) a `-v` JSON result counted.
fn calls_of(run: &Run, operation: &str) -> u64 {
    run.result()["aws_time"]
        .as_array()
        .unwrap_or_else(|| panic!("no aws_time (run with -v): {run:?}"))
        .iter()
        .filter(|o| o["operation"] == operation)
        .map(|o| o["calls"].as_u64().unwrap())
        .sum()
}

fn phases(run: &Run) -> Vec<String> {
    run.result()["timings"]
        .as_array()
        .unwrap_or_else(|| panic!("no timings (run with -v): {run:?}"))
        .iter()
        .map(|p| p["phase"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_between_the_read_and_the_lock_makes_the_deploy_read_again() {
    let e = Estate::new("between");
    assert_eq!(e.deploy(&[]).code, 0);
    let site_text = |key: &'static str| {
        let bucket = e.bucket.clone();
        async move {
            let o = s3().await.get_object().bucket(&bucket).key(key).send().await.unwrap();
            String::from_utf8(o.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
        }
    };

    // Nobody else ran: the deploy applies the plan of its one read (the
    // site is listed once; the lock's history is checked instead).
    e.files(&[("index.html", b"<h1>quiet</h1>")]);
    let quiet = e.deploy(&["-v"]);
    assert_eq!(quiet.code, 0, "{quiet:?}");
    assert_eq!(calls_of(&quiet, "S3:ListObjectsV2"), 1, "{quiet:?}");
    assert!(!phases(&quiet).iter().any(|p| p.contains("re-read")), "{quiet:?}");
    assert_eq!(site_text("index.html").await, "<h1>quiet</h1>");

    // A reads (a new index page) and stops before the lock; meanwhile B
    // deploys a change A read as already live (the script), and the file
    // goes back to what A scanned.
    e.files(&[("index.html", b"<h1>A</h1>")]);
    let pause = tempfile::tempdir().unwrap();
    let path = e.stack.path_str();
    let a = bosun_command(
        &emulator().endpoint,
        &["--stack", &path, "--output", "json", "-v", "deploy", "all"],
    )
    .env("BOSUN_TEST_PAUSE_BEFORE_LOCK", pause.path())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let paused = pause.path().join("paused");
    for _ in 0..600 {
        if paused.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(paused.exists(), "A never reached the lock");
    e.files(&[("assets/app.js", b"console.log('B')")]);
    let b = e.deploy(&[]);
    assert_eq!(b.code, 0, "{b:?}");
    assert_eq!(site_text("assets/app.js").await, "console.log('B')");
    e.files(&[("assets/app.js", b"console.log('A')")]);
    std::fs::write(pause.path().join("go"), b"").unwrap();
    let out = a.wait_with_output().unwrap();
    let a = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(a.code, 0, "{a:?}");
    // B took the lock after A's read: A read again under the lock, saw the
    // script B left, and put back the one it scanned.
    assert!(phases(&a).iter().any(|p| p.contains("re-read")), "{a:?}");
    assert_eq!(site_text("assets/app.js").await, "console.log('A')");
    assert_eq!(site_text("index.html").await, "<h1>A</h1>");
    let status = e.stack.bosun(&["status"]);
    assert_eq!(status.code, 0, "no drift: {status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_killed_after_any_step_converges_on_rerun_without_duplicates() {
    let e = Estate::new("kill");
    assert_eq!(e.deploy(&[]).code, 0);
    e.change_to_b();
    let steps = e.stack.bosun(&["plan"]).result()["plan"]["changes"]
        .as_array()
        .unwrap()
        .len();
    assert!(
        steps >= 6,
        "code, alias, upload, invalidation, manifest, target: {steps}"
    );
    let dist = {
        let cf = cloudfront().await;
        let list = cf.list_distributions().send().await.unwrap();
        list.distribution_list()
            .unwrap()
            .items()
            .iter()
            .find(|d| d.comment() == format!("bosun {}/web", e.stack.name))
            .map(|d| d.id().to_string())
            .unwrap()
    };
    let mut expected_versions = vec!["1".to_string()];
    for n in 1..=steps {
        // Each round moves to a new state (alternating the frontend text and batch).
        let tag = format!("round{n}");
        change_code(&e.bin);
        e.files(&[("index.html", tag.as_bytes())]);
        e.configure(&tag);
        let before = invalidations(&cloudfront().await, &dist).await.len();
        let path = e.stack.path_str();
        let out = bosun_command(
            &emulator().endpoint,
            &["--stack", &path, "--output", "json", "deploy", "all", "--lock-ttl", "1"],
        )
        .env("BOSUN_FAULT_EXIT_AFTER_STEPS", n.to_string())
        .output()
        .unwrap();
        assert_eq!(
            out.status.code(),
            Some(99),
            "killed after step {n}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(std::time::Duration::from_millis(2100)); // the lock expires
        let run = e.deploy(&[]);
        assert_eq!(run.code, 0, "rerun after step {n}: {run:?}");
        let again = e.deploy(&[]);
        assert_eq!(
            again.result()["calls"]["writes"],
            0,
            "converged after step {n}: {again:?}"
        );
        expected_versions.push((n + 1).to_string());
        assert_eq!(
            versions(&lambda().await, &e.function()).await,
            expected_versions,
            "after step {n}"
        );
        assert_eq!(
            invalidations(&cloudfront().await, &dist).await.len(),
            before + 1,
            "one invalidation for the change (step {n})"
        );
        let perms = policy_statements(&e.function(), "live").await;
        assert_eq!(
            perms
                .iter()
                .filter(|s| s["Sid"].as_str().unwrap_or_default().starts_with("bosun-events-"))
                .count(),
            1
        );
        let live = e.live().await;
        assert_eq!(live["input"], json!({"batch": tag}));
        assert_eq!(live["objects"]["index.html"][0], tag.as_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_prunes_old_versions_and_a_rollback_to_a_pruned_release_fails_before_any_change() {
    let e = Estate::new("prune");
    assert_eq!(e.deploy(&[]).code, 0);
    let first = "000001";
    for _ in 0..2 {
        change_code(&e.bin);
        assert_eq!(e.deploy(&[]).code, 0);
    }
    assert_eq!(versions(&lambda().await, &e.function()).await, ["1", "2", "3"]);
    change_code(&e.bin);
    let run = e.deploy(&["--keep", "2"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.result()["pruned"],
        json!([format!("{}:1", e.function()), format!("{}:2", e.function())])
    );
    assert_eq!(versions(&lambda().await, &e.function()).await, ["3", "4"]);

    let before = e.live().await;
    let run = e.stack.bosun(&["rollback", "--to", first]);
    assert_eq!(run.code, 2, "{run:?}");
    let msg = run.result()["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains(&format!(
            "release {first} cannot be restored: function {} version 1",
            e.function()
        )),
        "{msg}"
    );
    assert_eq!(e.live().await, before, "nothing changed");
}

/// S3 may take up to 15 minutes to version a bucket's writes after its
/// versioning is first enabled (the rules layer holds that window open for
/// this bucket). Files written then have no version id: the deploy says
/// so, the release records which (`bosun releases` shows them as not
/// restorable), and a rollback to it is refused naming them, before any
/// change. Once versioning applies, the next change is recorded whole.
#[tokio::test(flavor = "multi_thread")]
async fn writes_before_versioning_takes_effect_are_recorded_as_not_restorable() {
    let e = Estate::new("rel-settle");
    rules(json!({"versioning_settle_seconds": 600, "bucket": e.bucket}));
    let first = e.deploy(&[]);
    assert_eq!(first.code, 0, "{first:?}");
    let warned: Vec<String> = first
        .events()
        .iter()
        .filter(|ev| ev["event"] == "warning")
        .map(|ev| ev["message"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        warned.iter().any(|w| w.contains("this deploy wrote got no version id")),
        "{warned:?}"
    );
    let a = first.result()["release"].as_str().unwrap().to_string();
    let listed = e.stack.bosun(&["releases"]);
    let release = listed.result()["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == a.as_str())
        .cloned()
        .unwrap();
    let unversioned: Vec<&str> = release["unversioned"]
        .as_array()
        .unwrap_or_else(|| panic!("{release}"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        unversioned.contains(&format!("s3://{}/index.html", e.bucket).as_str()),
        "{unversioned:?}"
    );

    // Versioning applies now: the next change is recorded with versions.
    rules(json!({"versioning_settle_seconds": 0, "bucket": e.bucket}));
    e.change_to_b();
    let second = e.deploy(&[]);
    assert_eq!(second.code, 0, "{second:?}");
    let listed = e.stack.bosun(&["releases"]);
    let newest = listed.result()["releases"][0].clone();
    let still: Vec<&str> = newest["unversioned"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(
        !still.contains(&format!("s3://{}/index.html", e.bucket).as_str()),
        "the rewritten page has a version now: {still:?}"
    );

    let back = e.stack.bosun(&["rollback", "--to", &a]);
    assert_eq!(back.code, 2, "{back:?}");
    let message = back.result()["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("index.html (the release has no version id)"),
        "{message}"
    );
    assert!(
        !back.stdout.contains("\"event\":\"applied\""),
        "nothing changed: {back:?}"
    );
}
