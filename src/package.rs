//! Packaging: build a function's binary, prove it can run on its Lambda
//! runtime, and zip it reproducibly.
//!
//! The zip is a pure function of the binary's bytes: one entry `bootstrap`,
//! mode 0755, the fixed DOS epoch (1980-01-01) as its time, fixed compression.
//! So the same source gives the same bytes and the same SHA-256, which the
//! planner compares with Lambda's `CodeSha256` to skip unchanged code.
//! Nothing here talks to AWS.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use object::read::elf::{ElfFile64, FileHeader};
use object::Endianness;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::model::{Arch, FunctionSpec, Runtime};

#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("function(s) {function}: could not run the build tool: {source}")]
    CargoSpawn {
        function: String,
        #[source]
        source: std::io::Error,
    },
    #[error("function(s) {function}: the release build failed in {dir}:\n{stderr}")]
    BuildFailed {
        function: String,
        dir: PathBuf,
        stderr: String,
    },
    #[error("function(s) {functions}: {message}\n      help: {help}")]
    ToolMissing {
        functions: String,
        message: String,
        help: String,
    },
    #[error("function `{function}`: {message}")]
    NoBinary { function: String, message: String },
    #[error("function `{function}`: cannot read {path}: {source}")]
    Read {
        function: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The binary would not start on the function's runtime; nothing was uploaded.
    #[error("{0}")]
    Refused(Box<Refusal>),
    #[error("function `{function}`: the {what} is {size} bytes; Lambda accepts at most {limit} bytes\n      help: make the binary smaller (strip = true, opt-level = \"z\", lto = true in [profile.release], fewer dependencies)")]
    TooLarge {
        function: String,
        what: &'static str,
        size: u64,
        limit: u64,
    },
    #[error("function `{function}`: could not write the zip: {source}")]
    Zip {
        function: String,
        #[source]
        source: zip::result::ZipError,
    },
}

/// Why a binary cannot run on its Lambda runtime, and what to do.
#[derive(Debug)]
pub struct Refusal {
    pub function: String,
    pub path: PathBuf,
    pub runtime: &'static str,
    pub arch: &'static str,
    pub reason: String,
    pub help: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "function `{}`: {} cannot run on Lambda {} ({}): {}\n      help: {}",
            self.function,
            self.path.display(),
            self.runtime,
            self.arch,
            self.reason,
            self.help
        )
    }
}

impl PackageError {
    /// True when the input is at fault (exit code 2) rather than the build machinery.
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            PackageError::Refused { .. }
                | PackageError::NoBinary { .. }
                | PackageError::TooLarge { .. }
                | PackageError::ToolMissing { .. }
        )
    }
}

/// A function's deployable zip.
#[derive(Debug, Clone, Serialize)]
pub struct Package {
    /// The function's key in the stack file.
    pub function: String,
    #[serde(skip)]
    pub zip: Vec<u8>,
    /// Base64 SHA-256 of the zip: the form Lambda reports as `CodeSha256`.
    pub sha256: String,
    pub size: usize,
    pub binary: PathBuf,
    /// The newest glibc symbol version the binary needs, if it links glibc.
    pub glibc: Option<String>,
    /// Credential-looking strings inside the binary (refused before upload).
    #[serde(skip)]
    pub secrets: Vec<crate::secrets::Finding>,
    /// The zip cache entry this package came from (a hit), if any.
    #[serde(skip)]
    pub cache_entry: Option<PathBuf>,
}

/// What the ELF header and version needs say about a binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfFacts {
    pub arch: Option<Arch>,
    /// The newest `GLIBC_x.y` version needed, as (x, y).
    pub max_glibc: Option<(u32, u32)>,
}

/// Checks and zips one function's binary (built by `build`, or the
/// stack's prebuilt `binary`).
pub fn package(spec: &FunctionSpec, binary: PathBuf) -> Result<Package, PackageError> {
    package_with(spec, binary, cache_dir().as_deref())
}

