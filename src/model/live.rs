//! What AWS has now, as plain data: every `Live*` type the observer fills
//! and the planner compares with `Desired`. No I/O here; the `aws` module
//! builds these from API responses.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Billing, Etag, FunctionConfig, Hex, KeyAttr};
use crate::model::site::Style;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveRole {
    pub arn: String,
    pub trust: serde_json::Value,
    /// bosun's inline policy on the role, if present.
    pub policy: Option<serde_json::Value>,
    /// The region whose functions the role serves (tag `bosun:region`;
    /// absent on roles made before bosun tagged them).
    pub region: Option<String>,
    /// The ARN of the role's permissions boundary, if it has one.
    pub boundary: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveTable {
    pub arn: String,
    pub partition_key: KeyAttr,
    pub sort_key: Option<KeyAttr>,
    pub billing: Billing,
    pub ttl: LiveTtl,
}

/// A table's TTL as DescribeTimeToLive reports it. ENABLING and DISABLING
/// are changes still in progress: DynamoDB refuses another UpdateTimeToLive
/// on the table until the change has fully processed (up to an hour).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(tag = "status", content = "attribute", rename_all = "snake_case")]
pub enum LiveTtl {
    #[default]
    Disabled,
    Enabled(String),
    Enabling(String),
    Disabling(String),
}

impl LiveTtl {
    /// The attribute TTL is (or is becoming) enabled on.
    pub fn enabled_on(&self) -> Option<&str> {
        match self {
            LiveTtl::Enabled(a) | LiveTtl::Enabling(a) => Some(a),
            LiveTtl::Disabled | LiveTtl::Disabling(_) => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveVersion {
    pub version: String,
    pub config: FunctionConfig,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveUrl {
    pub url: String,
    pub auth: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveFunction {
    pub arn: String,
    /// `$LATEST`.
    pub latest: FunctionConfig,
    /// Published versions, oldest first.
    pub versions: Vec<LiveVersion>,
    /// The stack's alias, and the version it points at.
    pub alias: Option<String>,
    pub url: Option<LiveUrl>,
    /// The alias's two public-URL statements (a `NONE`-auth URL needs both).
    pub public_url: UrlPermissions,
    /// bosun's schedule permissions on the alias: statement id → the rule ARN it allows.
    pub event_permissions: BTreeMap<String, String>,
    /// bosun's CloudFront permissions on the alias (an API behind a
    /// distribution): statement id → what it allows.
    pub cloudfront_permissions: BTreeMap<String, ServicePermission>,
    /// The function's reserved concurrency (GetFunction's `Concurrency`).
    pub reserved_concurrency: Option<i32>,
}

/// A statement letting an AWS service invoke the alias for one source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ServicePermission {
    pub action: String,
    pub principal: String,
    /// The `AWS:SourceArn` condition.
    pub source: String,
}

/// One statement bosun manages in a resource policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementState {
    #[default]
    Absent,
    /// Present and saying what bosun puts there.
    Present,
    /// A statement with bosun's id that says something else (replaced on deploy).
    Wrong,
}

/// The statements that make a `NONE`-auth function URL public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct UrlPermissions {
    /// `lambda:InvokeFunctionUrl` for `FunctionUrlAuthType = NONE`.
    pub invoke_url: StatementState,
    /// `lambda:InvokeFunction` for `InvokedViaFunctionUrl = true`.
    pub invoke_function: StatementState,
}

impl UrlPermissions {
    /// Both statements, as Lambda needs them for a public URL.
    pub fn both() -> UrlPermissions {
        UrlPermissions {
            invoke_url: StatementState::Present,
            invoke_function: StatementState::Present,
        }
    }

    /// Any statement with one of bosun's public-URL ids.
    pub fn any(&self) -> bool {
        self.invoke_url != StatementState::Absent || self.invoke_function != StatementState::Absent
    }
}

impl LiveFunction {
    pub fn version(&self, v: &str) -> Option<&LiveVersion> {
        self.versions.iter().find(|x| x.version == v)
    }
}

/// What AWS has, keyed by AWS name; `None` means "does not exist".
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Observed {
    pub account: String,
    pub partition: String,
    pub region: String,
    pub roles: BTreeMap<String, Option<LiveRole>>,
    /// The stack's permissions boundary's document (`None`: absent, or no
    /// function selected).
    pub boundary: Option<serde_json::Value>,
    pub tables: BTreeMap<String, Option<LiveTable>>,
    pub functions: BTreeMap<String, Option<LiveFunction>>,
    /// Frontend key → what its bucket and distribution hold.
    pub frontends: BTreeMap<String, LiveFrontend>,
    /// Rules named `{stack}-…` (owned by the stack or not), by name.
    pub rules: BTreeMap<String, crate::model::LiveRule>,
    /// State-bucket key of each selected function's data file → its ETag as
    /// ListObjectsV2 gives it (`None`: absent). Listed, never read: reading an
    /// object (HeadObject included) needs s3:GetObject, which the plan role
    /// has only on releases.
    pub data: BTreeMap<String, Option<Etag>>,
    /// SSM parameter of each selected function's secret → its type (`None`: absent).
    pub secrets: BTreeMap<String, Option<String>>,
    /// The stack's index-page CloudFront function, read when a managed
    /// frontend is selected: the code its LIVE stage runs (`None`: absent
    /// or never published). Whether it is bosun's is the plan's to say.
    pub index_function: Option<Vec<u8>>,
    /// The stack's response headers policy, read when a managed frontend is
    /// selected: its id, and the security headers it sets (name → value, as
    /// a browser sees them).
    pub headers_policy: Option<(String, BTreeMap<String, String>)>,
    /// bosun's origin request policies for the stack's APIs (read only when
    /// a frontend's API names headers): name → (id, headers forwarded).
    pub request_policies: BTreeMap<String, (String, Vec<String>)>,
}

/// A frontend's live side: its bucket, the objects under its prefix, the
/// manifest of the last completed sync, and its distribution.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LiveFrontend {
    /// The bucket's region; `None` when the bucket does not exist.
    pub bucket_region: Option<String>,
    pub versioning: bool,
    /// The objects under the prefix, held against `manifest` (read first):
    /// ask [`LiveFrontend::listed`] and [`LiveFrontend::listing`].
    pub objects: Listing,
    pub manifest: Option<FrontendManifest>,
    /// The S3 version id of that manifest: it changes with every sync, so
    /// it names the state an invalidation moves the site away from.
    pub manifest_version: Option<String>,
    /// bosun's metadata (content SHA-256, headers hash) read with HEAD for
    /// objects the manifest does not vouch for.
    pub metas: BTreeMap<String, Option<(String, String)>>,
    /// The distribution id, when it exists.
    pub distribution: Option<String>,
    /// The bucket's policy, read for a managed distribution that exists
    /// (it must let that distribution read the files).
    pub bucket_policy: Option<serde_json::Value>,
    /// A managed distribution's viewer-request function and origins.
    pub setup: crate::model::Setup,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveTarget {
    pub id: String,
    pub arn: String,
    pub input: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveRule {
    pub name: String,
    pub arn: String,
    pub expression: Option<String>,
    pub enabled: bool,
    pub description: String,
    /// Tagged `bosun:stack = STACK`.
    pub owned: bool,
    pub targets: Vec<LiveTarget>,
}

impl LiveFrontend {
    /// The ETag (without quotes) the listing found `key` with; `None` when
    /// it was not listed.
    pub fn listed(&self, key: &str) -> Option<&Etag> {
        if let Some(files) = self.manifest.as_ref().map(|m| &m.files) {
            if let Some(i) = files.position(key) {
                if self.objects.as_recorded.get(i) == Some(&true) {
                    return Some(&files.value_at(i).etag);
                }
            }
        }
        self.objects.others.get(key)
    }

    /// Every listed key with its ETag, in key order.
    pub fn listing(&self) -> impl Iterator<Item = (&str, &Etag)> {
        let recorded = self.manifest.iter().flat_map(|m| {
            m.files
                .iter()
                .zip(&self.objects.as_recorded)
                .filter(|(_, listed)| **listed)
                .map(|((k, e), _)| (k, &e.etag))
        });
        let mut recorded = recorded.peekable();
        let mut others = self.objects.others.iter().peekable();
        std::iter::from_fn(move || match (recorded.peek(), others.peek()) {
            (Some(a), Some(b)) if b.0 < a.0 => others.next(),
            (Some(_), _) => recorded.next(),
            (None, _) => others.next(),
        })
    }
}

/// What a listing of a site's prefix found, held against the stored
/// manifest read before it: an object listed with the ETag the manifest
/// records for it is one flag; only the others (not in the manifest, or
/// changed since it was written) keep their key and ETag. A re-sync of
/// 20,000 files holds 20,000 flags, not a second copy of every key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Listing {
    /// A flag per entry of the manifest it was taken against, in its order.
    as_recorded: Vec<bool>,
    /// Listed objects the manifest does not describe as they are: ETags by key.
    others: SortedMap<Etag>,
}

impl Listing {
    /// An empty listing, to be taken against `manifest` (the one the
    /// [`LiveFrontend`] will hold).
    pub fn against(manifest: Option<&ManifestFiles>) -> Listing {
        Listing {
            as_recorded: vec![false; manifest.map_or(0, SortedMap::len)],
            others: SortedMap::default(),
        }
    }

    /// One listed object, in any order; call [`Listing::done`] at the end.
    pub fn add(&mut self, manifest: Option<&ManifestFiles>, key: &str, etag: Etag) {
        if let Some(files) = manifest {
            if let Some(i) = files.position(key) {
                if files.value_at(i).etag == etag {
                    self.as_recorded[i] = true;
                    return;
                }
            }
        }
        self.others.push(key, etag);
    }

    /// The listing, its other objects sorted by key.
    pub fn done(mut self) -> Listing {
        self.others = self.others.sorted();
        self
    }

    /// Objects the manifest does not describe as they are (not in it, or
    /// stored with another ETag).
    pub fn others(&self) -> &SortedMap<Etag> {
        &self.others
    }
}

/// An object as stored: its ETag (without quotes) and S3 version id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub etag: Etag,
    pub version_id: Option<String>,
}

/// A distribution's setup as bosun checks it: the function on its default
/// behaviour's viewer requests, its origins and its path behaviours.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Setup {
    /// The distribution's domain (`d111111abcdef8.cloudfront.net`).
    pub domain: String,
    /// Its ARN (`arn:aws:cloudfront::ACCOUNT:distribution/ID`).
    pub arn: String,
    /// Its `bosun:stack` tag, read for managed distributions only (`None`:
    /// untagged, or not read).
    pub stack_tag: Option<String>,
    pub viewer_request_function: Option<String>,
    pub origins: Vec<LiveOrigin>,
    /// Cache behaviours other than the default: path pattern → origin id.
    pub behaviors: BTreeMap<String, String>,
    /// Alternate domain names (CNAMEs).
    pub aliases: Vec<String>,
    /// The ACM certificate viewers are served with, when not CloudFront's own.
    pub certificate: Option<String>,
    /// The response headers policy every behaviour has (none when any lacks it).
    pub headers_policy: Option<String>,
    /// Cache behaviours' origin request policies: path pattern → policy id.
    pub request_policies: BTreeMap<String, String>,
    /// Whether the last change has reached every edge location (status
    /// `Deployed`, not `InProgress`).
    pub deployed: bool,
    /// The certificate the stack's custom domain names, as ACM describes
    /// it (read for a frontend with a `domain`, whether or not its
    /// distribution exists yet).
    pub wanted_certificate: Option<LiveCertificate>,
}

/// An ACM certificate as a deploy needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum LiveCertificate {
    /// No such certificate in the account (in us-east-1).
    Missing,
    /// Its status (`ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, …) and every
    /// name it covers (its domain name and subject alternative names).
    Found { status: String, names: Vec<String> },
}

