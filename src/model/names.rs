//! The naming contract with AWS: tags, statement ids, target ids, object
//! metadata keys and manifest keys bosun writes and later recognises as its
//! own. Changing one of these orphans what earlier releases wrote.

use super::FrontendSpec;

/// The tag that marks a rule as owned by a stack.
pub const STACK_TAG: &str = "bosun:stack";

/// The id of the one target bosun puts on a schedule's rule.
pub const TARGET_ID: &str = "bosun";

/// Statement id of the permission that opens a `NONE`-auth function URL
/// (`lambda:InvokeFunctionUrl`, condition `lambda:FunctionUrlAuthType = NONE`).
pub const PUBLIC_URL_SID: &str = "bosun-public-url";

/// Statement id of the second permission a public URL needs since October
/// 2025: `lambda:InvokeFunction` with `lambda:InvokedViaFunctionUrl = true`
/// (Lambda developer guide, "Control access to Lambda function URLs").
pub const PUBLIC_INVOKE_SID: &str = "bosun-public-url-invoke";

/// Statement ids of the permissions letting a schedule's rule invoke the alias.
pub const EVENTS_SID_PREFIX: &str = "bosun-events-";

/// The statement id for the rule `rule`.
pub fn events_sid(rule: &str) -> String {
    format!("{EVENTS_SID_PREFIX}{rule}")
}

/// CloudFront's limit on an origin access control's name (64 characters,
/// OriginAccessControlConfig API reference).
pub const OAC_NAME_MAX: usize = 64;

/// The name of a site's origin access control (`api`: the one for its API's
/// function URL): `bosun-{stack}-{site}[-api]`, or, when that would pass
/// the 64-character limit, its first characters and a hash of the whole
/// name, so two long names never cut down to the same one (a site's and
/// its API's, or two sites sharing a long prefix).
pub fn oac_name(stack: &str, site: &str, api: bool) -> String {
    let full = format!("bosun-{stack}-{site}{}", if api { "-api" } else { "" });
    if full.len() <= OAC_NAME_MAX {
        return full;
    }
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(full.as_bytes())[..5]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let keep: String = full.chars().take(OAC_NAME_MAX - hash.len() - 1).collect();
    format!("{keep}-{hash}")
}

/// Which of the two public-URL statements an `AllowPublicUrl` change adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PublicStatement {
    /// `lambda:InvokeFunctionUrl` for `FunctionUrlAuthType = NONE`.
    InvokeFunctionUrl,
    /// `lambda:InvokeFunction` for `InvokedViaFunctionUrl = true`.
    InvokeFunction,
}

impl PublicStatement {
    pub fn sid(self) -> &'static str {
        match self {
            PublicStatement::InvokeFunctionUrl => PUBLIC_URL_SID,
            PublicStatement::InvokeFunction => PUBLIC_INVOKE_SID,
        }
    }
}

/// Creates a distribution serving `bucket`/`prefix` through an origin access
/// control; returns (id, ARN). The CallerReference is derived from the
/// comment, so a retried create finds the same distribution instead of
/// making a second one.
/// The S3 REST endpoint of a bucket as a CloudFront origin: the regional
/// domain, with the DNS suffix of the partition (`amazonaws.com.cn` in
/// China; `amazonaws.com` in the commercial and GovCloud partitions).
pub fn s3_origin_domain(bucket: &str, region: &str, partition: &str) -> String {
    let suffix = match partition {
        "aws-cn" => "amazonaws.com.cn",
        _ => "amazonaws.com",
    };
    format!("{bucket}.s3.{region}.{suffix}")
}

/// Whether an origin domain is an S3 endpoint of `bucket`: the REST
/// endpoints (global, regional, legacy `s3-REGION`) and the website
/// endpoints (`s3-website-REGION`, `s3-website.REGION`), in any partition.
pub fn serves_bucket(domain: &str, bucket: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    let Some(rest) = domain.strip_prefix(&format!("{bucket}.")) else {
        return false;
    };
    (rest.starts_with("s3.") || rest.starts_with("s3-"))
        && (rest.ends_with(".amazonaws.com") || rest.ends_with(".amazonaws.com.cn"))
}

/// Statement ids of the permissions letting a frontend's distribution call
/// an API function's URL (`lambda:InvokeFunctionUrl`, then, as Lambda
/// requires of URL callers since October 2025, `lambda:InvokeFunction`).
pub const CLOUDFRONT_SID_PREFIX: &str = "bosun-cloudfront-";

