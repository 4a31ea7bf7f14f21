//! Static sites: the local side of a frontend sync.
//!
//! Scans a site folder into a manifest (path → content hash, size, content
//! type, cache control), streaming each file through the hashers so memory
//! does not grow with file sizes. Symlinks are refused, never followed, so
//! nothing outside the folder is published. Also the stored manifest format
//! and the pure helpers the planner uses (invalidation paths, collapsing,
//! caller reference). No AWS here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobMatcher};
use md5::Md5;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

pub use crate::model::site::{is_html, LocalFile, SiteFile, Style};
pub use crate::model::Hex;
use crate::model::{hex, FrontendSpec};
use crate::secrets::Finding;

#[derive(Debug, thiserror::Error)]
pub enum FrontendError {
    #[error("frontend `{frontend}`: {path} is a symbolic link; bosun does not follow links out of the site folder\n      help: replace it with the file it points to, or remove it")]
    Symlink { frontend: String, path: PathBuf },
    #[error("frontend `{frontend}`: {path}: the file name is not valid UTF-8, so it cannot be an S3 key\n      help: rename the file")]
    NotUtf8 { frontend: String, path: PathBuf },
    #[error("frontend `{frontend}`: {path}: its S3 key would be {len} bytes, over S3's 1,024\n      help: shorten the file or folder names (or the prefix)")]
    KeyTooLong {
        frontend: String,
        path: PathBuf,
        len: usize,
    },
    #[error("frontend `{frontend}`: cannot read {path}: {source}")]
    Read {
        frontend: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Content type for a path: overrides first, then the extension, then a fallback;
/// text types get `charset=utf-8`.
pub fn content_type(rel: &str, overrides: &BTreeMap<String, String>) -> String {
    let ext = Path::new(rel)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let base = overrides
        .get(&ext)
        .cloned()
        .or_else(|| mime_guess::from_ext(&ext).first_raw().map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let textual = base.starts_with("text/")
        || matches!(
            base.as_str(),
            "application/javascript"
                | "application/json"
                | "application/xml"
                | "image/svg+xml"
                | "application/manifest+json"
        );
    if textual && !base.contains("charset") {
        format!("{base}; charset=utf-8")
    } else {
        base
    }
}

/// Compiled cache rules: first match wins; unmatched HTML is `no-cache`,
/// anything else cached for an hour.
pub struct CacheRules(Vec<(GlobMatcher, String)>);

impl CacheRules {
    pub fn new(spec: &FrontendSpec) -> CacheRules {
        CacheRules(
            spec.cache
                .iter()
                .filter_map(|r| {
                    Glob::new(&r.glob)
                        .ok()
                        .map(|g| (g.compile_matcher(), r.cache_control.clone()))
                })
                .collect(),
        )
    }

    pub fn for_path(&self, rel: &str, is_html: bool) -> String {
        self.0
            .iter()
            .find(|(g, _)| g.is_match(rel))
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| {
                if is_html {
                    "no-cache".to_string()
                } else {
                    "public, max-age=3600".to_string()
                }
            })
    }
}

/// A scanned site: its files, sorted by key, and the credential-looking
/// strings found in them (read in the same pass as the hashes).
pub struct Scan {
    pub files: Vec<SiteFile>,
    pub findings: Vec<Finding>,
}

/// Files up to this size are read whole, once, for the hashes and the
/// secrets scan; larger ones are hashed as they stream and read again for
/// the scan.
const READ_WHOLE: u64 = 16 * 1024 * 1024;

/// Walks the site folder (sorted, recursive), then hashes every file and
/// scans it for secrets, on as many threads as there are cores.
pub fn scan(spec: &FrontendSpec) -> Result<Scan, FrontendError> {
    let read_err = |path: &Path, source| read_error(spec, path, source);
    let entries = walk(spec)?;
    let dir = Arc::new(spec.dir.clone());
    let threads = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(1, entries.len().max(1));
    let chunk = entries.len().div_ceil(threads).max(1);
    let hashed: Vec<Result<Vec<HashedFile>, FrontendError>> = std::thread::scope(|scope| {
        let workers: Vec<_> = entries
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(rel, own)| {
                            let path = spec.dir.join(own.as_deref().unwrap_or_else(|| Path::new(rel)));
                            // A dotfile (`.env`, `.npmrc`) is a file of
                            // settings: its assignments are scanned too.
                            let dotfile = rel.split('/').any(|part| part.starts_with('.'));
                            hash_and_scan(&path, &format!("file:{}:{rel}", spec.key), dotfile)
                                .map_err(|e| read_err(&path, e))
                        })
                        .collect()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a scanning thread panicked"))
            .collect()
    });
    let rules = CacheRules::new(spec);
    let mut styles: BTreeMap<(String, String), Arc<Style>> = BTreeMap::new();
    let mut files = Vec::with_capacity(entries.len());
    let mut findings = Vec::new();
    let mut hashed_all = Vec::with_capacity(entries.len());
    for part in hashed {
        hashed_all.extend(part?);
    }
    for ((rel, own), (hashed, found)) in entries.into_iter().zip(hashed_all) {
        findings.extend(found);
        let kind = content_type(&rel, &spec.content_types);
        let control = rules.for_path(&rel, is_html(&rel));
        let style = styles
            .entry((kind, control))
            .or_insert_with_key(|(kind, control)| Arc::new(Style::new(kind.clone(), control.clone())))
            .clone();
        files.push(SiteFile::new(LocalFile {
            key: format!("{}{rel}", spec.prefix),
            rel_at: spec.prefix.len(),
            dir: dir.clone(),
            own,
            size: hashed.size,
            sha256: hashed.sha256,
            md5: hashed.md5,
            style,
        }));
    }
    files.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(Scan { files, findings })
}

/// A file found in the site folder: its `/`-separated NFC path relative to
/// the folder and, when that is not its path there (a name not in NFC), the
/// path it has.
type Found = (String, Option<Box<Path>>);

/// Every file of the site folder. Refuses links, names that are not UTF-8,
/// and keys over S3's limit.
fn walk(spec: &FrontendSpec) -> Result<Vec<Found>, FrontendError> {
    let read_err = |path: &Path, source| read_error(spec, path, source);
    let mut out = Vec::new();
    let mut stack = vec![spec.dir.clone()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| read_err(&dir, e))?
            .collect::<Result<_, _>>()
            .map_err(|e| read_err(&dir, e))?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| read_err(&path, e))?;
            if kind.is_symlink() {
                return Err(FrontendError::Symlink {
                    frontend: spec.key.clone(),
                    path,
                });
            }
            if kind.is_dir() {
                stack.push(path);
                continue;
            }
            let rel_path = path.strip_prefix(&spec.dir).unwrap_or(&path);
            let mut parts = Vec::new();
            for part in rel_path.components() {
                let s = part.as_os_str().to_str().ok_or_else(|| FrontendError::NotUtf8 {
                    frontend: spec.key.clone(),
                    path: path.clone(),
                })?;
                parts.push(s.nfc().collect::<String>());
            }
            let rel = parts.join("/");
            let key_len = spec.prefix.len() + rel.len();
            if key_len > 1024 {
                return Err(FrontendError::KeyTooLong {
                    frontend: spec.key.clone(),
                    path,
                    len: key_len,
                });
            }
            let own = (rel_path.to_str() != Some(rel.as_str())).then(|| rel_path.into());
            out.push((rel, own));
        }
    }
    Ok(out)
}

