//! A site's local file as the model holds it: its key, hashes and the
//! headers it is served with. Scanning the folder is `crate::frontend`'s.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{hex, Hex};

/// A scanned file as plans and changes hold it: shared, never copied (a
/// site's files appear in the scan, the plan's uploads and what apply did).
pub type SiteFile = Arc<LocalFile>;

/// One file of the local site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalFile {
    /// The folder the file is read from, shared by every file of a site.
    pub dir: Arc<PathBuf>,
    /// The file's path under `dir` when it is not [`LocalFile::rel`] (a
    /// name that is not in NFC; a data file); `None` for almost every file,
    /// so a site's 20,000 paths are not held beside their keys.
    pub own: Option<Box<Path>>,
    /// The S3 key: prefix + rel (see [`LocalFile::rel`]).
    pub key: String,
    /// Where rel starts in `key`: the prefix's length.
    pub rel_at: usize,
    pub size: u64,
    /// SHA-256 of the content (hex in JSON and text).
    pub sha256: Hex<32>,
    /// MD5 of the content (what S3 reports, in hex, as the ETag of a single PUT).
    pub md5: Hex<16>,
    /// Content type, cache control and their hash, shared by every file
    /// with the same headers (a site has a handful of combinations).
    pub style: Arc<Style>,
}

impl Serialize for LocalFile {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(8))?;
        map.serialize_entry("rel", self.rel())?;
        map.serialize_entry("key", &self.key)?;
        map.serialize_entry("size", &self.size)?;
        map.serialize_entry("sha256", &self.sha256)?;
        map.serialize_entry("md5", &self.md5)?;
        map.serialize_entry("content_type", &self.style.content_type)?;
        map.serialize_entry("cache_control", &self.style.cache_control)?;
        map.serialize_entry("headers", &self.style.headers)?;
        map.end()
    }
}

/// The headers a file is served with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Style {
    pub content_type: String,
    pub cache_control: String,
    /// Short hash of content type + cache control: a header-only change changes it.
    pub headers: String,
}

impl Style {
    pub fn new(content_type: String, cache_control: String) -> Style {
        Style {
            headers: headers_hash(&content_type, &cache_control),
            content_type,
            cache_control,
        }
    }
}

impl LocalFile {
    /// The path relative to the site folder, `/`-separated, Unicode NFC
    /// (kept once, as the end of the key).
    pub fn rel(&self) -> &str {
        self.key.get(self.rel_at..).unwrap_or_default()
    }

    pub fn is_html(&self) -> bool {
        is_html(self.rel())
    }

    /// Where the file is read from.
    pub fn path(&self) -> PathBuf {
        self.dir
            .join(self.own.as_deref().unwrap_or_else(|| Path::new(self.rel())))
    }
}

pub fn is_html(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    lower.ends_with(".html") || lower.ends_with(".htm")
}

fn headers_hash(content_type: &str, cache_control: &str) -> String {
    let digest = Sha256::digest(format!("{content_type}\n{cache_control}").as_bytes());
    hex(&digest[..8])
}