impl LiveCertificate {
    /// Why CloudFront would refuse it for `name`; `None` when it serves.
    pub fn problem(&self, name: &str) -> Option<String> {
        match self {
            LiveCertificate::Missing => Some("does not exist in this account (in us-east-1)".into()),
            LiveCertificate::Found { status, .. } if status != "ISSUED" => Some(format!("is {status}, not ISSUED")),
            LiveCertificate::Found { names, .. } if !names.iter().any(|n| covers(n, name)) => {
                Some(format!("covers {}, not {name}", names.join(", ")))
            }
            LiveCertificate::Found { .. } => None,
        }
    }
}

/// Whether a certificate name covers `host`: equal (case aside), or a
/// wildcard `*.example.com` covering exactly one more label
/// (`crew.example.com`, not `example.com` nor `a.crew.example.com`).
pub fn covers(pattern: &str, host: &str) -> bool {
    let (pattern, host) = (pattern.to_ascii_lowercase(), host.to_ascii_lowercase());
    match pattern.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => pattern == host,
    }
}

/// One origin of a distribution: its domain and its OriginPath (`""` or
/// `/a/b`), which CloudFront puts before every viewer path it forwards.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveOrigin {
    pub id: String,
    pub domain: String,
    pub path: String,
    /// The origin access control signing CloudFront's requests, if any.
    pub access_control: Option<String>,
}

