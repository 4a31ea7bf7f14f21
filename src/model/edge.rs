//! What bosun wants at the edge, whatever CloudFront has: the cache
//! policies it uses, the security headers every response carries, and the
//! viewer-request function serving folder index pages. `aws/cloudfront/`
//! puts them there; the browser test and the local edge serve the same.

/// AWS's managed "CachingOptimized" cache policy.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

/// AWS's managed "CachingDisabled" cache policy (an API's answers are not cached).
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

/// The Content-Security-Policy of bosun's frontends: everything from the
/// site's own origin (the API included, behind the same distribution),
/// images also as data: URLs, no plugins, no framing, no `<base>`.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Strict-Transport-Security's max-age: two years.
pub const HSTS_MAX_AGE: i32 = 63_072_000;

/// The headers bosun's response headers policy sets on every response of
/// a managed distribution (overriding the origin's), as a browser sees
/// them; the browser test serves the same set locally.
pub fn security_headers() -> Vec<(&'static str, String)> {
    vec![
        (
            "Strict-Transport-Security",
            format!("max-age={HSTS_MAX_AGE}; includeSubDomains"),
        ),
        ("X-Content-Type-Options", "nosniff".into()),
        ("X-Frame-Options", "DENY".into()),
        ("Referrer-Policy", "no-referrer".into()),
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY.into()),
    ]
}

/// The viewer-request function bosun attaches to the distributions it
/// manages. CloudFront's default root object applies to `/` only ("How
/// default root object works"), so with an S3 origin behind an origin access
/// control `/docs/` would ask S3 for the key `docs/` and get 403; this serves
/// `docs/index.html` instead, as bosun's invalidations of `/docs/` assume.
pub const INDEX_FUNCTION_CODE: &str = "\
// bosun: folder URLs serve their index.html (/docs/ -> /docs/index.html).
function handler(event) {
    var request = event.request;
    if (request.uri.endsWith('/')) {
        request.uri += 'index.html';
    }
    return request;
}
";
