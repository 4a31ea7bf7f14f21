//! Building the functions' crates: with which tool (the host's cargo, or
//! cargo-zigbuild linking against the runtime's own glibc), for which
//! target, and grouped so that one cargo invocation builds every crate of a
//! workspace. Cargo's progress comes back as events while it runs.
//!
//! Grouping matters twice: a no-op deploy asks cargo once, not once per
//! function; and cargo resolves one feature set for the crates it builds
//! together, so a function's binary is the same whichever of the stack's
//! functions a deploy selects (every stack function of the group is built).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;

use crate::model::{Arch, BuildChoice, CodeSource, FunctionSpec, Runtime};
use crate::package::PackageError;

/// The pinned tools `build = "zig"` needs, as `pip` installs them.
pub const ZIG_TOOLS: &str = "ziglang==0.15.2 cargo-zigbuild==0.24.1";

/// The machine bosun runs on, as far as building goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    pub arch: Option<Arch>,
    /// The glibc this process runs on (None: not a glibc system).
    pub glibc: Option<(u32, u32)>,
}

impl Host {
    pub fn detect() -> Host {
        Host {
            arch: Arch::host(),
            glibc: host_glibc(),
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn host_glibc() -> Option<(u32, u32)> {
    // SAFETY: gnu_get_libc_version returns a pointer to a static,
    // NUL-terminated string owned by glibc.
    let version = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    parse_version(version.to_str().ok()?)
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn host_glibc() -> Option<(u32, u32)> {
    None
}

fn parse_version(s: &str) -> Option<(u32, u32)> {
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// The tool a crate is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Cargo,
    Zig,
}

/// The tool for a crate, and why (shown in `build_started`).
///
/// Without a `build` key: the host's cargo when its binary is sure to run
/// on the runtime (same architecture, and a glibc no newer than the
/// runtime's, since a binary never needs a newer glibc than it was linked
/// against); zig otherwise, which links against exactly the runtime's glibc
/// and cross-compiles.
pub fn resolve(choice: BuildChoice, runtime: Runtime, arch: Arch, host: &Host) -> (Tool, String) {
    let (major, minor) = runtime.max_glibc();
    match choice {
        BuildChoice::Zig => (Tool::Zig, "build = \"zig\"".into()),
        BuildChoice::Cargo => (Tool::Cargo, "build = \"cargo\"".into()),
        BuildChoice::Auto if host.arch != Some(arch) => (
            Tool::Zig,
            format!("this host cannot link {} binaries itself", arch.as_str()),
        ),
        BuildChoice::Auto => match host.glibc {
            Some(g) if g <= (major, minor) => (
                Tool::Cargo,
                format!(
                    "this host's glibc {}.{} is no newer than {}'s {major}.{minor}",
                    g.0,
                    g.1,
                    runtime.as_str()
                ),
            ),
            Some(g) => (
                Tool::Zig,
                format!(
                    "this host's glibc {}.{} is newer than {}'s {major}.{minor}",
                    g.0,
                    g.1,
                    runtime.as_str()
                ),
            ),
            None => (Tool::Zig, "this host is not a glibc Linux".into()),
        },
    }
}

/// One crate of a build job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// The function's key in the stack file.
    pub function: String,
    /// The cargo package name.
    pub package: String,
    #[serde(skip)]
    pub manifest: PathBuf,
    pub bin: Option<String>,
}

/// One cargo invocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Job {
    pub tool: Tool,
    pub arch: Arch,
    /// The glibc zig links against (zig only).
    #[serde(skip)]
    pub glibc: Option<(u32, u32)>,
    /// The cargo profile (`release` unless the stack names another).
    pub profile: String,
    /// Why this tool (the `build` key, or what `auto` saw).
    pub why: String,
    /// The workspace's root manifest (the crate's own outside a workspace).
    pub workspace: PathBuf,
    pub members: Vec<Member>,
    /// The PATH the tools are looked up on and run with (None: bosun's own).
    #[serde(skip)]
    pub path: Option<std::ffi::OsString>,
}

/// Groups the stack's crate functions into cargo invocations: one per
/// workspace, tool, architecture, (for zig) glibc and profile, in stack order.
pub fn jobs(functions: &[&FunctionSpec], host: &Host) -> Result<Vec<Job>, PackageError> {
    let mut jobs: Vec<Job> = Vec::new();
    for f in functions {
        let CodeSource::Crate {
            dir,
            bin,
            build,
            profile,
        } = &f.code
        else {
            continue;
        };
        let one = job(&f.key, dir, bin.as_deref(), (*build, f.runtime, f.arch, profile), host)?;
        let same = |j: &&mut Job| {
            (&j.workspace, j.tool, j.arch, j.glibc, &j.profile)
                == (&one.workspace, one.tool, one.arch, one.glibc, &one.profile)
        };
        match jobs.iter_mut().find(same) {
            Some(j) => j.members.extend(one.members),
            None => jobs.push(one),
        }
    }
    Ok(jobs)
}

/// The job that builds one function's crate on its own.
pub fn job(
    function: &str,
    dir: &Path,
    bin: Option<&str>,
    (choice, runtime, arch, profile): (BuildChoice, Runtime, Arch, &str),
    host: &Host,
) -> Result<Job, PackageError> {
    let (tool, why) = resolve(choice, runtime, arch, host);
    let manifest = dir.join("Cargo.toml");
    let manifest = std::fs::canonicalize(&manifest).unwrap_or(manifest);
    let (package, workspace) = locate(function, &manifest)?;
    Ok(Job {
        tool,
        arch,
        glibc: (tool == Tool::Zig).then(|| runtime.max_glibc()),
        profile: profile.to_string(),
        why,
        workspace,
        path: None,
        members: vec![Member {
            function: function.to_string(),
            package,
            manifest,
            bin: bin.map(str::to_string),
        }],
    })
}

/// The package name of a crate and the manifest of its workspace root.
fn locate(function: &str, manifest: &Path) -> Result<(String, PathBuf), PackageError> {
    let doc = read_manifest(function, manifest)?;
    let package = doc
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .ok_or_else(|| PackageError::NoBinary {
            function: function.to_string(),
            message: format!("{} has no [package] name", manifest.display()),
        })?
        .to_string();
    let dir = manifest.parent().unwrap_or(Path::new("."));
    if doc.get("workspace").is_some() {
        return Ok((package, manifest.to_path_buf()));
    }
    // `package.workspace = "path"` names the root; otherwise cargo looks
    // upwards for the nearest Cargo.toml with a [workspace] that does not
    // exclude this crate.
    if let Some(root) = doc
        .get("package")
        .and_then(|p| p.get("workspace"))
        .and_then(|w| w.as_str())
    {
        let root = dir.join(root).join("Cargo.toml");
        return Ok((package, std::fs::canonicalize(&root).unwrap_or(root)));
    }
    for ancestor in dir.ancestors().skip(1) {
        let candidate = ancestor.join("Cargo.toml");
        if !candidate.is_file() {
            continue;
        }
        let Ok(root) = read_manifest(function, &candidate) else {
            continue;
        };
        let Some(ws) = root.get("workspace") else {
            continue;
        };
        let excluded = ws.get("exclude").and_then(|e| e.as_array()).is_some_and(|ex| {
            ex.iter()
                .filter_map(|v| v.as_str())
                .any(|p| dir.starts_with(ancestor.join(p)))
        });
        if excluded {
            break;
        }
        return Ok((package, candidate));
    }
    Ok((package, manifest.to_path_buf()))
}

fn read_manifest(function: &str, path: &Path) -> Result<toml_edit::DocumentMut, PackageError> {
    let text = std::fs::read_to_string(path).map_err(|source| PackageError::Read {
        function: function.to_string(),
        path: path.to_path_buf(),
        source,
    })?;
    text.parse().map_err(|e| PackageError::NoBinary {
        function: function.to_string(),
        message: format!("{} is not valid TOML: {e}", path.display()),
    })
}

impl Job {
    pub fn functions(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.function.as_str()).collect()
    }

    /// The `--target` argument: zig always names one (with the glibc
    /// suffix cargo-zigbuild reads); cargo only when cross-compiling.
    pub fn target(&self, host: &Host) -> Option<String> {
        match (self.tool, self.glibc) {
            (Tool::Zig, Some((major, minor))) => Some(format!("{}.{major}.{minor}", self.arch.rust_target())),
            (Tool::Zig, None) => Some(self.arch.rust_target().to_string()),
            (Tool::Cargo, _) if host.arch != Some(self.arch) => Some(self.arch.rust_target().to_string()),
            (Tool::Cargo, _) => None,
        }
    }

    /// How people read the job: "cargo zigbuild for x86_64, glibc 2.26"
    /// (and ", profile NAME" when it is not `release`).
    pub fn describe(&self) -> String {
        let tool = match (self.tool, self.glibc) {
            (Tool::Zig, Some((a, b))) => format!("cargo zigbuild for {}, glibc {a}.{b}", self.arch.as_str()),
            (Tool::Zig, None) => format!("cargo zigbuild for {}", self.arch.as_str()),
            (Tool::Cargo, _) => format!("cargo build for {}", self.arch.as_str()),
        };
        match self.profile.as_str() {
            "release" => tool,
            other => format!("{tool}, profile {other}"),
        }
    }

    /// The program and arguments bosun runs (also shown when a tool is missing).
    pub fn command_line(&self, host: &Host) -> (String, Vec<String>) {
        let program = match self.tool {
            Tool::Cargo => std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            Tool::Zig => "cargo-zigbuild".into(),
        };
        let mut args: Vec<String> = vec![
            match self.tool {
                Tool::Cargo => "build".into(),
                Tool::Zig => "zigbuild".into(),
            },
            "--profile".into(),
            self.profile.clone(),
            "--manifest-path".into(),
            self.workspace.display().to_string(),
        ];
        for m in &self.members {
            args.extend(["--package".into(), m.package.clone()]);
        }
        if self.members.iter().any(|m| m.bin.is_none()) {
            args.push("--bins".into());
        } else {
            for m in &self.members {
                args.extend(["--bin".into(), m.bin.clone().unwrap_or_default()]);
            }
        }
        if let Some(target) = self.target(host) {
            args.extend(["--target".into(), target]);
        }
        args.push("--message-format=json-render-diagnostics".into());
        (program, args)
    }

    /// The command line as one string for messages.
    pub fn shell_line(&self, host: &Host) -> String {
        let (program, args) = self.command_line(host);
        std::iter::once(program).chain(args).collect::<Vec<_>>().join(" ")
    }
}

/// What cargo reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Cargo's progress bar: `done` of `total` units, `current` the crates in flight.
    Units { done: u32, total: u32, current: String },
    /// A crate started compiling (cargo's "Compiling NAME vX").
    Compiling(String),
    /// Any line cargo printed (shown with `-v`).
    Line(String),
}