/// One entry of the stored manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestEntry {
    pub sha256: Hex<32>,
    pub md5: Hex<16>,
    pub etag: Etag,
    pub size: u64,
    /// Content type, cache control and their hash (`headers`), shared by
    /// every entry with the same ones; in JSON, three fields of the entry.
    #[serde(flatten)]
    pub style: Arc<Style>,
    /// The S3 version id the content is stored under (versioned buckets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// String keys → values, sorted by key and found by binary search: every
/// key in one string, and a vector of exactly its length holding where each
/// key is and its value (not a map: 20,000 entries inserted in order leave
/// a map's nodes half empty, and 20,000 keys each in its own allocation cost
/// a third more than their bytes). Listings and manifests, which S3 and
/// bosun give in key order, are held this way. Writes the JSON of a map.
#[derive(Clone)]
pub struct SortedMap<V> {
    /// The keys, one after another (a key dropped as a duplicate leaves its
    /// bytes behind).
    keys: String,
    /// Where each key is in `keys` (start, length) and its value, by key.
    entries: Vec<(u32, u32, V)>,
}

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap {
            keys: String::new(),
            entries: Vec::new(),
        }
    }
}

impl<V: PartialEq> PartialEq for SortedMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl<V: Eq> Eq for SortedMap<V> {}

