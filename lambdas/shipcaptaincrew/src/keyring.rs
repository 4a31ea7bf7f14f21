//! The signing secret over time. Rotating it (a new version of the SSM
//! parameter) reaches every container without a deploy:
//!
//! - tokens name the parameter version that signed them (`kid`);
//! - a container re-reads the parameter every `REFRESH_SECS`, and at once
//!   (at most every `MISS_RETRY_SECS`) when a token names a newer version;
//! - a token of the version just before the current one stays valid for
//!   `OVERLAP_SECS` after the current one was written, so sessions survive a
//!   planned rotation briefly; a container started after the rotation
//!   fetches that version (`name:version`) to check them. Older versions,
//!   or the previous one after the overlap, are refused: after a leak,
//!   rotate, and within the overlap every stolen token is dead.
//!
//! Tokens without a `kid` (issued before versions were named) are checked
//! against the current secret only.

use std::sync::{Arc, RwLock};

use crate::auth::{Claims, Keys, WeakSecret};

/// How often a container re-reads the parameter.
pub const REFRESH_SECS: i64 = 300;
/// How long the previous version's tokens stay valid after a rotation.
pub const OVERLAP_SECS: i64 = 3600;
/// At most one unplanned re-read per this many seconds (a token naming an
/// unknown version must not make every request call SSM).
pub const MISS_RETRY_SECS: i64 = 30;

/// One version of the secret.
#[derive(Debug)]
pub struct Version {
    pub version: i64,
    /// When this version was written (the parameter's LastModifiedDate).
    pub since: i64,
    pub keys: Keys,
}

#[derive(Debug)]
struct State {
    current: Arc<Version>,
    previous: Option<Arc<Version>>,
    checked_at: i64,
    missed_at: i64,
    /// The previous version that could not be read, and when: not asked
    /// again for MISS_RETRY_SECS (every token naming it would otherwise be
    /// one more SSM call).
    previous_missed: Option<(i64, i64)>,
}

#[derive(Debug)]
pub struct KeyRing {
    source: Ssm,
    issuer: String,
    audience: String,
    state: RwLock<State>,
}

impl KeyRing {
    /// Reads the current version; refuses a weak secret.
    pub async fn start(source: Ssm, issuer: &str, audience: &str, now: i64) -> Result<KeyRing, StartFailure> {
        let (version, since, value) = source.current().await.map_err(StartFailure::Read)?;
        let keys = Keys::new(value.as_bytes(), issuer, audience).map_err(StartFailure::Weak)?;
        let current = Arc::new(Version {
            version,
            since,
            keys: keys.with_kid(&version.to_string()),
        });
        Ok(KeyRing {
            source,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
            state: RwLock::new(State {
                current,
                previous: None,
                checked_at: now,
                missed_at: i64::MIN / 2,
                previous_missed: None,
            }),
        })
    }

    fn state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The current version's number.
    pub fn current_version(&self) -> i64 {
        self.state().current.version
    }

    /// A session token signed with the current version.
    pub fn issue(&self, email: &str, role: crate::auth::Role, now: i64, ttl: i64) -> String {
        let current = self.state().current.clone();
        current.keys.issue(email, role, now, ttl)
    }

    /// The claims of a valid token, re-reading the parameter when it is due
    /// or when the token names a newer version.
    pub async fn verify(&self, token: &str, now: i64) -> Option<Claims> {
        if now - self.state().checked_at >= REFRESH_SECS {
            self.refresh(now).await;
        }
        let kid = jsonwebtoken::decode_header(token).ok()?.kid;
        let Some(kid) = kid else {
            return self.state().current.keys.verify(token);
        };
        let wanted: i64 = kid.parse().ok()?;
        let (current, previous) = {
            let s = self.state();
            (s.current.clone(), s.previous.clone())
        };
        if wanted == current.version {
            return current.keys.verify(token);
        }
        if wanted > current.version {
            let due = {
                let s = self.state();
                now - s.missed_at >= MISS_RETRY_SECS
            };
            if due {
                self.state.write().unwrap_or_else(|e| e.into_inner()).missed_at = now;
                self.refresh(now).await;
                let current = self.state().current.clone();
                if wanted == current.version {
                    return current.keys.verify(token);
                }
            }
            return None;
        }
        // The version before the current one, within the overlap only.
        if wanted != current.version - 1 || now >= current.since + OVERLAP_SECS {
            return None;
        }
        let previous = match previous.filter(|p| p.version == wanted) {
            Some(p) => p,
            None => {
                let missed = self.state().previous_missed;
                if missed.is_some_and(|(v, at)| v == wanted && now - at < MISS_RETRY_SECS) {
                    return None;
                }
                self.load_previous(wanted, &current, now).await?
            }
        };
        previous.keys.verify(token)
    }