fn read_error(spec: &FrontendSpec, path: &Path, source: std::io::Error) -> FrontendError {
    FrontendError::Read {
        frontend: spec.key.clone(),
        path: path.to_path_buf(),
        source,
    }
}

/// A file's digests and the secrets found in it.
type HashedFile = (Hashed, Vec<Finding>);

/// A file's size and digests.
struct Hashed {
    size: u64,
    sha256: Hex<32>,
    md5: Hex<16>,
}

/// Hashes a file and scans it for secrets (as `place`), reading it once
/// when it is not large.
fn hash_and_scan(path: &Path, place: &str, assignments: bool) -> std::io::Result<HashedFile> {
    let scan = |bytes: &[u8]| {
        let mut found = crate::secrets::scan_bytes(place, bytes);
        if assignments {
            found.extend(crate::secrets::scan_assignments(place, &String::from_utf8_lossy(bytes)));
        }
        found
    };
    if std::fs::metadata(path)?.len() <= READ_WHOLE {
        let bytes = std::fs::read(path)?;
        let hashed = Hashed {
            size: bytes.len() as u64,
            sha256: Hex(Sha256::digest(&bytes).into()),
            md5: Hex(Md5::digest(&bytes).into()),
        };
        return Ok((hashed, scan(&bytes)));
    }
    let hashed = hash_file(path)?;
    let findings = scan(&std::fs::read(path)?);
    Ok((hashed, findings))
}