impl<V: std::fmt::Debug> std::fmt::Debug for SortedMap<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> SortedMap<V> {
    /// An empty map with room for `entries` entries and `bytes` of keys.
    pub fn with_capacity(entries: usize, bytes: usize) -> Self {
        SortedMap {
            keys: String::with_capacity(bytes),
            entries: Vec::with_capacity(entries),
        }
    }

    /// Adds an entry in any order; call [`SortedMap::sorted`] when done.
    pub fn push(&mut self, key: &str, value: V) {
        let start = u32::try_from(self.keys.len()).expect("keys under 4 GiB");
        let len = u32::try_from(key.len()).expect("a key under 4 GiB");
        self.keys.push_str(key);
        self.entries.push((start, len, value));
    }

    /// Sorted by key; of entries with the same key, the last pushed wins (as
    /// a map's insert). Sorting what S3 and bosun give, already in key order,
    /// only checks the order.
    pub fn sorted(mut self) -> Self {
        let keys = &self.keys;
        let key = |&(start, len, _): &(u32, u32, V)| &keys[start as usize..(start + len) as usize];
        // Stable: equal keys keep the order they were pushed in.
        if !self.entries.is_sorted_by(|a, b| key(a) <= key(b)) {
            self.entries.sort_by(|a, b| key(a).cmp(key(b)));
        }
        self.entries.dedup_by(|later, kept| {
            if key(later) == key(kept) {
                std::mem::swap(later, kept);
                true
            } else {
                false
            }
        });
        self.entries.shrink_to_fit();
        self.keys.shrink_to_fit();
        self
    }