/// Parses one of cargo's stderr lines.
pub fn parse_progress(line: &str) -> Progress {
    let trimmed = line.trim();
    if let Some(rest) = trimmed.strip_prefix("Building [") {
        if let Some((_, after)) = rest.split_once("] ") {
            let (counts, current) = after.split_once(": ").unwrap_or((after, ""));
            if let Some((done, total)) = counts.trim().split_once('/') {
                if let (Ok(done), Ok(total)) = (done.parse(), total.parse()) {
                    return Progress::Units {
                        done,
                        total,
                        current: current.trim().to_string(),
                    };
                }
            }
        }
    }
    if let Some(rest) = trimmed.strip_prefix("Compiling ") {
        return Progress::Compiling(rest.split(' ').next().unwrap_or(rest).to_string());
    }
    Progress::Line(line.trim_end().to_string())
}

/// Checks what a job needs before running it: cargo-zigbuild on PATH, the
/// Rust standard library for the target.
pub async fn check_tools(job: &Job, host: &Host) -> Result<(), PackageError> {
    let missing = |message: String, help: String| PackageError::ToolMissing {
        functions: job.functions().join(", "),
        message,
        help: format!("{help}\n      bosun runs: {}", job.shell_line(host)),
    };
    if job.tool == Tool::Zig && find_on_path(job.path.as_deref(), "cargo-zigbuild").is_none() {
        return Err(missing(
            "cargo-zigbuild is not on PATH (`build = \"zig\"`, or the default on this host)".into(),
            format!(
                "install the pinned tools with `pip install {ZIG_TOOLS}` (in bosun's repository: \
                 `python3 scripts/tools.py install build` and put .tools/build/venv/bin on PATH), \
                 or set build = \"cargo\" for the function"
            ),
        ));
    }
    if let Some(target) = job.target(host) {
        let triple = job.arch.rust_target();
        if !target_installed(triple).await {
            return Err(missing(
                format!("the Rust target {triple} is not installed (needed for {target})"),
                format!("rustup target add {triple}"),
            ));
        }
    }
    Ok(())
}

