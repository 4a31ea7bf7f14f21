//! Packaging real binaries: the runtime and architecture checks, a glibc
//! too new for the runtime refused through the CLI, reproducible zips.

use crate::util::*;

#[test]
fn real_binary_passes_al2023_and_is_refused_for_al2_and_arm64() {
    use bosun::model::{Arch, Runtime};
    use bosun::package::{check_binary, elf_facts};
    let path = lambda_binary("exec-reports");
    let bytes = std::fs::read(&path).unwrap();
    let facts = elf_facts(&bytes).unwrap();
    assert_eq!(facts.arch, Some(Arch::X86_64));
    assert!(facts.max_glibc.unwrap() <= (2, 34), "{facts:?}");
    check_binary("f", &path, &bytes, Runtime::ProvidedAl2023, Arch::X86_64).expect("fits provided.al2023");

    if facts.max_glibc.unwrap() > (2, 26) {
        let err = check_binary("f", &path, &bytes, Runtime::ProvidedAl2, Arch::X86_64).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("GLIBC_2."), "{text}");
        assert!(text.contains("provided.al2 provides glibc 2.26"), "{text}");
        assert!(err.is_bad_input());
    }

    let err = check_binary("f", &path, &bytes, Runtime::ProvidedAl2023, Arch::Arm64).unwrap_err();
    assert!(err.to_string().contains("built for x86_64"), "{err}");

    // The same binary relabelled as aarch64 (e_machine = 183) passes for arm64.
    let mut arm = bytes.clone();
    arm[18..20].copy_from_slice(&183u16.to_le_bytes());
    assert_eq!(elf_facts(&arm).unwrap().arch, Some(Arch::Arm64));
    check_binary("f", &path, &arm, Runtime::ProvidedAl2023, Arch::Arm64).expect("arm64 accepted");
}

#[test]
fn a_glibc_too_new_for_the_runtime_is_refused_through_the_cli_with_exit_2() {
    let binary = lambda_binary("exec-reports");
    let bytes = std::fs::read(&binary).unwrap();
    let facts = bosun::package::elf_facts(&bytes).unwrap();
    if facts.max_glibc.unwrap_or((0, 0)) <= (2, 26) {
        return; // a host with an old glibc builds binaries that fit provided.al2
    }
    let stack = TestStack::new(
        &unique("glibc"),
        &format!(
            "[functions.old]\nbinary = \"{}\"\nruntime = \"provided.al2\"\n",
            binary.display()
        ),
    );
    // An unreachable endpoint: the refusal happens before any AWS call.
    let path = stack.path_str();
    let run = bosun_at("http://127.0.0.1:9", &["--stack", &path, "deploy", "all"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("needs symbol version GLIBC_2."), "{}", run.stderr);
    assert!(run.stderr.contains("help:"), "{}", run.stderr);
}

#[test]
fn packaging_a_crate_twice_gives_identical_bytes() {
    use bosun::model::{Arch, CodeSource, FunctionSpec, Runtime};
    let spec = FunctionSpec {
        key: "exec-reports".into(),
        name: "x-exec-reports".into(),
        code: CodeSource::Crate {
            dir: root().join("lambdas/exec-reports"),
            bin: Some("exec-reports".into()),
            build: bosun::model::BuildChoice::Auto,
            profile: TEST_PROFILE.into(),
        },
        runtime: Runtime::ProvidedAl2023,
        arch: Arch::X86_64,
        memory: 128,
        timeout: 3,
        description: String::new(),
        alias: "live".into(),
        environment: Default::default(),
        tables: Default::default(),
        send_email: false,
        url: None,
        data: Default::default(),
        archive: false,
        smoke: None,
        secrets: Vec::new(),
        reserved_concurrency: None,
    };
    // Two builds (the second finds nothing to do), two packages.
    let one = bosun::package::package_with(&spec, lambda_binary("exec-reports"), None).expect("package");
    let two = bosun::package::package_with(&spec, lambda_binary("exec-reports"), None).expect("package again");
    assert_eq!(one.zip, two.zip);
    assert_eq!(one.sha256, two.sha256);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(one.zip.clone())).unwrap();
    assert_eq!(archive.len(), 1);
    let entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
}