    async fn load_previous(&self, wanted: i64, current: &Arc<Version>, now: i64) -> Option<Arc<Version>> {
        let missed = || {
            self.state.write().unwrap_or_else(|e| e.into_inner()).previous_missed = Some((wanted, now));
        };
        let value = match self.source.version(wanted).await {
            Ok(v) => v,
            Err(cause) => {
                tracing::warn!(%cause, version = wanted, "previous signing secret not readable");
                missed();
                return None;
            }
        };
        let Ok(keys) = Keys::new(value.as_bytes(), &self.issuer, &self.audience) else {
            missed();
            return None;
        };
        let previous = Arc::new(Version {
            version: wanted,
            since: 0,
            keys: keys.with_kid(&wanted.to_string()),
        });
        let mut s = self.state.write().unwrap_or_else(|e| e.into_inner());
        if Arc::ptr_eq(&s.current, current) {
            s.previous = Some(previous.clone());
        }
        Some(previous)
    }

    /// Re-reads the parameter; a new version becomes current and the old
    /// one previous. A weak new value is logged and not used.
    pub async fn refresh(&self, now: i64) {
        self.state.write().unwrap_or_else(|e| e.into_inner()).checked_at = now;
        let (version, since, value) = match self.source.current().await {
            Ok(v) => v,
            Err(cause) => {
                tracing::warn!(%cause, "signing secret not re-read; keeping the one in use");
                return;
            }
        };
        if version == self.current_version() {
            return;
        }
        let keys = match Keys::new(value.as_bytes(), &self.issuer, &self.audience) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(reason = %e, version, "refusing the new signing secret; keeping the one in use");
                return;
            }
        };
        let new = Arc::new(Version {
            version,
            since,
            keys: keys.with_kid(&version.to_string()),
        });
        let mut s = self.state.write().unwrap_or_else(|e| e.into_inner());
        if version > s.current.version {
            let old = std::mem::replace(&mut s.current, new);
            s.previous = Some(old);
        }
    }
}

/// Why the key ring could not start.
#[derive(Debug)]
pub enum StartFailure {
    Read(String),
    Weak(WeakSecret),
}

/// The parameter in SSM Parameter Store (SecureString, decrypted).
#[derive(Debug)]
pub struct Ssm {
    pub client: aws_sdk_ssm::Client,
    pub name: String,
}

impl Ssm {
    /// The current version's (number, written at, value).
    async fn current(&self) -> Result<(i64, i64, String), String> {
        self.get(self.name.clone()).await
    }

    /// Version `n`'s value (`name:n`).
    async fn version(&self, n: i64) -> Result<String, String> {
        self.get(format!("{}:{n}", self.name)).await.map(|(_, _, v)| v)
    }

    async fn get(&self, selector: String) -> Result<(i64, i64, String), String> {
        let out = self
            .client
            .get_parameter()
            .name(selector)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| aws_sdk_ssm::error::DisplayErrorContext(&e).to_string())?;
        let p = out.parameter().ok_or("the answer has no parameter")?;
        let value = p.value().ok_or("the parameter has no value")?.to_string();
        let since = p.last_modified_date().map_or(0, |d| d.secs());
        Ok((p.version(), since, value))
    }
}