/// The secrets in a function's data file (`data:FUNCTION:NAME`): the fixed
/// patterns, and its assignments (`key = "value"`, `"key": "value"`).
pub fn scan_data_file(function: &str, name: &str, path: &Path) -> std::io::Result<Vec<Finding>> {
    let bytes = std::fs::read(path)?;
    let place = format!("data:{function}:{name}");
    let mut found = crate::secrets::scan_bytes(&place, &bytes);
    found.extend(crate::secrets::scan_assignments(
        &place,
        &String::from_utf8_lossy(&bytes),
    ));
    Ok(found)
}

/// A single file to upload to `key` (a function's data file), hashed.
pub fn single(path: &Path, key: &str) -> std::io::Result<LocalFile> {
    let Hashed { size, sha256, md5 } = hash_file(path)?;
    let rel = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let style = Style::new(content_type(&rel, &BTreeMap::new()), "no-store".to_string());
    Ok(LocalFile {
        key: key.to_string(),
        // A data file's key ends with its name in the state bucket.
        rel_at: key.rfind('/').map_or(0, |i| i + 1),
        dir: Arc::default(),
        own: Some(path.into()),
        size,
        sha256,
        md5,
        style: Arc::new(style),
    })
}

/// Size, hex SHA-256 and hex MD5 of a file, read in fixed-size chunks.
fn hash_file(path: &Path) -> std::io::Result<Hashed> {
    let mut file = std::fs::File::open(path)?;
    let mut sha = Sha256::new();
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        md5.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Hashed {
        size,
        sha256: Hex(sha.finalize().into()),
        md5: Hex(md5.finalize().into()),
    })
}

/// Characters encoded in invalidation paths. CloudFront's rule ("What you
/// need to know when invalidating paths"): URL-encode non-ASCII characters
/// and the characters RFC 1738 calls unsafe, and nothing else, or CloudFront
/// does not invalidate the file (an encoded `+` names another object). So:
/// controls, space, `" # % < > [ ] \ ^ ` { | } ~`, plus two with a meaning in
/// an invalidation path: `*` (a wildcard) and `?` (starts a query string).
/// Non-ASCII bytes are always encoded by `utf8_percent_encode`.
const PATH_ENCODE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b']')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'~')
    .add(b'*')
    .add(b'?');

fn url_path(rel: &str) -> String {
    format!("/{}", percent_encoding::utf8_percent_encode(rel, PATH_ENCODE))
}

/// The viewer paths a changed file is served under: `dir/index.html` is also `/dir/` and `/dir`.
pub fn viewer_paths(rel: &str) -> Vec<String> {
    let mut out = vec![url_path(rel)];
    if rel == "index.html" {
        out.push("/".to_string());
    } else if let Some(dir) = rel.strip_suffix("/index.html") {
        let d = url_path(dir);
        out.push(format!("{d}/"));
        out.push(d);
    }
    out
}

