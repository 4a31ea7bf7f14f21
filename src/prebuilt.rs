//! Building apart from deploying: `bosun build --out DIR` builds, checks and
//! zips every function of the stack into DIR with a manifest
//! (`bosun-build.json`: each zip's SHA-256, runtime and architecture);
//! `bosun deploy --prebuilt DIR` deploys those zips without building.
//!
//! So a CI job with no AWS role compiles (where every dependency's build
//! script runs) and the job holding the deploy role compiles nothing. The
//! deploy checks what it is handed: the manifest's own digest
//! (`--prebuilt-sha256`, the build job's output, so a swapped artifact is
//! refused), the stack, every selected function present with its runtime
//! and architecture, each zip's digest, and that the zip holds exactly the
//! `bootstrap` bosun's packaging makes from it, which is checked again
//! (ELF, architecture, glibc, credential-looking strings) as a build would.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{Desired, FunctionSpec, Selection};
use crate::package::{self, Package};

/// The manifest's file name in the build directory.
pub const MANIFEST: &str = "bosun-build.json";
const FORMAT: u32 = 1;

/// What `bosun build` wrote.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: u32,
    pub stack: String,
    /// The bosun version that built it.
    pub bosun: String,
    pub functions: BTreeMap<String, Entry>,
}

/// One function's zip.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The zip's file name in the build directory.
    pub zip: String,
    /// Base64 SHA-256 of the zip (Lambda's CodeSha256).
    pub sha256: String,
    pub size: usize,
    pub runtime: String,
    pub architecture: String,
    pub glibc: Option<String>,
}