/// The zip cache: a second packaging of the same bytes zips nothing (the
/// digest comes from the cache) and the upload's zip, built then, is the
/// same bytes; a changed binary is a miss, and one that changes between
/// packaging and upload is refused, not uploaded.
#[test]
fn the_zip_cache_skips_deflate_and_never_uploads_other_bytes() {
    let spec = bosun::stack::parse(
        std::path::Path::new("/tmp/t.toml"),
        "[stack]\nname = \"t\"\n\n[functions.api]\nbinary = \"/bin/sh\"\n",
    )
    .unwrap()
    .functions
    .remove(0);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let binary = dir.path().join("bootstrap");
    std::fs::copy(lambda_binary("exec-reports"), &binary).unwrap();

    let cold = bosun::package::package_with(&spec, binary.clone(), Some(&cache)).unwrap();
    assert!(!cold.zip.is_empty());
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        1,
        "one entry, by the binary's digest"
    );
    let warm = bosun::package::package_with(&spec, binary.clone(), Some(&cache)).unwrap();
    assert!(warm.zip.is_empty(), "a hit zips nothing");
    assert_eq!((warm.sha256.as_str(), warm.size), (cold.sha256.as_str(), cold.size));
    assert_eq!(warm.zip_bytes().unwrap().as_ref(), cold.zip.as_slice());

    // The binary changes after packaging: the upload refuses it.
    let mut bytes = std::fs::read(&binary).unwrap();
    bytes.extend_from_slice(b"appended");
    std::fs::write(&binary, &bytes).unwrap();
    let err = warm.zip_bytes().unwrap_err();
    assert!(err.contains("changed since it was packaged"), "{err}");
    // Packaging again is a miss: new digest, new zip.
    let changed = bosun::package::package_with(&spec, binary, Some(&cache)).unwrap();
    assert!(!changed.zip.is_empty());
    assert_ne!(changed.sha256, cold.sha256);
}