/// At most this many wildcard paths in one invalidation. CloudFront allows
/// 15 wildcard paths in progress per distribution at a time ("Concurrent
/// invalidation request maximum"); a few per deploy leave room for the
/// deploys that follow while earlier invalidations are still running.
pub const MAX_WILDCARDS: usize = 5;

/// Invalidation paths for changed files; past `max` they collapse to one
/// wildcard per top-level folder, and past `MAX_WILDCARDS` of those to `/*`.
pub fn invalidation_paths<'a>(changed: impl IntoIterator<Item = &'a str>, max: usize) -> Vec<String> {
    let rels: BTreeSet<&str> = changed.into_iter().collect();
    let exact: BTreeSet<String> = rels.iter().flat_map(|r| viewer_paths(r)).collect();
    if exact.len() <= max {
        return exact.into_iter().collect();
    }
    let collapsed: BTreeSet<String> = rels
        .iter()
        .flat_map(|r| match r.split_once('/') {
            Some((top, _)) => vec![format!("{}/*", url_path(top))],
            None => viewer_paths(r),
        })
        .collect();
    let wildcards = collapsed.iter().filter(|p| p.ends_with('*')).count();
    if collapsed.len() <= max && wildcards <= MAX_WILDCARDS {
        collapsed.into_iter().collect()
    } else {
        vec!["/*".to_string()]
    }
}