/// The statement id of `statement` for frontend `frontend`.
pub fn cloudfront_sid(frontend: &str, statement: PublicStatement) -> String {
    match statement {
        PublicStatement::InvokeFunctionUrl => format!("{CLOUDFRONT_SID_PREFIX}{frontend}"),
        PublicStatement::InvokeFunction => format!("{CLOUDFRONT_SID_PREFIX}{frontend}-invoke"),
    }
}

/// The action a URL-caller statement allows.
pub fn statement_action(statement: PublicStatement) -> &'static str {
    match statement {
        PublicStatement::InvokeFunctionUrl => "lambda:InvokeFunctionUrl",
        PublicStatement::InvokeFunction => "lambda:InvokeFunction",
    }
}

/// The ids of API origins bosun puts on a frontend's distribution start so.
pub const API_ORIGIN_PREFIX: &str = "bosun-api-";

/// The id of the API origin on a frontend's distribution.
pub fn api_origin_id(function_name: &str) -> String {
    format!("{API_ORIGIN_PREFIX}{function_name}")
}

/// The host of a function URL (`https://ID.lambda-url.REGION.on.aws/`).
pub fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

/// Object metadata keys bosun writes on every uploaded object.
pub const META_SHA256: &str = "bosun-sha256";

pub const META_HEADERS: &str = "bosun-headers";

/// Where the manifest of the last completed sync lives, relative to the prefix.
pub const MANIFEST_NAME: &str = ".bosun/manifest.json";
/// The folder under a site's prefix that holds bosun's own files, never served.
pub const BOSUN_DIR: &str = ".bosun/";

pub fn manifest_key(spec: &FrontendSpec) -> String {
    format!("{}{MANIFEST_NAME}", spec.prefix)
}

/// Route 53's hosted zone id for every CloudFront distribution, as an
/// alias record's target (Route 53 developer guide, "Values for alias records").
pub const CLOUDFRONT_HOSTED_ZONE: &str = "Z2FDTNDATAQYW2";

/// The DNS record pointing `name` at a distribution's domain. A zone apex
/// cannot hold a CNAME (RFC 1034: a CNAME excludes the SOA and NS records
/// an apex has), so a registrable name (`example.com`, and the two-level
/// country forms such as `example.co.uk`) gets an ALIAS record; any other
/// name a CNAME.
pub fn dns_record(name: &str, distribution_domain: &str) -> String {
    let kind = if is_apex(name) { "ALIAS" } else { "CNAME" };
    format!("{name} {kind} {distribution_domain}")
}

/// Whether `name` is (most likely) a zone apex: two labels, or three whose
/// middle one is a country's second-level domain (`co.uk`, `com.au`).
fn is_apex(name: &str) -> bool {
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    match labels.as_slice() {
        [_, _] => true,
        [_, second, tld] => {
            tld.len() == 2 && ["co", "com", "net", "org", "ac", "gov", "edu", "ne", "or"].contains(second)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_oac_names_stay_within_the_limit_and_apart() {
        assert_eq!(oac_name("shop", "web", false), "bosun-shop-web");
        assert_eq!(oac_name("shop", "web", true), "bosun-shop-web-api");
        let stack = "a-stack-whose-name-is-quite-long-indeed";
        let site = "and-a-site-key-of-some-length";
        let (s3, api) = (oac_name(stack, site, false), oac_name(stack, site, true));
        assert!(s3.len() <= OAC_NAME_MAX && api.len() <= OAC_NAME_MAX, "{s3} {api}");
        assert_ne!(s3, api, "cut to the same 64 characters they would collide");
        assert_eq!(s3, oac_name(stack, site, false), "stable");
    }

    #[test]
    fn an_apex_gets_an_alias_record_and_a_subdomain_a_cname() {
        let d = "d111111abcdef8.cloudfront.net";
        assert_eq!(dns_record("example.com", d), format!("example.com ALIAS {d}"));
        assert_eq!(dns_record("example.co.uk", d), format!("example.co.uk ALIAS {d}"));
        assert_eq!(dns_record("crew.example.com", d), format!("crew.example.com CNAME {d}"));
        assert_eq!(
            dns_record("www.example.co.uk", d),
            format!("www.example.co.uk CNAME {d}")
        );
    }
}
