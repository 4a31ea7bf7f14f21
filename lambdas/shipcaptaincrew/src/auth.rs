//! Session and admin tokens: JWT HS256 via `jsonwebtoken`, with the algorithm
//! pinned, `exp`/`iss`/`aud`/`sub` required and a small leeway. The signing
//! secret is read at start-up from SSM Parameter Store (SecureString) and must
//! be at least 32 bytes and not a known-weak value.

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// The minimum secret length: HS256's key should be at least the hash size.
pub const MIN_SECRET_BYTES: usize = 32;
/// Clock skew tolerated on `exp` and `nbf`, seconds.
pub const LEEWAY_SECS: u64 = 30;

/// What a member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Captain,
    Crew,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "captain" => Some(Role::Captain),
            "crew" => Some(Role::Crew),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Captain => "captain",
            Role::Crew => "crew",
        }
    }
}

/// The claims of every token the app issues.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The member's e-mail address.
    pub sub: String,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Why a secret was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WeakSecret {
    #[error(
        "the signing secret is {0} bytes; at least {MIN_SECRET_BYTES} are required (bosun generates 48 random bytes)"
    )]
    TooShort(usize),
    #[error("the signing secret is a known or guessable value ({0}); replace the parameter with random bytes")]
    Guessable(&'static str),
}

/// Refuses secrets too short or too regular to sign tokens with.
pub fn check_secret(secret: &[u8]) -> Result<(), WeakSecret> {
    if secret.len() < MIN_SECRET_BYTES {
        return Err(WeakSecret::TooShort(secret.len()));
    }
    let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
    const KNOWN: [&str; 9] = [
        "your-256-bit-secret",
        "secret",
        "password",
        "changeme",
        "change-me",
        "example",
        "default",
        "qwerty",
        "letmein",
    ];
    if let Some(word) = KNOWN.iter().find(|w| lower.contains(*w)) {
        return Err(WeakSecret::Guessable(match *word {
            "your-256-bit-secret" => "the jwt.io example secret",
            _ => "contains a dictionary word such as 'secret' or 'password'",
        }));
    }
    let mut distinct = secret.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 10 {
        return Err(WeakSecret::Guessable("too few distinct characters"));
    }
    // A short pattern repeated (abcabc…) or a run (0123…, abcd…).
    let period = (1..=secret.len() / 2).find(|p| secret.iter().skip(*p).zip(secret).all(|(a, b)| a == b));
    if period.is_some() {
        return Err(WeakSecret::Guessable("a repeated pattern"));
    }
    let steps = secret.windows(2).filter(|w| w[1] == w[0].wrapping_add(1)).count();
    if steps * 2 >= secret.len() {
        return Err(WeakSecret::Guessable("a run of consecutive characters"));
    }
    Ok(())
}

/// Signs and checks tokens with one secret.
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub issuer: String,
    pub audience: String,
    /// The `kid` header of the tokens these keys issue: the secret's
    /// parameter version (see `keyring.rs`).
    pub kid: Option<String>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

/// The JWS layer of the token check, before any claim is read: compact
/// form (three parts), a header whose `alg` is HS256 and nothing else,
/// strict base64url payload, and the HMAC over `header.payload`.
/// Project Wycheproof's HS256 vectors run against this function
/// (`tests/token_signatures.rs`).
pub fn jws_valid(token: &str, key: &DecodingKey) -> bool {
    use base64::Engine;
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, signature] = parts.as_slice() else {
        return false;
    };
    let Ok(decoded) = jsonwebtoken::decode_header(token) else {
        return false;
    };
    if decoded.alg != Algorithm::HS256
        || base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .is_err()
    {
        return false;
    }
    let message = format!("{header}.{payload}");
    jsonwebtoken::crypto::verify(signature, message.as_bytes(), key, Algorithm::HS256).unwrap_or(false)
}

impl Keys {
    /// Keys for `secret`, refusing a weak one.
    pub fn new(secret: &[u8], issuer: &str, audience: &str) -> Result<Keys, WeakSecret> {
        check_secret(secret)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Keys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            kid: None,
        })
    }

    /// The same keys, naming themselves `kid` in the tokens they issue.
    pub fn with_kid(mut self, kid: &str) -> Keys {
        self.kid = Some(kid.to_string());
        self
    }

    /// A token for `email` with `role`, valid for `ttl` seconds from `now`.
    pub fn issue(&self, email: &str, role: Role, now: i64, ttl: i64) -> String {
        let claims = Claims {
            sub: email.to_string(),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + ttl,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = self.kid.clone();
        encode(&header, &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// The claims of a valid token; None for anything else (bad signature,
    /// other algorithm, expired, wrong issuer or audience, missing claims).
    /// The JWS layer is `jws_valid`; then jsonwebtoken checks the claims.
    pub fn verify(&self, token: &str) -> Option<Claims> {
        if !jws_valid(token, &self.decoding) {
            tracing::debug!("token refused: not a valid HS256 JWS");
            return None;
        }
        match decode::<Claims>(token, &self.decoding, &self.validation) {
            Ok(data) => Some(data.claims),
            Err(e) => {
                tracing::debug!(reason = %e, "token refused");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &[u8] = b"k7Qm2Zr9Xw4Lp8Vt1Ns6Hb3Jd5Fg0Ca-Ye_Ui";

    #[test]
    fn weak_secrets_are_refused() {
        assert_eq!(check_secret(b"short"), Err(WeakSecret::TooShort(5)));
        assert!(matches!(
            check_secret(b"your-256-bit-secret-and-some-more-bytes"),
            Err(WeakSecret::Guessable(_))
        ));
        assert!(matches!(check_secret(&[b'a'; 40]), Err(WeakSecret::Guessable(_))));
        assert!(matches!(
            check_secret(b"abcdefghijklmnopqrstuvwxyz0123456789"),
            Err(WeakSecret::Guessable(_))
        ));
        assert!(matches!(
            check_secret(b"k7Qm2Zr9Xw4Lk7Qm2Zr9Xw4Lk7Qm2Zr9Xw4L"),
            Err(WeakSecret::Guessable(_))
        ));
        assert!(matches!(
            check_secret(b"MyCompanyPasswordIsVeryLong12345!"),
            Err(WeakSecret::Guessable(_))
        ));
        assert_eq!(check_secret(GOOD), Ok(()));
    }

    #[test]
    fn round_trip_and_refusals() {
        let keys = Keys::new(GOOD, "iss-a", "aud-a").unwrap();
        let now = jsonwebtoken::get_current_timestamp() as i64;
        let t = keys.issue("crew@example.com", Role::Crew, now, 60);
        let c = keys.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.role), ("crew@example.com", Role::Crew));
        // Expired beyond the leeway.
        assert!(keys
            .verify(&keys.issue("a@example.com", Role::Crew, now - 3600, 60))
            .is_none());
        // Within the leeway still passes.
        assert!(keys
            .verify(&keys.issue("a@example.com", Role::Crew, now - 70, 60))
            .is_some());
        // Other audience / issuer.
        let other_aud = Keys::new(GOOD, "iss-a", "aud-b").unwrap();
        assert!(other_aud.verify(&t).is_none());
        let other_iss = Keys::new(GOOD, "iss-b", "aud-a").unwrap();
        assert!(other_iss.verify(&t).is_none());
        // Tampered payload.
        let mut parts: Vec<String> = t.split('.').map(String::from).collect();
        let first = if parts[1].starts_with('e') { "f" } else { "e" };
        parts[1].replace_range(0..1, first);
        assert!(keys.verify(&parts.join(".")).is_none());
    }
}