    pub fn get(&self, key: &str) -> Option<&V> {
        self.find(key).ok().map(|i| &self.entries[i].2)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.find(key).is_ok()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &V)> {
        self.entries.iter().map(|(start, len, v)| (self.key(*start, *len), v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut V)> {
        let keys = self.keys.as_str();
        self.entries
            .iter_mut()
            .map(move |(start, len, v)| (&keys[*start as usize..(*start + *len) as usize], v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    fn key(&self, start: u32, len: u32) -> &str {
        &self.keys[start as usize..(start + len) as usize]
    }

    /// Where `key` is, for [`SortedMap::value_at`].
    pub fn position(&self, key: &str) -> Option<usize> {
        self.find(key).ok()
    }

    /// The value at `index`, a position this map gave.
    pub fn value_at(&self, index: usize) -> &V {
        &self.entries[index].2
    }

    fn find(&self, key: &str) -> Result<usize, usize> {
        self.entries
            .binary_search_by(|(start, len, _)| self.key(*start, *len).cmp(key))
    }
}

impl<K: AsRef<str>, V> FromIterator<(K, V)> for SortedMap<V> {
    /// Sorted by key; of entries with the same key, the last wins (as a map's insert).
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = SortedMap::default();
        for (k, v) in iter {
            map.push(k.as_ref(), v);
        }
        map.sorted()
    }
}

impl<'a, V> IntoIterator for &'a SortedMap<V> {
    type Item = (&'a str, &'a V);
    type IntoIter = Box<dyn Iterator<Item = (&'a str, &'a V)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<V: Serialize> Serialize for SortedMap<V> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

/// A manifest's (or a release record's) files, by S3 key. Reads and
/// writes the JSON of a key → entry map.
pub type ManifestFiles = SortedMap<ManifestEntry>;

/// Reads a map key straight into a [`SortedMap`]'s key string, with no
/// allocation of its own.
struct KeyInto<'k>(&'k mut String);

impl<'de> serde::de::DeserializeSeed<'de> for KeyInto<'_> {
    type Value = usize;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl serde::de::Visitor<'_> for KeyInto<'_> {
    type Value = usize;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an S3 key")
    }
    fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<usize, E> {
        self.0.push_str(key);
        Ok(key.len())
    }
}

impl<'de> Deserialize<'de> for SortedMap<ManifestEntry> {
    /// Entries as a map's JSON gives them; equal styles are shared.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// An entry as written: the style's three fields inline.
        #[derive(Deserialize)]
        struct Written {
            sha256: Hex<32>,
            md5: Hex<16>,
            etag: Etag,
            size: u64,
            content_type: String,
            cache_control: String,
            headers: String,
            #[serde(default)]
            version_id: Option<String>,
        }
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = SortedMap<ManifestEntry>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of S3 keys to manifest entries")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut styles: std::collections::HashSet<Arc<Style>> = Default::default();
                let hint = map.size_hint().unwrap_or(0).min(1 << 16);
                let mut entries = SortedMap::with_capacity(hint, hint * 48);
                loop {
                    let start = entries.keys.len();
                    let Some(len) = map.next_key_seed(KeyInto(&mut entries.keys))? else {
                        break;
                    };
                    let w: Written = map.next_value()?;
                    let style = Style {
                        content_type: w.content_type,
                        cache_control: w.cache_control,
                        headers: w.headers,
                    };
                    let style = match styles.get(&style) {
                        Some(shared) => shared.clone(),
                        None => {
                            let shared = Arc::new(style);
                            styles.insert(shared.clone());
                            shared
                        }
                    };
                    let at = |n: usize| {
                        u32::try_from(n).map_err(|_| serde::de::Error::custom("a manifest over 4 GiB of keys"))
                    };
                    entries.entries.push((
                        at(start)?,
                        at(len)?,
                        ManifestEntry {
                            sha256: w.sha256,
                            md5: w.md5,
                            etag: w.etag,
                            size: w.size,
                            style,
                            version_id: w.version_id,
                        },
                    ));
                }
                Ok(entries.sorted())
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// A site's files as this run wrote its manifest: the scanned files (sorted
/// by key) and, at the same index, what S3 stores each as. It serializes
/// exactly as [`FrontendManifest::files`] does, without building that map
/// (at 20,000 files the map would hold a second copy of every hash and key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WrittenFiles {
    pub files: Vec<crate::model::site::SiteFile>,
    pub stored: Vec<Stored>,
}

impl WrittenFiles {
    /// Each file's key and stored version id, the id open to filling in.
    pub fn versions_mut(&mut self) -> impl Iterator<Item = (&str, &mut Option<String>)> {
        self.files
            .iter()
            .zip(self.stored.iter_mut())
            .map(|(f, s)| (f.key.as_str(), &mut s.version_id))
    }
}

impl Serialize for WrittenFiles {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        /// One [`ManifestEntry`], borrowed: the same fields in the same order.
        #[derive(Serialize)]
        struct Entry<'a> {
            sha256: &'a crate::model::Hex<32>,
            md5: &'a crate::model::Hex<16>,
            etag: &'a Etag,
            size: u64,
            content_type: &'a str,
            cache_control: &'a str,
            headers: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            version_id: Option<&'a str>,
        }
        let mut map = serializer.serialize_map(Some(self.files.len()))?;
        for (f, s) in self.files.iter().zip(&self.stored) {
            map.serialize_entry(
                &f.key,
                &Entry {
                    sha256: &f.sha256,
                    md5: &f.md5,
                    etag: &s.etag,
                    size: f.size,
                    content_type: &f.style.content_type,
                    cache_control: &f.style.cache_control,
                    headers: &f.style.headers,
                    version_id: s.version_id.as_deref(),
                },
            )?;
        }
        map.end()
    }
}

/// A manifest as this run writes it: the JSON of a [`FrontendManifest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenManifest {
    pub version: u32,
    pub files: WrittenFiles,
}

