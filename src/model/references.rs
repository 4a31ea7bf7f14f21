//! References between resources in a function's environment values:
//! `${frontends.KEY.url}` (`https://` + the frontend's distribution domain)
//! and `${functions.KEY.url}` (the function's URL). The stack validator
//! checks that each names something that has a URL; the planner resolves
//! them against live state. A URL never depends on a function's
//! configuration, so references cannot form a cycle; one that names what
//! the deploy itself creates resolves in the deploy's second pass.

use serde::Serialize;

/// What a reference names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "key", rename_all = "snake_case")]
pub enum Target {
    Frontend(String),
    Function(String),
}

/// The value a reference stands for while what it names does not exist yet
/// (`.invalid` is reserved, RFC 2606: it can never reach a real host).
pub const PENDING_URL: &str = "https://pending.bosun.invalid";

/// Every `${…}` in `value`, in order, or what is wrong with the first bad one.
pub fn parse(value: &str) -> Result<Vec<(String, Target)>, String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else {
            return Err(format!("`{}` has no closing `}}`", &rest[at..]));
        };
        let inner = &after[..end];
        let text = format!("${{{inner}}}");
        let parts: Vec<&str> = inner.split('.').collect();
        let target = match parts.as_slice() {
            ["frontends", key, "url"] if !key.is_empty() => Target::Frontend(key.to_string()),
            ["functions", key, "url"] if !key.is_empty() => Target::Function(key.to_string()),
            _ => {
                return Err(format!(
                    "`{text}` is not a reference bosun knows: use ${{frontends.KEY.url}} or ${{functions.KEY.url}}"
                ))
            }
        };
        out.push((text, target));
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// `value` with each reference replaced by `resolve`'s answer (or
/// [`PENDING_URL`] where it has none); the second value says whether any
/// was pending.
pub fn substitute(value: &str, resolve: impl Fn(&Target) -> Option<String>) -> (String, bool) {
    let Ok(refs) = parse(value) else {
        return (value.to_string(), false);
    };
    let mut out = value.to_string();
    let mut pending = false;
    for (text, target) in refs {
        let resolved = resolve(&target).unwrap_or_else(|| {
            pending = true;
            PENDING_URL.to_string()
        });
        out = out.replacen(&text, &resolved, 1);
    }
    (out, pending)
}

/// The longest value `target` can stand for, to check limits before it
/// exists: a custom domain's URL; else a CloudFront domain
/// (`https://` + a 14-character id + `.cloudfront.net`) or a function URL
/// (`https://` + a 32-character id + `.lambda-url.` + the region + `.on.aws`;
/// the longest region name when none is given).
pub fn longest_value(desired: &super::Desired, target: &Target) -> String {
    match target {
        Target::Frontend(key) => match desired
            .frontends
            .iter()
            .find(|f| f.key == *key)
            .and_then(|f| f.domain.as_ref())
        {
            Some(d) => format!("https://{}", d.name),
            None => format!("https://{}.cloudfront.net", "d".repeat(14)),
        },
        Target::Function(_) => {
            let region = desired
                .stack
                .region
                .clone()
                .unwrap_or_else(|| "x".repeat(LONGEST_REGION));
            format!("https://{}.lambda-url.{region}.on.aws", "x".repeat(32))
        }
    }
}

/// The longest AWS region name (e.g. `ap-southeast-5`, `us-gov-west-1`,
/// `ca-central-1`, `ap-northeast-3`): 14 characters.
const LONGEST_REGION: usize = 14;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_checked_and_substituted() {
        let refs = parse("${frontends.crew.url}/login?x=${functions.api.url}").unwrap();
        assert_eq!(
            refs,
            [
                ("${frontends.crew.url}".to_string(), Target::Frontend("crew".into())),
                ("${functions.api.url}".to_string(), Target::Function("api".into())),
            ]
        );
        assert!(parse("plain $HOME and {braces}").unwrap().is_empty());
        assert!(parse("${frontends.crew.domain}")
            .unwrap_err()
            .contains("not a reference"));
        assert!(parse("${tables.x.url}").is_err());
        assert!(parse("${frontends.crew.url").unwrap_err().contains("no closing"));
        let (value, pending) = substitute("${frontends.crew.url}/x", |_| Some("https://d1.cloudfront.net".into()));
        assert_eq!((value.as_str(), pending), ("https://d1.cloudfront.net/x", false));
        let (value, pending) = substitute("${functions.api.url}", |_| None);
        assert_eq!((value.as_str(), pending), (PENDING_URL, true));
    }
}
