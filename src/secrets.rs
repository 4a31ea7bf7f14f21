//! Preflight secret scanning: credentials must never reach a Lambda
//! environment variable, a frontend file or a zip. Pure and fast: fixed
//! patterns (prefix, alphabet, length) plus an entropy test for values kept
//! under secret-like names. Each finding has a stable id; a stack file's
//! `[stack] allow_secrets` list may override exactly one finding per entry.

use std::fmt;

use serde::Serialize;

/// One credential-looking thing, where it is and which pattern matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `environment:FUNCTION:NAME`, `file:FRONTEND:PATH` or `binary:FUNCTION`.
    pub place: String,
    pub pattern: &'static str,
    /// A masked excerpt: the first four characters, then `…`.
    pub excerpt: String,
}

impl Finding {
    /// What an `allow_secrets` entry must say to allow this finding.
    pub fn id(&self) -> String {
        format!("{}:{}", self.place, self.pattern)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} looks like a {} ({})", self.place, self.pattern, self.excerpt)
    }
}

struct Pattern {
    name: &'static str,
    prefixes: &'static [&'static str],
    alphabet: fn(u8) -> bool,
    min: usize,
    max: usize,
}

fn upper_alnum(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit()
}

fn alnum(c: u8) -> bool {
    c.is_ascii_alphanumeric()
}

fn token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

const PATTERNS: &[Pattern] = &[
    Pattern {
        name: "aws-access-key-id",
        prefixes: &["AKIA", "ASIA"],
        alphabet: upper_alnum,
        min: 16,
        max: 16,
    },
    Pattern {
        name: "stripe-live-key",
        prefixes: &["sk_live_", "rk_live_"],
        alphabet: alnum,
        min: 16,
        max: 255,
    },
    Pattern {
        name: "github-token",
        prefixes: &["ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"],
        alphabet: alnum,
        min: 30,
        max: 255,
    },
    Pattern {
        name: "slack-token",
        prefixes: &["xoxb-", "xoxp-", "xoxa-"],
        alphabet: token_char,
        min: 20,
        max: 255,
    },
    Pattern {
        name: "google-api-key",
        prefixes: &["AIza"],
        alphabet: token_char_underscore,
        min: 35,
        max: 35,
    },
    Pattern {
        name: "npm-token",
        prefixes: &["npm_"],
        alphabet: alnum,
        min: 36,
        max: 36,
    },
];

fn token_char_underscore(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
}

/// Credentials with a structure a prefix and an alphabet cannot say: after
/// the prefix, the length of the match (or None).
struct Shaped {
    name: &'static str,
    prefix: &'static str,
    rest: fn(&[u8]) -> Option<usize>,
}

/// `n` characters of `alphabet` at the start of `b` (at least `min`).
fn run_of(b: &[u8], alphabet: fn(u8) -> bool, min: usize) -> Option<usize> {
    let n = b.iter().take_while(|c| alphabet(**c)).count();
    (n >= min).then_some(n)
}

const SHAPED: &[Shaped] = &[
    // A JWT: three base64url parts; the header (and, in practice, the
    // claims) are JSON objects, so both begin `eyJ`.
    Shaped {
        name: "jwt",
        prefix: "eyJ",
        rest: |b| {
            let head = run_of(b, token_char_underscore, 10)?;
            let b2 = b[head..].strip_prefix(b".eyJ")?;
            let claims = run_of(b2, token_char_underscore, 10)?;
            let b3 = b2[claims..].strip_prefix(b".")?;
            let sig = run_of(b3, token_char_underscore, 10)?;
            Some(head + 4 + claims + 1 + sig)
        },
    },
    // SendGrid: SG.{22}.{43}
    Shaped {
        name: "sendgrid-key",
        prefix: "SG.",
        rest: |b| {
            let id = run_of(b, token_char_underscore, 22).filter(|n| *n == 22)?;
            let b2 = b[id..].strip_prefix(b".")?;
            let key = run_of(b2, token_char_underscore, 43).filter(|n| *n == 43)?;
            Some(id + 1 + key)
        },
    },
    // An incoming-webhook URL: whoever holds it posts to the channel.
    Shaped {
        name: "slack-webhook",
        prefix: "https://hooks.slack.com/services/",
        rest: |b| {
            let t = b.strip_prefix(b"T")?;
            let n1 = run_of(t, upper_alnum, 6)?;
            let b2 = t[n1..].strip_prefix(b"/B")?;
            let n2 = run_of(b2, upper_alnum, 6)?;
            let b3 = b2[n2..].strip_prefix(b"/")?;
            let n3 = run_of(b3, alnum, 16)?;
            Some(1 + n1 + 2 + n2 + 1 + n3)
        },
    },
];

