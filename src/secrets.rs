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
        prefixes: &["ghp_", "gho_", "ghs_", "github_pat_"],
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
];

const PRIVATE_KEY: &str = "PRIVATE KEY-----";

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
    if let Some(off) = find(bytes, PRIVATE_KEY.as_bytes()) {
        // "-----BEGIN … PRIVATE KEY-----" (RSA, EC, OPENSSH, plain).
        let window = &bytes[off.saturating_sub(40)..off];
        if find(window, b"-----BEGIN ").is_some() {
            out.push(Finding {
                place: place.to_string(),
                pattern: "private-key",
                excerpt: "-----BEGIN … PRIVATE KEY-----".into(),
            });
        }
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

/// Names that say "this holds a secret".
pub fn secret_like_name(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "SECRET",
        "TOKEN",
        "PASSWORD",
        "PASSWD",
        "PRIVATE",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| n.contains(w))
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