/// `deploy --prebuilt DIR [--prebuilt-sha256 HEX]`.
#[derive(Debug, Clone)]
pub struct Source {
    pub dir: PathBuf,
    /// The manifest's SHA-256 (hex) as the build reported it.
    pub manifest_sha256: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PrebuiltError {
    #[error("cannot {what} {}: {source}\n      help: run `bosun build --out DIR` for this stack and pass that DIR to --prebuilt", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a bosun build manifest: {reason}\n      help: run `bosun build --out DIR` again (with this bosun) and deploy that DIR", path.display())]
    Manifest { path: PathBuf, reason: String },
    #[error("{}: SHA-256 is {found}, not {expected}: this is not the build the build step reported; nothing was changed\n      help: deploy the artifact of the same workflow run, or build again", path.display())]
    ManifestDigest {
        path: PathBuf,
        expected: String,
        found: String,
    },
    #[error("{}: built for stack `{built}`, not `{stack}`\n      help: build with this stack file (`bosun --stack FILE build --out DIR`)", path.display())]
    OtherStack {
        path: PathBuf,
        built: String,
        stack: String,
    },
    #[error("function `{function}` is not in the build at {} (it has: {has})\n      help: the stack file changed since the build; run `bosun build` again", dir.display())]
    Missing {
        function: String,
        dir: PathBuf,
        has: String,
    },
    #[error("function `{function}`: built for {built}, the stack says {wanted}\n      help: the stack file changed since the build; run `bosun build` again")]
    Mismatch {
        function: String,
        built: String,
        wanted: String,
    },
    #[error("{}: {reason}; nothing was changed\n      help: the artifact was altered after the build; build again", path.display())]
    Tampered { path: PathBuf, reason: String },
    /// The unpacked binary fails the checks a build's would.
    #[error("{0}")]
    Package(#[from] package::PackageError),
}

/// Writes each package's zip and the manifest into `dir`; returns the
/// manifest's path and its SHA-256 (hex).
pub fn write(
    dir: &Path,
    desired: &Desired,
    packages: &BTreeMap<String, Package>,
) -> Result<(PathBuf, String), PrebuiltError> {
    let io = |what, path: &Path| {
        let path = path.to_path_buf();
        move |source| PrebuiltError::Io { what, path, source }
    };
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    let mut functions = BTreeMap::new();
    for f in &desired.functions {
        let Some(p) = packages.get(&f.key) else { continue };
        let zip = p.zip_bytes().map_err(|reason| PrebuiltError::Tampered {
            path: p.binary.clone(),
            reason,
        })?;
        let name = format!("{}.zip", f.key);
        let path = dir.join(&name);
        std::fs::write(&path, &zip).map_err(io("write", &path))?;
        functions.insert(
            f.key.clone(),
            Entry {
                zip: name,
                sha256: p.sha256.clone(),
                size: p.size,
                runtime: f.runtime.as_str().to_string(),
                architecture: f.arch.as_str().to_string(),
                glibc: p.glibc.clone(),
            },
        );
    }
    let manifest = Manifest {
        format: FORMAT,
        stack: desired.stack.name.clone(),
        bosun: env!("CARGO_PKG_VERSION").to_string(),
        functions,
    };
    let mut text = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    text.push(b'\n');
    let path = dir.join(MANIFEST);
    std::fs::write(&path, &text).map_err(io("write", &path))?;
    Ok((path, hex_sha256(&text)))
}

/// The selected functions' packages from a build directory, each checked
/// as described at the top; their `bootstrap`s are unpacked into
/// `scratch` (preflight starts them).
pub fn load(
    source: &Source,
    desired: &Desired,
    sel: &Selection,
    scratch: &Path,
) -> Result<BTreeMap<String, Package>, PrebuiltError> {
    let path = source.dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|source| PrebuiltError::Io {
        what: "read",
        path: path.clone(),
        source,
    })?;
    if let Some(expected) = &source.manifest_sha256 {
        let found = hex_sha256(&text);
        if !found.eq_ignore_ascii_case(expected.trim()) {
            return Err(PrebuiltError::ManifestDigest {
                path,
                expected: expected.trim().to_string(),
                found,
            });
        }
    }
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| PrebuiltError::Manifest {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if manifest.format != FORMAT {
        return Err(PrebuiltError::Manifest {
            path,
            reason: format!("format {} (this bosun reads format {FORMAT})", manifest.format),
        });
    }
    if manifest.stack != desired.stack.name {
        return Err(PrebuiltError::OtherStack {
            path,
            built: manifest.stack,
            stack: desired.stack.name.clone(),
        });
    }
    // Every function present first: a stack changed since the build is
    // the likelier mistake, and says more than a zip's problem.
    let mut found = Vec::new();
    for f in sel.functions(desired) {
        let entry = manifest.functions.get(&f.key).ok_or_else(|| PrebuiltError::Missing {
            function: f.key.clone(),
            dir: source.dir.clone(),
            has: manifest.functions.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        found.push((f, entry));
    }
    let mut out = BTreeMap::new();
    for (f, entry) in found {
        out.insert(f.key.clone(), unpack(source, f, entry, scratch)?);
    }
    Ok(out)
}

/// One function's zip: its digest, its one `bootstrap`, the zip bosun
/// makes of it, and the checks a build's binary gets.
fn unpack(source: &Source, f: &FunctionSpec, entry: &Entry, scratch: &Path) -> Result<Package, PrebuiltError> {
    let wanted = format!("{} on {}", f.runtime.as_str(), f.arch.as_str());
    let built = format!("{} on {}", entry.runtime, entry.architecture);
    if built != wanted {
        return Err(PrebuiltError::Mismatch {
            function: f.key.clone(),
            built,
            wanted,
        });
    }
    // The zip's name is the manifest's: a bare file name, never a path.
    if entry.zip.contains(['/', '\\']) || entry.zip.starts_with('.') {
        return Err(PrebuiltError::Manifest {
            path: source.dir.join(MANIFEST),
            reason: format!("zip name {:?} is not a file name", entry.zip),
        });
    }
    let path = source.dir.join(&entry.zip);
    let zip = std::fs::read(&path).map_err(|e| PrebuiltError::Io {
        what: "read",
        path: path.clone(),
        source: e,
    })?;
    let tampered = |reason: String| PrebuiltError::Tampered {
        path: path.clone(),
        reason,
    };
    let sha256 = package::sha256_base64(&zip);
    if sha256 != entry.sha256 {
        return Err(tampered(format!(
            "SHA-256 is {sha256}, the manifest says {}",
            entry.sha256
        )));
    }
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).map_err(|e| tampered(e.to_string()))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| tampered(e.to_string()))?;
    if names != ["bootstrap"] {
        return Err(tampered(format!("it holds {names:?}, not only `bootstrap`")));
    }
    let mut binary = Vec::new();
    archive
        .by_name("bootstrap")
        .and_then(|mut b| b.read_to_end(&mut binary).map_err(Into::into))
        .map_err(|e| tampered(e.to_string()))?;
    let again = package::zip_bootstrap(&binary).map_err(|e| tampered(e.to_string()))?;
    if package::sha256_base64(&again) != sha256 {
        return Err(tampered("it is not the zip bosun makes of its bootstrap".into()));
    }
    let dir = scratch.join(&f.key);
    let unpacked = dir.join("bootstrap");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&unpacked, &binary))
        .and_then(|()| set_executable(&unpacked))
        .map_err(|e| PrebuiltError::Io {
            what: "unpack into",
            path: unpacked.clone(),
            source: e,
        })?;
    let facts = package::check_binary(&f.key, &unpacked, &binary, f.runtime, f.arch)?;
    Ok(Package {
        function: f.key.clone(),
        sha256,
        size: zip.len(),
        secrets: crate::secrets::scan_bytes(&format!("binary:{}", f.key), &binary),
        zip,
        binary: unpacked,
        glibc: facts.max_glibc.map(|(a, b)| format!("GLIBC_{a}.{b}")),
        cache_entry: None,
    })
}