/// A URL with a password in it (`postgres://user:PASSWORD@host`): the
/// password is not a placeholder (`${…}`, `{{…}}`, `<…>`, `*…`, `$VAR`).
fn url_password(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(off) = find(&bytes[i..], b"://") {
        let at = i + off;
        let scheme = bytes[..at]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'.' | b'-'))
            .count();
        let rest = &bytes[at + 3..];
        let authority = rest
            .iter()
            .take_while(|c| !matches!(c, b'/' | b'?' | b'#' | b'"' | b'\'' | b' ' | b'\n' | b'\r' | b'\t'))
            .count();
        let authority = &rest[..authority];
        if let (true, Some(userinfo)) = (scheme > 0, authority.iter().rposition(|c| *c == b'@')) {
            let userinfo = &authority[..userinfo];
            if let Some(colon) = userinfo.iter().position(|c| *c == b':') {
                let password = &userinfo[colon + 1..];
                let placeholder = password.is_empty()
                    || password.starts_with(b"${")
                    || password.starts_with(b"{{")
                    || password.starts_with(b"<")
                    || password.starts_with(b"*")
                    || password.starts_with(b"$");
                if !placeholder {
                    return Some(at - scheme);
                }
            }
        }
        i = at + 3;
    }
    None
}

/// "-----BEGIN " then, on the same line, "PRIVATE KEY": every PEM form of a
/// private key (RSA, EC, DSA, OPENSSH, ENCRYPTED, plain PKCS#8, and
/// "PGP PRIVATE KEY BLOCK").
const PEM_BEGIN: &str = "-----BEGIN ";

fn mask(s: &[u8]) -> String {
    let head: String = s.iter().take(4).map(|&c| c as char).collect();
    format!("{head}…")
}

