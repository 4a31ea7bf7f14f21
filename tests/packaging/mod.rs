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
    };
    // Two builds (the second finds nothing to do), two packages.
    let one = bosun::package::package(&spec, lambda_binary("exec-reports")).expect("package");
    let two = bosun::package::package(&spec, lambda_binary("exec-reports")).expect("package again");
    assert_eq!(one.zip, two.zip);
    assert_eq!(one.sha256, two.sha256);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(one.zip.clone())).unwrap();
    assert_eq!(archive.len(), 1);
    let entry = archive.by_index(0).unwrap();
    assert_eq!(entry.name().unwrap(), "bootstrap");
    assert_eq!(entry.unix_mode().unwrap() & 0o777, 0o755);
}