/// [`package`] with an explicit zip cache (`None`: no cache).
///
/// Deflating a release binary is most of a no-op deploy's local work, and
/// the zip is a pure function of the binary's bytes: the zip's SHA-256 and
/// size are cached under the binary's SHA-256 (only for binaries with no
/// credential-looking strings, so a refusal is never cached away). On a
/// hit nothing is zipped; the zip is built when it is uploaded
/// ([`Package::zip_bytes`]) and checked against the cached digest then.
pub fn package_with(spec: &FunctionSpec, binary: PathBuf, cache: Option<&Path>) -> Result<Package, PackageError> {
    let bytes = std::fs::read(&binary).map_err(|source| PackageError::Read {
        function: spec.key.clone(),
        path: binary.clone(),
        source,
    })?;
    let facts = check_binary(&spec.key, &binary, &bytes, spec.runtime, spec.arch)?;
    let glibc = facts.max_glibc.map(|(a, b)| format!("GLIBC_{a}.{b}"));
    let entry = cache.map(|dir| dir.join(cache_name(&bytes)));
    if let Some(hit) = entry.as_deref().and_then(read_cached) {
        check_size(&spec.key, hit.zip_size as u64, bytes.len() as u64)?;
        return Ok(Package {
            function: spec.key.clone(),
            sha256: hit.zip_sha256,
            size: hit.zip_size,
            zip: Vec::new(),
            binary,
            glibc,
            secrets: Vec::new(),
            cache_entry: entry,
        });
    }
    let zip = zip_bootstrap(&bytes).map_err(|source| PackageError::Zip {
        function: spec.key.clone(),
        source,
    })?;
    check_size(&spec.key, zip.len() as u64, bytes.len() as u64)?;
    let secrets = crate::secrets::scan_bytes(&format!("binary:{}", spec.key), &bytes);
    let sha256 = sha256_base64(&zip);
    if let (Some(entry), true) = (&entry, secrets.is_empty()) {
        write_cached(
            entry,
            &Cached {
                zip_sha256: sha256.clone(),
                zip_size: zip.len(),
            },
        );
    }
    Ok(Package {
        function: spec.key.clone(),
        sha256,
        size: zip.len(),
        zip,
        binary,
        glibc,
        secrets,
        cache_entry: None,
    })
}

/// A cache entry's name: the binary's SHA-256, salted with this bosun's
/// version and the zip format, so an upgrade (another zip or deflate
/// version, another secrets scanner) never trusts an older entry.
fn cache_name(binary: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(ZIP_FORMAT.as_bytes());
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update([0]);
    h.update(binary);
    format!("{}.json", hex(&h.finalize()))
}

/// Names how [`zip_bootstrap`] lays out a zip; change it with that function.
const ZIP_FORMAT: &str = "bootstrap-0755-dos-epoch-deflate-6";

impl Package {
    /// The zip to upload: the one built while packaging, or (after a cache
    /// hit) built now from the binary and checked against the digest the
    /// plan was made with.
    pub fn zip_bytes(&self) -> Result<std::borrow::Cow<'_, [u8]>, String> {
        if !self.zip.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(&self.zip));
        }
        let bytes = std::fs::read(&self.binary).map_err(|e| format!("cannot read {}: {e}", self.binary.display()))?;
        let zip = zip_bootstrap(&bytes).map_err(|e| format!("could not zip {}: {e}", self.binary.display()))?;
        if sha256_base64(&zip) != self.sha256 {
            // Whatever the cause, this entry no longer describes the binary.
            if let Some(entry) = &self.cache_entry {
                let _ = std::fs::remove_file(entry);
            }
            return Err(format!(
                "{} changed since it was packaged (its zip no longer has SHA-256 {}); deploy again",
                self.binary.display(),
                self.sha256
            ));
        }
        Ok(std::borrow::Cow::Owned(zip))
    }
}

/// A cached packaging result.
#[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
struct Cached {
    zip_sha256: String,
    zip_size: usize,
}

/// Where zips' digests are cached: `BOSUN_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/bosun/zips`, else `~/.cache/bosun/zips`.
pub fn cache_dir() -> Option<PathBuf> {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = var("BOSUN_CACHE_DIR") {
        return Some(dir.join("zips"));
    }
    var("XDG_CACHE_HOME")
        .or_else(|| var("HOME").map(|h| h.join(".cache")))
        .map(|d| d.join("bosun").join("zips"))
}