/// Scans bytes (text or binary) for fixed credential patterns.
pub fn scan_bytes(place: &str, bytes: &[u8]) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in PATTERNS {
        for prefix in p.prefixes {
            let pb = prefix.as_bytes();
            let mut i = 0;
            while let Some(off) = find(&bytes[i..], pb) {
                let start = i + off;
                let body = start + pb.len();
                let n = bytes[body..]
                    .iter()
                    .take(p.max + 1)
                    .take_while(|c| (p.alphabet)(**c))
                    .count();
                // A boundary before the match: not in the middle of a longer word.
                let boundary = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
                if boundary && n >= p.min && n <= p.max {
                    out.push(Finding {
                        place: place.to_string(),
                        pattern: p.name,
                        excerpt: mask(&bytes[start..]),
                    });
                    break; // one finding per pattern and place
                }
                i = body;
            }
        }
    }
    for shape in SHAPED {
        let pb = shape.prefix.as_bytes();
        let mut i = 0;
        while let Some(off) = find(&bytes[i..], pb) {
            let start = i + off;
            let body = start + pb.len();
            let boundary = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            if boundary && (shape.rest)(&bytes[body..]).is_some() {
                out.push(Finding {
                    place: place.to_string(),
                    pattern: shape.name,
                    excerpt: mask(&bytes[start..]),
                });
                break;
            }
            i = body;
        }
    }
    if let Some(at) = url_password(bytes) {
        out.push(Finding {
            place: place.to_string(),
            pattern: "url-with-password",
            excerpt: mask(&bytes[at..]),
        });
    }
    let mut i = 0;
    while let Some(off) = find(&bytes[i..], PEM_BEGIN.as_bytes()) {
        let start = i + off + PEM_BEGIN.len();
        let line = bytes[start..].iter().take(60).take_while(|c| **c != b'\n').count();
        if find(&bytes[start..start + line], b"PRIVATE KEY").is_some() {
            out.push(Finding {
                place: place.to_string(),
                pattern: "private-key",
                excerpt: "-----BEGIN … PRIVATE KEY…".into(),
            });
            break;
        }
        i = start;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1].iter().position(|&c| c == first) {
            Some(p) => {
                let at = i + p;
                if &hay[at..at + needle.len()] == needle {
                    return Some(at);
                }
                i = at + 1;
            }
            None => return None,
        }
    }
    None
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Names that say "this holds a secret": one of their words (split at
/// anything but a letter or digit) is a secret's word (`JWT_SIGNING_KEY`,
/// `DB_PASS`, `WEBHOOK_HMAC`), or they contain `APIKEY`/`ACCESSKEY`.
pub fn secret_like_name(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASS",
        "PWD",
        "PASSPHRASE",
        "PRIVATE",
        "KEY",
        "KEYS",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "SIGNING",
        "HMAC",
        "SALT",
    ];
    let n = name.to_ascii_uppercase();
    n.contains("APIKEY")
        || n.contains("ACCESSKEY")
        || n.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| WORDS.contains(&w))
}

/// Scans one environment variable: the fixed patterns, plus a long,
/// high-entropy value under a secret-like name.
pub fn scan_env(function: &str, name: &str, value: &str) -> Vec<Finding> {
    let place = format!("environment:{function}:{name}");
    let mut out = scan_bytes(&place, value.as_bytes());
    if out.is_empty() && secret_like_name(name) && value.len() >= 16 && entropy(value) >= 3.5 {
        out.push(Finding {
            place,
            pattern: "high-entropy-secret",
            excerpt: mask(value.as_bytes()),
        });
    }
    out
}