/// The record of the last completed sync, stored in the bucket beside the site.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FrontendManifest {
    pub version: u32,
    pub files: ManifestFiles,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries pushed out of order come back sorted; of equal keys the last
    /// pushed wins; two maps with the same entries are equal however their
    /// keys were laid out.
    #[test]
    fn a_sorted_map_sorts_keeps_the_last_of_equal_keys_and_finds_by_key() {
        let mut m = SortedMap::default();
        for (k, v) in [("b/c", 1), ("a", 2), ("é", 3), ("b/c", 4), ("b", 5)] {
            m.push(k, v);
        }
        let m = m.sorted();
        assert_eq!(
            m.iter().collect::<Vec<_>>(),
            [("a", &2), ("b", &5), ("b/c", &4), ("é", &3)]
        );
        assert_eq!((m.get("b/c"), m.get("b/"), m.len()), (Some(&4), None, 4));
        assert!(m.contains_key("é") && !m.contains_key(""));
        let same: SortedMap<i32> = [("é", 3), ("b/c", 4), ("b", 5), ("a", 2)].into_iter().collect();
        assert_eq!(m, same);
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":2,"b":5,"b/c":4,"é":3}"#);
        let mut m = m;
        for (_, v) in m.iter_mut() {
            *v *= 10;
        }
        assert_eq!(m.keys().collect::<Vec<_>>(), ["a", "b", "b/c", "é"]);
        assert_eq!(m.get("a"), Some(&20));
    }

    /// A manifest's files read into one key string, in key order whatever
    /// order the JSON had, the last of a repeated key winning (as a map's
    /// JSON reads), escaped keys unescaped.
    #[test]
    fn manifest_files_read_in_key_order_from_any_order() {
        let entry = |sha: &str, v: Option<&str>| {
            let mut e = serde_json::json!({
                "sha256": sha.repeat(64), "md5": "0".repeat(32), "etag": "0".repeat(32), "size": 1,
                "content_type": "text/html", "cache_control": "no-cache", "headers": "h",
            });
            if let Some(v) = v {
                e["version_id"] = v.into();
            }
            e.to_string()
        };
        let text = format!(
            r#"{{"z\/q.html":{},"a\u00e9.html":{},"z/q.html":{},"m.css":{}}}"#,
            entry("a", None),
            entry("b", Some("v1")),
            entry("c", Some("v2")),
            entry("d", None)
        );
        let files: ManifestFiles = serde_json::from_str(&text).unwrap();
        assert_eq!(files.keys().collect::<Vec<_>>(), ["aé.html", "m.css", "z/q.html"]);
        let last = files.get("z/q.html").unwrap();
        assert_eq!(
            (last.sha256.hex(), last.version_id.as_deref()),
            ("c".repeat(64), Some("v2"))
        );
        // The styles are shared, not one per entry.
        let (a, m) = (files.get("aé.html").unwrap(), files.get("m.css").unwrap());
        assert!(Arc::ptr_eq(&a.style, &m.style));
        // And it writes back as the same map.
        let back: serde_json::Value = serde_json::to_value(&files).unwrap();
        assert_eq!(back.as_object().unwrap().len(), 3);
        assert_eq!(back["z/q.html"]["version_id"], "v2");
    }

    /// A listing held against the manifest answers as the whole listing
    /// would: a recorded object as it was listed, a changed one with its
    /// new ETag, a recorded one not listed as absent, others as listed; and
    /// lists every key in order.
    #[test]
    fn a_listing_held_against_the_manifest_answers_as_the_whole_listing() {
        let etag = |c: char| Etag::new(&c.to_string().repeat(32));
        let entry = |c: char| ManifestEntry {
            sha256: Hex([0; 32]),
            md5: Hex([0; 16]),
            etag: etag(c),
            size: 1,
            style: Arc::new(Style::new("text/css".into(), "max-age=60".into())),
            version_id: None,
        };
        let files: ManifestFiles = [
            ("p/a", entry('a')),
            ("p/b", entry('b')),
            ("p/c", entry('c')),
            ("p/e", entry('e')),
        ]
        .into_iter()
        .collect();
        let mut listing = Listing::against(Some(&files));
        // Out of order on purpose; p/b changed outside bosun, p/c is gone,
        // p/d and the manifest itself are not in it.
        for (k, c) in [
            ("p/e", 'e'),
            ("p/d", 'd'),
            ("p/a", 'a'),
            ("p/b", 'f'),
            ("p/.bosun/manifest.json", '0'),
        ] {
            listing.add(Some(&files), k, etag(c));
        }
        let live = LiveFrontend {
            objects: listing.done(),
            manifest: Some(FrontendManifest { version: 1, files }),
            ..LiveFrontend::default()
        };
        assert_eq!(live.listed("p/a"), Some(&etag('a')));
        assert_eq!(live.listed("p/b"), Some(&etag('f')));
        assert_eq!(live.listed("p/c"), None);
        assert_eq!(live.listed("p/d"), Some(&etag('d')));
        assert_eq!(live.listed("p/z"), None);
        let all: Vec<(&str, String)> = live.listing().map(|(k, e)| (k, e.to_string())).collect();
        let want: Vec<(&str, String)> = [
            ("p/.bosun/manifest.json", '0'),
            ("p/a", 'a'),
            ("p/b", 'f'),
            ("p/d", 'd'),
            ("p/e", 'e'),
        ]
        .into_iter()
        .map(|(k, c)| (k, c.to_string().repeat(32)))
        .collect();
        assert_eq!(all, want);
        // Only what the manifest does not describe as it is keeps its key.
        assert_eq!(
            live.objects.others().keys().collect::<Vec<_>>(),
            ["p/.bosun/manifest.json", "p/b", "p/d"]
        );
        // Without a manifest, everything listed is kept.
        let mut bare = Listing::against(None);
        bare.add(None, "p/b", etag('b'));
        bare.add(None, "p/a", etag('a'));
        let live = LiveFrontend {
            objects: bare.done(),
            ..LiveFrontend::default()
        };
        assert_eq!(live.listing().map(|(k, _)| k).collect::<Vec<_>>(), ["p/a", "p/b"]);
        assert_eq!(live.listed("p/b"), Some(&etag('b')));
    }
}

#[cfg(test)]
mod certificate_tests {
    use super::*;

    #[test]
    fn a_certificate_serves_a_name_when_issued_and_covering_it() {
        assert!(covers("crew.example.com", "CREW.example.com"));
        assert!(covers("*.example.com", "crew.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("*.example.com", "a.crew.example.com"));
        assert!(!covers("example.com", "crew.example.com"));
        let issued = |names: &[&str]| LiveCertificate::Found {
            status: "ISSUED".into(),
            names: names.iter().map(|n| n.to_string()).collect(),
        };
        assert_eq!(
            issued(&["example.com", "*.example.com"]).problem("crew.example.com"),
            None
        );
        assert_eq!(
            issued(&["example.com"]).problem("crew.example.com").as_deref(),
            Some("covers example.com, not crew.example.com")
        );
        let pending = LiveCertificate::Found {
            status: "PENDING_VALIDATION".into(),
            names: vec!["crew.example.com".into()],
        };
        assert_eq!(
            pending.problem("crew.example.com").as_deref(),
            Some("is PENDING_VALIDATION, not ISSUED")
        );
        assert!(LiveCertificate::Missing.problem("crew.example.com").is_some());
    }
}