fn read_cached(path: &Path) -> Option<Cached> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// Best effort: a cache that cannot be written only costs time. Written to
/// a temporary name and renamed, so a reader never sees half an entry.
fn write_cached(path: &Path, entry: &Cached) {
    let Some(dir) = path.parent() else { return };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    static WRITES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    let Ok(body) = serde_json::to_vec(entry) else { return };
    if std::fs::write(&tmp, body).is_ok() && std::fs::rename(&tmp, path).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the ELF facts that decide whether a binary can start on Lambda.
pub fn elf_facts(bytes: &[u8]) -> Result<ElfFacts, String> {
    if bytes.get(..4) != Some(b"\x7fELF") {
        return Err("it is not an ELF executable (Lambda's provided runtimes run Linux ELF binaries)".into());
    }
    if bytes.get(4) != Some(&2) {
        return Err("it is a 32-bit ELF file; Lambda runs 64-bit x86_64 or arm64 binaries".into());
    }
    let elf = ElfFile64::<Endianness>::parse(bytes).map_err(|e| format!("unreadable ELF file: {e}"))?;
    let endian = elf.endian();
    let arch = match elf.elf_header().e_machine(endian) {
        object::elf::EM_X86_64 => Some(Arch::X86_64),
        object::elf::EM_AARCH64 => Some(Arch::Arm64),
        _ => None,
    };
    let sections = elf.elf_section_table();
    let mut max_glibc = None;
    let needs = sections
        .gnu_verneed(endian, bytes)
        .map_err(|e| format!("unreadable ELF version needs: {e}"))?;
    if let Some((mut needs, link)) = needs {
        let strings = sections
            .strings(endian, bytes, link)
            .map_err(|e| format!("unreadable ELF string table: {e}"))?;
        while let Some((_need, mut auxes)) = needs.next().map_err(|e| e.to_string())? {
            while let Some(aux) = auxes.next().map_err(|e| e.to_string())? {
                let name = aux.name(endian, strings).map_err(|e| e.to_string())?;
                if let Some(v) = parse_glibc_version(name) {
                    max_glibc = max_glibc.max(Some(v));
                }
            }
        }
    }
    Ok(ElfFacts { arch, max_glibc })
}

fn parse_glibc_version(name: &[u8]) -> Option<(u32, u32)> {
    let s = std::str::from_utf8(name).ok()?.strip_prefix("GLIBC_")?;
    let mut parts = s.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// Refuses a binary that would not start on the runtime: wrong architecture,
/// or a glibc symbol version newer than the runtime provides.
pub fn check_binary(
    function: &str,
    path: &Path,
    bytes: &[u8],
    runtime: Runtime,
    arch: Arch,
) -> Result<ElfFacts, PackageError> {
    let refuse = |reason: String, help: String| {
        PackageError::Refused(Box::new(Refusal {
            function: function.to_string(),
            path: path.to_path_buf(),
            runtime: runtime.as_str(),
            arch: arch.as_str(),
            reason,
            help,
        }))
    };
    let facts = elf_facts(bytes)
        .map_err(|reason| refuse(reason, "point the function at a Linux binary built for Lambda".into()))?;
    if facts.arch != Some(arch) {
        let found = facts.arch.map_or("an unsupported machine type", Arch::as_str);
        return Err(refuse(
            format!(
                "it is built for {found}, but the stack says architecture = \"{}\"",
                arch.as_str()
            ),
            format!(
                "build with --target {} or change `architecture` in the stack file",
                arch.rust_target()
            ),
        ));
    }
    let (max_major, max_minor) = runtime.max_glibc();
    if let Some((major, minor)) = facts.max_glibc {
        if (major, minor) > (max_major, max_minor) {
            return Err(refuse(
                format!(
                    "it needs symbol version GLIBC_{major}.{minor}, but {} provides glibc {max_major}.{max_minor}",
                    runtime.as_str()
                ),
                format!(
                    "build against an older glibc (e.g. cargo zigbuild --target {}.{max_major}.{max_minor}), \
                     link statically with musl, or use a newer runtime such as provided.al2023",
                    arch.rust_target()
                ),
            ));
        }
    }
    Ok(facts)
}

/// Zips `binary` as the single entry `bootstrap`, byte-reproducibly.
/// Lambda quotas: a .zip uploaded through the API (CreateFunction /
/// UpdateFunctionCode `ZipFile`) is at most 50 MB, and the unzipped code at
/// most 250 MB. Refused before any upload.
pub const MAX_ZIP_BYTES: u64 = 50 * 1024 * 1024;
pub const MAX_UNZIPPED_BYTES: u64 = 250 * 1024 * 1024;

fn check_size(function: &str, zip: u64, unzipped: u64) -> Result<(), PackageError> {
    let too_large = |what, size, limit| PackageError::TooLarge {
        function: function.to_string(),
        what,
        size,
        limit,
    };
    if unzipped > MAX_UNZIPPED_BYTES {
        return Err(too_large("unzipped code", unzipped, MAX_UNZIPPED_BYTES));
    }
    if zip > MAX_ZIP_BYTES {
        return Err(too_large("zip", zip, MAX_ZIP_BYTES));
    }
    Ok(())
}

pub fn zip_bootstrap(binary: &[u8]) -> Result<Vec<u8>, zip::result::ZipError> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::with_capacity(binary.len() / 2)));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(zip::DateTime::default())
        .system(zip::System::Unix)
        .unix_permissions(0o755);
    writer.start_file("bootstrap", options)?;
    writer.write_all(binary)?;
    Ok(writer.finish()?.into_inner())
}