/// A CallerReference unique to one transition of the site and stable across
/// retries of it. CloudFront answers a repeated CallerReference with the
/// earlier invalidation and creates nothing (CreateInvalidation API
/// reference), so the reference must differ whenever the site moves again,
/// even back and forth between the same contents (A→B→A→B, a roll-forward
/// after a rollback). It hashes the distribution, the S3 version id of the
/// manifest the site is leaving (`from`: rewritten by every sync, so unique
/// per state in a versioned bucket; a retried deploy of the same change reads
/// the same one), the paths, and the content they will hold.
pub fn caller_reference(
    distribution: &str,
    from: Option<&str>,
    paths: &[String],
    content: &[(&str, &str, &str)],
) -> String {
    let mut h = Sha256::new();
    h.update(distribution.as_bytes());
    h.update(format!("\nfrom={}", from.unwrap_or("(no manifest)")).as_bytes());
    for p in paths {
        h.update(b"\n");
        h.update(p.as_bytes());
    }
    for (key, sha, headers) in content {
        h.update(format!("\n{key}={sha}/{headers}").as_bytes());
    }
    format!("bosun-{}", hex(&h.finalize()[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scanned file keeps its relative path once, as the end of its key,
    /// and its digests as bytes; JSON shows them as before (plan output).
    #[test]
    fn a_file_serializes_rel_key_and_hex_digests() {
        use md5::Md5;
        let f = LocalFile {
            dir: Arc::new("/site".into()),
            own: None,
            key: "www/a/b.html".into(),
            rel_at: "www/".len(),
            size: 0,
            sha256: Hex(Sha256::digest(b"").into()),
            md5: Hex(Md5::digest(b"").into()),
            style: Arc::new(Style::new("text/html".into(), "no-cache".into())),
        };
        assert_eq!(f.rel(), "a/b.html");
        assert!(f.is_html());
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["rel"], "a/b.html");
        assert_eq!(json["key"], "www/a/b.html");
        assert_eq!(
            json["sha256"],
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(json["md5"], "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(json["content_type"], "text/html");
        assert_eq!(json["cache_control"], "no-cache");
        assert_eq!(json["headers"], f.style.headers.as_str());
        assert!(json.get("path").is_none());
        assert_eq!(f.path(), Path::new("/site/a/b.html"));
        // A name that is not NFC keeps the path it has.
        let odd = LocalFile {
            own: Some(Path::new("a/b\u{301}.html").into()),
            ..f
        };
        assert_eq!(odd.path(), Path::new("/site/a/b\u{301}.html"));
    }

    #[test]
    fn content_types_have_charset_on_text() {
        let none = BTreeMap::new();
        assert_eq!(content_type("index.html", &none), "text/html; charset=utf-8");
        assert_eq!(content_type("a/app.JS", &none), "text/javascript; charset=utf-8");
        assert_eq!(content_type("logo.png", &none), "image/png");
        assert_eq!(content_type("data.bin.unknownext", &none), "application/octet-stream");
        assert_eq!(content_type("noext", &none), "application/octet-stream");
        let over = BTreeMap::from([("webmanifest".to_string(), "application/manifest+json".to_string())]);
        assert_eq!(
            content_type("site.webmanifest", &over),
            "application/manifest+json; charset=utf-8"
        );
    }

    #[test]
    fn index_pages_invalidate_their_folder_urls() {
        assert_eq!(viewer_paths("index.html"), ["/index.html", "/"]);
        assert_eq!(viewer_paths("docs/index.html"), ["/docs/index.html", "/docs/", "/docs"]);
        assert_eq!(viewer_paths("a b/c+d%.js"), ["/a%20b/c+d%25.js"]);
        // RFC 1738's safe and reserved characters stay as they are; unsafe
        // ones and non-ASCII are encoded.
        assert_eq!(viewer_paths("x/$-_.+!'(),;:@&=.txt"), ["/x/$-_.+!'(),;:@&=.txt"]);
        assert_eq!(viewer_paths("é{}|^~[]`.css"), ["/%C3%A9%7B%7D%7C%5E%7E%5B%5D%60.css"]);
        assert_eq!(viewer_paths("a*b?.js"), ["/a%2Ab%3F.js"]);
        assert_eq!(viewer_paths("café.css"), ["/caf%C3%A9.css"]);
    }

    #[test]
    fn many_paths_collapse_to_wildcards_then_everything() {
        let few = invalidation_paths(["a.js", "b.js"], 15);
        assert_eq!(few, ["/a.js", "/b.js"]);
        let names: Vec<String> = (0..20).map(|i| format!("assets/f{i}.js")).collect();
        let many = invalidation_paths(names.iter().map(String::as_str).chain(["index.html"]), 15);
        assert_eq!(many, ["/", "/assets/*", "/index.html"]);
        let spread: Vec<String> = (0..20).map(|i| format!("d{i}/x.js")).collect();
        assert_eq!(invalidation_paths(spread.iter().map(String::as_str), 15), ["/*"]);
        // Six folders would fit 15 paths, but six wildcards are more than one
        // deploy may take of the distribution's 15 in progress: `/*`.
        let six: Vec<String> = (0..6)
            .flat_map(|i| (0..3).map(move |j| format!("d{i}/f{j}.js")))
            .collect();
        assert_eq!(invalidation_paths(six.iter().map(String::as_str), 15), ["/*"]);
        let five: Vec<String> = (0..5)
            .flat_map(|i| (0..4).map(move |j| format!("d{i}/f{j}.js")))
            .collect();
        assert_eq!(invalidation_paths(five.iter().map(String::as_str), 15).len(), 5);
    }

    #[test]
    fn caller_reference_is_stable_and_content_sensitive() {
        let paths = vec!["/a.js".to_string()];
        let a = caller_reference("E1", Some("v1"), &paths, &[("a.js", "s1", "h")]);
        // A retry of the same transition (same manifest left behind) reuses it.
        assert_eq!(a, caller_reference("E1", Some("v1"), &paths, &[("a.js", "s1", "h")]));
        assert_ne!(a, caller_reference("E1", Some("v1"), &paths, &[("a.js", "s2", "h")]));
        // The same content again later (A→B→A→B) leaves another manifest
        // version: a new invalidation, not CloudFront's earlier one.
        assert_ne!(a, caller_reference("E1", Some("v3"), &paths, &[("a.js", "s1", "h")]));
        assert!(a.len() <= 128);
    }
}