/// Scans `NAME=VALUE` assignments in a text (a dotenv file, a TOML or
/// JSON data file: `name = "value"`, `"name": "value",`), each line as an
/// environment variable: a long, high-entropy value under a secret-like name.
pub fn scan_assignments(place: &str, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some(split) = line.find(['=', ':']) else { continue };
        let name = line[..split].trim().trim_matches(['"', '\'']);
        let value = line[split + 1..]
            .trim()
            .trim_end_matches(',')
            .trim()
            .trim_matches(['"', '\'']);
        if name.is_empty() || name.contains(' ') || line.starts_with('#') {
            continue;
        }
        if secret_like_name(name) && value.len() >= 16 && !value.contains(' ') && entropy(value) >= 3.5 {
            out.push(Finding {
                place: format!("{place}:{name}"),
                pattern: "high-entropy-secret",
                excerpt: mask(value.as_bytes()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_patterns_are_found_with_a_masked_excerpt() {
        let f = scan_bytes("file:web:app.js", b"const k = 'AKIAIOSFODNN7EXAMPLE';");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pattern, "aws-access-key-id");
        assert_eq!(f[0].excerpt, "AKIA…");
        assert_eq!(f[0].id(), "file:web:app.js:aws-access-key-id");
        let f = scan_bytes("x", b"stripe: sk_live_4eC39HqLyjWDarjtT1zdp7dc");
        assert_eq!(f[0].pattern, "stripe-live-key");
        let f = scan_bytes("x", b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=");
        assert_eq!(f[0].pattern, "private-key");
    }

    #[test]
    fn each_kind_of_credential_is_found() {
        let cases: &[(&str, &[u8])] = &[
            ("github-token", b"t=ghu_16C7e42F292c6912E7710c838347Ae178B4a"),
            ("github-token", b"t=ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c"),
            ("google-api-key", b"key: AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"),
            (
                "npm-token",
                b"//registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789",
            ),
            (
                "sendgrid-key",
                b"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",
            ),
            (
                "jwt",
                b"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlX2hlcmU",
            ),
            (
                "slack-webhook",
                b"https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/abcdefghijklmnopqrstuvwx",
            ),
            ("url-with-password", b"DATABASE_URL=postgres://u:pw@db.example.com/app"),
            ("private-key", b"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF"),
            ("private-key", b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIF"),
        ];
        for (pattern, text) in cases {
            let f = scan_bytes("x", text);
            assert!(
                f.iter().any(|f| f.pattern == *pattern),
                "{pattern}: {f:?} in {:?}",
                String::from_utf8_lossy(text)
            );
        }
        // Placeholders and plain URLs are not passwords.
        for text in [
            &b"postgres://u:${DB_PASSWORD}@h/app"[..],
            b"https://user@example.com/x",
            b"https://example.com/a:b@c",
        ] {
            assert!(scan_bytes("x", text).is_empty(), "{:?}", String::from_utf8_lossy(text));
        }
    }

    #[test]
    fn secret_names_include_keys_signing_hmac_and_pass() {
        for name in [
            "JWT_SIGNING_KEY",
            "DB_PASS",
            "WEBHOOK_HMAC",
            "STRIPE_APIKEY",
            "private_key",
        ] {
            assert!(secret_like_name(name), "{name}");
        }
        for name in ["RUST_LOG", "KEYBOARD_LAYOUT", "PASSENGERS", "MONKEY"] {
            assert!(!secret_like_name(name), "{name}");
        }
        let f = scan_env("api", "JWT_SIGNING_KEY", "q8Zr3LmX2vT9pW4kN7sB1cY6");
        assert_eq!(f[0].pattern, "high-entropy-secret");
    }

    #[test]
    fn assignments_in_dotenv_and_data_files_are_scanned() {
        let text = "# comment\nexport API_TOKEN=\"q8Zr3LmX2vT9pW4kN7sB1cY6\"\nNAME=crew\n  \"signing_key\": \"Zx81LmQ2vT9pW4kN7sB1cY6a\",\nregion = \"us-west-2\"\n";
        let f = scan_assignments("file:web:.env", text);
        let places: Vec<&str> = f.iter().map(|f| f.place.as_str()).collect();
        assert_eq!(places, ["file:web:.env:API_TOKEN", "file:web:.env:signing_key"]);
    }

    #[test]
    fn look_alikes_are_not_findings() {
        assert!(scan_bytes("x", b"AKIA is a prefix; AKIAshort; sk_test_4eC39HqLyjWDarjtT1zdp7dc").is_empty());
        assert!(
            scan_bytes("x", b"XAKIAIOSFODNN7EXAMPLEX").is_empty(),
            "inside a longer word"
        );
        assert!(scan_bytes("x", b"PRIVATE KEY----- without a BEGIN").is_empty());
    }

    #[test]
    fn env_values_under_secret_names_need_entropy() {
        assert!(scan_env("api", "RUST_LOG", "info,aws_smithy=debug,hyper=warn").is_empty());
        assert!(
            scan_env("api", "JWT_SECRET_NAME", "/qsd/jwt").is_empty(),
            "short: a parameter name"
        );
        let f = scan_env("api", "JWT_SECRET", "q8Zr3LmX2vT9pW4kN7sB1cY6");
        assert_eq!(f[0].pattern, "high-entropy-secret");
        assert_eq!(f[0].place, "environment:api:JWT_SECRET");
        assert!(
            scan_env("api", "PASSWORD", "aaaaaaaaaaaaaaaaaaaa").is_empty(),
            "low entropy"
        );
    }
}