/// Base64 of the SHA-256 digest, as Lambda reports `CodeSha256`.
pub fn sha256_base64(bytes: &[u8]) -> String {
    aws_smithy_types::base64::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_version_names_parse() {
        assert_eq!(parse_glibc_version(b"GLIBC_2.34"), Some((2, 34)));
        assert_eq!(parse_glibc_version(b"GLIBC_2.2.5"), Some((2, 2)));
        assert_eq!(parse_glibc_version(b"GLIBC_PRIVATE"), None);
        assert_eq!(parse_glibc_version(b"GCC_3.0"), None);
    }

    #[test]
    fn zip_is_byte_reproducible_and_tracks_content() {
        let a = zip_bootstrap(b"\x7fELF pretend binary").unwrap();
        let b = zip_bootstrap(b"\x7fELF pretend binary").unwrap();
        assert_eq!(a, b);
        let c = zip_bootstrap(b"\x7fELF pretend binary!").unwrap();
        assert_ne!(sha256_base64(&a), sha256_base64(&c));
    }

    #[test]
    fn zip_holds_one_executable_bootstrap_with_fixed_time() {
        let bytes = zip_bootstrap(b"payload").unwrap();
        let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        assert_eq!(archive.len(), 1);
        let entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), "bootstrap");
        assert_eq!(entry.unix_mode().map(|m| m & 0o777), Some(0o755));
        assert_eq!(entry.last_modified(), Some(zip::DateTime::default()));
    }

    #[test]
    fn sha256_matches_known_vector() {
        // sha256("abc"), base64.
        assert_eq!(sha256_base64(b"abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    }

    #[test]
    fn non_elf_is_refused_with_reason() {
        let err = check_binary(
            "f",
            Path::new("x"),
            b"#!/bin/sh\n",
            Runtime::ProvidedAl2023,
            Arch::X86_64,
        )
        .unwrap_err();
        assert!(err.to_string().contains("not an ELF"), "{err}");
        assert!(err.is_bad_input());
    }

    #[test]
    fn packages_past_lambdas_upload_limits_are_bad_input() {
        assert!(check_size("f", MAX_ZIP_BYTES, MAX_UNZIPPED_BYTES).is_ok());
        let zip = check_size("f", MAX_ZIP_BYTES + 1, 60 * 1024 * 1024).unwrap_err();
        assert!(zip.is_bad_input());
        assert!(zip.to_string().contains("the zip is 52428801 bytes"), "{zip}");
        let unzipped = check_size("f", 1, MAX_UNZIPPED_BYTES + 1).unwrap_err();
        assert!(unzipped.to_string().contains("unzipped code"), "{unzipped}");
    }
}