/// A copy of the dependency-free fixture crate in its own folder (its own
/// target dir), so a test's build is its own.
fn tiny_crate() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = root().join("tests/fixtures/tiny-lambda");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    for file in ["Cargo.toml", "Cargo.lock", "build.rs", "src/main.rs"] {
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn events_named(run: &Run, name: &str) -> Vec<serde_json::Value> {
    run.events().into_iter().filter(|e| e["event"] == name).collect()
}

#[test]
fn zig_builds_for_provided_al2_need_at_most_glibc_2_26_and_boot_in_preflight() {
    let krate = tiny_crate();
    let stack = TestStack::new(
        &unique("zig-al2"),
        &format!(
            "[functions.tiny]\ncrate = \"{}\"\nruntime = \"provided.al2\"\nbuild = \"zig\"\nsmoke = {{ hello = \"world\" }}\n",
            krate.path().display()
        ),
    );
    let run = stack.bosun(&["deploy", "all"]);
    assert_eq!(run.code, 0, "{run:?}");

    let started = events_named(&run, "build_started");
    assert_eq!(started.len(), 1, "{run:?}");
    assert_eq!(started[0]["tool"], "zig");
    assert_eq!(started[0]["target"], "x86_64-unknown-linux-gnu.2.26");
    assert_eq!(started[0]["functions"], serde_json::json!(["tiny"]));
    let finished = events_named(&run, "build_finished");
    assert_eq!(finished.len(), 1, "{run:?}");
    assert!(finished[0]["elapsed_ms"].is_u64(), "{finished:?}");
    assert!(
        finished[0]["compiled"].as_u64().unwrap() >= 1,
        "a fresh crate compiles: {finished:?}"
    );

    // The ELF check is the last word: the binary needs nothing newer than 2.26.
    let binary = krate.path().join("target/x86_64-unknown-linux-gnu/release/tiny-lambda");
    let facts = bosun::package::elf_facts(&std::fs::read(&binary).unwrap()).unwrap();
    assert!(facts.max_glibc.is_some_and(|g| g <= (2, 26)), "{facts:?}");
    let packaged = events_named(&run, "packaged");
    let glibc = packaged[0]["glibc"].as_str().unwrap();
    let minor: u32 = glibc.strip_prefix("GLIBC_2.").unwrap().parse().unwrap();
    assert!(minor <= 26, "{glibc}");

    // And it boots: preflight started it and it answered the smoke event.
    let preflight = events_named(&run, "preflight");
    assert_eq!(preflight.len(), 1, "{run:?}");
    let answer: serde_json::Value = serde_json::from_str(preflight[0]["smoke_response"].as_str().unwrap()).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"echo": {"hello": "world"}, "greeting": null})
    );

    // Nothing changed: cargo runs once, compiles nothing, nothing is written.
    let again = stack.bosun(&["deploy", "all"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(events_named(&again, "build_started").len(), 1);
    assert_eq!(events_named(&again, "build_finished")[0]["compiled"], 0);
    assert_eq!(again.write_calls(), Vec::<String>::new());
}

#[test]
fn a_build_shows_its_progress_as_text_and_cargos_own_lines_with_v() {
    let krate = tiny_crate();
    let stack = TestStack::new(
        &unique("progress"),
        &format!("[functions.tiny]\ncrate = \"{}\"\n", krate.path().display()),
    );
    let path = stack.path_str();
    // An unreachable endpoint: the build comes before any AWS call.
    let run = bosun_at("http://127.0.0.1:9", &["--stack", &path, "-v", "plan"]);
    assert!(run.stderr.contains("building tiny: cargo"), "{}", run.stderr);
    assert!(
        run.stderr.contains("Compiling tiny-lambda"),
        "-v shows cargo's lines: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("✓ built tiny: 1 crate compiled in"),
        "{}",
        run.stderr
    );
    // Without -v: the start and finish lines, not cargo's.
    let quiet = bosun_at("http://127.0.0.1:9", &["--stack", &path, "plan"]);
    assert!(quiet.stderr.contains("✓ built tiny: up to date in"), "{}", quiet.stderr);
    assert!(!quiet.stderr.contains("Compiling"), "{}", quiet.stderr);
}

#[test]
fn arm64_builds_with_zig_or_names_the_missing_rust_target() {
    let krate = tiny_crate();
    let stack = TestStack::new(
        &unique("arm"),
        &format!(
            "[functions.tiny]\ncrate = \"{}\"\narchitecture = \"arm64\"\n",
            krate.path().display()
        ),
    );
    let path = stack.path_str();
    let run = bosun_at("http://127.0.0.1:9", &["--stack", &path, "--output", "json", "plan"]);
    let started = events_named(&run, "build_started");
    assert_eq!(started[0]["tool"], "zig", "no system cross linker needed: {run:?}");
    let command = started[0]["command"].as_str().unwrap();
    assert!(
        command.starts_with("cargo-zigbuild zigbuild --profile release --manifest-path "),
        "{command}"
    );
    assert!(command.contains("--target aarch64-unknown-linux-gnu.2.34"), "{command}");
    let message = run.result()["message"].as_str().unwrap_or_default().to_string();
    if message.contains("is not installed") {
        // This machine has no aarch64 standard library (no network to add one):
        // bosun stops before cargo, with the line that fixes it.
        println!("the aarch64 Rust target is not installed here; checked the command bosun would run");
        assert_eq!(run.code, 2, "{run:?}");
        assert!(
            message.contains("rustup target add aarch64-unknown-linux-gnu"),
            "{message}"
        );
        assert!(message.contains(&format!("bosun runs: {command}")), "{message}");
    } else {
        let packaged = events_named(&run, "packaged");
        assert_eq!(packaged.len(), 1, "{run:?}");
        let binary = krate
            .path()
            .join("target/aarch64-unknown-linux-gnu/release/tiny-lambda");
        let facts = bosun::package::elf_facts(&std::fs::read(binary).unwrap()).unwrap();
        assert_eq!(facts.arch, Some(bosun::model::Arch::Arm64));
    }
}

#[test]
fn a_zig_build_without_cargo_zigbuild_says_what_to_install() {
    let krate = tiny_crate();
    let stack = TestStack::new(
        &unique("nozig"),
        &format!(
            "[functions.tiny]\ncrate = \"{}\"\nbuild = \"zig\"\n",
            krate.path().display()
        ),
    );
    let path = stack.path_str();
    let run = bosun_command("http://127.0.0.1:9", &["--stack", &path, "plan"])
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cargo-zigbuild is not on PATH"), "{stderr}");
    assert!(stderr.contains(bosun::build::ZIG_TOOLS), "{stderr}");
    assert!(stderr.contains("build = \"cargo\""), "{stderr}");
}

#[test]
fn the_pinned_zig_tools_are_the_same_everywhere() {
    // bosun's help text, the venv the scripts install, the example workflow.
    let requirements = std::fs::read_to_string(root().join("scripts/requirements-build.txt")).unwrap();
    let pins: Vec<&str> = requirements
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(pins.join(" "), bosun::build::ZIG_TOOLS);
    let workflow = std::fs::read_to_string(root().join("docs/ci/bosun.yml")).unwrap();
    assert!(workflow.contains(&format!("ZIG_TOOLS: {}", bosun::build::ZIG_TOOLS)));
}

#[test]
fn invoke_local_runs_the_build_with_the_deployed_environment() {
    let krate = tiny_crate();
    let stack = TestStack::new(
        &unique("invoke"),
        &format!(
            "[functions.tiny]\ncrate = \"{}\"\nenvironment = {{ GREETING = \"ahoy\" }}\n",
            krate.path().display()
        ),
    );
    let deployed = stack.bosun(&["deploy", "all"]);
    assert_eq!(deployed.code, 0, "{deployed:?}");
    let run = stack.bosun(&["invoke", "tiny", "--local", "--input", r#"{"batch":"csuite"}"#]);
    assert_eq!(run.code, 0, "{run:?}");
    let result = run.result();
    assert_eq!(result["ran"], "local");
    assert_eq!(
        result["payload"],
        serde_json::json!({"echo": {"batch": "csuite"}, "greeting": "ahoy"}),
        "the deployed environment reached the local run: {result}"
    );
    // Bad input is refused before anything runs, and says what to pass.
    let bad = stack.bosun(&["invoke", "tiny", "--input", "{batch"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(
        bad.result()["message"]
            .as_str()
            .unwrap()
            .contains("--input is not JSON"),
        "{bad:?}"
    );
    let unknown = stack.bosun(&["invoke", "nosuch"]);
    assert_eq!(unknown.code, 2);
    assert!(unknown.result()["message"]
        .as_str()
        .unwrap()
        .contains("it declares: tiny"));
}

#[test]
fn a_cargo_profile_the_workspace_lacks_stops_the_deploy_before_any_aws_call() {
    let krate = tiny_crate();
    let stack = TestStack::new(
        &unique("profile"),
        &format!(
            "[functions.tiny]\ncrate = \"{}\"\ncargo_profile = \"nosuch\"\n",
            krate.path().display()
        ),
    );
    let path = stack.path_str();
    // An unreachable endpoint: a deploy that got past the build would fail
    // on its first AWS call instead, with another message.
    let run = bosun_at(
        "http://127.0.0.1:9",
        &["--stack", &path, "--output", "json", "deploy", "all"],
    );
    assert_ne!(run.code, 0, "{run:?}");
    let started = events_named(&run, "build_started");
    let command = started[0]["command"].as_str().unwrap();
    assert!(command.contains("--profile nosuch"), "{command}");
    let result = run.result().to_string();
    assert!(result.contains("profile `nosuch` is not defined"), "{result}");
    assert!(!result.contains("127.0.0.1:9"), "no AWS call was made: {result}");
}

/// `bosun build --out DIR` packages and checks with no AWS at all (an
/// unreachable endpoint, no credentials); `deploy --prebuilt DIR` deploys
/// exactly those zips, building nothing, and refuses a build whose
/// manifest is not the one reported, a zip altered since, or a build
/// missing a function the stack has — each before any write.
#[tokio::test(flavor = "multi_thread")]
async fn a_build_made_without_credentials_is_deployed_as_built_and_nothing_else_is() {
    let stack = TestStack::new(&unique("prebuilt"), "");
    let binary = stack.binary("exec-reports", "api.bin");
    let body = format!("[functions.api]\nbinary = \"{}\"\n", binary.display());
    stack.write(&body);
    let out = stack.dir.path().join("dist");
    let out_str = out.to_string_lossy().into_owned();
    let path = stack.path_str();
    let built = bosun_command(
        "http://127.0.0.1:9",
        &["--stack", &path, "--output", "json", "build", "--out", &out_str],
    )
    .env_remove("AWS_ACCESS_KEY_ID")
    .env_remove("AWS_SECRET_ACCESS_KEY")
    .output()
    .unwrap();
    let built = Run {
        code: built.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&built.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&built.stderr).into_owned(),
    };
    assert_eq!(built.code, 0, "{built:?}");
    let manifest_sha = built.result()["manifest_sha256"].as_str().unwrap().to_string();
    let zip_sha = built.result()["functions"]["api"].as_str().unwrap().to_string();
    let manifest = std::fs::read(out.join("bosun-build.json")).unwrap();
    assert_eq!(bosun::prebuilt::hex_sha256(&manifest), manifest_sha);

    // The stack's binary changes after the build: the deploy still ships the build.
    change_code(&binary);
    let deployed = stack.bosun(&[
        "deploy",
        "all",
        "--prebuilt",
        &out_str,
        "--prebuilt-sha256",
        &manifest_sha,
    ]);
    assert_eq!(deployed.code, 0, "{deployed:?}");
    assert!(
        !deployed.events().iter().any(|e| e["event"] == "build_started"),
        "nothing is built: {deployed:?}"
    );
    // Started once, by the build (no credentials there), never by the
    // deploy (a started binary could read the deploy's credentials).
    assert!(built.events().iter().any(|e| e["event"] == "preflight"), "{built:?}");
    assert!(
        !deployed.events().iter().any(|e| e["event"] == "preflight"),
        "{deployed:?}"
    );
    let name = format!("{}-api", stack.name);
    let live = lambda()
        .await
        .get_function()
        .function_name(&name)
        .qualifier("live")
        .send()
        .await
        .unwrap();
    assert_eq!(live.configuration().unwrap().code_sha256(), Some(zip_sha.as_str()));
    let again = stack.bosun(&[
        "deploy",
        "all",
        "--prebuilt",
        &out_str,
        "--prebuilt-sha256",
        &manifest_sha,
    ]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(again.write_calls(), Vec::<String>::new());

    let refused = |run: &Run, says: &str| {
        assert_eq!(run.code, 2, "{run:?}");
        let message = run.result()["message"].as_str().unwrap().to_string();
        assert!(message.contains(says), "{message}");
        assert!(!run.stdout.contains("\"event\":\"applied\""), "{run:?}");
    };
    // Another build's manifest.
    let other = "0".repeat(64);
    refused(
        &stack.bosun(&["deploy", "all", "--prebuilt", &out_str, "--prebuilt-sha256", &other]),
        "is not the build the build step reported",
    );
    // A zip altered after the build (its digest no longer the manifest's).
    let zip = out.join("api.zip");
    let mut bytes = std::fs::read(&zip).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&zip, &bytes).unwrap();
    refused(
        &stack.bosun(&[
            "deploy",
            "all",
            "--prebuilt",
            &out_str,
            "--prebuilt-sha256",
            &manifest_sha,
        ]),
        "the manifest says",
    );
    // A function the build does not have.
    stack.write(&format!(
        "{body}\n[functions.other]\nbinary = \"{}\"\n",
        binary.display()
    ));
    refused(
        &stack.bosun(&["deploy", "all", "--prebuilt", &out_str]),
        "function `other` is not in the build",
    );
}