fn find_on_path(path: Option<&std::ffi::OsStr>, program: &str) -> Option<PathBuf> {
    let path = path.map(ToOwned::to_owned).or_else(|| std::env::var_os("PATH"))?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Whether the toolchain has the standard library for `triple`.
async fn target_installed(triple: &str) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Ok(out) = Command::new(rustc).args(["--print", "sysroot"]).output().await else {
        return false;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Path::new(&sysroot)
        .join("lib/rustlib")
        .join(triple)
        .join("lib")
        .is_dir()
}

/// The variables of `names` that carry AWS credentials or the means to get
/// them (a profile, a web-identity token, a container credentials endpoint,
/// GitHub's OIDC token request): a build runs every dependency's build
/// script and proc macros, which must not be able to act as the deployer.
/// (A credentials file on disk, or an instance role, is out of reach of
/// this: build in a job that has none, see docs/ci.md.)
pub fn credential_variables(names: impl Iterator<Item = std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    const EXACT: &[&str] = &[
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ROLE_ARN",
        "AWS_ROLE_SESSION_NAME",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_CONFIG_FILE",
        "AWS_CREDENTIAL_EXPIRATION",
    ];
    const PREFIXES: &[&str] = &["AWS_CONTAINER_", "ACTIONS_ID_TOKEN_REQUEST_"];
    names
        .filter(|n| {
            n.to_str()
                .is_some_and(|n| EXACT.contains(&n) || PREFIXES.iter().any(|p| n.starts_with(p)))
        })
        .collect()
}

/// Runs one job and returns each function's built executable.
pub async fn run(
    job: &Job,
    host: &Host,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<BTreeMap<String, PathBuf>, PackageError> {
    check_tools(job, host).await?;
    let (program, args) = job.command_line(host);
    let program = match (&job.path, job.tool) {
        (Some(path), Tool::Zig) => find_on_path(Some(path), &program).map_or(program.into(), PathBuf::into_os_string),
        _ => program.into(),
    };
    let mut cmd = Command::new(&program);
    if let Some(path) = &job.path {
        cmd.env("PATH", path);
    }
    for name in credential_variables(std::env::vars_os().map(|(k, _)| k)) {
        cmd.env_remove(name);
    }
    cmd.args(&args)
        // Cargo's progress bar, also when stderr is a pipe: the events.
        .args([
            "--config",
            "term.progress.when='always'",
            "--config",
            "term.progress.width=100",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let spawn_error = |source| PackageError::CargoSpawn {
        function: job.functions().join(", "),
        source,
    };
    let mut child = cmd.spawn().map_err(spawn_error)?;
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let messages = tokio::spawn(read_messages(stdout));
    let mut tail = Vec::new();
    let mut lines = Splitter::new(stderr);
    while let Some(line) = lines.next().await {
        let event = parse_progress(&line);
        if let Progress::Line(l) = &event {
            if !l.trim().is_empty() {
                tail.push(l.clone());
                if tail.len() > 60 {
                    tail.remove(0);
                }
            }
        }
        progress(event);
    }
    let status = child.wait().await.map_err(spawn_error)?;
    let artifacts = messages.await.unwrap_or_default();
    if !status.success() {
        let mut stderr = tail.join("\n");
        if job.tool == Tool::Zig && stderr.contains("zig") {
            stderr.push_str(&format!(
                "\n      help: cargo-zigbuild needs zig: `pip install {ZIG_TOOLS}` into the Python that is first on PATH"
            ));
        }
        return Err(PackageError::BuildFailed {
            function: job.functions().join(", "),
            dir: job.workspace.parent().unwrap_or(Path::new(".")).to_path_buf(),
            stderr,
        });
    }
    executables(job, &artifacts)
}

/// A compiled executable cargo reported.
#[derive(Debug, Clone)]
struct Artifact {
    manifest: PathBuf,
    target: String,
    executable: PathBuf,
}

async fn read_messages(stdout: impl AsyncRead + Unpin) -> Vec<Artifact> {
    let mut out = Vec::new();
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if msg["reason"] != "compiler-artifact" {
            continue;
        }
        let (Some(exe), Some(manifest)) = (msg["executable"].as_str(), msg["manifest_path"].as_str()) else {
            continue;
        };
        out.push(Artifact {
            manifest: PathBuf::from(manifest),
            target: msg["target"]["name"].as_str().unwrap_or_default().to_string(),
            executable: PathBuf::from(exe),
        });
    }
    out
}

/// Each member's executable among the artifacts.
fn executables(job: &Job, artifacts: &[Artifact]) -> Result<BTreeMap<String, PathBuf>, PackageError> {
    let mut out = BTreeMap::new();
    for m in &job.members {
        let found: Vec<&Artifact> = artifacts
            .iter()
            .filter(|a| a.manifest == m.manifest && m.bin.as_ref().is_none_or(|b| *b == a.target))
            .collect();
        let dir = m.manifest.parent().unwrap_or(Path::new(".")).display();
        match found.as_slice() {
            [one] => {
                out.insert(m.function.clone(), one.executable.clone());
            }
            [] => {
                return Err(PackageError::NoBinary {
                    function: m.function.clone(),
                    message: format!("cargo built no binary in {dir}"),
                })
            }
            several => {
                return Err(PackageError::NoBinary {
                    function: m.function.clone(),
                    message: format!(
                        "{dir} has several binaries ({}); say which one with `bin = \"NAME\"`",
                        several.iter().map(|a| a.target.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                })
            }
        }
    }
    Ok(out)
}

/// Lines of a stream split at `\n` and at `\r` (cargo redraws its progress
/// bar with carriage returns).
struct Splitter<R> {
    reader: BufReader<R>,
    pending: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Splitter<R> {
    fn new(reader: R) -> Self {
        Splitter {
            reader: BufReader::new(reader),
            pending: Vec::new(),
        }
    }

    async fn next(&mut self) -> Option<String> {
        loop {
            if let Some(i) = self.pending.iter().position(|b| *b == b'\n' || *b == b'\r') {
                let line: Vec<u8> = self.pending.drain(..=i).collect();
                let text = String::from_utf8_lossy(&line[..line.len() - 1]).into_owned();
                if text.trim().is_empty() {
                    continue;
                }
                return Some(text);
            }
            let buf = match self.reader.fill_buf().await {
                Ok(b) if !b.is_empty() => b.to_vec(),
                _ => {
                    if self.pending.is_empty() {
                        return None;
                    }
                    let rest = std::mem::take(&mut self.pending);
                    return Some(String::from_utf8_lossy(&rest).into_owned());
                }
            };
            self.reader.consume(buf.len());
            self.pending.extend_from_slice(&buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_kept_from_builds_and_build_settings_are_not() {
        let names = [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "AWS_LC_SYS_PREBUILT_NASM",
            "AWS_REGION",
            "CARGO_HOME",
            "PATH",
        ]
        .map(std::ffi::OsString::from);
        let removed: Vec<String> = credential_variables(names.into_iter())
            .into_iter()
            .map(|n| n.into_string().unwrap())
            .collect();
        assert_eq!(
            removed,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
                "AWS_PROFILE",
                "AWS_WEB_IDENTITY_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                "ACTIONS_ID_TOKEN_REQUEST_URL",
            ]
        );
    }

    const LINUX_236: Host = Host {
        arch: Some(Arch::X86_64),
        glibc: Some((2, 36)),
    };
    const LINUX_231: Host = Host {
        arch: Some(Arch::X86_64),
        glibc: Some((2, 31)),
    };

    fn stack(functions: &str) -> crate::model::Desired {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = format!("[stack]\nname = \"t\"\nregion = \"us-west-2\"\n{functions}");
        crate::stack::parse(&root.join("stacks/t.toml"), &text).expect("valid stack")
    }

    fn jobs_of(functions: &str, host: &Host) -> Vec<Job> {
        let desired = stack(functions);
        let all: Vec<&FunctionSpec> = desired.functions.iter().collect();
        jobs(&all, host).expect("jobs")
    }

    #[test]
    fn auto_builds_with_cargo_only_where_the_host_build_is_sure_to_run() {
        let (al2023, al2) = (Runtime::ProvidedAl2023, Runtime::ProvidedAl2);
        let auto = BuildChoice::Auto;
        // A newer glibc than the runtime's: the host build may need symbols Lambda lacks.
        assert_eq!(resolve(auto, al2023, Arch::X86_64, &LINUX_236).0, Tool::Zig);
        assert_eq!(resolve(auto, al2023, Arch::X86_64, &LINUX_231).0, Tool::Cargo);
        assert_eq!(resolve(auto, al2, Arch::X86_64, &LINUX_231).0, Tool::Zig);
        let (tool, why) = resolve(auto, al2, Arch::X86_64, &LINUX_231);
        assert_eq!(tool, Tool::Zig);
        assert_eq!(why, "this host's glibc 2.31 is newer than provided.al2's 2.26");
        // Another architecture, or no glibc at all (macOS, musl): zig.
        assert_eq!(resolve(auto, al2023, Arch::Arm64, &LINUX_231).0, Tool::Zig);
        let mac = Host {
            arch: Some(Arch::Arm64),
            glibc: None,
        };
        assert_eq!(resolve(auto, al2023, Arch::Arm64, &mac).0, Tool::Zig);
        // An explicit choice wins.
        assert_eq!(
            resolve(BuildChoice::Cargo, al2, Arch::X86_64, &LINUX_236).0,
            Tool::Cargo
        );
        assert_eq!(resolve(BuildChoice::Zig, al2023, Arch::X86_64, &LINUX_231).0, Tool::Zig);
    }

    #[test]
    fn crates_of_one_workspace_build_in_one_invocation() {
        let demo = "[functions.reports]\ncrate = \"../lambdas/exec-reports\"\nbin = \"exec-reports\"\n\
                    [functions.crew]\ncrate = \"../lambdas/shipcaptaincrew\"\n";
        let jobs = jobs_of(demo, &LINUX_236);
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        let job = &jobs[0];
        assert_eq!(job.functions(), ["reports", "crew"]);
        let root = std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
        assert_eq!(job.workspace, root);
        let (program, args) = job.command_line(&LINUX_236);
        assert_eq!(program, "cargo-zigbuild");
        let line = args.join(" ");
        assert!(
            line.starts_with("zigbuild --profile release --manifest-path "),
            "{line}"
        );
        assert!(
            line.contains(
                "--package exec-reports --package shipcaptaincrew --bins --target x86_64-unknown-linux-gnu.2.34"
            ),
            "{line}"
        );
        // On an older host the same crates build with the host's cargo, no --target.
        let jobs = jobs_of(demo, &LINUX_231);
        let (_, args) = jobs[0].command_line(&LINUX_231);
        assert_eq!(args[0], "build");
        assert!(!args.iter().any(|a| a == "--target"), "{args:?}");
    }

    #[test]
    fn different_targets_are_different_invocations() {
        let text = "[functions.a]\ncrate = \"../lambdas/exec-reports\"\nbin = \"exec-reports\"\n\
                    [functions.b]\ncrate = \"../lambdas/shipcaptaincrew\"\nruntime = \"provided.al2\"\n\
                    [functions.c]\ncrate = \"../lambdas/shipcaptaincrew\"\narchitecture = \"arm64\"\n\
                    [functions.d]\ncrate = \"../lambdas/shipcaptaincrew\"\nbuild = \"cargo\"\n";
        let jobs = jobs_of(text, &LINUX_231);
        let targets: Vec<(Vec<&str>, Option<String>)> =
            jobs.iter().map(|j| (j.functions(), j.target(&LINUX_231))).collect();
        assert_eq!(
            targets,
            [
                (vec!["a", "d"], None),
                (vec!["b"], Some("x86_64-unknown-linux-gnu.2.26".into())),
                (vec!["c"], Some("aarch64-unknown-linux-gnu.2.34".into())),
            ]
        );
        let (_, args) = jobs[0].command_line(&LINUX_231);
        assert!(args
            .windows(2)
            .any(|w| w == ["--bins", "--message-format=json-render-diagnostics"]));
    }

    #[test]
    fn a_cargo_profile_is_the_stacks_unless_the_function_names_its_own() {
        let text = "[functions.a]\ncrate = \"../lambdas/exec-reports\"\nbin = \"exec-reports\"\n\
                    [functions.b]\ncrate = \"../lambdas/shipcaptaincrew\"\ncargo_profile = \"release\"\n\
                    [functions.c]\ncrate = \"../lambdas/shipcaptaincrew\"\n";
        // No stack key: every crate in release, one invocation.
        let release = jobs_of(text, &LINUX_236);
        assert_eq!(release.len(), 1, "{release:?}");
        assert_eq!(release[0].describe(), "cargo zigbuild for x86_64, glibc 2.34");
        // The stack's profile for a and c; b keeps the release it names:
        // two invocations, since one cargo run builds with one profile.
        let desired = crate::stack::parse(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/t.toml"),
            &format!("[stack]\nname = \"t\"\nregion = \"us-west-2\"\ncargo_profile = \"dev\"\n{text}"),
        )
        .expect("valid stack");
        let all: Vec<&FunctionSpec> = desired.functions.iter().collect();
        let jobs = jobs(&all, &LINUX_236).expect("jobs");
        let got: Vec<(Vec<&str>, &str)> = jobs.iter().map(|j| (j.functions(), j.profile.as_str())).collect();
        assert_eq!(got, [(vec!["a", "c"], "dev"), (vec!["b"], "release")]);
        assert_eq!(jobs[0].describe(), "cargo zigbuild for x86_64, glibc 2.34, profile dev");
        let (_, args) = jobs[0].command_line(&LINUX_236);
        assert!(args.windows(2).any(|w| w == ["--profile", "dev"]), "{args:?}");
        assert!(!args.iter().any(|a| a == "--release"), "{args:?}");
    }

    #[test]
    fn a_cargo_profile_is_checked_where_it_is_written() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let parse = |text: &str| {
            crate::stack::parse(
                &root.join("stacks/t.toml"),
                &format!("[stack]\nname = \"t\"\nregion = \"us-west-2\"\n{text}"),
            )
            .unwrap_err()
            .to_string()
        };
        let err = parse("cargo_profile = \"debug\"\n");
        assert!(err.contains("stack.cargo_profile"), "{err}");
        assert!(err.contains("use cargo_profile = \"dev\""), "{err}");
        let err = parse("[functions.a]\ncrate = \"../lambdas/exec-reports\"\ncargo_profile = \"fast build\"\n");
        assert!(err.contains("functions.a.cargo_profile"), "{err}");
        assert!(err.contains("`fast build` is not a cargo profile name"), "{err}");
        let err = parse("[functions.a]\nbinary = \"../Cargo.toml\"\ncargo_profile = \"dev\"\n");
        assert!(err.contains("functions.a.cargo_profile"), "{err}");
        assert!(err.contains("only applies with `crate`"), "{err}");
    }

    #[test]
    fn build_key_is_checked_where_it_is_written() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let bad = "[stack]\nname = \"t\"\nregion = \"us-west-2\"\n[functions.a]\ncrate = \"../lambdas/exec-reports\"\nbuild = \"zigg\"\n";
        let err = crate::stack::parse(&root.join("stacks/t.toml"), bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("functions.a.build"), "{err}");
        assert!(err.contains("use one of: zig, cargo"), "{err}");
        let prebuilt = "[stack]\nname = \"t\"\nregion = \"us-west-2\"\n[functions.a]\nbinary = \"../Cargo.toml\"\nbuild = \"zig\"\n";
        let err = crate::stack::parse(&root.join("stacks/t.toml"), prebuilt)
            .unwrap_err()
            .to_string();
        assert!(err.contains("`build` only applies with `crate`"), "{err}");
    }

    #[test]
    fn cargo_progress_lines_parse() {
        assert_eq!(
            parse_progress("    Building [=======>    ] 115/324: aws-lc-sys(build), ring(build)"),
            Progress::Units {
                done: 115,
                total: 324,
                current: "aws-lc-sys(build), ring(build)".into()
            }
        );
        assert_eq!(
            parse_progress("   Compiling serde v1.0.229"),
            Progress::Compiling("serde".into())
        );
        assert_eq!(
            parse_progress("warning: unused variable"),
            Progress::Line("warning: unused variable".into())
        );
    }

    #[tokio::test]
    async fn stderr_splits_at_carriage_returns_and_newlines() {
        let input: &[u8] = b"   Compiling a v1\n    Building [>] 1/2: a\r    Building [=>] 2/2: b\r\n\nlast";
        let mut lines = Splitter::new(input);
        let mut got = Vec::new();
        while let Some(l) = lines.next().await {
            got.push(l);
        }
        assert_eq!(
            got,
            [
                "   Compiling a v1",
                "    Building [>] 1/2: a",
                "    Building [=>] 2/2: b",
                "last"
            ]
        );
    }
}