#[cfg(unix)]
fn set_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Lower-case hex SHA-256 (what `sha256sum` prints).
pub fn hex_sha256(bytes: &[u8]) -> String {
    crate::model::digest::hex(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn stack() -> Desired {
        let path = Path::new("stack.toml");
        crate::stack::parse(path, "[stack]\nname = \"t\"\n\n[functions.api]\nbinary = \"/bin/sh\"\n").unwrap()
    }

    /// A build directory whose manifest lists `zip` for `api` under `name`.
    fn build_dir(name: &str, zip: &[u8]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("api.zip"), zip).unwrap();
        let manifest = json_manifest(name, &package::sha256_base64(zip), zip.len());
        std::fs::write(dir.path().join(MANIFEST), manifest).unwrap();
        dir
    }

    fn json_manifest(zip_name: &str, sha: &str, size: usize) -> String {
        serde_json::json!({
            "format": 1, "stack": "t", "bosun": "0",
            "functions": {"api": {"zip": zip_name, "sha256": sha, "size": size,
                "runtime": "provided.al2023", "architecture": "x86_64", "glibc": null}}
        })
        .to_string()
    }

    fn load_from(dir: &Path) -> Result<BTreeMap<String, Package>, PrebuiltError> {
        let scratch = tempfile::tempdir().unwrap();
        let source = Source {
            dir: dir.to_path_buf(),
            manifest_sha256: None,
        };
        load(&source, &stack(), &Selection::All, scratch.path())
    }

    /// A zip that matches its manifest but carries more than `bootstrap`
    /// (what a later step could unpack or Lambda run) is refused, as is a
    /// manifest naming a zip outside the directory.
    #[test]
    fn only_the_zip_bosun_makes_is_accepted() {
        let mut bytes = std::io::Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut bytes);
        let options = zip::write::SimpleFileOptions::default();
        for name in ["bootstrap", "extra"] {
            zip.start_file(name, options).unwrap();
            zip.write_all(b"x").unwrap();
        }
        zip.finish().unwrap();
        let dir = build_dir("api.zip", bytes.get_ref());
        let err = load_from(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not only `bootstrap`"), "{err}");

        let real = package::zip_bootstrap(b"\x7fELF not really").unwrap();
        let dir = build_dir("../api.zip", &real);
        let err = load_from(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is not a file name"), "{err}");
    }
}
