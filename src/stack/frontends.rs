//! `[frontends.KEY]`: static sites: the folder, bucket and prefix, the
//! CloudFront distribution, cache rules, content types, sync limits.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::rules::{valid_bucket_name, valid_domain};
use super::{join, Entry, Validator};
use crate::model::{ApiSpec, CacheRule, DistributionSpec, DomainSpec, FrontendSpec, FunctionSpec, UrlAuth};

const FRONTEND_KEYS: &[&str] = &[
    "dir",
    "bucket",
    "prefix",
    "distribution",
    "cache",
    "content_types",
    "max_deletes",
    "concurrency",
    "invalidation_max_paths",
    "api",
    "domain",
    "certificate",
];
const API_KEYS: &[&str] = &["function", "path", "headers"];
const CACHE_RULE_KEYS: &[&str] = &["glob", "control"];

impl Validator<'_> {
    /// Each check reports its own problems and returns `None` when it found
    /// one; the frontend is only kept when every check passed.
    pub(super) fn frontend(&mut self, e: &Entry<'_>, functions: &[FunctionSpec]) -> Option<FrontendSpec> {
        let (t, path) = (e.t, e.path.as_str());
        self.only_keys(t, path, FRONTEND_KEYS);
        let dir = self.folder(e);
        let bucket = self.bucket(e);
        let prefix = self.prefix(e);
        let distribution = self.distribution(e);
        let cache = self.cache_rules(e);
        let content_types = self.content_types(e);
        let api = self.api(e, functions, distribution.as_ref());
        let domain = self.domain(e, distribution.as_ref());
        let max_deletes = match t.get("max_deletes") {
            None => Some(100),
            Some(_) => self.int_in(t, path, "max_deletes", 0..=1_000_000, "files"),
        };
        let concurrency = match t.get("concurrency") {
            None => Some(16),
            Some(_) => self.int_in(t, path, "concurrency", 1..=256, "parallel uploads"),
        };
        let max_paths = match t.get("invalidation_max_paths") {
            None => Some(15),
            Some(_) => self.int_in(t, path, "invalidation_max_paths", 1..=3000, "paths"),
        };
        Some(FrontendSpec {
            key: e.key.to_string(),
            prefix: prefix?,
            distribution: distribution?,
            cache: cache?,
            content_types: content_types?,
            dir: dir?,
            bucket: bucket?,
            max_deletes: max_deletes? as usize,
            concurrency: concurrency? as usize,
            invalidation_max_paths: max_paths? as usize,
            api: api?,
            domain: domain?,
        })
    }

    /// `dir`: the folder to publish, relative to the stack file.
    fn folder(&mut self, e: &Entry<'_>) -> Option<PathBuf> {
        let (t, path) = (e.t, e.path.as_str());
        let Some(d) = self.opt_str(t, path, "dir") else {
            if t.get("dir").is_none() {
                self.missing(
                    e.span.clone(),
                    path,
                    "dir",
                    "add dir = \"../site\" (the folder to publish)",
                );
            }
            return None;
        };
        let dir = self.base.join(d);
        if dir.is_dir() {
            return Some(dir);
        }
        let at = Self::span_of(t, "dir");
        self.problem(
            at,
            &join(path, "dir"),
            format!("no folder at {}", dir.display()),
            Some("the path is relative to the stack file's folder".into()),
        );
        None
    }

    fn bucket(&mut self, e: &Entry<'_>) -> Option<String> {
        let (t, path) = (e.t, e.path.as_str());
        match self.opt_str(t, path, "bucket") {
            Some(b) if valid_bucket_name(&b) => Some(b),
            Some(b) => {
                let at = Self::span_of(t, "bucket");
                self.problem(
                    at,
                    &join(path, "bucket"),
                    format!("`{b}` is not a valid S3 bucket name"),
                    Some(
                        "use 3-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
                            .into(),
                    ),
                );
                None
            }
            None => {
                if t.get("bucket").is_none() {
                    self.missing(e.span.clone(), path, "bucket", "add bucket = \"my-site-bucket\"");
                }
                None
            }
        }
    }

    /// The key prefix, normalised to end in '/' (or empty).
    fn prefix(&mut self, e: &Entry<'_>) -> Option<String> {
        let (t, path) = (e.t, e.path.as_str());
        match self.opt_str(t, path, "prefix") {
            Some(p) if p.starts_with('/') || p.contains("//") || p.split('/').any(|s| s == ".." || s == ".") => {
                let at = Self::span_of(t, "prefix");
                self.problem(
                    at,
                    &join(path, "prefix"),
                    format!("`{p}` is not a usable key prefix"),
                    Some("use a relative prefix such as \"shipcaptaincrew/\", without leading '/', '.' or '..'".into()),
                );
                None
            }
            Some(p) if p.is_empty() || p.ends_with('/') => Some(p),
            Some(p) => Some(format!("{p}/")),
            None => Some(String::new()),
        }
    }

    /// A distribution id, or "managed" (bosun creates and owns one).
    fn distribution(&mut self, e: &Entry<'_>) -> Option<DistributionSpec> {
        let Some(item) = e.t.get("distribution") else {
            return Some(DistributionSpec::None);
        };
        match item.as_str() {
            Some("managed") => Some(DistributionSpec::Managed),
            Some(id) if !id.is_empty() && id.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) => {
                Some(DistributionSpec::Id(id.to_string()))
            }
            _ => {
                let at = Self::span_of(e.t, "distribution");
                self.problem(
                    at,
                    &join(&e.path, "distribution"),
                    "expected a CloudFront distribution id (e.g. \"E2ABCDEF123456\") or \"managed\"".into(),
                    Some("\"managed\" lets bosun create and own the distribution".into()),
                );
                None
            }
        }
    }

    /// `cache = [{ glob, control }]`: Cache-Control by glob, first match wins.
    fn cache_rules(&mut self, e: &Entry<'_>) -> Option<Vec<CacheRule>> {
        let mut cache = Vec::new();
        let Some(item) = e.t.get("cache") else {
            return Some(cache);
        };
        let Some(rules) = item.as_array() else {
            self.wrong_type(e.t, &e.path, "cache", "an array of { glob, control } rules");
            return None;
        };
        let cp = join(&e.path, "cache");
        let mut ok = true;
        for (i, rule) in rules.iter().enumerate() {
            match self.cache_rule(rule, &format!("{cp}[{i}]")) {
                Some(r) => cache.push(r),
                None => ok = false,
            }
        }
        ok.then_some(cache)
    }

    fn cache_rule(&mut self, rule: &toml_edit::Value, rp: &str) -> Option<CacheRule> {
        let Some(r) = rule.as_inline_table() else {
            self.problem(
                rule.span(),
                rp,
                "expected { glob = \"...\", control = \"...\" }".into(),
                None,
            );
            return None;
        };
        self.only_keys(r, rp, CACHE_RULE_KEYS);
        let glob = self.opt_str(r, rp, "glob");
        let control = self.opt_str(r, rp, "control");
        let (Some(glob), Some(control)) = (&glob, &control) else {
            for (k, v) in [("glob", glob.is_none()), ("control", control.is_none())] {
                if v && r.get(k).is_none() {
                    self.missing(rule.span(), rp, k, "each cache rule needs glob and control");
                }
            }
            return None;
        };
        if let Err(e) = globset::Glob::new(glob) {
            let at = Self::span_of(r, "glob");
            self.problem(at, &join(rp, "glob"), format!("invalid glob: {e}"), None);
            return None;
        }
        if control.is_empty() || control.contains(['\n', '\r']) {
            let at = Self::span_of(r, "control");
            self.problem(
                at,
                &join(rp, "control"),
                "not a usable Cache-Control value".into(),
                None,
            );
            return None;
        }
        Some(CacheRule {
            glob: glob.clone(),
            cache_control: control.clone(),
        })
    }

    /// `content_types = { ext = "type/subtype" }`, extensions lowercased, without the dot.
    fn content_types(&mut self, e: &Entry<'_>) -> Option<BTreeMap<String, String>> {
        let mut content_types = BTreeMap::new();
        let Some(ct) = self.opt_table(e.t, &e.path, "content_types") else {
            return Some(content_types);
        };
        let cp = join(&e.path, "content_types");
        let mut ok = true;
        for (ext, _) in ct.iter() {
            let Some(v) = self.opt_str(ct, &cp, ext) else {
                ok = false;
                continue;
            };
            if !v.contains('/') {
                ok = false;
                let at = Self::span_of(ct, ext);
                self.problem(
                    at,
                    &join(&cp, ext),
                    format!("`{v}` is not a media type"),
                    Some("use type/subtype, e.g. application/manifest+json".into()),
                );
            }
            content_types.insert(ext.trim_start_matches('.').to_ascii_lowercase(), v);
        }
        ok.then_some(content_types)
    }

    /// `api = { function = "KEY", path = "/api/*" }`: a function of the
    /// stack with an `aws-iam` URL (CloudFront's origin access control signs
    /// its requests; a `none` URL would stay public), behind a managed
    /// distribution (bosun changes only distributions it owns).
    fn api(
        &mut self,
        e: &Entry<'_>,
        functions: &[FunctionSpec],
        distribution: Option<&DistributionSpec>,
    ) -> Option<Option<ApiSpec>> {
        let Some(a) = self.opt_table(e.t, &e.path, "api") else {
            return e.t.get("api").is_none().then_some(None);
        };
        let ap = join(&e.path, "api");
        self.only_keys(a, &ap, API_KEYS);
        let at = Self::span_of(e.t, "api");
        if distribution.is_some_and(|d| *d != DistributionSpec::Managed) {
            self.problem(
                at.clone(),
                &ap,
                "an API behind the distribution needs distribution = \"managed\"".into(),
                Some("bosun adds the API origin only to a distribution it created and owns".into()),
            );
            return None;
        }
        // The frontend's key names the API's Lambda permissions
        // (bosun-cloudfront-KEY-invoke): AddPermission's StatementId takes
        // letters, digits, '-' and '_', at most 100 characters (Lambda API
        // reference, AddPermission).
        let longest = crate::model::names::cloudfront_sid(e.key, crate::model::names::PublicStatement::InvokeFunction);
        if longest.len() > 100
            || !e
                .key
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            self.problem(
                e.span.clone(),
                &e.path,
                format!("the frontend key `{}` cannot name the API's Lambda permission `{longest}`: a statement id takes letters, digits, '-' and '_', at most 100 characters", e.key),
                Some("rename the frontend (its [frontends.KEY] table) with only those characters".into()),
            );
            return None;
        }
        let path = self.opt_str(a, &ap, "path").unwrap_or_else(|| "/api/*".into());
        let path_ok = path.starts_with('/')
            && path.len() <= 255
            && path != "/*"
            && path
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_-.*$/~\"'@:+&".contains(&c));
        if !path_ok {
            let at = Self::span_of(a, "path").or(at.clone());
            self.problem(
                at,
                &join(&ap, "path"),
                format!("`{path}` is not a usable CloudFront path pattern"),
                Some("use a pattern under the site such as \"/api/*\" (not \"/*\": that is the site)".into()),
            );
        }
        let Some(key) = self.opt_str(a, &ap, "function") else {
            if a.get("function").is_none() {
                self.missing(
                    at,
                    &ap,
                    "function",
                    "add function = \"KEY\" (a [functions.KEY] with a URL)",
                );
            }
            return None;
        };
        let function = functions.iter().find(|f| f.key == key);
        let help = match function.map(|f| f.url.as_ref().map(|u| &u.auth)) {
            None => Some(format!("no function `{key}` in this stack")),
            Some(None) => Some(format!("function `{key}` has no URL: add url = {{ auth = \"aws-iam\" }} to it")),
            Some(Some(UrlAuth::None)) => Some(format!(
                "function `{key}` has a public URL (auth = \"none\"); behind CloudFront it must be url = {{ auth = \"aws-iam\" }}, so only the distribution may call it"
            )),
            Some(Some(UrlAuth::AwsIam)) => None,
        };
        if let Some(message) = help {
            let at = Self::span_of(a, "function");
            self.problem(at, &join(&ap, "function"), message, None);
            return None;
        }
        let headers = self.api_headers(a, &ap);
        (path_ok && headers.is_some()).then_some(Some(ApiSpec {
            function: key,
            path,
            headers: headers.flatten(),
        }))
    }

    /// `headers = ["x-session-token", …]`: the viewer headers the API reads.
    /// Lower-cased; not Host (a function URL answers to its own), not
    /// Authorization (the origin access control overwrites it), no
    /// `CloudFront-*` (CloudFront's own), and with the ones bosun always
    /// forwards within CloudFront's 10 per policy. `Some(None)`: absent.
    fn api_headers(&mut self, a: &dyn toml_edit::TableLike, ap: &str) -> Option<Option<Vec<String>>> {
        use crate::model::{API_BASE_HEADERS, ORIGIN_REQUEST_POLICY_MAX_HEADERS};
        let token = |h: &str| {
            !h.is_empty()
                && h.len() <= 128
                && h.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c))
        };
        let Some(list) = self.str_list(a, ap, "headers", token, "an HTTP header name") else {
            return a.get("headers").is_none().then_some(None);
        };
        let at = Self::span_of(a, "headers");
        let key = join(ap, "headers");
        let mut out: Vec<String> = Vec::new();
        let mut ok = true;
        for h in list.iter().map(|h| h.to_ascii_lowercase()) {
            let refused = match h.as_str() {
                "host" => Some("a function URL answers only to its own host name; CloudFront sends it"),
                "authorization" => Some("CloudFront's origin access control overwrites Authorization with its signature; carry credentials in a header of their own"),
                "accept-encoding" => Some("CloudFront handles Accept-Encoding itself (compression); an origin request policy may not name it"),
                h if h.starts_with("cloudfront-") => Some("CloudFront's own headers are not the viewer's; bosun forwards CloudFront-Viewer-Address itself"),
                _ => None,
            };
            if let Some(help) = refused {
                ok = false;
                self.problem(
                    at.clone(),
                    &key,
                    format!("`{h}` cannot be forwarded to the API"),
                    Some(help.into()),
                );
            } else if !API_BASE_HEADERS.contains(&h.as_str()) && !out.contains(&h) {
                out.push(h);
            }
        }
        let total = out.len() + API_BASE_HEADERS.len() + 1;
        if total > ORIGIN_REQUEST_POLICY_MAX_HEADERS {
            ok = false;
            self.problem(
                at,
                &key,
                format!("{total} headers with the {} bosun forwards (content-type, x-amz-content-sha256, CloudFront-Viewer-Address); an origin request policy takes {ORIGIN_REQUEST_POLICY_MAX_HEADERS}", API_BASE_HEADERS.len() + 1),
                Some("forward only the headers the API reads".into()),
            );
        }
        out.sort();
        ok.then_some(Some(out))
    }

    /// `domain = "crew.example.com"` with `certificate = "arn:aws:acm:us-east-1:…"`:
    /// both or neither, on a managed distribution, the certificate in
    /// us-east-1 (CloudFront takes viewer certificates from there only).
    fn domain(&mut self, e: &Entry<'_>, distribution: Option<&DistributionSpec>) -> Option<Option<DomainSpec>> {
        let (t, path) = (e.t, e.path.as_str());
        let name = self.opt_str(t, path, "domain");
        let certificate = self.opt_str(t, path, "certificate");
        let (name, certificate) = match (name, certificate) {
            (None, None) => return (t.get("domain").is_none() && t.get("certificate").is_none()).then_some(None),
            (Some(_), None) => {
                self.missing(Self::span_of(t, "domain"), path, "certificate", CERTIFICATE_HELP);
                return None;
            }
            (None, Some(_)) => {
                self.missing(
                    Self::span_of(t, "certificate"),
                    path,
                    "domain",
                    "add domain = \"crew.example.com\"",
                );
                return None;
            }
            (Some(n), Some(c)) => (n.to_ascii_lowercase(), c),
        };
        let mut ok = true;
        if distribution.is_some_and(|d| *d != DistributionSpec::Managed) {
            ok = false;
            let at = Self::span_of(t, "domain");
            self.problem(
                at,
                &join(path, "domain"),
                "a custom domain needs distribution = \"managed\"".into(),
                Some("bosun sets the domain only on a distribution it created and owns".into()),
            );
        }
        if !valid_domain(&name) {
            ok = false;
            let at = Self::span_of(t, "domain");
            self.problem(
                at,
                &join(path, "domain"),
                format!("`{name}` is not a domain name"),
                None,
            );
        }
        let parts: Vec<&str> = certificate.split(':').collect();
        if !(parts.len() == 6 && parts[2] == "acm" && parts[3] == "us-east-1" && parts[5].starts_with("certificate/")) {
            ok = false;
            let at = Self::span_of(t, "certificate");
            self.problem(
                at,
                &join(path, "certificate"),
                format!("`{certificate}` is not an ACM certificate ARN in us-east-1"),
                Some(CERTIFICATE_HELP.into()),
            );
        }
        ok.then_some(Some(DomainSpec { name, certificate }))
    }
}

const CERTIFICATE_HELP: &str = "request (or import) a certificate for the domain in ACM in us-east-1 and give its ARN: certificate = \"arn:aws:acm:us-east-1:123456789012:certificate/…\"";
